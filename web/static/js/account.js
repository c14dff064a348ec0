// The account page (/account): who is signed in and their sessions, each
// of which can be ended; for administrators also the people on the server
// (invitations, roles, disabling) and the audit log.

import { init, t, extra, onChange, language } from './i18n.js';
import { h, $, clear, copyText } from './dom.js';
import { whoami, call, drawAccountBar } from './session.js';
import { startPasskeys, drawPasskeys } from './account-passkeys.js';

extra('account');

let me = null;
let users = [];
let audit = [];
let auditNext = 0;

function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()) || d.getFullYear() < 2000) return '–';
  const lang = language() === 'en' ? 'en-GB' : language();
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

async function loadSessions() {
  const { status, data } = await call('GET', '/api/auth/sessions');
  const list = clear($('#sessions'));
  if (status !== 200) {
    $('#sessions-status').textContent = t('error.' + (data.code || 'internal'));
    return;
  }
  for (const s of data.sessions || []) {
    const how = method(s.method);
    const label = s.agent || t('account.unknown_browser');
    list.append(h('li', { class: 'row' },
      h('div', { class: 'row-text' },
        h('strong', {}, label, s.current ? h('span', { class: 'badge ok', text: t('account.this_browser') }) : null),
        h('span', { class: 'row-facts', text: [how, t('account.since', { date: when(s.created) }), t('account.last_seen', { date: when(s.last_seen) })].join(' · ') })),
      h('button', { type: 'button', class: 'secondary', text: s.current ? t('account.sign_out') : t('account.end_session'),
        attrs: { 'aria-label': s.current ? undefined : t('account.end_session_of', { name: label, date: when(s.created) }) },
        on: { click: async () => {
          const res = await call('DELETE', '/api/auth/sessions/' + encodeURIComponent(s.id));
          if (s.current) { location.assign('/signin'); return; }
          $('#sessions-status').textContent = res.status === 204 ? t('account.session_ended') : t('error.' + (res.data.code || 'internal'));
          loadSessions();
        } } })));
  }
}

async function loadUsers() {
  const { status, data } = await call('GET', '/api/admin/users');
  if (status !== 200) return;
  users = data.users || [];
  drawUsers();
}

function drawUsers() {
  const list = clear($('#users'));
  for (const u of users) {
    const self = u.id === me.user.id;
    const roleId = 'role-' + u.id;
    const role = h('select', { id: roleId, disabled: self || u.disabled,
      on: { change: (e) => change(u, { role: e.target.value }) } },
    ['facilitator', 'admin'].map((r) => h('option', { value: r, selected: u.role === r, text: t('role.' + r) })));
    const how = method(u.provider ? 'oidc:' + u.provider : 'password');
    list.append(h('li', { class: 'row' + (u.disabled ? ' disabled' : '') },
      h('div', { class: 'row-text' },
        h('strong', { text: u.name }), u.disabled ? h('span', { class: 'badge danger', text: t('admin.disabled') }) : null,
        h('span', { class: 'row-facts', text: [u.email, how, t('admin.last_sign_in', { date: when(u.last_sign_in) })].join(' · ') })),
      h('div', { class: 'row-actions' },
        h('label', { class: 'sr-only', htmlFor: roleId, text: t('admin.role_of', { name: u.name }) }), role,
        self ? null : h('button', { type: 'button', class: 'secondary', text: t(u.disabled ? 'admin.enable' : 'admin.disable'),
          attrs: { 'aria-label': t(u.disabled ? 'admin.enable_who' : 'admin.disable_who', { name: u.name }) },
          on: { click: () => change(u, { disabled: !u.disabled }) } }))));
  }
}

async function change(u, body) {
  const { status, data } = await call('PATCH', '/api/admin/users/' + encodeURIComponent(u.id), body);
  $('#users-status').textContent = status === 204 ? t('admin.saved', { name: u.name })
    : (/administrator/.test(data.message || '') ? t('admin.last_admin') : t('error.' + (data.code || 'internal')));
  await loadUsers();
}

async function invite(e) {
  e.preventDefault();
  const form = e.currentTarget;
  const err = form.querySelector('[role="alert"]');
  const email = $('#invite-email');
  err.hidden = true;
  email.removeAttribute('aria-invalid');
  if (!email.value.trim() || !email.validity.valid) {
    err.textContent = t('signin.email_invalid');
    err.hidden = false;
    email.setAttribute('aria-invalid', 'true');
    email.focus();
    return;
  }
  const { status, data } = await call('POST', '/api/admin/invites', { email: email.value.trim(), role: $('#invite-role').value });
  if (status !== 201) {
    err.textContent = status === 403 ? t('admin.has_account') : t('error.' + (data.code || 'internal'));
    err.hidden = false;
    return;
  }
  $('#invite-made').hidden = false;
  $('#invite-link').value = data.url;
  $('#invite-link-hint').textContent = t('admin.invite_made', { email: data.email, date: when(data.expires) });
  $('#invite-link').focus();
  $('#invite-link').select();
  loadAudit(true);
}

