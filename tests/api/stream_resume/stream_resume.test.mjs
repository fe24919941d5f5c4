// The event stream's resume contract (docs/API.md, "Event stream") with a real WebSocket client
// (npm `ws`) against the real engine: `botengine sim` at 50x speed feeds `botengine run`, users'
// grid bots trade on paper and are paused and resumed in a loop, and two clients (alice, a user,
// and an admin) drop their connection at seeded random moments (a clean close, a cut TCP
// connection, or after N messages, often mid catch-up) and reconnect at once with
// `?since=<seq of the last message seen>`. A third, admin client never reconnects: the
// reference. After a marker event every client has seen, each reconnecting client must have
// seen every non-price event of the reference after its first hello, each exactly once, in
// seq order, and alice nothing of other users' bots. Then the two refusals: a since beyond
// the head (HTTP 400), and after a restart of the runner a since from the previous run
// (resync with first_seq, seqs continuing the journal's).
//
//   node stream_resume.test.mjs --botengine build/release/runner/botengine [--seconds 6]
//
// BE_STREAM_SEED (else BE_CRASH_SEED, else 1) seeds the reconnect schedule; failures print it.
// Exit codes: 0 pass, 1 fail, 77 skipped (no node_modules). Every wait is for a condition with
// a deadline; the whole run is bounded by DEADLINE_MS.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../support/free_port.mjs';

let WebSocket;
try {
  ({ WebSocket } = await import('ws'));
} catch {
  console.log('SKIP: no node_modules (npm ci --prefix tests/api/stream_resume)');
  process.exit(77);
}

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const SEED = Number(process.env.BE_STREAM_SEED ?? process.env.BE_CRASH_SEED ?? 1) >>> 0;
const LOAD_MS = Number(args.seconds ?? 6) * 1000;
const DEADLINE_MS = 150000;
console.log(`seed ${SEED} (BE_STREAM_SEED=${SEED} reruns this schedule)`);

// mulberry32: a small seeded PRNG.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const failures = [];
function check(cond, what) {
  if (!cond) failures.push(what);
  return cond;
}

// Resolves when predicate() holds, checked on every event of `source` (an EventEmitter
// notified by the clients) and bounded by `ms`.
const progress = new (await import('node:events')).EventEmitter();
progress.setMaxListeners(100);
function until(predicate, ms, what) {
  return new Promise((resolve, reject) => {
    if (predicate()) return resolve();
    const timer = setTimeout(() => { progress.off('tick', test); reject(new Error(`timed out: ${what}`)); }, ms);
    function test() {
      if (!predicate()) return;
      clearTimeout(timer);
      progress.off('tick', test);
      resolve();
    }
    progress.on('tick', test);
  });
}

// ---- processes -------------------------------------------------------------------------------

const log = [];
const children = [];
function launch(name, argv) {
  const child = spawn(args.botengine, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d) => { log.push(`[${name}] ${d}`); if (log.length > 200) log.shift(); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  children.push(child);
  return child;
}
async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exited;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10000);
  const r = await child.exited;
  clearTimeout(t);
  return r;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'be-stream-resume-'));
const tokens = {};
const tokenLines = [];
for (const [user, role] of [['admin', 'admin'], ['alice', 'user'], ['bob', 'user']]) {
  tokens[user] = crypto.randomBytes(24).toString('hex');
  tokenLines.push(`${user} ${role} ${crypto.createHash('sha256').update(tokens[user]).digest('hex')}`);
}
fs.writeFileSync(path.join(dir, 'tokens'), `${tokenLines.join('\n')}\n`, { mode: 0o600 });
const simPort = await freePort();
const apiPort = await freePort();
const base = `http://127.0.0.1:${apiPort}`;
const config = {
  engine: { journal: 'async' },
  venues: [{ name: 'binance', url: `ws://127.0.0.1:${simPort}/stream` }],
  instruments: [
    { venue: 'binance', symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', price_scale: 8, qty_scale: 8,
      tick_size: 0.01, step_size: 0.00001, min_notional: 5 },
    { venue: 'binance', symbol: 'ETHUSDT', base: 'ETH', quote: 'USDT', price_scale: 8, qty_scale: 8,
      tick_size: 0.001, step_size: 0.0001, min_notional: 5 },
  ],
  paper: { taker_fee_bps: 10, maker_fee_bps: 2, slippage_bps: 1, latency_us: 500,
           balances: { USDT: '10000000', BTC: '100', ETH: '1000' } },
};
fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));

