// A participant's network changes under a live call (Wi-Fi to LTE): the demo page gets its media
// back by itself, as the same participant, and the other side sees no leave.
//
// Two network namespaces linked by a veth pair: the server and a second Chromium ("Bob") on
// 10.215.0.1, the moving Chromium ("Alice") on 10.215.0.2. Once both decode each other, Alice's
// host gets the new address 10.215.0.3 and loses 10.215.0.2: every socket of hers, the signaling
// WebSocket included, is cut. The demo page then has to do two things on its own:
// - resume the signaling session (reconnect.js, docs/protocol.md 2.7), and
// - restart ICE on both connections (ice_recovery.js, docs/protocol.md 3.1) when they go
//   `disconnected`/`failed`, so that they pair from the new address.
// Asserted: both connections' selected pairs use 10.215.0.3, Alice and Bob decode each other again,
// Alice is the same participant, Bob never saw her leave, and the page restarted ICE itself.
// Reported: the time from the address change to each side decoding again.
//
// Needs root (ip netns); skipped with the reason otherwise. Namespaces h11e-* are made and removed
// by the test. Run with SFU_E2E_NETNS=1 tests/browser/run.sh, or tests/browser/run.sh address_change.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { CHROMIUM_PATH, demoState, joinThroughUi, launchBrowser, newParticipantPage, rtpStats, uniqueRoom, waitFor, waitForMediaFlow } from './helpers.mjs';
import { browserInNamespace, linkedNamespaces, netnsUnsupportedReason, startServerInNamespace, workDir } from './netns.mjs';

const SERVER_IP = '10.215.0.1';
const OLD_IP = '10.215.0.2';
const NEW_IP = '10.215.0.3';

// The local address of the selected candidate pair of one of the page's connections.
function selectedLocalAddress(page, which) {
  return page.evaluate(async (which) => {
    const pc = window.sfuDemo[which];
    if (!pc) return null;
    const stats = await pc.getStats();
    let address = null;
    stats.forEach((s) => {
      if (s.type !== 'transport' || !s.selectedCandidatePairId) return;
      const pair = stats.get(s.selectedCandidatePairId);
      const local = pair && stats.get(pair.localCandidateId);
      if (local) address = local.address;
    });
    return address;
  }, which);
}

const decodedVideoFrames = async (page) =>
  (await rtpStats(page)).filter((s) => s.type === 'inbound-rtp' && s.kind === 'video').reduce((sum, s) => sum + (s.framesDecoded || 0), 0);

