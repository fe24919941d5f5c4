// botengine dashboard: hash-routed pages over the control API (docs/DASHBOARD.md).
// Live data comes from two sources: the WebSocket event stream (bot status, orders, fills,
// kill switch) triggers a refresh of what the current page shows, and /api/v1/engine is polled
// every 2 s for health, feeds and latency (which the stream does not carry).
// The pages live in bot_pages.js and engine_pages.js, what they share in shell.js; this file
// owns the session (sign-in, the stream, sign-out) and the router.
import { api, session, Stream } from './api.js';
import { h } from './dom.js';
import { botPage, newBotPage } from './bot_pages.js';
import { botsPage } from './bot_list.js';
import { scriptPage } from './script_page.js';
import { accountsPage } from './accounts_pages.js';
import {
  overviewPage, killSwitchPage, conditionsPage, reportsPage,
} from './engine_pages.js';
import {
  $, state, announce, handleError, onUnauthorized, pollEngine, renderBanner, pageTitle,
} from './shell.js';

const POLL_MS = 2000;

// At most one refresh per 500 ms however fast the stream runs: a busy bot's fills must not
// spend the user's API rate (20 requests/s) on redraws.
function scheduleRefresh() {
  if (state.refreshTimer) return;
  state.refreshTimer = setTimeout(() => {
    state.refreshTimer = null;
    state.page?.refresh?.();
  }, 500);
}

// Bot status changes are announced at most once per 500 ms: one change as itself, a burst
// (a bulk create of a thousand bots) as one line, so the page and a screen reader keep up.
const statusBurst = { items: [], timer: null };
function announceStatus(item) {
  statusBurst.items.push(item);
  if (statusBurst.timer) return;
  statusBurst.timer = setTimeout(() => {
    const items = statusBurst.items;
    statusBurst.items = [];
    statusBurst.timer = null;
    const last = items[items.length - 1];
    const one = `Bot ${last.bot} is ${last.to ?? last.state ?? 'changed'}${last.from ? ` (was ${last.from})` : ''}`;
    announce(items.length === 1 ? one : `${items.length} bot status changes; the last: ${one}`);
  }, 500);
}

function onStreamItem(item) {
  switch (item.type) {
    case 'bot_status':  // {"bot": id, "from": state, "to": state}
      announceStatus(item);
      scheduleRefresh();
      break;
    case 'kill_switch':
      announce(item.bot != null ? `Kill switch changed for bot ${item.bot}` : 'A kill switch changed');
      pollEngine();
      scheduleRefresh();
      break;
    case 'resync':  // events were missed while disconnected: re-read everything shown
      pollEngine();
      scheduleRefresh();
      break;
    case 'order':
    case 'order_update':
    case 'fill':
    case 'risk_reject':
    case 'stop_loss':
    case 'take_profit':
    case 'feed':
      scheduleRefresh();
      break;
    default:
      break;  // prices and signals arrive often; the pages poll what they show of them
  }
}

function onStreamState(s) {
  const live = $('live');
  live.textContent = s === 'connected' ? 'live' : s;
  live.classList.toggle('connected', s === 'connected');
  if (s === 'connected') scheduleRefresh();
}

function startSession(me) {
  state.me = me;
  $('who').textContent = `${me.user}${me.admin ? ' (admin)' : ''}`;
  $('signout').hidden = false;
  document.body.classList.add('signed-in');
  // A stream that never opens may mean the token was revoked: /me tells (401 signs out).
  state.stream = new Stream({ onItem: onStreamItem, onState: onStreamState,
                              onFailed: () => api('/me').catch((e) => handleError(e, 'Stream')) });
  state.stream.start();
  clearInterval(state.poll);
  state.poll = setInterval(pollEngine, POLL_MS);
  pollEngine();
}

function signOut(message) {
  session.token = '';
  state.me = null;
  state.engine = null;
  state.kill = null;
  state.latency = [];
  clearInterval(state.poll);
  state.stream?.stop();
  state.stream = null;
  $('who').textContent = '';
  $('signout').hidden = true;
  document.body.classList.remove('signed-in');
  renderBanner();
  if (message) sessionStorage.setItem('botengine.signin_message', message);
  if (location.hash !== '#/signin') location.hash = '#/signin';
  else render();
}

function signInPage(main) {
  const pending = sessionStorage.getItem('botengine.signin_message');
  sessionStorage.removeItem('botengine.signin_message');
  const err = h('p', { class: 'error', id: 'signin-error', role: 'alert' }, pending || '');
  const input = h('input', { id: 'token', name: 'token', type: 'password', required: true,
                             autocomplete: 'off', spellcheck: 'false',
                             'aria-describedby': 'token-hint signin-error' });
  const form = h('form', { class: 'fields', onsubmit: async (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    if (!token) { err.textContent = 'Enter an API token.'; input.focus(); return; }
    session.token = token;
    try {
      const me = await api('/me');
      startSession(me);
      announce(`Signed in as ${me.user}`);
      location.hash = '#/overview';
    } catch (e) {
      session.token = '';
      err.textContent = e.status === 401 ? 'The engine does not accept this token.' : e.message;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  } },
  h('div', { class: 'field' }, h('label', { for: 'token' }, 'API token'), input,
    h('p', { class: 'hint', id: 'token-hint' },
      'The admin token is in the data directory (admin.token); other users get theirs from the tokens file. It is kept only for this browser tab.')),
  err,
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  main.append(pageTitle('Sign in'), form);
  return { name: 'signin', focus: input };
}

// ---- router --------------------------------------------------------------------------------

function render() {
  const main = $('main');
  const [route, arg] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  main.replaceChildren();
  if (!state.me && route !== 'signin') { location.hash = '#/signin'; return; }
  let page;
  switch (route) {
    case 'signin': page = state.me ? (location.hash = '#/overview', null) : signInPage(main); break;
    case 'bots': page = arg ? botPage(main, arg) : botsPage(main); break;
    case 'new': page = newBotPage(main); break;
    case 'script': page = scriptPage(main); break;
    case 'kill-switch': page = killSwitchPage(main); break;
    case 'conditions': page = conditionsPage(main); break;
    case 'accounts': page = accountsPage(main); break;
    case 'reports': page = reportsPage(main, arg); break;
    case 'overview': page = overviewPage(main); break;
    default: location.hash = '#/overview'; return;
  }
  if (!page) return;
  state.page = page;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.route === (route === 'bots' && arg ? 'bots' : route)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // Move focus to the new page's heading (or its first input) so keyboard and screen-reader
  // users land on the content, not at the top of the navigation.
  (page.focus || $('page-title'))?.focus();
}

async function boot() {
  onUnauthorized(signOut);
  $('signout').addEventListener('click', () => { signOut(''); announce('Signed out'); });
  window.addEventListener('hashchange', render);
  if (session.token) {
    try {
      startSession(await api('/me'));
    } catch (e) {
      session.token = '';
      if (e.status !== 401) sessionStorage.setItem('botengine.signin_message', e.message);
    }
  }
  render();
}

boot();
