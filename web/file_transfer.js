// File send over the "file" data channels. On the wire, per file and in order on one reliable
// ordered channel: a text message with a JSON header {"id", "name", "size", "type"} (`id`: a
// transfer id the sender makes up), the bytes as binary messages of at most 16 KiB, and a text
// message {"end": true}. One file at a time per sender; the others get a download link with the
// name and size when the last byte is in.
//
// Flow control, end to end: the server never slows a sender for a slow receiver, it cuts the
// receiver's channel instead (docs/protocol.md, data channel relay: slow_subscriber), so a
// sender must not run ahead of its receivers. Each receiver acknowledges on its *own* "file"
// channel, which everyone gets, with a text message {"ack": id, "bytes": n, "to": sender's
// participant id} (others ignore acks not addressed to them): at the header (0), every
// ACK_EVERY_BYTES, and at the end (the whole size). The sender keeps bytes sent − the least bytes
// acknowledged by the receivers present when the transfer started ≤ WINDOW_BYTES. A receiver
// is dropped from that count when it leaves, when its "file" channel closes, or when its
// acknowledgment has not moved for ACK_TIMEOUT_MS while the sender waits for it (a participant
// that does not run this protocol). A transfer to nobody completes at once; otherwise it is
// "sent" once every receiver acknowledged the whole file, and only then the next one starts.
// On top of that, the sender stops while more than HIGH_WATER_BYTES wait in its own channel's
// buffer and goes on at `bufferedamountlow` (LOW_WATER_BYTES), so a large file never sits whole
// in memory twice and the page stays responsive.
import { demo, current } from './state.js';
import { ui, el } from './dom.js';
import { appendChatItem } from './chat.js';

export const CHUNK_BYTES = 16 * 1024;
export const LOW_WATER_BYTES = 256 * 1024;
const HIGH_WATER_BYTES = 1024 * 1024;
const READ_BYTES = 256 * 1024;
// Half the server's default per-receiver send buffer (data_channels.send_buffer_bytes, 1 MiB):
// what one sender may have on its way to a receiver and not yet acknowledged.
export const WINDOW_BYTES = 512 * 1024;
export const ACK_EVERY_BYTES = 128 * 1024;
const ACK_TIMEOUT_MS = 15000;
const ACK_POLL_MS = 250; // the sender also looks again this often (leavers, the call ending)
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

// The receivers of one transfer and what each acknowledged: participant id -> {bytes, at}.
function startOutgoing(session) {
  const id = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
  const now = Date.now();
  const receivers = new Map([...demo.participants.keys()].map((pid) => [pid, { bytes: 0, at: now }]));
  session.outgoingFile = { id, receivers, wake: null };
  return session.outgoingFile;
}

function wakeOutgoing(outgoing) {
  if (outgoing.wake) outgoing.wake();
}

// An acknowledgment {"ack", "bytes", "to"} from participant `from`, for this page's transfer.
function onAck(session, from, msg) {
  const outgoing = session.outgoingFile;
  if (!outgoing || msg.ack !== outgoing.id || !Number.isSafeInteger(msg.bytes)) return;
  const receiver = outgoing.receivers.get(from);
  if (!receiver || msg.bytes < receiver.bytes) return;
  receiver.bytes = msg.bytes;
  receiver.at = Date.now();
  wakeOutgoing(outgoing);
}

function dropReceiver(session, pid) {
  const outgoing = session.outgoingFile;
  if (outgoing && outgoing.receivers.delete(pid)) wakeOutgoing(outgoing);
}

// The least bytes acknowledged over the receivers still here (Infinity with none), after
// dropping those that left or have been silent too long while holding the sender back.
function leastAcknowledged(outgoing, needed) {
  const now = Date.now();
  let least = Infinity;
  for (const [pid, receiver] of outgoing.receivers) {
    const silent = receiver.bytes < needed && now - receiver.at > ACK_TIMEOUT_MS;
    if (!demo.participants.has(pid) || silent) {
      if (silent) console.warn(`file send: ${pid} acknowledged nothing for ${ACK_TIMEOUT_MS} ms; not waiting for it`);
      outgoing.receivers.delete(pid);
    } else {
      least = Math.min(least, receiver.bytes);
    }
  }
  return least;
}

// Resolves once every receiver acknowledged at least `needed` bytes (or was dropped).
async function waitForAcks(session, outgoing, needed) {
  while (leastAcknowledged(outgoing, needed) < needed) {
    if (session !== current) throw new Error('the call ended');
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, ACK_POLL_MS);
      outgoing.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    outgoing.wake = null;
  }
}