test('a participant whose address changes gets media back by itself, as the same participant', { timeout: 240000 }, async (t) => {
  const reason = netnsUnsupportedReason();
  if (reason) {
    t.skip(`address change test skipped: ${reason}`);
    return;
  }
  const work = workDir('sfu-h11e-');
  let namespaces = [];
  let server = null;
  const browsers = [];
  let failed = true;
  t.after(async () => {
    if (failed && server) t.diagnostic(`server log:\n${server.log()}`);
    for (const browser of browsers) await browser.close().catch(() => {});
    if (server) await server.stop();
    for (const ns of namespaces) ns.delete();
    rmSync(work, { recursive: true, force: true });
  });

  const link = linkedNamespaces('h11e', SERVER_IP, OLD_IP);
  namespaces = link.namespaces;
  if (link.error) {
    t.skip(`address change test skipped: cannot create a network namespace (${link.error})`);
    return;
  }
  const { srv, cli } = link;
  server = await startServerInNamespace(srv, { work, listenIp: SERVER_IP, httpPort: 8080, probeNs: cli });
  const base = server.base;
  // getUserMedia needs a secure context; plain http from a LAN address is not one.
  const extraArgs = [`--unsafely-treat-insecure-origin-as-secure=${base}`];
  for (const ns of [cli, srv]) browsers.push(await launchBrowser({ executablePath: browserInNamespace(ns, work, CHROMIUM_PATH), extraArgs }));

  const room = uniqueRoom('h11e');
  const alice = await newParticipantPage(browsers[0], base);
  const bob = await newParticipantPage(browsers[1], base);
  const aliceId = await joinThroughUi(alice, { base, room, name: 'Alice', timeoutMs: 30000 });
  await joinThroughUi(bob, { base, room, name: 'Bob', timeoutMs: 30000 });
  await Promise.all([
    waitForMediaFlow(alice, { video: 1, audio: 1, label: 'Alice before the change' }),
    waitForMediaFlow(bob, { video: 1, audio: 1, label: 'Bob before the change' }),
  ]);
  for (const which of ['publishPc', 'subscribePc']) assert.equal(await selectedLocalAddress(alice, which), OLD_IP);
  const bobMessagesBefore = (await demoState(bob)).messages.length;

  // The change: the new address first (promoted when the old one goes, so the route stays).
  const ifName = `h11e${process.pid}b`.slice(-15);
  cli.exec('sysctl', '-qw', `net.ipv4.conf.${ifName}.promote_secondaries=1`);
  cli.exec('ip', 'addr', 'add', `${NEW_IP}/24`, 'dev', ifName);
  cli.exec('ip', 'addr', 'del', `${OLD_IP}/24`, 'dev', ifName);
  cli.exec('ip', 'route', 'replace', 'default', 'via', SERVER_IP, 'dev', ifName);
  const changedAt = Date.now();
  const [aliceFramesAtChange, bobFramesAtChange] = [await decodedVideoFrames(alice), await decodedVideoFrames(bob)];

  // Decoding again on both sides: frames past those at the change, from the new address.
  const back = {};
  await waitFor('Alice and Bob to decode each other again after the change', async () => {
    if (!back.alice && (await decodedVideoFrames(alice)) > aliceFramesAtChange + 5) back.alice = Date.now() - changedAt;
    if (!back.bob && (await decodedVideoFrames(bob)) > bobFramesAtChange + 5) back.bob = Date.now() - changedAt;
    return back.alice && back.bob;
  }, { timeoutMs: 60000, intervalMs: 100 });
  await waitFor('both of Alice\'s connections to pair from the new address', async () => {
    for (const which of ['publishPc', 'subscribePc']) if ((await selectedLocalAddress(alice, which)) !== NEW_IP) return false;
    return true;
  }, { timeoutMs: 30000 });
  await Promise.all([
    waitForMediaFlow(alice, { video: 1, audio: 1, label: 'Alice after the change' }),
    waitForMediaFlow(bob, { video: 1, audio: 1, label: 'Bob after the change' }),
  ]);

  const aliceState = await demoState(alice);
  const recovery = await alice.evaluate(() => ({ ice: window.sfuDemo.iceRecoveries, iceLog: window.sfuDemo.iceLog, reconnects: window.sfuDemo.reconnects, lastReconnect: window.sfuDemo.lastReconnect }));
  const timeline = recovery.iceLog.filter((e) => e.at >= changedAt).map((e) => `+${e.at - changedAt} ms ${e.connection} ${e.event}`);
  t.diagnostic(`Alice's recovery: restarts ${JSON.stringify(recovery.ice)}, resume ${JSON.stringify(recovery.lastReconnect)}; ${timeline.join(', ')}`);
  assert.equal(aliceState.state, 'joined');
  assert.equal(aliceState.participantId, aliceId, 'Alice is the same participant');
  assert.ok(recovery.ice.publish >= 1 && recovery.ice.subscribe >= 1, 'the page restarted ICE on both connections by itself');
  const bobSaw = (await demoState(bob)).messages.slice(bobMessagesBefore).map((m) => m.type);
  assert.ok(!bobSaw.includes('participant_left') && !bobSaw.includes('participant_joined'), `Bob saw Alice neither leave nor join again: ${bobSaw.join(', ')}`);
  t.diagnostic(`time from the address change to decoding again: Alice ${back.alice} ms, Bob ${back.bob} ms`);
  failed = false;
});
