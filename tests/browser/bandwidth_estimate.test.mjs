// The server's send-side bandwidth estimate toward a Chromium subscriber: Chromium accepts the
// transport-cc extension the subscribe offer gives, reads the server's transport-wide sequence
// numbers and sends transport-cc feedback, and the estimate the REST room view shows is nonzero
// and in a sane range of what Chromium receives (getStats bytesReceived). Chromium reports
// availableIncomingBitrate only for receive-side (REMB) estimation; it is printed when present.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  baseUrl,
  joinThroughUi,
  launchBrowser,
  newParticipantPage,
  rest,
  sleep,
  uniqueRoom,
  waitFor,
  waitForMediaFlow,
} from './helpers.mjs';

let browser;

after(async () => {
  if (browser) await browser.close().catch(() => {});
});

// Bytes received on the subscribe connection's transport, and the selected pair's incoming estimate.
function transportStats(page) {
  return page.evaluate(async () => {
    const report = await window.sfuDemo.subscribePc.getStats();
    let bytesReceived = 0;
    let availableIncomingBitrate;
    report.forEach((s) => {
      if (s.type === 'transport') bytesReceived += s.bytesReceived ?? 0;
      if (s.type === 'candidate-pair' && s.nominated && s.availableIncomingBitrate !== undefined)
        availableIncomingBitrate = s.availableIncomingBitrate;
    });
    return { at: performance.now(), bytesReceived, availableIncomingBitrate };
  });
}

test('the server estimates a Chromium subscriber\'s downlink from its transport-cc feedback', { timeout: 180000 }, async (t) => {
  const base = baseUrl();
  const room = uniqueRoom('bwe');
  browser = await launchBrowser();
  const alice = await newParticipantPage(browser, base);
  const bob = await newParticipantPage(browser, base);
  await joinThroughUi(alice, { base, room, name: 'Alice' });
  const bobId = await joinThroughUi(bob, { base, room, name: 'Bob' });
  await waitForMediaFlow(bob, { video: 1, audio: 1, timeoutMs: 90000, label: 'Bob' });

  const bandwidth = async () => {
    const reply = await rest('GET', `/v1/rooms/${room}`, { base });
    assert.equal(reply.status, 200);
    return reply.json.participants.find((p) => p.id === bobId)?.bandwidth;
  };
  await waitFor("Bob's transport-cc feedback to reach the server", async () => {
    const b = await bandwidth();
    return b && b.source === 'transport-cc' && b.feedbacks > 20 ? b : null;
  }, { timeoutMs: 30000 });

  // What Chromium receives over 8 s, and the server's estimate at the end.
  const first = await transportStats(bob);
  await sleep(8000);
  const last = await transportStats(bob);
  const receivedBps = (8 * (last.bytesReceived - first.bytesReceived)) / ((last.at - first.at) / 1000);
  const b = await bandwidth();
  t.diagnostic(`Bob receives ${Math.round(receivedBps / 1000)} kbit/s; server estimate ${JSON.stringify(b)}; ` +
    `Chromium availableIncomingBitrate ${last.availableIncomingBitrate ?? 'not reported'}`);
  assert.equal(b.source, 'transport-cc');
  assert.ok(b.estimate_bps > 0, 'a nonzero estimate');
  assert.ok(b.acknowledged_bps > 0.5 * receivedBps && b.acknowledged_bps < 2 * receivedBps + 50000,
    `acknowledged ${b.acknowledged_bps} vs received ${receivedBps}`);
  // On loopback nothing limits the link: the estimate sits at or above what is sent (over-use
  // cuts to 0.85 x it), from its start of 1 Mbit/s rising no further than 1.5 x the peaks of what
  // arrives + 10 kbit/s.
  assert.ok(b.estimate_bps >= 0.5 * receivedBps, `estimate ${b.estimate_bps} vs received ${receivedBps}`);
  assert.ok(b.estimate_bps <= Math.max(1000000, 3 * receivedBps + 100000),
    `estimate ${b.estimate_bps} vs received ${receivedBps}`);
  assert.ok(b.loss < 0.05, `loss ${b.loss}`);
  if (last.availableIncomingBitrate !== undefined) {
    assert.ok(b.estimate_bps > last.availableIncomingBitrate / 4 && b.estimate_bps < last.availableIncomingBitrate * 4,
      `estimate ${b.estimate_bps} vs Chromium's ${last.availableIncomingBitrate}`);
  }
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /sfu_transport_cc_feedback_total\{worker="\d+",result="parsed"\} [1-9]/);
  assert.doesNotMatch(metrics, /sfu_bwe_unstamped_total\{worker="\d+"\} [1-9]/);
});
