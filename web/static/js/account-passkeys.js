// The account page's passkeys: the account's list, each removable, and a
// form that adds one made on this device (or a phone nearby).

import { t, language } from './i18n.js';
import { h, $, clear } from './dom.js';
import { call } from './session.js';
import { supported, addPasskey } from './passkey.js';

let keys = [];

function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()) || d.getFullYear() < 2000) return '–';
  const lang = language() === 'en' ? 'en-GB' : language();
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

function status(text, kind = '') {
  const el = $('#passkeys-status');
  el.textContent = text;
  el.className = 'status' + (kind ? ' ' + kind : '');
}

/**
 * drawPasskeys draws the list in the page's language; after a change of
 * language (clearMessages) what was said in the old one goes.
 */
export function drawPasskeys(clearMessages = false) {
  if (clearMessages) {
    status('');
    $('#passkey-form [role="alert"]').hidden = true;
  }
  const list = clear($('#passkey-list'));
  if (!keys.length) {
    list.append(h('li', { class: 'row empty', text: t('passkeys.none') }));
    return;
  }
  for (const k of keys) {
    list.append(h('li', { class: 'row' },
      h('div', { class: 'row-text' },
        h('strong', { text: k.name }),
        h('span', { class: 'row-facts', text: [t('passkeys.added', { date: when(k.created) }), k.last_used ? t('passkeys.used', { date: when(k.last_used) }) : t('passkeys.not_used')].join(' · ') })),
      h('button', { type: 'button', class: 'secondary', text: t('passkeys.remove'),
        attrs: { 'aria-label': t('passkeys.remove_named', { name: k.name }) },
        on: { click: () => remove(k) } })));
  }
}

async function load() {
  const { status: code, data } = await call('GET', '/api/auth/passkeys');
  if (code !== 200) {
    status(t('error.' + (data.code || 'internal')), 'error');
    return;
  }
  keys = data.passkeys || [];
  drawPasskeys();
}

async function remove(k) {
  const { status: code, data } = await call('DELETE', '/api/auth/passkeys/' + encodeURIComponent(k.id));
  status(code === 204 ? t('passkeys.removed', { name: k.name }) : t('error.' + (data.code || 'internal')), code === 204 ? 'ok' : 'error');
  await load();
}

async function add(e) {
  e.preventDefault();
  const form = e.currentTarget;
  const err = form.querySelector('[role="alert"]');
  const input = $('#passkey-name');
  err.hidden = true;
  input.removeAttribute('aria-invalid');
  const name = input.value.trim();
  if (!name) {
    err.textContent = t('passkeys.name_needed');
    err.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  const { status: code, data } = await addPasskey(name);
  button.disabled = false;
  if (code === 201) {
    input.value = '';
    status(t('passkeys.added_now', { name }), 'ok');
    await load();
    return;
  }
  err.textContent = code === 0 ? t(data.code === 'exists' ? 'passkeys.exists' : 'passkeys.cancelled')
    : code === 401 ? t('passkeys.refused') : t('error.' + (data.code || 'internal'));
  err.hidden = false;
}

/**
 * startPasskeys fills the section: the list always, the form where this
 * browser and this address can make passkeys (me.passkeys: https or
 * localhost), else a note saying why not.
 */
export function startPasskeys(me) {
  const can = !!(me.passkeys && supported());
  $('#passkey-form').hidden = !can;
  $('#passkeys-unavailable').hidden = can;
  if (can) $('#passkey-form').addEventListener('submit', add);
  load();
}
