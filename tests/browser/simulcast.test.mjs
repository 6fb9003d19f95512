// Simulcast through the demo page (Chromium): Alice publishes three VP8 encodings (q, h, f);
// Bob asks for the lowest layer with track_settings (window.sfuDemo.setTrackSettings), Carol for
// the best. Each decodes Alice at its own resolution (getStats frameWidth); then Bob asks for the
// best layer and climbs (frameWidth rises) and keeps decoding (framesDecoded rising).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, decodesAt, demoState, joinThroughUi, launchBrowser, newParticipantPage, uniqueRoom, videoOf, waitFor } from './helpers.mjs';

let browser;
after(async () => {
  if (browser) await browser.close().catch(() => {});
});

test('simulcast: each subscriber decodes the layer it asked for, and climbs when it asks for more', { timeout: 240000 }, async (t) => {
  const base = baseUrl();
  const room = uniqueRoom('simulcast');
  browser = await launchBrowser();
  const pages = [];
  for (const name of ['Alice', 'Bob', 'Carol']) pages.push({ name, page: await newParticipantPage(browser, base) });
  t.after(async () => {
    for (const p of pages) {
      if (!p.page || p.page.isClosed()) continue;
      const state = await demoState(p.page).catch((err) => ({ error: String(err) }));
      const errors = (state.messages || []).filter((m) => m.type === 'error');
      t.diagnostic(`${p.name}: state ${state.state}, errors ${JSON.stringify(errors)}`);
      if (p.page.logs.length) t.diagnostic(`${p.name} console: ${p.page.logs.slice(-20).join(' | ')}`);
    }
  });
  const [alice, bob, carol] = pages;
  for (const p of pages) p.id = await joinThroughUi(p.page, { base, room, name: p.name });

  // The lowest layer for Bob, the best for Carol: explicit preferences instead of the tiles' sizes.
  await bob.page.evaluate((pid) => window.sfuDemo.setTrackSettings(pid, { max_layer: 0 }), alice.id);
  await carol.page.evaluate((pid) => window.sfuDemo.setTrackSettings(pid, { max_layer: 2 }), alice.id);

  // Alice's camera is 1280x720: the layers are 320x180, 640x360 and 1280x720 once her bandwidth
  // estimate allows all three.
  const high = await decodesAt(carol.page, alice.id, 'Carol to decode Alice at the full size', (w) => w >= 1280, 90000);
  const low = await decodesAt(bob.page, alice.id, 'Bob to decode Alice at a quarter size', (w) => w > 0 && w <= 320);
  t.diagnostic(`Bob decodes ${low.frameWidth}x${low.frameHeight} (tile shows "${low.shown}"), Carol ${high.frameWidth}x${high.frameHeight}`);
  assert.ok(low.frameWidth < high.frameWidth, 'Bob receives a smaller layer than Carol');

  // Bob asks for the best: he climbs and keeps decoding.
  const asked = Date.now();
  await bob.page.evaluate((pid) => window.sfuDemo.setTrackSettings(pid, { max_layer: 2 }), alice.id);
  // The full size is what Carol, who asked for nothing, decodes now: on a loaded machine Chromium
  // may scale its top encoding down (CPU adaptation), and then both get the smaller top layer.
  const carolWidth = async () => (await videoOf(carol.page, alice.id))?.frameWidth || Infinity;
  const climbed = await decodesAt(bob.page, alice.id, 'Bob to climb to the size Carol decodes',
    async (w) => w > low.frameWidth && w >= (await carolWidth()), 30000);
  // Polled once a second: an upper bound of the time from the request to decoding the new layer.
  t.diagnostic(`Bob climbed to ${climbed.frameWidth}x${climbed.frameHeight} within ${Date.now() - asked} ms`);
  const later = await decodesAt(bob.page, alice.id, 'Bob to keep decoding', (w) => w > low.frameWidth, 10000);
  assert.ok(later.framesDecoded > climbed.framesDecoded, 'frames keep being decoded after the switch');
  // Carol was never touched: still the top layer, the one Bob climbed to.
  const carolNow = await videoOf(carol.page, alice.id);
  assert.ok(carolNow.frameWidth >= climbed.frameWidth, `Carol still at the full size: ${JSON.stringify(carolNow)}`);
  // The tile shows the resolution received.
  await waitFor('Bob\'s tile to show the resolution', async () => {
    const v = await videoOf(bob.page, alice.id);
    return v && v.shown === `${v.frameWidth}×${v.frameHeight}` ? v : null;
  });
});
