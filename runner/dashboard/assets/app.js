// botengine dashboard: hash-routed pages over the control API (docs/DASHBOARD.md).
// Live data comes from two sources: the WebSocket event stream (bot status, orders, fills,
// kill switch) triggers a refresh of what the current page shows, and /api/v1/engine is polled
// every 2 s for health, feeds and latency (which the stream does not carry).
import { api, session, ApiError, Stream } from './api.js';
import { lineChart } from './chart.js';
import { configEditor } from './config_editor.js';
import { h, table, stateBadge, card, fmtTime, fmtMicros } from './dom.js';

const $ = (id) => document.getElementById(id);
const POLL_MS = 2000;
const LATENCY_SAMPLES = 120;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const state = {
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

// ---- announcements and errors ------------------------------------------------------------

function announce(message, kind = 'info') {
  const box = $('announce');
  const line = h('p', { class: kind === 'error' ? 'error' : '' }, message);
  box.append(line);
  while (box.childElementCount > 4) box.firstElementChild.remove();
  setTimeout(() => line.remove(), 8000);
}

function handleError(e, what) {
  if (e instanceof ApiError && e.status === 401) {
    signOut('The engine refused the token; sign in again.');
    return;
  }
  announce(`${what}: ${e.message}`, 'error');
}

// ---- confirmation dialog -------------------------------------------------------------------

// Resolves true only when the operator presses the confirm button; Escape, Cancel or a click
// on the backdrop resolve false. Focus returns to the control that opened the dialog.
function confirmDialog(title, text, okLabel) {
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
function latched() {
  const k = state.kill || {};
  const e = state.engine || {};
  return {
    global: Boolean(k.global ?? e.global_kill_switch),
    accounts: [...(k.accounts ?? e.killed_accounts ?? [])],
    bots: (k.bots || []).filter((b) => b.kill_switch).map((b) => ({ id: b.id, name: b.name })),
  };
}

function renderBanner() {
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

// ---- polling and stream --------------------------------------------------------------------

async function pollEngine() {
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

// At most one refresh per 500 ms however fast the stream runs: a busy bot's fills must not
// spend the user's API rate (20 requests/s) on redraws.
function scheduleRefresh() {
  if (state.refreshTimer) return;
  state.refreshTimer = setTimeout(() => {
    state.refreshTimer = null;
    state.page?.refresh?.();
  }, 500);
}

function onStreamItem(item) {
  switch (item.type) {
    case 'bot_status':  // {"bot": id, "from": state, "to": state}
      announce(`Bot ${item.bot} is ${item.to ?? item.state ?? 'changed'}${item.from ? ` (was ${item.from})` : ''}`);
      scheduleRefresh();
      break;
    case 'kill_switch':
      announce(item.bot != null ? `Kill switch changed for bot ${item.bot}` : 'A kill switch changed');
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

// ---- pages ---------------------------------------------------------------------------------

function pageTitle(text) {
  document.title = `${text} · botengine`;
  return h('h1', { tabindex: '-1', id: 'page-title' }, text);
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

function overviewPage(main) {
  const body = h('div', { id: 'overview-body' });
  main.append(pageTitle('Overview'), body);
  const refresh = () => {
    const e = state.engine;
    if (!e) { body.replaceChildren(h('p', { class: 'muted' }, 'Waiting for the engine…')); return; }
    const lagDurable = Math.max(0, (e.journal_committed || 0) - (e.journal_durable || 0));
    const lagApply = Math.max(0, (e.journal_committed || 0) - (e.last_sequence || 0));
    const health = h('div', { class: 'card' }, h('div', { class: 'label' }, 'Engine health'),
      h('div', { class: 'value', id: 'engine-health' }, stateBadge(e.healthy ? 'ok' : 'bad'),
        ' ', e.healthy ? 'healthy' : 'unhealthy'),
      (e.problems || []).length ? h('ul', { class: 'error' }, e.problems.map((p) => h('li', {}, p))) : null);
    const stages = [...new Set(state.latency.flatMap((s) => Object.keys(s.stages)))];
    const series = [];
    stages.forEach((st, i) => {
      const color = COLORS[i % COLORS.length];
      const pts = (k) => state.latency.filter((s) => s.stages[st])
        .map((s) => [(s.t - state.latency[0].t) / 1000, s.stages[st][k] / 1000]);
      series.push({ name: `${st} p50`, color, points: pts('p50') });
      series.push({ name: `${st} p99`, color, dashed: true, points: pts('p99') });
    });
    const rejects = Array.isArray(e.rejects_by_reason) ? e.rejects_by_reason
      : Object.entries(e.rejects_by_reason || {});
    body.replaceChildren(
      h('div', { class: 'cards' }, health,
        card('Events per second', Number(e.events_per_second || 0).toFixed(1), 'events-per-second'),
        card('Journal lag (committed, not yet durable)', `${lagDurable} records`, 'journal-lag'),
        card('Apply lag (journaled, not yet applied)', `${lagApply} records`, 'apply-lag'),
        card('Last sequence', String(e.last_sequence ?? 0)),
        card('Engine time', fmtTime(e.engine_time)),
        card('Topology / durability', `${e.topology || '?'} / ${e.durability || '?'}`),
        card('Inputs · orders · fills', `${e.inputs ?? 0} · ${e.orders_sent ?? 0} · ${e.fills ?? 0}`),
        card('Risk rejects', String(e.risk_rejects ?? 0))),
      h('h2', {}, 'Feeds'),
      table('Feed status per venue', [
        { label: 'Venue', get: (f) => f.venue },
        { label: 'State', get: (f) => stateBadge(f.state) },
        { label: 'Messages', num: true, get: (f) => String(f.messages) },
        { label: 'Rejects', num: true, get: (f) => String(f.rejects) },
        { label: 'Last message', get: (f) => fmtTime(f.last_message_time) },
      ], e.feeds || [], 'No feeds.'),
      h('h2', {}, 'Latency per stage'),
      lineChart({ title: 'Latency p50 (solid) and p99 (dashed), µs, over the last minutes',
                  series, xFormat: (x) => `${x.toFixed(0)} s`, yFormat: (y) => `${+y.toFixed(1)} µs`,
                  yMinZero: true }),
      table('Latency per stage, last interval', [
        { label: 'Stage', get: (s) => s.stage },
        { label: 'Count', num: true, get: (s) => String(s.count) },
        { label: 'p50', num: true, get: (s) => fmtMicros(s.p50) },
        { label: 'p99', num: true, get: (s) => fmtMicros(s.p99) },
        { label: 'Max', num: true, get: (s) => fmtMicros(s.max) },
      ], e.latency || [], 'No latency samples yet.'),
      h('div', { class: 'grid2' },
        h('section', { 'aria-labelledby': 'balances-h' }, h('h2', { id: 'balances-h' }, 'Balances (paper account)'),
          table('Balances', [
            { label: 'Asset', get: (b) => b.asset },
            { label: 'Free', num: true, get: (b) => b.free },
            { label: 'Locked', num: true, get: (b) => b.locked },
          ], e.balances || [])),
        h('section', { 'aria-labelledby': 'rejects-h' }, h('h2', { id: 'rejects-h' }, 'Risk rejects by reason'),
          table('Risk rejects by reason', [
            { label: 'Reason', get: (r) => r[0] },
            { label: 'Count', num: true, get: (r) => String(r[1]) },
          ], rejects))));
  };
  refresh();
  return { name: 'overview', refresh };
}

// The commands a bot accepts in each state; the engine is the judge (409 otherwise).
const ACTIONS = [
  { action: 'start', label: 'Start', when: ['stopped', 'error'] },
  { action: 'pause', label: 'Pause', when: ['running'] },
  { action: 'resume', label: 'Resume', when: ['paused'] },
  { action: 'stop', label: 'Stop', when: ['running', 'paused', 'starting', 'error'] },
];

function botActions(bot, after) {
  return h('div', { class: 'actions', role: 'group', 'aria-label': `Actions for ${bot.name}` },
    ACTIONS.map((a) => h('button', {
      type: 'button', id: `bot-${bot.id}-${a.action}`, disabled: !a.when.includes(bot.state),
      'aria-label': `${a.label} bot ${bot.name}`,
      onclick: async (ev) => {
        ev.currentTarget.disabled = true;
        try {
          await api(`/bots/${bot.id}/${a.action}`, { method: 'POST' });
          announce(`${a.label}: bot ${bot.name} accepted`);
        } catch (e) {
          handleError(e, `${a.label} bot ${bot.name}`);
        }
        after();
      } }, a.label)));
}

// A page re-renders only when what it shows changed, so polling does not churn the DOM under
// a keyboard or screen-reader user.
function changeDetector() {
  let last = null;
  return (data) => {
    const key = JSON.stringify(data);
    if (key === last) return false;
    last = key;
    return true;
  };
}

const listOf = (v, key) => (Array.isArray(v) ? v : (v && v[key]) || []);

function botsPage(main) {
  const body = h('div', { id: 'bots-body' }, h('p', { class: 'muted' }, 'Loading…'));
  main.append(pageTitle('Bots'), h('p', {}, h('a', { href: '#/new' }, 'New bot from a template')), body);
  const changed = changeDetector();
  const refresh = async () => {
    try {
      const bots = listOf(await api('/bots'), 'bots');
      if (!changed(bots)) return;
      keepFocus(() => body.replaceChildren(table('Your bots', [
        { label: 'Name', get: (b) => h('a', { href: `#/bots/${b.id}` }, b.name || `bot ${b.id}`) },
        // Admins see every user's bots; say whose each is.
        ...(state.me?.admin ? [{ label: 'Owner', get: (b) => b.owner ?? '' }] : []),
        { label: 'Type', get: (b) => b.type },
        { label: 'Symbol', get: (b) => `${b.symbol}${b.venue ? ` @ ${b.venue}` : ''}` },
        { label: 'Status', get: (b) => [stateBadge(b.state), b.kill_switch ? [' ', stateBadge('killed')] : null,
                                         b.circuit_open ? [' ', stateBadge('error'), ' circuit open'] : null] },
        { label: 'Position', num: true, get: (b) => b.position?.quantity ?? '0' },
        { label: 'PnL', num: true, get: (b) => b.pnl ?? '0' },
        { label: 'Open orders', num: true, get: (b) => String(b.open_orders ?? 0) },
        { label: 'Actions', get: (b) => botActions(b, refresh) },
      ], bots, 'No bots yet: create one from a template.')));
    } catch (e) {
      handleError(e, 'Bots');
    }
  };
  refresh();
  return { name: 'bots', refresh, poll: true };
}

function editorActions(editor, { validateOnly, submitLabel, onSubmit }) {
  let timer = null;
  const status = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite', id: 'validate-status' });
  const validate = async () => {
    try {
      const res = await api('/bots/validate', { method: 'POST', body: editor.json() });
      const errors = listOf(res, 'errors');
      editor.showErrors(errors);
      status.textContent = errors.length ? `${errors.length} problem${errors.length > 1 ? 's' : ''} in the config` : 'The config is valid.';
      return errors;
    } catch (e) {
      if (e.status === 422) { editor.showErrors(e.errors); return e.errors; }
      handleError(e, 'Validate');
      return null;
    }
  };
  const debounced = () => { clearTimeout(timer); timer = setTimeout(validate, 400); };
  const submit = async (ev) => {
    ev.preventDefault();
    clearTimeout(timer);
    try {
      await onSubmit(editor.json());
      editor.showErrors([]);
    } catch (e) {
      if (e.status === 422) {
        const first = editor.showErrors(e.errors);
        status.textContent = `Not saved: ${e.errors.length} problem${e.errors.length > 1 ? 's' : ''} in the config`;
        first?.focus();
      } else handleError(e, submitLabel);
    }
  };
  const buttons = h('div', { class: 'actions' },
    h('button', { type: 'button', onclick: validate }, 'Validate'),
    validateOnly ? null : h('button', { type: 'submit', class: 'primary', id: 'config-submit' }, submitLabel));
  return { status, buttons, submit, debounced };
}

function botPage(main, id) {
  const title = pageTitle(`Bot ${id}`);
  const live = h('div', { id: 'bot-live' }, h('p', { class: 'muted' }, 'Loading…'));
  const configSection = h('section', { 'aria-labelledby': 'config-h' }, h('h2', { id: 'config-h' }, 'Config'));
  main.append(title, live, configSection);
  let editorShown = false;

  const showEditor = (bot) => {
    // GET /bots/{id} carries the accepted config as an object ("config"); the engine's view
    // struct calls it config_json (text).
    let config = bot.config;
    if (!config || typeof config !== 'object') {
      try { config = JSON.parse(bot.config_json || '{}'); } catch { config = {}; }
    }
    let actions;
    const editor = configEditor(config, { idPrefix: 'cfg', onChange: () => actions.debounced() });
    actions = editorActions(editor, {
      submitLabel: 'Save config',
      onSubmit: async (json) => {
        await api(`/bots/${id}`, { method: 'PUT', body: json });
        actions.status.textContent = 'Saved.';
        announce(`Bot ${bot.name}: config saved`);
        refresh();
      },
    });
    configSection.append(h('form', { class: 'fields', onsubmit: actions.submit, 'aria-labelledby': 'config-h' },
      h('p', { class: 'hint' }, 'Edit in place; problems the engine finds appear next to their field.'),
      editor.element, actions.status, actions.buttons));
  };

  const changed = changeDetector();
  const refresh = async () => {
    try {
      const bot = await api(`/bots/${id}`);
      // A list-style answer may leave out the detail arrays; the sub-resources have them.
      const [orders, fills, equity] = await Promise.all([
        bot.orders ?? api(`/bots/${id}/orders`).then((r) => listOf(r, 'orders')).catch(() => []),
        bot.fills ?? api(`/bots/${id}/fills`).then((r) => listOf(r, 'fills')).catch(() => []),
        bot.equity ?? api(`/bots/${id}/equity`).then((r) => listOf(r, 'equity')).catch(() => []),
      ]);
      if (!changed([bot, orders, fills, equity])) return;
      title.textContent = `Bot ${bot.name || id}`;
      document.title = `${bot.name || id} · botengine`;
      const p = bot.position || {};
      keepFocus(() => live.replaceChildren(
        h('p', {}, `${bot.type} on ${bot.symbol}${bot.venue ? ` @ ${bot.venue}` : ''} · `,
          h('span', { id: 'bot-state' }, stateBadge(bot.state)),
          bot.state_reason ? ` (${bot.state_reason})` : '',
          bot.kill_switch ? [' ', stateBadge('killed')] : '',
          bot.circuit_open ? ' · circuit breaker open' : ''),
        botActions(bot, refresh),
        h('div', { class: 'cards' },
          card('Position', `${p.quantity ?? '0'} @ ${p.average_entry_price ?? '0'}`, 'bot-position'),
          card('PnL (equity)', bot.pnl ?? '0', 'bot-pnl'),
          card('Realized · unrealized · fees', `${p.realized_pnl ?? 0} · ${p.unrealized_pnl ?? 0} · ${p.fees ?? 0}`),
          card('Open orders', String(bot.open_orders ?? 0), 'bot-open-orders'),
          card('Trades', String(bot.trades ?? fills.length)),
          card('Last input handled', fmtTime(bot.heartbeat))),
        h('h2', {}, 'Equity'),
        lineChart({ title: 'Equity (quote units) by event time',
                    series: [{ name: 'equity', color: COLORS[0],
                               points: equity.map((q) => [Number(q.time) / 1e9, Number(q.equity)]) }],
                    xFormat: (x) => fmtTime(x * 1e9).slice(0, 16), yFormat: (y) => String(+y.toFixed(2)) }),
        h('h2', { id: 'orders-h' }, 'Orders'),
        table('Orders', [
          { label: 'Client order id', get: (o) => o.client_order_id },
          { label: 'Side', get: (o) => o.side },
          { label: 'Type', get: (o) => o.type },
          { label: 'State', get: (o) => stateBadge(o.state) },
          { label: 'Price', num: true, get: (o) => o.price },
          { label: 'Quantity', num: true, get: (o) => o.quantity },
          { label: 'Filled', num: true, get: (o) => o.filled_quantity },
          { label: 'Updated', get: (o) => fmtTime(o.updated_time) },
        ], orders, 'No orders yet.'),
        h('h2', {}, 'Trades'),
        table('Trades', [
          { label: 'Time', get: (f) => fmtTime(f.time) },
          { label: 'Side', get: (f) => f.side },
          { label: 'Price', num: true, get: (f) => f.price },
          { label: 'Quantity', num: true, get: (f) => f.quantity },
          { label: 'Fee', num: true, get: (f) => f.fee },
          { label: 'Liquidity', get: (f) => f.liquidity },
          { label: 'Order', get: (f) => f.client_order_id },
        ], fills, 'No trades yet.'),
        h('h2', {}, 'Condition subscriptions'),
        (bot.conditions ?? bot.condition_texts ?? []).length
          ? h('ul', { id: 'bot-conditions' }, (bot.conditions ?? bot.condition_texts).map((c) => h('li', {}, h('code', {}, c))))
          : h('p', { class: 'muted' }, 'None.'),
        h('h2', {}, 'Kill switch and removal'),
        h('div', { class: 'actions' },
          killButton('bot', bot.id, !bot.kill_switch, `bot ${bot.name}`),
          h('button', { type: 'button', class: 'danger', onclick: async () => {
            if (!await confirmDialog('Delete bot', `Delete bot ${bot.name}? It stops and its config is removed.`, 'Delete')) return;
            try {
              await api(`/bots/${id}`, { method: 'DELETE' });
              announce(`Bot ${bot.name} deleted`);
              location.hash = '#/bots';
            } catch (e) { handleError(e, 'Delete'); }
          } }, 'Delete bot'))));
      if (!editorShown) { editorShown = true; showEditor(bot); }
    } catch (e) {
      if (e.status === 404) live.replaceChildren(h('p', { class: 'error', role: 'alert' }, 'No such bot, or it is not yours.'));
      else handleError(e, `Bot ${id}`);
    }
  };
  refresh();
  return { name: 'bot', refresh, poll: true };
}

// Templates as the API lists them: [{name, title?, description?, config}] (config an object or
// its JSON text); an object keyed by name is accepted too.
function normalizeTemplates(res) {
  const list = Array.isArray(res) ? res : Array.isArray(res?.templates) ? res.templates
    : Object.entries(res || {}).map(([name, v]) => ({ name, ...(v.config ? v : { config: v }) }));
  return list.map((t) => ({
    name: t.name || t.id || t.type,
    title: t.title || t.label || t.name || t.type,
    description: t.description || '',
    config: typeof t.config === 'string' ? JSON.parse(t.config) : t.config || t.defaults || {},
  }));
}

function newBotPage(main) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading templates…'));
  main.append(pageTitle('New bot'), body);
  (async () => {
    let templates;
    try { templates = normalizeTemplates(await api('/templates')); } catch (e) { handleError(e, 'Templates'); return; }
    const select = h('select', { id: 'template', name: 'template' },
      templates.map((t) => h('option', { value: t.name }, t.title)));
    const desc = h('p', { class: 'hint', id: 'template-desc' });
    const holder = h('div');
    const choose = () => {
      const t = templates.find((x) => x.name === select.value) || templates[0];
      desc.textContent = t?.description || '';
      holder.replaceChildren();
      if (!t) return;
      let actions;
      const editor = configEditor(t.config, { idPrefix: 'new', onChange: () => actions.debounced() });
      actions = editorActions(editor, {
        submitLabel: 'Create bot',
        onSubmit: async (json) => {
          const res = await api('/bots', { method: 'POST', body: json });
          announce(`Bot ${res.id} created; it is stopped until you start it`);
          location.hash = `#/bots/${res.id}`;
        },
      });
      holder.append(h('form', { class: 'fields', onsubmit: actions.submit, 'aria-label': 'New bot config' },
        editor.element, actions.status, actions.buttons));
    };
    select.addEventListener('change', choose);
    body.replaceChildren(
      h('div', { class: 'field' }, h('label', { for: 'template' }, 'Template'), select, desc),
      holder);
    choose();
  })();
  return { name: 'new' };
}

async function killAction(scope, id, set, what) {
  const text = set
    ? `Latch the kill switch for ${what}? Open orders are cancelled and no new orders go out until it is reset.`
    : `Reset the kill switch for ${what}? Orders may go out again.`;
  const title = set ? 'Set kill switch' : 'Reset kill switch';
  if (!await confirmDialog(title, text, title)) {
    announce('Kill switch unchanged');
    return;
  }
  try {
    await api('/kill-switch', { method: 'POST', body: { scope, id: Number(id ?? 0), action: set ? 'set' : 'reset' } });
    announce(`Kill switch ${set ? 'set' : 'reset'} for ${what}`);
  } catch (e) { handleError(e, `${title} for ${what}`); }
  await pollEngine();
  state.page?.refresh?.();
}

function killButton(scope, id, set, what) {
  return h('button', { type: 'button', class: set ? 'danger' : '', id: `kill-${scope}-${id ?? 'all'}-${set ? 'set' : 'reset'}`,
                       onclick: () => killAction(scope, id, set, what) },
           `${set ? 'Set' : 'Reset'} kill switch for ${what}`);
}

// Re-renders without losing the keyboard user's place: the focused control (by id) gets focus
// back, or, when it became disabled (Pause after pausing), the first enabled one in its group.
function keepFocus(render) {
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

function killSwitchPage(main) {
  const body = h('div', { id: 'kill-body' });
  main.append(pageTitle('Kill switch'), body);
  let scope = 'bot';
  const chosen = { bot: '', account: '0' };  // the target survives a re-render
  const changed = changeDetector();
  const refresh = async () => {
    let bots = [];
    try { bots = listOf(await api('/bots'), 'bots'); } catch (e) { handleError(e, 'Bots'); }
    const l = latched();
    for (const b of bots) if (b.kill_switch && !l.bots.some((x) => x.id === b.id)) l.bots.push(b);
    const name = (id) => bots.find((b) => b.id === id)?.name;
    const rows = [
      ...(l.global ? [{ scope: 'global', id: 0, what: 'all trading' }] : []),
      ...l.accounts.map((a) => ({ scope: 'account', id: a, what: `account ${a}` })),
      ...l.bots.map((b) => ({ scope: 'bot', id: b.id, what: `bot ${b.name || b.id}` })),
    ];
    if (!changed([scope, rows, bots.map((b) => [b.id, b.name])])) return;
    const remember = (ev) => { chosen[scope] = ev.target.value; };
    const target = scope === 'bot'
      ? h('div', { class: 'field' }, h('label', { for: 'kill-target' }, 'Target bot'),
          h('select', { id: 'kill-target', onchange: remember },
            bots.map((b) => h('option', { value: b.id, selected: String(b.id) === chosen.bot }, `${b.name} (${b.id})`))))
      : scope === 'account'
        ? h('div', { class: 'field' }, h('label', { for: 'kill-target' }, 'Target account id'),
            h('input', { id: 'kill-target', type: 'number', min: 0, value: chosen.account, inputmode: 'numeric',
                         oninput: remember }))
        : h('p', { class: 'hint' }, 'Global: stops every bot of every user (admins only).');
    const radios = ['bot', 'account', 'global'].map((s) => h('label', {},
      h('input', { type: 'radio', name: 'kill-scope', id: `kill-scope-${s}`, value: s, checked: s === scope,
                   onchange: () => { scope = s; refresh(); } }), ` ${s[0].toUpperCase()}${s.slice(1)}`, ' '));
    const pick = () => (scope === 'global' ? 0 : $('kill-target')?.value);
    const what = () => (scope === 'global' ? 'all trading (global)' : scope === 'bot'
      ? `bot ${name(Number(pick())) || pick()}` : `account ${pick()}`);
    const act = (set) => h('button', { type: 'button', class: set ? 'danger' : '', id: set ? 'kill-set' : 'kill-reset',
      onclick: () => killAction(scope, pick(), set, what()) }, set ? 'Set kill switch…' : 'Reset kill switch…');
    keepFocus(() => body.replaceChildren(
      h('section', { 'aria-labelledby': 'latched-h' }, h('h2', { id: 'latched-h' }, 'Latched now'),
        table('Latched kill switches', [
          { label: 'Scope', get: (r) => r.scope },
          { label: 'Target', get: (r) => r.what },
          { label: 'Action', get: (r) => killButton(r.scope, r.id, false, r.what) },
        ], rows, 'No kill switch is latched.')),
      h('section', { 'aria-labelledby': 'change-h' }, h('h2', { id: 'change-h' }, 'Set or reset'),
        h('form', { class: 'fields', onsubmit: (ev) => ev.preventDefault() },
          h('fieldset', {}, h('legend', {}, 'Scope'), radios),
          target,
          h('div', { class: 'actions' }, act(true), act(false))))));
  };
  refresh();
  return { name: 'kill-switch', refresh, poll: true };
}

function conditionsPage(main) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  main.append(pageTitle('Conditions'),
    h('p', { class: 'hint' }, 'The shared condition registry: each condition is evaluated once per input for all its subscribers.'),
    body);
  const changed = changeDetector();
  const refresh = async () => {
    try {
      const conds = listOf(await api('/conditions'), 'conditions');
      if (!changed(conds)) return;
      body.replaceChildren(table('Condition registry', [
        { label: 'Id', num: true, get: (c) => String(c.id) },
        { label: 'Condition', get: (c) => h('code', {}, c.canonical) },
        { label: 'Subscribers', get: (c) => (c.subscribers || []).flatMap((b, i) => [i ? ', ' : '', h('a', { href: `#/bots/${b}` }, `bot ${b}`)]) },
        { label: 'Evaluations', num: true, get: (c) => String(c.evaluations) },
        { label: 'Triggers', num: true, get: (c) => String(c.triggers) },
      ], conds, 'No conditions registered.'));
    } catch (e) { handleError(e, 'Conditions'); }
  };
  refresh();
  return { name: 'conditions', refresh, poll: true };
}

function reportsPage(main, name) {
  if (name) {
    const pre = h('pre', { class: 'report', tabindex: '0', 'aria-label': `Report ${name}` }, 'Loading…');
    main.append(pageTitle(`Report ${name}`), h('p', {}, h('a', { href: '#/reports' }, 'All reports')), pre);
    api(`/reports/${encodeURIComponent(name)}`, { raw: true })
      .then((text) => {
        let shown = typeof text === 'string' ? text : JSON.stringify(text, null, 2);
        try { shown = JSON.stringify(JSON.parse(shown), null, 2); } catch { /* not JSON: as is */ }
        pre.textContent = shown;
      })
      .catch((e) => { pre.textContent = ''; handleError(e, `Report ${name}`); });
    return { name: 'report' };
  }
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  main.append(pageTitle('Reports'), h('p', { class: 'hint' }, 'Backtest and replay reports from the data directory.'), body);
  api('/reports').then((res) => {
    const list = listOf(res, 'reports').map((r) => (typeof r === 'string' ? { name: r } : r));
    body.replaceChildren(table('Reports', [
      { label: 'Report', get: (r) => h('a', { href: `#/reports/${encodeURIComponent(r.name)}` }, r.name) },
      { label: 'Size', num: true, get: (r) => (r.size !== undefined ? `${r.size} B` : '') },
      { label: 'Modified', get: (r) => r.modified ?? r.mtime ?? '' },
    ], list, 'No reports yet.'));
  }).catch((e) => handleError(e, 'Reports'));
  return { name: 'reports' };
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
    case 'kill-switch': page = killSwitchPage(main); break;
    case 'conditions': page = conditionsPage(main); break;
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
