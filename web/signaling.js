// The signaling WebSocket of a session (docs/protocol.md): one socket at /v1/rtc on the page's own
// origin; `join` once it opens (or `resume`, when reconnect.js opens it again for a call whose
// socket was lost), a `ping` every 20 s, every message received logged on `demo.messages`. It
// knows nothing of what messages mean: the session gets them through `onMessage`, learns through
// `onFailure(code, message)` that the socket cannot go on, and through `onLost()` that a socket
// of a joined call ended without the server saying why (docs/protocol.md 2.7: resume it).
import { demo, current, PING_INTERVAL_MS, CONNECT_TIMEOUT_MS, JOIN_TIMEOUT_MS, MESSAGE_LOG_LIMIT } from './state.js';

// The page's own origin (a link must not be able to send someone's camera elsewhere), or the node
// of the cluster the page's own server redirected it to.
function signalingUrl() {
  if (demo.signalingTarget) return demo.signalingTarget;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/v1/rtc`;
}

// A redirected socket that failed (the node died, or is unreachable from here): go back to the
// page's own server, which knows the cluster (a dead node's rooms are re-homed on a live one).
// True when the caller should retry there instead of failing.
function fellBackToOrigin() {
  if (!demo.signalingTarget) return false;
  demo.signalingTarget = null;
  return true;
}

// `resume`: {room, participant_id, resume_token} to send instead of `join` (a reconnect).
export function connectSignaling(session, { onMessage, onFailure, onLost, resume = null }) {
  const { room, name } = session;
  const url = signalingUrl();
  // Only the session's latest socket speaks for it: late events of an earlier one are ignored.
  const mine = () => session === current && session.ws === ws;
  let ws;
  try {
    ws = new WebSocket(url);
  } catch (err) {
    if (resume) onLost();
    else onFailure('server_unreachable', `Cannot open a connection to ${url}: ${err.message}`);
    return;
  }
  session.ws = ws;
  session.opened = false;
  session.timers.push(
    setTimeout(() => {
      if (mine() && !session.opened) {
        ws.onclose = null;
        try { ws.close(); } catch { /* already closed */ }
        const retry = fellBackToOrigin() && session.handlers && session.handlers.onRetry;
        if (resume) onLost();
        else if (retry) session.timers.push(setTimeout(retry, 500));
        else onFailure('server_unreachable', `The server at ${url} did not answer.`);
      }
    }, CONNECT_TIMEOUT_MS),
  );

  ws.onopen = () => {
    if (!mine()) return;
    session.opened = true;
    if (resume) {
      send(session, { type: 'resume', ...resume });
    } else {
      const join = { type: 'join', room, name };
      const params = new URLSearchParams(location.search);
      const token = params.get('token');
      if (token) join.token = token;
      // ?stay=1 (cluster mode, docs/protocol.md 11): join on this node even when the room's home
      // is another one (the room then spans both) instead of being redirected there.
      if (params.get('stay') === '1') join.stay = true;
      send(session, join);
      session.timers.push(
        setTimeout(() => {
          if (session === current && demo.state === 'joining') {
            onFailure('join_unanswered', 'The server accepted the connection but did not answer the join request.');
          }
        }, JOIN_TIMEOUT_MS),
      );
    }
    clearInterval(session.pingTimer);
    session.pingTimer = setInterval(() => send(session, { type: 'ping' }), PING_INTERVAL_MS);
  };
  ws.onmessage = (event) => {
    if (!mine()) return;
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      console.warn('sfu-demo: ignoring a non-JSON message from the server');
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    logMessage(msg);
    try {
      onMessage(msg);
    } catch (err) {
      console.error('sfu-demo: handling', msg.type, err);
    }
  };
  ws.onclose = (event) => {
    if (!mine() || session.ended) return;
    clearInterval(session.pingTimer);
    const serverSaidWhy = session.lastServerError && Date.now() - session.lastServerError.at < 5000;
    // A joined call's socket that ended without a reason from the server (a network drop, a proxy,
    // a sleeping laptop), or a reconnect attempt that failed: try (again) to resume. 4001: the call
    // was resumed on another socket (another tab took it over): nothing to come back to.
    const fellBack = (!session.opened || !serverSaidWhy) && fellBackToOrigin();
    if (session.resumeToken && event.code !== 4001 && !serverSaidWhy) {
      onLost();
      return;
    }
    if (fellBack && !session.opened && session.handlers && session.handlers.onRetry) {
      session.timers.push(setTimeout(session.handlers.onRetry, 500));
    } else if (!session.opened) {
      onFailure('server_unreachable', `Cannot reach the server at ${url}. Is it running?`);
    } else if (serverSaidWhy) {
      // The server said why before it closed (e.g. connection_lost, too_many_errors).
      const last = session.lastServerError;
      onFailure(last.code || 'server_gone', last.message || 'The server closed the connection.');
    } else {
      onFailure('server_gone',
        `The connection to the server was closed${event.code ? ` (code ${event.code}${event.reason ? `: ${event.reason}` : ''})` : ''}.`);
    }
  };
  ws.onerror = () => {
    /* onclose follows and says what happened */
  };
}

// Stops the pings and closes the socket without reporting its close. 1000: the session is over
// (the server lets the participant leave at once); an application code (4000-4999) keeps the
// participant for a resume (docs/protocol.md 2.7).
export function closeSignaling(session, code = 1000, reason = '') {
  clearInterval(session.pingTimer);
  if (session.ws) {
    session.ws.onclose = session.ws.onmessage = session.ws.onopen = null;
    try { session.ws.close(code, reason); } catch { /* already closed */ }
  }
}

// Whether the socket still carries messages: a `ping` answered within `timeoutMs`. A socket cut
// by a network change can look open for minutes (its TCP retransmits toward an address that is
// gone). One that does not answer is dropped, and the session resumes on a new one (onLost).
export async function signalingAnswers(session, timeoutMs) {
  const ws = session.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN || !session.opened) return false;
  const sentAt = Date.now();
  send(session, { type: 'ping' });
  while (Date.now() - sentAt < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (session.ws !== ws) return false;
    if ((session.lastPong || 0) >= sentAt) return true;
  }
  if (session !== current || session.ended || session.ws !== ws) return false;
  closeSignaling(session, 4000, 'no answer to ping');
  session.ws = null;
  session.handlers.onLost();
  return false;
}

export function send(session, msg) {
  if (session.ws && session.ws.readyState === WebSocket.OPEN) {
    session.ws.send(JSON.stringify(msg));
    return true;
  }
  return false;
}

function logMessage(msg) {
  const entry = { ...msg };
  if (typeof entry.sdp === 'string') entry.sdp = `<${entry.sdp.length} bytes of SDP>`;
  entry.at = Date.now();
  demo.messages.push(entry);
  if (demo.messages.length > MESSAGE_LOG_LIMIT) demo.messages.splice(0, demo.messages.length - MESSAGE_LOG_LIMIT);
}