async function loadAudit(fresh) {
  if (fresh) { audit = []; auditNext = 0; }
  const q = auditNext ? `?before=${auditNext}&limit=100` : '?limit=100';
  const { status, data } = await call('GET', '/api/admin/audit' + q);
  if (status !== 200) return;
  audit = audit.concat(data.entries || []);
  auditNext = data.next || 0;
  drawAudit();
}

function drawAudit() {
  const body = clear($('#audit-rows'));
  for (const e of audit) {
    const what = t('audit.' + e.action);
    body.append(h('tr', {},
      h('td', { class: 'when', text: when(e.at) }),
      h('td', { text: e.actor_email || t('admin.audit_nobody') }),
      h('td', { text: what === 'audit.' + e.action ? e.action : what }),
      h('td', { text: targetOf(e) }),
      h('td', { text: e.addr || '' })));
  }
  $('#audit-more').hidden = !auditNext;
}

/** method names a way of signing in: "password", "passkey" or "oidc:<provider id>". */
function method(m) {
  if (m === 'password') return t('account.by_password');
  if (m === 'passkey') return t('account.by_passkey');
  const id = String(m || '').replace(/^oidc:/, '');
  const p = ((me && me.providers) || []).find((x) => x.id === id);
  return t('account.by_sso', { name: p ? p.label : id });
}

/** targetOf is what an audit entry was done to, in the reader's words. */
function targetOf(e) {
  if (e.action === 'sign_in' || (e.action === 'sign_in_failed' && /^(oidc:|passkey$)/.test(e.target || ''))) {
    const [how, who] = String(e.target || '').split(' ');
    return [method(how), who].filter(Boolean).join(' · ');
  }
  if (e.subject) return [e.target, e.part ? `${e.subject} (${t('part.' + e.part)})` : e.subject].filter(Boolean).join(' · ');
  return e.target || '';
}

let settings = null;

async function loadSettings() {
  const { status, data } = await call('GET', '/api/admin/settings');
  if (status !== 200) return;
  settings = data;
  $('#org-name').value = data.name || '';
  $('#org-help').value = (data.help_lines || []).join('\n');
  $('#org-days').value = data.retention_hours ? String(Math.round(data.retention_hours / 24)) : '';
  drawSettingsHints();
}

function drawSettingsHints() {
  if (!settings) return;
  const maxDays = Math.floor(settings.server_retention_hours / 24);
  const days = $('#org-days');
  days.max = String(maxDays);
  days.disabled = maxDays < 1;
  $('#org-days-hint').textContent = t('org.retention_hint', { max: maxDays });
  const server = settings.server_help_lines || [];
  $('#org-help-hint').textContent = t('org.help_hint') + (server.length ? ' ' + t('org.help_server', { lines: server.join('; ') }) : '');
}

async function saveSettings(e) {
  e.preventDefault();
  const form = e.currentTarget;
  const err = form.querySelector('[role="alert"]');
  const days = $('#org-days');
  err.hidden = true;
  days.removeAttribute('aria-invalid');
  const n = days.value.trim() === '' ? 0 : Number(days.value);
  const maxDays = settings ? Math.floor(settings.server_retention_hours / 24) : 0;
  if (!Number.isInteger(n) || n < 0 || n > maxDays) {
    err.textContent = t('org.retention_invalid', { max: maxDays });
    err.hidden = false;
    days.setAttribute('aria-invalid', 'true');
    days.focus();
    return;
  }
  const body = { name: $('#org-name').value.trim(), help_lines: $('#org-help').value.split('\n'), retention_hours: n * 24 };
  const { status, data } = await call('PUT', '/api/admin/settings', body);
  if (status !== 204) {
    err.textContent = /help lines/.test(data.message || '') ? t('org.help_invalid') : t('error.' + (data.code || 'internal'));
    err.hidden = false;
    return;
  }
  $('#org-status').textContent = t('org.saved');
  loadSettings();
  loadAudit(true);
}

function drawWho() {
  $('#account-who').textContent = t('account.who', { name: me.user.name, email: me.user.email, role: t('role.' + me.user.role) });
}

async function boot() {
  await init();
  me = await whoami();
  if (!me.signed_in) {
    location.replace('/signin?next=/account');
    return;
  }
  drawAccountBar();
  drawWho();
  loadSessions();
  startPasskeys(me);
  const admin = me.user.role === 'admin';
  $('#admin').hidden = !admin;
  $('#audit').hidden = !admin;
  $('#org').hidden = !admin;
  if (admin) {
    $('#org-form').addEventListener('submit', saveSettings);
    loadSettings();
    $('#invite-form').addEventListener('submit', invite);
    $('#invite-copy').addEventListener('click', async () => {
      const ok = await copyText($('#invite-link').value, $('#invite-link'));
      $('#invite-link-hint').textContent = t(ok ? 'common.copied' : 'common.copy_failed');
    });
    $('#audit-more').addEventListener('click', () => loadAudit(false));
    loadUsers();
    loadAudit(true);
  }
  onChange(() => { drawWho(); loadSessions(); drawPasskeys(true); if (admin) { drawUsers(); drawAudit(); drawSettingsHints(); } });
}

boot();
