// Cluster mode (docs/protocol.md, "Cluster"): a redis-server and two sfu nodes of their own on
// loopback. Alice opens the demo page on node A and creates the room there; Bob opens the page on
// node B, whose join is answered with `redirect` to node A; his page follows it (a new signaling
// socket to A, joining there), and the two pages decode each other's video and audio. Then, with
// `?stay=1` on both pages (a `join` with `"stay": true`), each page stays on the node it opened,
// the room spans both nodes, and the nodes' relay carries each page's media to the other. Skipped,
// with the reason printed, when redis-server is not installed (scripts/setup.sh installs it).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readFileSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  demoState,
  joinThroughUi,
  launchBrowser,
  newParticipantPage,
  rest,
  sleep,
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

// A cluster of its own per test: a redis-server and two nodes (node-a, node-b, one worker each),
// so a test's rooms and load never reach the next one (a new room's home is the least loaded
// node: the spanning case needs both nodes empty to know its home is the node asked first).
// The relay between the nodes (rooms spanning nodes) needs the same cluster.secret on each and a
// relay socket per worker: relay_port 0 = a free port each, on relay_address 127.0.0.1.
const clusters = [];
let browser;

function stopProcess(p) {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const kill = setTimeout(() => p.kill('SIGKILL'), 10000);
    p.once('exit', () => {
      clearTimeout(kill);
      resolvePromise();
    });
    p.kill('SIGTERM');
  });
}

async function startCluster() {
  const work = mkdtempSync(join(tmpdir(), 'sfu-cluster-'));
  const cluster = { work, processes: [], nodes: [] }; // nodes: {id, base, logPath}
  clusters.push(cluster);
  const [redisPort] = freePorts();
  cluster.processes.push(spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
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
        `cluster:\n  enabled: true\n  redis_url: redis://127.0.0.1:${redisPort}\n  node_id: ${id}\n  secret: "${SECRET}"\n` +
        `  relay_address: 127.0.0.1\n  relay_port: 0\n`,
    );
    assert.ok(existsSync(SFU_BIN), `${SFU_BIN} is missing`);
    const log = openSync(logPath, 'w');
    cluster.processes.push(spawn(SFU_BIN, ['--config', config], { stdio: ['ignore', log, log] }));
    cluster.nodes.push({ id, base: `http://127.0.0.1:${httpPort}`, logPath });
  }
  // Both nodes up, and each sees the other in the registry.
  for (const node of cluster.nodes) {
    await waitFor(`${node.id} to see both nodes alive`, async () => {
      const metrics = await (await fetch(`${node.base}/metrics`)).text();
      return /\nsfu_cluster_nodes_alive 2\n/.test(metrics);
    }, { timeoutMs: 20000 });
  }
  return cluster;
}

async function stopCluster(cluster) {
  const index = clusters.indexOf(cluster);
  if (index >= 0) clusters.splice(index, 1);
  await Promise.all([...cluster.processes].reverse().map(stopProcess));
}

async function sharedBrowser() {
  if (!browser) browser = await launchBrowser();
  return browser;
}

// On failure: what each page showed and the end of each node's log (the nodes' configs and logs
// stay in cluster.work). Then the pages and the cluster go; on success, its directory too (unless
// SFU_E2E_KEEP=1).
function cleanUpAfter(t, cluster, pages, passed) {
  t.after(async () => {
    if (!passed()) {
      t.diagnostic(`the nodes' configs and logs: ${cluster.work}`);
      for (const p of pages) {
        const state = await demoState(p.page).catch((err) => ({ error: String(err) }));
        if (state.messages) state.messages = state.messages.slice(-20);
        t.diagnostic(`${p.name}: ${JSON.stringify(state)}`);
        if (p.page.logs.length) t.diagnostic(`${p.name} console: ${p.page.logs.slice(-20).join(' | ')}`);
      }
      for (const node of cluster.nodes)
        t.diagnostic(`${node.id} log: ${readFileSync(node.logPath, 'utf8').split('\n').slice(-40).join('\n')}`);
    }
    for (const p of pages) await p.page.context().close().catch(() => {});
    await stopCluster(cluster);
    if (passed() && process.env.SFU_E2E_KEEP !== '1') rmSync(cluster.work, { recursive: true, force: true });
  });
}

// The value of one sample of a /metrics text (`name` with its labels, as printed). Every sample
// read here is always exported (zeros included), so a missing one is a failure, not a zero.
function metricValue(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `/metrics has no sample ${name}`);
  return Number(line.slice(name.length + 1));
}

const metricsOf = async (node) => (await fetch(`${node.base}/metrics`)).text();

after(async () => {
  if (browser) await browser.close().catch(() => {});
  for (const cluster of [...clusters]) await stopCluster(cluster);
});

