// A call's life: starting a session, dispatching the server's messages, and ending it
// (leaving, being kicked, the room closing, errors) with everything it held released. A lost
// signaling socket does not end it: reconnect.js resumes it, and a refused resume joins afresh.
import { demo, current, setCurrent, nextSessionId } from './state.js';
import { ui } from './dom.js';
import { fail, showBanner } from './errors.js';
import { connectSignaling, closeSignaling, send } from './signaling.js';
import { onPublishAnswer, onSubscribeOffer } from './peer_connections.js';
import {
  onJoined, onParticipantJoined, onParticipantLeft, onTrackPublished, onTrackUnpublished,
} from './room_events.js';
import { removeTile } from './tiles.js';
import { onActiveSpeakers, onPublisherLayers } from './media_signals.js';
import { setState } from './controls.js';
import { closeDataChannels } from './data_channels.js';
import { resetChat } from './chat.js';
import { resetFiles } from './file_transfer.js';
import { onSignalingLost, onResumed, resumeRefused } from './reconnect.js';
import { onBandwidth, onTrackPaused } from './bandwidth_badge.js';

export function startSession({ room, name, stream }) {
  const session = {
    id: nextSessionId(),
    room,
    name,
    ws: null,
    opened: false,
    ended: false,
    pingTimer: null,
    timers: [],
    publishChain: Promise.resolve(),
    subscribeChain: Promise.resolve(),
    midInfo: new Map(), // mid -> {kind, participantId, trackId, active} from the latest subscribe offer
    streamIdByMid: new Map(), // fallback from ontrack when an offer lacks a=msid
    departed: new Set(), // participant ids that left; their media is ignored even if still offered
    unpublished: new Set(), // `${participantId}/${trackId}` announced as gone
    tiles: new Map(), // participant id -> {tile, video, stream, indicator, ...}
    localTile: null,
    levelTimer: null,
    layerTimer: null, // track_settings and the tiles' received resolution (layer_preferences.js)
    channels: null, // {chat, file}: this page's data channels on the publish connection
    remoteChannels: [], // channels the server opened on the subscribe connection
    dataRefused: false, // the publish answer rejected m=application
    fileChain: Promise.resolve(), // files being sent, one after another
    outgoingFile: null, // the file being sent: {id, receivers: pid -> {bytes, at}, wake} (file_transfer.js)
    resumeToken: null, // from `joined` / `resumed`: takes the participant back after a lost socket
    reconnect: null, // {attempt, since} while reconnect.js is reconnecting
    handlers: null, // what signaling.js reports to: {onMessage, onFailure, onLost}
  };
  setCurrent(session);
  demo.localStream = stream;
  demo.participants = new Map();
  demo.iceServers = [];
  demo.participantId = null;
  demo.messages = [];
  resetChat();
  resetFiles();

  demo.signaling = 'connecting';
  session.handlers = {
    onMessage: (msg) => handleMessage(session, msg),
    onFailure: (code, message) => endSession(session, 'error', code, message),
    onLost: () => onSignalingLost(session),
    onRetry: () => rejoinFresh(session), // a redirected socket failed: join again through our own server
  };
  connectSignaling(session, session.handlers);
}

export function leaveCall() {
  const session = current;
  if (!session || session.ended) return;
  send(session, { type: 'leave' });
  endSession(session, 'left', 'left');
}

// Frees what a session holds: the connections, the socket, the camera (unless taken away first),
// the tiles.
function releaseSession(session) {
  session.ended = true;
  demo.signaling = 'closed';
  clearInterval(session.levelTimer);
  clearInterval(session.layerTimer);
  session.timers.forEach(clearTimeout);
  closeSignaling(session);
  closeDataChannels(session);
  for (const pc of [demo.publishPc, demo.subscribePc]) {
    if (pc) try { pc.close(); } catch { /* already closed */ }
  }
  demo.publishPc = demo.subscribePc = null;
  if (demo.localStream) demo.localStream.getTracks().forEach((t) => t.stop());
  demo.localStream = null;
  for (const pid of [...session.tiles.keys()]) removeTile(session, pid);
  if (session.localTile) session.localTile.tile.remove();
  session.localTile = null;
  demo.participants = new Map();
  ui.list.replaceChildren();
  ui.count.textContent = '0';
}

// A resume was refused (the participant's grace ran out, the server restarted): the call joins
// afresh, as a new participant, with the same camera and microphone.
export function rejoinFresh(session) {
  if (session.ended) return;
  const stream = demo.localStream;
  demo.localStream = null; // kept for the new session
  releaseSession(session);
  setState('joining');
  startSession({ room: session.room, name: session.name, stream });
}

