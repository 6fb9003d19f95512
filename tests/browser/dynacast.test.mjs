// Dynacast through the demo page (Chromium): Alice publishes three VP8 simulcast encodings (q, h,
// f); Bob and Carol both ask for the lowest layer (track_settings max_layer 0). Nobody needs h
// and f any more, so after media.dynacast_off_delay_ms the server sends Alice `publisher_layers`
// [true, false, false], her page sets those encodings inactive (RTCRtpSender.setParameters), and
// her outbound-rtp for rid h stops growing. Then Carol asks for layer 1: h is turned back on at
// once ([true, true, false]), its bytes grow again and Carol decodes more than the lowest layer.
// (The middle layer is the one watched: on a loaded machine Chromium's bandwidth estimate may take
// a minute to allow the top one at all.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, decodesAt, demoState, joinThroughUi, launchBrowser, newParticipantPage, uniqueRoom, waitFor } from './helpers.mjs';

let browser;
after(async () => {
  if (browser) await browser.close().catch(() => {});
});

// Alice's camera sender: its encodings' active flags and, per rid, bytes sent so far.
const senderState = (page) => page.evaluate(async () => {
  const pc = window.sfuDemo.publishPc;
  const sender = pc && pc.getSenders().find((s) => s.track && s.track.kind === 'video');
  if (!sender) return null;
  const active = sender.getParameters().encodings.map((e) => e.active !== false);
  const bytes = {};
  (await pc.getStats(sender.track)).forEach((s) => {
    if (s.type === 'outbound-rtp' && s.rid) bytes[s.rid] = s.bytesSent || 0;
  });
  return { active, bytes, layers: [...window.sfuDemo.publisherLayers.values()] };
});

async function hGrowth(page, ms = 2000) {
  const before = await senderState(page);
  await new Promise((r) => setTimeout(r, ms));
  const now = await senderState(page);
  return { grew: (now.bytes.h || 0) - (before.bytes.h || 0), now };
}

test('dynacast: layers nobody needs are turned off at the publisher, and one is back on when asked for', { timeout: 180000 }, async (t) => {
  const base = baseUrl();
  const room = uniqueRoom('dynacast');
  browser = await launchBrowser();
  const pages = [];
  for (const name of ['Alice', 'Bob', 'Carol']) pages.push({ name, page: await newParticipantPage(browser, base) });
  t.after(async () => {
    for (const p of pages) {
      const state = await demoState(p.page).catch((err) => ({ error: String(err) }));
      const events = (state.messages || []).filter((m) => m.type === 'publisher_layers' || m.type === 'error');
      t.diagnostic(`${p.name}: ${JSON.stringify(events)}`);
      if (p.page.logs.length) t.diagnostic(`${p.name} console: ${p.page.logs.slice(-10).join(' | ')}`);
    }
  });
  const [alice, bob, carol] = pages;
  for (const p of pages) p.id = await joinThroughUi(p.page, { base, room, name: p.name });

  // Start: everybody wants the best (not the tiles' sizes), so every layer is needed.
  for (const p of [bob, carol]) await p.page.evaluate((pid) => window.sfuDemo.setTrackSettings(pid, { max_layer: 2 }), alice.id);
  await decodesAt(carol.page, alice.id, 'Carol to decode Alice', (w) => w > 0, 90000);
  await waitFor('Alice to send rid h', async () => (await hGrowth(alice.page, 1000)).grew > 0, { timeoutMs: 60000 });

  // Both subscribers want the lowest layer only.
  const asked = Date.now();
  for (const p of [bob, carol]) await p.page.evaluate((pid) => window.sfuDemo.setTrackSettings(pid, { max_layer: 0 }), alice.id);
  const off = await waitFor('Alice to turn h and f off', async () => {
    const s = await senderState(alice.page);
    return s && s.active[0] && !s.active[1] && !s.active[2] ? s : null;
  }, { timeoutMs: 20000 });
  t.diagnostic(`h and f off ${Date.now() - asked} ms after both asked for q (off delay 3000 ms): ${JSON.stringify(off)}`);
  await new Promise((r) => setTimeout(r, 1000)); // what was queued drains
  const stopped = await hGrowth(alice.page, 3000);
  assert.equal(stopped.grew, 0, `rid h sends nothing: ${JSON.stringify(stopped)}`);

  // Carol asks for layer 1: h comes back at once, f stays off.
  const back = Date.now();
  await carol.page.evaluate((pid) => window.sfuDemo.setTrackSettings(pid, { max_layer: 1 }), alice.id);
  const on = await waitFor('Alice to turn h back on', async () => {
    const s = await senderState(alice.page);
    return s && s.active[1] ? s : null;
  }, { timeoutMs: 10000 });
  t.diagnostic(`h back on ${Date.now() - back} ms after Carol asked: ${JSON.stringify(on.active)}`);
  assert.deepEqual(on.active, [true, true, false]);
  await waitFor('rid h to send again', async () => (await hGrowth(alice.page, 1000)).grew > 0, { timeoutMs: 20000 });
  t.diagnostic(`h sends again ${Date.now() - back} ms after Carol asked`);
  const low = await decodesAt(bob.page, alice.id, 'Bob to keep decoding the lowest layer', (w) => w > 0 && w <= 320, 30000);
  await decodesAt(carol.page, alice.id, 'Carol to climb above the lowest layer', (w) => w > low.frameWidth, 60000);
});
