// Cross-site WebSocket hijacking and DNS rebinding (docs/protocol.md 2.1 and 5), in a real browser:
// a page from another site (served here by a tiny HTTP server under the name evil.test, which
// Chromium resolves to 127.0.0.1) cannot open the signaling WebSocket, neither can a sandboxed page
// (Origin "null"); a page under a hostile name that resolves to the SFU itself (rebinding) can
// neither open it nor read the REST API. The demo page, and pages from loopback hosts, still work.
// (data: and about:blank pages also have the origin "null", but Chromium's local network access
// checks stop their WebSockets to 127.0.0.1 before the server sees them; a page sandboxed by its
// Content-Security-Policy reaches the server.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { baseUrl, joinThroughUi, launchBrowser, newParticipantPage, uniqueRoom, wsUrl } from './helpers.mjs';

const TIMEOUT = { timeout: 120000 };
let browser;
let hostile;
let hostilePort;

before(async () => {
  hostile = http.createServer((req, res) => {
    const headers = { 'content-type': 'text/html' };
    if (req.url === '/sandboxed') headers['content-security-policy'] = 'sandbox allow-scripts';
    res.writeHead(200, headers);
    res.end('<!doctype html><title>not the sfu</title><p>a page of another site</p>');
  });
  await new Promise((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  hostilePort = hostile.address().port;
  browser = await launchBrowser({ extraArgs: ['--host-resolver-rules=MAP evil.test 127.0.0.1'] });
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (hostile) hostile.close();
});

// In the page: 'open' when the WebSocket opens, 'refused' when it fails.
function tryWebSocket(page, url) {
  return page.evaluate(
    (target) =>
      new Promise((resolve) => {
        const ws = new WebSocket(target);
        const timer = setTimeout(() => resolve('timeout'), 10000);
        ws.onopen = () => {
          clearTimeout(timer);
          ws.close();
          resolve('open');
        };
        ws.onerror = () => {
          clearTimeout(timer);
          resolve('refused');
        };
      }),
    url,
  );
}

// sfu_http_refused_total{reason} from /metrics; a missing sample fails the test unless `optional`.
async function refusedCount(reason, { optional = false } = {}) {
  const text = await (await fetch(`${baseUrl()}/metrics`)).text();
  const match = text.match(new RegExp(`^sfu_http_refused_total\\{reason="${reason}"\\} (\\d+)$`, 'm'));
  if (!match && optional) return 0;
  assert.ok(match, `/metrics has no sfu_http_refused_total{reason="${reason}"}`);
  return Number(match[1]);
}

async function blankPage() {
  const context = await browser.newContext();
  return context.newPage();
}

test('a page of another site cannot open the signaling WebSocket', TIMEOUT, async () => {
  const before = await refusedCount('origin', { optional: true });
  const page = await blankPage();
  await page.goto(`http://evil.test:${hostilePort}/`);
  assert.equal(await page.title(), 'not the sfu');
  assert.equal(await tryWebSocket(page, wsUrl()), 'refused');
  assert.equal(await refusedCount('origin'), before + 1);
  await page.context().close();
});

test('a sandboxed page (Origin "null") cannot open the signaling WebSocket', TIMEOUT, async () => {
  const before = await refusedCount('origin', { optional: true });
  const page = await blankPage();
  await page.goto(`http://localhost:${hostilePort}/sandboxed`);
  assert.equal(await page.evaluate(() => self.origin), 'null');
  assert.equal(await tryWebSocket(page, wsUrl()), 'refused');
  assert.equal(await refusedCount('origin'), before + 1);
  await page.context().close();
});

test('DNS rebinding: a hostile name pointing at the SFU gets no WebSocket and no REST', TIMEOUT, async () => {
  const port = new URL(baseUrl()).port;
  const page = await blankPage();
  await page.goto(`http://evil.test:${port}/`); // the demo page's static files are served to any name
  assert.equal(await tryWebSocket(page, `ws://evil.test:${port}/v1/rtc`), 'refused');
  const rooms = await page.evaluate(async () => {
    const response = await fetch('/v1/rooms');
    return { status: response.status, body: await response.text() };
  });
  assert.equal(rooms.status, 403, `GET /v1/rooms from the rebound page: ${JSON.stringify(rooms)}`);
  assert.match(rooms.body, /"forbidden"/);
  await page.context().close();
});

test('the demo page and pages from loopback hosts still work', TIMEOUT, async () => {
  const page = await newParticipantPage(browser);
  const id = await joinThroughUi(page, { room: uniqueRoom('origin'), name: 'Origin check' });
  assert.ok(id, 'the demo page joined');
  await page.context().close();

  // The same server under the name localhost, and a page of another loopback port.
  const port = new URL(baseUrl()).port;
  const local = await blankPage();
  await local.goto(`http://localhost:${port}/`);
  assert.equal(await tryWebSocket(local, `ws://localhost:${port}/v1/rtc`), 'open');
  await local.goto(`http://localhost:${hostilePort}/`);
  assert.equal(await tryWebSocket(local, wsUrl()), 'open');
  await local.context().close();
});
