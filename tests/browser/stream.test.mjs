// The dashboard's stream client (runner/dashboard/assets/api.js, Stream) under Node with a
// stand-in WebSocket and mocked timers, no browser: a reconnect resumes after the last seq it
// saw (docs/API.md "Resuming"), a resync reaches the page, a refused upgrade starts afresh.
//
//   node --test tests/browser/stream.test.mjs
import assert from 'node:assert/strict';
import path from 'node:path';
import { mock, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const sockets = [];
globalThis.sessionStorage = { getItem: () => 'tok', setItem() {}, removeItem() {} };
globalThis.location = { protocol: 'http:', host: '127.0.0.1:8080' };
globalThis.WebSocket = class {
  constructor(url) {
    this.url = url;
    sockets.push(this);
  }
  close() {}
};
const HERE = path.dirname(fileURLToPath(import.meta.url));
const { Stream } = await import(
  pathToFileURL(path.join(HERE, '../../runner/dashboard/assets/api.js')).href);

const send = (ws, item) => ws.onmessage({ data: JSON.stringify(item) });
const since = (ws) => new URL(ws.url).searchParams.get('since');

test('a reconnect resumes after the last seq seen, and a refused one starts afresh', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    sockets.length = 0;
    const items = [];
    const stream = new Stream({ onItem: (i) => items.push(i), onState: () => {} });
    stream.start();
    assert.equal(sockets.length, 1);
    assert.equal(since(sockets[0]), null);  // the first connection starts at the head
    sockets[0].onopen();
    send(sockets[0], { type: 'hello', first_seq: 1, head_seq: 40 });
    send(sockets[0], { seq: 41, type: 'order' });
    send(sockets[0], { seq: 42, type: 'fill' });
    sockets[0].onclose({ code: 1006 });
    mock.timers.tick(60_000);
    assert.equal(sockets.length, 2);
    assert.equal(since(sockets[1]), '42');  // resumes right after the last event seen

    // The gap was too old: the resync reaches the page (which re-reads over REST), and the
    // next reconnect resumes from what came after it.
    sockets[1].onopen();
    send(sockets[1], { type: 'resync', since: 42, first_seq: 90, head_seq: 95 });
    send(sockets[1], { seq: 96, type: 'bot_status' });
    assert.ok(items.some((i) => i.type === 'resync'));
    sockets[1].onclose({ code: 1006 });
    mock.timers.tick(60_000);
    assert.equal(since(sockets[2]), '96');

    // Refused at the upgrade (a since beyond the head of a restarted runner): start afresh.
    sockets[2].onclose({ code: 1006 });
    mock.timers.tick(60_000);
    assert.equal(since(sockets[3]), null);

    stream.stop();  // signing out forgets the position: the next user starts at the head
    stream.start();
    assert.equal(since(sockets[4]), null);
    stream.stop();
  } finally {
    mock.timers.reset();
  }
});
