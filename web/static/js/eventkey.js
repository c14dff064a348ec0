// The organizer key of a conference event, for the overview (/e/EVENT) and
// the printable sheet (/e/EVENT/sheet). The key comes in the address's
// fragment, which browsers never send to the server; it is kept in this
// tab's session storage and taken out of the address bar, where a shared
// screen would show it. It goes to the server only in the Authorization
// header and in the organizer's hello.

const storeKey = (event) => 'sp.ekey.' + event;

/** eventFromPath is the event id of /e/EVENT and /e/EVENT/sheet. */
export const eventFromPath = () => decodeURIComponent(location.pathname.split('/')[2] || '');

/** readEventKey takes the key from the fragment, else from session storage. */
export function readEventKey(event) {
  const m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (m) {
    const key = decodeURIComponent(m[1]);
    try { sessionStorage.setItem(storeKey(event), key); } catch { /* private mode */ }
    history.replaceState(null, '', location.pathname);
    return key;
  }
  try { return sessionStorage.getItem(storeKey(event)) || ''; } catch { return ''; }
}

/**
 * keyFromAccount finds the key of an event the signed-in account owns,
 * for an overview opened without one (from a bookmark, on another
 * device); '' when nobody is signed in or the event is not theirs.
 */
export async function keyFromAccount(event) {
  try {
    const res = await fetch('/api/my/rooms', { cache: 'no-store' });
    if (!res.ok) return '';
    const { rooms } = await res.json();
    const own = (rooms || []).find((r) => r.kind === 'event' && r.id === event && r.key);
    if (!own) return '';
    try { sessionStorage.setItem(storeKey(event), own.key); } catch { /* private mode */ }
    return own.key;
  } catch {
    return '';
  }
}

/** forgetEventKey removes the kept key (after the event was deleted). */
export function forgetEventKey(event) {
  try { sessionStorage.removeItem(storeKey(event)); } catch { /* nothing kept */ }
}

/**
 * orgFetch calls the event's REST API with the organizer key. It resolves
 * with the response; it never puts the key in a URL.
 */
export function orgFetch(key, path, opts = {}) {
  return fetch(path, { cache: 'no-store', ...opts, headers: { ...(opts.headers || {}), Authorization: 'Bearer ' + key } });
}

/** errorCode reads the code of a REST error body, or falls back. */
export async function errorCode(res, fallback = 'internal') {
  try {
    const body = await res.json();
    return (body && body.code) || fallback;
  } catch {
    return fallback;
  }
}

/** saveBlob offers a response's body as a download with the given name. */
export async function saveBlob(res, name) {
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 30000);
}
