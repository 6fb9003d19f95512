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
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CHROMIUM_PATH,
  joinThroughUi,
  launchBrowser,
  newParticipantPage,
  remoteTilesWithVideo,
  rtpStats,
  sleep,
  uniqueRoom,
  waitFor,
  waitForMediaFlow,
} from './helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SFU_BIN = process.env.SFU_BIN || resolve(here, '../../build/bin/sfu');
const LOSS_PERCENT = 7;
const HTTP_PORT = 8080; // the namespace is new and empty: any port is free
const UDP_PORT = 40000;

function run(cmd, args, { allowFail = false } = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  if (!allowFail && (res.error || res.status !== 0)) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${res.error || res.stderr || `exit ${res.status}`}`);
  }
  return res;
}

// Why this machine cannot run the test, or null when it can.
function unsupportedReason() {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root for ip netns / nft';
  if (run('ip', ['netns', 'list'], { allowFail: true }).status !== 0) return '`ip netns` is not available';
  if (run('nft', ['--version'], { allowFail: true }).status !== 0) return 'nft (nftables) is not installed';
  if (!existsSync(SFU_BIN)) return `server binary ${SFU_BIN} is missing`;
  return null;
}

test('a call over a link losing ~7% of UDP packets keeps decoding', { timeout: 240000 }, async (t) => {
  const reason = unsupportedReason();
  if (reason) {
    t.skip(`lossy link test skipped: ${reason}`);
    return;
  }
  const ns = `sfu-lossy-${process.pid}`;
  const nsExec = (...args) => ['netns', 'exec', ns, ...args];
  const work = mkdtempSync(join(tmpdir(), 'sfu-lossy-'));
  const logPath = join(work, 'sfu.log');
  let server = null;
  let browser = null;
  let nsCreated = false;
  let failed = true;
  const serverLog = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').slice(-200).join('\n') : '');

  t.after(async () => {
    if (failed && server) t.diagnostic(`server log:\n${serverLog()}`);
    if (browser) await browser.close().catch(() => {});
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      const exited = await Promise.race([new Promise((r) => server.once('exit', () => r(true))), sleep(10000).then(() => false)]);
      if (!exited) server.kill('SIGKILL');
    }
    if (nsCreated) run('ip', ['netns', 'del', ns], { allowFail: true });
    rmSync(work, { recursive: true, force: true });
  });

  const add = run('ip', ['netns', 'add', ns], { allowFail: true });
  if (add.status !== 0) {
    t.skip(`lossy link test skipped: cannot create a network namespace (${(add.stderr || '').trim()})`);
    return;
  }
  nsCreated = true;
  run('ip', nsExec('ip', 'link', 'set', 'lo', 'up'));

  // The server, inside the namespace.
  const configPath = join(work, 'sfu.yaml');
  writeFileSync(configPath, [
    'http:',
    `  listen: 127.0.0.1:${HTTP_PORT}`,
    'workers: 2',
    'rtc:',
    `  udp_port: ${UDP_PORT}`,
    '  announced_ip: 127.0.0.1',
    'log:',
    '  level: info',
    '',
  ].join('\n'));
  const logFd = openSync(logPath, 'w');
  server = spawn('ip', nsExec(SFU_BIN, '--config', configPath), { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);

  const base = `http://127.0.0.1:${HTTP_PORT}`;
  await waitFor('the server in the namespace to answer /healthz', async () => {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    const res = run('ip', nsExec('curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', `${base}/healthz`), { allowFail: true });
    return res.stdout === '200';
  }, { timeoutMs: 30000, intervalMs: 200 });

  // Chromium, inside the namespace too: playwright talks to it over pipes, which survive the exec.
  const wrapper = join(work, 'chromium-in-netns.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM_PATH} "$@"\n`);
  chmodSync(wrapper, 0o755);
  browser = await launchBrowser({ executablePath: wrapper });

  const room = uniqueRoom('lossy');
  const pages = [];
  for (const name of ['Sender', 'Receiver']) {
    const page = await newParticipantPage(browser, base);
    pages.push({ name, page, id: await joinThroughUi(page, { base, room, name }) });
  }
  await Promise.all(pages.map((p) => waitForMediaFlow(p.page, { video: 1, audio: 1, timeoutMs: 60000, label: p.name })));

  // Now the link goes bad.
  run('ip', nsExec('nft', 'add', 'table', 'inet', 'lossy'));
  run('ip', nsExec('nft', 'add', 'chain', 'inet', 'lossy', 'input', '{ type filter hook input priority 0; policy accept; }'));
  run('ip', nsExec('nft', 'add', 'rule', 'inet', 'lossy', 'input', 'meta', 'l4proto', 'udp', 'numgen', 'random', 'mod', '100', '<', String(LOSS_PERCENT), 'drop'));
  const ruleset = run('ip', nsExec('nft', 'list', 'table', 'inet', 'lossy')).stdout;
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
