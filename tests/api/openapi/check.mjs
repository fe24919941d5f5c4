// docs/openapi.json's checks that need npm packages (pinned in package-lock.json, installed by
// scripts/test.sh with `npm ci --prefix tests/api/openapi`):
//
//   node check.mjs lint <openapi.json>
//     Redocly CLI's lint with redocly.yaml (the recommended rules, warnings as errors).
//   node check.mjs exchanges <openapi.json> <exchanges.jsonl>
//     Every exchange the engine doc test recorded (tests/api/exchange_log.hpp) against the
//     document: the path and method are documented, the status is among the operation's
//     responses, the content type is one it lists, and the JSON body validates against its
//     schema (Ajv, JSON Schema 2020-12, the dialect of OpenAPI 3.1). A 2xx request's JSON body
//     validates against the operation's requestBody. The event stream's messages it recorded
//     validate against StreamHello, StreamResync or StreamEvent (by `type`; together they are
//     StreamMessage). Each failure names the example, the field (JSON pointer), its value and
//     the schema rule it breaks.
//
// Exits 77 (ctest: skipped) and says why when node_modules is missing.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [mode, docPath, exchangesPath] = process.argv.slice(2);
if (!['lint', 'exchanges'].includes(mode) || !docPath || (mode === 'exchanges' && !exchangesPath)) {
  console.error('usage: node check.mjs lint <openapi.json> | exchanges <openapi.json> <exchanges.jsonl>');
  process.exit(2);
}
if (!existsSync(join(here, 'node_modules', 'ajv')) || !existsSync(join(here, 'node_modules', '@redocly', 'cli'))) {
  console.log('SKIP: tests/api/openapi/node_modules is missing (npm ci --prefix tests/api/openapi)');
  process.exit(77);
}

if (mode === 'lint') {
  const cli = join(here, 'node_modules', '.bin', 'redocly');
  const run = spawnSync(cli, ['lint', '--config', join(here, 'redocly.yaml'), docPath], {
    stdio: 'inherit',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  process.exit(run.status ?? 1);
}

const { default: Ajv2020 } = await import('ajv/dist/2020.js');
const { default: addFormats } = await import('ajv-formats');

const doc = JSON.parse(readFileSync(docPath, 'utf8'));
// Component schemas live under one $id; "#/components/schemas/X" refs point into it.
const SCHEMAS = 'urn:botengine:openapi-schemas';
const rewrite = (value) =>
  JSON.parse(JSON.stringify(value ?? {}).replaceAll('"#/components/schemas/', `"${SCHEMAS}#/$defs/`));
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: SCHEMAS, $defs: rewrite(doc.components?.schemas) });
// Compile every component up front: a broken schema fails even where no exchange reaches it.
for (const name of Object.keys(doc.components?.schemas ?? {})) ajv.getSchema(`${SCHEMAS}#/$defs/${name}`);

const resolve = (node) => {
  while (node && node.$ref) {
    node = node.$ref.slice(2).split('/').reduce((at, key) => at?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
  }
  return node;
};

// The path item for a request path: literal segments before templated ones (OpenAPI 3.1,
// "Path Templating Matching"); a trailing "/" where the item says x-trailing-slash.
function findPath(path) {
  let best = null;
  for (const [template, item] of Object.entries(doc.paths)) {
    const candidates = [path];
    if (item['x-trailing-slash'] && path.endsWith('/') && path.length > 1) candidates.push(path.slice(0, -1));
    for (const candidate of candidates) {
      const want = template.split('/');
      const got = candidate.split('/');
      if (want.length !== got.length) continue;
      let literals = 0;
      const fits = want.every((segment, i) => {
        if (/^\{[^}]+\}$/.test(segment)) return got[i].length > 0;
        literals += 1;
        return segment === got[i];
      });
      if (fits && (best === null || literals > best.literals)) best = { template, item, literals };
    }
  }
  return best;
}

const validators = new Map();
function validate(schema, value) {
  const key = JSON.stringify(schema);
  if (!validators.has(key)) validators.set(key, ajv.compile(rewrite(schema)));
  const check = validators.get(key);
  if (check(value)) return [];
  const show = (v) => { const s = JSON.stringify(v); return s === undefined ? 'absent' : s.length > 80 ? `${s.slice(0, 77)}...` : s; };
  return check.errors.map((e) => {
    const at = e.instancePath || '(the body)';
    const found = e.instancePath.split('/').slice(1).reduce((v, k) => v?.[k.replaceAll('~1', '/').replaceAll('~0', '~')], value);
    const detail = e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : '';
    return `${at} ${e.message}${detail}; value ${show(found)} (schema ${e.schemaPath.replace(`${SCHEMAS}#/$defs/`, '#/components/schemas/')})`;
  });
}

