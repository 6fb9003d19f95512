// State shared by the demo page's modules: settings, the `window.sfuDemo` object and the
// current session.

export const ROOM_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const PING_INTERVAL_MS = 20000;
export const CONNECT_TIMEOUT_MS = 10000; // WebSocket open
export const JOIN_TIMEOUT_MS = 15000; // `joined` after `join`
export const NAME_STORAGE_KEY = 'sfuDemo.name';
export const MESSAGE_LOG_LIMIT = 500;
// The server is ICE-lite with its candidates in its SDP: no STUN server is needed. TURN servers,
// when the server has some, come in `joined` (peer_connections.js adds them).
export const PC_CONFIG = { bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require', iceServers: [] };

// Everything a test may want to read. `participants` holds the *other* participants only
// (id -> {id, name, tracks: [{id, kind}]}); the participant list on screen also shows "you".
// app.js fills in `join` and `leave` and publishes this object as `window.sfuDemo`.
export const demo = {
  state: 'idle', // 'idle' | 'joining' | 'joined' | 'left' | 'error'
  participantId: null,
  room: null,
  name: null,
  participants: new Map(),
  iceServers: [], // `joined`'s ice_servers: the TURN servers both peer connections use
  lastError: null, // {code, message, requestType?}
  endReason: null, // 'left' | 'kicked' | 'room_closed' | 'server_gone' | ... once a call ended
  publishPc: null,
  subscribePc: null,
  localStream: null,
  messages: [], // messages received from the server, newest last, SDP bodies elided
  signaling: 'closed', // 'connecting' | 'open' | 'reconnecting' (socket lost, resuming: reconnect.js) | 'closed'
  reconnects: 0, // resumes that brought the call back
  // Cluster mode (docs/protocol.md, "Cluster"): the signaling URL a `redirect` named (null: this
  // page's own server), and how many redirects were followed.
  signalingTarget: null,
  redirects: 0,
  iceRecoveries: { publish: 0, subscribe: 0 }, // ICE restarts the page made by itself (ice_recovery.js)
  iceLog: [], // {at, connection, event}: connection states and restarts (ice_recovery.js)
  lastReconnect: null, // {result: 'resumed' | error code, attempts, ms}: the latest resume
  // Data channels (data_channels.js): this page's own "chat" and "file" channels on the publish
  // connection, and the channels the server opened on the subscribe connection (others' data
  // tracks, `protocol` = the sender's participant id, and "server").
  publishChannels: null, // {chat, file}: RTCDataChannel
  remoteChannels: [], // RTCDataChannel
  chat: [], // {from, name, text, self, server, at}: chat lines sent and received, oldest first
  files: [], // {from, name, size, type, self, status, received, url}: 'sending' | 'sent' | 'receiving' | 'received' | 'failed'
  join: null, // (options) => joinCall(options)
  leave: null, // () => leaveCall()
  sendChat: null, // (text) => sends a chat line
  sendFile: null, // (File) => queues a file for sending
  restartIce: null, // ('publish' | 'subscribe') => restarts ICE on that connection (peer_connections.js)
  // Simulcast (layer_preferences.js): participant id -> the track_settings fields that replace
  // that tile's own size and visibility; set with setTrackSettings(pid, {max_layer: 0}) (null: back
  // to the tile's own). `?simulcast=0` in the URL publishes one encoding instead of three.
  trackSettings: new Map(),
  setTrackSettings: null, // (participantId, settings | null)
  // media_signals.js: the latest `active_speakers` list ({participant_id, level}, loudest first),
  // and per own track id the latest `publisher_layers` active flags applied to its encodings.
  activeSpeakers: [],
  publisherLayers: new Map(),
};

// One object per attempt to join; handlers of an old session check `session !== current`
// and do nothing, so late events of a closed socket or connection cannot disturb a new call.
// `current` is a live binding: importers always see the latest session.
export let current = null;
let sessionCounter = 0;

export function setCurrent(session) {
  current = session;
}

export function nextSessionId() {
  return ++sessionCounter;
}
