// The organizer's tools on the event overview: an announcement to every
// room (optionally moving every room to a step), the cross-room report,
// closing the event and deleting everything now. The organizer key goes
// to the server only in the Authorization header.

import { h, $, clear, confirmDialog } from './dom.js';
import { t, number, language } from './i18n.js';
import { orgFetch, errorCode, saveBlob, forgetEventKey } from './eventkey.js';

const MAX_TEXT = 280;
const sentKey = (event) => 'sp.eann.' + event;

function loadSent(event) {
  try { return JSON.parse(sessionStorage.getItem(sentKey(event)) || '[]'); } catch { return []; }
}

function saveSent(event, list) {
  try { sessionStorage.setItem(sentKey(event), JSON.stringify(list.slice(0, 10))); } catch { /* not kept */ }
}

// An announcement being sent keeps its id until it has reached every
// room, so that sending it again (after an error, or after a reload)
// completes the rooms it missed and does not repeat it in the others.
const pendingKey = (event) => 'sp.eann.pending.' + event;

function loadPending(event) {
  try { return JSON.parse(sessionStorage.getItem(pendingKey(event)) || 'null'); } catch { return null; }
}

function savePending(event, p) {
  try {
    if (p) sessionStorage.setItem(pendingKey(event), JSON.stringify(p));
    else sessionStorage.removeItem(pendingKey(event));
  } catch { /* kept in memory only */ }
}

/** newAnnouncementID is 24 random hex digits. */
function newAnnouncementID() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * pendingFor returns the announcement to send: the one that did not reach
 * every room if the organizer sends the same again, else a new one.
 */
function pendingFor(org, text, step) {
  const p = org.pendingAnn || loadPending(org.event);
  if (p && p.text === text && p.step === step && typeof p.id === 'string') return p;
  return { id: newAnnouncementID(), text, step, moved: 0 };
}

function status(el, text, kind = '') {
  el.textContent = text;
  el.className = 'status' + (kind ? ' ' + kind : '');
}

const api = (org, path) => `/api/events/${encodeURIComponent(org.event)}${path}`;

/** stepTitle is the plan's title of step i, or "Step n". */
function stepTitle(org, i) {
  const s = org.plan && org.plan.steps && org.plan.steps[i];
  return s ? s.title : t('dash.step_n', { n: i + 1 });
}

/** setSteps fills the "move every room to" menu from the plan. */
export function setSteps(org) {
  const sel = $('#ann-step');
  const total = (org.plan && org.plan.steps && org.plan.steps.length) ||
    (org.ov && org.ov.rooms.length ? Math.max(...org.ov.rooms.map((r) => r.steps || 0)) : 0);
  const keep = sel.value;
  clear(sel);
  for (let i = 0; i < total; i++) {
    sel.append(h('option', { value: String(i), attrs: { lang: org.plan ? org.plan.language : undefined } },
      t('org.step_option', { n: i + 1, title: stepTitle(org, i) })));
  }
  if (keep && Number(keep) < total) sel.value = keep;
}

function drawCounter() {
  const n = $('#ann-text').value.length;
  $('#ann-count').textContent = t('answer.counter', { n: number(n), max: number(MAX_TEXT) });
}

function drawSent(org) {
  const list = loadSent(org.event);
  const ol = clear($('#ann-sent'));
  $('#ann-sent-box').hidden = !list.length;
  const fmt = new Intl.DateTimeFormat(language() === 'en' ? 'en-GB' : language(), { hour: '2-digit', minute: '2-digit' });
  for (const a of list) {
    const li = h('li', {}, h('span', { class: 'ann-time', text: fmt.format(new Date(a.at)) }), ' ');
    if (a.text) li.append(h('span', { class: 'ann-sent-text', text: a.text }));
    if (a.step !== undefined && a.step !== null) {
      li.append(h('span', { class: 'ann-moved', text: t('org.sent_moved', { n: a.step + 1 }) }));
    }
    ol.append(li);
  }
}

/**
 * drawTools follows the event's state (a closed event takes no
 * announcements); full redraws the texts too, after a language switch.
 */
export function drawTools(org, full = false) {
  const closed = org.isClosed();
  if (!full && closed === org.toolsClosed) return;
  org.toolsClosed = closed;
  for (const id of ['#ann-text', '#ann-move', '#ann-step', '#ann-send', '#close-btn']) $(id).disabled = closed;
  $('#close-hint').textContent = t(closed ? 'org.closed_hint' : 'org.close_hint');
  drawCounter();
  drawSent(org);
}

