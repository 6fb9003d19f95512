// The page's elements and small DOM builders (elements, inline SVG icons).

const $ = (id) => document.getElementById(id);

export const ui = {
  lobby: $('lobby'),
  call: $('call'),
  form: $('join-form'),
  roomInput: $('room-input'),
  nameInput: $('name-input'),
  useCamera: $('use-camera'),
  useMic: $('use-mic'),
  joinButton: $('join-button'),
  grid: $('grid'),
  muteAudio: $('mute-audio'),
  muteVideo: $('mute-video'),
  leaveButton: $('leave-button'),
  list: $('participant-list'),
  count: $('people-count'),
  chatState: $('chat-state'),
  chatLog: $('chat-log'),
  chatForm: $('chat-form'),
  chatInput: $('chat-input'),
  chatSend: $('chat-send'),
  fileDrop: $('file-drop'),
  fileInput: $('file-input'),
  roomInfo: $('room-info'),
  roomName: $('room-name'),
  connState: $('conn-state'),
  banner: $('banner'),
  bannerTitle: $('banner-title'),
  bannerMessage: $('banner-message'),
  bannerActions: $('banner-actions'),
  bannerClose: $('banner-close'),
};

export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'className') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('data-') || key.startsWith('aria-') || key === 'role') node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

// Line icons drawn on a 24x24 grid (inline SVG: no icon font, no emoji font needed).
const ICON_PATHS = {
  mic: ['M12 3a3 3 0 0 1 3 3v5a3 3 0 0 1-6 0V6a3 3 0 0 1 3-3z', 'M5 11a7 7 0 0 0 14 0', 'M12 18v3'],
  'mic-off': ['M12 3a3 3 0 0 1 3 3v5a3 3 0 0 1-6 0V6a3 3 0 0 1 3-3z', 'M5 11a7 7 0 0 0 14 0', 'M12 18v3', 'M3 3l18 18'],
  camera: ['M4 7h10a2 2 0 0 1 2 2v6a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2z', 'M16 11l6-3v8l-6-3'],
  'camera-off': ['M4 7h10a2 2 0 0 1 2 2v6a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2z', 'M16 11l6-3v8l-6-3', 'M2 3l19 18'],
  leave: ['M10 12h11', 'M17 8l4 4-4 4', 'M14 4H5a1 1 0 0 0-1 1v14a1 1 0 0 0 1 1h9'],
};

export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('svg-icon', `icon-${name}`);
  for (const d of ICON_PATHS[name]) {
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}
