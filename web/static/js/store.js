// The phone's memory in localStorage, per room code: the participant
// token, drafts per step, the shared-text state, and the outbox of
// submissions not yet acknowledged. Everything of a room is removed when
// the person leaves or the room's data is deleted.

const PREFIX = 'sp.';

function key(...parts) { return PREFIX + parts.join('.'); }

export function load(k, fallback = null) {
  try {
    const raw = localStorage.getItem(k);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

export function save(k, value) {
  try {
    if (value === null || value === undefined) localStorage.removeItem(k);
    else localStorage.setItem(k, JSON.stringify(value));
  } catch { /* full or switched off: the app still works, it just forgets */ }
}

export const tokenKey = (code) => key('tok', code);
export const outboxKey = (code) => key('out', code);
/** nonceKey keeps the join's nonce until the token arrives, so that a join
 * sent again (its welcome lost) gets the same participant. */
export const nonceKey = (code) => key('nonce', code);

/** newNonce returns 32 random URL-safe characters. */
export function newNonce() {
  const b = new Uint8Array(24);
  crypto.getRandomValues(b);
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_');
}
export const draftKey = (code, step, id) => key('draft', code, step, id || '');
export const sharedKey = (code, step, id) => key('shared', code, step, id || '');
/** annKey keeps the id of the organizer's announcement the person put away. */
export const annKey = (code) => key('ann', code);

/** forgetRoom removes everything the phone kept about a room. */
export function forgetRoom(code) {
  const mine = PREFIX;
  try {
    const doomed = [];
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (!k.startsWith(mine)) continue;
      const parts = k.split('.');
      if (parts[2] === code) doomed.push(k);
    }
    for (const k of doomed) localStorage.removeItem(k);
  } catch { /* nothing kept */ }
}

/** forgetDrafts removes the drafts and shared texts of a room, not its token. */
export function forgetDrafts(code) {
  try {
    const doomed = [];
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      const parts = k.split('.');
      if (parts[0] + '.' === PREFIX && (parts[1] === 'draft' || parts[1] === 'shared') && parts[2] === code) doomed.push(k);
    }
    for (const k of doomed) localStorage.removeItem(k);
  } catch { /* nothing kept */ }
}

/**
 * Outbox keeps submissions until the server acknowledges them, so that a
 * reload or a lost connection loses nothing. Each item is {id, type, data}
 * and is resent with the same id; the server applies it once.
 */
export class Outbox {
  constructor(code) {
    this.k = outboxKey(code);
    this.items = load(this.k, []);
  }

  persist() { save(this.k, this.items.length ? this.items : null); }

  /**
   * put adds an item. Superseded items go: a newer answer to the same step
   * replaces an older unsent one, and a newer edit of an entry replaces an
   * older one (the server would ignore the older ver anyway).
   */
  put(item) {
    this.items = this.items.filter((o) => !supersedes(item, o));
    this.items.push(item);
    this.persist();
  }

  remove(id) {
    const before = this.items.length;
    this.items = this.items.filter((o) => o.id !== id);
    if (this.items.length !== before) this.persist();
  }

  get(id) { return this.items.find((o) => o.id === id); }

  pending(pred) { return this.items.filter(pred); }
}

function supersedes(n, o) {
  if (n.type !== o.type) return false;
  if (n.type === 'answer') return n.data.step === o.data.step;
  if (n.type === 'entry') return n.data.step === o.data.step && n.data.entry === o.data.entry && n.data.ver > o.data.ver;
  return false;
}
