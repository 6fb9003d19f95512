// Auth (docs/protocol.md): with auth on, a join needs an HS256 JWT for that room, and REST needs a
// bearer token with "admin": true. Bad, expired, wrong-room and unsigned tokens get
// `unauthorized` and change nothing. This test starts its own server with auth enabled.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignalingClient, waitFor, uniqueRoom } from './helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SFU_BIN = process.env.SFU_BIN || resolve(here, '../../build/bin/sfu');
// 32 random bytes: the server refuses a secret shorter than 32 bytes.
const SECRET = randomBytes(32).toString('base64url');
let server;
let base;
let logPath;

const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
function jwt(claims, { secret = SECRET, alg = 'HS256' } = {}) {
  const head = b64({ alg, typ: 'JWT' }) + '.' + b64(claims);
  if (alg === 'none') return head + '.';
  return head + '.' + createHmac('sha256', secret).update(head).digest('base64url');
}
const inOneHour = () => Math.floor(Date.now() / 1000) + 3600;

before(async () => {
  const [httpPort, udpPort] = execFileSync('node', [join(here, 'free_ports.mjs'), '1'], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)
    .map(Number);
  const work = mkdtempSync(join(tmpdir(), 'sfu-auth-'));
  const config = join(work, 'sfu.yaml');
  logPath = join(work, 'sfu.log');
  writeFileSync(config, `http:\n  listen: 127.0.0.1:${httpPort}\nworkers: 1\nrtc:\n  udp_port: ${udpPort}\n  tcp_port: ${udpPort}\n` +
    `auth:\n  enabled: true\n  secret: "${SECRET}"\n`);
  assert.ok(existsSync(SFU_BIN), `${SFU_BIN} is missing`);
  const log = (await import('node:fs')).openSync(logPath, 'w');
  server = spawn(SFU_BIN, ['--config', config], { stdio: ['ignore', log, log] });
  base = `http://127.0.0.1:${httpPort}`;
  await waitFor('the auth server to answer /healthz', async () => (await fetch(`${base}/healthz`)).ok, { timeoutMs: 15000 });
});

after(() => {
  if (server) server.kill('SIGTERM');
});

async function joinWith(room, token) {
  const client = await SignalingClient.connect(`${base.replace('http', 'ws')}/v1/rtc`);
  client.send({ type: 'join', room, name: 'ignored', ...(token === undefined ? {} : { token }) });
  const reply = await client.next(() => true, { what: 'a reply to join' });
  return { client, reply };
}

test('joins need a valid token for that room', async () => {
  const room = uniqueRoom('auth');
  const refusals = {
    'no token': undefined,
    garbage: 'not.a.jwt',
    'wrong secret': jwt({ room, name: 'Eve', exp: inOneHour() }, { secret: randomBytes(32).toString('base64url') }),
    expired: jwt({ room, name: 'Eve', exp: Math.floor(Date.now() / 1000) - 3600 }),  // past the 30 s leeway
    'other room': jwt({ room: room + 'x', name: 'Eve', exp: inOneHour() }),
    'alg none': jwt({ room, name: 'Eve', exp: inOneHour() }, { alg: 'none' }),
    // Signed, but claims of the wrong type: refused, and the server keeps serving.
    'room claim not a string': jwt({ room: 7, name: 'Eve', exp: inOneHour() }),
    'name claim not a string': jwt({ room, name: { first: 'Eve' }, exp: inOneHour() }),
    'sub claim not a string': jwt({ room, sub: 5, exp: inOneHour() }),
  };
  for (const [what, token] of Object.entries(refusals)) {
    const { client, reply } = await joinWith(room, token);
    assert.equal(reply.type, 'error', `${what}: ${JSON.stringify(reply)}`);
    assert.equal(reply.code, 'unauthorized', what);
    client.ws.close();
  }
  // Nothing happened: the room does not exist.
  const admin = jwt({ admin: true, exp: inOneHour() });
  const missing = await fetch(`${base}/v1/rooms/${room}`, { headers: { authorization: `Bearer ${admin}` } });
  assert.equal(missing.status, 404);

  const { client, reply } = await joinWith(room, jwt({ room, name: 'Alice', exp: inOneHour() }));
  assert.equal(reply.type, 'joined', JSON.stringify(reply));
  const detail = await (await fetch(`${base}/v1/rooms/${room}`, { headers: { authorization: `Bearer ${admin}` } })).json();
  assert.equal(detail.participants.length, 1);
  assert.equal(detail.participants[0].name, 'Alice', 'the name comes from the token');
  client.ws.close();
});

test('REST needs an admin bearer token', async () => {
  assert.equal((await fetch(`${base}/v1/rooms`)).status, 401);
  const user = jwt({ room: 'x', name: 'Bob', exp: inOneHour() });
  assert.equal((await fetch(`${base}/v1/rooms`, { headers: { authorization: `Bearer ${user}` } })).status, 403);
  const expired = jwt({ admin: true, exp: Math.floor(Date.now() / 1000) - 3600 });  // past the 30 s leeway
  assert.equal((await fetch(`${base}/v1/rooms`, { headers: { authorization: `Bearer ${expired}` } })).status, 401);
  const admin = jwt({ admin: true, exp: inOneHour() });
  const response = await fetch(`${base}/v1/rooms`, { headers: { authorization: `Bearer ${admin}` } });
  assert.equal(response.status, 200);
  assert.ok(Array.isArray((await response.json()).rooms));
  // Health, metrics and the demo page stay public.
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/metrics`)).status, 200);
  assert.ok(readFileSync(logPath, 'utf8').includes('http listening'));
});
