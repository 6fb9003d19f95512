// A room that spans workers (docs/protocol.md, "Rooms across workers"): three Chromium pages join
// one room on a server of its own with two workers and round-robin placement
// (rooms.span_workers: round_robin), so the first and third land on worker 0 and the second on
// worker 1; every page decodes both others' video and receives their audio, REST shows where each
// participant is, and /metrics shows media crossing between the workers both ways.
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

let server;
let base;
let logPath;
let browser;

before(async () => {
  const [httpPort, udpPort] = execFileSync('node', [join(here, 'free_ports.mjs'), '2'], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)
    .map(Number);
  const work = mkdtempSync(join(tmpdir(), 'sfu-span-'));
  const config = join(work, 'sfu.yaml');
  logPath = join(work, 'sfu.log');
  writeFileSync(
    config,
    `http:\n  listen: 127.0.0.1:${httpPort}\nworkers: 2\n` +
      `rtc:\n  udp_port: ${udpPort}\n  tcp_port: ${udpPort}\n  announced_ip: 127.0.0.1\n` +
      `rooms:\n  span_workers: round_robin\n`,
  );
  assert.ok(existsSync(SFU_BIN), `${SFU_BIN} is missing`);
  const log = openSync(logPath, 'w');
  server = spawn(SFU_BIN, ['--config', config], { stdio: ['ignore', log, log] });
  base = `http://127.0.0.1:${httpPort}`;
  await waitFor('the two-worker server to answer /healthz', async () => (await fetch(`${base}/healthz`)).ok, {
    timeoutMs: 15000,
  });
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server) server.kill('SIGTERM');
});

// `name{labels} value` of the Prometheus text, as a number (NaN when absent).
function sample(metrics, line) {
  const found = metrics.split('\n').find((l) => l.startsWith(line + ' '));
  return found ? Number(found.slice(line.length + 1)) : NaN;
}

test('three pages in one room on two workers decode each other', { timeout: 300000 }, async (t) => {
  const room = uniqueRoom('span');
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
    t.diagnostic(`server log: ${readFileSync(logPath, 'utf8').split('\n').slice(-60).join('\n')}`);
  });

  // One after the other: round-robin placement puts them on workers 0, 1, 0.
  for (const name of ['Alice', 'Bob', 'Carol']) {
    const page = await newParticipantPage(browser, base);
    const id = await joinThroughUi(page, { base, room, name });
    pages.push({ name, page, id });
  }

  await Promise.all(
    pages.map((p) => waitForMediaFlow(p.page, { video: 2, audio: 2, timeoutMs: 90000, label: p.name })),
  );

  const detail = await rest('GET', `/v1/rooms/${room}`, { base });
  assert.equal(detail.status, 200, detail.text);
  assert.deepEqual(detail.json.workers, [0, 1], detail.text);
  const workerOf = Object.fromEntries(detail.json.participants.map((p) => [p.id, p.worker]));
  assert.deepEqual(
    pages.map((p) => workerOf[p.id]),
    [0, 1, 0],
    `placement of ${pages.map((p) => p.name)}: ${detail.text}`,
  );
  for (const p of detail.json.participants)
    for (const track of p.tracks) assert.equal(track.subscribers, 2, `subscribers of ${p.id}'s ${track.kind}: ${detail.text}`);

  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.equal(sample(metrics, 'sfu_worker_participants{worker="0"}'), 2, metrics);
  assert.equal(sample(metrics, 'sfu_worker_participants{worker="1"}'), 1, metrics);
  for (const w of [0, 1]) {
    for (const direction of ['in', 'out']) {
      const line = `sfu_worker_ring_packets_total{worker="${w}",direction="${direction}"}`;
      assert.ok(sample(metrics, line) > 0, `${line} in\n${metrics}`);
    }
  }
  passed = true;
});
