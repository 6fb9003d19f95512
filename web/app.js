// Demo conference page of the SFU. Vanilla JS in native ES modules, no build step, no
// dependencies. This entry module wires the page: the lobby form, joining (camera and
// microphone first), the call controls, and `window.sfuDemo`.
//
// Signaling follows docs/protocol.md: one WebSocket at /v1/rtc on the page's own origin
// (signaling.js) and two RTCPeerConnections per participant (peer_connections.js). A call's
// life is in session.js, the room's news in room_events.js; the screen is drawn by tiles.js,
// participant_list.js, controls.js and errors.js.
//
// State for tests and curious people is on `window.sfuDemo` (the `demo` object of state.js).
import { demo, current, ROOM_RE, NAME_STORAGE_KEY } from './state.js';
import { ui } from './dom.js';
import { fail, showBanner, hideBanner, describeMediaError } from './errors.js';
import { send } from './signaling.js';
import { startSession, leaveCall } from './session.js';
import { layoutGrid } from './tiles.js';
import { setState, toggleTrack } from './controls.js';

demo.join = (options) => joinCall(options);
demo.leave = () => leaveCall();
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

window.addEventListener('pagehide', () => {
  if (current && !current.ended) send(current, { type: 'leave' });
});
window.addEventListener('resize', layoutGrid);

// ---------------------------------------------------------------- start

setState('idle');
prefillLobby();
