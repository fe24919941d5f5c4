// DOM helpers. Text always goes in through textContent (never innerHTML), so names, symbols
// and report contents from the API cannot inject markup.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// A table from rows; columns: [{label, get(row) -> node|string, num}]. An empty table says so
// in a row of its own rather than showing bare headers.
export function table(caption, columns, rows, empty = 'None.') {
  const head = h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : '' }, c.label)));
  const body = rows.length
    ? rows.map((r) => h('tr', {}, columns.map((c) => h('td', { class: c.num ? 'num' : '' }, c.get(r)))))
    : [h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, empty))];
  return h('table', {}, h('caption', { class: 'sr-only' }, caption), h('thead', {}, head), h('tbody', {}, body));
}

export function stateBadge(state) {
  const s = String(state ?? 'unknown');
  return h('span', { class: `state ${s}` }, s.replaceAll('_', ' '));
}

export function card(label, value, id) {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label),
           h('div', { class: 'value', id }, value));
}

// Times come from the API as RFC 3339 UTC text with nine fractional digits
// ("2026-12-06T21:25:00.123456789Z", docs/API.md "Times"), null when the thing has not
// happened. The exact integer beside each ("time_ns") is beyond 2^53, so it is never parsed
// here: a JavaScript number would round it.
const RFC3339 = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/;

// An API time as UTC text to the millisecond; "never" for null. Anything else is shown as
// "unknown" rather than as a wrong date.
export function fmtTime(text) {
  if (text === null || text === undefined) return 'never';
  const m = RFC3339.exec(String(text));
  if (!m) return 'unknown';
  return `${m[1]} ${m[2]}${(m[3] || '.000').padEnd(4, '0').slice(0, 4)} UTC`;
}

// Seconds since the epoch of an API time, for chart axes (NaN when it is not one).
export function epochSeconds(text) {
  const m = RFC3339.exec(String(text ?? ''));
  if (!m) return NaN;
  return Date.parse(`${m[1]}T${m[2]}Z`) / 1000 + Number(`0${m[3] || ''}`);
}

// Seconds since the epoch as "YYYY-MM-DD HH:MM" UTC (chart axis labels).
export function fmtEpochMinutes(seconds) {
  const iso = new Date(seconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

export function fmtMicros(ns) {
  const us = Number(ns) / 1000;
  return us >= 100 ? `${us.toFixed(0)} µs` : `${us.toFixed(1)} µs`;
}
