// Congestion control toward a subscriber (issue 10), in Chromium: a publisher sends three
// simulcast layers (the demo page's q/h/f), two subscribers receive them. The limited one's
// Chromium runs in a network namespace of its own whose downlink nftables polices (`limit rate
// over 400 kbytes/second drop`, then 60 kbytes/s, then lifted); the other one's link is free.
// The server's allocator must step the limited one down within 5 s of the 60 kbyte/s limit, keep
// it decoding, and climb back within 15 s of the limit lifting; the free one keeps its layer
// throughout. The same run with `bandwidth.allocation: false` follows: its limited subscriber must
// spend longer frozen (Chromium's totalFreezesDuration) than with allocation.
//
// Three namespaces (names h10a-*, subnet 10.233.0.0/16; SFU_BW_NS and SFU_BW_SUBNET change them
// so parallel runs do not collide): the server on 10.233.1.1, the publisher and the free
// subscriber on 10.233.1.2, the limited subscriber on 10.233.2.2 (a second veth of the server's
// namespace, 10.233.2.1). Needs root and nft; skipped otherwise.
//
// SFU_BW_RUNS picks the runs (comma-separated; default on,off): `on` (the server's defaults:
// allocation on, bandwidth.pacing off; `on-nopacing` is the same), `on-pacing` (allocation and
// pacing on), `off` (both off).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { CHROMIUM_PATH, joinThroughUi, launchBrowser, newParticipantPage, sleep, uniqueRoom, videoOf, waitFor } from './helpers.mjs';
import { NetNs, browserInNamespace, linkNamespaces, netnsUnsupportedReason, startServerInNamespace, workDir } from './netns.mjs';

const NS = process.env.SFU_BW_NS || 'h10a';
const SUBNET = process.env.SFU_BW_SUBNET || '10.233';
const SERVER_IP = `${SUBNET}.1.1`;

// The room as the server sees it (REST), asked from inside `ns`; null when it does not answer.
function roomOf(ns, base, room) {
  const res = ns.tryExec('curl', '-s', '--max-time', '2', `${base}/v1/rooms/${room}`);
  try {
    return JSON.parse(res.stdout);
  } catch {
    return null;
  }
}

const participantOf = (state, id) => state?.participants?.find((x) => x.id === id) ?? null;
const videoSubscriptionOf = (state, id) => participantOf(state, id)?.subscriptions.find((x) => x.kind === 'video') ?? null;

// The highest simulcast layer of `publisherId`'s video arriving at the server now (null: none).
function topLayerArriving(state, publisherId) {
  const video = participantOf(state, publisherId)?.tracks.find((x) => x.kind === 'video');
  if (!video) return null;
  const layers = video.layer_bps.map((bps, i) => (bps > 0 ? i : -1)).filter((i) => i >= 0);
  return layers.length ? layers[layers.length - 1] : null;
}

// A subscriber's downlink estimate: estimate/loss, then what the allocator gives of what is
// wanted, and probes (succeeded/sent).
function estimateText(state, id) {
  const b = participantOf(state, id)?.bandwidth;
  return b ? `${b.estimate_bps}/${Math.round(b.loss * 100)}% a${b.allocated_bps}/w${b.wanted_bps} p${b.probes_succeeded}/${b.probes} ll${b.loss_limited_bps}` : null;
}

// A subscriber's video subscription: layer now -> target, paused, sent, and drops by reason.
function subscriptionText(state, id) {
  const v = videoSubscriptionOf(state, id);
  if (!v) return null;
  const drops = Object.entries(v.dropped).filter(([, n]) => n > 0).map(([k, n]) => `${k}:${n}`).join(',');
  const b = participantOf(state, id).bandwidth || {};
  return `L${v.layer}->${v.target_layer}${v.paused ? ` paused(${v.paused})` : ''} sent ${v.packets} rtx ${v.retransmitted} ` +
    `drop{${drops}} pacerq ${b.pacer_queue_packets ?? '-'} pdrop ${b.pacer_dropped_packets ?? '-'} flush ${b.pacer_flushed_packets ?? '-'}`;
}

