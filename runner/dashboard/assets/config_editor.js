// Edits a bot config in place: one labelled input per leaf of the JSON envelope, named by its
// full path ("strategy.parameters.period") because that is how the API names a bad field, so
// each error lands next to its input. Numbers keep the text the user typed: money is read
// exactly as written by the engine (docs/BOTS.md), so 0.1 must not round-trip through a float.
import { h } from './dom.js';

class RawNumber {
  constructor(text) { this.text = text; }
}

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function serialize(v) {
  if (v instanceof RawNumber) return v.text;
  if (Array.isArray(v)) return `[${v.map(serialize).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${serialize(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function leaves(obj, prefix, out) {
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) leaves(v, path, out);
    else out.push({ path, value: v });
  }
  return out;
}

function kindOf(v) {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return 'json';  // arrays, null, empty objects
}

const safeId = (prefix, path) => `${prefix}-${path.replace(/[^A-Za-z0-9_.-]/g, '_')}`;

// config: the parsed config object. onChange is called after each edit (the caller debounces).
// Fields the config does not have yet (risk_management, schedule, ...) are added through the
// "Edit as JSON" box, which rebuilds the inputs from the JSON it is given.
export function configEditor(initial, { idPrefix = 'cfg', onChange = () => {} } = {}) {
  let config = initial;
  let fields = [];
  const container = h('div', { class: 'fields-list' });
  const formErrors = h('div', { class: 'error', role: 'alert', id: `${idPrefix}-errors` });

  function build() {
    fields = [];
    container.replaceChildren();
    for (const { path, value } of leaves(config, '', [])) addField(path, value);
  }

  function addField(path, value) {
    const kind = kindOf(value);
    const id = safeId(idPrefix, path);
    const errId = `${id}-error`;
    let input;
    if (kind === 'bool') {
      input = h('input', { type: 'checkbox', id, name: path, checked: value });
    } else {
      const text = kind === 'json' ? JSON.stringify(value) : String(value);
      input = h('input', { type: 'text', id, name: path, value: text, spellcheck: 'false',
                           inputmode: kind === 'number' ? 'decimal' : undefined,
                           autocomplete: 'off' });
    }
    input.addEventListener(kind === 'bool' ? 'change' : 'input', () => onChange());
    const hint = kind === 'json' ? h('p', { class: 'hint', id: `${id}-hint` }, 'JSON value') : null;
    if (hint) input.setAttribute('aria-describedby', hint.id);
    const err = h('p', { class: 'field-error', id: errId, hidden: true });
    const row = h('div', { class: 'field' }, h('label', { for: id }, path), input, hint, err);
    fields.push({ path, kind, input, err, hint });
    container.append(row);
  }
  build();

  function value() {
    const out = structuredClone(config);
    for (const f of fields) {
      const keys = f.path.split('.');
      let o = out;
      for (const k of keys.slice(0, -1)) o = o[k];
      const last = keys[keys.length - 1];
      if (f.kind === 'bool') o[last] = f.input.checked;
      else if (f.kind === 'number') {
        const t = f.input.value.trim();
        // Not a number: sent as a string so the engine names the field and the problem.
        o[last] = NUMBER.test(t) ? new RawNumber(t) : t;
      } else if (f.kind === 'json') {
        try { o[last] = JSON.parse(f.input.value); } catch { o[last] = f.input.value; }
      } else o[last] = f.input.value;
    }
    return out;
  }

  // errors: [{field, message}] as the API returns them. Each lands beside the input whose path
  // it names; an error for a parent path or an unknown field is listed above the form.
  function showErrors(errors) {
    const byPath = new Map();
    const general = [];
    for (const e of errors || []) {
      if (fields.some((f) => f.path === e.field)) {
        byPath.set(e.field, [...(byPath.get(e.field) || []), e.message]);
      } else general.push(e);
    }
    for (const f of fields) {
      const msgs = byPath.get(f.path);
      f.err.hidden = !msgs;
      f.err.textContent = msgs ? msgs.join('; ') : '';
      const described = [f.hint && f.hint.id, msgs && f.err.id].filter(Boolean).join(' ');
      if (described) f.input.setAttribute('aria-describedby', described);
      else f.input.removeAttribute('aria-describedby');
      if (msgs) f.input.setAttribute('aria-invalid', 'true');
      else f.input.removeAttribute('aria-invalid');
    }
    formErrors.replaceChildren(...general.map((e) => h('p', {}, e.field ? `${e.field}: ${e.message}` : e.message)));
    return errors && errors.length ? fields.find((f) => byPath.has(f.path))?.input || formErrors : null;
  }

  const jsonId = `${idPrefix}-json`;
  const jsonError = h('p', { class: 'field-error', id: `${jsonId}-error`, role: 'alert' });
  const jsonBox = h('textarea', { id: jsonId, rows: 10, cols: 80, spellcheck: 'false',
                                  'aria-describedby': `${jsonId}-error` });
  // The box is filled when the summary is clicked (mouse, Enter or Space), before the click's
  // default action opens the <details>: it is never shown empty. Filling it on the toggle event
  // instead runs in a later task, after the box is visible: a fast reader (a test, a screen
  // reader) could find it empty, and text typed at once could be overwritten.
  const fillJson = () => { jsonBox.value = JSON.stringify(JSON.parse(serialize(value())), null, 2); };
  const raw = h('details', {},
    h('summary', { onclick: () => { if (!raw.open) fillJson(); } }, 'Edit as JSON'),
    h('div', { class: 'field' }, h('label', { for: jsonId }, 'Config as JSON'), jsonBox, jsonError),
    h('button', { type: 'button', onclick: () => {
      try {
        const parsed = JSON.parse(jsonBox.value);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the config must be a JSON object');
        config = parsed;
        jsonError.textContent = '';
        build();
        onChange();
      } catch (e) {
        jsonError.textContent = `Not applied: ${e.message}`;
        jsonBox.focus();
      }
    } }, 'Apply JSON to the form'));

  return {
    element: h('div', {}, formErrors, container, raw),
    json: () => serialize(value()),
    showErrors,
    field: (path) => fields.find((f) => f.path === path)?.input,
  };
}
