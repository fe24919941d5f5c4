// A new bot from a Lua script (docs/STRATEGIES.md): the script in an editor with line numbers,
// the bot's envelope (name, symbol, timeframe, inputs) beside it, validation by the engine
// (POST /api/v1/bots/validate) with each error shown at its line, Create, and Backtest: the
// config run on the market this engine recorded (POST /api/v1/backtests, polled until done),
// its figures in a table and the full report below. The engine
// names a script's error as "line N: ..." under strategy.parameters.source; that message
// is drawn beside line N of the editor and the line's number is marked.
import { api } from './api.js';
import { h } from './dom.js';
import { announce, handleError, listOf, pageTitle } from './shell.js';

const SOURCE_FIELD = 'strategy.parameters.source';
const TIMEFRAMES = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '1d'];

// A first script that does something: buys once, then holds (STRATEGIES.md's first example).
const STARTER = `-- Buys once, then holds. Callbacks: on_bar, on_trade, on_quote, on_fill, ...
function on_bar(open, high, low, close, volume, time)
  if state.bought then return end
  bot.buy("0.001")  -- 0.001 BTC at market
  state.bought = true
end
`;

// "line 3: ')' expected near 'y'" -> 3; anything else -> null.
export function errorLine(message) {
  const m = /^line (\d+):/.exec(String(message ?? ''));
  return m ? Number(m[1]) : null;
}

// The editor: a textarea with a gutter of line numbers kept in step with it (typing,
// scrolling), and per-line error marks with their message beside the line.
function scriptEditor(initial) {
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const area = h('textarea', {
    id: 'script-source', spellcheck: 'false', autocomplete: 'off', wrap: 'off', rows: '18',
    'aria-describedby': 'script-source-error', class: 'code',
  });
  area.value = initial;
  const marks = h('div', { class: 'line-marks', 'aria-hidden': 'true' });
  const message = h('p', { class: 'field-error', id: 'script-source-error', role: 'alert' });
  let errors = [];  // [{line, message}]

  const lineHeight = () => parseFloat(getComputedStyle(area).lineHeight) || 18;
  const drawGutter = () => {
    const lines = area.value.split('\n').length;
    const bad = new Set(errors.map((e) => e.line));
    if (gutter.childElementCount !== lines || gutter.dataset.bad !== [...bad].join(',')) {
      gutter.replaceChildren(...Array.from({ length: lines }, (_, i) =>
        h('div', { class: bad.has(i + 1) ? 'bad' : '', 'data-line': String(i + 1) }, String(i + 1))));
      gutter.dataset.bad = [...bad].join(',');
    }
    gutter.scrollTop = area.scrollTop;
  };
  const drawMarks = () => {
    const top = parseFloat(getComputedStyle(area).paddingTop) || 0;
    marks.replaceChildren(...errors.map((e) => h('div', {
      class: 'line-error', 'data-line': String(e.line),
      style: `top:${top + (e.line - 1) * lineHeight() - area.scrollTop}px`,
    }, `line ${e.line}: ${e.message.replace(/^line \d+:\s*/, '')}`)));
  };
  area.addEventListener('input', () => { drawGutter(); });
  area.addEventListener('scroll', () => { drawGutter(); drawMarks(); });
  // Tab indents (two spaces) instead of leaving the editor; Escape then Tab leaves it.
  let escaped = false;
  area.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') { escaped = true; return; }
    if (ev.key === 'Tab' && !ev.shiftKey && !escaped) {
      ev.preventDefault();
      area.setRangeText('  ', area.selectionStart, area.selectionEnd, 'end');
      drawGutter();
    }
    escaped = false;
  });

  const element = h('div', { class: 'field' },
    h('label', { for: 'script-source' }, 'Script (Lua 5.4)'),
    h('p', { class: 'hint' }, 'Tab indents; press Escape, then Tab, to leave the editor.'),
    h('div', { class: 'editor' }, gutter, area, marks),
    message);
  // Shows the engine's errors for the source: at their line when they name one.
  const show = (list) => {
    errors = list.map((e) => ({ line: errorLine(e.message), message: e.message }))
      .filter((e) => e.line !== null);
    const text = list.map((e) => e.message).join('; ');
    message.textContent = text;
    area.setAttribute('aria-invalid', list.length ? 'true' : 'false');
    drawGutter();
    drawMarks();
  };
  drawGutter();
  return { element, area, show, value: () => area.value };
}

