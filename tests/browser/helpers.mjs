// Shared helpers of the browser end-to-end tests: launching Debian's Chromium through
// playwright-core, driving the demo page, reading WebRTC stats, REST calls, and a raw
// signaling client. run.sh starts the server and passes its address in SFU_BASE_URL.
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';

export const CHROMIUM_PATH = process.env.CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
];

// The server under test, e.g. http://127.0.0.1:18080 (set by run.sh).
export function baseUrl() {
  const url = process.env.SFU_BASE_URL;
  if (!url) throw new Error('SFU_BASE_URL is not set: run these tests through tests/browser/run.sh');
  return url.replace(/\/+$/, '');
}

export function wsUrl(base = baseUrl()) {
  return `${base.replace(/^http/, 'ws')}/v1/rtc`;
}

export function uniqueRoom(prefix = 'e2e') {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls `probe` until it returns a truthy value; returns that value. On timeout, throws with
// `what` and the last value or error seen, which is usually what explains the failure.
export async function waitFor(what, probe, { timeoutMs = 10000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (last) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError ? `last error: ${lastError.stack || lastError}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${detail}`);
    }
    await sleep(intervalMs);
  }
}

// ------------------------------------------------------------------ browser

export async function launchBrowser({ executablePath = CHROMIUM_PATH, extraArgs = [] } = {}) {
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs], timeout: 60000 });
}

// A fresh context (own cookies, storage, devices) per participant. Console errors and page
// errors are kept on `page.logs` so a failing test can print them.
export async function newParticipantPage(browser, base = baseUrl()) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  await context.grantPermissions(['camera', 'microphone'], { origin: base });
  // Short action timeouts: a click that cannot happen should fail fast and say why.
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  page.logs = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') page.logs.push(`[${msg.type()}] ${msg.text()}`);
  });
  page.on('pageerror', (err) => page.logs.push(`[pageerror] ${err.stack || err}`));
  return page;
}

// `[data-testid="<id>"]`: a selector both playwright and puppeteer pages understand.
export const byTestId = (id) => `[data-testid="${id}"]`;

// Joins through the demo page's UI: fills the room (also given in ?room=) and the name,
// clicks Join and waits for the `joined` state. Returns the participant id. Works on a
// playwright (Chromium) and a puppeteer (Firefox, firefox.mjs) page alike.
// `query`: more of the page's URL parameters (e.g. '&codec=vp9&svc=L3T3_KEY').
export async function joinThroughUi(page, { base = baseUrl(), room, name, timeoutMs = 20000, query = '' }) {
  await openDemoPage(page, `${base}/?room=${encodeURIComponent(room)}${query}`);
  await page.locator(byTestId('room-input')).fill(room);
  await page.locator(byTestId('name-input')).fill(name);
  await page.locator(byTestId('join-button')).click();
  await waitForJoined(page, { room, name, timeoutMs });
  return (await demoState(page)).participantId;
}

// Opens the demo page and waits until its script has run (`window.sfuDemo` is set), loading it
// again if it did not: a module that failed to load leaves a page whose Join button submits the
// plain HTML form (a reload) instead of joining.
export async function openDemoPage(page, url) {
  for (let attempt = 1; ; attempt++) {
    await page.goto(url);
    const ready = await waitFor('the demo page script to run', () => page.evaluate(() => Boolean(window.sfuDemo)),
      { timeoutMs: 5000, intervalMs: 100 }).catch(() => false);
    if (ready) return;
    if (attempt === 3) throw new Error(`the demo page at ${url} never ran its script; console:\n${(page.logs || []).join('\n')}`);
  }
}

// Waits until the demo page has joined `room`; on a timeout the error carries what the page
// showed (state, last error, messages, console), so a failure in CI says why.
export async function waitForJoined(page, { room, name, timeoutMs = 20000 }) {
  try {
    return await waitFor(`"${name}" to join room ${room}`, async () => {
      const s = await demoState(page);
      if (s.state === 'error') throw new Error(`the page is in error state: ${JSON.stringify(s.lastError)}`);
      return s.state === 'joined' && s.participantId ? s : null;
    }, { timeoutMs });
  } catch (err) {
    const s = await demoState(page).catch((e) => ({ unavailable: String(e) }));
    err.message += `\npage state: ${JSON.stringify({ state: s.state, lastError: s.lastError, endReason: s.endReason, messageTypes: s.messageTypes })}`;
    err.message += `\npage console (last 20):\n${(page.logs || []).slice(-20).join('\n')}`;
    throw err;
  }
}

// A JSON-safe snapshot of window.sfuDemo.
export function demoState(page) {
  return page.evaluate(() => {
    const d = window.sfuDemo;
    const participants = {};
    const entries = d.participants instanceof Map ? [...d.participants.entries()] : Object.entries(d.participants || {});
    for (const [id, p] of entries) participants[id] = { name: p.name, tracks: p.tracks };
    return {
      state: d.state,
      participantId: d.participantId,
      participants,
      lastError: d.lastError,
      endReason: d.endReason,
      messageTypes: (d.messages || []).map((m) => m.type),
      messages: d.messages || [],
    };
  });
}

