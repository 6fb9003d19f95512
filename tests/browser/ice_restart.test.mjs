// ICE restart with Chromium (docs/protocol.md 3.1): two pages in a room; the publisher calls
// pc.restartIce() and renegotiates its publish connection (window.sfuDemo.restartIce('publish')),
// the server answers with new ICE credentials, Chromium checks new pairs (new local ports) and
// moves to them; the subscriber keeps decoding and never sees the publisher leave. Then the
// subscriber asks for a restart of its own subscribe connection (`restart_ice`) and keeps
// decoding too. Prints how long Chromium took to move its selected pair to the new generation.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  baseUrl,
  demoState,
  joinThroughUi,
  launchBrowser,
  newParticipantPage,
  rtpStats,
  sleep,
  uniqueRoom,
  waitFor,
  waitForMediaFlow,
} from './helpers.mjs';

let browser;

after(async () => {
  if (browser) await browser.close().catch(() => {});
});

// The connection's ICE state as the page sees it: the ufrags of both descriptions and the local
// and remote ufrag and local port of the selected candidate pair (getStats).
function iceView(page, which) {
  return page.evaluate(async (which) => {
    const pc = window.sfuDemo[which];
    if (!pc) return null;
    const ufrag = (sdp) => (/a=ice-ufrag:(\S+)/.exec(sdp || '') || [])[1] || null;
    const view = {
      local: ufrag(pc.localDescription && pc.localDescription.sdp),
      remote: ufrag(pc.remoteDescription && pc.remoteDescription.sdp),
      signaling: pc.signalingState,
      ice: pc.iceConnectionState,
      selectedLocalUfrag: null,
      selectedLocalPort: null,
    };
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type !== 'transport' || !s.selectedCandidatePairId) return;
      view.selectedLocalUfrag = s.iceLocalUsernameFragment || null;
      const pair = report.get(s.selectedCandidatePairId);
      const local = pair && report.get(pair.localCandidateId);
      if (local) view.selectedLocalPort = local.port;
    });
    return view;
  }, which);
}

function videoFramesDecoded(stats) {
  return stats.filter((s) => s.type === 'inbound-rtp' && s.kind === 'video').reduce((n, s) => n + (s.framesDecoded || 0), 0);
}

// Samples the subscriber's decoded video frames every 250 ms while `during` runs, and returns the
// longest stretch in which none were decoded.
async function longestStall(page, during) {
  let running = true;
  let last = videoFramesDecoded(await rtpStats(page));
  let lastChange = Date.now();
  let longest = 0;
  const sampler = (async () => {
    while (running) {
      await sleep(250);
      const frames = videoFramesDecoded(await rtpStats(page));
      const now = Date.now();
      if (frames > last) {
        longest = Math.max(longest, now - lastChange);
        last = frames;
        lastChange = now;
      }
    }
    longest = Math.max(longest, Date.now() - lastChange);
  })();
  try {
    await during();
  } finally {
    running = false;
    await sampler;
  }
  return longest;
}

