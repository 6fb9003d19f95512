// The two RTCPeerConnections of a call. On the *publish* connection this page offers its own
// tracks (sendonly transceivers) and data channels; on the *subscribe* connection the server
// offers the other participants' tracks and data channels and this page answers. Each m-section of a subscribe offer carries
// `a=msid:<participant_id> <track_id>`, which is how remote media is mapped to people.
import { demo, current, PC_CONFIG } from './state.js';
import { ui } from './dom.js';
import { fail, showBanner } from './errors.js';
import { send } from './signaling.js';
import { createRemoteTile, removeTile, refreshTileMedia, layoutGrid } from './tiles.js';
import { updateConnState } from './controls.js';
import { openPublishChannels, onPublishAnswered, onRemoteChannel } from './data_channels.js';
import { updateLayerPreferences } from './layer_preferences.js';
import { watchIceConnection } from './ice_recovery.js';

// Three VP8 simulcast encodings of the camera, a quarter, half and full size (docs/protocol.md
// 3.2): the server forwards each subscriber the one that fits its tile. `?simulcast=0` sends one.
const SIMULCAST_ENCODINGS = [
  { rid: 'q', scaleResolutionDownBy: 4 },
  { rid: 'h', scaleResolutionDownBy: 2 },
  { rid: 'f', scaleResolutionDownBy: 1 },
];

function transceiverInit(track, stream) {
  const init = { direction: 'sendonly', streams: [stream] };
  const params = new URLSearchParams(location.search);
  const simulcast = params.get('simulcast') !== '0';
  // `?svc=L3T3_KEY` (a scalabilityMode, with `?codec=vp9` or `av1`): one SVC encoding instead of
  // simulcast; the server forwards each subscriber the spatial/temporal layers it asks for.
  const svc = params.get('svc');
  if (track.kind === 'video' && svc) init.sendEncodings = [{ scalabilityMode: svc }];
  else if (track.kind === 'video' && simulcast) init.sendEncodings = SIMULCAST_ENCODINGS.map((e) => ({ ...e }));
  return init;
}

// `?codec=vp9` (or av1, h264, vp8): that codec first in the publish offer's video m-section.
function preferCodec(transceiver, track) {
  const codec = new URLSearchParams(location.search).get('codec');
  if (!codec || track.kind !== 'video' || !transceiver.setCodecPreferences) return;
  const all = RTCRtpSender.getCapabilities('video')?.codecs || [];
  const wanted = all.filter((c) => c.mimeType.toLowerCase() === `video/${codec.toLowerCase()}`);
  if (!wanted.length) return console.warn(`?codec=${codec} ignored: this browser cannot send it`);
  transceiver.setCodecPreferences([...wanted, ...all.filter((c) => !wanted.includes(c))]);
}

// Audio RED (RFC 2198, docs/protocol.md 3.1): redundant Opus survives a lost packet. Chromium offers
// red/48000/2 but sends it only when it is the first codec, so the publish offer prefers it when
// the browser has it (Opus stays as the fallback). `?red=0` leaves red out of both connections:
// the publish offer has none (plain Opus), and the subscribe answers take none, so the server
// sends this page plain Opus.
const redWanted = () => new URLSearchParams(location.search).get('red') !== '0';
const isRed = (c) => c.mimeType.toLowerCase() === 'audio/red';

function preferRed(transceiver, track) {
  if (track.kind !== 'audio' || !transceiver.setCodecPreferences) return;
  const all = RTCRtpSender.getCapabilities('audio')?.codecs || [];
  const red = all.filter(isRed);
  if (!red.length) return;
  transceiver.setCodecPreferences(redWanted() ? [...red, ...all.filter((c) => !isRed(c))] : all.filter((c) => !isRed(c)));
}

// `?red=0`: the subscribe answer's audio m-sections leave red out.
function refuseRed(pc) {
  if (redWanted()) return;
  const all = RTCRtpReceiver.getCapabilities('audio')?.codecs || [];
  for (const transceiver of pc.getTransceivers()) {
    if (transceiver.receiver.track?.kind !== 'audio' || !transceiver.setCodecPreferences) continue;
    transceiver.setCodecPreferences(all.filter((c) => !isRed(c)));
  }
}

// PC_CONFIG with the TURN servers of `joined`. `?ice=relay` in the page's URL sets
// iceTransportPolicy 'relay': media only through the TURN relay, to try it out.
function peerConnectionConfig() {
  const config = { ...PC_CONFIG, iceServers: demo.iceServers };
  if (new URLSearchParams(location.search).get('ice') === 'relay') {
    if (demo.iceServers.length) config.iceTransportPolicy = 'relay';
    else console.warn('?ice=relay ignored: the server gave no TURN servers (turn.urls is not set)');
  }
  return config;
}

