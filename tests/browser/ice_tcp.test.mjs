// ICE-TCP with a real browser: when UDP between Chromium and the server is blocked, Chromium
// connects over the server's passive TCP candidate (RFC 6544) and media decodes both ways.
//
// Two network namespaces linked by a veth pair, like two hosts on a LAN: the server on 10.211.0.1
// (UDP 40000-40001, ICE-TCP 40100-40101), Chromium on 10.211.0.2. A first call runs with the link
// open (its selected candidate pairs are UDP); then nftables inside the browser's namespace drops
// every UDP packet to and from the server, and a second call connects over TCP (getStats: the
// selected pair's candidates are tcp, the remote one the server's passive candidate). The time
// from the second participant's join to both decoding the other's video is reported for both.
// Needs root (ip netns) and nft; skipped with the reason otherwise. Namespaces are made and
// removed by the test (names h11a-*).
//
// Run with SFU_E2E_NETNS=1 tests/browser/run.sh, or: tests/browser/run.sh ice_tcp.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { CHROMIUM_PATH, joinThroughUi, launchBrowser, newParticipantPage, rtpStats, uniqueRoom, waitFor, waitForMediaFlow } from './helpers.mjs';
import { browserInNamespace, linkedNamespaces, netnsUnsupportedReason, startServerInNamespace, workDir } from './netns.mjs';

const SERVER_IP = '10.211.0.1';
const BROWSER_IP = '10.211.0.2';
const UDP_PORT = 40000;
const TCP_PORT = 40100;

// The selected candidate pair of one of the page's peer connections: protocols, types and the
// remote address, from getStats() (transport.selectedCandidatePairId).
function selectedPair(page, which) {
  return page.evaluate(async (which) => {
    const pc = window.sfuDemo[which];
    if (!pc) return null;
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
    });
    if (!pair) return null;
    const local = stats.get(pair.localCandidateId) || {};
    const remote = stats.get(pair.remoteCandidateId) || {};
    return {
      state: pair.state,
      localProtocol: local.protocol,
      localTcpType: local.tcpType,
      remoteProtocol: remote.protocol,
      remoteTcpType: remote.tcpType,
      remoteAddress: remote.address,
      remotePort: remote.port,
    };
  }, which);
}

const decodedVideoFrames = async (page) =>
  (await rtpStats(page)).filter((s) => s.type === 'inbound-rtp' && s.kind === 'video').reduce((sum, s) => sum + (s.framesDecoded || 0), 0);

// Two participants join `room`; returns the pages and the milliseconds from the second join to
// both decoding video from the other (ICE, DTLS, the first keyframe).
async function call(browser, base, room, names) {
  const pages = [];
  for (const name of names) {
    const page = await newParticipantPage(browser, base);
    pages.push({ name, page, id: await joinThroughUi(page, { base, room, name, timeoutMs: 30000 }) });
  }
  const start = Date.now();
  await waitFor(`both of ${names.join(', ')} to decode video`, async () => {
    for (const p of pages) if ((await decodedVideoFrames(p.page)) === 0) return false;
    return true;
  }, { timeoutMs: 60000, intervalMs: 50 });
  const timeToMediaMs = Date.now() - start;
  await Promise.all(pages.map((p) => waitForMediaFlow(p.page, { video: 1, audio: 1, timeoutMs: 30000, label: p.name })));
  return { pages, timeToMediaMs };
}

