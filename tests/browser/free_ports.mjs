// Prints a free TCP port for the control plane and the first of N consecutive free UDP ports
// for the workers: `node free_ports.mjs 2` -> "23456 27100". Ports are picked below the
// kernel's ephemeral range (32768+) so the browser's own sockets cannot take them meanwhile.
import net from 'node:net';
import dgram from 'node:dgram';

const udpCount = Number(process.argv[2] || 1);
const LOW = 20000;
const HIGH = 32000;
const pick = () => LOW + Math.floor(Math.random() * (HIGH - LOW - udpCount));

function tcpFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function udpFree(port) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind({ port, address: '0.0.0.0', exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

async function find(test, span) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = pick();
    let ok = true;
    for (let i = 0; i < span && ok; i++) ok = await test(base + i);
    if (ok) return base;
  }
  throw new Error('no free port found');
}

const http = await find(tcpFree, 1);
let udp;
// Media may later use TCP on the same ports, so both must be free.
do udp = await find(async (port) => (await udpFree(port)) && (await tcpFree(port)), udpCount);
while (http >= udp && http < udp + udpCount);
console.log(`${http} ${udp}`);
