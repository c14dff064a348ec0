// One websocket to the server, as docs/protocol.md describes it: hello
// first, then frames; reconnects by itself with exponential backoff and
// jitter, resuming with the last room sequence and epoch it saw. Used by
// the phone, the dashboard and the big screen.

const PING_EVERY = 20000;   // ms between application pings
const PONG_WITHIN = 10000;  // a connection silent this long after a ping is dead
const BACKOFF_BASE = 500;
const BACKOFF_MAX = 20000;

// Hello errors after which trying again cannot help.
const FATAL = new Set(['not_found', 'unauthorized', 'wrong_room', 'removed', 'room_locked', 'room_full', 'room_ended', 'protocol', 'invalid', 'too_large']);

/**
 * Conn states, told to onState(state, detail):
 *   connecting - opening or waiting to reopen
 *   open       - welcome received; frames flow
 *   offline    - the connection was lost; retrying (detail: ms until next try)
 *   closed     - for good (detail: {code: error code or close code})
 */
export class Conn {
  /**
   * hello() returns the hello's data without protocol, last_seq and epoch.
   * onFrame(frame) gets every server frame after the welcome (the welcome
   * too). onState(state, detail) follows the connection.
   */
  constructor({ hello, onFrame, onState }) {
    this.hello = hello;
    this.onFrame = onFrame;
    this.onState = onState || (() => {});
    this.ws = null;
    this.state = 'idle';
    this.lastSeq = 0;
    this.epoch = '';
    this.offset = 0; // server clock minus ours, in ms
    this.attempt = 0;
    this.retryTimer = 0;
    this.pingTimer = 0;
    this.pongTimer = 0;
    this.stopped = false;
    this.pending = new Map(); // id -> {resolve, reject, timer} for request()
    this.minDelay = 0;
    this.retryAfterClose = false;
    addEventListener('online', () => this.wake());
    addEventListener('offline', () => this.lost());
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this.wake(); });
  }

  /** now is the server's clock, as best we know it. */
  now() { return Date.now() + this.offset; }

  get open() { return this.state === 'open'; }

  start() {
    this.stopped = false;
    this.connect();
  }

  /** stop closes for good and stops reconnecting. */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopPing();
    if (this.ws) { const ws = this.ws; this.ws = null; ws.close(1000); }
    this.failAll('closed');
  }

  setState(state, detail) {
    this.state = state;
    this.onState(state, detail);
  }

  connect() {
    clearTimeout(this.retryTimer);
    if (this.stopped || this.ws) return;
    this.setState('connecting');
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    try {
      ws = new WebSocket(`${proto}//${location.host}/ws`);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const data = { protocol: 1, ...this.hello() };
      if (this.lastSeq > 0 && this.epoch) {
        data.last_seq = this.lastSeq;
        data.epoch = this.epoch;
      }
      this.raw({ type: 'hello', id: 'hello', data });
    };
    ws.onmessage = (ev) => this.receive(ws, ev.data);
    ws.onclose = (ev) => this.closed(ws, ev.code);
    ws.onerror = () => { /* onclose follows */ };
  }

  raw(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** send writes a frame if the connection is open; false if it is not. */
  send(type, data, id) {
    if (!this.open) return false;
    const frame = { type };
    if (id) frame.id = id;
    if (data) frame.data = data;
    return this.raw(frame);
  }

  /**
   * request sends a command and resolves with the ack's data, or rejects
   * with {code, message} from the error frame. Commands are never queued:
   * one that cannot be sent now fails at once with code "offline".
   */
  request(type, data, id) {
    id = id || 'c' + Math.random().toString(36).slice(2, 10);
    return new Promise((resolve, reject) => {
      if (!this.send(type, data, id)) {
        reject({ code: 'offline' });
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject({ code: 'timeout' });
      }, 20000);
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  failAll(code) {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject({ code });
      this.pending.delete(id);
    }
  }

  receive(ws, text) {
    if (ws !== this.ws) return;
    let f;
    try { f = JSON.parse(text); } catch { return; }
    this.alive();
    if (f.type === 'pong') return;
    if (f.type === 'snapshot' && f.seq) this.lastSeq = f.seq;
    else if (f.seq && f.seq > this.lastSeq) this.lastSeq = f.seq;
    if (f.type === 'welcome') {
      const d = f.data || {};
      if (d.epoch && this.epoch && d.epoch !== this.epoch) this.lastSeq = 0;
      this.epoch = d.epoch || this.epoch;
      if (d.server_time) this.offset = d.server_time - Date.now();
      this.attempt = 0;
      this.minDelay = 0;
      this.setState('open', d);
      this.startPing();
    }
    if (f.type === 'error' && f.id === 'hello') {
      this.helloFailed(f.data || {});
      return;
    }
    if ((f.type === 'ack' || f.type === 'error') && f.id && this.pending.has(f.id)) {
      const p = this.pending.get(f.id);
      this.pending.delete(f.id);
      clearTimeout(p.timer);
      if (f.type === 'ack') p.resolve(f.data || {});
      else p.reject(f.data || {});
    }
    this.onFrame(f);
  }

  helloFailed(err) {
    if (FATAL.has(err.code)) {
      this.stopped = true;
      this.stopPing();
      const ws = this.ws;
      this.ws = null;
      if (ws) ws.close(1000);
      this.setState('closed', { code: err.code });
      return;
    }
    // rate_limited, unavailable, shutting_down, internal: try again later.
    if (err.code === 'rate_limited') this.minDelay = 10000;
    this.retryAfterClose = true;
    if (this.ws) this.ws.close(1000);
  }

  closed(ws, code) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.stopPing();
    this.failAll('offline');
    if (this.stopped) return;
    if (this.retryAfterClose) {
      this.retryAfterClose = false;
      this.retry();
      return;
    }
    switch (code) {
      case 1000:
        // The server ended the connection on purpose: do not come back.
        this.stopped = true;
        this.setState('closed', { code: 'closed' });
        return;
      case 4001:
        this.stopped = true;
        this.setState('closed', { code: 'removed' });
        return;
      case 4004:
        this.stopped = true;
        this.setState('closed', { code: 'deleted' });
        return;
      case 1012:
        // The server is restarting: come back at once, to any instance.
        this.attempt = 0;
        this.retry(200 + Math.random() * 800);
        return;
      case 1008:
        this.minDelay = 30000;
        break;
    }
    this.retry();
  }

  /** retry schedules the next attempt with exponential backoff and jitter. */
  retry(delay) {
    if (this.stopped) return;
    if (delay === undefined) {
      const cap = Math.min(BACKOFF_MAX, BACKOFF_BASE * 2 ** this.attempt);
      delay = Math.max(this.minDelay, cap / 2 + Math.random() * cap / 2);
      this.attempt++;
    }
    clearTimeout(this.retryTimer);
    this.setState('offline', delay);
    // Offline, the 'online' event wakes us; the slow retry covers a
    // browser that is wrong about being offline.
    if (navigator.onLine === false) delay = Math.max(delay, 15000);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** lost drops a connection that cannot work (the device went offline). */
  lost() {
    if (this.stopped) return;
    const ws = this.ws;
    if (ws) {
      this.ws = null;
      ws.onclose = null;
      ws.close();
      this.stopPing();
      this.failAll('offline');
    }
    this.retry();
  }

  /** wake retries at once, e.g. when the device is back online or unlocked. */
  wake() {
    if (this.stopped || this.ws) return;
    this.attempt = 0;
    this.connect();
  }

  startPing() {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (!this.raw({ type: 'ping', id: 'p' })) return;
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => this.lost(), PONG_WITHIN);
    }, PING_EVERY);
  }

  alive() { clearTimeout(this.pongTimer); }

  stopPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }
}
