// Several announced addresses (docs/protocol.md 3.8) with Chromium on loopback. The server
// announces 127.0.0.2 first and 127.0.0.1 second, so its IPv4 socket binds all interfaces and
// each reply must name its source (IP_PKTINFO): Chromium checks 127.0.0.2 from the host's own
// address, toward which the kernel would pick that host address as the source, and Chromium drops
// a reply from an address it did not check. Two pages then decode each other's media over the
// pair of the preferred candidate, 127.0.0.2. This test starts its own server.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { joinThroughUi, launchBrowser, newParticipantPage, remoteTilesWithVideo, uniqueRoom, waitFor, waitForMediaFlow } from './helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SFU_BIN = process.env.SFU_BIN || resolve(here, '../../build/bin/sfu');
let server;
let base;
let logPath;

before(async () => {
  const [httpPort, udpPort] = execFileSync('node', [join(here, 'free_ports.mjs'), '1'], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)
    .map(Number);
  const work = mkdtempSync(join(tmpdir(), 'sfu-addresses-'));
  const config = join(work, 'sfu.yaml');
  logPath = join(work, 'sfu.log');
  writeFileSync(config, `http:\n  listen: 127.0.0.1:${httpPort}\nworkers: 1\nrtc:\n  udp_port: ${udpPort}\n  tcp_port: ${udpPort}\n` +
    '  announced_addresses: [127.0.0.2, 127.0.0.1]\n');
  assert.ok(existsSync(SFU_BIN), `${SFU_BIN} is missing`);
  const log = openSync(logPath, 'w');
  server = spawn(SFU_BIN, ['--config', config], { stdio: ['ignore', log, log] });
  base = `http://127.0.0.1:${httpPort}`;
  await waitFor('the server to answer /healthz', async () => (await fetch(`${base}/healthz`)).ok, { timeoutMs: 15000 });
  assert.match(readFileSync(logPath, 'utf8'), /udp=0\.0\.0\.0:/, 'the IPv4 socket binds all interfaces');
});

after(() => {
  if (server) server.kill('SIGTERM');
});

// The remote address of a page's selected ICE pair, from getStats().
function selectedRemote(page, which) {
  return page.evaluate(async (which) => {
    const report = await window.sfuDemo[which].getStats();
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    for (const s of byId.values()) {
      if (s.type !== 'candidate-pair' || s.state !== 'succeeded' || !(s.nominated || s.selected)) continue;
      const remote = byId.get(s.remoteCandidateId) || {};
      return remote.address || remote.ipAddress || null;
    }
    return null;
  }, which);
}

test('Chromium pages reach each other through the preferred of two announced addresses', { timeout: 180000 }, async (t) => {
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const room = uniqueRoom('addresses');
  const pages = [{ name: 'Ann' }, { name: 'Bob' }];
  for (const p of pages) {
    p.page = await newParticipantPage(browser, base);
    p.id = await joinThroughUi(p.page, { base, room, name: p.name });
  }
  t.after(() => {
    for (const p of pages) if (p.page.logs.length) t.diagnostic(`${p.name} console:\n${p.page.logs.join('\n')}`);
  });
  await Promise.all(pages.map((p) => waitForMediaFlow(p.page, { video: 1, audio: 1, timeoutMs: 60000, label: p.name })));
  for (const p of pages) {
    const other = pages.find((o) => o !== p);
    assert.deepEqual(await remoteTilesWithVideo(p.page), [other.id], `${p.name}'s playing remote tiles`);
    for (const which of ['publishPc', 'subscribePc'])
      assert.equal(await selectedRemote(p.page, which), '127.0.0.2', `${p.name}'s ${which} uses the first candidate`);
  }
});
