// The page's data channels (docs/protocol.md, data channels). A channel opened on the publish
// connection is a data track of the room: this page opens "chat" and "file", both reliable and
// ordered, before its first publish offer, so that offer has its m=application section and no
// renegotiation is needed. Everyone else gets each of them on their subscribe connection as a
// channel with the same label and `protocol` = the sender's participant id; the server's own
// messages come on channels labelled "server" with an empty `protocol`.
import { demo, current } from './state.js';
import { attachChatChannel, attachServerChannel, setChatAvailability } from './chat.js';
import { attachFileChannel, setFileAvailability, LOW_WATER_BYTES } from './file_transfer.js';

export const CHAT_LABEL = 'chat';
export const FILE_LABEL = 'file';
export const SERVER_LABEL = 'server';

// Called with the publish connection before its first createOffer.
export function openPublishChannels(session, pc) {
  const chat = pc.createDataChannel(CHAT_LABEL, { ordered: true });
  const file = pc.createDataChannel(FILE_LABEL, { ordered: true });
  file.bufferedAmountLowThreshold = LOW_WATER_BYTES;
  for (const channel of [chat, file]) {
    channel.binaryType = 'arraybuffer';
    channel.addEventListener('open', () => session === current && updateAvailability(session));
    channel.addEventListener('close', () => session === current && updateAvailability(session));
  }
  session.channels = { chat, file };
  demo.publishChannels = session.channels;
  updateAvailability(session);
}

// The publish answer is in: a server without data channels rejects m=application (port 0), and
// the browser then closes the channels; say so instead of "connecting" forever.
export function onPublishAnswered(session, sdp) {
  session.dataRefused = /^m=application 0 /m.test(String(sdp)) || !/^m=application /m.test(String(sdp));
  updateAvailability(session);
}

function updateAvailability(session) {
  const { chat, file } = session.channels || {};
  const state = (channel) => {
    if (session.dataRefused) return 'refused';
    return channel ? channel.readyState : 'closed'; // connecting | open | closing | closed
  };
  setChatAvailability(state(chat));
  setFileAvailability(state(file));
}

// `ondatachannel` of the subscribe connection.
export function onRemoteChannel(session, channel) {
  if (session !== current) {
    channel.close();
    return;
  }
  channel.binaryType = 'arraybuffer';
  session.remoteChannels.push(channel);
  demo.remoteChannels = session.remoteChannels;
  channel.addEventListener('close', () => {
    session.remoteChannels = session.remoteChannels.filter((c) => c !== channel);
    if (session === current) demo.remoteChannels = session.remoteChannels;
  });
  if (channel.label === CHAT_LABEL) attachChatChannel(session, channel);
  else if (channel.label === FILE_LABEL) attachFileChannel(session, channel);
  else if (channel.label === SERVER_LABEL) attachServerChannel(session, channel);
  // Other labels are other applications' data tracks: kept open, not shown.
}

// Ends every channel of a session (the connections close right after).
export function closeDataChannels(session) {
  const own = session.channels ? Object.values(session.channels) : [];
  for (const channel of [...own, ...session.remoteChannels]) {
    try { channel.close(); } catch { /* already closed */ }
  }
  session.channels = null;
  session.remoteChannels = [];
  demo.publishChannels = null;
  demo.remoteChannels = [];
  setChatAvailability('closed');
  setFileAvailability('closed');
}
