// The plan library (/plans): every plan the facilitator may use (built-in
// ones as templates, their own, those shared with the organisation), with
// search by title, language and length. Any plan can be copied (to adapt
// it in the editor), started as a room, or downloaded as YAML; one's own
// plans open in the editor.

import { init, t, extra, onChange, number, language } from './i18n.js';
import { h, $, clear } from './dom.js';
import { whoami, call, drawAccountBar } from './session.js';

extra('account');
extra('editor');

let plans = [];
let me = null;
let copying = '';

/** editable: the plan may be opened in the editor by this person. */
const editable = (p) => p.source === 'upload' && (p.mine || !me.accounts);

function minutes(p) { return Math.round((p.duration || 0) / 60); }

function matches(p) {
  const q = $('#lib-search').value.trim().toLowerCase();
  const lang = $('#lib-lang').value;
  const len = Number($('#lib-length').value || 0);
  if (q && !p.title.toLowerCase().includes(q) && !p.id.includes(q)) return false;
  if (lang && p.language !== lang) return false;
  if (len === 45 && minutes(p) > 45) return false;
  if (len === 90 && (minutes(p) <= 45 || minutes(p) > 90)) return false;
  if (len === 999 && minutes(p) <= 90) return false;
  return true;
}

/** slug makes a plan id from a title, unique enough with a random tail. */
function slug(title) {
  const base = title.toLowerCase().normalize('NFKD').replace(/[æ]/g, 'ae').replace(/[ø]/g, 'o').replace(/[å]/g, 'a')
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'plan';
  return `${base}-${Math.random().toString(36).slice(2, 6)}`;
}

function draw() {
  const list = clear($('#lib-list'));
  const shown = plans.filter(matches);
  $('#lib-status').textContent = t('lib.count', { count: shown.length, n: shown.length });
  for (const p of shown) list.append(row(p));
}

function badge(p) {
  const key = p.mine && !p.shared ? 'mine' : p.shared ? 'shared' : p.source || 'builtin';
  return h('span', { class: 'badge ' + (p.source === 'builtin' ? '' : 'info'), text: t('source.' + key) });
}

function row(p) {
  const titleId = 'lib-' + p.id;
  const actions = h('div', { class: 'lib-actions' },
    editable(p) ? h('a', { class: 'button primary', href: `/plans/${encodeURIComponent(p.id)}/edit`, text: t('lib.edit'),
      attrs: { 'aria-describedby': titleId } }) : null,
    h('button', { type: 'button', class: editable(p) ? 'secondary' : 'primary', text: t('lib.copy'),
      attrs: { 'aria-describedby': titleId, 'aria-expanded': copying === p.id ? 'true' : 'false' },
      on: { click: () => { copying = copying === p.id ? '' : p.id; draw(); if (copying) $('#copy-title').focus(); } } }),
    h('button', { type: 'button', class: 'secondary', text: t('lib.start'), attrs: { 'aria-describedby': titleId },
      on: { click: (e) => start(p, e.currentTarget) } }),
    h('a', { class: 'button secondary', href: `/plans/${encodeURIComponent(p.id)}/try`, text: t('lib.try'), attrs: { 'aria-describedby': titleId } }),
    h('a', { class: 'button secondary', href: `/api/plans/${encodeURIComponent(p.id)}/yaml`, download: p.id + '.yaml',
      text: t('new.download_yaml'), attrs: { 'aria-describedby': titleId } }));
  return h('li', { class: 'lib-item', data: { plan: p.id } },
    h('h2', { id: titleId, class: 'lib-title', attrs: { lang: p.language } }, p.title),
    h('p', { class: 'lib-meta' }, [t('planlang.' + p.language), t('new.minutes', { n: number(minutes(p)) }),
      t('new.steps', { count: p.steps, n: p.steps })].join(' · '), ' ', badge(p)),
    actions,
    copying === p.id ? copyForm(p) : null,
    h('p', { class: 'status', attrs: { role: 'status' } }));
}

function copyForm(p) {
  const err = h('p', { id: 'copy-error', class: 'field-error', attrs: { role: 'alert' }, hidden: true });
  const title = h('input', { id: 'copy-title', maxLength: 200, value: t('lib.copy_of', { title: p.title }), attrs: { 'aria-describedby': 'copy-error' } });
  const form = h('form', { class: 'lib-copy', attrs: { novalidate: true } },
    h('div', { class: 'field' }, h('label', { htmlFor: 'copy-title', text: t('lib.copy_title') }), title),
    h('button', { type: 'submit', class: 'primary', text: t('lib.copy_make') }), err);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = title.value.trim();
    if (!name) {
      err.textContent = t('edit.required');
      err.hidden = false;
      title.setAttribute('aria-invalid', 'true');
      title.focus();
      return;
    }
    const id = slug(name);
    const res = await call('POST', `/api/plans/${encodeURIComponent(p.id)}/copy`, { id, title: name });
    if (res.status !== 201) {
      err.textContent = t('error.' + (res.data.code || 'internal'));
      err.hidden = false;
      return;
    }
    location.assign(`/plans/${encodeURIComponent(id)}/edit`);
  });
  return form;
}

async function start(p, btn) {
  const status = btn.closest('li').querySelector('[role="status"]');
  btn.disabled = true;
  const res = await call('POST', '/api/rooms', { plan: p.id });
  btn.disabled = false;
  if (res.status === 201) {
    location.assign(res.data.facilitator_url);
    return;
  }
  status.textContent = res.status === 403 && /problems/.test(res.data.message || '') ? t('edit.cannot_start')
    : res.status === 401 ? t('new.signin_needed') : t('error.' + (res.data.code || 'internal'));
  status.className = 'status error';
}

/** newPlan starts an empty plan in the interface's language and opens it. */
async function newPlan(e) {
  e.preventDefault();
  const input = $('#new-title');
  const err = $('#new-error');
  const title = input.value.trim();
  err.hidden = true;
  input.removeAttribute('aria-invalid');
  if (!title) {
    err.textContent = t('edit.required');
    err.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  const id = slug(title);
  const lang = ['nb', 'da', 'en'].includes(language()) ? language() : 'nb';
  const plan = { id, title, language: lang, duration: 1800, steps: [{ kind: 'info', id: 'info-1', title: t('lib.first_step') }] };
  const res = await call('POST', `/api/plans/${encodeURIComponent(id)}/revisions`, { plan, base: 0 });
  if (res.status !== 201) {
    err.textContent = res.status === 401 ? t('new.signin_needed') : t('error.' + (res.data.code || 'internal'));
    err.hidden = false;
    return;
  }
  location.assign(`/plans/${encodeURIComponent(id)}/edit`);
}

async function boot() {
  await init();
  me = await whoami();
  drawAccountBar();
  const langs = h('option', { value: '', text: t('lib.any_language') });
  const sel = $('#lib-lang');
  sel.append(langs, ...['nb', 'nn', 'da', 'sv', 'en'].map((l) => h('option', { value: l, text: t('planlang.' + l) })));
  for (const id of ['#lib-search', '#lib-lang', '#lib-length']) $(id).addEventListener('input', draw);
  $('#lib-new').addEventListener('submit', newPlan);
  const res = await call('GET', '/api/plans');
  plans = res.data.plans || [];
  plans.sort((a, b) => Number(!!b.mine) - Number(!!a.mine) || a.title.localeCompare(b.title));
  draw();
  onChange(() => {
    langs.textContent = t('lib.any_language');
    for (const o of sel.querySelectorAll('option[value]:not([value=""])')) o.textContent = t('planlang.' + o.value);
    draw();
  });
}

boot();
