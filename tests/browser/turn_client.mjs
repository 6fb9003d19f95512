// A tiny TURN client (RFC 8656 over UDP, long-term credentials of RFC 8489 section 9.2): just
// enough to ask a TURN server for an allocation with a given username and password and for
// permissions to given peers, and to report what the server answered. The TURN test uses it to
// show that coturn takes the credentials the sfu hands out in `joined` and refuses expired or
// forged ones, and relays to nothing but the sfu.
//
// As a module: `turnAllocate({server, username, password, peers})`. As a script (run inside a
// network namespace by the test): `node turn_client.mjs '<the same options as JSON>'` prints the
// result as JSON.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';

const MAGIC = 0x2112a442;
const ATTR = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  LIFETIME: 0x000d,
  XOR_PEER_ADDRESS: 0x0012,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_RELAYED_ADDRESS: 0x0016,
  REQUESTED_TRANSPORT: 0x0019,
};
const METHOD = { ALLOCATE: 0x0003, CREATE_PERMISSION: 0x0008, REFRESH: 0x0004 };
const SUCCESS = 0x0100;
const ERROR = 0x0110;

function attribute(type, value) {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(type, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

function xorAddress(ip, port) {
  const value = Buffer.alloc(8);
  value.writeUInt8(0x01, 1); // IPv4
  value.writeUInt16BE(port ^ (MAGIC >>> 16), 2);
  const parts = ip.split('.').map(Number);
  value.writeUInt32BE((((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) ^ MAGIC) >>> 0, 4);
  return value;
}

function readXorAddress(value) {
  const port = value.readUInt16BE(2) ^ (MAGIC >>> 16);
  const raw = (value.readUInt32BE(4) ^ MAGIC) >>> 0;
  return `${raw >>> 24}.${(raw >>> 16) & 255}.${(raw >>> 8) & 255}.${raw & 255}:${port}`;
}

// A request of `method` with `attrs` ([type, Buffer]), signed with `key` when given
// (MESSAGE-INTEGRITY: HMAC-SHA1 over the message with the length already counting it).
function encode(method, attrs, key) {
  const transactionId = randomBytes(12);
  let body = Buffer.concat(attrs.map(([type, value]) => attribute(type, value)));
  const header = Buffer.alloc(20);
  header.writeUInt16BE(method, 0);
  header.writeUInt32BE(MAGIC, 4);
  transactionId.copy(header, 8);
  if (key) {
    header.writeUInt16BE(body.length + 24, 2);
    const mac = createHmac('sha1', key).update(Buffer.concat([header, body])).digest();
    body = Buffer.concat([body, attribute(ATTR.MESSAGE_INTEGRITY, mac)]);
  }
  header.writeUInt16BE(body.length, 2);
  return { transactionId, bytes: Buffer.concat([header, body]) };
}

function decode(bytes) {
  if (bytes.length < 20 || bytes.readUInt32BE(4) !== MAGIC) return null;
  const message = { type: bytes.readUInt16BE(0), transactionId: bytes.subarray(8, 20), attrs: new Map() };
  const end = Math.min(bytes.length, 20 + bytes.readUInt16BE(2));
  for (let at = 20; at + 4 <= end;) {
    const type = bytes.readUInt16BE(at);
    const length = bytes.readUInt16BE(at + 2);
    if (at + 4 + length > end) break;
    if (!message.attrs.has(type)) message.attrs.set(type, bytes.subarray(at + 4, at + 4 + length));
    at += 4 + Math.ceil(length / 4) * 4;
  }
  return message;
}

function errorOf(message) {
  const value = message.attrs.get(ATTR.ERROR_CODE);
  if (!value || value.length < 4) return { code: null, reason: '' };
  return { code: (value.readUInt8(2) & 7) * 100 + value.readUInt8(3), reason: value.subarray(4).toString('utf8') };
}

// Sends a request and waits for its answer (retransmitted every 500 ms, 3 s in all).
function transact(socket, host, port, request) {
  return new Promise((resolve, reject) => {
    let timer = null;
    let tries = 0;
    const onMessage = (bytes) => {
      const message = decode(bytes);
      if (!message || !message.transactionId.equals(request.transactionId)) return;
      clearInterval(timer);
      socket.off('message', onMessage);
      resolve(message);
    };
    socket.on('message', onMessage);
    const send = () => {
      if (++tries > 6) {
        clearInterval(timer);
        socket.off('message', onMessage);
        reject(new Error(`no answer from ${host}:${port}`));
        return;
      }
      socket.send(request.bytes, port, host);
    };
    send();
    timer = setInterval(send, 500);
  });
}

// Allocate (first unauthenticated, to learn REALM and NONCE, then with the credentials), then a
// CreatePermission per peer on the allocation. Returns {realm, allocate: {ok, code, reason,
// relayed}, permissions: [{peer, ok, code, reason}]}.
export async function turnAllocate({ server, username, password, peers = [] }) {
  const [host, portText] = server.split(':');
  const port = Number(portText);
  const socket = dgram.createSocket('udp4');
  await new Promise((resolve) => socket.bind(0, resolve));
  try {
    const transport = Buffer.from([17, 0, 0, 0]); // UDP
    const challenge = await transact(socket, host, port, encode(METHOD.ALLOCATE, [[ATTR.REQUESTED_TRANSPORT, transport]]));
    const realm = challenge.attrs.get(ATTR.REALM)?.toString('utf8');
    const nonce = challenge.attrs.get(ATTR.NONCE);
    if (challenge.type !== (METHOD.ALLOCATE | ERROR) || errorOf(challenge).code !== 401 || !realm || !nonce) {
      throw new Error(`expected a 401 challenge, got type 0x${challenge.type.toString(16)} ${JSON.stringify(errorOf(challenge))}`);
    }
    const key = createHash('md5').update(`${username}:${realm}:${password}`).digest();
    const credentials = [
      [ATTR.USERNAME, Buffer.from(username, 'utf8')],
      [ATTR.REALM, Buffer.from(realm, 'utf8')],
      [ATTR.NONCE, nonce],
    ];
    const answer = await transact(socket, host, port, encode(METHOD.ALLOCATE, [[ATTR.REQUESTED_TRANSPORT, transport], ...credentials], key));
    const ok = answer.type === (METHOD.ALLOCATE | SUCCESS);
    const relayedValue = answer.attrs.get(ATTR.XOR_RELAYED_ADDRESS);
    const allocate = { ok, ...errorOf(answer), relayed: ok && relayedValue ? readXorAddress(relayedValue) : null };
    const permissions = [];
    if (ok) {
      for (const peer of peers) {
        const reply = await transact(socket, host, port,
          encode(METHOD.CREATE_PERMISSION, [[ATTR.XOR_PEER_ADDRESS, xorAddress(peer, 0)], ...credentials], key));
        permissions.push({ peer, ok: reply.type === (METHOD.CREATE_PERMISSION | SUCCESS), ...errorOf(reply) });
      }
      // Release the allocation (Refresh with LIFETIME 0) so it holds no relay port.
      await transact(socket, host, port,
        encode(METHOD.REFRESH, [[ATTR.LIFETIME, Buffer.from([0, 0, 0, 0])], ...credentials], key)).catch(() => {});
    }
    return { realm, allocate, permissions };
  } finally {
    socket.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  turnAllocate(JSON.parse(process.argv[2]))
    .then((result) => console.log(JSON.stringify(result)))
    .catch((err) => {
      console.log(JSON.stringify({ error: String(err.message || err) }));
      process.exitCode = 1;
    });
}
