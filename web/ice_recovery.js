// Keeps a media connection through network changes (Wi-Fi to LTE, a new address, a link that is
// gone for a while): when a connection that was up goes `failed`, or stays `disconnected` for
// DISCONNECTED_GRACE_MS, the page restarts ICE on it (docs/protocol.md 3.1) and, while it is not
// back, again after RETRY_MS, up to MAX_RESTARTS times; only then does the failure show. A
// connection that never came up is not restarted: its failure shows at once (UDP blocked and no
// TURN: a restart would not help). A restart needs the signaling socket, and a network change
// that cut the media may have cut it too without the browser noticing: each attempt first checks
// that the socket answers a ping (else it is dropped and resumed, reconnect.js) and waits for it.
import { current, demo } from './state.js';
import { signalingAnswers } from './signaling.js';

const DISCONNECTED_GRACE_MS = 1000;
const RETRY_MS = 4000;
const WAIT_FOR_SIGNALING_MS = 1000;
const SIGNALING_PROBE_MS = 2000;
const MAX_RESTARTS = 4;
const LOG_LIMIT = 50;

// Watches `pc` (the `connection`: 'publish' or 'subscribe'). restart() asks for an ICE restart and
// resolves with whether it went out; giveUp() shows the failure. Returns the handler for the
// connection's state changes.
export function watchIceConnection(session, pc, connection, { restart, giveUp }) {
  const watch = { timer: null, restarts: 0, everConnected: false, gaveUp: false };
  // What happened when, on window.sfuDemo.iceLog (the last LOG_LIMIT events), for the curious.
  const log = (event) => {
    demo.iceLog.push({ at: Date.now(), connection, event });
    if (demo.iceLog.length > LOG_LIMIT) demo.iceLog.shift();
  };

  const schedule = (ms) => {
    clearTimeout(watch.timer);
    watch.timer = setTimeout(attempt, ms);
    session.timers.push(watch.timer);
  };

  async function attempt() {
    watch.timer = null;
    if (session !== current || session.ended || watch.gaveUp) return;
    const state = pc.connectionState;
    if (state !== 'disconnected' && state !== 'failed') return;
    if (watch.restarts >= MAX_RESTARTS) {
      watch.gaveUp = true;
      log('gave up');
      giveUp();
      return;
    }
    if (!(await signalingAnswers(session, SIGNALING_PROBE_MS)) || !(await restart())) {
      schedule(WAIT_FOR_SIGNALING_MS);
      return;
    }
    watch.restarts += 1;
    demo.iceRecoveries[connection] += 1;
    log('restart');
    schedule(RETRY_MS);
  }

  return () => {
    const state = pc.connectionState;
    log(state);
    if (state === 'connected') {
      watch.everConnected = true;
      watch.restarts = 0;
      clearTimeout(watch.timer);
      watch.timer = null;
    } else if (state === 'failed' && !watch.everConnected && !watch.gaveUp) {
      watch.gaveUp = true;
      log('gave up');
      giveUp();
    } else if ((state === 'disconnected' || state === 'failed') && watch.everConnected && !watch.timer) {
      // The socket is checked at once, so that a resume it may need overlaps the grace.
      signalingAnswers(session, SIGNALING_PROBE_MS);
      schedule(state === 'failed' ? 0 : DISCONNECTED_GRACE_MS);
    }
  };
}
