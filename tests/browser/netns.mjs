// Network namespaces for the browser tests that cannot run on the host's loopback: a lossy link
// (nftables drops packets inside a namespace of its own) and Firefox, which never pairs ICE
// candidates with a loopback server address. Everything here needs root (ip netns); each test
// asks `netnsUnsupportedReason()` first and skips with that reason.
//
// What lives here: creating and always deleting namespaces (deleting one also deletes the veth
// ends inside it), linking two namespaces by a veth pair, starting build/bin/sfu inside one,
// wrapper scripts that start a browser inside one, and a bridge that makes a TCP port of a
// namespace's loopback reachable from the host's (Firefox's WebDriver BiDi socket).
//
// Only addresses inside namespaces these helpers made are ever used: nothing leaves the machine.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH, launchBrowser, sleep, waitFor } from './helpers.mjs';
import { FIREFOX_PATH, firefoxUnsupportedReason, launchFirefox } from './firefox.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const SFU_BIN = process.env.SFU_BIN || resolve(here, '../../build/bin/sfu');

export function run(cmd, args, { allowFail = false } = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  if (!allowFail && (res.error || res.status !== 0)) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${res.error || res.stderr || `exit ${res.status}`}`);
  }
  return res;
}

// Why this machine cannot run a namespace test, or null when it can. `tools` are further
// commands the test needs (e.g. ['nft']), each checked with `--version`.
export function netnsUnsupportedReason({ tools = [] } = {}) {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root for ip netns';
  if (run('ip', ['netns', 'list'], { allowFail: true }).status !== 0) return '`ip netns` is not available';
  for (const tool of ['curl', ...tools]) {
    if (run(tool, ['--version'], { allowFail: true }).status !== 0) return `${tool} is not installed`;
  }
  if (!existsSync(SFU_BIN)) return `server binary ${SFU_BIN} is missing`;
  return null;
}

// A network namespace with its loopback up. `NetNs.create` returns null (and why) when the
// kernel refuses one, so a test can skip instead of failing on a restricted machine.
export class NetNs {
  static create(name) {
    const add = run('ip', ['netns', 'add', name], { allowFail: true });
    if (add.status !== 0) return { ns: null, error: (add.stderr || '').trim() || `exit ${add.status}` };
    const ns = new NetNs(name);
    ns.exec('ip', 'link', 'set', 'lo', 'up');
    return { ns, error: null };
  }

  constructor(name) {
    this.name = name;
  }

  // ['netns', 'exec', name, ...command]: the arguments of `ip` that run a command inside.
  argv(...command) {
    return ['netns', 'exec', this.name, ...command];
  }

  exec(...command) {
    return run('ip', this.argv(...command));
  }

  tryExec(...command) {
    return run('ip', this.argv(...command), { allowFail: true });
  }

  // The HTTP status of GET `url` seen from inside, '000' when nothing answers.
  httpStatus(url) {
    return this.tryExec('curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', url).stdout || '000';
  }

  delete() {
    run('ip', ['netns', 'del', this.name], { allowFail: true });
  }
}

// A veth pair between two namespaces: `a` gets `addrA`, `b` gets `addrB`, both /24 (e.g.
// 10.99.0.1 and 10.99.0.2), like two hosts on one LAN. Interface names are at most 15 chars.
// `defaultRoute` says which side routes everything over the link: 'both' (two hosts), or only
// 'b' (a namespace linked to several clients keeps no default route and reaches each client by
// its connected subnet; the client reaches `a`'s other addresses through its own).
export function linkNamespaces(a, addrA, b, addrB, tag, { defaultRoute = 'both' } = {}) {
  const ifA = `${tag}a`.slice(-15);
  const ifB = `${tag}b`.slice(-15);
  run('ip', ['link', 'add', ifA, 'netns', a.name, 'type', 'veth', 'peer', 'name', ifB, 'netns', b.name]);
  a.exec('ip', 'addr', 'add', `${addrA}/24`, 'dev', ifA);
  b.exec('ip', 'addr', 'add', `${addrB}/24`, 'dev', ifB);
  // No IPv6 link-local addresses: one appearing (after duplicate address detection) a second
  // after the link comes up is a network change to a browser started meanwhile, which then
  // aborts its page loads with net::ERR_NETWORK_CHANGED.
  a.exec('ip', 'link', 'set', ifA, 'addrgenmode', 'none');
  b.exec('ip', 'link', 'set', ifB, 'addrgenmode', 'none');
  a.exec('ip', 'link', 'set', ifA, 'up');
  b.exec('ip', 'link', 'set', ifB, 'up');
  // A default route over the link: browsers pick "the" interface for ICE by asking the kernel
  // for the route to a public address; without one they may gather no host candidate at all.
  if (defaultRoute === 'both') a.exec('ip', 'route', 'add', 'default', 'via', addrB, 'dev', ifA);
  b.exec('ip', 'route', 'add', 'default', 'via', addrA, 'dev', ifB);
}

// Two namespaces, `<tag>-srv-<pid>` and `<tag>-cli-<pid>`, linked by a veth pair: a server host
// on `serverIp` and a client host on `clientIp`. Returns {srv, cli, namespaces, error}: on error
// (the kernel refused a namespace) the ones made so far are in `namespaces`, for the caller's
// clean-up, which deletes `namespaces` in every case.
export function linkedNamespaces(tag, serverIp, clientIp) {
  const namespaces = [];
  for (const role of ['srv', 'cli']) {
    const { ns, error } = NetNs.create(`${tag}-${role}-${process.pid}`);
    if (!ns) return { namespaces, error };
    namespaces.push(ns);
  }
  const [srv, cli] = namespaces;
  linkNamespaces(srv, serverIp, cli, clientIp, `${tag}${process.pid}`);
  return { srv, cli, namespaces, error: null };
}

// Starts build/bin/sfu inside `ns` with HTTP on `listenIp:httpPort`, workers on `udpPort`+i (and
// ICE-TCP on `tcpPort`+i, the config's default when not given), announcing `announcedIp`, and
// waits for /healthz (asked from `probeNs`, default `ns`).
// Returns {base, process, log(), stop()}.
export async function startServerInNamespace(ns, { work, listenIp = '127.0.0.1', announcedIp = listenIp, httpPort = 8080,
  udpPort = 40000, tcpPort = null, probeNs = ns, extraYaml = [] }) {
  const configPath = join(work, 'sfu.yaml');
  const logPath = join(work, 'sfu.log');
  const loopback = listenIp.startsWith('127.');
  writeFileSync(configPath, [
    '# written by tests/browser/netns.mjs',
    'http:',
    `  listen: ${listenIp}:${httpPort}`,
    'workers: 2',
    'rtc:',
    `  udp_port: ${udpPort}`,
    ...(tcpPort === null ? [] : [`  tcp_port: ${tcpPort}`]),
    `  announced_ip: ${announcedIp}`,
    'log:',
    '  level: info',
    // A LAN address with auth off is refused unless allowed: the namespace is this test's own.
    ...(loopback ? [] : ['auth:', '  allow_public_without_auth: true']),
    ...extraYaml,
    '',
  ].join('\n'));
  const logFd = openSync(logPath, 'w');
  const child = spawn('ip', ns.argv(SFU_BIN, '--config', configPath), { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const base = `http://${listenIp}:${httpPort}`;
  const server = {
    base,
    process: child,
    log: (lines = 200) => (existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n') : ''),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const exited = await Promise.race([new Promise((r) => child.once('exit', () => r(true))), sleep(10000).then(() => false)]);
      if (!exited) child.kill('SIGKILL');
    },
  };
  await waitFor(`the server in namespace ${ns.name} to answer ${base}/healthz`, async () => {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${server.log(40)}`);
    return probeNs.httpStatus(`${base}/healthz`) === '200';
  }, { timeoutMs: 30000, intervalMs: 200 });
  return server;
}

// A script that runs `executable` inside `ns` with the arguments it is given: what a browser
// launcher starts instead of the browser. Pipes and stdio survive the exec.
export function browserInNamespace(ns, work, executable) {
  const wrapper = join(work, `${executable.split('/').pop()}-in-${ns.name}.sh`);
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns.name} ${executable} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

// Node code run inside the namespace: accepts on a Unix socket (file-system sockets are not
// per network namespace) and connects each client to 127.0.0.1:<port> there.
const BRIDGE_INSIDE = `
const net = require('node:net');
const [sock, port] = process.argv.slice(1);
net.createServer((c) => {
  const u = net.connect(Number(port), '127.0.0.1');
  c.pipe(u).pipe(c);
  c.on('error', () => u.destroy());
  u.on('error', () => c.destroy());
}).listen(sock, () => console.log('ready'));
`;

// Makes 127.0.0.1:<port> of `ns` reachable as 127.0.0.1:<port> on the host, through a Unix
// socket: a browser's control socket (Firefox's WebDriver BiDi) inside the namespace can then be
// driven from this process. The port is picked free on the host; the namespace is new, so it is
// free there too. Returns {port, close()}.
export async function bridgeLoopbackPort(ns, work) {
  const sock = join(work, `bridge-${ns.name}.sock`);
  const outside = net.createServer((c) => {
    const u = net.connect(sock);
    c.pipe(u).pipe(c);
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
  });
  await new Promise((resolve, reject) => {
    outside.once('error', reject);
    outside.listen(0, '127.0.0.1', resolve);
  });
  const port = outside.address().port;
  const inside = spawn('ip', ns.argv(process.execPath, '-e', BRIDGE_INSIDE, sock, String(port)), { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the namespace half of the port bridge did not start')), 10000);
      inside.stdout.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      inside.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the namespace half of the port bridge exited with ${code}`));
      });
    });
  } catch (err) {
    outside.close();
    inside.kill('SIGKILL');
    throw err;
  }
  return {
    port,
    close() {
      outside.close();
      inside.kill('SIGKILL');
      rmSync(sock, { force: true });
    },
  };
}

