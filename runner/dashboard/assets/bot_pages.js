// The pages of one bot (the list is bot_list.js): one bot (live state, orders, trades, equity,
// its config edited in place) and a new bot from a template.
import { api } from './api.js';
import { botActions } from './bot_list.js';
import { lineChart } from './chart.js';
import { configEditor } from './config_editor.js';
import { h, table, stateBadge, card, fmtTime, epochSeconds, fmtEpochMinutes } from './dom.js';
import { killButton } from './engine_pages.js';
import {
  COLORS, announce, handleError, confirmDialog, pageTitle, changeDetector, listOf, keepFocus,
} from './shell.js';

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

export function botPage(main, id) {
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
                               points: equity.map((q) => [epochSeconds(q.time), Number(q.equity)]) }],
                    xFormat: fmtEpochMinutes, yFormat: (y) => String(+y.toFixed(2)) }),
        h('h2', { id: 'orders-h' }, 'Orders'),
        table('Orders', [
          { label: 'Client order id', get: (o) => o.client_order_id },
          { label: 'Side', get: (o) => o.side },
          { label: 'Type', get: (o) => o.type },
          { label: 'State', get: (o) => stateBadge(o.state) },
          // A market order has no price of its own (the API says 0): what it paid is in Trades.
          { label: 'Price', num: true, get: (o) => (o.type === 'market' ? 'market' : o.price) },
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

export function newBotPage(main) {
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
