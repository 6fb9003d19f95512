// A call through a lossy link keeps decoding, and loss is repaired by retransmissions.
//
// The kernel here has no tc netem, so the loss comes from nftables: a network namespace of
// its own holds the server AND Chromium (on loopback), and a rule on its input hook drops
// about 7% of all UDP packets at random. Everything crosses `lo` once, so both directions of
// both connections lose packets. Needs root (ip netns); skipped with a message otherwise.
//
// It starts its own server inside the namespace (SFU_BIN, default <repo>/build/bin/sfu), so it
// does not use the server that run.sh started. Run it with SFU_E2E_LOSSY=1 tests/browser/run.sh
// or: tests/browser/run.sh lossy_link.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import {
  CHROMIUM_PATH,
  joinThroughUi,
  launchBrowser,
  newParticipantPage,
  remoteTilesWithVideo,
  rtpStats,
  sleep,
  uniqueRoom,
  waitForMediaFlow,
} from './helpers.mjs';
import { NetNs, browserInNamespace, netnsUnsupportedReason, startServerInNamespace, workDir } from './netns.mjs';

const LOSS_PERCENT = 7;

test('a call over a link losing ~7% of UDP packets keeps decoding', { timeout: 240000 }, async (t) => {
  const reason = netnsUnsupportedReason({ tools: ['nft'] });
  if (reason) {
    t.skip(`lossy link test skipped: ${reason}`);
    return;
  }
  const work = workDir('sfu-lossy-');
  let ns = null;
  let server = null;
  let browser = null;
  let failed = true;

  t.after(async () => {
    if (failed && server) t.diagnostic(`server log:\n${server.log()}`);
    if (browser) await browser.close().catch(() => {});
    if (server) await server.stop();
    if (ns) ns.delete();
    rmSync(work, { recursive: true, force: true });
  });

  const created = NetNs.create(`sfu-lossy-${process.pid}`);
  if (!created.ns) {
    t.skip(`lossy link test skipped: cannot create a network namespace (${created.error})`);
    return;
  }
  ns = created.ns;

  // The server, inside the namespace (the namespace is new and empty: any port is free).
  server = await startServerInNamespace(ns, { work, listenIp: '127.0.0.1', httpPort: 8080, udpPort: 40000 });
  const base = server.base;

  // Chromium, inside the namespace too: playwright talks to it over pipes, which survive the exec.
  browser = await launchBrowser({ executablePath: browserInNamespace(ns, work, CHROMIUM_PATH) });

  const room = uniqueRoom('lossy');
  const pages = [];
  for (const name of ['Sender', 'Receiver']) {
    const page = await newParticipantPage(browser, base);
    pages.push({ name, page, id: await joinThroughUi(page, { base, room, name }) });
  }
  await Promise.all(pages.map((p) => waitForMediaFlow(p.page, { video: 1, audio: 1, timeoutMs: 60000, label: p.name })));

  // Now the link goes bad.
  ns.exec('nft', 'add', 'table', 'inet', 'lossy');
  ns.exec('nft', 'add', 'chain', 'inet', 'lossy', 'input', '{ type filter hook input priority 0; policy accept; }');
  ns.exec('nft', 'add', 'rule', 'inet', 'lossy', 'input', 'meta', 'l4proto', 'udp', 'numgen', 'random', 'mod', '100', '<', String(LOSS_PERCENT), 'drop');
  const ruleset = ns.exec('nft', 'list', 'table', 'inet', 'lossy').stdout;
  assert.match(ruleset, /drop/, 'the loss rule is in place');

  const framesDecoded = async (page) =>
    (await rtpStats(page)).filter((s) => s.type === 'inbound-rtp' && s.kind === 'video').reduce((sum, s) => sum + (s.framesDecoded || 0), 0);

  // Decoding keeps going: every 5 s over 15 s, each page has decoded more frames than before.
  const samples = pages.map(() => []);
  for (let i = 0; i <= 3; i++) {
    if (i) await sleep(5000);
    for (const [k, p] of pages.entries()) samples[k].push(await framesDecoded(p.page));
  }
  for (const [k, p] of pages.entries()) {
    const s = samples[k];
    for (let i = 1; i < s.length; i++) {
      assert.ok(s[i] > s[i - 1], `${p.name} stopped decoding video under loss: framesDecoded every 5 s = ${s.join(', ')}`);
    }
  }

  // And the page still shows the other one's tile, playing.
  for (const p of pages) {
    const other = pages.find((o) => o !== p);
    assert.deepEqual(await remoteTilesWithVideo(p.page), [other.id], `${p.name}'s playing remote tiles`);
  }

  // The loss was seen and repaired: NACKs in the browsers' stats, or retransmissions counted
  // by the server.
  let nacks = 0;
  for (const p of pages) {
    for (const s of await rtpStats(p.page, 'subscribePc')) if (s.type === 'inbound-rtp') nacks += s.nackCount || 0;
    for (const s of await rtpStats(p.page, 'publishPc')) if (s.type === 'outbound-rtp') nacks += s.nackCount || 0;
  }
  // e.g. sfu_retransmissions_total{worker="0"} 12 (not *_missed_*, which counts failures)
  const metrics = await pages[0].page.evaluate(async () => (await fetch('/metrics')).text()).catch(() => '');
  const metricsEvidence = metrics
    .split('\n')
    .filter((line) => !line.startsWith('#') && /retrans|rtx|nack/i.test(line) && !/missed|refused/i.test(line))
    .filter((line) => Number(line.trim().split(/\s+/).pop()) > 0);
  t.diagnostic(`NACKs in browser stats: ${nacks}; server metrics: ${metricsEvidence.join(', ') || 'none > 0'}`);
  assert.ok(nacks > 0 || metricsEvidence.length > 0, 'no sign of loss repair: no nackCount in the stats, no retransmission metric');

  failed = false;
});
