// Firefox and Chromium in one room: each decodes the other's video and receives its audio.
//
// Firefox never pairs its ICE candidates with a loopback server address, so this test builds a
// small LAN of its own (netns.mjs): the server in one network namespace on 10.99.0.1, both
// browsers in another on 10.99.0.2, a veth pair between them. Firefox is Debian's firefox-esr
// driven by puppeteer-core over WebDriver BiDi; Chromium is Debian's chromium driven by
// playwright-core. Needs root (ip netns); skipped with the reason otherwise. It starts its own
// server, so it does not use the one run.sh started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinThroughUi, newParticipantPage, remoteTilesWithVideo, uniqueRoom, waitForMediaFlow } from './helpers.mjs';
import { newFirefoxPage } from './firefox.mjs';
import { startLan } from './netns.mjs';

// The addresses of the ICE pair a page's connection uses, from getStats().
function selectedPair(page, which = 'subscribePc') {
  return page.evaluate(async (which) => {
    const pc = window.sfuDemo[which];
    if (!pc) return null;
    const report = await pc.getStats();
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    for (const s of byId.values()) {
      if (s.type !== 'candidate-pair' || s.state !== 'succeeded' || !(s.nominated || s.selected)) continue;
      const local = byId.get(s.localCandidateId) || {};
      const remote = byId.get(s.remoteCandidateId) || {};
      return { local: local.address || local.ipAddress, remote: remote.address || remote.ipAddress, remotePort: remote.port };
    }
    return null;
  }, which);
}

test('Firefox and Chromium on a LAN address decode each other\'s media', { timeout: 240000 }, async (t) => {
  const lan = await startLan(t, 'ff');
  if (lan.skip) {
    t.skip(`Firefox test skipped: ${lan.skip}`);
    return;
  }
  const [chromium, firefox] = await Promise.all([lan.launchChromium(), lan.launchFirefox()]);
  const room = uniqueRoom('firefox');
  const pages = [
    { name: 'Fox', page: await newFirefoxPage(firefox) },
    { name: 'Chrome', page: await newParticipantPage(chromium, lan.base) },
  ];
  t.after(() => {
    for (const p of pages) if (p.page.logs.length) t.diagnostic(`${p.name} console:\n${p.page.logs.join('\n')}`);
  });
  for (const p of pages) p.id = await joinThroughUi(p.page, { base: lan.base, room, name: p.name });

  await Promise.all(pages.map((p) => waitForMediaFlow(p.page, { video: 1, audio: 1, timeoutMs: 60000, label: p.name })));
  for (const p of pages) {
    const other = pages.find((o) => o !== p);
    assert.deepEqual(await remoteTilesWithVideo(p.page), [other.id], `${p.name}'s playing remote tiles`);
    for (const which of ['publishPc', 'subscribePc']) {
      const pair = await selectedPair(p.page, which);
      t.diagnostic(`${p.name} ${which} ICE pair: ${JSON.stringify(pair)}`);
      assert.equal(pair && pair.remote, '10.99.0.1', `${p.name}'s ${which} reaches the server on its LAN address`);
    }
  }
  lan.passed();
});
