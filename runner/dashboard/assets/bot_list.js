// The bots table at any number of bots: one page at a time from GET /api/v1/bots (limit,
// cursor, state, symbol, type, q, sort=pnl; docs/API.md "Listing bots: pages and filters"),
// so the page holds and draws at most one page of rows however many bots the engine has.
// The API gives cursors forward only: the pager keeps the cursor of every page it has shown,
// so Previous goes back exactly. A filter change starts again at page 1. Answers that arrive
// after a newer request was made are dropped, so fast typing never shows a stale page.
import { api } from './api.js';
import { h, table, stateBadge } from './dom.js';
import {
  state, announce, handleError, changeDetector, listOf, keepFocus, pageTitle,
} from './shell.js';

const STATES = ['stopped', 'starting', 'running', 'paused', 'error', 'stopping'];
const PAGE_SIZES = [25, 50, 100];
const SEARCH_DELAY_MS = 250;  // typing pauses this long before the search is sent

// The commands a bot accepts in each state; the engine is the judge (409 otherwise).
const ACTIONS = [
  { action: 'start', label: 'Start', when: ['stopped', 'error'] },
  { action: 'pause', label: 'Pause', when: ['running'] },
  { action: 'resume', label: 'Resume', when: ['paused'] },
  { action: 'stop', label: 'Stop', when: ['running', 'paused', 'starting', 'error'] },
];