function startRunner() {
  return launch('run', ['run', path.join(dir, 'config.json'), '--data-dir', dir, '--api-port', String(apiPort),
                        '--tokens', path.join(dir, 'tokens'), '--no-status']);
}

async function api(method, route, user, body) {
  const r = await fetch(`${base}${route}`, {
    method, headers: { Authorization: `Bearer ${tokens[user]}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function waitHealthy(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(`${base}/api/v1/health`)).status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));  // a poll interval, not a synchronisation
  }
  throw new Error(`no /api/v1/health in ${ms} ms`);
}

// ---- stream clients --------------------------------------------------------------------------

// One logical client across its connections: every message with its connection number.
class Client {
  // schedule: a seeded PRNG drawing when to drop the connection, or null (never dropped).
  // live: a connection that ends is resumed at once (until finish()).
  constructor(name, user, schedule, live = true) {
    this.name = name;
    this.user = user;
    this.schedule = schedule;
    this.dropping = !!schedule;
    this.live = live;
    this.messages = [];
    this.hellos = [];
    this.lastSeq = null;
    this.connections = 0;
  }

  connect() {
    const since = this.lastSeq ?? this.startSince;
    const url = `ws://127.0.0.1:${apiPort}/api/v1/stream?token=${tokens[this.user]}` +
                (since !== undefined && since !== null ? `&since=${since}` : '');
    const conn = ++this.connections;
    const ws = new WebSocket(url);
    this.ws = ws;
    let cutAfter = Infinity;
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      m.conn = conn;
      if (m.type === 'hello') {
        check(m.since === (since ?? null), `${this.name}: hello echoes since ${since}: ${JSON.stringify(m)}`);
        this.hellos.push(m);
        // A client that has seen no event yet resumes from where its first stream began.
        this.lastSeq ??= m.head_seq;
        if (this.dropping) {
          // A third of the drops after a few messages (often mid catch-up), the rest after a
          // delay; each by a clean close or a cut TCP connection.
          if (this.schedule() < 0.33) cutAfter = 1 + Math.floor(this.schedule() * 40);
          else this.timer = setTimeout(() => this.drop(), Math.floor(this.schedule() * 300));
        }
      } else if (m.seq !== undefined) {
        check(this.lastSeq === null || m.seq > this.lastSeq,
              `${this.name}: seq ${m.seq} after ${this.lastSeq} (connection ${conn})`);
        this.lastSeq = m.seq;
      }
      this.messages.push(m);
      if (--cutAfter <= 0) this.drop();
      progress.emit('tick');
    });
    let retryAfterMs = 0;
    let refusedHere = false;
    ws.on('unexpected-response', (req, res) => {
      this.refused = res.statusCode;
      refusedHere = true;
      // The per-user rate limit counts upgrades too: wait as told, as a real client does.
      if (res.statusCode === 429) retryAfterMs = 1000 * Number(res.headers['retry-after'] ?? 1);
      else if (this.live) check(false, `${this.name}: upgrade refused with ${res.statusCode}`);
      req.destroy();
      if (this.ws === ws && this.live) setTimeout(() => this.connect(), retryAfterMs);
      progress.emit('tick');
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      clearTimeout(this.timer);
      if (this.ws === ws && this.live && !refusedHere) setImmediate(() => this.connect());
      progress.emit('tick');
    });
  }

  drop() {
    if (!this.dropping || this.ws.readyState !== WebSocket.OPEN) return;
    if (this.schedule() < 0.5) this.ws.close(1000);
    else this.ws.terminate();
  }

  // No more drops; a connection that is ending now still resumes.
  settle() {
    this.dropping = false;
    clearTimeout(this.timer);
  }

  finish() {
    this.live = false;
    this.dropping = false;
    this.ws.close(1000);
  }

  events() { return this.messages.filter((m) => m.seq !== undefined); }
}

// ---- the run ---------------------------------------------------------------------------------

