// ccxt's binance client, unmodified but for its URLs (docs/SIMULATOR.md, "ccxt"), against
// `botengine sim`: the market streams, Binance's spot REST API and the user-data stream on one
// port. Two simulators run in turn:
//   A  commission in the asset received (0.1 %): loadMarkets, fetchBalance, watchTicker,
//      watchTrades, watchOrderBook, watchOrders and watchBalance (the user-data stream by
//      the WebSocket API's signature subscription), market buy and sell, a limit order resting, fetched, listed
//      and cancelled, a marketable limit order, and a resting pair of which the simulated
//      market fills at least one as maker; after each step the venue's balances must equal
//      the ones computed here from the fills (base, quote and commission, to the last 1e-8).
//   B  --fees-in-bnb: a market buy pays its commission in BNB (25 % off, at BNBUSDT's price).
// With --tls, both run over https/wss with a throwaway CA made here by openssl and trusted
// by node through NODE_EXTRA_CA_CERTS (the script re-executes itself with it set).
//
//   node ccxt_sim.test.mjs --botengine build/release/runner/botengine [--tls]
//
// Exit codes: 0 pass, 1 fail, 77 skipped (no node_modules, or no openssl for --tls). Every
// wait is for a condition with a deadline; the whole run is bounded by DEADLINE_MS.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let ccxt;
let connectToSim;
try {
  ccxt = (await import('ccxt')).default;
  ({ connectToSim } = await import('./connect.mjs'));
} catch {
  console.log('SKIP: no node_modules (npm ci --prefix tests/ccxt)');
  process.exit(77);
}

const args = { tls: false };
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--tls') args.tls = true;
  else args[process.argv[i].replace(/^--/, '')] = process.argv[++i];
}
const DEADLINE_MS = 120000;
const deadline = setTimeout(() => fail(new Error(`the whole run took over ${DEADLINE_MS} ms`)), DEADLINE_MS);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'be-ccxt-'));
const log = [];
const children = [];

function finish(code) {
  clearTimeout(deadline);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}

function fail(e) {
  console.log(`FAIL: ${e?.stack ?? e}`);
  console.log('--- simulator output (last lines) ---');
  console.log(log.join('').split('\n').slice(-40).join('\n'));
  finish(1);
}

// ---- exact decimals: amounts at scale 8 as BigInt ---------------------------------------------
const SCALE = 10n ** 8n;
function units(text) {
  const s = String(text);
  const neg = s.startsWith('-');
  const [int, frac = ''] = (neg ? s.slice(1) : s).split('.');
  const v = BigInt(int || '0') * SCALE + BigInt((frac + '00000000').slice(0, 8));
  return neg ? -v : v;
}
function show(v) {
  const neg = v < 0n;
  const a = neg ? -v : v;
  return `${neg ? '-' : ''}${a / SCALE}.${(a % SCALE).toString().padStart(8, '0')}`;
}
function expectEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: venue says ${show(actual)}, the fills say ${show(expected)}`);
}
function expect(cond, what) {
  if (!cond) throw new Error(what);
}

// ---- the simulator ----------------------------------------------------------------------------
async function startSim(name, extra) {
  const keys = { apiKey: crypto.randomBytes(16).toString('hex'), secret: crypto.randomBytes(32).toString('hex') };
  const keysFile = path.join(dir, `${name}.keys`);
  fs.writeFileSync(keysFile, `api_key=${keys.apiKey}\nsecret=${keys.secret}\n`, { mode: 0o600 });
  const argv = ['sim', '--port', '0', '--speed', '20', '--seed', '7', '--symbols', 'btcusdt,bnbusdt',
                '--exchange-keys', keysFile, '--balances', 'USDT=100000,BTC=1,BNB=100', ...extra];
  const tlsDir = process.env.BE_CCXT_CA;
  if (tlsDir) argv.push('--tls-cert', path.join(tlsDir, 'server.pem'), '--tls-key', path.join(tlsDir, 'server.key'));
  const child = spawn(args.botengine, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: the simulator did not say where it listens`)), 10000);
    child.stdout.on('data', (d) => {
      log.push(`[${name}] ${d}`);
      out += d;
      const m = out.match(/listening on wss?:\/\/127\.0\.0\.1:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    child.stderr.on('data', (d) => log.push(`[${name}] ${d}`));
    child.on('exit', (code) => reject(new Error(`${name}: the simulator exited (${code})`)));
  });
  expect(!out.includes(keys.secret) && !log.join('').includes(keys.secret), 'the secret appeared in the output');
  return { child, port, keys };
}