export async function startPublishing(session) {
  const stream = demo.localStream;
  const pc = new RTCPeerConnection(peerConnectionConfig());
  demo.publishPc = pc;
  const onIceState = watchIceConnection(session, pc, 'publish', {
    restart: () => restartIce(session, 'publish'),
    giveUp: () => {
      // demo.leave() is session.js's leaveCall(), reached through `demo` to avoid an import cycle.
      fail('publish_connection_failed', 'Your media could not reach the server (UDP blocked?).');
      showBanner('error', 'Media connection failed.', demo.lastError.message, [
        { label: 'Rejoin', testid: 'rejoin', onClick: () => { demo.leave(); ui.form.requestSubmit(); } },
      ]);
    },
  });
  pc.onconnectionstatechange = () => {
    if (session !== current) return;
    updateConnState();
    onIceState();
  };
  for (const track of stream ? stream.getTracks() : []) {
    const transceiver = pc.addTransceiver(track, transceiverInit(track, stream));
    preferCodec(transceiver, track);
    preferRed(transceiver, track);
  }
  // After the media: the data channels' m=application comes last in the offer.
  openPublishChannels(session, pc);
  const offer = await pc.createOffer();
  if (session !== current) return;
  await pc.setLocalDescription(offer);
  if (session !== current) return;
  send(session, { type: 'publish', sdp: pc.localDescription.sdp });
}

export function onPublishAnswer(session, msg) {
  session.publishChain = session.publishChain
    .then(async () => {
      const pc = demo.publishPc;
      if (session !== current || !pc || pc.signalingState !== 'have-local-offer') return;
      await pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
      onPublishAnswered(session, msg.sdp);
      if (!/^m=\S+ [1-9]/m.test(msg.sdp)) {
        // Nothing accepted (no media, and a server without data channels): this connection
        // would stay "new" for ever and the page would say "connecting" for ever.
        pc.close();
        demo.publishPc = null;
      }
      updateConnState();
    })
    .catch((err) => {
      if (session !== current) return;
      fail('bad_publish_answer', `The browser rejected the server's answer: ${err.message || err}`);
      showBanner('error', 'Could not send your camera/microphone.', demo.lastError.message);
    });
}

// ICE restart (docs/protocol.md 3.1), e.g. after a network change: on the publish connection this
// page is the offerer and restarts by itself (pc.restartIce(), then a publish offer with new ICE
// credentials, answered with new server ones); on the subscribe connection it asks the server
// (`restart_ice`), whose next subscribe_offer restarts and is answered as usual. DTLS and the
// tracks stay, media goes on. Resolves with whether a request went out.
export function restartIce(session, connection = 'publish') {
  if (connection === 'subscribe') {
    return Promise.resolve(Boolean(demo.subscribePc) && send(session, { type: 'restart_ice', connection: 'subscribe' }));
  }
  const restarted = session.publishChain.then(async () => {
    const pc = demo.publishPc;
    if (session !== current || !pc || pc.signalingState !== 'stable') return false;
    pc.restartIce();
    const offer = await pc.createOffer();
    if (session !== current) return false;
    await pc.setLocalDescription(offer);
    return send(session, { type: 'publish', sdp: pc.localDescription.sdp });
  }).catch((err) => {
    if (session === current) showBanner('warning', 'Could not restart the media connection.', String(err.message || err));
    return false;
  });
  session.publishChain = restarted;
  return restarted;
}

// Reads, per m-section of an offer, its mid, kind, msid and whether it is live.
function parseOfferSections(sdp) {
  const sections = new Map();
  const parts = String(sdp).split(/\r?\n(?=m=)/);
  for (const part of parts.slice(1)) {
    const lines = part.split(/\r?\n/);
    const m = /^m=(\S+) (\d+)/.exec(lines[0]);
    let mid = null;
    let msid = null;
    let direction = 'sendrecv';
    let bundleOnly = false;
    for (const line of lines) {
      if (line.startsWith('a=mid:')) mid = line.slice(6).trim();
      else if (line.startsWith('a=msid:')) {
        const [streamId, trackId] = line.slice(7).trim().split(/\s+/);
        msid = { streamId, trackId };
      } else if (/^a=(sendrecv|sendonly|recvonly|inactive)\s*$/.test(line)) direction = line.slice(2).trim();
      else if (line.startsWith('a=bundle-only')) bundleOnly = true;
    }
    if (mid === null || !m) continue;
    const portZero = m[2] === '0' && !bundleOnly;
    sections.set(mid, {
      kind: m[1],
      participantId: msid ? msid.streamId : null,
      trackId: msid ? msid.trackId : null,
      active: !portZero && (direction === 'sendonly' || direction === 'sendrecv'),
    });
  }
  return sections;
}

