// File send over the "file" data channels. On the wire, per file and in order on one reliable
// ordered channel: a text message with a JSON header {"name", "size", "type"}, the bytes as
// binary messages of at most 16 KiB, and a text message {"end": true}. One file at a time per
// sender; the others get a download link with the name and size when the last byte is in.
//
// Flow control: the sender stops while more than HIGH_WATER_BYTES wait in the channel's buffer
// and goes on at `bufferedamountlow` (LOW_WATER_BYTES), so a large file never sits whole in
// memory twice and the page stays responsive.
import { demo, current } from './state.js';
import { ui, el } from './dom.js';
import { appendChatItem } from './chat.js';

export const CHUNK_BYTES = 16 * 1024;
export const LOW_WATER_BYTES = 256 * 1024;
const HIGH_WATER_BYTES = 1024 * 1024;
const READ_BYTES = 256 * 1024;
// What the demo sends and accepts: a received file is held in memory until it is complete.
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_NAME_CHARS = 200;
const objectUrls = []; // download links of the current call, released when the next one starts

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

export function setFileAvailability(state) {
  const open = state === 'open';
  ui.fileInput.disabled = !open;
  ui.fileDrop.classList.toggle('disabled', !open);
  ui.fileDrop.title = open ? '' : 'File sending is unavailable';
}

// ---------------------------------------------------------------- the chat line of a file

// Adds a file to demo.files and the chat log; `update(changes)` redraws its line.
function addFileEntry(entry) {
  demo.files.push(entry);
  const status = el('span', { className: 'file-status', 'data-testid': 'file-status' });
  const name = el('span', { className: 'file-name', 'data-testid': 'file-name', text: entry.name });
  const size = el('span', { className: 'file-size', 'data-testid': 'file-size', text: formatSize(entry.size) });
  const body = el('span', { className: 'file-body' }, [name, size, status]);
  const { item } = appendChatItem({ from: entry.from, self: entry.self, className: 'file', body });
  item.dataset.testid = 'file-item';
  const update = (changes = {}) => {
    Object.assign(entry, changes);
    item.dataset.status = entry.status;
    const percent = entry.size ? Math.floor((100 * entry.received) / entry.size) : 100;
    const text = {
      sending: `sending ${percent}%`,
      sent: 'sent',
      receiving: `receiving ${percent}%`,
      received: '',
      failed: `failed${entry.error ? `: ${entry.error}` : ''}`,
    }[entry.status];
    status.textContent = text;
    if (entry.url && !name.href) {
      // A download link, never a page: the blob's type is always application/octet-stream, so
      // opening it cannot run what another participant sent in this page's origin.
      const link = el('a', { className: 'file-name', 'data-testid': 'file-link', href: entry.url, download: entry.name, text: entry.name });
      name.replaceWith(link);
    }
  };
  update();
  return update;
}

// ---------------------------------------------------------------- sending