// A temp dir for one namespace test, removed by `cleanup()`.
export function workDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

// ------------------------------------------------------------------ a LAN of two namespaces

let lanCounter = 0;

// Two namespaces like two hosts on a LAN, linked by a veth pair: one runs build/bin/sfu on
// 10.99.0.1 (HTTP :8080, UDP :40000-40001, announcing 10.99.0.1), the other the browsers on
// 10.99.0.2 (`subnet` replaces 10.99.0, so parallel runs use their own), which reach the server
// the way a newcomer's browser on a LAN would: a non-loopback
// address, which Firefox insists on. Everything is removed when the test ends, also on failure
// (the server log is printed then, unless `lan.passed()` was called).
//
// Returns {skip: reason} when the machine cannot do it, else {base, server, clients,
// launchChromium(), launchFirefox(), passed()}.
export async function startLan(t, prefix, { extraYaml = [], subnet = '10.99.0' } = {}) {
  const reason = netnsUnsupportedReason() || firefoxUnsupportedReason();
  if (reason) return { skip: reason };

  const id = `${process.pid}-${++lanCounter}`;
  const work = workDir(`sfu-${prefix}-`);
  const namespaces = [];
  const browsers = [];
  const bridges = [];
  let server = null;
  let ok = false;
  t.after(async () => {
    if (!ok && server) t.diagnostic(`server log (last 200 lines):\n${server.log()}`);
    for (const b of browsers) await b.close().catch(() => {});
    for (const b of bridges) b.close();
    if (server) await server.stop();
    for (const ns of namespaces) ns.delete();
    rmSync(work, { recursive: true, force: true });
  });

  for (const role of ['srv', 'cli']) {
    const { ns, error } = NetNs.create(`sfu-${prefix}-${role}-${id}`);
    if (!ns) return { skip: `cannot create a network namespace (${error})` };
    namespaces.push(ns);
  }
  const [srv, cli] = namespaces;
  const serverIp = `${subnet}.1`;
  linkNamespaces(srv, serverIp, cli, `${subnet}.2`, `sv${id}`.replace(/-/g, ''));
  server = await startServerInNamespace(srv, { work, listenIp: serverIp, probeNs: cli, extraYaml });
  const base = server.base;

  return {
    base,
    server,
    clients: cli,
    async launchChromium() {
      const browser = await launchBrowser({
        executablePath: browserInNamespace(cli, work, CHROMIUM_PATH),
        // getUserMedia needs a secure context; plain http from a LAN address is not one.
        extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${base}`],
      });
      browsers.push(browser);
      return browser;
    },
    async launchFirefox() {
      const bridge = await bridgeLoopbackPort(cli, work);
      bridges.push(bridge);
      const browser = await launchFirefox({ executablePath: browserInNamespace(cli, work, FIREFOX_PATH), debuggingPort: bridge.port });
      browsers.push(browser);
      return browser;
    },
    passed() {
      ok = true;
    },
  };
}