async function transmit(session, file, update) {
  const channel = session.channels && session.channels.file;
  if (!channel || channel.readyState !== 'open') throw new Error('file sending is unavailable');
  const outgoing = startOutgoing(session);
  try {
    channel.send(JSON.stringify({ id: outgoing.id, name: file.name, size: file.size, type: file.type || 'application/octet-stream' }));
    // The file is read a block at a time (one read per 16 KiB message is slow) and sent in
    // 16 KiB messages, pausing while the receivers are a window behind or the channel's buffer
    // is over the high-water mark.
    let sent = 0;
    for (let offset = 0; offset < file.size; offset += READ_BYTES) {
      const block = await file.slice(offset, offset + READ_BYTES).arrayBuffer();
      for (let at = 0; at < block.byteLength; at += CHUNK_BYTES) {
        const chunk = block.slice(at, at + CHUNK_BYTES);
        await waitForAcks(session, outgoing, sent + chunk.byteLength - WINDOW_BYTES);
        if (session !== current) throw new Error('the call ended');
        if (channel.bufferedAmount > HIGH_WATER_BYTES) await waitForDrain(channel);
        if (channel.readyState !== 'open') throw new Error('the channel closed');
        channel.send(chunk);
        sent += chunk.byteLength;
      }
      update({ received: offset + block.byteLength });
    }
    channel.send(JSON.stringify({ end: true }));
    await waitForAcks(session, outgoing, file.size);
    update({ status: 'sent', received: file.size });
  } finally {
    if (session.outgoingFile === outgoing) session.outgoingFile = null;
  }
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

// A text message on a "file" channel as the sender wrote it, checked: {ack} (an
// acknowledgment), {end}, a header {id, name, size, type}; null when it is none of these.
function parseControl(text) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return null;
  }
  if (!msg || typeof msg !== 'object') return null;
  if (msg.ack !== undefined) return { ack: msg.ack, bytes: msg.bytes, to: msg.to };
  if (msg.end === true) return { end: true };
  if (typeof msg.name !== 'string' || !Number.isSafeInteger(msg.size) || msg.size < 0) return null;
  // A bare file name: no directories, no control characters.
  const name = msg.name.replace(/[\u0000-\u001f\u007f/\\]/g, '_').slice(0, MAX_NAME_CHARS) || 'file';
  const type = typeof msg.type === 'string' ? msg.type.slice(0, 100) : '';
  const id = typeof msg.id === 'string' ? msg.id.slice(0, 64) : null; // none: a sender without flow control
  return { id, name, size: msg.size, type };
}

// Tells the sender of `incoming` how much arrived, on this page's own "file" channel.
function acknowledge(session, incoming) {
  const own = session.channels && session.channels.file;
  if (incoming.id === null || !own || own.readyState !== 'open') return;
  incoming.acked = incoming.received;
  own.send(JSON.stringify({ ack: incoming.id, bytes: incoming.received, to: incoming.from }));
}

// Another participant's "file" channel; its `protocol` is the sender.
export function attachFileChannel(session, channel) {
  let incoming = null; // {id, from, update, chunks, received, acked, shown, size}
  const failIncoming = (error) => {
    if (incoming) incoming.update({ status: 'failed', error, received: incoming.received });
    incoming = null;
  };
  const onText = (text) => {
    const msg = parseControl(text);
    if (!msg) return;
    if (msg.ack !== undefined) {
      if (msg.to === demo.participantId) onAck(session, channel.protocol, msg);
      return;
    }
    if (msg.end) {
      if (!incoming) return;
      if (incoming.received !== incoming.size) {
        failIncoming(`${incoming.received} of ${incoming.size} bytes arrived`);
        return;
      }
      acknowledge(session, incoming);
      const url = URL.createObjectURL(new Blob(incoming.chunks, { type: 'application/octet-stream' }));
      objectUrls.push(url);
      incoming.update({ status: 'received', received: incoming.received, url });
      incoming = null;
      return;
    }
    failIncoming('a new file started before this one ended');
    if (msg.size > MAX_FILE_BYTES) return;
    const { id, ...header } = msg;
    const update = addFileEntry({ from: channel.protocol, self: false, ...header, status: 'receiving', received: 0, url: null });
    incoming = { id, from: channel.protocol, update, chunks: [], received: 0, acked: 0, shown: 0, size: header.size };
    acknowledge(session, incoming);
  };
  channel.addEventListener('message', (event) => {
    if (session !== current) return;
    if (typeof event.data === 'string') {
      onText(event.data);
      return;
    }
    if (!incoming) return;
    incoming.received += event.data.byteLength;
    if (incoming.received > incoming.size) {
      failIncoming('more bytes than announced');
      return;
    }
    incoming.chunks.push(event.data);
    if (incoming.received - incoming.acked >= ACK_EVERY_BYTES) acknowledge(session, incoming);
    // The progress is redrawn every READ_BYTES, not for every message.
    if (incoming.received - incoming.shown >= READ_BYTES) {
      incoming.shown = incoming.received;
      incoming.update({ received: incoming.received });
    }
  });
  channel.addEventListener('close', () => {
    failIncoming('the sender left');
    // Its acknowledgments can no longer reach this page.
    if (session === current) dropReceiver(session, channel.protocol);
  });
}

// A new call starts with no files; links of the last one are released.
export function resetFiles() {
  for (const url of objectUrls.splice(0)) URL.revokeObjectURL(url);
  demo.files = [];
  setFileAvailability('closed');
}