function waitForDrain(channel) {
  return new Promise((resolve, reject) => {
    const done = (error) => {
      channel.removeEventListener('bufferedamountlow', onLow);
      channel.removeEventListener('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onLow = () => done();
    const onClose = () => done(new Error('the channel closed'));
    channel.addEventListener('bufferedamountlow', onLow);
    channel.addEventListener('close', onClose);
  });
}

async function transmit(session, file, update) {
  const channel = session.channels && session.channels.file;
  if (!channel || channel.readyState !== 'open') throw new Error('file sending is unavailable');
  channel.send(JSON.stringify({ name: file.name, size: file.size, type: file.type || 'application/octet-stream' }));
  // The file is read a block at a time (one read per 16 KiB message is slow) and sent in
  // 16 KiB messages, pausing whenever the channel's buffer is over the high-water mark.
  for (let offset = 0; offset < file.size; offset += READ_BYTES) {
    const block = await file.slice(offset, offset + READ_BYTES).arrayBuffer();
    for (let at = 0; at < block.byteLength; at += CHUNK_BYTES) {
      if (session !== current) throw new Error('the call ended');
      if (channel.bufferedAmount > HIGH_WATER_BYTES) await waitForDrain(channel);
      if (channel.readyState !== 'open') throw new Error('the channel closed');
      channel.send(block.slice(at, at + CHUNK_BYTES));
    }
    update({ received: offset + block.byteLength });
  }
  channel.send(JSON.stringify({ end: true }));
  update({ status: 'sent', received: file.size });
}

// Queues `file` for everyone in the room; files go one after another.
export function sendFile(file) {
  const session = current;
  if (!session || !file) return false;
  const channel = session.channels && session.channels.file;
  if (!channel || channel.readyState !== 'open') return false;
  const update = addFileEntry({ from: demo.participantId, self: true, name: file.name, size: file.size, type: file.type, status: 'sending', received: 0, url: null });
  if (file.size > MAX_FILE_BYTES) {
    update({ status: 'failed', error: `larger than ${formatSize(MAX_FILE_BYTES)}` });
    return false;
  }
  session.fileChain = session.fileChain
    .then(() => transmit(session, file, update))
    .catch((err) => update({ status: 'failed', error: err.message || String(err) }));
  return true;
}

// ---------------------------------------------------------------- receiving

// A header as the sender wrote it, checked; null when it is not one.
function parseHeader(text) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return null;
  }
  if (!msg || typeof msg !== 'object') return null;
  if (msg.end === true) return { end: true };
  if (typeof msg.name !== 'string' || !Number.isSafeInteger(msg.size) || msg.size < 0) return null;
  // A bare file name: no directories, no control characters.
  const name = msg.name.replace(/[\u0000-\u001f\u007f/\\]/g, '_').slice(0, MAX_NAME_CHARS) || 'file';
  const type = typeof msg.type === 'string' ? msg.type.slice(0, 100) : '';
  return { name, size: msg.size, type };
}

// Another participant's "file" channel; its `protocol` is the sender.
export function attachFileChannel(session, channel) {
  let incoming = null; // {update, chunks, received, shown, size}
  const failIncoming = (error) => {
    if (incoming) incoming.update({ status: 'failed', error, received: incoming.received });
    incoming = null;
  };
  channel.addEventListener('message', (event) => {
    if (session !== current) return;
    if (typeof event.data === 'string') {
      const header = parseHeader(event.data);
      if (!header) return;
      if (header.end) {
        if (!incoming) return;
        if (incoming.received !== incoming.size) {
          failIncoming(`${incoming.received} of ${incoming.size} bytes arrived`);
          return;
        }
        const url = URL.createObjectURL(new Blob(incoming.chunks, { type: 'application/octet-stream' }));
        objectUrls.push(url);
        incoming.update({ status: 'received', received: incoming.received, url });
        incoming = null;
        return;
      }
      failIncoming('a new file started before this one ended');
      if (header.size > MAX_FILE_BYTES) return;
      const update = addFileEntry({ from: channel.protocol, self: false, ...header, status: 'receiving', received: 0, url: null });
      incoming = { update, chunks: [], received: 0, shown: 0, size: header.size };
      return;
    }
    if (!incoming) return;
    incoming.received += event.data.byteLength;
    if (incoming.received > incoming.size) {
      failIncoming('more bytes than announced');
      return;
    }
    incoming.chunks.push(event.data);
    // The progress is redrawn every READ_BYTES, not for every message.
    if (incoming.received - incoming.shown >= READ_BYTES) {
      incoming.shown = incoming.received;
      incoming.update({ received: incoming.received });
    }
  });
  channel.addEventListener('close', () => failIncoming('the sender left'));
}

// A new call starts with no files; links of the last one are released.
export function resetFiles() {
  for (const url of objectUrls.splice(0)) URL.revokeObjectURL(url);
  demo.files = [];
  setFileAvailability('closed');
}