async function stopSim(sim) {
  const exited = new Promise((resolve) => sim.child.on('exit', (code) => resolve(code)));
  sim.child.kill('SIGTERM');
  expect((await exited) === 0, 'the simulator did not stop cleanly on SIGTERM');
}

// The example docs/SIMULATOR.md shows (connect.mjs, checked against the doc below).
async function connect(sim) {
  const tls = Boolean(process.env.BE_CCXT_CA);
  return connectToSim(`${tls ? 'https' : 'http'}://127.0.0.1:${sim.port}`, sim.keys.apiKey, sim.keys.secret);
}

// docs/SIMULATOR.md quotes connect.mjs in full: the doc's example is the code this test runs.
function docShowsTheExample() {
  const here = path.dirname(new URL(import.meta.url).pathname);
  const doc = fs.readFileSync(path.join(here, '../../docs/SIMULATOR.md'), 'utf8');
  const code = fs.readFileSync(path.join(here, 'connect.mjs'), 'utf8');
  expect(doc.includes('```js\n' + code + '```\n'), 'docs/SIMULATOR.md does not quote tests/ccxt/connect.mjs as it is');
}

// ---- the balances the fills imply ---------------------------------------------------------------
async function balances(exchange) {
  const b = await exchange.fetchBalance();
  const out = {};
  for (const e of b.info.balances) out[e.asset] = { free: units(e.free), locked: units(e.locked) };
  return out;
}

// Applies a FULL answer's fills (order.info.fills, Binance's own strings) to `book`.
function applyFills(book, info, market) {
  for (const f of info.fills) {
    const qty = units(f.qty);
    const value = (units(f.price) * qty) / SCALE;
    if (info.side === 'BUY') {
      book[market.baseId].free += qty;
      book[market.quoteId].free -= value;
    } else {
      book[market.baseId].free -= qty;
      book[market.quoteId].free += value;
    }
    book[f.commissionAsset].free -= units(f.commission);
  }
}

function sameBalances(venue, expected, what) {
  for (const asset of Object.keys(expected)) {
    expectEqual(venue[asset].free, expected[asset].free, `${what}: ${asset} free`);
    expectEqual(venue[asset].locked, expected[asset].locked, `${what}: ${asset} locked`);
  }
}

function clone(b) {
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, { ...v }]));
}

// 0.1 % of `received`, rounded up to 1e-8 (docs/SIMULATOR.md, "Commission").
function commissionOf(received, bps = 10n) {
  return (received * bps + 9999n) / 10000n;
}

