// Who is signed in, for the staff pages: the answer of /api/auth/me,
// the CSRF token every state-changing call carries, and the account line
// in the page header (sign in, or name, account and sign out).

import { t, onChange } from './i18n.js';
import { h, $, clear } from './dom.js';

let me = null;

/** whoami asks the server who is signed in (once per page, unless fresh). */
export async function whoami(fresh = false) {
  if (me && !fresh) return me;
  try {
    const res = await fetch('/api/auth/me', { cache: 'no-store' });
    me = res.ok ? await res.json() : { signed_in: false, providers: [] };
  } catch {
    me = { signed_in: false, providers: [], offline: true };
  }
  return me;
}

let keeping = 0;

/**
 * keepSignedIn asks who is signed in every keep_alive seconds while the
 * page is open, for pages in use for hours with few calls (a dashboard
 * lives on its websocket): the sign-in is not ended as idle under them.
 */
export function keepSignedIn() {
  if (keeping || !me || !me.signed_in || !me.keep_alive) return;
  keeping = setInterval(() => { whoami(true); }, me.keep_alive * 1000);
}

/** signedIn reports whether someone is signed in (after whoami). */
export const signedIn = () => !!(me && me.signed_in);

/** user is the signed-in user, or null. */
export const user = () => (me && me.signed_in ? me.user : null);

/**
 * authHeaders are the headers of a call that acts on a room: its key when
 * the page has one, else the signed-in session's CSRF token (the cookie
 * goes by itself).
 */
export function authHeaders(key) {
  if (key) return { Authorization: 'Bearer ' + key };
  return me && me.csrf ? { 'X-CSRF-Token': me.csrf } : {};
}

/** call sends a JSON request with the CSRF token and returns {status, data}. */
export async function call(method, path, body) {
  const headers = { ...authHeaders('') };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  let data = null;
  try { data = await res.json(); } catch { /* no body */ }
  return { status: res.status, data: data || {} };
}

/** signOut ends this browser's session and goes to the sign-in page. */
export async function signOut() {
  await call('POST', '/api/auth/signout').catch(() => {});
  location.assign('/signin');
}

/**
 * drawAccountBar fills the header's account place: the signed-in name
 * with links to the account page and to sign out, or a sign-in link when
 * the server has accounts or single sign-on.
 */
export function drawAccountBar() {
  const box = $('#account-bar');
  if (!box || !me) return;
  const draw = () => {
    clear(box);
    if (me.signed_in) {
      box.append(
        h('a', { class: 'account-name', href: '/account', text: me.user.name, attrs: { title: me.user.email } }),
        h('button', { type: 'button', class: 'link-button', text: t('account.sign_out'), on: { click: signOut } }));
    } else if (me.accounts || (me.providers && me.providers.length)) {
      box.append(h('a', { href: '/signin?next=' + encodeURIComponent(location.pathname), text: t('account.sign_in') }));
    }
  };
  draw();
  if (!box.dataset.wired) {
    box.dataset.wired = '1';
    onChange(draw);
  }
}
