// How problems and news reach the user: the error banner, toasts, `demo.lastError`, and the
// wording for camera/microphone failures.
import { demo } from './state.js';
import { ui, el } from './dom.js';

// kind: 'error' | 'warning' | 'info'. actions: [{label, testid, onClick}]
export function showBanner(kind, title, message, actions = []) {
  ui.banner.hidden = false;
  ui.banner.dataset.kind = kind;
  ui.bannerTitle.textContent = title;
  ui.bannerMessage.textContent = message || '';
  ui.bannerActions.replaceChildren(
    ...actions.map((a) =>
      el('button', { type: 'button', className: 'banner-action', text: a.label, 'data-testid': a.testid, onclick: a.onClick }),
    ),
  );
}

export function hideBanner() {
  ui.banner.hidden = true;
  ui.bannerActions.replaceChildren();
}

export function toast(text) {
  let box = document.querySelector('.toasts');
  if (!box) {
    box = el('div', { className: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const item = el('div', { className: 'toast', text });
  box.append(item);
  setTimeout(() => item.remove(), 3500);
}

export function fail(code, message, extra = {}) {
  demo.lastError = { code, message, ...extra };
  console.warn(`sfu-demo: ${code}: ${message}`);
}

export function describeMediaError(err, what) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return `Permission to use your ${what} was denied. Allow it in the browser's site settings, or join without it.`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No ${what.replace(' and ', ' or ')} was found on this device.`;
    case 'NotReadableError':
    case 'AbortError':
      return `Your ${what} could not be started; another application may be using it.`;
    default:
      return `Your ${what} is not available (${(err && (err.message || err.name)) || 'unknown error'}).`;
  }
}
