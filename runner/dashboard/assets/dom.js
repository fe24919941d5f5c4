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

// Event time (ns since the epoch) as UTC text; 0 means "never".
export function fmtTime(ns) {
  if (!ns) return 'never';
  return new Date(Number(ns) / 1e6).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

export function fmtMicros(ns) {
  const us = Number(ns) / 1000;
  return us >= 100 ? `${us.toFixed(0)} µs` : `${us.toFixed(1)} µs`;
}
