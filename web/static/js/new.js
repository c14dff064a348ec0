// The facilitator's start page (/new): choose a plan (or upload one),
// create a room, and copy its links. The facilitator key is shown here
// once, inside the facilitator link, and kept in this browser's list of
// rooms ("Your rooms", my-rooms.js), from which it can be forgotten. The same
// page creates a conference event: many rooms from one plan at once, with
// the organizer's links to the overview and the printable sheet, whose key
// is likewise shown only here.

import { init, t, onChange, number, extra } from './i18n.js';
import { h, $, clear, copyText } from './dom.js';
import { rooms } from './my-rooms.js';
import { drawMyRooms, refreshMyRooms } from './new-rooms.js';
import { whoami, signedIn, authHeaders, drawAccountBar } from './session.js';
import { loadAccountRooms, drawAccountRooms } from './new-account-rooms.js';

extra('account');

let plans = [];
let chosen = '';

const MAX_ROOMS = 1000;
const MAX_ROOM_NAME = 60;

const mode = () => (document.querySelector('input[name="mode"]:checked') || {}).value || 'room';
const roomsHow = () => (document.querySelector('input[name="rooms-how"]:checked') || {}).value || 'count';

function accessHeaders() {
  const code = $('#access-code').value.trim();
  return code ? { Authorization: 'Bearer ' + code } : authHeaders('');
}

/** drawRooms draws "Your rooms": the account's when signed in, else this browser's. */
const drawRooms = () => (signedIn() ? drawAccountRooms() : drawMyRooms());

async function api(method, path, body, headers = {}) {
  const res = await fetch(path, { method, body, headers: { ...headers, ...accessHeaders() } });
  let data = null;
  try { data = await res.json(); } catch { /* empty body */ }
  return { status: res.status, data: data || {} };
}

