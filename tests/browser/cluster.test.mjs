// Cluster mode (docs/protocol.md, "Cluster"): a redis-server and two sfu nodes of their own on
// loopback. Alice opens the demo page on node A and creates the room there; Bob opens the page on
// node B, whose join is answered with `redirect` to node A; his page follows it (a new signaling
// socket to A, joining there), and the two pages decode each other's video and audio. Skipped, with
// the reason printed, when redis-server is not installed (scripts/setup.sh installs it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readFileSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  demoState,
  joinThroughUi,
  launchBrowser,
  newParticipantPage,
  rest,
  uniqueRoom,
  waitFor,
  waitForMediaFlow,
} from './helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SFU_BIN = process.env.SFU_BIN || resolve(here, '../../build/bin/sfu');
const SECRET = 'browser-cluster-test-secret-0123456789';

function redisInstalled() {
  try {
    execFileSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = redisInstalled() ? false : 'redis-server is not installed (scripts/setup.sh installs it)';
if (skip) console.log(`# cluster.test.mjs skipped: ${skip}`);

const freePorts = () =>
  execFileSync('node', [join(here, 'free_ports.mjs'), '1'], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);

const processes = [];
const nodes = []; // {id, base, logPath}
let browser;

before(async () => {
  if (skip) return;
  const work = mkdtempSync(join(tmpdir(), 'sfu-cluster-'));
  const [redisPort] = freePorts();
  processes.push(spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  }));
  for (const id of ['node-a', 'node-b']) {
    const [httpPort, udpPort] = freePorts();
    const config = join(work, `${id}.yaml`);
    const logPath = join(work, `${id}.log`);
    writeFileSync(
      config,
      `http:\n  listen: 127.0.0.1:${httpPort}\nworkers: 1\n` +
        `rtc:\n  udp_port: ${udpPort}\n  tcp_port: ${udpPort}\n  announced_ip: 127.0.0.1\n` +
        `cluster:\n  enabled: true\n  redis_url: redis://127.0.0.1:${redisPort}\n  node_id: ${id}\n  secret: "${SECRET}"\n`,
    );
    assert.ok(existsSync(SFU_BIN), `${SFU_BIN} is missing`);
    const log = openSync(logPath, 'w');
    processes.push(spawn(SFU_BIN, ['--config', config], { stdio: ['ignore', log, log] }));
    nodes.push({ id, base: `http://127.0.0.1:${httpPort}`, logPath });
  }
  // Both nodes up, and each sees the other in the registry.
  for (const node of nodes) {
    await waitFor(`${node.id} to see both nodes alive`, async () => {
      const metrics = await (await fetch(`${node.base}/metrics`)).text();
      return /\nsfu_cluster_nodes_alive 2\n/.test(metrics);
    }, { timeoutMs: 20000 });
  }
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  for (const p of processes.reverse()) p.kill('SIGTERM');
});

test('two pages opened on different nodes meet in one room and decode each other', { skip, timeout: 240000 }, async (t) => {
  const room = uniqueRoom('cluster');
  const [a, b] = nodes;
  browser = await launchBrowser();
  const pages = [];
  let passed = false;
  t.after(async () => {
    if (passed) return;
    for (const p of pages) {
      const state = await demoState(p.page).catch((err) => ({ error: String(err) }));
      if (state.messages) state.messages = state.messages.slice(-20);
      t.diagnostic(`${p.name}: ${JSON.stringify(state)}`);
      if (p.page.logs.length) t.diagnostic(`${p.name} console: ${p.page.logs.slice(-20).join(' | ')}`);
    }
    for (const node of nodes) t.diagnostic(`${node.id} log: ${readFileSync(node.logPath, 'utf8').split('\n').slice(-40).join('\n')}`);
  });

  const alice = await newParticipantPage(browser, a.base);
  pages.push({ name: 'Alice', page: alice, id: await joinThroughUi(alice, { base: a.base, room, name: 'Alice' }) });
  const bob = await newParticipantPage(browser, b.base);
  pages.push({ name: 'Bob', page: bob, id: await joinThroughUi(bob, { base: b.base, room, name: 'Bob' }) });

  // Bob's page was sent to node A and joined there.
  const bobState = await bob.evaluate(() => ({ redirects: window.sfuDemo.redirects, target: window.sfuDemo.signalingTarget }));
  assert.equal(bobState.redirects, 1, JSON.stringify(bobState));
  assert.equal(bobState.target, `${a.base.replace('http://', 'ws://')}/v1/rtc`);

  await Promise.all(pages.map((p) => waitForMediaFlow(p.page, { video: 1, audio: 1, timeoutMs: 90000, label: p.name })));

  // Either node lists the room, homed on A, with both participants.
  for (const node of nodes) {
    const list = await rest('GET', '/v1/rooms', { base: node.base });
    const entry = list.json.rooms.find((r) => r.name === room);
    assert.ok(entry, `${node.id}: ${list.text}`);
    assert.equal(entry.node, 'node-a', list.text);
  }
  const detail = await rest('GET', `/v1/rooms/${room}`, { base: b.base });
  assert.equal(detail.status, 200, detail.text);
  assert.deepEqual(detail.json.participants.map((p) => p.name).sort(), ['Alice', 'Bob'], detail.text);
  const metrics = await (await fetch(`${b.base}/metrics`)).text();
  assert.match(metrics, /\nsfu_cluster_redirects_total\{reason="room_home"\} 1\n/);
  passed = true;
});