// Cluster mode: the room lives on another node (or this one drains): join again there, as a new
// participant, with the same camera and microphone.
function followRedirect(session, msg) {
  if (typeof msg.url !== 'string' || !/^wss?:\/\/[^\s]+$/.test(msg.url)) return;
  demo.signalingTarget = msg.url;
  demo.redirects += 1;
  rejoinFresh(session);
}

// Ends a session and shows why. state: 'left' or 'error'.
// reason: 'left' | 'kicked' | 'room_closed' | error code.
function endSession(session, state, reason, message, extra = {}) {
  if (session.ended) return;
  releaseSession(session);
  demo.endReason = reason;
  document.title = 'SFU conference';

  const room = session.room;
  const rejoin = { label: 'Rejoin', testid: 'rejoin', onClick: () => ui.form.requestSubmit() };
  if (state === 'error') {
    fail(reason, message, extra);
    const titles = {
      server_unreachable: "Can't reach the server.",
      server_gone: 'Lost the connection to the server.',
      join_unanswered: 'The server did not answer.',
      join_timeout: 'The media connection never came up.',
      room_full: `Room "${room}" is full.`,
      unauthorized: 'Not allowed to join.',
      connection_lost: 'Lost the media connection.',
    };
    const retry = reason === 'server_unreachable' || reason === 'join_unanswered' ? { ...rejoin, label: 'Try again' } : rejoin;
    showBanner('error', titles[reason] || `Could not join "${room}".`, message, [retry]);
  } else if (reason === 'kicked') {
    fail('kicked', message || 'You were removed from the room.', extra);
    showBanner('warning', 'You were removed from the room.', extra.reason ? `Reason: ${extra.reason}` : '', [rejoin]);
  } else if (reason === 'room_closed') {
    fail('room_closed', message || 'The room was closed.', extra);
    showBanner('info', `Room "${room}" was closed.`, extra.reason ? `Reason: ${extra.reason}` : '', [rejoin]);
  } else {
    showBanner('info', `You left "${room}".`, '', [rejoin]);
  }
  setState(state);
}

function handleMessage(session, msg) {
  switch (msg.type) {
    case 'joined':
      session.resumeToken = msg.resume_token || null;
      demo.signaling = 'open';
      onJoined(session, msg);
      break;
    case 'resumed':
      onResumed(session, msg);
      break;
    case 'publish_answer':
      onPublishAnswer(session, msg);
      break;
    case 'subscribe_offer':
      onSubscribeOffer(session, msg);
      break;
    case 'participant_joined':
      onParticipantJoined(session, msg.participant || {});
      break;
    case 'participant_left':
      onParticipantLeft(session, msg.participant_id);
      break;
    case 'track_published':
      onTrackPublished(session, msg.participant_id, msg.track || {});
      break;
    case 'track_unpublished':
      onTrackUnpublished(session, msg.participant_id, msg.track_id);
      break;
    case 'track_paused':
      onTrackPaused(session, msg, true);
      break;
    case 'track_resumed':
      onTrackPaused(session, msg, false);
      break;
    case 'bandwidth':
      onBandwidth(session, msg);
      break;
    case 'active_speakers':
      onActiveSpeakers(session, msg);
      break;
    case 'publisher_layers':
      onPublisherLayers(session, msg);
      break;
    case 'redirect':
      followRedirect(session, msg);
      break;
    case 'kicked':
      endSession(session, 'left', 'kicked', null, { reason: msg.reason || '' });
      break;
    case 'room_closed':
      endSession(session, 'left', 'room_closed', null, { reason: msg.reason || '' });
      break;
    case 'error':
      onServerError(session, msg);
      break;
    case 'pong':
      session.lastPong = Date.now();
      break;
    default:
      // Unknown types are ignored: the protocol may grow.
      break;
  }
}

function onServerError(session, msg) {
  const code = msg.code || 'error';
  const message = msg.message || code;
  if (msg.request_type === 'resume') {
    // The socket stays open after a refused resume; what follows depends on why.
    const outcome = resumeRefused(session, code, message);
    if (outcome === 'rejoin') rejoinFresh(session);
    else if (outcome === 'end') endSession(session, 'error', code, message, { requestType: 'resume' });
    return;
  }
  session.lastServerError = { code, message, at: Date.now() };
  // A restart asked for while a subscribe_offer was on its way: that offer is answered first,
  // and ice_recovery.js asks again if the connection is still down. Nothing to show.
  if (msg.request_type === 'restart_ice' && code === 'conflict') return;
  if (demo.state === 'joining') {
    // Nothing but `join` was sent yet: the call cannot go on.
    endSession(session, 'error', code, message, { requestType: msg.request_type });
    return;
  }
  fail(code, message, { requestType: msg.request_type });
  const what = {
    publish: 'The server did not accept your camera/microphone',
    subscribe_answer: "The server did not accept this browser's answer",
  }[msg.request_type];
  showBanner('error', what ? `${what}.` : `Server error: ${code}.`, message);
}
