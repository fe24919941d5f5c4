// What the dashboard's browser tests share: the engine under test (`botengine run` on free
// ports with a tokens file for three users, or a deployment config), Chromium through
// playwright-core, and the checks (labels, no lies on screen, table cells, sign-in, Tab).
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../support/free_port.mjs';
import { args, skip } from '../support/node_test.mjs';

export const CHROMIUM = process.env.BE_CHROMIUM || '/usr/bin/chromium';
export const STEP_MS = 20000;  // one step's deadline; the whole test is bounded by ctest's TIMEOUT

// ---- the engine under test -----------------------------------------------------------------

export class Runner {
  constructor(bin) {
    this.bin = bin;
    this.children = [];
    this.log = [];
  }

  spawn(name, argv) {
    const child = spawn(this.bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d) => {
      this.log.push(`[${name}] ${d}`);
      if (this.log.length > 400) this.log.shift();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
    this.children.push(child);
    return child;
  }

  // Tokens: we write the tokens file ourselves (sha256 of fresh random tokens) so the test
  // knows a second user's token; the runner keeps an existing file as it is.
  // `config` (a deployment config object): run it instead of the demo, with a `botengine sim`
  // of our own as its market (each venue whose url is "sim" gets the simulator's URL).
  async start({ config } = {}) {
    const help = spawnSync(this.bin, ['run', '--help'], { encoding: 'utf8' });
    if (!/usage: botengine run/.test(`${help.stdout}${help.stderr}`)) {
      skip(`${this.bin} has no 'run' command yet (botengine run --help exited ${help.status})`);
    }
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'be-dashboard-'));
    this.tokens = {};
    const lines = ['# written by tests/browser/support.mjs'];
    for (const [user, role] of [['admin', 'admin'], ['alice', 'user'], ['bob', 'user']]) {
      const token = crypto.randomBytes(32).toString('hex');
      this.tokens[user] = token;
      lines.push(`${user} ${role} ${crypto.createHash('sha256').update(token).digest('hex')}`);
    }
    fs.writeFileSync(path.join(this.dir, 'tokens'), `${lines.join('\n')}\n`, { mode: 0o600 });
    // One backtest report, so the Reports page has a row to show (its modification time).
    fs.mkdirSync(path.join(this.dir, 'reports'));
    fs.writeFileSync(path.join(this.dir, 'reports', 'backtest-demo.json'), '{"bots":[],"equity_points":0}\n');
    // The demo deployment: the runner starts the exchange simulator itself on a free port
    // (--sim-port's default) and trades its bots on paper against it.
    this.apiPort = await freePort();
    const argv = ['run', '--data-dir', this.dir, '--api-port', String(this.apiPort),
                  '--tokens', path.join(this.dir, 'tokens'), '--no-status'];
    if (config) {
      const simPort = await freePort();
      this.spawn('sim', ['sim', '--port', String(simPort)]);
      for (const v of config.venues ?? []) if (v.url === 'sim') v.url = `ws://127.0.0.1:${simPort}/stream`;
      const file = path.join(this.dir, 'config.json');
      fs.writeFileSync(file, JSON.stringify(config, null, 1));
      argv.splice(1, 0, file);
    }
    this.run = this.spawn('run', argv);
    this.url = `http://127.0.0.1:${this.apiPort}`;
    await this.waitHealthy();
  }

  // Polls /api/v1/health until it answers (any HTTP status: the server is up) or a process
  // dies or the deadline passes.
  async waitHealthy(deadlineMs = 60000) {
    const until = Date.now() + deadlineMs;
    let died = null;
    for (const c of this.children) c.exited.then((r) => { died ??= r; });
    while (Date.now() < until) {
      if (died) throw new Error(`a child exited during start-up (${JSON.stringify(died)})\n${this.log.join('')}`);
      try {
        const r = await fetch(`${this.url}/api/v1/health`);
        if (r.status === 200) return;
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 100));  // a poll interval, not a synchronisation
    }
    throw new Error(`botengine run did not answer ${this.url}/api/v1/health in ${deadlineMs} ms\n${this.log.join('')}`);
  }

  async stop() {
    for (const c of this.children.reverse()) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 10000);
      await c.exited;
      clearTimeout(t);
    }
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---- checks ----------------------------------------------------------------------------------

export const result = { failures: 0 };
export function check(cond, what) {
  if (cond) console.log(`ok   ${what}`);
  else { result.failures++; console.log(`FAIL ${what}`); }
}