test('two pages opened on different nodes meet in one room and decode each other', { skip, timeout: 240000 }, async (t) => {
  const room = uniqueRoom('cluster');
  const cluster = await startCluster();
  const { nodes } = cluster;
  const [a, b] = nodes;
  const browser = await sharedBrowser();
  const pages = [];
  let passed = false;
  cleanUpAfter(t, cluster, pages, () => passed);

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

test('with ?stay=1, pages on two nodes each stay on theirs: the room spans both and the relay carries media', { skip, timeout: 240000 }, async (t) => {
  const room = uniqueRoom('span');
  const cluster = await startCluster();
  const [a, b] = cluster.nodes;
  const browser = await sharedBrowser();
  const pages = [];
  let passed = false;
  cleanUpAfter(t, cluster, pages, () => passed);

  // Every signaling WebSocket a page opens, to tell which node it talks to.
  const open = async (node, name) => {
    const page = await newParticipantPage(browser, node.base);
    page.sockets = [];
    page.on('websocket', (ws) => page.sockets.push(ws.url()));
    const entry = { name, page, node };
    pages.push(entry);
    entry.id = await joinThroughUi(page, { base: node.base, room, name, query: '&stay=1' });
    return entry;
  };
  // Alice first, on A: the room is new and both nodes are empty, so A (the node asked, on a tie of
  // load) becomes its home; the directory says so before Bob comes.
  const alice = await open(a, 'Alice');
  const homeOf = async (node) => {
    const list = await rest('GET', '/v1/rooms', { base: node.base });
    const entry = list.json.rooms.find((r) => r.name === room);
    return entry && entry.node;
  };
  await waitFor(`the directory to list ${room} homed on node-a`, async () => (await homeOf(b)) === 'node-a');
  const bob = await open(b, 'Bob');

  // (a) Neither page was redirected: each joined, and still talks, on the node that served it.
  for (const p of [alice, bob]) {
    const own = `${p.node.base.replace('http://', 'ws://')}/v1/rtc`;
    const state = await p.page.evaluate(() => ({ redirects: window.sfuDemo.redirects, target: window.sfuDemo.signalingTarget }));
    assert.deepEqual(state, { redirects: 0, target: null }, `${p.name}: ${JSON.stringify(state)}`);
    assert.ok(p.page.sockets.length >= 1, `${p.name} opened no WebSocket`);
    assert.deepEqual([...new Set(p.page.sockets)], [own], `${p.name}'s WebSockets: ${JSON.stringify(p.page.sockets)}`);
  }
  // The room stays homed on A. (B's list now shows its own part, under node-b, instead of the
  // directory's entry: a node lists the rooms it has a part of as its own.)
  assert.equal(await homeOf(a), 'node-a', "node-a's list");
  // Each node holds its own participant: its part of the room lists it (REST acts on the part of
  // the node it reaches), its sfu_participants gauge is 1, B counted a join that stayed and
  // neither node sent a redirect.
  for (const p of [alice, bob]) {
    const detail = await rest('GET', `/v1/rooms/${room}`, { base: p.node.base });
    assert.equal(detail.status, 200, `${p.node.id}: ${detail.text}`);
    assert.ok(detail.json.participants.some((q) => q.id === p.id && q.name === p.name), `${p.node.id}: ${detail.text}`);
    const metrics = await metricsOf(p.node);
    assert.equal(metricValue(metrics, 'sfu_participants'), 1, `${p.node.id} sfu_participants`);
    assert.equal(metricValue(metrics, 'sfu_cluster_redirects_total{reason="room_home"}'), 0, `${p.node.id} redirects`);
    assert.equal(metricValue(metrics, 'sfu_cluster_span_joins_total'), p === bob ? 1 : 0, `${p.node.id} span joins`);
  }

  // (b) Each page decodes the other's video (and receives its audio): only the relay can bring it.
  await Promise.all([alice, bob].map((p) => waitForMediaFlow(p.page, { video: 1, audio: 1, timeoutMs: 90000, label: p.name })));

  // (c) The relay carried it: both nodes sent slots to the other and accepted slots from it, and
  // keep doing so while the call goes on (media, not only the first reports), with nothing forged,
  // replayed or malformed dropped.
  const relay = async () => {
    const out = {};
    for (const node of [a, b]) {
      const metrics = await metricsOf(node);
      out[node.id] = {
        sent: metricValue(metrics, 'sfu_cluster_relay_packets_sent_total'),
        received: metricValue(metrics, 'sfu_cluster_relay_packets_received_total'),
        bad_tag: metricValue(metrics, 'sfu_cluster_relay_dropped_total{reason="bad_tag"}'),
        replay: metricValue(metrics, 'sfu_cluster_relay_dropped_total{reason="replay"}'),
        malformed: metricValue(metrics, 'sfu_cluster_relay_dropped_total{reason="malformed"}'),
      };
    }
    return out;
  };
  const first = await relay();
  await sleep(2000);
  const second = await relay();
  for (const id of ['node-a', 'node-b']) {
    const seen = JSON.stringify({ first: first[id], second: second[id] });
    assert.ok(first[id].sent > 0 && first[id].received > 0, `${id} relay: ${seen}`);
    assert.ok(second[id].sent > first[id].sent && second[id].received > first[id].received, `${id} relay: ${seen}`);
    assert.deepEqual([second[id].bad_tag, second[id].replay, second[id].malformed], [0, 0, 0], `${id} relay drops: ${seen}`);
  }
  t.diagnostic(`relay packets after media flowed: ${JSON.stringify(second)}`);
  passed = true;
});
