// The sign-in page (/signin): single sign-on buttons and the password
// form; on a server without accounts, the first administrator's form
// (offered only on the server's own machine); with #invite=TOKEN, the
// invited person's own account; with #error=REASON, what went wrong with
// single sign-on. After signing in, the browser goes to ?next= or /new.

import { init, t, extra, onChange } from './i18n.js';
import { h, $, clear } from './dom.js';
import { whoami, signOut } from './session.js';
import { supported as passkeysSupported, signInWithPasskey } from './passkey.js';

extra('account');

const params = new URLSearchParams(location.search);
const hash = new URLSearchParams(location.hash.slice(1));
const next = (() => {
  const n = params.get('next') || '';
  return n.startsWith('/') && !n.startsWith('//') && !n.startsWith('/\\') ? n : '/new';
})();

let me = null;

function show(id) {
  for (const s of ['#signed-in', '#setup', '#invite', '#signin']) $(s).hidden = s !== id;
  const title = $(id).querySelector('h1');
  if (title) title.focus();
}

/** fail shows a form's error and marks the field it is about. */
function fail(form, text, field) {
  const err = form.querySelector('[role="alert"]');
  err.textContent = text;
  err.hidden = false;
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    field.setAttribute('aria-errormessage', err.id || '');
    field.focus();
  }
}

async function post(path, body) {
  try {
    const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    let data = {};
    try { data = await res.json(); } catch { /* no body */ }
    return { status: res.status, data };
  } catch {
    return { status: 0, data: { code: 'offline' } };
  }
}

/** errorText is the user's-language text for an API error. */
function errorText(status, data, form) {
  if (status === 0) return t('conn.cannot_reach');
  if (status === 429) return t('signin.paused');
  if (form === 'signin' && status === 401) return t('signin.wrong');
  if (status === 400 && /password/.test(data.message || '')) return t('signin.password_short');
  if (status === 400 && /e-mail/.test(data.message || '')) return t('signin.email_invalid');
  if (status === 400 && /name/.test(data.message || '')) return t('signin.name_invalid');
  if (status === 404 && form === 'invite') return t('signin.invite_gone');
  if (status === 403 && /account already/.test(data.message || '')) return t('signin.invite_exists');
  return t('error.' + (data.code || 'internal'));
}

/** checkPassword checks a new password before it is sent. */
function checkPassword(form, input) {
  if ([...input.value].length < 10) {
    fail(form, t('signin.password_short'), input);
    return false;
  }
  return true;
}

function drawProviders(box, withNext) {
  clear(box);
  for (const p of (me && me.providers) || []) {
    const href = `/auth/oidc/${encodeURIComponent(p.id)}` + (withNext ? `?next=${encodeURIComponent(next)}` : '');
    box.append(h('a', { class: 'button secondary provider', href, text: t('signin.with', { name: p.label }) }));
  }
}

/** passkeySignIn signs in with a passkey of this device or a phone. */
async function passkeySignIn() {
  const err = $('#passkey-error');
  err.hidden = true;
  $('#passkey-btn').disabled = true;
  const { status, data } = await signInWithPasskey();
  $('#passkey-btn').disabled = false;
  if (status === 200) { location.assign(next); return; }
  err.textContent = status === 0 && data.code === 'cancelled' ? t('signin.passkey_cancelled')
    : status === 401 ? t('signin.passkey_refused') : errorText(status, data, 'passkey');
  err.hidden = false;
}

function wire() {
  $('#signed-in-out').addEventListener('click', signOut);
  $('#passkey-btn').addEventListener('click', passkeySignIn);
  $('#signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const email = $('#signin-email');
    const pw = $('#signin-password');
    if (!email.value.trim()) { fail(form, t('signin.email_invalid'), email); return; }
    if (!pw.value) { fail(form, t('signin.wrong'), pw); return; }
    const { status, data } = await post('/api/auth/signin', { email: email.value.trim(), password: pw.value });
    if (status === 200) { location.assign(next); return; }
    pw.value = '';
    fail(form, errorText(status, data, 'signin'), status === 401 ? pw : null);
  });
  $('#setup-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const name = $('#setup-name');
    const email = $('#setup-email');
    const pw = $('#setup-password');
    if (!name.value.trim()) { fail(form, t('signin.name_invalid'), name); return; }
    if (!email.validity.valid || !email.value.trim()) { fail(form, t('signin.email_invalid'), email); return; }
    if (!checkPassword(form, pw)) return;
    const { status, data } = await post('/api/auth/setup', { name: name.value.trim(), email: email.value.trim(), password: pw.value });
    if (status === 200) { location.assign('/account'); return; }
    fail(form, errorText(status, data, 'setup'), null);
  });
  $('#invite-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const name = $('#invite-name');
    const pw = $('#invite-password');
    if (!name.value.trim()) { fail(form, t('signin.name_invalid'), name); return; }
    if (!checkPassword(form, pw)) return;
    const { status, data } = await post('/api/auth/invite', { token: hash.get('invite'), name: name.value.trim(), password: pw.value });
    if (status === 200) {
      history.replaceState(null, '', '/signin');
      location.assign('/new');
      return;
    }
    fail(form, errorText(status, data, 'invite'), null);
  });
}

async function draw() {
  const err = $('#signin-error');
  const reason = hash.get('error');
  err.hidden = !reason;
  if (reason) err.textContent = t('signin.error_' + reason);
  if (me.signed_in) {
    $('#signed-in-as').textContent = t('signin.signed_in_as', { name: me.user.name, email: me.user.email });
    show('#signed-in');
    return;
  }
  if (hash.get('invite')) {
    const res = await fetch('/api/auth/invite/' + encodeURIComponent(hash.get('invite')), { cache: 'no-store' }).catch(() => null);
    if (res && res.ok) {
      const inv = await res.json();
      $('#invite-for').textContent = t('signin.invite_for', { email: inv.email });
      const sso = $('#invite-sso');
      sso.hidden = !(me.providers && me.providers.length);
      drawProviders(sso.querySelector('.providers'), false);
      show('#invite');
      return;
    }
    err.textContent = t('signin.invite_gone');
    err.hidden = false;
  }
  const any = me.providers && me.providers.length;
  if (me.setup) {
    show('#setup');
    // With single sign-on set up, one may also sign in with it at once.
    if (any) {
      drawProviders($('#providers'), true);
      $('#signin').hidden = false;
      $('#signin-form').hidden = true;
      $('#signin-or').hidden = true;
    }
    return;
  }
  if (!me.accounts && !reason && !any) {
    err.textContent = t('signin.no_accounts_yet');
    err.hidden = false;
  }
  $('#signin-org').hidden = !me.org;
  if (me.org) $('#signin-org').textContent = me.org;
  drawProviders($('#providers'), true);
  const passkey = !!(me.passkeys && me.accounts && passkeysSupported());
  $('#passkey-box').hidden = !passkey;
  $('#signin-form').hidden = false;
  $('#signin-or').hidden = !any && !passkey;
  show('#signin');
}

async function boot() {
  await init();
  me = await whoami();
  wire();
  await draw();
  onChange(() => draw());
}

boot();
