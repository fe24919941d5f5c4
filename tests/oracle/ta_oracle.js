#!/usr/bin/env node
// TA-Lib itself (compiled to WebAssembly by the talib-web package) as the oracle for
// botengine's indicators. Prints one CSV row per candle: `index,<one column per output>`,
// empty cells where TA-Lib has no value yet (its lookback), numbers in JavaScript's
// shortest round-trip form (strtod reads back the exact double).
//
//   node ta_oracle.js CANDLES_FILE SPEC [SPEC...]
//   SPEC: sma:N ema:N rsi:N atr:N roc:N mom:N macd:FAST:SLOW:SIGNAL stoch:FASTK:SLOWK:SLOWD
//         bbands:N:DEVUP:DEVDOWN
//   CANDLES_FILE: the JSON of shared/data/candles-1m, or CSV time,open,high,low,close,volume
//
// Why TA_* is called here directly instead of through talib-web's wrappers: the wrappers
// pass NULL for both outBegIdx and outNBElement (so TA-Lib writes both to address 0, on top
// of each other) and pass endIdx = length, one past the end. Functions that read those
// values back internally (STOCH, STDDEV, BBANDS) then return garbage, and every output gets
// a trailing value computed from uninitialised memory. Calling TA_* with real out-pointers
// and endIdx = length - 1 gives TA-Lib's own results.
'use strict';
globalThis.fetch = undefined;  // Node 20 has fetch: without this, init() fetches the .wasm
const fs = require('fs');
const path = require('path');
const talib = require('talib-web');

function readCandles(file) {
  const text = fs.readFileSync(file, 'utf8');
  const c = { high: [], low: [], close: [], volume: [] };
  if (text.trimStart().startsWith('[')) {
    for (const b of JSON.parse(text)) {
      c.high.push(parseFloat(b.high));
      c.low.push(parseFloat(b.low));
      c.close.push(parseFloat(b.close));
      c.volume.push(parseFloat(b.volume));
    }
    return c;
  }
  for (const line of text.split('\n')) {
    const f = line.trim().split(',');
    if (f.length < 6 || /^[A-Za-z]/.test(f[0])) continue;
    c.high.push(parseFloat(f[2]));
    c.low.push(parseFloat(f[3]));
    c.close.push(parseFloat(f[4]));
    c.volume.push(parseFloat(f[5]));
  }
  return c;
}

function call(M, name, inputs, options, nOutputs) {
  const n = inputs[0].length;
  const owned = [];
  const alloc = (bytes) => {
    const p = M._malloc(bytes);
    owned.push(p);
    return p;
  };
  const inPtrs = inputs.map((a) => {
    const p = alloc(n * 8);
    M.HEAPF64.set(Float64Array.from(a), p / 8);
    return p;
  });
  const begPtr = alloc(4);
  const nbPtr = alloc(4);
  const outPtrs = Array.from({ length: nOutputs }, () => alloc(n * 8));
  const args = [0, n - 1, ...inPtrs, ...options, begPtr, nbPtr, ...outPtrs];
  const ret = M.ccall('TA_' + name, 'number', args.map(() => 'number'), args);
  if (ret !== 0) throw new Error(`TA_${name} returned ${ret}`);
  const beg = M.HEAP32[begPtr / 4];
  const nb = M.HEAP32[nbPtr / 4];
  // Read after the call: the heap may have grown and replaced M.HEAPF64.
  const outs = outPtrs.map((p) => Array.from(M.HEAPF64.subarray(p / 8, p / 8 + nb)));
  owned.forEach((p) => M._free(p));
  return { beg, outs };
}

function compute(M, c, spec) {
  const [name, ...raw] = spec.split(':');
  const p = raw.map(Number);
  switch (name) {
    case 'sma': return call(M, 'SMA', [c.close], [p[0]], 1);
    case 'ema': return call(M, 'EMA', [c.close], [p[0]], 1);
    case 'rsi': return call(M, 'RSI', [c.close], [p[0]], 1);
    case 'roc': return call(M, 'ROC', [c.close], [p[0]], 1);
    case 'mom': return call(M, 'MOM', [c.close], [p[0]], 1);
    case 'atr': return call(M, 'ATR', [c.high, c.low, c.close], [p[0]], 1);
    case 'macd': return call(M, 'MACD', [c.close], [p[0], p[1], p[2]], 3);
    case 'bbands': return call(M, 'BBANDS', [c.close], [p[0], p[1], p[2], 0], 3);
    case 'stoch':
      return call(M, 'STOCH', [c.high, c.low, c.close], [p[0], p[1], 0, p[2], 0], 2);
    default: throw new Error(`unknown spec ${spec}`);
  }
}

async function main() {
  const [file, ...specs] = process.argv.slice(2);
  if (!file || specs.length === 0) {
    process.stderr.write('usage: node ta_oracle.js CANDLES_FILE SPEC [SPEC...]\n');
    process.exit(2);
  }
  const M = await talib.init(path.join(__dirname, 'node_modules/talib-web/lib/talib.wasm'));
  const c = readCandles(file);
  const results = specs.map((s) => compute(M, c, s));
  const header = ['index'];
  specs.forEach((s, k) => results[k].outs.forEach((_, j) => header.push(`${s}#${j}`)));
  const lines = [header.join(',')];
  for (let i = 0; i < c.close.length; ++i) {
    const row = [i];
    for (const r of results) {
      for (const o of r.outs) row.push(i >= r.beg ? String(o[i - r.beg]) : '');
    }
    lines.push(row.join(','));
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`ta_oracle: ${e.message}\n`);
  process.exit(1);
});