test('with UDP blocked, Chromium connects over ICE-TCP and media decodes both ways', { timeout: 300000 }, async (t) => {
  const reason = netnsUnsupportedReason({ tools: ['nft'] });
  if (reason) {
    t.skip(`ICE-TCP test skipped: ${reason}`);
    return;
  }
  const work = workDir('sfu-h11a-');
  let namespaces = [];
  let server = null;
  let browser = null;
  let failed = true;
  t.after(async () => {
    if (failed && server) t.diagnostic(`server log:\n${server.log()}`);
    if (browser) await browser.close().catch(() => {});
    if (server) await server.stop();
    for (const ns of namespaces) ns.delete();
    rmSync(work, { recursive: true, force: true });
  });

  const link = linkedNamespaces('h11a', SERVER_IP, BROWSER_IP);
  namespaces = link.namespaces;
  if (link.error) {
    t.skip(`ICE-TCP test skipped: cannot create a network namespace (${link.error})`);
    return;
  }
  const { srv, cli } = link;
  server = await startServerInNamespace(srv, { work, listenIp: SERVER_IP, httpPort: 8080, udpPort: UDP_PORT, tcpPort: TCP_PORT, probeNs: cli });
  const base = server.base;
  assert.match(server.log(), /worker listening" worker=0 udp=0\.0\.0\.0:40000 ice_tcp=0\.0\.0\.0:40100/, 'the start-up log says where ICE-TCP listens');
  browser = await launchBrowser({
    executablePath: browserInNamespace(cli, work, CHROMIUM_PATH),
    // getUserMedia needs a secure context; plain http from a LAN address is not one.
    extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${base}`],
  });

  // 1. The link open: UDP, as the candidates' priorities ask.
  const udp = await call(browser, base, uniqueRoom('h11a-udp'), ['Uma', 'Udo']);
  for (const p of udp.pages) {
    for (const which of ['publishPc', 'subscribePc']) {
      const pair = await selectedPair(p.page, which);
      assert.equal(pair?.localProtocol, 'udp', `${p.name} ${which} with UDP open: ${JSON.stringify(pair)}`);
    }
  }
  for (const p of udp.pages) await p.page.context().close();

  // 2. UDP between the browser and the server dropped inside the browser's namespace.
  cli.exec('nft', 'add', 'table', 'inet', 'h11a');
  cli.exec('nft', 'add', 'chain', 'inet', 'h11a', 'output', '{ type filter hook output priority 0; policy accept; }');
  cli.exec('nft', 'add', 'chain', 'inet', 'h11a', 'input', '{ type filter hook input priority 0; policy accept; }');
  cli.exec('nft', 'add', 'rule', 'inet', 'h11a', 'output', 'ip', 'daddr', SERVER_IP, 'meta', 'l4proto', 'udp', 'counter', 'drop');
  cli.exec('nft', 'add', 'rule', 'inet', 'h11a', 'input', 'ip', 'saddr', SERVER_IP, 'meta', 'l4proto', 'udp', 'counter', 'drop');
  assert.match(cli.exec('nft', 'list', 'table', 'inet', 'h11a').stdout, /udp counter packets \d+ bytes \d+ drop/);

  const tcp = await call(browser, base, uniqueRoom('h11a-tcp'), ['Tara', 'Tom']);
  for (const p of tcp.pages) {
    for (const which of ['publishPc', 'subscribePc']) {
      const pair = await selectedPair(p.page, which);
      assert.equal(pair?.localProtocol, 'tcp', `${p.name} ${which} with UDP blocked: ${JSON.stringify(pair)}`);
      assert.equal(pair.remoteProtocol, 'tcp');
      assert.equal(pair.remoteTcpType, 'passive');
      assert.equal(pair.remoteAddress, SERVER_IP);
      assert.ok(pair.remotePort === TCP_PORT || pair.remotePort === TCP_PORT + 1, `remote port ${pair.remotePort}`);
    }
  }
  // Decoding keeps going over TCP.
  for (const p of tcp.pages) {
    const before = await decodedVideoFrames(p.page);
    await waitFor(`${p.name} to keep decoding`, async () => (await decodedVideoFrames(p.page)) > before + 30, { timeoutMs: 20000 });
  }
  // The browser's UDP really was dropped, and the server counts its TCP connections.
  const ruleset = cli.exec('nft', 'list', 'table', 'inet', 'h11a').stdout;
  const dropped = [...ruleset.matchAll(/counter packets (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  assert.ok(dropped > 0, `no UDP packet was dropped: ${ruleset}`);
  const metrics = cli.exec('curl', '-s', '--max-time', '5', `${base}/metrics`).stdout;
  const validated = [...metrics.matchAll(/^sfu_ice_tcp_connections\{worker="\d+",state="validated"\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  assert.ok(validated >= 4, `sfu_ice_tcp_connections validated = ${validated} (two connections per participant)`);

  t.diagnostic(`time to media (second join -> both decode video): UDP ${udp.timeToMediaMs} ms, ICE-TCP with UDP blocked ${tcp.timeToMediaMs} ms; ${dropped} UDP packets dropped by nftables`);
  failed = false;
});
