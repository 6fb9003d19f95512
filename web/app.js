// Demo conference page of the SFU. Vanilla JS, no build step, no dependencies.
//
// Signaling follows PROTOCOL.md: one WebSocket at /v1/rtc on the page's own origin and two
// RTCPeerConnections per participant. On the *publish* connection this page offers its own
// tracks (sendonly transceivers); on the *subscribe* connection the server offers the other
// participants' tracks and this page answers. Each m-section of a subscribe offer carries
// `a=msid:<participant_id> <track_id>`, which is how remote media is mapped to people.
//
// State for tests and curious people is on `window.sfuDemo` (see the `demo` object below).
'use strict';

(() => {
  const ROOM_RE = /^[A-Za-z0-9_-]{1,64}$/;
  const PING_INTERVAL_MS = 20000;
  const CONNECT_TIMEOUT_MS = 10000; // WebSocket open
  const JOIN_TIMEOUT_MS = 15000; // `joined` after `join`
  const NAME_STORAGE_KEY = 'sfuDemo.name';
  const MESSAGE_LOG_LIMIT = 500;
  // The server is ICE-lite with its candidates in its SDP: no STUN/TURN servers are needed.
  const PC_CONFIG = { bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require', iceServers: [] };

  const $ = (id) => document.getElementById(id);

  // Everything a test may want to read. `participants` holds the *other* participants only
  // (id -> {id, name, tracks: [{id, kind}]}); the participant list on screen also shows "you".
  const demo = {
    state: 'idle', // 'idle' | 'joining' | 'joined' | 'left' | 'error'
    participantId: null,
    room: null,
    name: null,
    participants: new Map(),
    lastError: null, // {code, message, requestType?}
    endReason: null, // 'left' | 'kicked' | 'room_closed' | 'server_gone' | ... once a call ended
    publishPc: null,
    subscribePc: null,
    localStream: null,
    messages: [], // messages received from the server, newest last, SDP bodies elided
    join: (options) => joinCall(options),
    leave: () => leaveCall(),
  };
  window.sfuDemo = demo;

  // One object per attempt to join; handlers of an old session check `session !== current`
  // and do nothing, so late events of a closed socket or connection cannot disturb a new call.
  let current = null;
  let sessionCounter = 0;

  // ---------------------------------------------------------------- UI helpers

  const ui = {
    lobby: $('lobby'),
    call: $('call'),
    form: $('join-form'),
    roomInput: $('room-input'),
    nameInput: $('name-input'),
    useCamera: $('use-camera'),
    useMic: $('use-mic'),
    joinButton: $('join-button'),
    grid: $('grid'),
    muteAudio: $('mute-audio'),
    muteVideo: $('mute-video'),
    leaveButton: $('leave-button'),
    list: $('participant-list'),
    count: $('people-count'),
    roomInfo: $('room-info'),
    roomName: $('room-name'),
    connState: $('conn-state'),
    banner: $('banner'),
    bannerTitle: $('banner-title'),
    bannerMessage: $('banner-message'),
    bannerActions: $('banner-actions'),
    bannerClose: $('banner-close'),
  };

  function el(tag, props = {}, children = []) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === 'className') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('data-') || key.startsWith('aria-') || key === 'role') node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) node.append(child);
    return node;
  }

  // Line icons drawn on a 24x24 grid (inline SVG: no icon font, no emoji font needed).
  const ICON_PATHS = {
    mic: ['M12 3a3 3 0 0 1 3 3v5a3 3 0 0 1-6 0V6a3 3 0 0 1 3-3z', 'M5 11a7 7 0 0 0 14 0', 'M12 18v3'],
    'mic-off': ['M12 3a3 3 0 0 1 3 3v5a3 3 0 0 1-6 0V6a3 3 0 0 1 3-3z', 'M5 11a7 7 0 0 0 14 0', 'M12 18v3', 'M3 3l18 18'],
    camera: ['M4 7h10a2 2 0 0 1 2 2v6a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2z', 'M16 11l6-3v8l-6-3'],
    'camera-off': ['M4 7h10a2 2 0 0 1 2 2v6a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2z', 'M16 11l6-3v8l-6-3', 'M2 3l19 18'],
    leave: ['M10 12h11', 'M17 8l4 4-4 4', 'M14 4H5a1 1 0 0 0-1 1v14a1 1 0 0 0 1 1h9'],
  };

  function icon(name) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.classList.add('svg-icon', `icon-${name}`);
    for (const d of ICON_PATHS[name]) {
      const path = document.createElementNS(ns, 'path');
      path.setAttribute('d', d);
      svg.append(path);
    }
    return svg;
  }

  // kind: 'error' | 'warning' | 'info'. actions: [{label, testid, onClick}]
  function showBanner(kind, title, message, actions = []) {
    ui.banner.hidden = false;
    ui.banner.dataset.kind = kind;
    ui.bannerTitle.textContent = title;
    ui.bannerMessage.textContent = message || '';
    ui.bannerActions.replaceChildren(
      ...actions.map((a) =>
        el('button', { type: 'button', className: 'banner-action', text: a.label, 'data-testid': a.testid, onclick: a.onClick }),
      ),
    );
  }

  function hideBanner() {
    ui.banner.hidden = true;
    ui.bannerActions.replaceChildren();
  }
  ui.bannerClose.addEventListener('click', hideBanner);

  function toast(text) {
    let box = document.querySelector('.toasts');
    if (!box) {
      box = el('div', { className: 'toasts', role: 'status', 'aria-live': 'polite' });
      document.body.append(box);
    }
    const item = el('div', { className: 'toast', text });
    box.append(item);
    setTimeout(() => item.remove(), 3500);
  }

  function setState(state) {
    demo.state = state;
    document.body.dataset.state = state;
    const inCall = state === 'joined';
    ui.lobby.hidden = inCall;
    ui.call.hidden = !inCall;
    ui.roomInfo.hidden = !inCall;
    ui.joinButton.disabled = state === 'joining';
    ui.joinButton.textContent = state === 'joining' ? 'Joining…' : 'Join';
    ui.roomInput.disabled = ui.nameInput.disabled = state === 'joining';
    if (inCall) layoutGrid();
  }

  function fail(code, message, extra = {}) {
    demo.lastError = { code, message, ...extra };
    console.warn(`sfu-demo: ${code}: ${message}`);
  }

  function initials(name) {
    const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
    return ((parts[0]?.[0] || '?') + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
  }

  function displayName(pid) {
    const p = demo.participants.get(pid);
    return (p && p.name) || `Guest ${String(pid).slice(0, 6)}`;
  }

  // ---------------------------------------------------------------- lobby

  function prefillLobby() {
    const params = new URLSearchParams(location.search);
    const room = params.get('room');
    if (room) ui.roomInput.value = room;
    let savedName = '';
    try {
      savedName = localStorage.getItem(NAME_STORAGE_KEY) || '';
    } catch {
      /* storage may be disabled */
    }
    if (params.get('name')) savedName = params.get('name');
    ui.nameInput.value = savedName;
    (ui.roomInput.value ? ui.nameInput : ui.roomInput).focus();
  }

  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    joinCall({
      room: ui.roomInput.value.trim(),
      name: ui.nameInput.value.trim(),
      audio: ui.useMic.checked,
      video: ui.useCamera.checked,
    });
  });

  // ---------------------------------------------------------------- media acquisition

  function describeMediaError(err, what) {
    switch (err && err.name) {
      case 'NotAllowedError':
      case 'SecurityError':
        return `Permission to use your ${what} was denied. Allow it in the browser's site settings, or join without it.`;
      case 'NotFoundError':
      case 'OverconstrainedError':
        return `No ${what.replace(' and ', ' or ')} was found on this device.`;
      case 'NotReadableError':
      case 'AbortError':
        return `Your ${what} could not be started; another application may be using it.`;
      default:
        return `Your ${what} is not available (${(err && (err.message || err.name)) || 'unknown error'}).`;
    }
  }

  async function acquireMedia(audio, video) {
    if (!audio && !video) return null;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      const err = new Error('camera and microphone need a secure page (https:// or localhost)');
      err.name = 'SecurityError';
      throw err;
    }
    return navigator.mediaDevices.getUserMedia({
      audio: audio ? { echoCancellation: true, noiseSuppression: true } : false,
      video: video ? { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } } : false,
    });
  }

  // ---------------------------------------------------------------- joining and leaving

  async function joinCall({ room, name, audio = true, video = true }) {
    if (demo.state === 'joining' || demo.state === 'joined') return;
    hideBanner();
    if (!ROOM_RE.test(room || '')) {
      fail('invalid_room', 'Room names are 1 to 64 letters, digits, "-" or "_".');
      showBanner('error', 'Check the room name.', demo.lastError.message);
      ui.roomInput.focus();
      return;
    }
    if (!name) {
      fail('invalid_name', 'Please enter your name.');
      showBanner('error', 'Who are you?', demo.lastError.message);
      ui.nameInput.focus();
      return;
    }
    try {
      localStorage.setItem(NAME_STORAGE_KEY, name);
    } catch {
      /* storage may be disabled */
    }
    const url = new URL(location.href);
    if (url.searchParams.get('room') !== room) {
      url.searchParams.set('room', room);
      history.replaceState(null, '', url);
    }

    demo.room = room;
    demo.name = name;
    demo.lastError = null;
    demo.endReason = null;
    setState('joining');

    let stream = null;
    try {
      stream = await acquireMedia(audio, video);
    } catch (err) {
      const what = audio && video ? 'camera and microphone' : video ? 'camera' : 'microphone';
      fail('media_unavailable', describeMediaError(err, what), { name: err && err.name });
      setState('error');
      const actions = [];
      if (video && audio) {
        actions.push({ label: 'Join audio-only', testid: 'join-audio-only', onClick: () => joinCall({ room, name, audio: true, video: false }) });
      }
      actions.push({ label: 'Join receive-only', testid: 'join-receive-only', onClick: () => joinCall({ room, name, audio: false, video: false }) });
      actions.push({ label: 'Try again', testid: 'retry-media', onClick: () => joinCall({ room, name, audio, video }) });
      showBanner('warning', `Can't use your ${what}.`, demo.lastError.message, actions);
      return;
    }
    startSession({ room, name, stream });
  }

  // Always the page's own origin: a link must not be able to send someone's camera elsewhere.
  function signalingUrl() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/v1/rtc`;
  }

  function startSession({ room, name, stream }) {
    const session = {
      id: ++sessionCounter,
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
    };
    current = session;
    demo.localStream = stream;
    demo.participants = new Map();
    demo.participantId = null;
    demo.messages = [];

    const url = signalingUrl();
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (err) {
      endSession(session, 'error', 'server_unreachable', `Cannot open a connection to ${url}: ${err.message}`);
      return;
    }
    session.ws = ws;
    session.timers.push(
      setTimeout(() => {
        if (session === current && !session.opened) {
          try { ws.close(); } catch { /* already closed */ }
          endSession(session, 'error', 'server_unreachable', `The server at ${url} did not answer.`);
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
            endSession(session, 'error', 'join_timeout', 'The server accepted the connection but did not answer the join request.');
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
        handleMessage(session, msg);
      } catch (err) {
        console.error('sfu-demo: handling', msg.type, err);
      }
    };
    ws.onclose = (event) => {
      if (session !== current || session.ended) return;
      if (!session.opened) {
        endSession(session, 'error', 'server_unreachable', `Cannot reach the server at ${url}. Is it running?`);
      } else if (session.lastServerError && Date.now() - session.lastServerError.at < 5000) {
        // The server said why before it closed (e.g. connection_lost, too_many_errors).
        const last = session.lastServerError;
        endSession(session, 'error', last.code || 'server_gone', last.message || 'The server closed the connection.');
      } else {
        endSession(session, 'error', 'server_gone',
          `The connection to the server was closed${event.code ? ` (code ${event.code}${event.reason ? `: ${event.reason}` : ''})` : ''}.`);
      }
    };
    ws.onerror = () => {
      /* onclose follows and says what happened */
    };
  }

  function send(session, msg) {
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

  function leaveCall() {
    const session = current;
    if (!session || session.ended) return;
    send(session, { type: 'leave' });
    endSession(session, 'left', 'left');
  }

  window.addEventListener('pagehide', () => {
    if (current && !current.ended) send(current, { type: 'leave' });
  });

  // Ends a session: frees the connections, the socket, the camera, the tiles; shows why.
  // state: 'left' or 'error'. reason: 'left' | 'kicked' | 'room_closed' | error code.
  function endSession(session, state, reason, message, extra = {}) {
    if (session.ended) return;
    session.ended = true;
    clearInterval(session.pingTimer);
    clearInterval(session.levelTimer);
    session.timers.forEach(clearTimeout);
    if (session.ws) {
      session.ws.onclose = session.ws.onmessage = session.ws.onopen = null;
      try { session.ws.close(1000); } catch { /* already closed */ }
    }
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
    demo.endReason = reason;
    document.title = 'SFU conference';

    const room = session.room;
    const rejoin = { label: 'Rejoin', testid: 'rejoin', onClick: () => ui.form.requestSubmit() };
    if (state === 'error') {
      fail(reason, message, extra);
      const titles = {
        server_unreachable: "Can't reach the server.",
        server_gone: 'Lost the connection to the server.',
        join_timeout: 'The server did not answer.',
        room_full: `Room "${room}" is full.`,
        unauthorized: 'Not allowed to join.',
        connection_lost: 'Lost the media connection.',
      };
      const retry = reason === 'server_unreachable' || reason === 'join_timeout' ? { ...rejoin, label: 'Try again' } : rejoin;
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

  // ---------------------------------------------------------------- signaling messages

  function handleMessage(session, msg) {
    switch (msg.type) {
      case 'joined':
        onJoined(session, msg);
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
    session.lastServerError = { code, message, at: Date.now() };
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

  function onJoined(session, msg) {
    if (demo.state !== 'joining') return;
    demo.participantId = msg.participant_id;
    demo.room = msg.room || session.room;
    for (const p of msg.participants || []) {
      if (!p || p.id === undefined || p.id === demo.participantId) continue;
      demo.participants.set(p.id, { id: p.id, name: p.name || '', tracks: normalizeTracks(p.tracks) });
    }
    ui.roomName.textContent = demo.room;
    document.title = `${demo.room} — SFU conference`;
    setState('joined');
    createLocalTile(session);
    renderParticipants();
    updateMuteButtons();
    updateConnState();
    session.levelTimer = setInterval(() => updateAudioLevels(session), 250);
    if (demo.localStream && demo.localStream.getTracks().length) {
      session.publishChain = session.publishChain.then(() => startPublishing(session)).catch((err) => {
        if (session !== current) return;
        fail('publish_failed', err.message || String(err));
        showBanner('error', 'Could not send your camera/microphone.', demo.lastError.message);
      });
    }
  }

  function normalizeTracks(tracks) {
    return Array.isArray(tracks) ? tracks.filter((t) => t && t.id !== undefined).map((t) => ({ id: t.id, kind: t.kind })) : [];
  }

  function onParticipantJoined(session, participant) {
    if (participant.id === undefined || participant.id === demo.participantId) return;
    session.departed.delete(participant.id);
    const existing = demo.participants.get(participant.id);
    demo.participants.set(participant.id, {
      id: participant.id,
      name: participant.name || (existing && existing.name) || '',
      tracks: existing ? existing.tracks : normalizeTracks(participant.tracks),
    });
    toast(`${displayName(participant.id)} joined`);
    renderParticipants();
    refreshTileLabels(session);
  }

  function onParticipantLeft(session, pid) {
    if (pid === undefined) return;
    const name = displayName(pid);
    session.departed.add(pid);
    const had = demo.participants.delete(pid);
    removeTile(session, pid);
    renderParticipants();
    if (had) toast(`${name} left`);
  }

  function onTrackPublished(session, pid, track) {
    if (pid === undefined || pid === demo.participantId || track.id === undefined) return;
    let p = demo.participants.get(pid);
    if (!p) {
      p = { id: pid, name: '', tracks: [] };
      demo.participants.set(pid, p);
    }
    if (!p.tracks.some((t) => t.id === track.id)) p.tracks.push({ id: track.id, kind: track.kind });
    session.unpublished.delete(`${pid}/${track.id}`);
    renderParticipants();
  }

  function onTrackUnpublished(session, pid, trackId) {
    const p = demo.participants.get(pid);
    if (p) p.tracks = p.tracks.filter((t) => t.id !== trackId);
    session.unpublished.add(`${pid}/${trackId}`);
    syncRemoteMedia(session);
    renderParticipants();
  }

  // ---------------------------------------------------------------- publish connection

  async function startPublishing(session) {
    const stream = demo.localStream;
    const pc = new RTCPeerConnection(PC_CONFIG);
    demo.publishPc = pc;
    pc.onconnectionstatechange = () => {
      if (session !== current) return;
      updateConnState();
      if (pc.connectionState === 'failed') {
        fail('publish_connection_failed', 'Your media could not reach the server (UDP blocked?).');
        showBanner('error', 'Media connection failed.', demo.lastError.message, [
          { label: 'Rejoin', testid: 'rejoin', onClick: () => { leaveCall(); ui.form.requestSubmit(); } },
        ]);
      }
    };
    for (const track of stream.getTracks()) {
      pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    }
    const offer = await pc.createOffer();
    if (session !== current) return;
    await pc.setLocalDescription(offer);
    if (session !== current) return;
    send(session, { type: 'publish', sdp: pc.localDescription.sdp });
  }

  function onPublishAnswer(session, msg) {
    session.publishChain = session.publishChain
      .then(async () => {
        const pc = demo.publishPc;
        if (session !== current || !pc || pc.signalingState !== 'have-local-offer') return;
        await pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
        updateConnState();
      })
      .catch((err) => {
        if (session !== current) return;
        fail('bad_publish_answer', `The browser rejected the server's answer: ${err.message || err}`);
        showBanner('error', 'Could not send your camera/microphone.', demo.lastError.message);
      });
  }

  // ---------------------------------------------------------------- subscribe connection

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
    const pc = new RTCPeerConnection(PC_CONFIG);
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
    pc.onconnectionstatechange = () => {
      if (session !== current) return;
      updateConnState();
      if (pc.connectionState === 'failed') {
        fail('subscribe_connection_failed', "Other participants' media could not reach you (UDP blocked?).");
        showBanner('error', 'Media connection failed.', demo.lastError.message);
      }
    };
    return pc;
  }

  function onSubscribeOffer(session, msg) {
    session.subscribeChain = session.subscribeChain
      .then(async () => {
        if (session !== current) return;
        const pc = ensureSubscribePc(session);
        session.midInfo = parseOfferSections(msg.sdp);
        await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
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
  function syncRemoteMedia(session) {
    const pc = demo.subscribePc;
    const wanted = new Map(); // participant id -> [MediaStreamTrack]
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
      }
    }
    for (const [pid, tracks] of wanted) {
      const entry = session.tiles.get(pid) || createRemoteTile(session, pid);
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
  }

  // ---------------------------------------------------------------- tiles

  function buildTile({ pid, name, local, avatarName = name }) {
    const video = el('video', { autoplay: true, playsInline: true, muted: !!local });
    if (local) video.classList.add('mirror');
    const avatar = el('div', { className: 'avatar', 'aria-hidden': 'true' }, [el('span', { text: initials(avatarName) })]);
    const label = el('span', { className: 'tile-name', 'data-testid': 'tile-name', text: name });
    const micOff = el('span', { className: 'mic-off', title: 'Microphone off', hidden: true }, [icon('mic-off')]);
    const indicator = el('span', { className: 'audio-indicator', 'data-testid': 'audio-indicator', title: 'Audio level' }, [
      el('i'), el('i'), el('i'),
    ]);
    const footer = el('div', { className: 'tile-footer' }, [indicator, label, micOff]);
    const tile = el('div', { className: 'tile', 'data-testid': 'video-tile', 'data-participant-id': pid ?? '' }, [video, avatar, footer]);
    if (local) tile.dataset.local = 'true';
    return { tile, video, avatar, label, micOff, indicator, stream: null };
  }

  function createLocalTile(session) {
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

  function createRemoteTile(session, pid) {
    const entry = buildTile({ pid, name: displayName(pid), local: false });
    session.tiles.set(pid, entry);
    ui.grid.append(entry.tile);
    layoutGrid();
    return entry;
  }

  function removeTile(session, pid) {
    const entry = session.tiles.get(pid);
    if (!entry) return;
    entry.video.srcObject = null;
    entry.tile.remove();
    session.tiles.delete(pid);
    layoutGrid();
  }

  function refreshTileLabels(session) {
    for (const [pid, entry] of session.tiles) {
      const name = displayName(pid);
      entry.label.textContent = name;
      entry.avatar.firstChild.textContent = initials(name);
    }
  }

  // Shows the avatar instead of the video when there is no live video, and the mic-off mark.
  function refreshTileMedia(session) {
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

  async function updateAudioLevels(session) {
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
  function layoutGrid() {
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
  window.addEventListener('resize', layoutGrid);

  // ---------------------------------------------------------------- participant list

  function trackIcons(kinds, audioOn = true, videoOn = true) {
    const icons = [];
    if (kinds.has('audio')) {
      icons.push(el('span', { className: `icon${audioOn ? '' : ' off'}`, title: audioOn ? 'Microphone on' : 'Microphone off' }, [icon(audioOn ? 'mic' : 'mic-off')]));
    }
    if (kinds.has('video')) {
      icons.push(el('span', { className: `icon${videoOn ? '' : ' off'}`, title: videoOn ? 'Camera on' : 'Camera off' }, [icon(videoOn ? 'camera' : 'camera-off')]));
    }
    if (!icons.length) icons.push(el('span', { className: 'icon muted-text', text: 'no media' }));
    return icons;
  }

  function renderParticipants() {
    const items = [];
    if (demo.participantId !== null) {
      const stream = demo.localStream;
      const kinds = new Set(stream ? stream.getTracks().map((t) => t.kind) : []);
      const a = stream && stream.getAudioTracks()[0];
      const v = stream && stream.getVideoTracks()[0];
      items.push(
        el('li', { className: 'participant self', 'data-testid': 'participant-item', 'data-participant-id': demo.participantId }, [
          el('span', { className: 'avatar-sm', text: initials(demo.name) }),
          el('span', { className: 'pname', text: `${demo.name} (you)` }),
          el('span', { className: 'icons' }, trackIcons(kinds, !a || a.enabled, !v || v.enabled)),
        ]),
      );
    }
    const others = [...demo.participants.values()].sort((x, y) => displayName(x.id).localeCompare(displayName(y.id)));
    for (const p of others) {
      items.push(
        el('li', { className: 'participant', 'data-testid': 'participant-item', 'data-participant-id': p.id }, [
          el('span', { className: 'avatar-sm', text: initials(displayName(p.id)) }),
          el('span', { className: 'pname', text: displayName(p.id) }),
          el('span', { className: 'icons' }, trackIcons(new Set(p.tracks.map((t) => t.kind)))),
        ]),
      );
    }
    ui.list.replaceChildren(...items);
    ui.count.textContent = String(items.length);
  }

  // ---------------------------------------------------------------- mute buttons

  function updateMuteButtons() {
    const stream = demo.localStream;
    const set = (button, track, labels, icons) => {
      const off = !track || !track.enabled;
      button.disabled = !track;
      button.setAttribute('aria-pressed', String(!!track && !track.enabled));
      button.dataset.state = !track ? 'unavailable' : off ? 'off' : 'on';
      button.classList.toggle('off', off);
      const label = !track ? labels.none : off ? labels.off : labels.on;
      button.querySelector('.ctl-label').textContent = label;
      button.querySelector('.ctl-icon').replaceChildren(icon(off ? icons.off : icons.on));
      button.title = label;
    };
    set(ui.muteAudio, stream && stream.getAudioTracks()[0],
      { on: 'Mute mic', off: 'Unmute mic', none: 'No mic' }, { on: 'mic', off: 'mic-off' });
    set(ui.muteVideo, stream && stream.getVideoTracks()[0],
      { on: 'Stop camera', off: 'Start camera', none: 'No camera' }, { on: 'camera', off: 'camera-off' });
  }

  function toggleTrack(kind) {
    const stream = demo.localStream;
    const track = stream && (kind === 'audio' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0]);
    if (!track) return;
    track.enabled = !track.enabled;
    updateMuteButtons();
    renderParticipants();
    if (current) refreshTileMedia(current);
  }
  ui.muteAudio.addEventListener('click', () => toggleTrack('audio'));
  ui.muteVideo.addEventListener('click', () => toggleTrack('video'));
  ui.leaveButton.addEventListener('click', () => leaveCall());

  // ---------------------------------------------------------------- connection state

  function updateConnState() {
    const states = [demo.publishPc, demo.subscribePc].filter(Boolean).map((pc) => pc.connectionState);
    let text = 'signaling connected';
    let kind = 'ok';
    if (states.includes('failed')) { text = 'media failed'; kind = 'bad'; }
    else if (states.includes('disconnected')) { text = 'media interrupted'; kind = 'warn'; }
    else if (states.some((s) => s === 'new' || s === 'connecting')) { text = 'connecting media…'; kind = 'warn'; }
    else if (states.length && states.every((s) => s === 'connected')) { text = 'connected'; kind = 'ok'; }
    ui.connState.textContent = text;
    ui.connState.dataset.kind = kind;
  }

  // ---------------------------------------------------------------- start

  setState('idle');
  prefillLobby();
})();