const sim = launch('sim', ['sim', '--port', String(simPort), '--speed', '50', '--seed', String(SEED % 1000 + 1)]);
let runner = startRunner();
const guard = setTimeout(async () => {
  console.log(`FAIL: the test took more than ${DEADLINE_MS} ms (seed ${SEED})\n${log.join('')}`);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
}, DEADLINE_MS);

async function main() {
  await waitHealthy(60000);
  const reference = new Client('reference', 'admin', null);
  reference.connect();
  await until(() => reference.messages.some((m) => m.type === 'price' && m.symbol === 'BTCUSDT'), 30000,
              'a BTCUSDT price');
  const price = Number(reference.messages.find((m) => m.type === 'price' && m.symbol === 'BTCUSDT').price);

  const rng = prng(SEED);
  const alice = new Client('alice', 'alice', prng(SEED ^ 0x9e3779b9));
  const admin = new Client('admin', 'admin', prng(SEED ^ 0x85ebca6b));
  alice.connect();
  admin.connect();
  await until(() => alice.hellos.length > 0 && admin.hellos.length > 0, 10000, 'the first hellos');

  // Load: grid bots close around the price trade on paper; each user pauses and resumes its
  // bots in a loop (every command is a bot_status event).
  const grid = (name) => ({ name, symbol: 'BTCUSDT', strategy: { type: 'grid', parameters: {
    lower: +(price * 0.995).toFixed(2), upper: +(price * 1.005).toFixed(2), grids: 40,
    spacing: 'arithmetic', quantity_per_grid: 0.001 } } });
  const owned = { alice: [], bob: [] };
  for (const user of ['alice', 'alice', 'alice', 'bob', 'bob']) {
    const r = await api('POST', '/api/v1/bots', user, grid(`${user} grid`));
    if (!check(r.status === 201, `create ${user}'s bot: ${r.status} ${JSON.stringify(r.body)}`)) return;
    owned[user].push(r.body.id);
    check((await api('POST', `/api/v1/bots/${r.body.id}/start`, user)).status === 200, `start ${user}'s bot`);
  }
  const loadEnd = Date.now() + LOAD_MS;
  // Within the per-user rate limit (20/s), leaving alice room for her reconnects.
  const toggler = async (user, pauseMs) => {
    const paused = new Set();
    while (Date.now() < loadEnd) {
      const id = owned[user][Math.floor(rng() * owned[user].length)];
      await api('POST', `/api/v1/bots/${id}/${paused.has(id) ? 'resume' : 'pause'}`, user);
      if (paused.has(id)) paused.delete(id); else paused.add(id);
      await new Promise((r) => setTimeout(r, pauseMs + Math.floor(rng() * pauseMs)));  // load pacing
    }
  };
  await Promise.all([toggler('alice', 100), toggler('bob', 40)]);

  // The marker: a bot alice creates last; its bot_status event is in everyone's view.
  for (const c of [alice, admin]) c.settle();
  const marker = await api('POST', '/api/v1/bots', 'alice', grid('marker'));
  check(marker.status === 201, `create the marker bot: ${marker.status}`);
  owned.alice.push(marker.body.id);
  const sawMarker = (c) => c.messages.some((m) => m.type === 'bot_status' && m.bot === marker.body.id);
  await until(() => [reference, alice, admin].every(sawMarker), 20000, 'the marker in every stream')
    .catch((e) => {
      throw new Error(`${e.message}: not in ${[reference, alice, admin].filter((c) => !sawMarker(c))
        .map((c) => `${c.name} (seq ${c.lastSeq}, ${c.connections} connections, state ${c.ws.readyState})`)}`);
    });
  const markerSeq = reference.messages.find((m) => m.type === 'bot_status' && m.bot === marker.body.id).seq;

  // Exactly once: every non-price event of the reference after the client's first hello (and
  // in its view) up to the marker, each once.
  const nonPrice = (c, from) => c.events().filter((m) => m.type !== 'price' && m.seq > from && m.seq <= markerSeq);
  check(!reference.messages.some((m) => m.type === 'resync'), 'the reference never resynced');
  for (const c of [alice, admin]) {
    const from = c.hellos[0].head_seq;
    const visible = (m) => c.user === 'admin' || m.bot === undefined || m.bot === null || owned.alice.includes(m.bot);
    const want = nonPrice(reference, from).filter(visible).map((m) => m.seq);
    const got = nonPrice(c, from).map((m) => m.seq);
    const seen = new Set(got);
    check(seen.size === got.length, `${c.name}: no event twice`);
    const missing = want.filter((s) => !seen.has(s));
    const wanted = new Set(want);
    const extra = got.filter((s) => !wanted.has(s));
    check(missing.length === 0, `${c.name}: missing ${missing.length} events, e.g. ${missing.slice(0, 5)}`);
    check(extra.length === 0, `${c.name}: ${extra.length} events the reference has not (or not for it), e.g. ${extra.slice(0, 5)}`);
    check(!c.messages.some((m) => m.type === 'resync'), `${c.name}: never told to resync`);
    check(c.hellos.every((h) => h.first_seq <= (h.since ?? h.head_seq) + 1 && h.head_seq >= (h.since ?? 0)),
          `${c.name}: every hello's window holds its since`);
    // A catch-up carries at most one price per instrument.
    for (const h of c.hellos) {
      const caughtUp = c.messages.filter((m) => m.conn === h.conn && m.type === 'price' && m.seq <= h.head_seq);
      const symbols = caughtUp.map((m) => m.symbol);
      check(new Set(symbols).size === symbols.length, `${c.name}: one price per instrument in a catch-up`);
    }
    console.log(`${c.name}: ${c.connections} connections, ${got.length} non-price events checked ` +
                `(${want.length} expected), ${c.events().filter((m) => m.type === 'price').length} prices`);
  }
  check(alice.events().every((m) => m.bot === undefined || m.bot === null || owned.alice.includes(m.bot)),
        'alice saw only her own bots');
  check(alice.hellos.at(-1).covers === 'market_and_own_bots' && admin.hellos[0].covers === 'all',
        'the hellos say what they cover');
  check(alice.connections >= 10 && admin.connections >= 10,
        `both reconnected often (alice ${alice.connections}, admin ${admin.connections})`);

  // A since beyond the head: refused at the upgrade.
  const beyond = new Client('beyond', 'alice', null, false);
  beyond.startSince = reference.lastSeq + 1000000000;
  beyond.connect();
  await until(() => beyond.refused !== undefined || beyond.hellos.length > 0, 10000, 'the refusal');
  check(beyond.refused === 400, `a since beyond the head is refused with 400 (got ${beyond.refused})`);

  // A restart: the previous run's seqs are older than what the new buffer holds.
  check(reference.connections === 1, `the reference kept its one connection (${reference.connections})`);
  for (const c of [reference, alice, admin]) c.finish();
  const before = reference.lastSeq;
  const exit = await stopChild(runner);
  check(exit.code === 0, `the runner stopped cleanly (${JSON.stringify(exit)})`);
  runner = startRunner();
  await waitHealthy(60000);
  const after = new Client('after-restart', 'alice', null, false);
  after.lastSeq = before;
  after.connect();
  await until(() => after.messages.some((m) => m.seq !== undefined), 20000, 'an event after the restart');
  const hello = after.hellos[0];
  check(hello.first_seq > before, `after a restart first_seq ${hello.first_seq} > the old seq ${before}`);
  const resync = after.messages.find((m) => m.type === 'resync');
  check(resync !== undefined && resync.since === before && resync.first_seq === hello.first_seq &&
        after.messages.indexOf(resync) === 1, `a resync follows the hello: ${JSON.stringify(after.messages.slice(0, 2))}`);
  const firstEvent = after.events()[0];
  check(firstEvent.seq >= hello.first_seq, `events continue the journal's seqs (${firstEvent.seq})`);
  after.finish();
}

let error = null;
try {
  await main();
} catch (e) {
  error = e;
}
clearTimeout(guard);
await stopChild(runner);
await stopChild(sim);
fs.rmSync(dir, { recursive: true, force: true });
if (error) failures.push(error.stack || String(error));
if (failures.length) {
  console.log(`FAIL (seed ${SEED}):\n  ${failures.slice(0, 20).join('\n  ')}\n--- log ---\n${log.slice(-40).join('')}`);
  process.exit(1);
}
console.log('PASS');
process.exit(0);
