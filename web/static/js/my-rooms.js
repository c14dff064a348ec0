// The rooms this browser created or opened as facilitator, so that the
// facilitator can always get back into a dashboard: /new lists them and a
// dashboard opened without its key finds it here. Kept in localStorage,
// in this browser only, with each room's facilitator key; a room can be
// forgotten. Everything goes through `rooms`, the one source /new and the
// dashboard read, so that a list kept by the server can take its place.

const STORE = 'sp.rooms';
const MAX = 60; // the oldest opened rooms are dropped beyond this

function read() {
  try {
    const list = JSON.parse(localStorage.getItem(STORE) || '[]');
    return Array.isArray(list) ? list.filter((r) => r && typeof r.room === 'string' && typeof r.key === 'string') : [];
  } catch {
    return [];
  }
}

function write(list) {
  try {
    localStorage.setItem(STORE, JSON.stringify(list.slice(0, MAX)));
    return true;
  } catch {
    return false; // private mode or full: the list is not kept
  }
}

const byOpened = (a, b) => String(b.opened || b.created || '').localeCompare(String(a.opened || a.created || ''));

/**
 * rooms is the browser's list. Each entry: {room, code, key, title, plan,
 * language, created, opened (ISO dates), ended, gone (the server no longer
 * has it)}.
 */
export const rooms = {
  /** list returns the entries, the most recently opened first. */
  list() { return read().sort(byOpened); },

  /** get returns the entry of a room, or null. */
  get(room) { return read().find((r) => r.room === room) || null; },

  /**
   * remember adds a room or updates what is known of it; fields left
   * undefined keep their value. Returns whether it could be kept.
   */
  remember(entry) {
    if (!entry || !entry.room) return false;
    const list = read();
    const i = list.findIndex((r) => r.room === entry.room);
    const old = i >= 0 ? list[i] : {};
    const next = { ...old };
    for (const [k, v] of Object.entries(entry)) if (v !== undefined) next[k] = v;
    if (!next.key) return false;
    if (i >= 0) list.splice(i, 1);
    list.unshift(next);
    return write(list.sort(byOpened));
  },

  /** forget removes a room from this browser's list. */
  forget(room) { return write(read().filter((r) => r.room !== room)); },
};

/** keyFromLink takes a facilitator key out of a pasted link or the key itself. */
export function keyFromLink(text) {
  const s = String(text || '').trim();
  const m = /[#&]key=([A-Za-z0-9]+)/.exec(s);
  if (m) return { key: m[1], room: (/\/f\/([A-Za-z0-9]+)/.exec(s) || [])[1] || '' };
  if (/^[A-Za-z0-9]{16,64}$/.test(s)) return { key: s, room: '' };
  return null;
}

/**
 * status asks the server where a room stands with its key: the answer of
 * GET /api/rooms/{room}, 'gone' when the server no longer has it, or null
 * when it cannot tell (offline, or the key is no longer valid).
 */
export async function status(entry) {
  try {
    const res = await fetch('/api/rooms/' + encodeURIComponent(entry.room), {
      headers: { Authorization: 'Bearer ' + entry.key }, cache: 'no-store',
    });
    if (res.status === 404) return 'gone';
    if (!res.ok) return null;
    return await res.json();
  } catch {
    return null;
  }
}