// The participant ids of the remote tiles whose <video> shows decoded frames.
export function remoteTilesWithVideo(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="video-tile"]:not([data-local])')]
      .filter((tile) => {
        const video = tile.querySelector('video');
        return video && video.videoWidth > 0 && video.readyState >= 2;
      })
      .map((tile) => tile.dataset.participantId),
  );
}

export function tileIds(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="video-tile"]')].map((tile) => tile.dataset.participantId),
  );
}

export function participantListIds(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="participant-list"] [data-testid="participant-item"]')].map(
      (item) => item.dataset.participantId,
    ),
  );
}

// ------------------------------------------------------------------ WebRTC stats

// inbound-rtp / outbound-rtp reports of the page's subscribe (or publish) connection.
export function rtpStats(page, which = 'subscribePc') {
  return page.evaluate(async (which) => {
    const pc = window.sfuDemo[which];
    if (!pc) return [];
    const report = await pc.getStats();
    const out = [];
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp' && s.type !== 'outbound-rtp') return;
      out.push({
        id: s.id,
        type: s.type,
        kind: s.kind,
        ssrc: s.ssrc,
        mid: s.mid,
        trackIdentifier: s.trackIdentifier,
        packetsReceived: s.packetsReceived,
        packetsLost: s.packetsLost,
        packetsSent: s.packetsSent,
        framesDecoded: s.framesDecoded,
        framesEncoded: s.framesEncoded,
        nackCount: s.nackCount,
        retransmittedPacketsSent: s.retransmittedPacketsSent,
        retransmittedPacketsReceived: s.retransmittedPacketsReceived,
        bytesReceived: s.bytesReceived,
        bytesSent: s.bytesSent,
        totalSamplesReceived: s.totalSamplesReceived,
        concealedSamples: s.concealedSamples,
        mimeType: s.codecId && report.get(s.codecId) ? report.get(s.codecId).mimeType : null,
      });
    });
    return out;
  }, which);
}

// Counts the inbound streams that progressed between two snapshots: video whose framesDecoded
// is > 0 and rising, audio whose packetsReceived is rising.
export function progressingStreams(before, after) {
  const old = new Map(before.filter((s) => s.type === 'inbound-rtp').map((s) => [s.id, s]));
  let video = 0;
  let audio = 0;
  for (const s of after) {
    if (s.type !== 'inbound-rtp') continue;
    const prev = old.get(s.id);
    if (!prev) continue;
    if (s.kind === 'video' && s.framesDecoded > 0 && s.framesDecoded > (prev.framesDecoded || 0)) video++;
    if (s.kind === 'audio' && s.packetsReceived > (prev.packetsReceived || 0)) audio++;
  }
  return { video, audio };
}

// Waits until the page decodes `video` video streams and receives `audio` audio streams, each
// still progressing between two polls a second apart.
export async function waitForMediaFlow(page, { video, audio, timeoutMs = 60000, label = 'page' }) {
  let last = null;
  try {
    return await waitFor(`${label} to decode ${video} video and receive ${audio} audio streams`, async () => {
      const before = await rtpStats(page);
      await sleep(1000);
      const after = await rtpStats(page);
      last = { progress: progressingStreams(before, after), inbound: after.filter((s) => s.type === 'inbound-rtp') };
      return last.progress.video >= video && last.progress.audio >= audio ? last : null;
    }, { timeoutMs, intervalMs: 500 });
  } catch (err) {
    err.message += `\nlast stats of ${label}: ${JSON.stringify(last)}`;
    throw err;
  }
}

// ------------------------------------------------------------------ REST

