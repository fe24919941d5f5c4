// The control API client: same-origin fetches with the session's bearer token, and the event
// stream over a WebSocket that reconnects with capped exponential back-off.
const TOKEN_KEY = 'botengine.token';

// The token lives in sessionStorage: it survives a reload of this tab but not a new tab or a
// closed browser, and never goes into a cookie the server did not ask for.
export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY) || ''; },
  set token(t) {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

export class ApiError extends Error {
  constructor(status, code, message, errors) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.errors = errors || [];  // [{field, message}] from 422 answers
  }
}

// Calls /api/v1<path>; returns the parsed JSON (or text for non-JSON answers). Throws ApiError
// with the API's error code and message, or with the field errors of a 422.
export async function api(path, { method = 'GET', body, raw = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(`/api/v1${path}`, init);
  } catch (e) {
    throw new ApiError(0, 'network', `the engine is unreachable (${e.message})`);
  }
  const type = res.headers.get('Content-Type') || '';
  const text = await res.text();
  let data = text;
  if (type.includes('json') && !raw) {
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  }
  if (!res.ok) {
    const err = data && typeof data === 'object' ? data : {};
    const e = err.error || {};
    throw new ApiError(res.status, e.code || String(res.status),
                       e.message || (err.errors ? 'invalid' : `HTTP ${res.status}`), err.errors);
  }
  return data;
}

// The live event stream. onItem gets each parsed JSON object; onState gets "connecting",
// "connected" or "reconnecting in Ns". A reconnect resumes after the last message's seq
// (?since=, docs/API.md "Resuming"), so no event is lost while the socket was down; a
// `resync` message (the gap was too old to serve) reaches onItem like any other, and the
// caller re-reads state over REST. Back-off doubles from 0.5 s to 30 s with jitter and
// resets after a connection has stayed up. The server refuses a bad token at the upgrade,
// which a browser cannot tell from a network error, so onFailed (a connection that never
// opened) lets the caller ask the API why.
export class Stream {
  constructor({ onItem, onState, onFailed = () => {} }) {
    this.onItem = onItem;
    this.onState = onState;
    this.onFailed = onFailed;
    this.delay = 500;
    this.ws = null;
    this.timer = null;
    this.stopped = true;
    this.lastSeq = null;  // the seq of the last message seen: where a reconnect resumes
  }
  start() {
    this.stopped = false;
    this.connect();
  }
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000, 'signed out');
    this.ws = null;
    this.lastSeq = null;  // another user may sign in next: their stream starts afresh
    this.onState('offline');
  }
  connect() {
    if (this.stopped) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const since = this.lastSeq != null ? `&since=${this.lastSeq}` : '';
    const url = `${proto}//${location.host}/api/v1/stream?token=${encodeURIComponent(session.token)}${since}`;
    this.onState('connecting');
    let opened = 0;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      opened = Date.now();
      this.onState('connected');
    };
    ws.onmessage = (ev) => {
      let item;
      try { item = JSON.parse(ev.data); } catch { return; }
      if (Number.isSafeInteger(item.seq) && item.type !== 'hello') this.lastSeq = item.seq;
      this.onItem(item);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws || this.stopped) return;
      this.ws = null;
      if (!opened) {
        // Refused at the upgrade: a since beyond the head (the runner restarted without its
        // journal) is refused too, so the next attempt starts afresh.
        this.lastSeq = null;
        this.onFailed(ev);
      }
      // A connection that lived a while was healthy: start the back-off over.
      if (opened && Date.now() - opened > 10000) this.delay = 500;
      const wait = Math.round(this.delay * (0.75 + Math.random() * 0.5));
      this.delay = Math.min(this.delay * 2, 30000);
      this.onState(`reconnecting in ${Math.ceil(wait / 1000)}s`);
      this.timer = setTimeout(() => this.connect(), wait);
    };
  }
}
