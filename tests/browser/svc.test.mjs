// SVC through the demo page (Chromium): Alice publishes one VP9 encoding in L3T3_KEY (three
// spatial layers, 320x180, 640x360 and 1280x720, three temporal layers; `?codec=vp9&svc=L3T3_KEY`)
// and, when the browser can encode it, one AV1 encoding in L3T3. Bob asks for the lowest spatial
// layer with track_settings, Carol for the best: each decodes Alice at its own resolution
// (getStats frameWidth) from the same stream; then Bob asks for the best and climbs (at the key
// frame the server requests) and keeps decoding.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, decodesAt, demoState, joinThroughUi, launchBrowser, newParticipantPage, uniqueRoom, videoOf } from './helpers.mjs';

let browser;
after(async () => {
  if (browser) await browser.close().catch(() => {});
});

async function svcCall(t, { codec, mode }) {
  const base = baseUrl();
  const room = uniqueRoom(`svc-${codec}`);
  if (!browser) browser = await launchBrowser();
  const pages = [];
  for (const name of ['Alice', 'Bob', 'Carol']) pages.push({ name, page: await newParticipantPage(browser, base) });
  t.after(async () => {
    for (const p of pages) {
      if (!p.page || p.page.isClosed()) continue;
      const state = await demoState(p.page).catch((err) => ({ error: String(err) }));
      const errors = (state.messages || []).filter((m) => m.type === 'error');
      t.diagnostic(`${p.name}: state ${state.state}, errors ${JSON.stringify(errors)}`);
      if (p.page.logs.length) t.diagnostic(`${p.name} console: ${p.page.logs.slice(-20).join(' | ')}`);
      await p.page.context().close().catch(() => {});
    }
  });
  const [alice, bob, carol] = pages;
  alice.id = await joinThroughUi(alice.page, { base, room, name: 'Alice', query: `&codec=${codec}&svc=${mode}` });
  for (const p of [bob, carol]) p.id = await joinThroughUi(p.page, { base, room, name: p.name });
  return { alice, bob, carol };
}

async function canEncode(codec) {
  const page = await newParticipantPage(browser || (browser = await launchBrowser()), baseUrl());
  try {
    await page.goto(`${baseUrl()}/`);
    return await page.evaluate((c) => (RTCRtpSender.getCapabilities('video')?.codecs || [])
      .some((x) => x.mimeType.toLowerCase() === `video/${c}`), codec);
  } finally {
    await page.context().close().catch(() => {});
  }
}

for (const { codec, mode } of [{ codec: 'vp9', mode: 'L3T3_KEY' }, { codec: 'av1', mode: 'L3T3' }]) {
  test(`svc ${codec} ${mode}: each subscriber decodes the spatial layer it asked for`, { timeout: 240000 }, async (t) => {
    if (!(await canEncode(codec))) return t.skip(`this Chromium cannot encode ${codec}`);
    const { alice, bob, carol } = await svcCall(t, { codec, mode });
    await bob.page.evaluate((pid) => window.sfuDemo.setTrackSettings(pid, { max_layer: 0 }), alice.id);
    await carol.page.evaluate((pid) => window.sfuDemo.setTrackSettings(pid, { max_layer: 2 }), alice.id);

    const high = await decodesAt(carol.page, alice.id, `Carol to decode Alice (${codec}) at a high spatial layer`, (w) => w >= 640, 90000);
    const low = await decodesAt(bob.page, alice.id, `Bob to decode Alice (${codec}) at the lowest spatial layer`,
      (w) => w > 0 && w < high.frameWidth, 60000);
    t.diagnostic(`${codec}: Bob decodes ${low.frameWidth}x${low.frameHeight}, Carol ${high.frameWidth}x${high.frameHeight}`);
    assert.ok(low.frameWidth <= high.frameWidth / 2, 'Bob receives a smaller spatial layer than Carol');

    const asked = Date.now();
    await bob.page.evaluate((pid) => window.sfuDemo.setTrackSettings(pid, { max_layer: 2 }), alice.id);
    const carolWidth = async () => (await videoOf(carol.page, alice.id))?.frameWidth || Infinity;
    const climbed = await decodesAt(bob.page, alice.id, 'Bob to climb to the size Carol decodes',
      async (w) => w > low.frameWidth && w >= (await carolWidth()), 30000);
    t.diagnostic(`${codec}: Bob climbed to ${climbed.frameWidth}x${climbed.frameHeight} within ${Date.now() - asked} ms`);
    const later = await decodesAt(bob.page, alice.id, 'Bob to keep decoding', (w) => w > low.frameWidth, 10000);
    assert.ok(later.framesDecoded > climbed.framesDecoded, 'frames keep being decoded after the switch');
  });
}
