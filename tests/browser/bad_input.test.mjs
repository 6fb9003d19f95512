// Bad input on the signaling WebSocket and the REST API gets a clear, stable error and leaves
// both the connection and the server usable (docs/protocol.md, "Errors").
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, makeOffer, rest, SignalingClient, uniqueRoom } from './helpers.mjs';

// The error codes this test expects; docs/protocol.md ("Errors") lists every code and the
// request that causes it.
const CODES = {
  malformed: 'bad_request', // non-JSON, no type, unknown type, bad field, malformed SDP, binary frame
  notJoined: 'not_joined',
  tooLarge: 'message_too_large', // a frame over limits.message_bytes (512 KiB)
  unsupportedCodec: 'bad_request', // a publish offer whose only codec the server does not know
  notFound: 'not_found',
};

const TIMEOUT = { timeout: 60000 };
const clients = [];

async function connect() {
  const client = await SignalingClient.connect();
  clients.push(client);
  return client;
}

afterEach(async () => {
  while (clients.length) clients.pop().close();
  const health = await fetch(`${baseUrl()}/healthz`);
  assert.equal(health.status, 200, 'GET /healthz after the test');
});

function assertError(msg, code, requestType) {
  assert.equal(msg.type, 'error', `expected an error, got ${JSON.stringify(msg)}`);
  assert.equal(msg.code, code, `error code of ${JSON.stringify(msg)}`);
  assert.equal(typeof msg.message, 'string', `error message of ${JSON.stringify(msg)}`);
  assert.ok(msg.message.length > 0, 'the error message is empty');
  if (requestType !== undefined) assert.equal(msg.request_type, requestType, `request_type of ${JSON.stringify(msg)}`);
}

// Sends `payload` and expects the very next message to be an error with `code`; then proves
// that the same connection still answers a ping.
async function expectErrorThenUsable(client, payload, code, requestType) {
  client.send(payload);
  const msg = await client.next(() => true, { what: `an error (${code}) answer` });
  assertError(msg, code, requestType);
  await client.roundTrip();
  return msg;
}

async function joinRoom(client, room = uniqueRoom('bad'), name = 'tester') {
  client.send({ type: 'join', room, name });
  const joined = await client.nextOfType('joined');
  assert.equal(typeof joined.participant_id, 'string', `joined: ${JSON.stringify(joined)}`);
  assert.ok(joined.participant_id.length > 0);
  assert.equal(joined.room, room);
  assert.ok(Array.isArray(joined.participants), `joined.participants: ${JSON.stringify(joined)}`);
  return { room, joined };
}

