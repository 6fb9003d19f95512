// TURN through coturn: Chromium whose network lets nothing reach the server's media ports joins
// with the `ice_servers` of `joined` and gets its media through the relay; and coturn refuses
// credentials that expired or were forged.
//
// Two network namespaces and a veth pair, like two hosts (netns.mjs): "srv" (10.212.0.1) runs
// build/bin/sfu (HTTP :8080, UDP :40000-40001, `turn:` set) and coturn (scripts/turn.sh, :3478 UDP
// and TCP, relaying to 10.212.0.1 only); "cli" (10.212.0.2) runs Chromium. The runs:
//   direct   no block: the pages reach the server's host candidate (the baseline)
//   blocked  nftables in "cli" drops all UDP and TCP to 10.212.0.1 except HTTP and coturn: the
//            pages connect through the relay (selected local candidate: relay)
//   tcp      all UDP leaving "cli" dropped: TURN over TCP to coturn, UDP from coturn to the sfu
//   relay    no block, ?ice=relay (iceTransportPolicy 'relay'): the relay, by choice
// In each, a publisher page is in the room first and a second page joins; both decode each
// other's video and receive audio. The second page's time from Join to its first decoded frame
// is printed ("time to media").
// Then the refusals: a TURN Allocate (turn_client.mjs, from "cli") with the credentials of
// `joined` gets an allocation and a permission for the sfu's address, but not for another one;
// a correctly signed username whose expiry has passed, and a username with a later expiry than
// the server gave (its credential copied), are refused with 401, and coturn's log says so.
//
// Needs root (ip netns), nft and coturn; skipped with the reason otherwise. Starts its own
// server, so it does not use the one run.sh started. Run: tests/browser/run.sh turn.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CHROMIUM_PATH,
  byTestId,
  launchBrowser,
  newParticipantPage,
  openDemoPage,
  remoteTilesWithVideo,
  sleep,
  uniqueRoom,
  waitFor,
  waitForJoined,
  waitForMediaFlow,
} from './helpers.mjs';
import {
  browserInNamespace,
  linkedNamespaces,
  netnsUnsupportedReason,
  run,
  startServerInNamespace,
  workDir,
} from './netns.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const TURN_SH = resolve(here, '../../scripts/turn.sh');
const SERVER_IP = '10.212.0.1';
const CLIENT_IP = '10.212.0.2';
const HTTP_PORT = 8080;
const TURN_PORT = 3478;
const TTL_S = 600;

// The local and remote candidates of the ICE pair a page's connection uses.
function selectedCandidates(page, which) {
  return page.evaluate(async (which) => {
    const pc = window.sfuDemo[which];
    if (!pc) return null;
    const report = await pc.getStats();
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    let pairId = null;
    for (const s of byId.values()) if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    const pair = pairId && byId.get(pairId);
    if (!pair) return null;
    const local = byId.get(pair.localCandidateId) || {};
    const remote = byId.get(pair.remoteCandidateId) || {};
    return {
      localType: local.candidateType,
      localAddress: `${local.address}:${local.port}`,
      relayProtocol: local.relayProtocol || null,
      remoteType: remote.candidateType,
      remoteAddress: `${remote.address}:${remote.port}`,
    };
  }, which);
}

// Starts, in the page, a watch that resolves with the ms from now until the publish connection
// is connected and until the first video frame of the subscribe connection is decoded.
function startTimeToMedia(page) {
  return page.evaluate(() => new Promise((resolveTimes) => {
    const t0 = performance.now();
    let connectedMs = null;
    const timer = setInterval(async () => {
      const d = window.sfuDemo;
      if (connectedMs === null && d.publishPc && d.publishPc.connectionState === 'connected') connectedMs = performance.now() - t0;
      if (!d.subscribePc) return;
      const report = await d.subscribePc.getStats();
      for (const s of report.values()) {
        if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0) {
          clearInterval(timer);
          resolveTimes({ connectedMs: Math.round(connectedMs), firstFrameMs: Math.round(performance.now() - t0) });
          return;
        }
      }
    }, 20);
  }));
}

