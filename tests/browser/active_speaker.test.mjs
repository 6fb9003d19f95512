// Active speakers through the demo page (Chromium): Alice's microphone is a loud 440 Hz tone, Bob's
// is silence (both WebAudio oscillators into a MediaStreamDestination, swapped in for
// getUserMedia's audio; the camera stays Chromium's fake one). Chromium writes the RFC 6464 audio
// level into each packet; the server smooths it per participant and sends `active_speakers`. Bob
// must see Alice named (and her tile highlighted), never himself; Alice sees her own tile marked.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, demoState, joinThroughUi, launchBrowser, newParticipantPage, uniqueRoom, waitFor } from './helpers.mjs';

let browser;
after(async () => {
  if (browser) await browser.close().catch(() => {});
});

// Runs in the page before its scripts: getUserMedia's audio becomes an oscillator at `gain`.
function toneMicrophone(gain) {
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await original({ ...constraints, audio: false });
    if (constraints && constraints.audio) {
      const ctx = new AudioContext();
      const osc = ctx.createOscillator();
      osc.frequency.value = 440;
      const level = ctx.createGain();
      level.gain.value = gain;
      const dest = ctx.createMediaStreamDestination();
      osc.connect(level).connect(dest);
      osc.start();
      await ctx.resume();
      window.__toneContext = ctx; // kept alive
      stream.addTrack(dest.stream.getAudioTracks()[0]);
    }
    return stream;
  };
}

const speakersOf = (page) => page.evaluate(() => window.sfuDemo.activeSpeakers || []);
const tileMarked = (page, pid) => page.evaluate((id) => {
  const tile = id === null
    ? document.querySelector('[data-testid="video-tile"][data-local="true"]')
    : document.querySelector(`[data-testid="video-tile"][data-participant-id="${id}"]`);
  return tile ? tile.dataset.activeSpeaker === 'true' && tile.classList.contains('active-speaker') : false;
}, pid);

test('active speakers: the loud participant is named and highlighted, the silent one never', { timeout: 120000 }, async (t) => {
  const base = baseUrl();
  const room = uniqueRoom('speaker');
  browser = await launchBrowser({ extraArgs: ['--autoplay-policy=no-user-gesture-required'] });
  const alice = { name: 'Alice', page: await newParticipantPage(browser, base) };
  const bob = { name: 'Bob', page: await newParticipantPage(browser, base) };
  await alice.page.addInitScript(toneMicrophone, 0.8);
  await bob.page.addInitScript(toneMicrophone, 0);
  t.after(async () => {
    for (const p of [alice, bob]) {
      const state = await demoState(p.page).catch((err) => ({ error: String(err) }));
      const events = (state.messages || []).filter((m) => m.type === 'active_speakers' || m.type === 'error');
      t.diagnostic(`${p.name}: ${JSON.stringify(events.slice(-5))}`);
      if (p.page.logs.length) t.diagnostic(`${p.name} console: ${p.page.logs.slice(-10).join(' | ')}`);
    }
  });
  alice.id = await joinThroughUi(alice.page, { base, room, name: alice.name });
  bob.id = await joinThroughUi(bob.page, { base, room, name: bob.name });

  const started = Date.now();
  const seen = await waitFor('Bob to see Alice as the active speaker', async () => {
    const list = await speakersOf(bob.page);
    return list.length && list[0].participant_id === alice.id ? list : null;
  }, { timeoutMs: 30000 });
  t.diagnostic(`Bob saw ${JSON.stringify(seen)} ${Date.now() - started} ms after joining`);
  assert.ok(seen[0].level > 0.1, `a loud tone has a high level: ${seen[0].level}`);
  assert.ok(!seen.some((s) => s.participant_id === bob.id), 'silent Bob is not a speaker');
  await waitFor('Alice\'s tile on Bob\'s page to be highlighted', () => tileMarked(bob.page, alice.id));
  await waitFor('Alice\'s own tile to be highlighted on her page', () => tileMarked(alice.page, null));
  assert.equal(await tileMarked(bob.page, null), false, 'Bob\'s own tile is not highlighted');

  // Every active_speakers event either page got: never Bob, and at most about 2 per second.
  await new Promise((r) => setTimeout(r, 3000));
  for (const p of [alice, bob]) {
    const events = (await demoState(p.page)).messages.filter((m) => m.type === 'active_speakers');
    assert.ok(events.length >= 1, `${p.name} got active_speakers`);
    for (const e of events) assert.ok(!e.speakers.some((s) => s.participant_id === bob.id), `${p.name}: ${JSON.stringify(e)}`);
    t.diagnostic(`${p.name}: ${events.length} active_speakers events`);
  }
});