async function until(predicate, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- A: the calls, commission in the received asset -------------------------------------------
async function scenarioA() {
  const sim = await startSim('A', []);
  const ex = await connect(sim);
  try {
    const markets = await ex.loadMarkets();
    const m = markets['BTC/USDT'];
    expect(m && m.spot && m.active && m.type === 'spot', 'loadMarkets: BTC/USDT is not an active spot market');
    expect(m.precision.price === 0.01 && m.precision.amount === 0.00001, `loadMarkets: precision ${JSON.stringify(m.precision)}`);
    expect(m.limits.cost.min === 5, `loadMarkets: min notional ${m.limits.cost.min}`);
    expect(markets['BNB/USDT']?.active, 'loadMarkets: BNB/USDT missing');
    expect(Object.keys(markets).length === 2, `loadMarkets: ${Object.keys(markets)}`);

    // Market data over the streams (ccxt connects to /ws/<n> and subscribes live).
    // ccxt's default for watchTicker is the @miniTicker stream; name: 'ticker' asks for @ticker.
    const mini = await ex.watchTicker('BTC/USDT');
    expect(mini.symbol === 'BTC/USDT' && mini.last > 0 && mini.high >= mini.low && mini.baseVolume > 0,
           `watchTicker (miniTicker): ${JSON.stringify(mini)}`);
    const ticker = await ex.watchTicker('BNB/USDT', { name: 'ticker' });
    expect(ticker.symbol === 'BNB/USDT' && ticker.last > 0 && ticker.high >= ticker.low, `watchTicker: ${JSON.stringify(ticker)}`);
    expect(ticker.bid > 0 && ticker.ask >= ticker.bid, `watchTicker bid/ask: ${ticker.bid} ${ticker.ask}`);
    expect(ticker.open > 0 && ticker.vwap > 0 && ticker.quoteVolume > 0, `watchTicker stats: ${JSON.stringify(ticker)}`);
    const trades = await ex.watchTrades('BTC/USDT');
    expect(trades.length > 0 && trades.every((t) => t.symbol === 'BTC/USDT' && t.price > 0 && t.amount > 0), 'watchTrades');
    const book = await ex.watchOrderBook('BTC/USDT');
    expect(book.bids.length > 0 && book.asks.length > 0 && book.bids[0][0] < book.asks[0][0],
           `watchOrderBook: ${JSON.stringify(book.bids[0])} ${JSON.stringify(book.asks[0])}`);

    const start = await balances(ex);
    expectEqual(start.USDT.free, units('100000'), 'fetchBalance: USDT');
    expectEqual(start.BTC.free, units('1'), 'fetchBalance: BTC');
    const expected = clone(start);

    // The user-data stream as ccxt reads it (userDataStream.subscribe.signature on the
    // WebSocket API). authenticate() resolves once the venue confirmed the subscription, so
    // the watchers below are listening before the buy.
    await ex.authenticate({ type: 'spot' });
    const ordersSeen = ex.watchOrders('BTC/USDT');
    const balanceSeen = ex.watchBalance();

    // Market buy: filled at the ask, commission in BTC.
    const buy = await ex.createOrder('BTC/USDT', 'market', 'buy', 0.01);
    expect(buy.status === 'closed' && buy.filled === 0.01, `market buy: ${buy.status} ${buy.filled}`);
    expect(buy.info.fills.length === 1 && buy.info.fills[0].commissionAsset === 'BTC', 'market buy: fill commission asset');
    expectEqual(units(buy.info.fills[0].commission), commissionOf(units('0.01')), 'market buy: commission');
    expect(buy.fee.currency === 'BTC', `market buy: ccxt fee ${JSON.stringify(buy.fee)}`);
    applyFills(expected, buy.info, m);
    sameBalances(await balances(ex), expected, 'after the market buy');
    const streamed = (await ordersSeen).find((o) => o.id === buy.id);
    expect(streamed && streamed.clientOrderId === buy.clientOrderId && ['open', 'closed'].includes(streamed.status),
           `watchOrders: ${JSON.stringify(streamed)} for ${buy.id}`);
    // watchBalance resolves on the first account update and returns ccxt's balance object,
    // which every later update of the stream changes in place.
    const streamedBalance = await balanceSeen;
    await until(() => units(streamedBalance.BTC.free.toFixed(8)) === expected.BTC.free &&
                      units(streamedBalance.USDT.free.toFixed(8)) === expected.USDT.free, 10000,
                `watchBalance: BTC ${streamedBalance.BTC?.free} USDT ${streamedBalance.USDT?.free} vs ${show(expected.BTC.free)} ${show(expected.USDT.free)}`);

    // Market sell: commission in USDT.
    const sell = await ex.createOrder('BTC/USDT', 'market', 'sell', 0.005);
    expect(sell.status === 'closed' && sell.filled === 0.005, `market sell: ${sell.status}`);
    const sellValue = (units(sell.info.fills[0].price) * units('0.005')) / SCALE;
    expect(sell.info.fills[0].commissionAsset === 'USDT', 'market sell: commission asset');
    expectEqual(units(sell.info.fills[0].commission), commissionOf(sellValue), 'market sell: commission');
    applyFills(expected, sell.info, m);
    sameBalances(await balances(ex), expected, 'after the market sell');

    // A limit buy far below the market rests: fetched, listed, its quote locked, cancelled.
    const low = Math.floor(book.bids[0][0] * 0.9 * 100) / 100;
    const rest = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, low);
    expect(rest.status === 'open' && rest.filled === 0 && rest.price === low, `resting limit: ${rest.status}`);
    const lockedValue = (units(String(low)) * units('0.001')) / SCALE;
    const withLock = clone(expected);
    withLock.USDT.free -= lockedValue;
    withLock.USDT.locked += lockedValue;
    sameBalances(await balances(ex), withLock, 'with the limit order resting');
    const fetched = await ex.fetchOrder(rest.id, 'BTC/USDT');
    expect(fetched.status === 'open' && fetched.clientOrderId === rest.clientOrderId, `fetchOrder: ${fetched.status}`);
    const open = await ex.fetchOpenOrders('BTC/USDT');
    expect(open.length === 1 && open[0].id === rest.id, `fetchOpenOrders: ${open.map((o) => o.id)}`);
    const cancelled = await ex.cancelOrder(rest.id, 'BTC/USDT');
    expect(cancelled.status === 'canceled', `cancelOrder: ${cancelled.status}`);
    expect((await ex.fetchOrder(rest.id, 'BTC/USDT')).status === 'canceled', 'fetchOrder after cancel');
    expect((await ex.fetchOpenOrders('BTC/USDT')).length === 0, 'fetchOpenOrders after cancel');
    sameBalances(await balances(ex), expected, 'after the cancel');
    await ex.cancelOrder(rest.id, 'BTC/USDT').then(
      () => { throw new Error('a second cancel succeeded'); },
      (e) => expect(e instanceof ccxt.OrderNotFound, `a second cancel: ${e.constructor.name} ${e.message}`));

    // A marketable limit buy fills at once as taker, at the ask (not above its limit).
    const top = await ex.watchOrderBook('BTC/USDT');
    const high = Math.ceil(top.asks[0][0] * 1.01 * 100) / 100;
    const taker = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.002, high);
    expect(taker.status === 'closed' && taker.average <= high, `marketable limit: ${taker.status} ${taker.average}`);
    applyFills(expected, taker.info, m);
    sameBalances(await balances(ex), expected, 'after the marketable limit');

    // A buy at the bid and a sell at the ask rest; the market moves one way or the other and
    // a trade (or quote) through one of them fills it as maker, at its own price.
    const quote = await ex.watchOrderBook('BTC/USDT');
    const bid = quote.bids[0][0];
    const ask = quote.asks[0][0];
    const pair = [await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, bid),
                  await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.001, ask)];
    const filled = await until(async () => {
      const states = await Promise.all(pair.map((o) => ex.fetchOrder(o.id, 'BTC/USDT')));
      return states.find((o) => o.status === 'closed');
    }, 30000, 'the simulated market filling one of two orders at the touch');
    // Never worse than its limit (a taker fill if the touch moved through it before it landed).
    expect(filled.side === 'buy' ? filled.average <= filled.price : filled.average >= filled.price,
           `fill worse than its limit: ${filled.side} ${filled.average} vs ${filled.price}`);
    // The other may fill before its cancel lands: whatever the venue says it did, count it.
    for (const o of pair) {
      let state = await ex.fetchOrder(o.id, 'BTC/USDT');
      if (state.status === 'open') {
        await ex.cancelOrder(o.id, 'BTC/USDT').catch((e) => expect(e instanceof ccxt.OrderNotFound, e.message));
        state = await ex.fetchOrder(o.id, 'BTC/USDT');
      }
      expect(state.status === 'closed' || state.status === 'canceled', `pair order: ${state.status}`);
      // Its trades (GET /api/v3/myTrades), each with the commission Binance would charge.
      const trades = await ex.fetchOrderTrades(o.id, 'BTC/USDT');
      let qty = 0n;
      for (const t of trades) {
        const q = units(t.info.qty);
        const value = units(t.info.quoteQty);
        qty += q;
        expect(t.info.commissionAsset === (o.side === 'buy' ? 'BTC' : 'USDT'), `commission asset ${t.info.commissionAsset}`);
        expectEqual(units(t.info.commission), commissionOf(o.side === 'buy' ? q : value), `commission of trade ${t.id}`);
        expect(t.takerOrMaker === 'maker' || t.price !== o.price, `a fill at the limit must be a maker fill`);
        const sign = o.side === 'buy' ? 1n : -1n;
        expected.BTC.free += sign * q;
        expected.USDT.free -= sign * value;
        expected[t.info.commissionAsset].free -= units(t.info.commission);
      }
      expectEqual(qty, units(state.info.executedQty), `order ${o.id}: its trades add up to its executed quantity`);
    }
    sameBalances(await balances(ex), expected, 'after the maker fills');
    console.log(`A: ok (maker ${filled.side} at ${filled.price})`);
  } finally {
    await ex.close();
    await stopSim(sim);
  }
}