// Joins through the demo page like helpers.joinThroughUi, with `query` page parameters; with
// `timed`, returns the time to media measured from the click on Join.
async function joinTimed(page, { base, room, name, query, timed }) {
  await openDemoPage(page, `${base}/?room=${encodeURIComponent(room)}${query ? `&${query}` : ''}`);
  await page.locator(byTestId('room-input')).fill(room);
  await page.locator(byTestId('name-input')).fill(name);
  const times = timed ? startTimeToMedia(page) : null;
  await page.locator(byTestId('join-button')).click();
  // The first join of a fresh browser in a namespace can be slow on a loaded 2-core CI machine.
  const state = await waitForJoined(page, { room, name, timeoutMs: 45000 });
  return { id: state.participantId, iceServers: await page.evaluate(() => window.sfuDemo.iceServers), times };
}

// The nftables table of the client namespace: `rules` are the output chain's rules, each counted.
function setBlock(cli, rules) {
  cli.tryExec('nft', 'delete', 'table', 'inet', 'h11b');
  if (!rules.length) return;
  cli.exec('nft', 'add', 'table', 'inet', 'h11b');
  cli.exec('nft', 'add', 'chain', 'inet', 'h11b', 'output', '{ type filter hook output priority 0; policy accept; }');
  for (const rule of rules) cli.exec('nft', 'add', 'rule', 'inet', 'h11b', 'output', ...rule.split(' '), 'counter', 'drop');
}

