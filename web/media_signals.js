// What the server says about the media itself (docs/protocol.md 2.3): `active_speakers` (who
// speaks, loudest first: their tiles get the `active-speaker` class and data attribute) and
// `publisher_layers` (dynacast: which simulcast layers of this page's camera anyone receives;
// the others are turned off with RTCRtpSender.setParameters encodings[i].active, saving this
// device's encoder and uplink, and back on when asked).
import { demo, current } from './state.js';

export function onActiveSpeakers(session, msg) {
  if (session !== current || !Array.isArray(msg.speakers)) return;
  demo.activeSpeakers = msg.speakers.filter((s) => s && s.participant_id !== undefined);
  for (const [pid, entry] of session.tiles) markSpeakerTile(entry.tile, pid);
  if (session.localTile) markSpeakerTile(session.localTile.tile, demo.participantId);
}

// Also called for each new tile (tiles.js): the list may name someone before their tile exists.
export function markSpeakerTile(tile, pid) {
  const on = demo.activeSpeakers.some((s) => s.participant_id === pid);
  tile.classList.toggle('active-speaker', on);
  tile.dataset.activeSpeaker = String(on);
}

// One setParameters at a time (Chromium refuses a second before the first settles); the latest
// message per track is what is applied.
let applying = Promise.resolve();

export function onPublisherLayers(session, msg) {
  if (session !== current || !Array.isArray(msg.active)) return;
  demo.publisherLayers.set(msg.track_id, msg.active.slice());
  applying = applying.then(() => applyLayers(session, msg.track_id));
}

async function applyLayers(session, trackId) {
  const pc = demo.publishPc;
  const wanted = demo.publisherLayers.get(trackId);
  if (session !== current || !pc || !wanted) return;
  const sender = pc.getSenders().find((s) => s.track && s.track.id === trackId);
  if (!sender) return;
  const params = sender.getParameters();
  if (!params.encodings || params.encodings.length !== wanted.length) return;
  let changed = false;
  params.encodings.forEach((encoding, i) => {
    const active = wanted[i] !== false;
    if (encoding.active !== active) {
      encoding.active = active;
      changed = true;
    }
  });
  if (!changed) return;
  try {
    await sender.setParameters(params);
  } catch (err) {
    // The connection closed meanwhile, or a renegotiation is in flight: the next message corrects it.
    console.warn('publisher_layers not applied:', err.message || err);
  }
}
