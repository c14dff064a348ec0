// A way into a dashboard opened without its key (from the browser's
// history, say): the room's key from this browser's list of rooms, or else
// a form to paste the facilitator link or key, instead of a dead end.

import { $ } from './dom.js';
import { t } from './i18n.js';
import { rooms, keyFromLink } from './my-rooms.js';

const sessionKey = (room) => 'sp.key.' + room;

/**
 * readKey finds the facilitator key of the room: in the address (then
 * removed from it, where a shared screen would show it), in this tab's
 * memory, or in this browser's list of rooms.
 */
export function readKey(room) {
  const m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (m) {
    const key = decodeURIComponent(m[1]);
    try { sessionStorage.setItem(sessionKey(room), key); } catch { /* private mode */ }
    history.replaceState(null, '', location.pathname);
    return key;
  }
  try {
    const key = sessionStorage.getItem(sessionKey(room));
    if (key) return key;
  } catch { /* private mode */ }
  const known = rooms.get(room);
  return known && !known.gone ? known.key : '';
}

/** forgetKey drops the tab's copy of the key, after a refusal. */
export function forgetKey(room) {
  try { sessionStorage.removeItem(sessionKey(room)); } catch { /* nothing kept */ }
}

/**
 * askToSignInAgain tells a dashboard opened by its account that the
 * sign-in has ended. Nothing typed was wrong: the way back is to sign in
 * again, offered first; the link or key stays possible below it.
 */
export function askToSignInAgain(room) {
  askForKey(room, '', true);
  for (const [sel, key] of [['#enter-title', 'dash.signed_out_title'], ['#enter-text', 'dash.enter_signed_out'], ['#enter-signin-link', 'dash.signin_again']]) {
    $(sel).dataset.i18n = key;
    $(sel).textContent = t(key);
  }
  $('#enter-form').before($('#enter-signin'));
  $('#enter-form button[type="submit"]').className = 'secondary';
  const link = $('#enter-signin-link');
  link.className = 'button primary';
  link.focus();
}

/**
 * askForKey shows the form that takes a facilitator link or key, with an
 * error when one was given and refused. A link to another room opens that
 * room's dashboard.
 */
export function askForKey(room, errorKey = '', offerSignIn = false) {
  document.body.classList.add('no-room');
  if (offerSignIn) {
    $('#enter-signin').hidden = false;
    $('#enter-signin-link').href = '/signin?next=' + encodeURIComponent(location.pathname);
  }
  $('#main').hidden = true;
  $('#gone').hidden = true;
  $('#enter').hidden = false;
  const err = $('#enter-error');
  const input = $('#enter-key');
  const fail = (key) => {
    err.textContent = t(key);
    err.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  };
  if (errorKey) fail(errorKey);
  else $('#enter-title').focus();
  const form = $('#enter-form');
  if (form.dataset.wired) return;
  form.dataset.wired = '1';
  input.addEventListener('input', () => { err.hidden = true; input.removeAttribute('aria-invalid'); });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const got = keyFromLink(input.value);
    if (!got) {
      fail('dash.enter_invalid');
      return;
    }
    const target = got.room || room;
    location.replace(`/f/${target}#key=${encodeURIComponent(got.key)}`);
    if (target === room) location.reload();
  });
}