export function scriptPage(main) {
  const editor = scriptEditor(STARTER);
  const input = (id, label, attrs = {}) => {
    const el = h('input', { id, autocomplete: 'off', ...attrs });
    const err = h('p', { class: 'field-error', id: `${id}-error` });
    el.setAttribute('aria-describedby', `${id}-error`);
    return { el, err, box: h('div', { class: 'field' }, h('label', { for: id }, label), el, err) };
  };
  const name = input('script-name', 'Name', { value: 'my script', required: true });
  const symbol = input('script-symbol', 'Symbol', { value: 'BTCUSDT', required: true });
  const timeframe = h('select', { id: 'script-timeframe' },
    TIMEFRAMES.map((t) => h('option', { value: t, selected: t === '1m' }, t)));
  const inputs = h('textarea', { id: 'script-inputs', rows: '3', spellcheck: 'false', class: 'code',
                                 'aria-describedby': 'script-inputs-error' });
  inputs.value = '{}';
  const inputsErr = h('p', { class: 'field-error', id: 'script-inputs-error' });
  const other = h('ul', { class: 'field-error', id: 'script-other-errors' });
  const status = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite', id: 'script-status' });

  // The bot's config, or null (and the reason shown) when the inputs are not a JSON object.
  const config = () => {
    let parsed;
    try { parsed = JSON.parse(inputs.value || '{}'); } catch (e) { parsed = e; }
    const ok = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && !(parsed instanceof Error);
    inputsErr.textContent = ok ? '' : 'Inputs must be a JSON object, e.g. {"quantity": "0.01"}';
    inputs.setAttribute('aria-invalid', ok ? 'false' : 'true');
    if (!ok) return null;
    return { name: name.el.value, symbol: symbol.el.value, timeframe: timeframe.value,
             strategy: { type: 'script', parameters: { source: editor.value(), inputs: parsed } } };
  };
  // Each error beside what it is about: the source's at its line, the envelope's at its input.
  const showErrors = (errors) => {
    editor.show(errors.filter((e) => e.field === SOURCE_FIELD));
    const at = { name: name, symbol: symbol };
    for (const f of Object.values(at)) { f.err.textContent = ''; f.el.setAttribute('aria-invalid', 'false'); }
    const rest = [];
    for (const e of errors) {
      if (e.field === SOURCE_FIELD) continue;
      const f = at[e.field];
      if (f) { f.err.textContent = e.message; f.el.setAttribute('aria-invalid', 'true'); } else rest.push(e);
    }
    other.replaceChildren(...rest.map((e) => h('li', {}, `${e.field || 'config'}: ${e.message}`)));
    status.textContent = errors.length ? `${errors.length} problem${errors.length > 1 ? 's' : ''} found` : 'The script and config are valid.';
  };
  const validate = async () => {
    const c = config();
    if (!c) return;
    try {
      showErrors(listOf(await api('/bots/validate', { method: 'POST', body: c }), 'errors'));
    } catch (e) {
      if (e.status === 422) showErrors(e.errors); else handleError(e, 'Validate');
    }
  };
  const create = async (ev) => {
    ev.preventDefault();
    const c = config();
    if (!c) return;
    try {
      const res = await api('/bots', { method: 'POST', body: c });
      announce(`Bot ${res.id} created from the script; it is stopped until you start it`);
      location.hash = `#/bots/${res.id}`;
    } catch (e) {
      if (e.status === 422) {
        showErrors(e.errors);
        status.textContent = `Not created: ${status.textContent}`;
        editor.area.focus();
      } else handleError(e, 'Create bot');
    }
  };

  // Backtest: the config on the recorded market; the job is polled until it is done.
  const results = h('section', { id: 'script-backtest', 'aria-label': 'Backtest', 'aria-live': 'polite' });
  const showReport = async (job) => {
    const bots = listOf(job.report, 'bots');
    const row = (b) => h('tr', {}, h('td', {}, b.name), h('td', { class: 'num' }, String(b.trades)),
      h('td', { class: 'num' }, String(b.pnl)), h('td', { class: 'num' }, String(b.max_drawdown)),
      h('td', { class: 'num' }, b.return === null || b.return === undefined ? '' : `${(b.return * 100).toFixed(2)} %`));
    const frame = h('iframe', { title: `Backtest ${job.id} report`, sandbox: '', class: 'report-frame' });
    results.replaceChildren(
      h('h2', {}, `Backtest ${job.id}`),
      h('table', { 'aria-label': `Backtest ${job.id} results` },
        h('thead', {}, h('tr', {}, ...['Bot', 'Trades', 'PnL', 'Max drawdown', 'Return'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...bots.map(row))),
      frame);
    frame.srcdoc = await api(`/backtests/${job.id}/report`, { raw: true });
  };
  const backtest = async () => {
    const c = config();
    if (!c) return;
    let job;
    try {
      job = await api('/backtests', { method: 'POST', body: { bots: [c] } });
    } catch (e) {
      if (e.status === 422) {
        showErrors((e.errors || []).map((x) => ({ ...x, field: String(x.field || '').replace(/^bots\[0\]\.?/, '') })));
        status.textContent = `Not backtested: ${status.textContent}`;
      } else handleError(e, 'Backtest');
      return;
    }
    results.replaceChildren(h('p', { class: 'muted', id: 'script-backtest-state' }, `Backtest ${job.id}: queued`));
    // Polled while this page shows it; a backtest of a long recording takes a while.
    while (results.isConnected) {
      try {
        job = await api(`/backtests/${job.id}`);
      } catch (e) { handleError(e, 'Backtest'); return; }
      if (job.state === 'done') { await showReport(job); announce(`Backtest ${job.id} done`); return; }
      if (job.state === 'failed') {
        results.replaceChildren(h('p', { class: 'field-error', role: 'alert' }, `Backtest ${job.id} failed: ${job.error}`));
        return;
      }
      const state = results.querySelector('#script-backtest-state');
      if (state) state.textContent = `Backtest ${job.id}: ${job.state}`;
      await new Promise((resolve) => { setTimeout(resolve, 400); });
    }
  };

  main.append(pageTitle('New bot from a script'),
    h('p', { class: 'hint' }, 'The script runs sandboxed and deterministic inside the engine; see STRATEGIES.md for the callbacks and the bot table.'),
    h('form', { class: 'fields wide', onsubmit: create, 'aria-label': 'New script bot' },
      name.box, symbol.box,
      h('div', { class: 'field' }, h('label', { for: 'script-timeframe' }, 'Timeframe'), timeframe),
      editor.element,
      h('div', { class: 'field' }, h('label', { for: 'script-inputs' }, 'Inputs (JSON object, read by the script as inputs)'), inputs, inputsErr),
      other, status,
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'script-validate', onclick: validate }, 'Validate'),
        h('button', { type: 'button', id: 'script-backtest-run', onclick: backtest }, 'Backtest on recorded data'),
        h('button', { type: 'submit', class: 'primary', id: 'script-create' }, 'Create bot'))),
    results);
  return { name: 'script' };
}
