// What the server tells about the room: `joined` (who is here), people joining and leaving,
// tracks published and unpublished. Keeps `demo.participants` and the screen in step.
import { demo, current } from './state.js';
import { ui } from './dom.js';
import { fail, showBanner, toast } from './errors.js';
import { updateLayerPreferences, updateTileResolutions } from './layer_preferences.js';
import { createLocalTile, removeTile, refreshTileLabels, updateAudioLevels, displayName } from './tiles.js';
import { renderParticipants } from './participant_list.js';
import { setState, updateMuteButtons, updateConnState } from './controls.js';
import { startPublishing, syncRemoteMedia } from './peer_connections.js';

export function onJoined(session, msg) {
  if (demo.state !== 'joining') return;
  demo.participantId = msg.participant_id;
  demo.room = msg.room || session.room;
  demo.iceServers = Array.isArray(msg.ice_servers) ? msg.ice_servers : [];
  for (const p of msg.participants || []) {
    if (!p || p.id === undefined || p.id === demo.participantId) continue;
    demo.participants.set(p.id, { id: p.id, name: p.name || '', tracks: normalizeTracks(p.tracks) });
  }
  ui.roomName.textContent = demo.room;
  document.title = `${demo.room} — SFU conference`;
  setState('joined');
  createLocalTile(session);
  renderParticipants();
  updateMuteButtons();
  updateConnState();
  session.levelTimer = setInterval(() => updateAudioLevels(session), 250);
  session.layerTimer = setInterval(() => {
    updateLayerPreferences(session);
    updateTileResolutions(session);
  }, 1000);
  // Always: even without camera and microphone the publish connection carries the chat and
  // file data channels.
  session.publishChain = session.publishChain.then(() => startPublishing(session)).catch((err) => {
    if (session !== current) return;
    fail('publish_failed', err.message || String(err));
    showBanner('error', 'Could not send your camera/microphone.', demo.lastError.message);
  });
}

function normalizeTracks(tracks) {
  return Array.isArray(tracks) ? tracks.filter((t) => t && t.id !== undefined).map((t) => ({ id: t.id, kind: t.kind })) : [];
}

export function onParticipantJoined(session, participant) {
  if (participant.id === undefined || participant.id === demo.participantId) return;
  session.departed.delete(participant.id);
  const existing = demo.participants.get(participant.id);
  demo.participants.set(participant.id, {
    id: participant.id,
    name: participant.name || (existing && existing.name) || '',
    tracks: existing ? existing.tracks : normalizeTracks(participant.tracks),
  });
  toast(`${displayName(participant.id)} joined`);
  renderParticipants();
  refreshTileLabels(session);
}

export function onParticipantLeft(session, pid) {
  if (pid === undefined) return;
  const name = displayName(pid);
  session.departed.add(pid);
  const had = demo.participants.delete(pid);
  removeTile(session, pid);
  renderParticipants();
  if (had) toast(`${name} left`);
}

export function onTrackPublished(session, pid, track) {
  if (pid === undefined || pid === demo.participantId || track.id === undefined) return;
  let p = demo.participants.get(pid);
  if (!p) {
    p = { id: pid, name: '', tracks: [] };
    demo.participants.set(pid, p);
  }
  if (!p.tracks.some((t) => t.id === track.id)) p.tracks.push({ id: track.id, kind: track.kind });
  session.unpublished.delete(`${pid}/${track.id}`);
  renderParticipants();
}

export function onTrackUnpublished(session, pid, trackId) {
  const p = demo.participants.get(pid);
  if (p) p.tracks = p.tracks.filter((t) => t.id !== trackId);
  session.unpublished.add(`${pid}/${trackId}`);
  syncRemoteMedia(session);
  renderParticipants();
}