async function announceAll(org, e) {
  e.preventDefault();
  const st = $('#ann-status');
  const text = $('#ann-text').value.trim();
  const move = $('#ann-move').checked;
  const step = move ? Number($('#ann-step').value) : null;
  if (!text && !move) {
    status(st, t('org.announce_empty'), 'error');
    $('#ann-text').focus();
    return;
  }
  if (text.length > MAX_TEXT) {
    status(st, t('error.too_large'), 'error');
    return;
  }
  const rooms = org.ov ? org.ov.rooms.length : 0;
  let question;
  if (move && text) question = t('org.confirm_both', { count: rooms, n: number(rooms), step: step + 1, title: stepTitle(org, step) });
  else if (move) question = t('org.confirm_move', { count: rooms, n: number(rooms), step: step + 1, title: stepTitle(org, step) });
  else question = t('org.confirm_text', { count: rooms, n: number(rooms) });
  if (!(await confirmDialog(question, t('org.announce_send')))) return;
  const btn = $('#ann-send');
  btn.disabled = true;
  status(st, t('org.sending'), 'pending');
  const pending = pendingFor(org, text, step);
  org.pendingAnn = pending;
  savePending(org.event, pending);
  try {
    const body = { id: pending.id };
    if (text) body.text = text;
    if (move) body.step = step;
    const res = await orgFetch(org.key, api(org, '/announce'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    let d = null;
    try { d = await res.json(); } catch { /* no body */ }
    if (!res.ok) {
      if (d && Array.isArray(d.failed) && d.failed.length) {
        // Some rooms have it, some not: the same id again completes the rest.
        pending.moved = (pending.moved || 0) + (d.moved || 0);
        savePending(org.event, pending);
        const n = d.failed.length;
        status(st, t('org.announce_partial', { count: n, n: number(n), total: number(d.rooms || rooms) }), 'error');
        return;
      }
      const code = (d && d.code) || 'internal';
      if (!(d && d.retry)) forgetPending(org);
      status(st, t(code === 'room_ended' ? 'org.closed_no_announce' : 'error.' + code), 'error');
      return;
    }
    forgetPending(org);
    d = d || {};
    // Counted over every try of this announcement: the rooms that have
    // the text, and the rooms moved for it.
    const got = (d.announced || 0) + (d.already || 0);
    const moved = (pending.moved || 0) + (d.moved || 0);
    const parts = [];
    if (text) parts.push(t('org.announced', { count: got, n: number(got) }));
    if (move) parts.push(t('org.moved', { count: moved, n: number(moved), step: step + 1 }));
    status(st, parts.join(' '), 'ok');
    const list = loadSent(org.event);
    list.unshift({ text, step: move ? step : null, at: Date.now() });
    saveSent(org.event, list);
    $('#ann-text').value = '';
    $('#ann-move').checked = false;
    $('#ann-step-field').hidden = true;
    drawCounter();
    drawSent(org);
  } catch {
    // Perhaps sent, perhaps not: the same id goes with the next try.
    status(st, t('conn.cannot_reach'), 'error');
  } finally {
    btn.disabled = org.isClosed();
  }
}

function forgetPending(org) {
  org.pendingAnn = null;
  savePending(org.event, null);
}

async function exportReport(org) {
  const st = $('#export-status');
  const format = (document.querySelector('input[name="format"]:checked') || {}).value || 'md';
  const all = $('#include-all').checked;
  status(st, t('common.loading'));
  try {
    const res = await orgFetch(org.key, api(org, `/report?format=${format}${all ? '&include=all' : ''}`));
    if (!res.ok) throw new Error(String(res.status));
    await saveBlob(res, `stoppunkt-event-${org.event}.${format}`);
    status(st, t('roomp.downloaded'), 'ok');
  } catch {
    status(st, t('roomp.download_failed'), 'error');
  }
}

async function closeEvent(org) {
  const st = $('#finish-status');
  const rooms = org.ov ? org.ov.rooms.length : 0;
  if (!(await confirmDialog(t('org.close_confirm', { count: rooms, n: number(rooms) }), t('org.close'), true))) return;
  $('#close-btn').disabled = true;
  status(st, t('org.closing'), 'pending');
  try {
    const res = await orgFetch(org.key, api(org, '/close'), { method: 'POST' });
    if (res.status !== 204) {
      status(st, t('error.' + (await errorCode(res))), 'error');
      $('#close-btn').disabled = false;
      return;
    }
    org.closed = true;
    status(st, t('org.closed_done'), 'ok');
    drawTools(org, true);
    const badge = $('#event-state');
    badge.textContent = t('org.closed');
    badge.className = 'badge danger';
  } catch {
    status(st, t('conn.cannot_reach'), 'error');
    $('#close-btn').disabled = false;
  }
}

async function deleteEvent(org) {
  const st = $('#finish-status');
  if (!(await confirmDialog(t('org.delete_confirm'), t('org.delete'), true))) return;
  $('#delete-btn').disabled = true;
  status(st, t('org.deleting'), 'pending');
  try {
    const res = await orgFetch(org.key, api(org, ''), { method: 'DELETE' });
    if (res.status !== 204) {
      status(st, t('org.delete_failed'), 'error');
      $('#delete-btn').disabled = false;
      return;
    }
    org.conn.stop();
    forgetEventKey(org.event);
    try { sessionStorage.removeItem(sentKey(org.event)); } catch { /* nothing kept */ }
    forgetPending(org);
    org.gone('org.deleted_title', 'org.deleted_text');
  } catch {
    status(st, t('org.delete_failed'), 'error');
    $('#delete-btn').disabled = false;
  }
}

export function wireTools(org) {
  $('#ann-text').addEventListener('input', drawCounter);
  $('#ann-move').addEventListener('change', (e) => { $('#ann-step-field').hidden = !e.target.checked; });
  $('#ann-form').addEventListener('submit', (e) => announceAll(org, e));
  $('#export-btn').addEventListener('click', () => exportReport(org));
  $('#close-btn').addEventListener('click', () => closeEvent(org));
  $('#delete-btn').addEventListener('click', () => deleteEvent(org));
  drawTools(org, true);
}
