// The facilitator's start page (/new): choose a plan (or upload one),
// create a room, and copy its links. The facilitator key is shown here
// once, inside the facilitator link; the page keeps it nowhere.

import { init, t, onChange, number } from './i18n.js';
import { h, $, clear, copyText } from './dom.js';

let plans = [];
let chosen = '';

function accessHeaders() {
  const code = $('#access-code').value.trim();
  return code ? { Authorization: 'Bearer ' + code } : {};
}

async function api(method, path, body, headers = {}) {
  const res = await fetch(path, { method, body, headers: { ...headers, ...accessHeaders() } });
  let data = null;
  try { data = await res.json(); } catch { /* empty body */ }
  return { status: res.status, data: data || {} };
}

/** needAccess opens the access-code field after a 401. */
function needAccess(errEl) {
  const details = $('#access');
  details.open = true;
  errEl.textContent = t('new.need_access');
  errEl.hidden = false;
  $('#access-code').focus();
}

async function loadPlans(select) {
  const status = $('#plans-status');
  status.textContent = t('common.loading');
  try {
    const { status: code, data } = await api('GET', '/api/plans');
    if (code !== 200) throw new Error(String(code));
    plans = data.plans || [];
    status.textContent = plans.length ? '' : t('new.no_plans');
    if (select) chosen = select;
    else if (!chosen && plans.length) chosen = plans[0].id;
    drawPlans();
  } catch {
    status.textContent = t('new.plans_failed');
  }
}

function drawPlans() {
  const list = clear($('#plan-list'));
  for (const p of plans) {
    const id = 'plan-' + p.id;
    const radio = h('input', { type: 'radio', name: 'plan', id, value: p.id, checked: p.id === chosen,
      on: { change: () => { chosen = p.id; } } });
    const minutes = Math.round((p.duration || 0) / 60);
    list.append(h('div', { class: 'plan-option' }, radio,
      h('label', { htmlFor: id },
        h('span', { class: 'plan-title', attrs: { lang: p.language } }, p.title),
        h('span', { class: 'plan-meta' },
          [t('planlang.' + p.language), t('new.minutes', { n: number(minutes) }), t('new.steps', { count: p.steps, n: p.steps })].join(' · '),
          ' ', h('span', { class: 'badge ' + (p.source === 'builtin' ? '' : 'info'), text: t('source.' + (p.source || 'builtin')) })))));
  }
}

async function upload() {
  const out = clear($('#upload-result'));
  const file = $('#plan-file').files[0];
  if (!file) {
    out.append(h('p', { class: 'field-error', text: t('new.upload_none') }));
    return;
  }
  const src = await file.text();
  const { status, data } = await api('POST', '/api/plans', src, { 'Content-Type': 'application/yaml' });
  if (status === 201) {
    out.append(h('p', { class: 'status ok', text: t('new.upload_ok', { title: data.title }) }));
    await loadPlans(data.id);
    return;
  }
  if (status === 401) {
    const p = h('p', { class: 'field-error' });
    out.append(p);
    needAccess(p);
    return;
  }
  out.append(h('p', { class: 'field-error', text: t(status === 422 ? 'new.upload_invalid' : 'error.' + (data.code || 'internal')) }));
  if (data.problems && data.problems.length) {
    out.append(h('ul', { class: 'problems' }, data.problems.map((pr) =>
      h('li', {}, h('code', {}, `${pr.line || '?'}:${pr.column || '?'}`), ' ', pr.field ? h('strong', {}, pr.field) : '', pr.field ? ': ' : '', pr.message))));
  }
}

async function create(e) {
  e.preventDefault();
  const err = $('#create-error');
  err.hidden = true;
  if (!chosen) {
    err.textContent = t('new.choose_first');
    err.hidden = false;
    return;
  }
  const btn = $('#create-btn');
  btn.disabled = true;
  try {
    const { status, data } = await api('POST', '/api/rooms', JSON.stringify({ plan: chosen }), { 'Content-Type': 'application/json' });
    if (status === 401) {
      needAccess(err);
      return;
    }
    if (status !== 201) {
      err.textContent = t('error.' + (data.code || 'internal'));
      err.hidden = false;
      return;
    }
    showCreated(data);
  } catch {
    err.textContent = t('conn.cannot_reach');
    err.hidden = false;
  } finally {
    btn.disabled = false;
  }
}

function showCreated(room) {
  $('#created-code').textContent = room.code;
  $('#join-link').value = room.join_url;
  $('#fac-link').value = room.facilitator_url;
  $('#open-dashboard').href = room.facilitator_url;
  $('#open-screen').href = room.presenter_url;
  $('#create-form').hidden = true;
  const box = $('#created');
  box.hidden = false;
  box.focus();
}

async function boot() {
  await init();
  onChange(drawPlans);
  $('#create-form').addEventListener('submit', create);
  $('#upload-btn').addEventListener('click', upload);
  for (const btn of document.querySelectorAll('button.copy')) {
    btn.addEventListener('click', async () => {
      const input = $('#' + btn.dataset.copy);
      const ok = await copyText(input.value, input);
      $('#copy-status').textContent = t(ok ? 'common.copied' : 'common.copy_failed');
    });
  }
  loadPlans();
}

boot();
