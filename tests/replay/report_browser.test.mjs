// The backtest report in a real browser (issue 20 item 4): Debian's headless Chromium, driven
// by playwright-core (installed by `npm ci --prefix tests/browser`, the dashboard test's pinned
// copy), opens a report `botengine replay --bots` wrote for two days of generated trades
// imported with `botengine data import`, and checks that it is readable: the chart is drawn
// with its axes, time labels and legend inside the page, the bots table lists the bot that
// never traded, the JSON wraps instead of running off the page, and the page asks the network
// for nothing. The page is screenshotted to --artifacts DIR.
//
//   node report_browser.test.mjs --botengine build/x/runner/botengine --artifacts DIR
//
// Exit codes: 0 pass, 1 fail, 77 skipped (ctest SKIP_RETURN_CODE) with the reason printed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { args, skip } from '../support/node_test.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.BE_CHROMIUM || '/usr/bin/chromium';
const BROWSER_TESTS = path.join(HERE, '..', 'browser');

function run(bin, argv, cwd) {
  const r = spawnSync(bin, argv, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${path.basename(bin)} ${argv.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

// Twelve hours of BTCUSDT trades every 10 s, a seeded random walk, in Binance's trades CSV format.
function tradesCsv() {
  let state = 0x2545f491;
  const next = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  let price = 50000;
  const rows = [];
  for (let i = 0; i < 4320; ++i) {
    price *= 1 + (next() - 0.5) * 0.005;
    const t = 1613692800000 + i * 10000;
    rows.push(`${i + 1},${price.toFixed(2)},0.${1 + Math.floor(next() * 9)},0,${t},${next() < 0.5 ? 'True' : 'False'},True`);
  }
  return rows.join('\n') + '\n';
}

const BOTS = [
  { name: 'grid', symbol: 'BTCUSDT', strategy: { type: 'grid', parameters: { lower: 40000, upper: 60000, grids: 40, spacing: 'arithmetic', quantity_per_grid: 0.001 } } },
  { name: 'idle rsi', symbol: 'BTCUSDT', strategy: { type: 'rsi', parameters: { period: 14, oversold: 1, overbought: 99, quantity: 0.001 } } },
];

async function main() {
  const a = args();
  const art = path.resolve(a.artifacts || path.join(HERE, 'artifacts'));
  if (!fs.existsSync(CHROMIUM)) skip(`${CHROMIUM} is missing (Debian packages chromium chromium-driver; scripts/setup.sh)`);
  if (!a.botengine || !fs.existsSync(a.botengine)) skip(`no botengine binary (--botengine ${a.botengine})`);
  let chromium;
  try {
    ({ chromium } = createRequire(path.join(BROWSER_TESTS, 'package.json'))('playwright-core'));
  } catch {
    skip(`playwright-core is not installed: run npm ci --prefix ${BROWSER_TESTS}`);
  }
  fs.mkdirSync(art, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'be-report-'));
  const failures = [];
  const check = (ok, what) => { if (!ok) failures.push(what); console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); };
  let browser = null;
  try {
    fs.writeFileSync(path.join(dir, 'BTCUSDT-trades-2021-02.csv'), tradesCsv());
    fs.writeFileSync(path.join(dir, 'bots.json'), JSON.stringify(BOTS));
    run(a.botengine, ['data', 'import', 'BTCUSDT-trades-2021-02.csv', '--out', 'btc.becap'], dir);
    run(a.botengine, ['replay', '--capture', 'btc.becap', '--bots', 'bots.json', '--report', 'r', '--quiet'], dir);

    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
             '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${path.join(dir, 'r.html')}`);
    await page.screenshot({ path: path.join(art, 'report.png'), fullPage: true });

    const chart = await page.locator('svg.chart').boundingBox();
    check(chart && chart.width > 600 && chart.height > 250 && chart.x + chart.width <= 1200,
          `the chart is drawn inside the page (${JSON.stringify(chart)})`);
    const texts = await page.locator('svg.chart text').allTextContents();
    // Twelve hours of data: the labels are hours and minutes, UTC, from 00:00.
    const times = texts.filter((t) => /^\d\d:\d\d$/.test(t));
    check(times.length === 6 && times[0] === '00:00', `the time axis has six UTC labels (${times.join(' ')})`);
    check(texts.some((t) => t.startsWith('time (UTC), from 2021-02-19T00:00:00')), 'the time axis is named');
    check(texts.includes('PnL (quote currency)'), 'the value axis is named');
    check(texts.filter((t) => /^-?\d+$/.test(t)).length >= 3, 'the value axis has tick labels');
    for (const name of ['bot 0 grid', 'bot 1 idle rsi', 'all bots', 'buy and hold BTCUSDT']) {
      check(texts.includes(name), `the legend names ${name}`);
    }
    const lines = await page.locator('svg.chart polyline').count();
    check(lines === 4, `one line per series (${lines})`);
    const rows = await page.locator('#bots tr').allTextContents();
    check(rows.length === 3 && rows[2].includes('idle rsi') && rows[2].includes('BTCUSDT'),
          'the bot that never traded is in the side-by-side table');
    const pre = await page.locator('#report').evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth }));
    check(pre.scroll <= pre.client, `the JSON wraps inside the page (${pre.scroll} <= ${pre.client})`);
    const body = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    check(body.scroll <= body.client, `nothing runs off the page (${body.scroll} <= ${body.client})`);
    check(requests.every((u) => u.startsWith('file://')) && requests.length === 1,
          `the page loads nothing but itself (${requests.join(', ')})`);
  } catch (e) {
    failures.push(String(e.stack || e));
    console.log(`FAIL ${e.stack || e}`);
  } finally {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(failures.length ? `${failures.length} failure(s)` : 'report readable in Chromium');
  process.exit(failures.length ? 1 : 0);
}

main();