function police(ns, kbytesPerSecond) {
  ns.tryExec('nft', 'delete', 'table', 'inet', NS);
  if (!kbytesPerSecond) return;
  ns.exec('nft', 'add', 'table', 'inet', NS);
  ns.exec('nft', 'add', 'chain', 'inet', NS, 'input', '{ type filter hook input priority 0; policy accept; }');
  // `burst`: without one, older kernels' byte limit dropped every packet closer than its own
  // length at the rate to the one before (almost all of each video frame's back-to-back packets).
  // Note that the kernel's bucket holds a whole second of the rate besides (nft_limit: its
  // tokens_max is the rate per unit, plus the burst on newer kernels), so a sender that stayed
  // below the rate for a while gets ~1 s worth through at any speed: no probe cluster shorter
  // than that can see this policer, only the loss that follows an estimate raised too far.
  ns.exec('nft', 'add', 'rule', 'inet', NS, 'input', 'ip', 'saddr', SERVER_IP, 'meta', 'l4proto', 'udp',
    'limit', 'rate', 'over', `${kbytesPerSecond}`, 'kbytes/second', 'burst', `${Math.ceil(kbytesPerSecond / 8)}`, 'kbytes', 'counter', 'drop');
}

async function run(t, allocation, pacing) {
  const tag = allocation ? (pacing ? 'onp' : 'on') : 'off';
  const work = workDir(`${NS}-bw-${tag}-`);
  const namespaces = [];
  const browsers = [];
  let server = null;
  let ok = false;
  t.after(async () => {
    if (!ok && server) t.diagnostic(`server log:\n${server.log()}`);
    for (const b of browsers) await b.close().catch(() => {});
    if (server) await server.stop();
    for (const ns of namespaces) ns.delete();
    rmSync(work, { recursive: true, force: true });
  });
  for (const role of ['srv', 'free', 'lim']) {
    const { ns, error } = NetNs.create(`${NS}-${tag}-${role}-${process.pid}`);
    if (!ns) return { skip: `cannot create a network namespace (${error})` };
    namespaces.push(ns);
  }
  const [srv, free, lim] = namespaces;
  linkNamespaces(srv, SERVER_IP, free, `${SUBNET}.1.2`, `${NS}${tag}f`, { defaultRoute: 'b' });
  linkNamespaces(srv, `${SUBNET}.2.1`, lim, `${SUBNET}.2.2`, `${NS}${tag}l`, { defaultRoute: 'b' });
  server = await startServerInNamespace(srv, {
    work, listenIp: SERVER_IP, probeNs: free,
    extraYaml: ['bandwidth:', `  allocation: ${allocation}`, `  pacing: ${pacing}`],
  });
  const base = server.base;
  const launch = async (ns) => {
    const b = await launchBrowser({
      executablePath: browserInNamespace(ns, work, CHROMIUM_PATH),
      extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${base}`],
    });
    browsers.push(b);
    return b;
  };
  const [freeBrowser, limBrowser] = await Promise.all([launch(free), launch(lim)]);
  const room = uniqueRoom(`bw${tag}`);
  const pub = { name: 'Pub', page: await newParticipantPage(freeBrowser, base) };
  const fast = { name: 'Fast', page: await newParticipantPage(freeBrowser, base) };
  const slow = { name: 'Slow', page: await newParticipantPage(limBrowser, base) };
  for (const p of [pub, fast, slow]) p.id = await joinThroughUi(p.page, { base, room, name: p.name });
  // Both subscribers want the best layer whatever their tile's size: only bandwidth decides.
  for (const p of [fast, slow]) await p.page.evaluate((pid) => window.sfuDemo.setTrackSettings(pid, { max_layer: 2 }), pub.id);

  // Both decode the publisher's best layer before any limit.
  const widthOf = async (p) => (await videoOf(p.page, pub.id))?.frameWidth ?? 0;
  // From one getStats of the publisher: `widest`, the width of the widest layer it sends now
  // (the top layer: its Chromium may scale its top encoding down on a loaded machine,
  // helpers.mjs), and `text`, its encodings as rid:width/limitation reason/target kbit/s and its
  // uplink's available bitrate (Chromium's own estimate), to tell the publisher's adaptation
  // from ours.
  const publisherState = () => pub.page.evaluate(async () => {
    const out = [];
    let uplink = null;
    let widest = 0;
    (await window.sfuDemo.publishPc.getStats()).forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.push(`${s.rid}:${s.frameWidth ?? 0}/${s.qualityLimitationReason}/${Math.round((s.targetBitrate ?? 0) / 1000)}`);
        if (s.frameWidth) widest = Math.max(widest, s.frameWidth);
      }
      if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate) uplink = Math.round(s.availableOutgoingBitrate / 1000);
    });
    return { widest, text: `${out.sort().join(' ')} up ${uplink}k` };
  });
  // What the limited subscriber's Chromium receives on its subscribe connection as a whole: the
  // transport's bytes and packets, its audio's packets, and video retransmissions.
  const linkOf = (page) => page.evaluate(async () => {
    const out = {};
    (await window.sfuDemo.subscribePc.getStats()).forEach((s) => {
      if (s.type === 'transport') { out.bytes = s.bytesReceived; out.packets = s.packetsReceived; }
      if (s.type === 'inbound-rtp' && s.kind === 'audio') out.audio = (out.audio ?? 0) + (s.packetsReceived ?? 0);
      if (s.type === 'inbound-rtp' && s.kind === 'video') out.rtx = (out.rtx ?? 0) + (s.retransmittedPacketsReceived ?? 0);
    });
    return `${out.bytes}B/${out.packets}p audio ${out.audio} rtx ${out.rtx}`;
  });
  const top = await waitFor('both subscribers to decode the top layer', async () => {
    const a = await videoOf(fast.page, pub.id);
    const b = await videoOf(slow.page, pub.id);
    const { widest } = await publisherState();
    // All three layers arrive (the publisher's Chromium adds its top one once its own estimate
    // allows), and both decode the widest.
    const allLayers = topLayerArriving(roomOf(free, base, room), pub.id) === 2;
    return allLayers && a && b && a.frameWidth >= 320 && a.frameWidth === widest && b.frameWidth === a.frameWidth ? a.frameWidth : null;
  }, { timeoutMs: 120000, intervalMs: 1000 });
  const start = { slow: await videoOf(slow.page, pub.id), fast: await videoOf(fast.page, pub.id) };
  const log = [];
  const sample = async (phase) => {
    const state = roomOf(free, base, room);
    const publisher = await publisherState();
    const fastVideo = videoSubscriptionOf(state, fast.id);
    const s = { phase, t: Date.now(), slow: await videoOf(slow.page, pub.id), fast: await widthOf(fast), widest: publisher.widest,
      est: estimateText(state, slow.id), fastEst: estimateText(state, fast.id),
      estimateBps: participantOf(state, slow.id)?.bandwidth?.estimate_bps ?? null,
      layers: JSON.stringify(participantOf(state, pub.id)?.tracks.map((x) => x.layer_bps)),
      slowVideo: subscriptionText(state, slow.id), fastVideo: subscriptionText(state, fast.id),
      // The free subscriber's forwarded layer against the best one arriving (server side).
      fastLayer: fastVideo?.layer ?? null, fastPaused: fastVideo?.paused ?? null, fastTarget: fastVideo?.target_layer ?? null,
      topArriving: topLayerArriving(state, pub.id),
      publisher: publisher.text, link: await linkOf(slow.page),
      // What the policer has dropped since its limit changed (packets/bytes).
      nft: (lim.tryExec('nft', 'list', 'table', 'inet', NS).stdout.match(/counter packets (\d+) bytes (\d+)/) || []).slice(1).join('/') };
    log.push(s);
    return s;
  };

  // Between the (slow: REST from inside a namespace) samples, the limited subscriber's decoder is
  // watched every 200 ms: the first time `reached(width)` holds while frames are being decoded.
  const watch = async (ms, since, reached) => {
    let prev = null;
    for (const end = Date.now() + ms; Date.now() < end;) {
      const v = await videoOf(slow.page, pub.id);
      const t = Date.now();
      if (v && prev && v.framesDecoded > prev.framesDecoded && reached(v.frameWidth)) return t - since;
      prev = v;
      await sleep(200);
    }
    return null;
  };
  police(lim, 400);
  for (let i = 0; i < 10; i++) { await sample('400k'); await sleep(1000); }
  const limitedAt = Date.now();
  police(lim, 60);
  let steppedDownMs = null;
  const lower = (w) => w > 0 && w < top;
  for (let i = 0; i < 20; i++) {
    await sample('60k');
    // Once stepped down, the watch just paces the samples (a second apart, as before the limit).
    const took = await watch(1000, limitedAt, steppedDownMs === null ? lower : () => false);
    if (steppedDownMs === null) steppedDownMs = took;
  }
  const liftedAt = Date.now();
  police(lim, 0);
  let recoveredMs = null;
  for (let i = 0; i < 25 && recoveredMs === null; i++) {
    await sample('free');
    recoveredMs = await watch(1000, liftedAt, (w) => w >= top);
  }
  const end = { slow: await videoOf(slow.page, pub.id), fast: await videoOf(fast.page, pub.id) };
  // The limited subscriber's estimate over the last 10 s of the 60 kbyte/s limit (median), and its
  // error against the policer's rate (IP/UDP bytes, as the estimate counts them).
  const settled = log.filter((s) => s.phase === '60k').slice(-10).map((s) => s.estimateBps).filter((x) => x !== null).sort((a, b) => a - b);
  const limitBps = 60 * 1000 * 8;
  const estimateBps = settled.length ? settled[Math.floor(settled.length / 2)] : null;
  const summary = {
    allocation, pacing, top, steppedDownMs, recoveredMs,
    slowFreezes: end.slow && start.slow ? end.slow.freezeCount - start.slow.freezeCount : null,
    slowFreezeSeconds: end.slow && start.slow ? +(end.slow.totalFreezesDuration - start.slow.totalFreezesDuration).toFixed(2) : null,
    fastFreezes: end.fast && start.fast ? end.fast.freezeCount - start.fast.freezeCount : null,
    limitedEstimateBps: estimateBps,
    estimateErrorPercent: estimateBps === null ? null : Math.round((estimateBps / limitBps - 1) * 100),
  };
  t.diagnostic(`allocation ${allocation ? 'on' : 'off'}, pacing ${pacing ? 'on' : 'off'}: ${JSON.stringify(summary)}`);
  t.diagnostic(`samples (phase, slow width/frames, fast width/widest sent, slow estimate, fast estimate): ${log.map((s) =>
    `${s.phase} ${s.slow?.frameWidth}/${s.slow?.framesDecoded} ${s.fast}/${s.widest} ${s.est} ${s.fastEst} ${s.layers} [${s.slowVideo}] [fast ${s.fastVideo}] pub{${s.publisher}} ` +
    `policer drops ${s.nft} link ${s.link} slow rx ${s.slow?.packetsReceived}/lost ${s.slow?.packetsLost} frames ${s.slow?.framesReceived} key ${s.slow?.keyFramesDecoded} nack ${s.slow?.nackCount} pli ${s.slow?.pliCount} fir ${s.slow?.firCount}`).join(' | ')}`);
  const last = roomOf(free, base, room);
  t.diagnostic(`estimates at the end: slow ${JSON.stringify(participantOf(last, slow.id)?.bandwidth)}; fast ${JSON.stringify(participantOf(last, fast.id)?.bandwidth)}`);
  const metrics = free.tryExec('curl', '-s', '--max-time', '2', `${base}/metrics`).stdout;
  t.diagnostic(metrics.split('\n').filter((l) => /^sfu_(bandwidth_|pacer_|dropped_packets_total|layer_switch_keyframe|keyframe_requests_sent)/.test(l) && !/ 0$/.test(l)).join(' '));
  return { log, summary, top, ok: () => { ok = true; } };
}

test('a subscriber on a policed downlink steps down, keeps decoding and climbs back; the other keeps the top layer', { timeout: 420000 }, async (t) => {
  const reason = netnsUnsupportedReason({ tools: ['nft'] });
  if (reason) {
    t.skip(`bandwidth adaptation test skipped: ${reason}`);
    return;
  }
  // SFU_BW_RUNS picks the runs; both by default.
  const runs = (process.env.SFU_BW_RUNS || 'on,off').split(',');
  const adapts = async (tt, pacing) => {
    const r = await run(tt, true, pacing);
    if (r.skip) return tt.skip(r.skip);
    const { log, summary, top } = r;
    assert.ok(summary.steppedDownMs !== null && summary.steppedDownMs <= 5000,
      `the limited subscriber steps down within 5 s of 60 kbyte/s (took ${summary.steppedDownMs} ms)`);
    const limited = log.filter((s) => s.phase === '60k');
    // Keeps decoding: frames rise in each 10 s of the limit (its freezes are compared with the
    // run without allocation, below).
    const frames = limited.map((s) => s.slow?.framesDecoded ?? 0);
    for (let i = 10; i < frames.length; i += 10)
      assert.ok(frames[i] > frames[i - 10], `the limited subscriber keeps decoding: framesDecoded ${frames.join(', ')}`);
    assert.ok(summary.recoveredMs !== null && summary.recoveredMs <= 15000,
      `the limited subscriber climbs back within 15 s of the lift (took ${summary.recoveredMs} ms)`);
    // The free subscriber keeps the top layer: the server aims it at the best layer arriving,
    // never paused, and forwards that layer (but at the first sample after the publisher's best
    // layer changed: the switch waits for that layer's key frame); its Chromium decodes the
    // widest the publisher sends (now or at the sample before: its encoder may rescale a layer on
    // a loaded machine, and a decoder follows a frame or so later).
    log.forEach((s, i) => {
      if (s.topArriving !== null) {
        const switching = i > 0 && log[i - 1].topArriving !== s.topArriving;
        assert.ok(s.fastTarget === s.topArriving && s.fastPaused === null && (switching || s.fastLayer === s.topArriving),
          `the server forwards the free subscriber the top layer arriving (${s.phase} sample ${i}: layer ${s.fastLayer} -> ${s.fastTarget} of ${s.topArriving}, paused ${s.fastPaused})`);
      }
      const widest = [s.widest, log[i - 1]?.widest ?? top];
      assert.ok(widest.includes(s.fast) && s.fast >= 320,
        `the free subscriber decodes the widest layer sent (${s.phase} sample ${i}: ${s.fast} px, the publisher sends ${widest.join(' or ')} px)`);
    });
    r.ok();
    return summary;
  };
  let adapted = null;
  if (runs.includes('on') || runs.includes('on-nopacing')) {
    await t.test('allocation on (the defaults: pacing off)', { timeout: 200000 }, async (tt) => {
      adapted = await adapts(tt, false);
    });
  }
  if (runs.includes('on-pacing')) await t.test('allocation and pacing on', { timeout: 200000 }, (tt) => adapts(tt, true));
  if (runs.includes('off')) await t.test('allocation off: the limited subscriber freezes longer', { timeout: 200000 }, async (tt) => {
    const r = await run(tt, false, false);
    if (r.skip) return tt.skip(r.skip);
    // With allocation the limited subscriber spends less time frozen than without (Chromium's
    // totalFreezesDuration over the same phases), when the run with allocation passed.
    if (adapted?.slowFreezeSeconds != null && r.summary.slowFreezeSeconds != null) {
      assert.ok(adapted.slowFreezeSeconds < r.summary.slowFreezeSeconds,
        `frozen ${adapted.slowFreezeSeconds} s with allocation, ${r.summary.slowFreezeSeconds} s without`);
    }
    r.ok();
  });
});
