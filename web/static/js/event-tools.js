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
  try {
    const body = {};
    if (text) body.text = text;
    if (move) body.step = step;
    const res = await orgFetch(org.key, api(org, '/announce'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) {
      const code = await errorCode(res);
      status(st, t(code === 'room_ended' ? 'org.closed_no_announce' : 'error.' + code), 'error');
      return;
    }
    const d = await res.json();
    const parts = [];
    if (text) parts.push(t('org.announced', { count: d.announced, n: number(d.announced) }));
    if (move) parts.push(t('org.moved', { count: d.moved, n: number(d.moved), step: step + 1 }));
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
    status(st, t('conn.cannot_reach'), 'error');
  } finally {
    btn.disabled = org.isClosed();
  }
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
