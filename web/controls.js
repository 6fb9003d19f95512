// Page state (lobby or call), the call controls (mute buttons) and the connection indicator.
import { demo, current } from './state.js';
import { ui, icon } from './dom.js';
import { layoutGrid, refreshTileMedia } from './tiles.js';
import { renderParticipants } from './participant_list.js';

export function setState(state) {
  demo.state = state;
  document.body.dataset.state = state;
  const inCall = state === 'joined';
  ui.lobby.hidden = inCall;
  ui.call.hidden = !inCall;
  ui.roomInfo.hidden = !inCall;
  ui.joinButton.disabled = state === 'joining';
  ui.joinButton.textContent = state === 'joining' ? 'Joining…' : 'Join';
  ui.roomInput.disabled = ui.nameInput.disabled = state === 'joining';
  if (inCall) layoutGrid();
}

export function updateMuteButtons() {
  const stream = demo.localStream;
  const set = (button, track, labels, icons) => {
    const off = !track || !track.enabled;
    button.disabled = !track;
    button.setAttribute('aria-pressed', String(!!track && !track.enabled));
    button.dataset.state = !track ? 'unavailable' : off ? 'off' : 'on';
    button.classList.toggle('off', off);
    const label = !track ? labels.none : off ? labels.off : labels.on;
    button.querySelector('.ctl-label').textContent = label;
    button.querySelector('.ctl-icon').replaceChildren(icon(off ? icons.off : icons.on));
    button.title = label;
  };
  set(ui.muteAudio, stream && stream.getAudioTracks()[0],
    { on: 'Mute mic', off: 'Unmute mic', none: 'No mic' }, { on: 'mic', off: 'mic-off' });
  set(ui.muteVideo, stream && stream.getVideoTracks()[0],
    { on: 'Stop camera', off: 'Start camera', none: 'No camera' }, { on: 'camera', off: 'camera-off' });
}

export function toggleTrack(kind) {
  const stream = demo.localStream;
  const track = stream && (kind === 'audio' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0]);
  if (!track) return;
  track.enabled = !track.enabled;
  updateMuteButtons();
  renderParticipants();
  if (current) refreshTileMedia(current);
}

export function updateConnState() {
  const states = [demo.publishPc, demo.subscribePc].filter(Boolean).map((pc) => pc.connectionState);
  let text = 'signaling connected';
  let kind = 'ok';
  if (states.includes('failed')) { text = 'media failed'; kind = 'bad'; }
  else if (states.includes('disconnected')) { text = 'media interrupted'; kind = 'warn'; }
  else if (states.some((s) => s === 'new' || s === 'connecting')) { text = 'connecting media…'; kind = 'warn'; }
  else if (states.length && states.every((s) => s === 'connected')) { text = 'connected'; kind = 'ok'; }
  // The signaling socket was lost: the media may still flow, but the call is not whole until it is back.
  if (demo.signaling === 'reconnecting') { text = 'reconnecting…'; kind = 'warn'; }
  ui.connState.textContent = text;
  ui.connState.dataset.kind = kind;
}