export function botActions(bot, after) {
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

// The query string of one page: the filters as set, the page size, the page's cursor.
function pageQuery(filters, limit, cursor) {
  const q = new URLSearchParams();
  q.set('limit', String(limit));
  for (const key of ['q', 'state', 'symbol', 'type']) {
    const v = filters[key].trim();
    if (v) q.set(key, v);
  }
  if (filters.sort === 'pnl') q.set('sort', 'pnl');
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

function field(id, label, control) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

export function botsPage(main) {
  const filters = { q: '', state: '', symbol: '', type: '', sort: 'id' };
  let limit = 50;
  let cursors = [''];  // cursors[i]: the cursor that asks for page i (page 0: none)
  let pageIndex = 0;
  let hasNext = false;
  let shown = 0;
  let requestSeq = 0;  // the newest request; older answers are dropped
  let searchTimer = null;

  const search = h('input', { id: 'bots-q', type: 'search', maxlength: '100', autocomplete: 'off',
                              placeholder: 'name or symbol' });
  const stateSel = h('select', { id: 'bots-state' },
    h('option', { value: '' }, 'any'), STATES.map((s) => h('option', { value: s }, s)));
  const symbol = h('input', { id: 'bots-symbol', autocomplete: 'off', placeholder: 'BTCUSDT', size: '10' });
  const type = h('input', { id: 'bots-type', autocomplete: 'off', placeholder: 'rsi', size: '10' });
  const sort = h('select', { id: 'bots-sort' },
    h('option', { value: 'id' }, 'id'), h('option', { value: 'pnl' }, 'PnL, highest first'));
  const size = h('select', { id: 'bots-limit' },
    PAGE_SIZES.map((n) => h('option', { value: String(n), selected: n === limit }, String(n))));
  const prev = h('button', { type: 'button', id: 'bots-prev', disabled: true }, 'Previous page');
  const next = h('button', { type: 'button', id: 'bots-next', disabled: true }, 'Next page');
  const status = h('p', { class: 'hint', id: 'bots-status', role: 'status', 'aria-live': 'polite' }, 'Loading…');
  const body = h('div', { id: 'bots-body', 'aria-busy': 'true' });

  const changed = changeDetector();
  const filtered = () => Boolean(filters.q || filters.state || filters.symbol || filters.type);
  const render = (bots) => {
    const first = pageIndex * limit + 1;
    status.textContent = bots.length
      ? `Page ${pageIndex + 1}: bots ${first}–${first + bots.length - 1}${hasNext ? '' : ' (last page)'}`
      : `Page ${pageIndex + 1}: no bots`;
    prev.disabled = pageIndex === 0;
    next.disabled = !hasNext;
    body.dataset.page = String(pageIndex + 1);
    keepFocus(() => body.replaceChildren(table('Your bots', [
      { label: 'Name', get: (b) => h('a', { href: `#/bots/${b.id}` }, b.name || `bot ${b.id}`) },
      // Admins see every user's bots; say whose each is.
      ...(state.me?.admin ? [{ label: 'Owner', get: (b) => b.owner ?? '' }] : []),
      { label: 'Id', num: true, get: (b) => String(b.id) },
      { label: 'Type', get: (b) => b.type },
      { label: 'Symbol', get: (b) => `${b.symbol}${b.venue ? ` @ ${b.venue}` : ''}` },
      { label: 'Status', get: (b) => [stateBadge(b.state), b.kill_switch ? [' ', stateBadge('killed')] : null,
                                       b.circuit_open ? [' ', stateBadge('error'), ' circuit open'] : null] },
      { label: 'Position', num: true, get: (b) => b.position?.quantity ?? '0' },
      { label: 'PnL', num: true, get: (b) => b.pnl ?? '0' },
      { label: 'Open orders', num: true, get: (b) => String(b.open_orders ?? 0) },
      { label: 'Actions', get: (b) => botActions(b, refresh) },
    ], bots, filtered() ? 'No bots match these filters.' : 'No bots yet: create one from a template.')));
  };

  // Fetches the page on screen (or, after a filter or pager change, the new one).
  const refresh = async () => {
    const seq = ++requestSeq;
    body.setAttribute('aria-busy', 'true');
    try {
      const res = await api(`/bots?${pageQuery(filters, limit, cursors[pageIndex])}`);
      if (seq !== requestSeq) return;  // a newer request is on its way
      const bots = listOf(res, 'bots');
      hasNext = Boolean(res?.next_cursor);
      cursors.length = pageIndex + 1;
      if (hasNext) cursors.push(res.next_cursor);
      shown = bots.length;
      body.setAttribute('aria-busy', 'false');
      if (!changed([pageIndex, limit, filters, bots, hasNext])) return;
      render(bots);
    } catch (e) {
      if (seq !== requestSeq) return;
      body.setAttribute('aria-busy', 'false');
      // A cursor for bots that are gone (or a filter the API refused) starts again at page 1.
      if (e.status === 400 && pageIndex > 0) { restart(); return; }
      handleError(e, 'Bots');
    }
  };
  const restart = () => {
    cursors = [''];
    pageIndex = 0;
    refresh();
  };
  const onFilter = (key, el) => () => { filters[key] = el.value; restart(); };

  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { filters.q = search.value; restart(); }, SEARCH_DELAY_MS);
  });
  stateSel.addEventListener('change', onFilter('state', stateSel));
  sort.addEventListener('change', onFilter('sort', sort));
  for (const [key, el] of [['symbol', symbol], ['type', type]]) {
    el.addEventListener('change', onFilter(key, el));
    el.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') onFilter(key, el)(); });
  }
  size.addEventListener('change', () => { limit = Number(size.value); restart(); });
  prev.addEventListener('click', () => {
    if (pageIndex === 0) return;
    pageIndex--;
    refresh();
  });
  next.addEventListener('click', () => {
    if (!hasNext || pageIndex + 1 >= cursors.length) return;
    pageIndex++;
    refresh();
  });

  main.append(pageTitle('Bots'),
    h('p', {}, h('a', { href: '#/new' }, 'New bot from a template'), ' · ',
      h('a', { href: '#/script' }, 'New bot from a script')),
    h('div', { class: 'filters', role: 'search', 'aria-label': 'Find bots' },
      field('bots-q', 'Search', search), field('bots-state', 'State', stateSel),
      field('bots-symbol', 'Symbol', symbol), field('bots-type', 'Type', type),
      field('bots-sort', 'Sort by', sort), field('bots-limit', 'Per page', size)),
    h('div', { class: 'actions pager', role: 'group', 'aria-label': 'Pages' }, prev, next), status, body);
  refresh();
  return { name: 'bots', refresh, poll: true, shown: () => shown };
}
