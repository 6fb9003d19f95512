// Audio RED (RFC 2198) through the demo page (Chromium). Alice's page prefers audio/red (the
// default: setCodecPreferences with red first), so the server answers red and Chromium sends RED.
// Bob's page accepts red as well and receives Alice's audio as RED; Carol's page (`?red=0`)
// publishes plain Opus and answers the subscribe offer without red, so she receives Alice's audio
// as plain Opus: the primary blocks the server takes out of each RED packet. Both must play it
// (getStats totalSamplesReceived rising, concealment a small share).
//
// Chromium 156's getStats names the primary codec (codec mimeType audio/opus, payloadType 111) for
// a RED stream too, both sending and receiving, so RED shows in the payload bytes per packet: a
// RED packet carries the previous packet as a redundant block, about twice a plain Opus packet.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, demoState, joinThroughUi, launchBrowser, newParticipantPage, rtpStats, sleep, uniqueRoom, waitFor } from './helpers.mjs';

let browser;
after(async () => {
  if (browser) await browser.close().catch(() => {});
});

// Audio RTP streams of one of the page's connections, with their codec and packet and byte counts
// whichever way they go.
async function audioStats(page, which) {
  return (await rtpStats(page, which))
    .filter((s) => s.kind === 'audio')
    .map((s) => ({ ...s, packets: s.packetsReceived ?? s.packetsSent, bytes: s.bytesReceived ?? s.bytesSent }));
}

// The subscribed stream of track `trackId` (the receiver's track id is the publisher's, from the
// offer's a=msid) and how it moved over three seconds: samples played, payload bytes per packet.
async function playing(page, trackId) {
  const of = async () => (await audioStats(page, 'subscribePc')).find((s) => s.type === 'inbound-rtp' && s.trackIdentifier === trackId);
  const before = await of();
  await sleep(3000);
  const after = await of();
  if (!before || !after || after.packets <= before.packets) return null;
  return {
    ...after,
    samples: after.totalSamplesReceived - before.totalSamplesReceived,
    concealed: after.concealedSamples - before.concealedSamples,
    bytesPerPacket: (after.bytes - before.bytes) / (after.packets - before.packets),
  };
}

async function sendingBytesPerPacket(page) {
  const of = async () => (await audioStats(page, 'publishPc')).find((s) => s.type === 'outbound-rtp');
  const before = await of();
  await sleep(3000);
  const after = await of();
  return (after.bytes - before.bytes) / Math.max(1, after.packets - before.packets);
}

const sdpOf = (page, which, side) => page.evaluate(([w, d]) => window.sfuDemo[w]?.[d]?.sdp || '', [which, side]);
const audioTrackId = (page) => page.evaluate(() => window.sfuDemo.localStream.getAudioTracks()[0].id);
const audioLines = (sdp) => sdp.split('\r\n').filter((l) => /^m=audio|\/48000/.test(l)).join(' | ');

test('audio RED: a red subscriber gets RED, one refusing red gets the primary as Opus, both play', { timeout: 180000 }, async (t) => {
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

  // Alice offers red first and the server answers it first: Chromium then sends RED.
  const aliceOffer = await waitFor('Alice\'s publish offer', () => sdpOf(alice.page, 'publishPc', 'currentLocalDescription'));
  const aliceAnswer = await waitFor('Alice\'s publish answer', () => sdpOf(alice.page, 'publishPc', 'currentRemoteDescription'));
  t.diagnostic(`Alice offers ${audioLines(aliceOffer)}; answered ${audioLines(aliceAnswer)}`);
  assert.match(aliceAnswer, /^m=audio \d+ \S+ 63 111\r$/m, 'the publish answer takes red, first, around Opus');
  assert.match(aliceAnswer, /a=rtpmap:63 red\/48000\/2\r\na=fmtp:63 111\/111\r\n/);
  // Carol (?red=0) offers and answers without red; Bob's subscribe answer takes it.
  const carolAnswer = await waitFor('Carol\'s subscribe answer', () => sdpOf(carol.page, 'subscribePc', 'currentLocalDescription'));
  assert.doesNotMatch(carolAnswer, /red\/48000/, 'Carol answers without red');
  assert.doesNotMatch(await sdpOf(carol.page, 'publishPc', 'currentLocalDescription'), /red\/48000/, 'Carol publishes Opus only');
  const bobAnswer = await waitFor('Bob\'s subscribe answer', () => sdpOf(bob.page, 'subscribePc', 'currentLocalDescription'));
  assert.match(bobAnswer, /red\/48000\/2/, 'Bob accepts red');

  const aliceSends = await sendingBytesPerPacket(alice.page);
  const carolSends = await sendingBytesPerPacket(carol.page);
  t.diagnostic(`payload bytes per packet sent: Alice (RED) ${aliceSends.toFixed(1)}, Carol (Opus) ${carolSends.toFixed(1)}`);
  assert.ok(aliceSends > 1.5 * carolSends, 'Alice sends RED: each packet repeats the previous one');

  const aliceTrack = await audioTrackId(alice.page);
  const bobGets = await waitFor('Bob to play Alice\'s audio', () => playing(bob.page, aliceTrack), { timeoutMs: 60000, intervalMs: 500 });
  const carolGets = await waitFor('Carol to play Alice\'s audio', () => playing(carol.page, aliceTrack), { timeoutMs: 60000, intervalMs: 500 });
  t.diagnostic(`Bob gets ${JSON.stringify(bobGets)}`);
  t.diagnostic(`Carol gets ${JSON.stringify(carolGets)}`);
  for (const [who, got] of [['Bob', bobGets], ['Carol', carolGets]]) {
    assert.ok(got.samples > 48000, `${who} plays Alice's audio: ${got.samples} samples in 3 s`);
    assert.ok(got.concealed < got.samples / 4, `${who} conceals ${got.concealed} of ${got.samples} samples`);
    assert.equal(got.mimeType, 'audio/opus', `${who} decodes Opus (RED's blocks are Opus)`);
  }
  // Bob's packets carry the redundancy, Carol's only the primary: as many as Alice sends, half the size.
  assert.ok(bobGets.bytesPerPacket > 1.5 * carolGets.bytesPerPacket,
    `Bob gets RED (${bobGets.bytesPerPacket.toFixed(1)} bytes a packet), Carol the primaries (${carolGets.bytesPerPacket.toFixed(1)})`);
  assert.ok(Math.abs(carolGets.bytesPerPacket - carolSends) < 0.5 * carolSends,
    `Carol's primaries are Opus-sized (${carolGets.bytesPerPacket.toFixed(1)}, plain Opus ${carolSends.toFixed(1)})`);
});