function ensureSubscribePc(session) {
  if (demo.subscribePc) return demo.subscribePc;
  const pc = new RTCPeerConnection(peerConnectionConfig());
  demo.subscribePc = pc;
  pc.ontrack = (event) => {
    if (session !== current) return;
    const mid = event.transceiver && event.transceiver.mid;
    if (mid !== null && mid !== undefined && event.streams && event.streams[0]) {
      session.streamIdByMid.set(mid, event.streams[0].id);
    }
    const track = event.track;
    track.addEventListener('ended', () => session === current && syncRemoteMedia(session));
    track.addEventListener('mute', () => session === current && refreshTileMedia(session));
    track.addEventListener('unmute', () => session === current && refreshTileMedia(session));
  };
  pc.ondatachannel = (event) => onRemoteChannel(session, event.channel);
  const onIceState = watchIceConnection(session, pc, 'subscribe', {
    restart: () => restartIce(session, 'subscribe'),
    giveUp: () => {
      fail('subscribe_connection_failed', "Other participants' media could not reach you (UDP blocked?).");
      showBanner('error', 'Media connection failed.', demo.lastError.message);
    },
  });
  pc.onconnectionstatechange = () => {
    if (session !== current) return;
    updateConnState();
    onIceState();
  };
  return pc;
}

export function onSubscribeOffer(session, msg) {
  session.subscribeChain = session.subscribeChain
    .then(async () => {
      if (session !== current) return;
      const pc = ensureSubscribePc(session);
      session.midInfo = parseOfferSections(msg.sdp);
      await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
      refuseRed(pc);
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      if (session !== current) return;
      send(session, { type: 'subscribe_answer', sdp: pc.localDescription.sdp });
      syncRemoteMedia(session);
      updateConnState();
    })
    .catch((err) => {
      if (session !== current) return;
      fail('bad_subscribe_offer', `The browser rejected the server's offer: ${err.message || err}`);
      showBanner('error', "Could not receive the others' media.", demo.lastError.message);
    });
}

// Recomputes which remote tracks belong to whom from the live transceivers and the latest
// offer, then makes the tiles match: a tile per participant with at least one live track.
// The server reuses inactive m-sections for new tracks, so the same receiver track may move
// from one participant to another; nothing here trusts an earlier mapping.
export function syncRemoteMedia(session) {
  const pc = demo.subscribePc;
  const wanted = new Map(); // participant id -> [MediaStreamTrack]
  const videoTrackIds = new Map(); // participant id -> the server's id of its video track
  if (pc) {
    for (const transceiver of pc.getTransceivers()) {
      const mid = transceiver.mid;
      if (mid === null || transceiver.stopped || transceiver.currentDirection === 'stopped') continue;
      if (transceiver.currentDirection && !['recvonly', 'sendrecv'].includes(transceiver.currentDirection)) continue;
      const info = session.midInfo.get(mid);
      if (info && !info.active) continue;
      const pid = (info && info.participantId) || session.streamIdByMid.get(mid);
      if (!pid || pid === '-' || pid === demo.participantId || session.departed.has(pid)) continue;
      if (info && info.trackId && session.unpublished.has(`${pid}/${info.trackId}`)) continue;
      const track = transceiver.receiver.track;
      if (!track || track.readyState === 'ended') continue;
      if (!wanted.has(pid)) wanted.set(pid, []);
      wanted.get(pid).push(track);
      if (track.kind === 'video' && info && info.trackId) videoTrackIds.set(pid, info.trackId);
    }
  }
  for (const [pid, tracks] of wanted) {
    const entry = session.tiles.get(pid) || createRemoteTile(session, pid);
    entry.videoTrackId = videoTrackIds.get(pid) || null;
    const have = entry.stream ? entry.stream.getTracks() : [];
    const same = have.length === tracks.length && tracks.every((t) => have.includes(t));
    if (!same) {
      entry.stream = new MediaStream(tracks);
      entry.video.srcObject = entry.stream;
      entry.video.play().catch(() => { /* autoplay may wait for a gesture */ });
    }
  }
  for (const pid of [...session.tiles.keys()]) {
    if (!wanted.has(pid)) removeTile(session, pid);
  }
  refreshTileMedia(session);
  layoutGrid();
  updateLayerPreferences(session);
}
