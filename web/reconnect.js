// Coming back after the signaling socket is lost (docs/protocol.md 2.7, "Session resume"). The
// two peer connections do not need the socket, so the call goes on meanwhile; the page shows
// "reconnecting", opens a new socket after 0.5 s, 1 s, 2 s, 4 s, 8 s, 8 s, ... (each ±25 % at
// random, so that clients do not all come back at the same instant), and sends `resume` with the
// token of its latest `joined` / `resumed`. `resumed` brings the room as it is now, which replaces
// what the page knew; a refused resume makes the call join afresh (session.js).
import { demo, current } from './state.js';
import { showBanner, hideBanner, toast } from './errors.js';
import { connectSignaling, send } from './signaling.js';
import { removeTile, refreshTileLabels } from './tiles.js';
import { renderParticipants } from './participant_list.js';
import { updateConnState } from './controls.js';
import { syncRemoteMedia } from './peer_connections.js';

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 8000;
// Beyond this the server has long given up on the participant: one last try will be refused and
// the call joins afresh, so trying for longer only helps when the server itself was away.
const GIVE_UP_MS = 120000;

export function backoffDelay(attempt) {
  const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

function setSignaling(state) {
  demo.signaling = state;
  document.body.dataset.signaling = state;
  updateConnState();
}

// The socket of a joined call was lost, or a reconnect attempt failed: schedule the next attempt.
export function onSignalingLost(session) {
  if (session !== current || session.ended) return;
  if (!session.reconnect) {
    session.reconnect = { attempt: 0, since: Date.now() };
    setSignaling('reconnecting');
    showBanner('warning', 'Connection to the server lost: reconnecting…',
      'Your call goes on meanwhile; the page comes back by itself.');
  }
  const { reconnect } = session;
  if (Date.now() - reconnect.since > GIVE_UP_MS) {
    session.handlers.onFailure('server_gone', 'The server could not be reached again.');
    return;
  }
  const delay = backoffDelay(reconnect.attempt++);
  session.timers.push(setTimeout(() => {
    if (session !== current || session.ended) return;
    connectSignaling(session, {
      ...session.handlers,
      resume: { room: demo.room || session.room, participant_id: demo.participantId, resume_token: session.resumeToken },
    });
  }, delay));
}

// What to do after the server refused a resume: 'rejoin' (the participant is gone, or resume is
// off: join afresh), 'retry' (overloaded: a later attempt may work), or 'end' (kicked, ...).
export function resumeRefused(session, code, message) {
  const attempts = session.reconnect ? session.reconnect.attempt : 0;
  demo.lastReconnect = { result: code, message, attempts, ms: session.reconnect ? Date.now() - session.reconnect.since : 0 };
  if (code === 'resume_failed') return 'rejoin';
  if (code === 'overloaded') {
    const ws = session.ws;
    session.ws = null; // its close is no news
    try { ws.close(1000); } catch { /* already closed */ }
    onSignalingLost(session);
    return 'retry';
  }
  return 'end';
}

// The room as it is now: who joined, left, published or unpublished while the socket was away.
function takeRoomState(session, list) {
  const now = new Map();
  for (const p of Array.isArray(list) ? list : []) {
    if (!p || p.id === undefined || p.id === demo.participantId) continue;
    const tracks = Array.isArray(p.tracks) ? p.tracks.filter((t) => t && t.id !== undefined).map((t) => ({ id: t.id, kind: t.kind })) : [];
    now.set(p.id, { id: p.id, name: p.name || '', tracks });
  }
  for (const [pid, before] of demo.participants) {
    const after = now.get(pid);
    if (!after) {
      session.departed.add(pid);
      removeTile(session, pid);
      continue;
    }
    for (const t of before.tracks) {
      if (!after.tracks.some((x) => x.id === t.id)) session.unpublished.add(`${pid}/${t.id}`);
    }
  }
  for (const [pid, p] of now) {
    session.departed.delete(pid);
    for (const t of p.tracks) session.unpublished.delete(`${pid}/${t.id}`);
  }
  demo.participants = now;
}

export function onResumed(session, msg) {
  if (msg.participant_id !== demo.participantId) return;
  session.resumeToken = msg.resume_token || null;
  const attempts = session.reconnect ? session.reconnect.attempt : 0;
  const ms = session.reconnect ? Date.now() - session.reconnect.since : 0;
  session.reconnect = null;
  demo.reconnects = (demo.reconnects || 0) + 1;
  demo.lastReconnect = { result: 'resumed', attempts, ms };
  setSignaling('open');
  hideBanner();
  // Fresh TURN credentials (docs/protocol.md 2.6), for ICE restarts to come.
  if (Array.isArray(msg.ice_servers)) {
    demo.iceServers = msg.ice_servers;
    for (const pc of [demo.publishPc, demo.subscribePc]) {
      if (!pc) continue;
      try { pc.setConfiguration({ ...pc.getConfiguration(), iceServers: msg.ice_servers }); } catch { /* kept as it was */ }
    }
  }
  takeRoomState(session, msg.participants);
  renderParticipants();
  refreshTileLabels(session);
  syncRemoteMedia(session);
  // A publish offer whose answer was lost with the old socket: the same offer again.
  const pc = demo.publishPc;
  if (pc && pc.signalingState === 'have-local-offer' && pc.localDescription) {
    send(session, { type: 'publish', sdp: pc.localDescription.sdp });
  }
  toast('Reconnected');
}