/** needAccess opens the access-code field after a 401. */
function needAccess(errEl) {
  const signin = $('#signin-needed');
  if (!signin.hidden || signedIn()) {
    // The server has accounts (or the sign-in ran out): sign in.
    signin.hidden = false;
    errEl.textContent = t('new.signin_needed');
    errEl.hidden = false;
    signin.querySelector('a').focus();
    return;
  }
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
        h('span', { class: 'plan-title', id: 'plan-title-' + p.id, attrs: { lang: p.language } }, p.title),
        h('span', { class: 'plan-meta' },
          [t('planlang.' + p.language), t('new.minutes', { n: number(minutes) }), t('new.steps', { count: p.steps, n: p.steps })].join(' · '),
          ' ', h('span', { class: 'badge ' + (p.source === 'builtin' ? '' : 'info'), text: t('source.' + (p.mine && !p.shared ? 'mine' : p.shared ? 'shared' : p.source || 'builtin')) }))),
      h('p', { class: 'plan-yaml' }, h('a', { href: `/api/plans/${encodeURIComponent(p.id)}/yaml`, download: p.id + '.yaml',
        text: t('new.download_yaml'), attrs: { 'aria-describedby': 'plan-title-' + p.id } }))));
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
  const share = signedIn() && $('#upload-share').checked ? '?shared=true' : '';
  const { status, data } = await api('POST', '/api/plans' + share, src, { 'Content-Type': 'application/yaml' });
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
  if (mode() === 'event') {
    createEvent(err);
    return;
  }
  const btn = $('#create-btn');
  btn.disabled = true;
  try {
    const { status, data } = await api('POST', '/api/rooms', JSON.stringify({ plan: chosen, forget_after_report: $('#forget-after').checked }), { 'Content-Type': 'application/json' });
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
  const p = plans.find((x) => x.id === chosen);
  const now = new Date().toISOString();
  if (signedIn()) loadAccountRooms();
  else {
    // Without an account, this browser's list is the way back in.
    rooms.remember({ room: room.room, code: room.code, key: room.key, title: p ? p.title : '', plan: chosen,
      language: p ? p.language : '', created: now, opened: now, ended: false, gone: false });
    drawMyRooms();
  }
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

/** fieldError marks a field as wrong and says why, next to the button. */
function fieldError(err, input, text) {
  err.textContent = text;
  err.hidden = false;
  input.setAttribute('aria-invalid', 'true');
  input.focus();
}

/** eventRequest reads the event fields into a request body, or says what is wrong. */
function eventRequest(err) {
  const body = { plan: chosen, name: $('#event-name').value.trim(), forget_after_report: $('#forget-after').checked };
  if (roomsHow() === 'count') {
    const input = $('#rooms-count');
    const n = Number(input.value);
    if (!Number.isInteger(n) || n < 1 || n > MAX_ROOMS) {
      fieldError(err, input, t('new.event_count_invalid', { max: number(MAX_ROOMS) }));
      return null;
    }
    body.rooms = n;
    return body;
  }
  const input = $('#rooms-names');
  const names = input.value.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (!names.length) {
    fieldError(err, input, t('new.event_names_empty'));
    return null;
  }
  if (names.length > MAX_ROOMS) {
    fieldError(err, input, t('new.event_count_invalid', { max: number(MAX_ROOMS) }));
    return null;
  }
  const seen = new Set();
  for (let i = 0; i < names.length; i++) {
    if ([...names[i]].length > MAX_ROOM_NAME) {
      fieldError(err, input, t('new.event_name_long', { n: i + 1, max: MAX_ROOM_NAME }));
      return null;
    }
    const k = names[i].toLowerCase();
    if (seen.has(k)) {
      fieldError(err, input, t('new.event_name_twice', { name: names[i] }));
      return null;
    }
    seen.add(k);
  }
  body.room_names = names;
  return body;
}

async function createEvent(err) {
  for (const id of ['#rooms-count', '#rooms-names']) $(id).removeAttribute('aria-invalid');
  const body = eventRequest(err);
  if (!body) return;
  const btn = $('#create-btn');
  const st = $('#create-status');
  btn.disabled = true;
  const n = body.rooms || body.room_names.length;
  st.textContent = t('new.event_creating', { count: n, n: number(n) });
  try {
    const { status, data } = await api('POST', '/api/events', JSON.stringify(body), { 'Content-Type': 'application/json' });
    st.textContent = '';
    if (status === 401) {
      needAccess(err);
      return;
    }
    if (status !== 201) {
      err.textContent = t(status === 400 && data.code === 'invalid' ? 'new.event_invalid' : 'error.' + (data.code || 'internal'));
      err.hidden = false;
      return;
    }
    showEvent(data);
    if (signedIn()) loadAccountRooms();
  } catch {
    st.textContent = '';
    err.textContent = t('conn.cannot_reach');
    err.hidden = false;
  } finally {
    btn.disabled = false;
  }
}

function showEvent(ev) {
  $('#created-event-name').textContent = ev.name;
  const n = (ev.rooms || []).length;
  $('#created-event-rooms').textContent = t('new.event_rooms_made', { count: n, n: number(n) });
  $('#overview-link').value = ev.overview_url;
  $('#sheet-link').value = ev.sheet_url;
  $('#open-overview').href = ev.overview_url;
  $('#open-sheet').href = ev.sheet_url;
  $('#create-form').hidden = true;
  const box = $('#event-created');
  box.hidden = false;
  box.focus();
}

function drawMode() {
  const ev = mode() === 'event';
  $('#event-fields').hidden = !ev;
  $('#create-btn').textContent = t(ev ? 'new.create_event' : 'new.create');
  const names = roomsHow() === 'names';
  $('#rooms-count-field').hidden = names;
  $('#rooms-names-field').hidden = !names;
}

async function boot() {
  await init();
  onChange(() => { drawPlans(); drawMode(); drawRooms(); });
  $('#create-form').addEventListener('submit', create);
  $('#upload-btn').addEventListener('click', upload);
  for (const r of document.querySelectorAll('input[name="mode"], input[name="rooms-how"]')) r.addEventListener('change', drawMode);
  for (const id of ['#rooms-count', '#rooms-names']) $(id).addEventListener('input', (e) => e.target.removeAttribute('aria-invalid'));
  for (const btn of document.querySelectorAll('button.copy')) {
    btn.addEventListener('click', async () => {
      const input = $('#' + btn.dataset.copy);
      const ok = await copyText(input.value, input);
      btn.closest('section').querySelector('[role="status"]').textContent = t(ok ? 'common.copied' : 'common.copy_failed');
    });
  }
  drawMode();
  const me = await whoami();
  drawAccountBar();
  if (me.signed_in) {
    $('#access').hidden = true;
    $('#upload-share-field').hidden = false;
    loadAccountRooms();
  } else {
    $('#signin-needed').hidden = !me.accounts;
    // A fresh server offers its first administrator to whoever opens /new
    // on the server's own machine; rooms can be made meanwhile, as before.
    $('#first-admin').hidden = !me.setup;
    drawMyRooms();
    refreshMyRooms();
  }
  loadPlans();
}

boot();