// Every input, select, textarea and button on the page has an accessible name, and every
// button is a real <button> (or input) element, not a clickable div.
export async function checkLabels(page, where) {
  const problems = await page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden' || el.closest('[hidden]')) continue;
      const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      if (!named) bad.push(`${el.tagName.toLowerCase()}#${el.id || el.name} has no label`);
    }
    for (const el of document.querySelectorAll('button, [role="button"]')) {
      if (el.closest('[hidden]') || el.closest('dialog:not([open])')) continue;
      if (el.tagName !== 'BUTTON') bad.push(`role=button on <${el.tagName.toLowerCase()}>`);
      if (!(el.getAttribute('aria-label') || el.textContent.trim())) bad.push(`button#${el.id} has no name`);
    }
    for (const el of document.querySelectorAll('[onclick]')) bad.push(`inline onclick on <${el.tagName.toLowerCase()}>`);
    return bad;
  });
  check(problems.length === 0, `${where}: every control is labelled${problems.length ? ` (${problems.join('; ')})` : ''}`);
}

// What the API's times look like on screen (dom.js fmtTime): UTC to the millisecond.
export const SHOWN_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} UTC$/;

// Small lies on screen (issue 15): a value the page could not render shows up as NaN,
// "undefined", "[object Object]" or "Invalid Date", and a time the page did not convert as a
// raw nanosecond count (19 digits). None may appear in the page's content.
export async function checkNoLies(page, where) {
  const text = await page.locator('main').innerText();
  const lies = text.match(/\bNaN\b|\bundefined\b|\[object Object\]|Invalid Date|\b\d{19}\b/g) || [];
  check(lies.length === 0, `${where}: no NaN, undefined or raw nanosecond times on screen${lies.length ? ` (${[...new Set(lies)].join(', ')})` : ''}`);
}

// The cells of the table whose caption is `caption`, row by row, as the user reads them.
export async function tableCells(page, caption) {
  return page.locator('table', { has: page.locator('caption', { hasText: caption }) })
    .locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.innerText.trim())));
}

export async function shot(page, dir, name) {
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

export async function signIn(page, base, token) {
  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('API token').fill(token);
  await page.getByLabel('API token').press('Enter');  // the form submits from the keyboard
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

// Presses Tab until the control matching `locator` has focus (at most `limit` times), so the
// control is reachable in the tab order; returns whether it got there. The control is known by
// its id, not by its DOM node: a page redraws what changed while we tab (the bot page does when
// its first equity point arrives) and gives focus back to the control with the same id, so a
// node taken before the redraw is detached and could never be the focused one (this test's
// second flake, issue 13).
export async function tabTo(page, locator, limit = 80) {
  const id = await locator.getAttribute('id');
  if (!id) throw new Error('tabTo: the control has no id to follow across redraws');
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((want) => document.activeElement?.id === want, id)) return true;
  }
  return false;
}

// The test's frame: Chromium and playwright-core found (else skip, 77), the engine started by
// `start(runner)` (or an engine at --url with --tokens name=T,...), `body` run, a screenshot
// of every open page and the runner's log on a failure, everything stopped, and the exit
// code (0 pass, 1 fail).
export async function runBrowserTest(here, { start, body }) {
  const a = args();
  const art = path.resolve(a.artifacts || path.join(here, 'artifacts'));
  if (!fs.existsSync(CHROMIUM)) skip(`${CHROMIUM} is missing (Debian packages chromium chromium-driver; scripts/setup.sh)`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    skip(`playwright-core is not installed: run npm ci --prefix ${here}`);
  }
  fs.rmSync(art, { recursive: true, force: true });
  fs.mkdirSync(art, { recursive: true });

  let runner = null;
  let base = a.url;
  let tokens = {};
  if (base) {
    tokens = Object.fromEntries((a.tokens || '').split(',').map((kv) => kv.split('=')));
  } else {
    if (!a.botengine || !fs.existsSync(a.botengine)) skip(`no botengine binary (--botengine ${a.botengine})`);
    runner = new Runner(a.botengine);
  }
  let browser = null;
  try {
    if (runner) {
      await start(runner);
      base = runner.url;
      tokens = runner.tokens;
    }
    // No background traffic: the test must not depend on the network. Playwright gives the
    // browser a fresh temporary profile (--user-data-dir) and each user an isolated context.
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
             '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    await body(browser, base, tokens, art, Boolean(runner));
  } catch (e) {
    result.failures++;
    console.log(`FAIL ${e.stack || e}`);
    // What the pages looked like when it failed, for the artifacts.
    for (const ctx of browser?.contexts() ?? []) {
      for (const [i, p] of ctx.pages().entries()) {
        await p.screenshot({ path: path.join(art, `failure-${i}.png`), fullPage: true }).catch(() => {});
      }
    }
    if (runner) console.log(`--- runner log (last lines)\n${runner.log.slice(-80).join('')}`);
  } finally {
    await browser?.close().catch(() => {});
    await runner?.stop();
  }
  console.log(`screenshots: ${art}`);
  console.log(result.failures ? `${result.failures} check(s) failed` : 'all checks passed');
  process.exit(result.failures ? 1 : 0);
}

