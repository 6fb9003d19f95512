// Session resume in the demo page (docs/protocol.md 2.7): Bob's signaling WebSocket is closed from
// page script and his browser goes offline for 3 s (DevTools network emulation: new sockets fail,
// WebRTC is not affected), so his reconnect attempts fail until the network is back. The page
// shows "reconnecting", comes back by itself with the same participant id, keeps decoding, and
// Alice never sees him leave. A second test keeps him away longer than the server's grace (20 s by
// default): his resume is refused and the page joins afresh as a new participant.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  baseUrl,
  demoState,
  joinThroughUi,
  launchBrowser,
  newParticipantPage,
  rest,
  rtpStats,
  progressingStreams,
  sleep,
  uniqueRoom,
  waitFor,
  waitForMediaFlow,
} from './helpers.mjs';

let browser;
after(async () => {
  if (browser) await browser.close().catch(() => {});
});

// Every WebSocket the page opens, so the test can close the one in use (as a network drop would,
// without a goodbye: code 4000, which the server treats as a lost socket).
function recordSockets() {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.__sockets.push(this);
    }
  };
}

async function metric(sample) {
  const { text } = await rest('GET', '/metrics');
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

// Closes the page's open signaling socket and resolves once its close event fired.
function dropSignaling(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const ws = [...window.__sockets].reverse().find((s) => s.readyState === WebSocket.OPEN);
    ws.addEventListener('close', () => resolve(Date.now()));
    ws.close(4000, 'test: network lost');
  }));
}

async function twoParticipants(t, room) {
  const base = baseUrl();
  browser ??= await launchBrowser();
  const alice = await newParticipantPage(browser, base);
  const bob = await newParticipantPage(browser, base);
  await bob.addInitScript(recordSockets);
  t.after(async () => {
    for (const page of [alice, bob]) {
      if (!page.isClosed() && page.logs.length) t.diagnostic(`console: ${page.logs.slice(-20).join(' | ')}`);
      await page.context().close().catch(() => {});
    }
  });
  const aliceId = await joinThroughUi(alice, { base, room, name: 'Alice' });
  const bobId = await joinThroughUi(bob, { base, room, name: 'Bob' });
  await waitForMediaFlow(alice, { video: 1, audio: 1, label: 'Alice' });
  await waitForMediaFlow(bob, { video: 1, audio: 1, label: 'Bob' });
  return { alice, bob, aliceId, bobId };
}

const sawLeave = (state, id) => state.messages.some((m) => m.type === 'participant_left' && m.participant_id === id);

test('a lost signaling socket comes back by itself with the same id and media keeps decoding', { timeout: 120000 }, async (t) => {
  const room = uniqueRoom('resume');
  const { alice, bob, aliceId, bobId } = await twoParticipants(t, room);
  const resumedBefore = await metric('sfu_resumes_total{result="ok"}');
  const aliceBefore = await rtpStats(alice);
  const bobBefore = await rtpStats(bob);

  const droppedAt = await dropSignaling(bob);
  await bob.context().setOffline(true);
  await waitFor("Bob's page to say it is reconnecting", async () => {
    const s = await bob.evaluate(() => ({
      signaling: window.sfuDemo.signaling,
      badge: document.querySelector('[data-testid="connection-state"]').textContent,
    }));
    return s.signaling === 'reconnecting' && s.badge.includes('reconnecting') ? s : null;
  }, { timeoutMs: 5000, intervalMs: 100 });
  await sleep(Math.max(0, 3000 - (Date.now() - droppedAt)));
  // Both still decode each other over the gap: the peer connections never needed the socket.
  const aliceGap = progressingStreams(aliceBefore, await rtpStats(alice));
  const bobGap = progressingStreams(bobBefore, await rtpStats(bob));
  assert.ok(aliceGap.video >= 1 && aliceGap.audio >= 1, `Alice decoded Bob over the gap: ${JSON.stringify(aliceGap)}`);
  assert.ok(bobGap.video >= 1 && bobGap.audio >= 1, `Bob decoded Alice over the gap: ${JSON.stringify(bobGap)}`);
  const attemptsOffline = await bob.evaluate(() => window.__sockets.length);
  assert.equal(await bob.evaluate(() => window.sfuDemo.signaling), 'reconnecting', 'no socket got through while offline');

  const onlineAt = Date.now();
  await bob.context().setOffline(false);
  const back = await waitFor('Bob to be resumed', async () => {
    const s = await bob.evaluate(() => ({
      signaling: window.sfuDemo.signaling,
      reconnects: window.sfuDemo.reconnects,
      last: window.sfuDemo.lastReconnect,
      participantId: window.sfuDemo.participantId,
      state: window.sfuDemo.state,
    }));
    return s.signaling === 'open' && s.reconnects === 1 ? { ...s, at: Date.now() } : null;
  }, { timeoutMs: 20000, intervalMs: 50 });
  assert.equal(back.participantId, bobId, 'the same participant id');
  assert.equal(back.state, 'joined');
  assert.equal(back.last.result, 'resumed');
  assert.ok(attemptsOffline >= 2, `reconnect attempts were made while offline (${attemptsOffline - 1})`);

  await waitForMediaFlow(bob, { video: 1, audio: 1, label: 'Bob after the resume' });
  await waitForMediaFlow(alice, { video: 1, audio: 1, label: 'Alice after the resume' });
  const a = await demoState(alice);
  assert.ok(!sawLeave(a, bobId), 'Alice never saw Bob leave');
  assert.ok(bobId in a.participants, 'Bob is still in Alice\'s list');
  const b = await demoState(bob);
  assert.ok(aliceId in b.participants, 'Alice is in Bob\'s list after the resume');
  assert.equal(b.state, 'joined');
  assert.equal(await metric('sfu_resumes_total{result="ok"}'), resumedBefore + 1);
  t.diagnostic(`[ metric ] chromium: socket closed and offline ${onlineAt - droppedAt} ms; back online -> resumed `
    + `${back.at - onlineAt} ms (page: ${back.last.ms} ms since the drop, ${back.last.attempts} attempts)`);
});

test('away longer than the grace: the resume is refused and the page joins afresh', { timeout: 120000 }, async (t) => {
  const room = uniqueRoom('resume-late');
  const { alice, bob, bobId } = await twoParticipants(t, room);
  const expiredBefore = await metric('sfu_resumes_total{result="expired"}');
  await dropSignaling(bob);
  await bob.context().setOffline(true);
  // The server's default grace is 20 s; Alice sees Bob leave once it runs out.
  await waitFor('Alice to see Bob leave after his grace', async () => sawLeave(await demoState(alice), bobId),
    { timeoutMs: 40000, intervalMs: 500 });
  const left = (await demoState(alice)).messages.find((m) => m.type === 'participant_left' && m.participant_id === bobId);
  assert.equal(left.reason, 'resume grace expired');
  await bob.context().setOffline(false);
  const fresh = await waitFor('Bob to join afresh', async () => {
    const s = await demoState(bob);
    return s.state === 'joined' && s.participantId && s.participantId !== bobId ? s : null;
  }, { timeoutMs: 30000, intervalMs: 250 });
  assert.equal(await metric('sfu_resumes_total{result="expired"}'), expiredBefore + 1);
  await waitForMediaFlow(alice, { video: 1, audio: 1, label: 'Alice with the new Bob' });
  await waitForMediaFlow(bob, { video: 1, audio: 1, label: 'the new Bob' });
  const a = await demoState(alice);
  assert.ok(fresh.participantId in a.participants, 'Alice sees the new Bob');
});
