// The bots table at scale (issue 18 item 4), in Debian's headless Chromium through
// playwright-core, against `botengine run` with a deployment config of its own (two
// instruments on a `botengine sim` market, a bot capacity of --bots and more, a body limit
// and rate that let one request carry 1,000 configs):
//
//   node bots_scale.test.mjs --botengine build/x/runner/botengine --artifacts DIR [--bots 10000]
//
// alice creates --bots bots through POST /api/v1/bots/bulk (1,000 a request, four types over
// two symbols, names "scale <i>"), every one answered 201 with its id. Then, in the browser:
// the table shows one page, not every bot; Next walks pages whose ids continue where the
// last page stopped, and Previous comes back to the same rows; the search finds one bot by
// name among all of them; the state, type and symbol filters and sort=pnl show only matching
// rows; every interaction (from the click or the last keystroke to the table showing the
// answer) answers within INTERACTION_MS. The engine must have the capacity: a deployment
// whose capacity is smaller refuses the items past it with 409 and the test fails saying so.
//
// Exit codes: 0 pass, 1 fail, 77 skipped (no node_modules, no Chromium, no binary).
// Waits are condition waits with deadlines, never fixed sleeps.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { args } from '../support/node_test.mjs';
import { STEP_MS, check, checkLabels, checkNoLies, tableCells, shot, signIn, runBrowserTest } from './support.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BOTS = Number(args().bots || 10000);
const PER_REQUEST = 1000;
// The bound on one interaction (pager, filter, search): the table shows the answer within it.
// The API answers a page of 10,000 bots in milliseconds; the rest is the browser drawing at
// most one page of rows.
const INTERACTION_MS = 1000;
const TYPES = [
  { type: 'rsi', parameters: { period: 14, oversold: 30, overbought: 70, quote_amount: 100.0 }, timeframe: '1m' },
  { type: 'ma_cross', parameters: { ma: 'ema', fast: 5, slow: 20, quote_amount: 100.0 }, timeframe: '1m' },
  { type: 'grid', parameters: { lower: 49000, upper: 51000, grids: 10, spacing: 'arithmetic', quantity_per_grid: 0.001 } },
  { type: 'dca', parameters: { base_order_quote: 100.0, take_profit_pct: 0.5, interval_minutes: 5,
                               safety_orders: { count: 2, quote: 100.0, deviation_pct: 0.3, step_scale: 1.2, volume_scale: 1.5 } },
    timeframe: '1m' },
];
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];

function botConfig(i) {
  const t = TYPES[i % TYPES.length];
  const c = { name: `scale ${i}`, symbol: SYMBOLS[Math.floor(i / TYPES.length) % SYMBOLS.length],
              strategy: { type: t.type, parameters: t.parameters } };
  if (t.timeframe) c.timeframe = t.timeframe;
  return c;
}

const INSTRUMENT = { venue: 'binance', base: '', quote: 'USDT', price_scale: 8, qty_scale: 8,
                     tick_size: 0.01, step_size: 0.00001, min_notional: 5 };
// Engines before configurable capacity hold 64 bots and know no engine.capacity: a run of
// --bots 60 or fewer leaves the field out.
const CONFIG = {
  engine: { journal: 'async', ...(BOTS > 60 ? { capacity: { bots: BOTS + 64 } } : {}) },
  venues: [{ name: 'binance', url: 'sim' }],
  instruments: SYMBOLS.map((s) => ({ ...INSTRUMENT, symbol: s, base: s.replace('USDT', '') })),
  paper: { balances: { USDT: '100000' } },
  api: { max_body_bytes: 4 * 1024 * 1024, rate_per_second: 1000, rate_burst: 1000 },
};

// Creates the bots through the bulk route as alice; returns [created, refusals by status].
async function createBots(base, token) {
  let created = 0;
  const refused = {};
  for (let from = 0; from < BOTS; from += PER_REQUEST) {
    const bots = [];
    for (let i = from; i < Math.min(BOTS, from + PER_REQUEST); i++) bots.push(botConfig(i));
    const res = await fetch(`${base}/api/v1/bots/bulk`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ bots }),
    });
    if (res.status !== 200) throw new Error(`bulk create answered ${res.status}: ${await res.text()}`);
    const answer = await res.json();
    for (const r of answer.results) {
      if (r.status === 201) created++;
      else refused[r.status] = `${(refused[r.status] ?? '')} ${JSON.stringify(r.answer)}`.slice(0, 300);
    }
  }
  return [created, refused];
}

// Runs `act` and waits until the table shows what it asked for (`shown` true in the page);
// returns the milliseconds that took.
async function timed(page, act, shown, arg) {
  const t0 = performance.now();
  await act();
  await page.waitForFunction(shown, arg, { timeout: STEP_MS });
  return performance.now() - t0;
}

const rowIds = (page) => tableCells(page, 'Your bots').then((rows) => rows.map((r) => Number(r[1])));
// The page's table is settled on page `n` (the status line says so, no request in flight).
const settledOn = (n) => ({ n, text: `Page ${n}:` });
function settled({ text }) {
  const body = document.getElementById('bots-body');
  return body?.getAttribute('aria-busy') === 'false'
    && document.getElementById('bots-status')?.textContent.startsWith(text);
}