// A stream message: the component its `type` selects (StreamMessage is their oneOf).
function checkStreamMessage(x) {
  let message;
  try { message = JSON.parse(x.body); } catch (e) { return { problems: [`the message is not JSON: ${e.message}`] }; }
  const name = { hello: 'StreamHello', resync: 'StreamResync' }[message?.type] ?? 'StreamEvent';
  const label = `stream ${name}`;
  return { problems: validate({ $ref: `#/components/schemas/${name}` }, message).map((p) => `${label}: ${p}`), label, operation: 'GET /api/v1/stream' };
}

function check(x) {
  if (x.stream) return checkStreamMessage(x);
  const problems = [];
  const path = x.target.split('?')[0];
  const found = findPath(path);
  if (!found) return { problems: [`path ${path} is not in the document`] };
  let operation = found.item[x.method.toLowerCase()];
  const label = `${x.method} ${found.template}`;
  if (!operation) {
    if (x.status !== 405) return { problems: [`${label}: the method is not documented`], label };
    // Another method on a documented path: 405, described by every operation's default.
    operation = { responses: { default: { $ref: '#/components/responses/Default' } } };
  }
  const response = resolve(operation.responses[String(x.status)] ?? operation.responses[`${String(x.status)[0]}XX`] ?? operation.responses.default);
  if (!response) return { problems: [`${label}: status ${x.status} is not documented`], label };
  const type = x.content_type.split(';')[0].trim().toLowerCase();
  const media = response.content?.[type];
  if (!response.content && x.body.length > 0) problems.push(`${label} ${x.status}: a body where the document has none`);
  else if (response.content && !media) problems.push(`${label} ${x.status}: content type "${x.content_type}" is not among ${Object.keys(response.content).join(', ')}`);
  else if (media && type === 'application/json') {
    let body;
    try { body = JSON.parse(x.body); } catch (e) { return { problems: [`${label} ${x.status}: the body is not JSON: ${e.message}`], label }; }
    for (const p of validate(media.schema, body)) problems.push(`${label} ${x.status}: response ${p}`);
  }
  const requestMedia = resolve(operation.requestBody)?.content?.['application/json'];
  if (x.status >= 200 && x.status < 300 && requestMedia && x.request_body.trim().length > 0) {
    let body;
    try { body = JSON.parse(x.request_body); } catch (e) { problems.push(`${label}: the request body is not JSON: ${e.message}`); }
    if (body !== undefined) for (const p of validate(requestMedia.schema, body)) problems.push(`${label}: request ${p}`);
  }
  return { problems, label, operation: label };
}

const exchanges = readFileSync(exchangesPath, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
let failed = 0;
const exercised = new Set();
const failing = new Map();  // "GET /api/v1/bots 200: response /bots/*/heartbeat must be string" -> count
for (const x of exchanges) {
  const { problems, operation } = check(x);
  if (operation) exercised.add(operation);
  const where = x.stream ? x.where : `${x.where} -> ${x.status}`;
  if (problems.length === 0) {
    console.log(`[ VALID   ] ${where}`);
    continue;
  }
  failed += 1;
  console.log(`[ INVALID ] ${where}`);
  for (const p of problems) {
    console.log(`    ${p}`);
    const rule = p.split('; value ')[0].replace(/\/[0-9]+(?=\/| )/g, '/*');
    failing.set(rule, (failing.get(rule) ?? 0) + 1);
  }
}
if (failing.size > 0) {
  console.log('what fails, by field (array indexes as *):');
  for (const [rule, n] of [...failing].sort()) console.log(`  ${n} x ${rule}`);
}
const operations = Object.entries(doc.paths).flatMap(([template, item]) =>
  ['get', 'put', 'post', 'delete', 'patch'].filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${template}`));
const unexercised = operations.filter((o) => !exercised.has(o));
console.log(`operations no exchange reached (${unexercised.length} of ${operations.length}): ${unexercised.join(', ') || 'none'}`);
// The doc test sends every example of docs/API.md: far fewer lines means it did not run.
const kMinExchanges = 20;
const http = exchanges.filter((x) => !x.stream).length;
if (http < kMinExchanges || http === exchanges.length) {
  console.log(`FAIL: ${http} HTTP exchanges (at least ${kMinExchanges} expected) and ${exchanges.length - http} stream messages (at least the hello expected) recorded`);
  process.exit(1);
}
console.log(`${exchanges.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
