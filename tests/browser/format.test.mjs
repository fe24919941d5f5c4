// The dashboard's time helpers (runner/dashboard/assets/dom.js) under Node, no browser:
// what the pages show for the API's times (docs/API.md "Times").
//
//   node --test tests/browser/format.test.mjs
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const { fmtTime, epochSeconds, fmtEpochMinutes } = await import(
  pathToFileURL(path.join(HERE, '../../runner/dashboard/assets/dom.js')).href);

test('an API time is shown in UTC to the millisecond', () => {
  assert.equal(fmtTime('2026-12-06T21:25:00.123456789Z'), '2026-12-06 21:25:00.123 UTC');
  assert.equal(fmtTime('1970-01-01T00:00:00.000000000Z'), '1970-01-01 00:00:00.000 UTC');
  // Digits are cut, never rounded up into the next second.
  assert.equal(fmtTime('2024-02-29T23:59:59.999999999Z'), '2024-02-29 23:59:59.999 UTC');
  assert.equal(fmtTime('2026-12-06T21:25:00Z'), '2026-12-06 21:25:00.000 UTC');
  assert.equal(fmtTime('2026-12-06T21:25:00.5Z'), '2026-12-06 21:25:00.500 UTC');
});

test('a time that has not happened is "never"', () => {
  assert.equal(fmtTime(null), 'never');
  assert.equal(fmtTime(undefined), 'never');
});

test('anything that is not an API time is "unknown", never a wrong date', () => {
  // The old shape (integer nanoseconds) and a JavaScript-rounded copy of it.
  assert.equal(fmtTime(1796592300123456789), 'unknown');
  assert.equal(fmtTime('1796592300123456789'), 'unknown');
  assert.equal(fmtTime(''), 'unknown');
  assert.equal(fmtTime('yesterday'), 'unknown');
});

test('chart positions come from the text, not from the _ns integer', () => {
  const s = epochSeconds('2026-12-06T21:25:00.123456789Z');
  assert.equal(Math.floor(s), 1796592300);
  assert.ok(Math.abs(s - 1796592300.123456789) < 1e-6, String(s));
  assert.equal(epochSeconds('1969-12-31T23:59:59.500000000Z'), -0.5);
  assert.ok(Number.isNaN(epochSeconds(null)));
  assert.ok(Number.isNaN(epochSeconds('1796592300123456789')));
  assert.equal(fmtEpochMinutes(s), '2026-12-06 21:25');
});
