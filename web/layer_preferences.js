// Simulcast preferences (docs/protocol.md 2.2, `track_settings`): for each remote tile with video,
// the size it is shown at (CSS pixels times devicePixelRatio) and whether it is on screen, sent
// when they change, so the server forwards the simulcast layer that fits the tile and none for a
// tile out of sight. demo.setTrackSettings(participantId, {max_layer, ...}) overrides the tile's
// own preference (tests, or a "best quality" button); null gives it back. Also shows per tile the
// resolution received (getStats frameWidth x frameHeight).
import { demo, current } from './state.js';
import { send } from './signaling.js';

// Sizes move in steps of this many pixels, so a tile's tiny resizes send nothing.
const SIZE_STEP = 16;
const roundUp = (v) => Math.ceil(v / SIZE_STEP) * SIZE_STEP;

function onScreen(rect) {
  return rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0 &&
    rect.top < window.innerHeight && rect.left < window.innerWidth;
}

function preferenceOf(entry, pid) {
  const override = demo.trackSettings.get(pid);
  if (override) return { max_width: 0, max_height: 0, paused: false, ...override };
  const rect = entry.video.getBoundingClientRect();
  const scale = window.devicePixelRatio || 1;
  const visible = onScreen(rect);
  const pref = { paused: !visible };
  // 0 = no limit; the server takes the lowest layer at least this wide or tall.
  if (visible) Object.assign(pref, { max_width: roundUp(rect.width * scale), max_height: roundUp(rect.height * scale) });
  return pref;
}

export function updateLayerPreferences(session = current) {
  if (!session || session !== current || demo.state !== 'joined') return;
  for (const [pid, entry] of session.tiles) {
    // A track or participant already gone (its tile goes with the next sync) has nothing to set.
    if (!entry.videoTrackId || session.departed.has(pid) || session.unpublished.has(`${pid}/${entry.videoTrackId}`)) continue;
    const pref = preferenceOf(entry, pid);
    const key = `${entry.videoTrackId}:${JSON.stringify(pref)}`;
    if (entry.sentPreference === key) continue;
    if (send(session, { type: 'track_settings', participant_id: pid, track_id: entry.videoTrackId, ...pref })) {
      entry.sentPreference = key;
    }
  }
}

export function setTrackSettings(pid, settings) {
  if (settings) demo.trackSettings.set(pid, settings);
  else demo.trackSettings.delete(pid);
  updateLayerPreferences();
}

// The received resolution of each remote tile's video, on the tile and in its data attributes.
export async function updateTileResolutions(session = current) {
  const pc = demo.subscribePc;
  if (!session || session !== current || !pc) return;
  let stats;
  try {
    stats = await pc.getStats();
  } catch {
    return; // closed meanwhile
  }
  const byTrack = new Map();
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video' && s.frameWidth) byTrack.set(s.trackIdentifier, s);
  });
  for (const entry of session.tiles.values()) {
    const video = entry.stream ? entry.stream.getVideoTracks()[0] : null;
    const s = video ? byTrack.get(video.id) : null;
    entry.resolution.textContent = s ? `${s.frameWidth}×${s.frameHeight}` : '';
    entry.tile.dataset.frameWidth = s ? String(s.frameWidth) : '';
    entry.tile.dataset.frameHeight = s ? String(s.frameHeight) : '';
  }
}
