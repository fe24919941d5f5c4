// The pages about the engine as a whole: the overview (health, feeds, latency, the caller's
// accounts' balances), the kill switches, the shared condition registry and the
// backtest/replay reports.
import { api } from './api.js';
import { balanceRows, balancesTable } from './accounts_pages.js';
import { lineChart } from './chart.js';
import { h, table, stateBadge, card, fmtTime, fmtMicros } from './dom.js';
import {
  $, state, COLORS, announce, handleError, confirmDialog, latched, pollEngine, pageTitle,
  changeDetector, listOf, keepFocus,
} from './shell.js';

export function overviewPage(main) {
  const body = h('div', { id: 'overview-body' });
  main.append(pageTitle('Overview'), body);
  // Balances come from GET /api/v1/balances (the caller's accounts only), not from the engine
  // view: kept in their own box, which each redraw re-attaches.
  const balancesBox = h('div', { id: 'overview-balances' }, balancesTable([]));
  const balancesChanged = changeDetector();
  const fetchBalances = () => api('/balances').then((answer) => {
    const rows = balanceRows(answer);
    if (balancesChanged(rows)) balancesBox.replaceChildren(balancesTable(rows));
  }).catch((e) => handleError(e, 'Balances'));
  const refresh = () => {
    fetchBalances();
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
        h('section', { 'aria-labelledby': 'balances-h' }, h('h2', { id: 'balances-h' }, 'Balances (your accounts)'),
          balancesBox),
        h('section', { 'aria-labelledby': 'rejects-h' }, h('h2', { id: 'rejects-h' }, 'Risk rejects by reason'),
          table('Risk rejects by reason', [
            { label: 'Reason', get: (r) => r[0] },
            { label: 'Count', num: true, get: (r) => String(r[1]) },
          ], rejects))));
  };
  refresh();
  return { name: 'overview', refresh };
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

export function killButton(scope, id, set, what) {
  return h('button', { type: 'button', class: set ? 'danger' : '', id: `kill-${scope}-${id ?? 'all'}-${set ? 'set' : 'reset'}`,
                       onclick: () => killAction(scope, id, set, what) },
           `${set ? 'Set' : 'Reset'} kill switch for ${what}`);
}

export function killSwitchPage(main) {
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

export function conditionsPage(main) {
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

export function reportsPage(main, name) {
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
      { label: 'Modified', get: (r) => fmtTime(r.modified) },
    ], list, 'No reports yet.'));
  }).catch((e) => handleError(e, 'Reports'));
  return { name: 'reports' };
}