test('an ICE restart on either connection keeps the call going in Chromium', { timeout: 240000 }, async (t) => {
  const base = baseUrl();
  const room = uniqueRoom('restart');
  browser = await launchBrowser();
  const alice = { name: 'Alice', page: await newParticipantPage(browser, base) };
  const bob = { name: 'Bob', page: await newParticipantPage(browser, base) };
  let failed = true; // until the last line: a failure prints the pages' own view of things
  t.after(async () => {
    if (!failed) return;
    for (const p of [alice, bob]) {
      if (p.page.isClosed()) continue;
      const state = await demoState(p.page).catch((err) => ({ error: String(err) }));
      if (state.messages) state.messages = state.messages.slice(-20);
      t.diagnostic(`${p.name}: ${JSON.stringify(state)}`);
      if (p.page.logs.length) t.diagnostic(`${p.name} console: ${p.page.logs.slice(-20).join(' | ')}`);
    }
  });

  for (const p of [alice, bob]) p.id = await joinThroughUi(p.page, { base, room, name: p.name });
  await Promise.all([alice, bob].map((p) => waitForMediaFlow(p.page, { video: 1, audio: 1, timeoutMs: 90000, label: p.name })));

  // ---- the publisher restarts ICE on its publish connection
  const before = await iceView(alice.page, 'publishPc');
  assert.ok(before && before.local && before.remote, `publish connection before: ${JSON.stringify(before)}`);
  const started = Date.now();
  let moved = null;
  const stall = await longestStall(bob.page, async () => {
    assert.equal(await alice.page.evaluate(() => window.sfuDemo.restartIce('publish')), true);
    moved = await waitFor('the publish connection to restart and move to a pair of the new generation', async () => {
      const v = await iceView(alice.page, 'publishPc');
      const restarted = v && v.signaling === 'stable' && v.local !== before.local && v.remote !== before.remote;
      const onNewPair = v && (v.selectedLocalUfrag ? v.selectedLocalUfrag === v.local : v.selectedLocalPort !== before.selectedLocalPort);
      return restarted && onNewPair && ['connected', 'completed'].includes(v.ice) ? { ...v, ms: Date.now() - started } : null;
    }, { timeoutMs: 30000, intervalMs: 100 });
    await sleep(3000); // keep watching the subscriber after the move
  });
  t.diagnostic(`publish ICE restart: new server ufrag ${moved.remote} (was ${before.remote}); Chromium on the new pair after ${moved.ms} ms (local port ${before.selectedLocalPort} -> ${moved.selectedLocalPort}); longest gap in Bob's decoded video: ${stall} ms`);
  assert.ok(stall < 5000, `Bob's video stalled for ${stall} ms during Alice's ICE restart`);
  await waitForMediaFlow(bob.page, { video: 1, audio: 1, timeoutMs: 20000, label: 'Bob after the publish restart' });

  // ---- the subscriber asks the server to restart its subscribe connection
  const subBefore = await iceView(bob.page, 'subscribePc');
  const subStarted = Date.now();
  let subMoved = null;
  const subStall = await longestStall(bob.page, async () => {
    assert.equal(await bob.page.evaluate(() => window.sfuDemo.restartIce('subscribe')), true);
    subMoved = await waitFor('the subscribe connection to restart and move to a pair of the new generation', async () => {
      const v = await iceView(bob.page, 'subscribePc');
      const restarted = v && v.signaling === 'stable' && v.local !== subBefore.local && v.remote !== subBefore.remote;
      const onNewPair = v && (v.selectedLocalUfrag ? v.selectedLocalUfrag === v.local : v.selectedLocalPort !== subBefore.selectedLocalPort);
      return restarted && onNewPair && ['connected', 'completed'].includes(v.ice) ? { ...v, ms: Date.now() - subStarted } : null;
    }, { timeoutMs: 30000, intervalMs: 100 });
    await sleep(3000);
  });
  t.diagnostic(`subscribe restart_ice: new server ufrag ${subMoved.remote} (was ${subBefore.remote}); Chromium on the new pair after ${subMoved.ms} ms; longest gap in Bob's decoded video: ${subStall} ms`);
  assert.ok(subStall < 5000, `Bob's video stalled for ${subStall} ms during his ICE restart`);
  await waitForMediaFlow(bob.page, { video: 1, audio: 1, timeoutMs: 20000, label: 'Bob after the subscribe restart' });
  await waitForMediaFlow(alice.page, { video: 1, audio: 1, timeoutMs: 20000, label: 'Alice after both restarts' });

  // Nobody left, nothing was unpublished, no errors; the server counted both restarts.
  for (const p of [alice, bob]) {
    const s = await demoState(p.page);
    assert.equal(s.state, 'joined', `${p.name}: ${JSON.stringify(s.lastError)}`);
    assert.equal(s.lastError, null, `${p.name}: ${JSON.stringify(s.lastError)}`);
    const bad = s.messageTypes.filter((type) => ['participant_left', 'track_unpublished', 'error'].includes(type));
    assert.deepEqual(bad, [], `${p.name} received ${bad}`);
  }
  const metrics = await alice.page.evaluate(async () => (await fetch('/metrics')).text());
  const restarts = [...metrics.matchAll(/^sfu_ice_restarts_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  assert.ok(restarts >= 2, `sfu_ice_restarts_total: ${restarts}`);
  failed = false;
});