// ---- B: commission in BNB ----------------------------------------------------------------------
async function scenarioB() {
  const sim = await startSim('B', ['--fees-in-bnb']);
  const ex = await connect(sim);
  try {
    const markets = await ex.loadMarkets();
    const bnb = await ex.watchTicker('BNB/USDT');  // BNBUSDT has traded: the fee's price exists
    expect(bnb.last > 0, 'BNB/USDT ticker');
    const before = await balances(ex);
    const buy = await ex.createOrder('BTC/USDT', 'market', 'buy', 0.01);
    expect(buy.status === 'closed', `market buy: ${buy.status}`);
    const fill = buy.info.fills[0];
    expect(fill.commissionAsset === 'BNB', `commission asset ${fill.commissionAsset}`);
    const expected = clone(before);
    applyFills(expected, buy.info, markets['BTC/USDT']);
    sameBalances(await balances(ex), expected, 'after a buy paying fees in BNB');
    // 0.1 % of the cost, 25 % off, in BNB at BNBUSDT's last price (the ticker's, near enough).
    const cost = Number(fill.price) * 0.01;
    const estimate = (cost * 0.001 * 0.75) / bnb.last;
    expect(Math.abs(Number(fill.commission) / estimate - 1) < 0.05, `BNB commission ${fill.commission}, about ${estimate} expected`);
    console.log(`B: ok (commission ${fill.commission} BNB)`);
  } finally {
    await ex.close();
    await stopSim(sim);
  }
}

async function main() {
  expect(args.botengine, 'usage: node ccxt_sim.test.mjs --botengine PATH [--tls]');
  const pkg = JSON.parse(fs.readFileSync(new URL('./node_modules/ccxt/package.json', import.meta.url)));
  console.log(`ccxt ${pkg.version}${process.env.BE_CCXT_CA ? ' over TLS' : ''}`);
  docShowsTheExample();
  await scenarioA();
  await scenarioB();
  console.log('PASS');
}

// ---- TLS: a throwaway CA and a server certificate signed by it ------------------------------
if (args.tls && !process.env.BE_CCXT_CA) {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    console.log('SKIP: --tls needs openssl on the PATH');
    process.exit(77);
  }
  const ssl = (...a) => execFileSync('openssl', a, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=botengine test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost',
      '-keyout', 'server.key', '-out', 'server.csr');
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
      '-days', '1', '-extfile', 'ext.cnf', '-out', 'server.pem');
  // node reads NODE_EXTRA_CA_CERTS once, at start: run this script again with it set.
  const child = spawn(process.execPath, process.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem'), BE_CCXT_CA: dir },
  });
  child.on('exit', (code) => {
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(code ?? 1);
  });
} else {
  await main().then(() => finish(0), fail);
}
