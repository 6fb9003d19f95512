// Three people join one room through the demo page; each decodes the others' video and
// receives their audio; REST sees them; one leaves, one is kicked.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  baseUrl,
  demoState,
  joinThroughUi,
  launchBrowser,
  newParticipantPage,
  participantListIds,
  remoteTilesWithVideo,
  rest,
  tileIds,
  uniqueRoom,
  waitFor,
  waitForMediaFlow,
} from './helpers.mjs';

const sameSet = (a, b) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

let browser;
const pages = [];

after(async () => {
  if (browser) await browser.close().catch(() => {});
});

test('three participants see and hear each other; leave and kick update everyone', { timeout: 300000 }, async (t) => {
  const base = baseUrl();
  const room = uniqueRoom('e2e');
  browser = await launchBrowser();
  let failed = false;
  // Runs a step as a subtest and remembers a failure, so the pages' state is printed.
  // Later steps build on earlier ones: after a failure they are skipped.
  const step = async (name, fn) => {
    await t.test(name, { skip: failed && 'an earlier step failed' }, async () => {
      try {
        await fn();
      } catch (err) {
        failed = true;
        throw err;
      }
    });
  };
  t.after(async () => {
    // On failure, the pages' own view of things is the best clue.
    if (!failed) return;
    for (const p of pages) {
      if (!p.page || p.page.isClosed()) continue;
      const state = await demoState(p.page).catch((err) => ({ error: String(err) }));
      if (state.messages) state.messages = state.messages.slice(-30);
      t.diagnostic(`${p.name}: ${JSON.stringify(state)}`);
      if (p.page.logs.length) t.diagnostic(`${p.name} console: ${p.page.logs.slice(-20).join(' | ')}`);
    }
  });

  for (const name of ['Alice', 'Bob', 'Carol']) {
    const page = await newParticipantPage(browser, base);
    pages.push({ name, page });
  }
  const [alice, bob, carol] = pages;
  let allIds = [];
  await step('three pages join through the UI', async () => {
    // One after the other, as people do; media must flow regardless of the order.
    for (const p of pages) p.id = await joinThroughUi(p.page, { base, room, name: p.name });
    allIds = pages.map((p) => p.id);
    assert.equal(new Set(allIds).size, 3, `participant ids must differ: ${allIds}`);
  });

  await step('every page decodes video from both others and receives their audio', async () => {
    await Promise.all(pages.map((p) => waitForMediaFlow(p.page, { video: 2, audio: 2, timeoutMs: 90000, label: p.name })));
  });

  await step('every page shows a playing tile per other participant, labelled with their name', async () => {
    for (const p of pages) {
      const others = pages.filter((o) => o !== p);
      await waitFor(`${p.name}'s remote tiles to play video of ${others.map((o) => o.name)}`, async () => {
        const playing = await remoteTilesWithVideo(p.page);
        return sameSet(playing, others.map((o) => o.id)) ? playing : null;
      }, { timeoutMs: 20000 });
      for (const o of others) {
        const label = await p.page.locator(`[data-testid="video-tile"][data-participant-id="${o.id}"] [data-testid="tile-name"]`).textContent();
        assert.ok(label.includes(o.name), `${p.name}'s tile of ${o.name} is labelled "${label}"`);
      }
      await waitFor(`${p.name}'s participant list to show all three`, async () =>
        sameSet(await participantListIds(p.page), allIds));
    }
  });

  await step('REST lists the room with three participants and their tracks with packets', async () => {
    const list = await rest('GET', '/v1/rooms', { base });
    assert.equal(list.status, 200, list.text);
    assert.ok(Array.isArray(list.json?.rooms), `GET /v1/rooms: ${list.text}`);
    const entry = list.json.rooms.find((r) => r.name === room);
    assert.ok(entry, `room ${room} missing from ${list.text}`);
    const count = typeof entry.participants === 'number' ? entry.participants : entry.participants?.length;
    assert.equal(count, 3, `participants of ${room} in GET /v1/rooms: ${JSON.stringify(entry)}`);
    assert.ok('worker' in entry && 'created_at' in entry, `room entry lacks worker/created_at: ${JSON.stringify(entry)}`);

    // Packet counters tick on the worker; give them a moment to be nonzero for every track.
    await waitFor('GET /v1/rooms/<room> to show 3 participants whose tracks all have packets', async () => {
      const detail = await rest('GET', `/v1/rooms/${room}`, { base });
      assert.equal(detail.status, 200, detail.text);
      const { json } = detail;
      assert.equal(json.name, room);
      assert.ok('worker' in json, `room detail lacks worker: ${detail.text}`);
      assert.ok(Array.isArray(json.participants), detail.text);
      assert.ok(sameSet(json.participants.map((p) => p.id), allIds), `participants ${detail.text} vs pages ${allIds}`);
      for (const p of json.participants) {
        const page = pages.find((x) => x.id === p.id);
        assert.equal(p.name, page.name, `name of ${p.id}`);
        assert.ok(Array.isArray(p.tracks), `tracks of ${p.id}: ${detail.text}`);
        const kinds = p.tracks.map((tr) => tr.kind).sort();
        assert.deepEqual(kinds, ['audio', 'video'], `track kinds of ${page.name}: ${detail.text}`);
        for (const tr of p.tracks) {
          assert.equal(typeof tr.id, 'string', `track id: ${JSON.stringify(tr)}`);
          if (!(tr.packets > 0 && tr.bytes > 0)) return null; // not yet: poll again
        }
      }
      return json;
    }, { timeoutMs: 15000, intervalMs: 500 });
  });

  await step('when Carol leaves, Alice and Bob lose her tile and list entry', async () => {
    await carol.page.getByTestId('leave-button').click();
    await waitFor("Carol's page to be in the 'left' state", async () => (await demoState(carol.page)).state === 'left');
    for (const p of [alice, bob]) {
      await waitFor(`${p.name} to see Carol leave`, async () => {
        const s = await demoState(p.page);
        const left = s.messages.some((m) => m.type === 'participant_left' && m.participant_id === carol.id);
        const tiles = await tileIds(p.page);
        const list = await participantListIds(p.page);
        return left && !(carol.id in s.participants) && !tiles.includes(carol.id) && list.length === 2 && !list.includes(carol.id);
      }, { timeoutMs: 10000 });
    }
    const detail = await rest('GET', `/v1/rooms/${room}`, { base });
    assert.equal(detail.status, 200, detail.text);
    assert.ok(sameSet(detail.json.participants.map((p) => p.id), [alice.id, bob.id]), detail.text);
  });

  await step('Alice and Bob keep decoding each other after Carol left', async () => {
    await Promise.all([alice, bob].map((p) => waitForMediaFlow(p.page, { video: 1, audio: 1, timeoutMs: 30000, label: p.name })));
  });

  await step('kicking Bob through REST shows him the kicked state and removes him', async () => {
    const kick = await rest('DELETE', `/v1/rooms/${room}/participants/${bob.id}`, { base });
    assert.equal(kick.status, 204, `DELETE participant: ${kick.status} ${kick.text}`);
    await waitFor("Bob's page to show that he was kicked", async () => {
      const s = await demoState(bob.page);
      const banner = bob.page.getByTestId('error-banner');
      return s.state === 'left' && s.endReason === 'kicked' && s.messageTypes.includes('kicked') &&
        (await banner.isVisible()) && /removed/i.test(await banner.textContent());
    }, { timeoutMs: 10000 });
    await waitFor('Alice to see Bob leave', async () => {
      const s = await demoState(alice.page);
      const list = await participantListIds(alice.page);
      return !(bob.id in s.participants) && !(await tileIds(alice.page)).includes(bob.id) && sameSet(list, [alice.id]);
    }, { timeoutMs: 10000 });
    const detail = await rest('GET', `/v1/rooms/${room}`, { base });
    assert.equal(detail.status, 200, detail.text);
    assert.deepEqual(detail.json.participants.map((p) => p.id), [alice.id], detail.text);
    const list = await rest('GET', '/v1/rooms', { base });
    const entry = list.json.rooms.find((r) => r.name === room);
    const count = typeof entry?.participants === 'number' ? entry.participants : entry?.participants?.length;
    assert.equal(count, 1, `GET /v1/rooms after the kick: ${list.text}`);
  });

  await step('Alice, the last one in the room, leaves', async () => {
    await alice.page.getByTestId('leave-button').click();
    await waitFor("Alice's page to be in the 'left' state", async () => (await demoState(alice.page)).state === 'left');
    const detail = await rest('GET', `/v1/rooms/${room}`, { base });
    const remaining = detail.status === 200 ? detail.json.participants.length : 0; // an empty room may be gone
    assert.equal(remaining, 0, `after everyone left: ${detail.status} ${detail.text}`);
  });
});
