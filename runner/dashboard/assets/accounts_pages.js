// The accounts page: the caller's accounts (an admin's: all) with mode, venue, endpoint, the
// key's name and fingerprint (never a key), a live account's connection (and why it was
// refused), orders it lost track of, foreign orders and refused cancels, the account's kill
// switch and balances; for an admin also the users (read only here: the API manages them, docs/API.md "Users and
// accounts"). Also the balances table the Overview shows: the caller's accounts only.
import { api } from './api.js';
import { h, table, stateBadge, fmtTime } from './dom.js';
import {
  state, announce, handleError, confirmDialog, pageTitle, changeDetector, listOf, keepFocus,
} from './shell.js';

// One row per account and asset, from GET /api/v1/balances: the caller's accounts, and
// account 0's legacy `balances` when the engine lists no accounts yet.
export function balanceRows(answer) {
  const accounts = listOf(answer, 'accounts');
  const rows = accounts.flatMap((a) => (a.balances || []).map((b) => ({ account: `${a.name} (${a.id})`, ...b })));
  if (!accounts.some((a) => a.id === 0)) {
    for (const b of answer?.balances || []) rows.push({ account: 'paper (0)', ...b });
  }
  return rows;
}

export function balancesTable(rows) {
  return table('Balances of your accounts', [
    { label: 'Account', get: (r) => r.account },
    { label: 'Asset', get: (r) => r.asset },
    { label: 'Free', num: true, get: (r) => r.free },
    { label: 'Locked', num: true, get: (r) => r.locked },
  ], rows, 'No balances: you own no account.');
}

async function accountKill(account, set) {
  const what = `account ${account.name} (${account.id})`;
  const text = set
    ? `Latch the kill switch for ${what}? No new orders go out on it until it is reset.`
    : `Reset the kill switch for ${what}? Orders may go out again.`;
  const title = set ? 'Set kill switch' : 'Reset kill switch';
  if (!await confirmDialog(title, text, title)) {
    announce('Kill switch unchanged');
    return false;
  }
  try {
    await api(`/accounts/${account.id}/kill-switch`, { method: set ? 'PUT' : 'DELETE' });
    announce(`Kill switch ${set ? 'set' : 'reset'} for ${what}`);
    return true;
  } catch (e) {
    handleError(e, 'Kill switch');
    return false;
  }
}

// A live account's connection as the runner and the journal see it: the gateway's state, the
// refusal in words (never only in a tooltip), and whether the order channel is up.
export function connectionCell(a) {
  if (a.mode !== 'live') return '—';
  const parts = [stateBadge(a.connection)];
  if (a.connection === 'refused' && a.refusal) parts.push(' ', h('span', { class: 'refusal' }, a.refusal));
  else if (a.connection === 'connected' && !a.channel_up) parts.push(' ', h('span', { class: 'muted' }, 'order channel down'));
  return h('span', {}, ...parts);
}

// What the venue told us that needs an operator: orders in flight we lost track of, orders we
// did not send, cancels it refused. Counts, "—" when there is nothing.
export function venueNotes(a) {
  if (a.mode !== 'live') return '—';
  const notes = [];
  if (a.unknown_orders) notes.push(`${a.unknown_orders} unknown`);
  if (a.foreign_orders_seen) notes.push(`${a.foreign_orders_seen} foreign`);
  if (a.cancels_refused) notes.push(`${a.cancels_refused} cancels refused`);
  return notes.join(', ') || '—';
}

