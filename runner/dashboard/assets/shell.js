// The dashboard's shared shell: the session's state, announcements and errors, the
// confirmation dialog, the kill-switch banner, the engine poll, and the helpers every page
// uses to re-render without disturbing a keyboard or screen-reader user. Pages import it;
// it imports no page (app.js owns the session and the router).
import { api, ApiError } from './api.js';
import { h } from './dom.js';

export const $ = (id) => document.getElementById(id);
const LATENCY_SAMPLES = 120;
export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

export const state = {
  me: null,             // {user, admin}
  engine: null,         // EngineView
  kill: null,           // GET /kill-switch
  latency: [],          // [{t, stages: {name: {p50, p99}}}], oldest first
  poll: null,
  stream: null,
  refreshTimer: null,
  engineError: '',      // the last poll's failure, so it is announced once
  page: null,           // {name, refresh()} of the page on screen
};

// What a 401 does (app.js signs the user out); set once at boot.
let unauthorized = () => {};
export function onUnauthorized(handler) { unauthorized = handler; }

// ---- announcements and errors ------------------------------------------------------------

export function announce(message, kind = 'info') {
  const box = $('announce');
  const line = h('p', { class: kind === 'error' ? 'error' : '' }, message);
  box.append(line);
  while (box.childElementCount > 4) box.firstElementChild.remove();
  setTimeout(() => line.remove(), 8000);
}

export function handleError(e, what) {
  if (e instanceof ApiError && e.status === 401) {
    unauthorized('The engine refused the token; sign in again.');
    return;
  }
  announce(`${what}: ${e.message}`, 'error');
}

// ---- confirmation dialog -------------------------------------------------------------------

// Resolves true only when the operator presses the confirm button; Escape, Cancel or a click
// on the backdrop resolve false. Focus returns to the control that opened the dialog.
export function confirmDialog(title, text, okLabel) {
  const dlg = $('confirm');
  const opener = document.activeElement;
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = okLabel;
  dlg.returnValue = '';
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => {
      resolve(dlg.returnValue === 'ok');
      if (opener && opener.isConnected) opener.focus();
    }, { once: true });
    dlg.showModal();
    $('confirm-cancel').focus();
  });
}

// ---- kill switch banner --------------------------------------------------------------------

// The latched switches, from GET /kill-switch ({global, accounts: [id], bots: [{id, name,
// kill_switch}]}, the bots being those the user sees) or, before it answers, the engine view.
export function latched() {
  const k = state.kill || {};
  const e = state.engine || {};
  return {
    global: Boolean(k.global ?? e.global_kill_switch),
    accounts: [...(k.accounts ?? e.killed_accounts ?? [])],
    bots: (k.bots || []).filter((b) => b.kill_switch).map((b) => ({ id: b.id, name: b.name })),
  };
}

export function renderBanner() {
  const banner = $('kill-banner');
  if (!state.me) { banner.hidden = true; return; }
  const l = latched();
  const parts = [];
  if (l.global) parts.push('global');
  for (const a of l.accounts) parts.push(`account ${a}`);
  for (const b of l.bots) parts.push(`bot ${b.name || b.id}`);
  const text = parts.length ? `Kill switch latched: ${parts.join(', ')}. No new orders go out.` : '';
  if (banner.dataset.text === text) return;
  banner.dataset.text = text;
  banner.hidden = !text;
  banner.replaceChildren(text, ' ', text ? h('a', { href: '#/kill-switch' }, 'Manage kill switches') : '');
}

// ---- the engine poll -----------------------------------------------------------------------

export async function pollEngine() {
  try {
    const [engine, kill] = await Promise.all([
      api('/engine'),
      api('/kill-switch').catch((e) => (e.status === 401 ? Promise.reject(e) : null)),
    ]);
    state.engine = engine;
    state.kill = kill;
    const stages = {};
    for (const s of engine.latency || []) stages[s.stage] = { p50: s.p50, p99: s.p99 };
    state.latency.push({ t: Date.now(), stages });
    if (state.latency.length > LATENCY_SAMPLES) state.latency.shift();
    renderBanner();
    // The overview draws from this answer; list pages re-fetch (the stream usually got there
    // first, and an unchanged answer leaves the page alone).
    if (state.page?.name === 'overview' || state.page?.poll) state.page.refresh();
    if (state.engineError) announce('The engine answers again');
    state.engineError = '';
  } catch (e) {
    // Said once when it starts failing, not every poll; the pages keep their last data.
    if (e.status === 401 || state.engineError !== e.message) handleError(e, 'Engine status');
    state.engineError = e.message;
  }
}

// ---- what every page uses ------------------------------------------------------------------

export function pageTitle(text) {
  document.title = `${text} · botengine`;
  return h('h1', { tabindex: '-1', id: 'page-title' }, text);
}

// A page re-renders only when what it shows changed, so polling does not churn the DOM under
// a keyboard or screen-reader user.
export function changeDetector() {
  let last = null;
  return (data) => {
    const key = JSON.stringify(data);
    if (key === last) return false;
    last = key;
    return true;
  };
}

export const listOf = (v, key) => (Array.isArray(v) ? v : (v && v[key]) || []);

// Re-renders without losing the keyboard user's place: the focused control (by id) gets focus
// back, or, when it became disabled (Pause after pausing), the first enabled one in its group.
export function keepFocus(render) {
  const active = document.activeElement;
  const id = active?.id;
  const group = active?.closest('[role="group"]')?.getAttribute('aria-label');
  render();
  if (!id) return;
  const el = $(id);
  if (el && !el.disabled) { el.focus(); return; }
  const again = [...document.querySelectorAll('[role="group"]')].find((g) => g.getAttribute('aria-label') === group);
  again?.querySelector('button:not(:disabled)')?.focus();
}