export async function rest(method, path, { body, rawBody, base = baseUrl(), headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (rawBody !== undefined) {
    init.body = rawBody;
    init.headers['content-type'] ??= 'application/json';
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text, headers: response.headers };
}

// ------------------------------------------------------------------ raw signaling client

// A WebSocket client that queues every message it receives; `next(predicate)` takes the first
// queued (or future) message that matches.
export class SignalingClient {
  static connect(url = wsUrl(), { timeoutMs = 10000 } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { maxPayload: 1 << 20 });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`WebSocket ${url} did not open within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(new SignalingClient(ws));
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.received = [];
    this.waiters = new Set();
    this.closed = null;
    ws.on('message', (data, isBinary) => {
      let msg;
      try {
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        msg = { type: '<non-json>', raw: data.toString('utf8'), isBinary };
      }
      this.queue.push(msg);
      this.received.push(msg);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on('error', () => {
      /* 'close' follows */
    });
  }

  wake() {
    for (const waiter of [...this.waiters]) waiter();
  }

  send(message) {
    this.ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  // Resolves with the first message that satisfies `predicate` (removing it from the queue).
  next(predicate = () => true, { timeoutMs = 10000, what = 'a message' } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const index = this.queue.findIndex(predicate);
        if (index >= 0) {
          const [msg] = this.queue.splice(index, 1);
          done();
          resolve(msg);
          return;
        }
        if (this.closed) {
          done();
          reject(new Error(`connection closed (${this.closed.code} ${this.closed.reason}) before ${what}; ` +
            `received: ${JSON.stringify(this.received.map(brief))}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs} ms; received: ${JSON.stringify(this.received.map(brief))}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  nextOfType(type, options = {}) {
    return this.next((m) => m.type === type, { what: `a "${type}" message`, ...options });
  }

  // Sends a ping and waits for the pong; everything the server sent in answer to earlier
  // messages on this connection is queued by then.
  async roundTrip(options = {}) {
    this.send({ type: 'ping' });
    return this.nextOfType('pong', options);
  }

  waitClosed({ timeoutMs = 10000 } = {}) {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`the server did not close the connection within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (!this.closed) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(this.closed);
      };
      this.waiters.add(check);
    });
  }

  close() {
    if (!this.closed) this.ws.close(1000);
  }
}

function brief(msg) {
  if (msg && typeof msg.sdp === 'string') return { ...msg, sdp: `<${msg.sdp.length} bytes>` };
  return msg;
}

// A minimal but well-formed publish offer: BUNDLE, rtcp-mux, DTLS fingerprint, ICE
// credentials, one sendonly m-section per entry of `sections` ({kind, rtpmaps: ['96 VP8/90000']}).
export function makeOffer(sections) {
  const fingerprint = [...randomBytes(32)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
  const ufrag = randomBytes(4).toString('hex');
  const pwd = randomBytes(12).toString('hex');
  const lines = [
    'v=0',
    `o=- ${Date.now()} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    `a=group:BUNDLE ${sections.map((_, i) => i).join(' ')}`,
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS stream0',
  ];
  sections.forEach((section, i) => {
    const pts = section.rtpmaps.map((r) => r.split(' ')[0]);
    lines.push(
      `m=${section.kind} 9 UDP/TLS/RTP/SAVPF ${pts.join(' ')}`,
      'c=IN IP4 0.0.0.0',
      'a=rtcp:9 IN IP4 0.0.0.0',
      `a=ice-ufrag:${ufrag}`,
      `a=ice-pwd:${pwd}`,
      'a=ice-options:trickle',
      `a=fingerprint:sha-256 ${fingerprint}`,
      'a=setup:actpass',
      `a=mid:${i}`,
      'a=sendonly',
      `a=msid:stream0 track${i}`,
      'a=rtcp-mux',
      'a=rtcp-rsize',
      ...section.rtpmaps.map((r) => `a=rtpmap:${r}`),
      `a=ssrc:${1000 + i} cname:e2e`,
      `a=ssrc:${1000 + i} msid:stream0 track${i}`,
    );
  });
  return `${lines.join('\r\n')}\r\n`;
}

// ------------------------------------------------------------------ simulcast

// The inbound video stats of `publisherId`'s tile on `page`: frameWidth, framesDecoded and
// Chromium's freeze counters.
export function videoOf(page, publisherId) {
  return page.evaluate(async (pid) => {
    const d = window.sfuDemo;
    const tile = document.querySelector(`[data-testid="video-tile"][data-participant-id="${pid}"]`);
    const video = tile && tile.querySelector('video');
    const track = video && video.srcObject ? video.srcObject.getVideoTracks()[0] : null;
    if (!track || !d.subscribePc) return null;
    const report = await d.subscribePc.getStats();
    let found = null;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video' && s.trackIdentifier === track.id) found = s;
    });
    if (!found) return null;
    const shown = tile.querySelector('[data-testid="tile-resolution"]');
    return {
      frameWidth: found.frameWidth || 0,
      frameHeight: found.frameHeight || 0,
      framesDecoded: found.framesDecoded || 0,
      freezeCount: found.freezeCount || 0,
      totalFreezesDuration: found.totalFreezesDuration || 0,
      shown: shown ? shown.textContent : '',
      // For diagnostics.
      framesReceived: found.framesReceived || 0,
      keyFramesDecoded: found.keyFramesDecoded || 0,
      packetsReceived: found.packetsReceived || 0,
      packetsLost: found.packetsLost || 0,
      nackCount: found.nackCount || 0,
      pliCount: found.pliCount || 0,
      firCount: found.firCount || 0,
    };
  }, publisherId);
}

// Waits until `page` decodes `publisherId` at a width that `accept` takes, with frames still
// being decoded; returns the stats.
export async function decodesAt(page, publisherId, what, accept, timeoutMs = 60000) {
  let last = null;
  try {
    return await waitFor(what, async () => {
      const before = await videoOf(page, publisherId);
      await new Promise((r) => setTimeout(r, 1000));
      const now = await videoOf(page, publisherId);
      last = now;
      if (!before || !now || now.framesDecoded <= before.framesDecoded) return null;
      return (await accept(now.frameWidth)) ? now : null;
    }, { timeoutMs, intervalMs: 500 });
  } catch (err) {
    err.message += `; last stats: ${JSON.stringify(last)}`;
    throw err;
  }
}