// The foreign orders and refused cancels of the live accounts shown, one table each; none when
// no account has any.
function venueNoteSections(accounts) {
  const named = (a) => `${a.name} (${a.id})`;
  const foreign = accounts.flatMap((a) => (a.foreign_orders || []).map((o) => ({ account: named(a), ...o })));
  const refused = accounts.flatMap((a) => (a.refused_cancels || []).map((c) => ({ account: named(a), ...c })));
  return [
    foreign.length ? h('section', { 'aria-labelledby': 'foreign-h' },
      h('h2', { id: 'foreign-h' }, 'Orders at the venue we did not send'),
      h('p', { class: 'hint' }, 'Found while reconciling: reported, never adopted or cancelled.'),
      table('Foreign orders', [
        { label: 'Account', get: (o) => o.account },
        { label: 'Venue order id', get: (o) => o.venue_order_id },
        { label: 'Symbol', get: (o) => o.symbol },
        { label: 'Side', get: (o) => o.side },
        { label: 'Price', num: true, get: (o) => o.price },
        { label: 'Quantity', num: true, get: (o) => o.quantity },
        { label: 'Filled', num: true, get: (o) => o.filled_quantity },
        { label: 'Seen', get: (o) => fmtTime(o.time) },
      ], foreign)) : null,
    refused.length ? h('section', { 'aria-labelledby': 'refused-h' },
      h('h2', { id: 'refused-h' }, 'Cancels the venue refused'),
      table('Refused cancels', [
        { label: 'Account', get: (c) => c.account },
        { label: 'Order', get: (c) => c.client_order_id },
        { label: 'Symbol', get: (c) => c.symbol },
        { label: 'Reason code', num: true, get: (c) => String(c.reason) },
        { label: 'Time', get: (c) => fmtTime(c.time) },
      ], refused)) : null,
  ];
}

const short = (fingerprint) => (fingerprint ? `${fingerprint.slice(0, 12)}…` : '');

export function accountsPage(main) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  main.append(pageTitle('Accounts'),
    h('p', { class: 'hint' }, state.me?.admin
      ? 'Every account and user (you are an admin). Keys are shown by name and fingerprint, never the key.'
      : 'Your accounts. Keys are shown by name and fingerprint, never the key.'),
    body);
  const changed = changeDetector();
  const refresh = async () => {
    try {
      const [accounts, users] = await Promise.all([
        api('/accounts').then((a) => listOf(a, 'accounts')),
        state.me?.admin ? api('/users').then((u) => listOf(u, 'users')) : Promise.resolve(null),
      ]);
      if (!changed({ accounts, users })) return;
      const columns = [
        { label: 'Id', num: true, get: (a) => String(a.id) },
        { label: 'Name', get: (a) => a.name },
        ...(state.me?.admin ? [{ label: 'Owner', get: (a) => a.owner }] : []),
        { label: 'Venue', get: (a) => a.venue },
        { label: 'Mode', get: (a) => a.mode },
        { label: 'Endpoint', get: (a) => a.endpoint || '—' },
        { label: 'Key', get: (a) => (a.key_name ? h('span', { title: a.key_fingerprint }, `${a.key_name} · ${short(a.key_fingerprint)}`) : 'none') },
        { label: 'Connection', get: connectionCell },
        { label: 'Venue notes', get: venueNotes },
        { label: 'Balances', get: (a) => (a.balances || []).map((b) => `${b.asset} ${b.free}`).join(', ') || '—' },
        { label: 'Kill switch', get: (a) => h('button', {
          type: 'button', class: a.kill_switch ? '' : 'danger',
          'aria-label': `${a.kill_switch ? 'Reset' : 'Set'} the kill switch of account ${a.name} (${a.id})`,
          onclick: async () => { if (await accountKill(a, !a.kill_switch)) refresh(); },
        }, a.kill_switch ? 'Latched: reset…' : 'Set…') },
      ];
      const shown = accounts.filter((a) => !a.removed);
      // replaceChildren would show a null as the text "null": only the sections there are.
      keepFocus(() => body.replaceChildren(...[
        h('section', { 'aria-labelledby': 'accounts-h' }, h('h2', { id: 'accounts-h' }, 'Accounts'),
          table('Accounts', columns, shown, 'No accounts.')),
        ...venueNoteSections(shown),
        users ? h('section', { 'aria-labelledby': 'users-h' }, h('h2', { id: 'users-h' }, 'Users'),
          table('Users', [
            { label: 'Id', num: true, get: (u) => String(u.id) },
            { label: 'Name', get: (u) => u.name },
            { label: 'Role', get: (u) => u.role },
            { label: 'State', get: (u) => (u.disabled ? 'disabled' : 'active') },
          ], users, 'No users.')) : null].filter(Boolean)));
    } catch (e) { handleError(e, 'Accounts'); }
  };
  refresh();
  return { name: 'accounts', refresh, poll: true };
}
