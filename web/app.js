// Demo conference page of the SFU. Vanilla JS in native ES modules, no build step, no
// dependencies. This entry module wires the page: the lobby form, joining (camera and
// microphone first), the call controls, and `window.sfuDemo`.
//
// Signaling follows docs/protocol.md: one WebSocket at /v1/rtc on the page's own origin
// (signaling.js) and two RTCPeerConnections per participant (peer_connections.js). A call's
// life is in session.js, the room's news in room_events.js; the screen is drawn by tiles.js,
// participant_list.js, controls.js and errors.js; chat and file send ride on data channels
// (data_channels.js, chat.js, file_transfer.js).
//
// State for tests and curious people is on `window.sfuDemo` (the `demo` object of state.js).
import { demo, current, ROOM_RE, NAME_STORAGE_KEY } from './state.js';
import { ui } from './dom.js';
import { fail, showBanner, hideBanner, describeMediaError } from './errors.js';
import { send } from './signaling.js';
import { startSession, leaveCall } from './session.js';
import { layoutGrid } from './tiles.js';
import { setState, toggleTrack } from './controls.js';
import { sendChat } from './chat.js';
import { sendFile } from './file_transfer.js';
import { restartIce } from './peer_connections.js';
import { setTrackSettings, updateLayerPreferences } from './layer_preferences.js';

demo.join = (options) => joinCall(options);
demo.leave = () => leaveCall();
demo.sendChat = (text) => sendChat(text);
demo.sendFile = (file) => sendFile(file);
demo.restartIce = (connection) => (current ? restartIce(current, connection) : Promise.resolve(false));
demo.setTrackSettings = (participantId, settings) => setTrackSettings(participantId, settings);
window.sfuDemo = demo;

// ---------------------------------------------------------------- lobby

function prefillLobby() {
  const params = new URLSearchParams(location.search);
  const room = params.get('room');
  if (room) ui.roomInput.value = room;
  let savedName = '';
  try {
    savedName = localStorage.getItem(NAME_STORAGE_KEY) || '';
  } catch {
    /* storage may be disabled */
  }
  if (params.get('name')) savedName = params.get('name');
  ui.nameInput.value = savedName;
  (ui.roomInput.value ? ui.nameInput : ui.roomInput).focus();
}

// ---------------------------------------------------------------- media acquisition

async function acquireMedia(audio, video) {
  if (!audio && !video) return null;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    const err = new Error('camera and microphone need a secure page (https:// or localhost)');
    err.name = 'SecurityError';
    throw err;
  }
  return navigator.mediaDevices.getUserMedia({
    audio: audio ? { echoCancellation: true, noiseSuppression: true } : false,
    video: video ? { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } } : false,
  });
}

// ---------------------------------------------------------------- joining

async function joinCall({ room, name, audio = true, video = true }) {
  if (demo.state === 'joining' || demo.state === 'joined') return;
  hideBanner();
  if (!ROOM_RE.test(room || '')) {
    fail('invalid_room', 'Room names are 1 to 64 letters, digits, "-" or "_".');
    showBanner('error', 'Check the room name.', demo.lastError.message);
    ui.roomInput.focus();
    return;
  }
  if (!name) {
    fail('invalid_name', 'Please enter your name.');
    showBanner('error', 'Who are you?', demo.lastError.message);
    ui.nameInput.focus();
    return;
  }
  try {
    localStorage.setItem(NAME_STORAGE_KEY, name);
  } catch {
    /* storage may be disabled */
  }
  const url = new URL(location.href);
  if (url.searchParams.get('room') !== room) {
    url.searchParams.set('room', room);
    history.replaceState(null, '', url);
  }

  demo.room = room;
  demo.name = name;
  demo.lastError = null;
  demo.endReason = null;
  setState('joining');

  let stream = null;
  try {
    stream = await acquireMedia(audio, video);
  } catch (err) {
    const what = audio && video ? 'camera and microphone' : video ? 'camera' : 'microphone';
    fail('media_unavailable', describeMediaError(err, what), { name: err && err.name });
    setState('error');
    const actions = [];
    if (video && audio) {
      actions.push({ label: 'Join audio-only', testid: 'join-audio-only', onClick: () => joinCall({ room, name, audio: true, video: false }) });
    }
    actions.push({ label: 'Join receive-only', testid: 'join-receive-only', onClick: () => joinCall({ room, name, audio: false, video: false }) });
    actions.push({ label: 'Try again', testid: 'retry-media', onClick: () => joinCall({ room, name, audio, video }) });
    showBanner('warning', `Can't use your ${what}.`, demo.lastError.message, actions);
    return;
  }
  startSession({ room, name, stream });
}

// ---------------------------------------------------------------- wiring

ui.bannerClose.addEventListener('click', hideBanner);

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  joinCall({
    room: ui.roomInput.value.trim(),
    name: ui.nameInput.value.trim(),
    audio: ui.useMic.checked,
    video: ui.useCamera.checked,
  });
});

ui.muteAudio.addEventListener('click', () => toggleTrack('audio'));
ui.muteVideo.addEventListener('click', () => toggleTrack('video'));
ui.leaveButton.addEventListener('click', () => leaveCall());

ui.chatForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (sendChat(ui.chatInput.value)) ui.chatInput.value = '';
  ui.chatInput.focus();
});
ui.fileInput.addEventListener('change', () => {
  for (const file of ui.fileInput.files) sendFile(file);
  ui.fileInput.value = '';
});
// A file dropped anywhere on the page is sent (the drop zone lights up while one is dragged);
// never opened in place of the page, which would end the call.
const draggingFiles = (event) => !!event.dataTransfer && [...event.dataTransfer.types].includes('Files');
document.addEventListener('dragover', (event) => {
  if (!draggingFiles(event)) return;
  event.preventDefault();
  const canSend = demo.state === 'joined' && !ui.fileInput.disabled;
  event.dataTransfer.dropEffect = canSend ? 'copy' : 'none';
  ui.fileDrop.classList.toggle('dragging', canSend);
});
document.addEventListener('dragleave', (event) => {
  if (!event.relatedTarget) ui.fileDrop.classList.remove('dragging');
});
document.addEventListener('drop', (event) => {
  if (!draggingFiles(event)) return;
  event.preventDefault();
  ui.fileDrop.classList.remove('dragging');
  if (demo.state !== 'joined') return;
  for (const file of event.dataTransfer.files) sendFile(file);
});

window.addEventListener('pagehide', () => {
  if (current && !current.ended) send(current, { type: 'leave' });
});
window.addEventListener('resize', () => {
  layoutGrid();
  updateLayerPreferences();
});

// ---------------------------------------------------------------- start

setState('idle');
prefillLobby();
