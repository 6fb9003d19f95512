// What the server says about this participant's downlink: the `bandwidth` event (its estimate,
// what it sends now, what it would send with no limit; at most one a second) becomes a network
// badge on every remote tile (good: everything wanted fits; fair: some video on a lower layer;
// poor: some video paused), and `track_paused` / `track_resumed` mark the tile of that
// participant as paused for bandwidth (the video freezes on purpose; the tile says why).
import { el } from './dom.js';

function mbit(bps) {
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(1)} Mbit/s` : `${Math.round(bps / 1e3)} kbit/s`;
}

function badgeOf(entry) {
  if (!entry.networkBadge) {
    entry.networkBadge = el('span', { className: 'tile-network', 'data-testid': 'tile-network' });
    entry.tile.querySelector('.tile-footer')?.append(entry.networkBadge);
  }
  return entry.networkBadge;
}

function pausedNote(entry) {
  if (!entry.pausedNote) {
    entry.pausedNote = el('div', { className: 'tile-paused', 'data-testid': 'tile-paused', text: 'Paused: not enough bandwidth', hidden: true });
    entry.tile.append(entry.pausedNote);
  }
  return entry.pausedNote;
}

export function onBandwidth(session, msg) {
  const estimate = Number(msg.estimate_bps) || 0;
  const allocated = Number(msg.allocated_bps) || 0;
  const wanted = Number(msg.wanted_bps) || 0;
  const quality = msg.paused_tracks > 0 ? 'poor' : allocated + 1 < wanted ? 'fair' : 'good';
  session.bandwidth = { estimate, allocated, wanted, quality };
  for (const entry of session.tiles.values()) {
    const badge = badgeOf(entry);
    badge.dataset.quality = quality;
    badge.textContent = `▮ ${mbit(estimate)}`;
    badge.title = `Your downlink as the server estimates it: ${mbit(estimate)}; receiving ${mbit(allocated)} of ${mbit(wanted)} wanted`;
  }
}

export function onTrackPaused(session, msg, paused) {
  const entry = session.tiles.get(msg.participant_id);
  if (!entry) return;
  entry.pausedTracks = entry.pausedTracks || new Set();
  if (paused) entry.pausedTracks.add(msg.track_id);
  else entry.pausedTracks.delete(msg.track_id);
  const note = pausedNote(entry);
  note.hidden = entry.pausedTracks.size === 0;
  entry.tile.dataset.pausedForBandwidth = String(!note.hidden);
}
