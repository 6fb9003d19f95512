// The video grid: one tile per person with media (video or avatar, name, mic-off mark, audio
// level), and the layout that makes the tiles as large as the grid allows.
import { demo, current } from './state.js';
import { ui, el, icon } from './dom.js';
import { markSpeakerTile } from './media_signals.js';

export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] || '?') + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
}

export function displayName(pid) {
  const p = demo.participants.get(pid);
  return (p && p.name) || `Guest ${String(pid).slice(0, 6)}`;
}

function buildTile({ pid, name, local, avatarName = name }) {
  const video = el('video', { autoplay: true, playsInline: true, muted: !!local });
  if (local) video.classList.add('mirror');
  const avatar = el('div', { className: 'avatar', 'aria-hidden': 'true' }, [el('span', { text: initials(avatarName) })]);
  const label = el('span', { className: 'tile-name', 'data-testid': 'tile-name', text: name });
  const micOff = el('span', { className: 'mic-off', title: 'Microphone off', hidden: true }, [icon('mic-off')]);
  const indicator = el('span', { className: 'audio-indicator', 'data-testid': 'audio-indicator', title: 'Audio level' }, [
    el('i'), el('i'), el('i'),
  ]);
  const resolution = el('span', { className: 'tile-resolution', 'data-testid': 'tile-resolution', title: 'Resolution received' });
  const footer = el('div', { className: 'tile-footer' }, [indicator, label, micOff, resolution]);
  const tile = el('div', { className: 'tile', 'data-testid': 'video-tile', 'data-participant-id': pid ?? '' }, [video, avatar, footer]);
  if (local) tile.dataset.local = 'true';
  markSpeakerTile(tile, pid);
  return { tile, video, avatar, label, micOff, indicator, resolution, stream: null };
}

export function createLocalTile(session) {
  const stream = demo.localStream;
  const suffix = stream ? ' (you)' : ' (you, receive-only)';
  const entry = buildTile({ pid: demo.participantId, name: demo.name + suffix, avatarName: demo.name, local: true });
  entry.stream = stream;
  if (stream) {
    entry.video.srcObject = stream;
    entry.video.play().catch(() => { /* muted autoplay is always allowed */ });
  }
  session.localTile = entry;
  ui.grid.prepend(entry.tile);
  refreshTileMedia(session);
  layoutGrid();
}

export function createRemoteTile(session, pid) {
  const entry = buildTile({ pid, name: displayName(pid), local: false });
  session.tiles.set(pid, entry);
  ui.grid.append(entry.tile);
  layoutGrid();
  return entry;
}

export function removeTile(session, pid) {
  const entry = session.tiles.get(pid);
  if (!entry) return;
  entry.video.srcObject = null;
  entry.tile.remove();
  session.tiles.delete(pid);
  layoutGrid();
}

export function refreshTileLabels(session) {
  for (const [pid, entry] of session.tiles) {
    const name = displayName(pid);
    entry.label.textContent = name;
    entry.avatar.firstChild.textContent = initials(name);
  }
}

// Shows the avatar instead of the video when there is no live video, and the mic-off mark.
export function refreshTileMedia(session) {
  const entries = [...session.tiles.values()];
  if (session.localTile) entries.push(session.localTile);
  for (const entry of entries) {
    const tracks = entry.stream ? entry.stream.getTracks() : [];
    const video = tracks.find((t) => t.kind === 'video' && t.readyState === 'live');
    const audio = tracks.find((t) => t.kind === 'audio' && t.readyState === 'live');
    const showVideo = !!video && video.enabled && !video.muted;
    entry.tile.classList.toggle('no-video', !showVideo);
    entry.micOff.hidden = !!audio && audio.enabled;
    entry.tile.dataset.hasAudio = String(!!audio);
    entry.tile.dataset.hasVideo = String(!!video);
  }
}

// `level` is linear in 0..1 (1 = 0 dBov); shown on a -50..0 dBov scale, as ears hear it.
function setLevel(entry, level) {
  const db = level > 0 ? 20 * Math.log10(level) : -100;
  const shown = Math.max(0, Math.min(1, (db + 50) / 50));
  entry.indicator.style.setProperty('--level', shown.toFixed(3));
  entry.indicator.classList.toggle('active', shown > 0.1);
  entry.tile.classList.toggle('speaking', shown > 0.45);
}

export async function updateAudioLevels(session) {
  if (session !== current || demo.state !== 'joined') return;
  const pc = demo.subscribePc;
  if (pc) {
    const levelByTrack = new Map();
    for (const receiver of pc.getReceivers()) {
      if (receiver.track.kind !== 'audio') continue;
      const sources = receiver.getSynchronizationSources ? receiver.getSynchronizationSources() : [];
      // Chromium reports the timestamp on the epoch clock, the spec on the performance clock.
      const fresh = sources.filter((src) => (src.timestamp > 1e12 ? Date.now() : performance.now()) - src.timestamp < 1000);
      levelByTrack.set(receiver.track, fresh.length ? Math.max(...fresh.map((s) => s.audioLevel || 0)) : 0);
    }
    for (const entry of session.tiles.values()) {
      const audio = entry.stream ? entry.stream.getAudioTracks()[0] : null;
      setLevel(entry, audio ? levelByTrack.get(audio) : 0);
    }
  }
  const local = session.localTile;
  const audio = demo.localStream && demo.localStream.getAudioTracks()[0];
  if (local && demo.publishPc && audio && audio.enabled) {
    try {
      const stats = await demo.publishPc.getStats(audio);
      let level = 0;
      stats.forEach((s) => { if (s.type === 'media-source' && s.kind === 'audio') level = s.audioLevel || 0; });
      if (session === current) setLevel(local, level);
    } catch {
      /* connection closed meanwhile */
    }
  } else if (local) {
    setLevel(local, 0);
  }
}

// Picks the column count that gives the largest 16:9 tiles in the grid's box.
export function layoutGrid() {
  const tiles = ui.grid.children.length;
  ui.grid.dataset.count = String(tiles);
  if (!tiles) return;
  const w = ui.grid.clientWidth || window.innerWidth;
  const h = ui.grid.clientHeight || window.innerHeight * 0.7;
  const gap = 12;
  let best = { cols: 1, size: 0 };
  for (let cols = 1; cols <= tiles; cols++) {
    const rows = Math.ceil(tiles / cols);
    const tileW = Math.min((w - gap * (cols - 1)) / cols, ((h - gap * (rows - 1)) / rows) * (16 / 9));
    if (tileW > best.size) best = { cols, size: tileW };
  }
  ui.grid.style.setProperty('--cols', String(best.cols));
  ui.grid.style.setProperty('--tile-w', `${Math.floor(best.size)}px`);
}