// Packets the block dropped so far (the sum of its rules' counters).
function blockedPackets(cli) {
  const listing = cli.tryExec('nft', 'list', 'table', 'inet', 'h11b').stdout || '';
  return [...listing.matchAll(/packets (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

test('TURN via coturn: relayed media when the media ports are blocked, and refused bad credentials', { timeout: 420000 }, async (t) => {
  const reason = netnsUnsupportedReason({ tools: ['nft'] }) ||
    (run('turnserver', ['--version'], { allowFail: true }).status === 0 ? null : 'coturn (turnserver) is not installed');
  if (reason) {
    t.skip(`TURN test skipped: ${reason}`);
    return;
  }
  const work = workDir('sfu-h11b-');
  let namespaces = [];
  let server = null;
  let coturn = null;
  let browser = null;
  let ok = false;
  const turnLog = join(work, 'turn.log');
  const readTurnLog = () => (existsSync(turnLog) ? readFileSync(turnLog, 'utf8') : '');
  t.after(async () => {
    if (!ok && server) t.diagnostic(`server log (last 200 lines):\n${server.log()}`);
    if (!ok) t.diagnostic(`coturn log (last 60 lines):\n${readTurnLog().split('\n').slice(-60).join('\n')}`);
    if (browser) await browser.close().catch(() => {});
    if (server) await server.stop();
    if (coturn && coturn.exitCode === null) {
      coturn.kill('SIGTERM');
      await Promise.race([new Promise((r) => coturn.once('exit', r)), sleep(5000)]);
      if (coturn.exitCode === null) coturn.kill('SIGKILL');
    }
    for (const ns of namespaces) ns.delete();
    rmSync(work, { recursive: true, force: true });
  });

  const link = linkedNamespaces('h11b', SERVER_IP, CLIENT_IP);
  namespaces = link.namespaces;
  if (link.error) {
    t.skip(`TURN test skipped: cannot create a network namespace (${link.error})`);
    return;
  }
  const { srv, cli } = link;

  // coturn, on the server's side of the link, allowed to relay to the server's address only.
  const secret = randomBytes(32).toString('base64');
  const logFd = openSync(turnLog, 'w');
  coturn = spawn('ip', srv.argv(TURN_SH, '--secret', secret, '--listen', SERVER_IP, '--port', String(TURN_PORT),
    '--peer', SERVER_IP, '--dir', join(work, 'turn')), { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  await waitFor('coturn to listen', () => {
    if (coturn.exitCode !== null) throw new Error(`coturn exited with ${coturn.exitCode}:\n${readTurnLog()}`);
    const log = readTurnLog();
    return log.includes(`UDP listener opened on: ${SERVER_IP}:${TURN_PORT}`) && log.includes(`TCP listener opened on : ${SERVER_IP}:${TURN_PORT}`);
  }, { timeoutMs: 15000, intervalMs: 100 });

  const turnUrls = [`turn:${SERVER_IP}:${TURN_PORT}?transport=udp`, `turn:${SERVER_IP}:${TURN_PORT}?transport=tcp`];
  server = await startServerInNamespace(srv, {
    work,
    listenIp: SERVER_IP,
    httpPort: HTTP_PORT,
    probeNs: cli,
    extraYaml: ['turn:', `  urls: [${turnUrls.map((u) => `"${u}"`).join(', ')}]`, `  secret: "${secret}"`, `  ttl_s: ${TTL_S}`],
  });
  const base = server.base;
  assert.match(server.log(), /msg="turn credentials enabled" urls="turn:10\.212\.0\.1:3478\?transport=udp,turn:10\.212\.0\.1:3478\?transport=tcp" ttl_s=600/);
  assert.ok(!server.log().includes(secret), 'the server log never shows the TURN secret');

  browser = await launchBrowser({
    executablePath: browserInNamespace(cli, work, CHROMIUM_PATH),
    extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${base}`],
  });

  const timings = {};
  let lastCredentials = null;

  // One run: a publisher page joins, then a second page (timed); both must decode each other
  // through a pair whose local candidate is `expectLocal` ('host' or 'relay').
  async function call(label, { query = '', expectLocal, relayProtocol = null }) {
    const room = uniqueRoom(`h11b-${label}`);
    const first = await newParticipantPage(browser, base);
    const second = await newParticipantPage(browser, base);
    try {
      const a = await joinTimed(first, { base, room, name: 'Publisher', query });
      await waitFor('the publisher to connect', () => first.evaluate(() => window.sfuDemo.publishPc?.connectionState === 'connected'), { timeoutMs: 30000 });
      const b = await joinTimed(second, { base, room, name: 'Joiner', query, timed: true });
      const times = await Promise.race([b.times, sleep(60000).then(() => { throw new Error(`${label}: no decoded frame within 60 s`); })]);
      await Promise.all([
        waitForMediaFlow(first, { video: 1, audio: 1, timeoutMs: 60000, label: `${label} publisher` }),
        waitForMediaFlow(second, { video: 1, audio: 1, timeoutMs: 60000, label: `${label} joiner` }),
      ]);
      for (const [page, self, other] of [[first, a, b], [second, b, a]]) {
        assert.deepEqual(await remoteTilesWithVideo(page), [other.id], `${label}: the playing remote tiles`);
        assert.equal(self.iceServers.length, 1, `${label}: joined carried one ice server`);
        assert.deepEqual(self.iceServers[0].urls, turnUrls);
        for (const which of ['publishPc', 'subscribePc']) {
          const pair = await selectedCandidates(page, which);
          t.diagnostic(`${label} ${self.id} ${which}: ${JSON.stringify(pair)}`);
          assert.equal(pair?.localType, expectLocal, `${label}: ${which} uses a ${expectLocal} candidate`);
          assert.match(pair.remoteAddress, /^10\.212\.0\.1:4000[01]$/, `${label}: ${which} reaches the server's media port`);
          if (relayProtocol) assert.equal(pair.relayProtocol, relayProtocol, `${label}: ${which} reaches coturn over ${relayProtocol}`);
        }
      }
      lastCredentials = { participant: b.id, ...b.iceServers[0] };
      timings[label] = times;
      t.diagnostic(`${label}: time to media of the second page: ICE+DTLS connected ${times.connectedMs} ms, first video frame decoded ${times.firstFrameMs} ms after Join`);
    } finally {
      await first.context().close().catch(() => {});
      await second.context().close().catch(() => {});
    }
  }

  await t.test('direct: no block, the host candidate', async () => {
    setBlock(cli, []);
    await call('direct', { expectLocal: 'host' });
  });

  await t.test('blocked: UDP and TCP to the media ports dropped, media through the relay', async () => {
    // Everything to the server except its HTTP port and coturn's port.
    setBlock(cli, [
      `ip daddr ${SERVER_IP} udp dport != ${TURN_PORT}`,
      `ip daddr ${SERVER_IP} tcp dport != { ${HTTP_PORT}, ${TURN_PORT} }`,
    ]);
    assert.notEqual(cli.httpStatus(`${base}/healthz`), '000', 'HTTP still reaches the server');
    await call('blocked', { expectLocal: 'relay' });
    const dropped = blockedPackets(cli);
    t.diagnostic(`packets the block dropped (direct attempts): ${dropped}`);
    assert.ok(dropped > 0, 'the pages tried the server directly and were blocked');
  });

  await t.test('tcp: all UDP from the client dropped, TURN over TCP', async () => {
    setBlock(cli, ['oifname != "lo" meta l4proto udp', `ip daddr ${SERVER_IP} tcp dport != { ${HTTP_PORT}, ${TURN_PORT} }`]);
    await call('tcp', { expectLocal: 'relay', relayProtocol: 'tcp' });
  });

  await t.test('relay: no block, iceTransportPolicy relay (?ice=relay)', async () => {
    setBlock(cli, []);
    await call('relay', { query: 'ice=relay', expectLocal: 'relay' });
  });

  await t.test('coturn takes the credentials of joined and refuses expired and forged ones', async () => {
    assert.ok(lastCredentials, 'credentials from a joined message');
    const allocate = (username, password, peers = []) => {
      const res = cli.tryExec(process.execPath, join(here, 'turn_client.mjs'),
        JSON.stringify({ server: `${SERVER_IP}:${TURN_PORT}`, username, password, peers }));
      return JSON.parse(res.stdout.trim().split('\n').pop());
    };
    const { participant, username, credential } = lastCredentials;
    const now = Math.floor(Date.now() / 1000);
    const expiry = Number(username.split(':')[0]);
    assert.equal(username, `${expiry}:${participant}`);
    assert.ok(expiry > now && expiry <= now + TTL_S, `the expiry ${expiry} is within turn.ttl_s of now (${now})`);

    const good = allocate(username, credential, [SERVER_IP, '10.212.0.99']);
    t.diagnostic(`the joined credentials: ${JSON.stringify(good)}`);
    assert.equal(good.allocate.ok, true, 'an allocation with the credentials of joined');
    assert.match(good.allocate.relayed, /^10\.212\.0\.1:\d+$/);
    assert.deepEqual(good.permissions.map((p) => [p.peer, p.ok, p.code]), [[SERVER_IP, true, null], ['10.212.0.99', false, 403]],
      'a permission for the sfu, none for another address');

    // Signed with the right secret, but expired a minute ago.
    const expiredName = `${now - 60}:${participant}`;
    const expired = allocate(expiredName, createHmac('sha1', secret).update(expiredName).digest('base64'));
    // The expiry pushed a year ahead by the client, with the credential it was given.
    const forgedName = `${expiry + 365 * 86400}:${participant}`;
    const forged = allocate(forgedName, credential);
    t.diagnostic(`expired: ${JSON.stringify(expired)}; forged: ${JSON.stringify(forged)}`);
    for (const [what, result] of [['expired', expired], ['forged', forged]]) {
      assert.equal(result.allocate.ok, false, `the ${what} credential gets no allocation`);
      assert.equal(result.allocate.code, 401, `the ${what} credential is refused with 401`);
    }
    // coturn logs every refusal with the username, e.g.
    //   session ...: realm <sfu> user <1700000000:p...>: incoming packet message processed, error 401: Unauthorized
    await waitFor('coturn to log the refusals', () => {
      const log = readTurnLog();
      return [expiredName, forgedName].every((u) => log.includes(`user <${u}>: incoming packet message processed, error 401`));
    }, { timeoutMs: 5000 });
    const refusals = readTurnLog().split('\n').filter((l) => /error 401: Unauthorized/.test(l) && !l.includes('user <>')).length;
    t.diagnostic(`coturn log lines refusing a username with 401: ${refusals}`);
  });

  const metrics = cli.tryExec('curl', '-s', '--max-time', '2', `${base}/metrics`).stdout || '';
  const issued = Number((/^sfu_turn_credentials_issued_total (\d+)$/m.exec(metrics) || [])[1]);
  t.diagnostic(`sfu_turn_credentials_issued_total ${issued}`);
  assert.ok(issued >= 8, `one credential per join (8 joins), got ${issued}`);
  t.diagnostic(`time to media (second page, Join to first decoded frame): ${Object.entries(timings).map(([k, v]) => `${k} ${v.firstFrameMs} ms (connected ${v.connectedMs} ms)`).join(', ')}`);
  ok = true;
});
