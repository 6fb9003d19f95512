// Audio RED (RFC 2198) through the demo page (Chromium). Alice's page prefers audio/red (the
// default: setCodecPreferences with red first), so the server answers red and Chromium sends RED.
// Bob's page accepts red as well and receives Alice's audio as audio/red; Carol's page (`?red=0`)
// answers the subscribe offer without red and receives Alice's audio as plain audio/opus, the
// primary blocks the server takes out of each RED packet. Both must play it: getStats
// totalSamplesReceived rising, with few concealed samples.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, demoState, joinThroughUi, launchBrowser, newParticipantPage, sleep, uniqueRoom, waitFor } from './helpers.mjs';

let browser;
after(async () => {
  if (browser) await browser.close().catch(() => {});
});

// Audio RTP streams of one of the page's connections, with their codec's mimeType.
function audioStats(page, which) {
  return page.evaluate(async (which) => {
    const pc = window.sfuDemo[which];
    if (!pc) return [];
    const report = await pc.getStats();
    const out = [];
    report.forEach((s) => {
      if ((s.type !== 'inbound-rtp' && s.type !== 'outbound-rtp') || s.kind !== 'audio') return;
      const codec = s.codecId ? report.get(s.codecId) : null;
      out.push({
        type: s.type,
        mid: s.mid,
        trackIdentifier: s.trackIdentifier,
        mimeType: codec ? codec.mimeType : null,
        packets: s.packetsReceived ?? s.packetsSent,
        totalSamplesReceived: s.totalSamplesReceived,
        concealedSamples: s.concealedSamples,
      });
    });
    return out;
  }, which);
}

// The streams whose totalSamplesReceived rose over two seconds.
async function playingAudio(page) {
  const before = await audioStats(page, 'subscribePc');
  await sleep(2000);
  const after = await audioStats(page, 'subscribePc');
  return after.filter((s) => {
    const prev = before.find((b) => b.mid === s.mid);
    return s.type === 'inbound-rtp' && prev && s.totalSamplesReceived > (prev.totalSamplesReceived || 0);
  });
}

const sdpOf = (page, which, side) => page.evaluate(([w, d]) => window.sfuDemo[w]?.[d]?.sdp || '', [which, side]);

test('audio RED: a red subscriber gets audio/red, one refusing red gets audio/opus, both play', { timeout: 180000 }, async (t) => {
  const base = baseUrl();
  const room = uniqueRoom('red');
  browser = await launchBrowser({ extraArgs: ['--autoplay-policy=no-user-gesture-required'] });
  const alice = { name: 'Alice', page: await newParticipantPage(browser, base) };
  const bob = { name: 'Bob', page: await newParticipantPage(browser, base) };
  const carol = { name: 'Carol', page: await newParticipantPage(browser, base) };
  t.after(async () => {
    for (const p of [alice, bob, carol]) {
      const state = await demoState(p.page).catch((err) => ({ error: String(err) }));
      const errors = (state.messages || []).filter((m) => m.type === 'error');
      t.diagnostic(`${p.name}: errors ${JSON.stringify(errors)} audio ${JSON.stringify(await audioStats(p.page, 'subscribePc').catch(() => []))}`);
      if (p.page.logs.length) t.diagnostic(`${p.name} console: ${p.page.logs.slice(-10).join(' | ')}`);
    }
  });
  alice.id = await joinThroughUi(alice.page, { base, room, name: alice.name, query: '&simulcast=0' });
  bob.id = await joinThroughUi(bob.page, { base, room, name: bob.name, query: '&simulcast=0' });
  carol.id = await joinThroughUi(carol.page, { base, room, name: carol.name, query: '&simulcast=0&red=0' });

  // Alice: the server's answer took red, and Chromium sends it.
  const aliceAnswer = await waitFor('Alice\'s publish answer', () => sdpOf(alice.page, 'publishPc', 'currentRemoteDescription'));
  assert.match(aliceAnswer, /a=rtpmap:\d+ red\/48000\/2/, 'the publish answer takes red');
  const sending = await waitFor('Alice to send audio/red', async () => {
    const out = (await audioStats(alice.page, 'publishPc')).filter((s) => s.type === 'outbound-rtp');
    return out.some((s) => s.mimeType === 'audio/red' && s.packets > 0) ? out : null;
  }, { timeoutMs: 30000 });
  t.diagnostic(`Alice sends ${JSON.stringify(sending)}`);

  // Carol's subscribe answer has no red; Bob's has.
  const carolAnswer = await waitFor('Carol\'s subscribe answer', () => sdpOf(carol.page, 'subscribePc', 'currentLocalDescription'));
  assert.doesNotMatch(carolAnswer, /red\/48000/, 'Carol (?red=0) answers without red');
  const bobAnswer = await waitFor('Bob\'s subscribe answer', () => sdpOf(bob.page, 'subscribePc', 'currentLocalDescription'));
  assert.match(bobAnswer, /red\/48000\/2/, 'Bob accepts red');

  // Bob plays Alice's audio as RED (and Carol's, who publishes plain Opus, as Opus).
  const bobPlaying = await waitFor('Bob to play audio/red', async () => {
    const playing = await playingAudio(bob.page);
    return playing.some((s) => s.mimeType === 'audio/red') ? playing : null;
  }, { timeoutMs: 60000, intervalMs: 500 });
  t.diagnostic(`Bob plays ${JSON.stringify(bobPlaying)}`);

  // Carol plays both (Alice's primary blocks and Bob's), as Opus only.
  const carolPlaying = await waitFor('Carol to play two audio/opus streams', async () => {
    const playing = await playingAudio(carol.page);
    return playing.length >= 2 ? playing : null;
  }, { timeoutMs: 60000, intervalMs: 500 });
  t.diagnostic(`Carol plays ${JSON.stringify(carolPlaying)}`);
  for (const s of carolPlaying) assert.equal(s.mimeType, 'audio/opus', `Carol's streams are Opus: ${JSON.stringify(s)}`);
  // Concealment stays a small share of what Carol played: the primaries decode as Opus.
  for (const s of carolPlaying) {
    assert.ok(s.concealedSamples < s.totalSamplesReceived / 4,
      `Carol conceals ${s.concealedSamples} of ${s.totalSamplesReceived} samples`);
  }
});
