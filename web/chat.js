// The chat panel: text lines over the "chat" data channels, with the sender's name from the
// participant list (a received channel's `protocol` is the sender's participant id), and the
// server's messages from its "server" channels. Everything shown is set as text, never as HTML.
import { demo, current } from './state.js';
import { ui, el } from './dom.js';
import { displayName } from './tiles.js';

export const MAX_CHAT_CHARS = 2000;
const LOG_LIMIT = 500; // lines kept on screen and on demo.chat

const AVAILABILITY_TEXT = {
  connecting: 'connecting…',
  open: '',
  closing: 'closed',
  closed: 'closed',
  refused: 'not available on this server',
};

export function setChatAvailability(state) {
  const open = state === 'open';
  ui.chatInput.disabled = ui.chatSend.disabled = !open;
  ui.chatState.textContent = AVAILABILITY_TEXT[state] ?? state;
  ui.chatState.dataset.state = state;
  ui.chatInput.placeholder = open ? 'Message everyone' : 'Chat is unavailable';
}

// A line in the chat log: chat text, or a file (file_transfer.js fills `body`).
export function appendChatItem({ from, self = false, server = false, className = '', body }) {
  const who = server ? 'Server' : self ? 'You' : displayName(from);
  const item = el('li', {
    className: `chat-item${self ? ' self' : ''}${server ? ' server' : ''}${className ? ` ${className}` : ''}`,
    'data-testid': 'chat-item',
    'data-from': server ? '' : String(from ?? ''),
  }, [el('span', { className: 'chat-from', 'data-testid': 'chat-from', text: who }), body]);
  const atBottom = ui.chatLog.scrollHeight - ui.chatLog.scrollTop - ui.chatLog.clientHeight < 24;
  ui.chatLog.append(item);
  while (ui.chatLog.childElementCount > LOG_LIMIT) ui.chatLog.firstElementChild.remove();
  if (atBottom || self) ui.chatLog.scrollTop = ui.chatLog.scrollHeight;
  return { item, who };
}

function addLine({ from, text, self = false, server = false }) {
  const { who } = appendChatItem({ from, self, server, body: el('span', { className: 'chat-text', 'data-testid': 'chat-text', text }) });
  demo.chat.push({ from, name: who, text, self, server, at: Date.now() });
  if (demo.chat.length > LOG_LIMIT) demo.chat.splice(0, demo.chat.length - LOG_LIMIT);
}

// Sends a line to everyone; returns whether it went out.
export function sendChat(text) {
  const session = current;
  const channel = session && session.channels && session.channels.chat;
  const line = String(text ?? '').trim().slice(0, MAX_CHAT_CHARS);
  if (!line || !channel || channel.readyState !== 'open') return false;
  channel.send(line);
  addLine({ from: demo.participantId, text: line, self: true });
  return true;
}

// Another participant's "chat" channel: strings are lines; anything else is not chat.
export function attachChatChannel(session, channel) {
  channel.addEventListener('message', (event) => {
    if (session !== current || typeof event.data !== 'string') return;
    addLine({ from: channel.protocol, text: event.data.slice(0, MAX_CHAT_CHARS) });
  });
}

// A "server" channel (POST /v1/rooms/{name}/data): its text messages are shown as the server's.
export function attachServerChannel(session, channel) {
  channel.addEventListener('message', (event) => {
    if (session !== current) return;
    const text = typeof event.data === 'string' ? event.data.slice(0, MAX_CHAT_CHARS) : `[${event.data.byteLength} bytes of binary data]`;
    addLine({ from: null, text, server: true });
  });
}

// A new call starts with an empty chat.
export function resetChat() {
  demo.chat = [];
  ui.chatLog.replaceChildren();
  ui.chatInput.value = '';
  setChatAvailability('closed');
}