describe('signaling WebSocket bad input', () => {
  test('a ping gets a pong', TIMEOUT, async () => {
    const client = await connect();
    const pong = await client.roundTrip();
    assert.equal(pong.type, 'pong');
  });

  test('non-JSON text', TIMEOUT, async () => {
    await expectErrorThenUsable(await connect(), 'this is { not json', CODES.malformed);
  });

  test('JSON that is not an object', TIMEOUT, async () => {
    await expectErrorThenUsable(await connect(), '[1,2,3]', CODES.malformed);
  });

  test('a JSON object without type', TIMEOUT, async () => {
    await expectErrorThenUsable(await connect(), { room: 'x', name: 'y' }, CODES.malformed);
  });

  // The SDP error quotes the offending line clipped to a few dozen bytes; clipped inside a
  // two-byte character it was invalid UTF-8, building the error threw, and the process died.
  test('an SDP error quoting text cut inside a multibyte character', TIMEOUT, async () => {
    const client = await connect();
    await joinRoom(client);
    const msg = await expectErrorThenUsable(client, { type: 'publish', sdp: 'x' + 'é'.repeat(40) },
      CODES.malformed, 'publish');
    assert.ok(!msg.message.includes('\uFFFD'), `the quote is cut on a character boundary: ${msg.message}`);
  });

  test('an unknown type', TIMEOUT, async () => {
    await expectErrorThenUsable(await connect(), { type: 'teleport' }, CODES.malformed, 'teleport');
  });

  test('a binary frame', TIMEOUT, async () => {
    await expectErrorThenUsable(await connect(), Buffer.from(JSON.stringify({ type: 'ping' })), CODES.malformed);
  });

  test('publish before join', TIMEOUT, async () => {
    const sdp = makeOffer([{ kind: 'audio', rtpmaps: ['111 opus/48000/2'] }]);
    await expectErrorThenUsable(await connect(), { type: 'publish', sdp }, CODES.notJoined, 'publish');
  });

  test('subscribe_answer and leave before join', TIMEOUT, async () => {
    const client = await connect();
    await expectErrorThenUsable(client, { type: 'subscribe_answer', sdp: 'v=0\r\n' }, CODES.notJoined, 'subscribe_answer');
    await expectErrorThenUsable(client, { type: 'leave' }, CODES.notJoined, 'leave');
  });

  test('join with an invalid room name, then a valid join works', TIMEOUT, async () => {
    const client = await connect();
    await expectErrorThenUsable(client, { type: 'join', room: 'bad name!', name: 'x' }, CODES.malformed, 'join');
    await expectErrorThenUsable(client, { type: 'join', room: 'x'.repeat(65), name: 'x' }, CODES.malformed, 'join');
    await expectErrorThenUsable(client, { type: 'join', room: 42, name: 'x' }, CODES.malformed, 'join');
    assert.ok(!client.received.some((m) => m.type === 'joined'), 'a bad join must not join');
    await joinRoom(client);
  });

  test('a frame over limits.message_bytes', TIMEOUT, async () => {
    const client = await connect();
    const big = JSON.stringify({ type: 'ping', padding: 'x'.repeat(520 * 1024) });
    assert.ok(big.length > 512 * 1024);
    const msg = await expectErrorThenUsable(client, big, CODES.tooLarge);
    assert.notEqual(msg.type, 'pong', 'an oversized ping must not be answered');
  });

  test('publish with malformed SDP after joining', TIMEOUT, async () => {
    const client = await connect();
    await joinRoom(client);
    await expectErrorThenUsable(client, { type: 'publish', sdp: 'this is not SDP at all' }, CODES.malformed, 'publish');
    await expectErrorThenUsable(client, { type: 'publish', sdp: 'v=0\r\nm=video\r\n' }, CODES.malformed, 'publish');
    await expectErrorThenUsable(client, { type: 'publish' }, CODES.malformed, 'publish');
    await expectErrorThenUsable(client, { type: 'publish', sdp: 12345 }, CODES.malformed, 'publish');
    assert.ok(!client.received.some((m) => m.type === 'publish_answer'), 'a malformed offer must not be answered');
  });

  test('publish offering only an unknown codec, then a valid offer is answered', TIMEOUT, async () => {
    const client = await connect();
    await joinRoom(client);
    const unknown = makeOffer([{ kind: 'video', rtpmaps: ['96 FOOCODEC/90000'] }]);
    await expectErrorThenUsable(client, { type: 'publish', sdp: unknown }, CODES.unsupportedCodec, 'publish');
    assert.ok(!client.received.some((m) => m.type === 'publish_answer'), 'the unknown-codec offer must not be answered');

    const valid = makeOffer([
      { kind: 'audio', rtpmaps: ['111 opus/48000/2'] },
      { kind: 'video', rtpmaps: ['96 VP8/90000'] },
    ]);
    client.send({ type: 'publish', sdp: valid });
    const answer = await client.nextOfType('publish_answer');
    assert.equal(typeof answer.sdp, 'string');
    assert.match(answer.sdp, /^v=0\r?\n/, 'the answer is SDP');
    assert.match(answer.sdp, /a=setup:passive/, 'the server takes the DTLS server role');
    assert.match(answer.sdp, /a=ice-lite/, 'the server is ICE-lite');
    assert.match(answer.sdp, /a=candidate:/, "the server's candidates are in its SDP");
    await client.roundTrip();
  });

  test('a client that keeps sending garbage is closed, and the server stays up', TIMEOUT, async () => {
    const client = await connect();
    for (let i = 0; i < 50 && !client.closed; i++) {
      client.send(`garbage ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await client.waitClosed({ timeoutMs: 10000 });
    const errors = client.received.filter((m) => m.type === 'error');
    assert.ok(errors.length > 0, 'garbage gets errors before the close');
    // A new connection is served as usual.
    await (await connect()).roundTrip();
  });
});

describe('REST bad input', () => {
  function assertRestError(res, status, code) {
    assert.equal(res.status, status, `${status} expected, got ${res.status} ${res.text}`);
    assert.equal(typeof res.json?.error?.code, 'string', `error body: ${res.text}`);
    assert.ok(res.json.error.code.length > 0);
    if (code) assert.equal(res.json.error.code, code, `error code: ${res.text}`);
    assert.equal(typeof res.json.error.message, 'string', `error message: ${res.text}`);
  }

  test('POST /v1/rooms with a non-JSON body is 400', TIMEOUT, async () => {
    assertRestError(await rest('POST', '/v1/rooms', { rawBody: 'not json {' }), 400, CODES.malformed);
  });

  test('POST /v1/rooms with wrong types is 400', TIMEOUT, async () => {
    assertRestError(await rest('POST', '/v1/rooms', { body: { name: 5 } }), 400, CODES.malformed);
    assertRestError(await rest('POST', '/v1/rooms', { body: { name: 'bad name!' } }), 400, CODES.malformed);
    assertRestError(await rest('POST', '/v1/rooms', { body: [] }), 400, CODES.malformed);
    assertRestError(await rest('POST', '/v1/rooms', { body: { name: uniqueRoom(), max_participants: 'many' } }), 400, CODES.malformed);
  });

  test('POST /v1/rooms creates a room once, then 409', TIMEOUT, async () => {
    const room = uniqueRoom('rest');
    const created = await rest('POST', '/v1/rooms', { body: { name: room, max_participants: 4 } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json?.name, room, created.text);
    assertRestError(await rest('POST', '/v1/rooms', { body: { name: room } }), 409);
    const list = await rest('GET', '/v1/rooms');
    assert.equal(list.status, 200);
    assert.ok(list.json.rooms.some((r) => r.name === room), list.text);
    const del = await rest('DELETE', `/v1/rooms/${room}`);
    assert.equal(del.status, 204, del.text);
  });

  test('GET and DELETE of an unknown room are 404', TIMEOUT, async () => {
    assertRestError(await rest('GET', `/v1/rooms/${uniqueRoom('nope')}`), 404, CODES.notFound);
    assertRestError(await rest('DELETE', `/v1/rooms/${uniqueRoom('nope')}`), 404, CODES.notFound);
  });

  test('DELETE of an unknown participant is 404', TIMEOUT, async () => {
    const client = await connect();
    const { room } = await joinRoom(client);
    assertRestError(await rest('DELETE', `/v1/rooms/${room}/participants/nobody`), 404, CODES.notFound);
    await client.roundTrip();
  });

  test('DELETE /v1/rooms/<room> is 204 and its participants get room_closed', TIMEOUT, async () => {
    const first = await connect();
    const { room } = await joinRoom(first, uniqueRoom('closing'), 'first');
    const second = await connect();
    const { joined } = await joinRoom(second, room, 'second');
    assert.ok(joined.participants.some((p) => p.name === 'first'), `joined.participants: ${JSON.stringify(joined)}`);
    await first.nextOfType('participant_joined');

    const del = await rest('DELETE', `/v1/rooms/${room}`);
    assert.equal(del.status, 204, del.text);
    for (const client of [first, second]) {
      const closed = await client.nextOfType('room_closed');
      assert.equal(typeof closed.reason, 'string', `room_closed: ${JSON.stringify(closed)}`);
      await client.waitClosed();
    }
    assertRestError(await rest('GET', `/v1/rooms/${room}`), 404, CODES.notFound);
    const list = await rest('GET', '/v1/rooms');
    assert.ok(!list.json.rooms.some((r) => r.name === room), `deleted room still listed: ${list.text}`);
  });
});
