// The signaling WebSocket of a session (docs/protocol.md): one socket at /v1/rtc on the page's own
// origin; `join` once it opens, a `ping` every 20 s, every message received logged on
// `demo.messages`. It knows nothing of what messages mean: the session gets them through
// `onMessage`, and learns through `onFailure(code, message)` that the socket cannot go on.
import { demo, current, PING_INTERVAL_MS, CONNECT_TIMEOUT_MS, JOIN_TIMEOUT_MS, MESSAGE_LOG_LIMIT } from './state.js';

// Always the page's own origin: a link must not be able to send someone's camera elsewhere.
function signalingUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/v1/rtc`;
}

export function connectSignaling(session, { onMessage, onFailure }) {
  const { room, name } = session;
  const url = signalingUrl();
  let ws;
  try {
    ws = new WebSocket(url);
  } catch (err) {
    onFailure('server_unreachable', `Cannot open a connection to ${url}: ${err.message}`);
    return;
  }
  session.ws = ws;
  session.timers.push(
    setTimeout(() => {
      if (session === current && !session.opened) {
        try { ws.close(); } catch { /* already closed */ }
        onFailure('server_unreachable', `The server at ${url} did not answer.`);
      }
    }, CONNECT_TIMEOUT_MS),
  );

  ws.onopen = () => {
    if (session !== current) return;
    session.opened = true;
    const join = { type: 'join', room, name };
    const token = new URLSearchParams(location.search).get('token');
    if (token) join.token = token;
    send(session, join);
    session.pingTimer = setInterval(() => send(session, { type: 'ping' }), PING_INTERVAL_MS);
    session.timers.push(
      setTimeout(() => {
        if (session === current && demo.state === 'joining') {
          onFailure('join_unanswered', 'The server accepted the connection but did not answer the join request.');
        }
      }, JOIN_TIMEOUT_MS),
    );
  };
  ws.onmessage = (event) => {
    if (session !== current) return;
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
    if (session !== current || session.ended) return;
    if (!session.opened) {
      onFailure('server_unreachable', `Cannot reach the server at ${url}. Is it running?`);
    } else if (session.lastServerError && Date.now() - session.lastServerError.at < 5000) {
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

// Stops the pings and closes the socket without reporting its close: the session is over.
export function closeSignaling(session) {
  clearInterval(session.pingTimer);
  if (session.ws) {
    session.ws.onclose = session.ws.onmessage = session.ws.onopen = null;
    try { session.ws.close(1000); } catch { /* already closed */ }
  }
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