async function scaleStory(browser, base, tokens, art) {
  const t0 = performance.now();
  const [created, refused] = await createBots(base, tokens.alice);
  check(created === BOTS, `bulk created ${created} of ${BOTS} bots in ${Math.round(performance.now() - t0)} ms${created === BOTS ? '' : ` (refused: ${JSON.stringify(refused)})`}`);

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(STEP_MS);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await signIn(page, base, tokens.alice);
  const times = {};

  times.open = await timed(page, () => page.getByRole('link', { name: 'Bots', exact: true }).click(), settled, settledOn(1));
  const first = await rowIds(page);
  const pageOf = (n, size) => [...Array(BOTS).keys()].slice((n - 1) * size, n * size);
  check(JSON.stringify(first) === JSON.stringify(pageOf(1, 50)),
        `the table shows one page of 50 bots in id order, not all ${created} (ids ${first[0]}..${first.at(-1)})`);
  const rendered = await page.locator('#bots-body tbody tr').count();
  check(rendered === Math.min(50, BOTS), `the page holds only the rows it shows (${rendered} rows in the DOM)`);
  await shot(page, art, 'scale-01-first-page');
  await checkLabels(page, 'bots at scale');
  await checkNoLies(page, 'bots at scale');

  // Next, Next, Previous: ids continue across pages and come back exactly.
  times.next = await timed(page, () => page.getByRole('button', { name: 'Next page' }).click(), settled, settledOn(2));
  const second = await rowIds(page);
  check(JSON.stringify(second) === JSON.stringify(pageOf(2, 50)), `Next shows the next 50 bots (${second[0]}..${second.at(-1)})`);
  if (BOTS > 100) {
    times.next2 = await timed(page, () => page.getByRole('button', { name: 'Next page' }).click(), settled, settledOn(3));
    check(JSON.stringify(await rowIds(page)) === JSON.stringify(pageOf(3, 50)), 'Next again shows the 50 after them');
  }
  times.previous = await timed(page, () => page.getByRole('button', { name: 'Previous page' }).click(), settled,
                               settledOn(BOTS > 100 ? 2 : 1));
  check(JSON.stringify(await rowIds(page)) === JSON.stringify(BOTS > 100 ? second : first), 'Previous comes back to the same rows');

  times.perPage = await timed(page, () => page.getByLabel('Per page').selectOption('100'), settled, settledOn(1));
  check(JSON.stringify(await rowIds(page)) === JSON.stringify(pageOf(1, 100)), 'Per page 100 shows the first 100 bots');

  // Search: one bot by its name among all of them.
  const want = BOTS - 3;
  times.search = await timed(page, () => page.getByLabel('Search').fill(`scale ${want}`),
    ({ name }) => {
      const rows = document.querySelectorAll('#bots-body tbody tr');
      return document.getElementById('bots-body')?.getAttribute('aria-busy') === 'false'
        && rows.length === 1 && rows[0].cells[0].textContent === name;
    }, { name: `scale ${want}` });
  check(true, `the search finds "scale ${want}" alone`);
  await shot(page, art, 'scale-02-search');
  await page.getByLabel('Search').fill('');

  // Filters: type and symbol together; every row matches.
  await page.getByLabel('Type').fill('grid');
  times.filter = await timed(page, () => page.getByLabel('Symbol').fill('ETHUSDT').then(() => page.getByLabel('Symbol').press('Enter')),
    () => {
      const rows = [...document.querySelectorAll('#bots-body tbody tr')];
      return document.getElementById('bots-body')?.getAttribute('aria-busy') === 'false' && rows.length > 0
        && rows.every((r) => r.cells[2].textContent === 'grid' && r.cells[3].textContent.startsWith('ETHUSDT'));
    });
  const expected = [...Array(BOTS).keys()].filter((i) => i % 4 === 2 && Math.floor(i / 4) % 2 === 1).slice(0, 100);
  check(JSON.stringify(await rowIds(page)) === JSON.stringify(expected),
        'type=grid with symbol=ETHUSDT shows exactly those bots, in id order');
  times.state = await timed(page, () => page.getByLabel('State').selectOption('running'),
    () => document.getElementById('bots-body')?.getAttribute('aria-busy') === 'false'
      && document.getElementById('bots-body')?.textContent.includes('No bots match these filters.'));
  check(true, 'state=running (none runs) says no bot matches');
  await page.getByLabel('State').selectOption('');
  await page.getByLabel('Type').fill('');
  await page.getByLabel('Type').press('Enter');
  await page.getByLabel('Symbol').fill('');
  times.sort = await timed(page, async () => {
    await page.getByLabel('Symbol').press('Enter');
    await page.getByLabel('Sort by').selectOption('pnl');
  }, () => document.getElementById('bots-body')?.getAttribute('aria-busy') === 'false'
      && document.querySelectorAll('#bots-body tbody tr').length === Math.min(100, BOTS));
  // Every PnL is 0 (no bot started): highest first, ties by id, is id order.
  check(JSON.stringify(await rowIds(page)) === JSON.stringify(pageOf(1, 100)), 'sort by PnL shows a full page, ties in id order');
  await shot(page, art, 'scale-03-filters');

  const worst = Math.max(...Object.values(times));
  const shown = Object.entries(times).map(([k, v]) => `${k} ${Math.round(v)} ms`).join(', ');
  check(worst <= INTERACTION_MS, `every interaction answered within ${INTERACTION_MS} ms (${shown})`);
  check(errors.length === 0, `no script errors${errors.length ? `: ${errors.join(' | ')}` : ''}`);
  await ctx.close();
}

runBrowserTest(HERE, {
  start: (runner) => runner.start({ config: CONFIG }),
  body: (browser, base, tokens, art) => scaleStory(browser, base, tokens, art),
});
