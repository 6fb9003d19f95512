// Debian's Firefox ESR (/usr/bin/firefox-esr, never a downloaded build) driven by puppeteer-core
// over WebDriver BiDi. Pages get the same `page.evaluate(fn, arg)` and
// `page.locator(css).fill()/.click()` the Chromium pages of helpers.mjs have, so the page helpers
// there (joinThroughUi, demoState, rtpStats, waitForMediaFlow) drive either browser.
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

export const FIREFOX_PATH = process.env.FIREFOX || '/usr/bin/firefox-esr';

export function firefoxUnsupportedReason() {
  return existsSync(FIREFOX_PATH) ? null : `${FIREFOX_PATH} is missing (apt-get install firefox-esr)`;
}

// The demo page is served over plain http:// from a LAN address, which is not a secure context:
// these prefs let it use the fake camera and microphone without a prompt.
export const FIREFOX_PREFS = {
  'media.devices.insecure.enabled': true,
  'media.getusermedia.insecure.enabled': true,
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'permissions.default.camera': 1,
  'permissions.default.microphone': 1,
  // Host candidates as addresses, not mDNS names: the server is ICE-lite and never resolves them.
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // Autoplay of remote media without a gesture (the tiles play muted video and audio).
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // No update checks, telemetry or first-run pages reaching for the network.
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
};

// `executablePath` may be a wrapper that starts Firefox inside a network namespace; then
// `debuggingPort` must be a port bridged from that namespace's loopback (netns.mjs).
export async function launchFirefox({ executablePath = FIREFOX_PATH, debuggingPort, prefs = {} } = {}) {
  return puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath,
    headless: true,
    timeout: 90000,
    protocolTimeout: 60000,
    debuggingPort,
    extraPrefsFirefox: { ...FIREFOX_PREFS, ...prefs },
  });
}

// A fresh browser context per participant, console errors and page errors kept on `page.logs`.
export async function newFirefoxPage(browser) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.logs = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warn') page.logs.push(`[${msg.type()}] ${msg.text()}`);
  });
  page.on('pageerror', (err) => page.logs.push(`[pageerror] ${err.stack || err}`));
  return page;
}
