// The organizer's live overview of a conference event (/e/EVENT#key=...):
// every room at a glance from the server's `overview` frame (the whole
// picture, once per connection) and `overview_changes` frames (the rooms
// that changed, at most two a second), totals, a filter and sorting, and
// the event's tools in event-tools.js. With hundreds of rooms the table
// is never rebuilt: each room has one row, keyed by its id, whose cells
// change only when their text does; rows are moved only when the order
// changes.

import { init, t, onChange, number, language } from './i18n.js';
import { Conn } from './conn.js';
import { showConnState } from './connstate.js';
import { h, $, clear, announce, TAKES, SHARED } from './dom.js';
import { formatTime } from './timer.js';
import { eventFromPath, readEventKey, keyFromAccount, orgFetch, forgetEventKey } from './eventkey.js';
import { wireTools, drawTools, setSteps } from './event-tools.js';

const org = {
  event: eventFromPath(),
  key: '',
  conn: null,
  ov: null,          // the latest overview
  plan: null,
  rows: new Map(),   // room id -> row
  order: [],         // room ids in the table's DOM order
  sort: { by: '', dir: 1 },
  filter: 'all',
  search: '',
  closed: false,     // this page closed the event (the overview follows)
  collator: null,
  wasLoaded: false,  // a room of the event has been seen loaded
  goneCheck: 0,      // when we last asked whether the event still exists
};

const WARNINGS = ['no_facilitator', 'idle', 'locked'];
// The event-level fields of `overview` and `overview_changes`.
const EVENT_FIELDS = ['event', 'name', 'plan', 'closed', 'participants'];

/** isClosed: the event was closed, or every room of it has ended. */
org.isClosed = () => {
  const ov = org.ov;
  if (org.closed || (ov && ov.closed)) return true;
  return !!(ov && ov.rooms.length && ov.rooms.every((r) => r.loaded && r.ended));
};

function gone(titleKey, textKey) {
  $('#main').hidden = true;
  $('#banner').hidden = true;
  $('#sheet-link').hidden = true;
  $('#gone').hidden = false;
  $('#gone-title').textContent = t(titleKey);
  $('#gone-text').textContent = t(textKey);
  $('#gone-title').focus();
}
org.gone = gone;

// ---- Rows -------------------------------------------------------------

/** put sets a text only when it changed, so that unchanged cells cost nothing. */
function put(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** none fills a cell that has nothing to show: a dash for the eye, words for the ear. */
function none(key) {
  return [h('span', { class: 'none', attrs: { 'aria-hidden': 'true' }, text: '–' }), h('span', { class: 'sr-only', text: t(key) })];
}

function makeRow(r, index) {
  const c = {
    name: h('th', { scope: 'row', class: 'room-name' }),
    status: h('td', { class: 'room-status' }),
    people: h('td', { class: 'num' }),
    facs: h('td', { class: 'num' }),
    step: h('td', { class: 'room-step' }),
    progress: h('td', { class: 'room-progress' }),
    timer: h('td', { class: 'room-timer' }),
    code: h('td', { class: 'room-code' }),
  };
  const row = { id: r.room, index, r, c, sig: '', stepSig: '', progSig: '', statusSig: '', timerSig: '', running: false };
  row.tr = h('tr', { data: { room: r.room } }, Object.values(c));
  return row;
}

function progressOf(r) {
  if (!r.loaded || r.ended) return null;
  const p = r.progress || {};
  if (p.step !== r.step) return null;
  if (SHARED.has(r.step_kind)) {
    if (!p.groups) return { text: t('org.no_groups'), ratio: 0 };
    return { text: t('dash.groups_progress', { submitted: p.submitted || 0, total: p.groups }), ratio: (p.submitted || 0) / p.groups };
  }
  if (TAKES.has(r.step_kind)) {
    return { text: t('dash.progress', { answered: p.answered || 0, total: p.participants || 0 }), ratio: p.participants ? (p.answered || 0) / p.participants : 0 };
  }
  return null;
}

function timerOf(r) {
  const tm = r.timer;
  if (!r.loaded || r.ended || !tm || tm.step !== r.step || !tm.duration_ms) return null;
  const left = tm.running ? Math.max(0, tm.ends_at - org.conn.now()) : tm.remaining_ms;
  let state = '';
  if (tm.expired || (tm.running && left <= 0)) state = t('timer.expired');
  else if (!tm.running && tm.remaining_ms < tm.duration_ms) state = t('timer.paused');
  else if (!tm.running) state = t('timer.not_started');
  return { time: formatTime(left), state, running: tm.running && left > 0, low: tm.running && left < 60000 };
}

function statusBadges(r) {
  if (!r.loaded) return [h('span', { class: 'badge', text: t('common.loading') })];
  if (r.ended) return [h('span', { class: 'badge', text: t('dash.ended') })];
  const w = r.warnings || [];
  if (!w.length) return [h('span', { class: 'badge ok', text: t('org.ok') })];
  return w.map((x) => h('span', { class: 'badge warn warning-badge', data: { warning: x }, text: t('org.w_' + x) }));
}

function updateRow(row, r, force) {
  const sig = JSON.stringify(r);
  row.r = r;
  if (!force && sig === row.sig) return;
  row.sig = sig;
  const c = row.c;
  put(c.name, r.name);
  put(c.code, r.code);
  put(c.people, r.loaded ? number(r.participants) : '');
  put(c.facs, r.loaded ? number(r.facilitators) : '');

  const stepSig = r.loaded ? `${r.step}|${r.steps}|${r.step_title}|${language()}` : '';
  if (force || stepSig !== row.stepSig) {
    row.stepSig = stepSig;
    clear(c.step);
    if (r.loaded) {
      c.step.append(h('span', { class: 'step-n', text: t('org.step_n', { n: r.step + 1, total: r.steps }) }), ' ',
        h('span', { class: 'step-title', attrs: { lang: org.plan ? org.plan.language : undefined }, text: r.step_title }));
    }
  }

  const p = progressOf(r);
  const progSig = p ? `${p.text}|${p.ratio}` : `-${r.loaded && !r.ended}|${language()}`;
  if (force || progSig !== row.progSig) {
    row.progSig = progSig;
    clear(c.progress);
    if (p) {
      const fill = h('span', { class: 'meter-fill' });
      fill.style.width = Math.round(Math.min(1, p.ratio) * 100) + '%';
      c.progress.append(h('span', { class: 'prog-text', text: p.text }), h('span', { class: 'meter', attrs: { 'aria-hidden': 'true' } }, fill));
    } else if (r.loaded && !r.ended) {
      c.progress.append(...none('org.no_progress'));
    }
  }

  const statusSig = `${r.loaded}|${r.ended}|${(r.warnings || []).join(',')}|${language()}`;
  if (force || statusSig !== row.statusSig) {
    row.statusSig = statusSig;
    clear(c.status).append(...statusBadges(r));
    row.tr.classList.toggle('has-warning', !!(r.loaded && !r.ended && (r.warnings || []).length));
    row.tr.classList.toggle('ended', !!r.ended);
  }
  drawTimer(row, force);
}

function drawTimer(row, force) {
  const tm = timerOf(row.r);
  row.running = !!(tm && tm.running);
  const sig = tm ? `${tm.time}|${tm.state}|${tm.low}` : `-${row.r.loaded && !row.r.ended}|${language()}`;
  if (!force && sig === row.timerSig) return;
  row.timerSig = sig;
  const c = row.c.timer;
  clear(c);
  c.classList.toggle('timer-low', !!(tm && tm.low));
  if (tm) {
    c.append(h('span', { class: 'timer-time', text: tm.time }));
    if (tm.state) c.append(' ', h('span', { class: 'timer-state', text: tm.state }));
  } else if (row.r.loaded && !row.r.ended) {
    c.append(...none('org.no_timer'));
  }
}

function tickTimers() {
  if (!org.conn) return;
  for (const row of org.rows.values()) if (row.running) drawTimer(row, false);
}

// ---- Filter and sort ---------------------------------------------------

function severity(r) {
  if (!r.loaded) return -1;
  if (r.ended) return -2;
  return (r.warnings || []).length;
}

function progressRatio(r) {
  const p = progressOf(r);
  return p ? p.ratio : -1;
}

const SORTS = {
  name: (a, b) => org.collator.compare(a.r.name, b.r.name),
  participants: (a, b) => a.r.participants - b.r.participants,
  facilitators: (a, b) => a.r.facilitators - b.r.facilitators,
  step: (a, b) => a.r.step - b.r.step,
  progress: (a, b) => progressRatio(a.r) - progressRatio(b.r),
  status: (a, b) => severity(a.r) - severity(b.r),
};
// The first click sorts names A to Z and everything else from the most.
const FIRST_DIR = { name: 1 };

function matches(r) {
  const f = org.filter;
  const w = r.loaded && !r.ended ? (r.warnings || []) : [];
  if (f === 'warnings' && !w.length) return false;
  if (WARNINGS.includes(f) && !w.includes(f)) return false;
  if (f === 'ended' && !r.ended) return false;
  if (f === 'active' && (r.ended || !r.loaded)) return false;
  if (org.search) {
    const q = org.search;
    const code = q.toUpperCase().replace(/[\s-]/g, '');
    if (!r.name.toLowerCase().includes(q.toLowerCase()) && !(code && r.code.includes(code))) return false;
  }
  return true;
}

function applyView() {
  const list = [...org.rows.values()];
  let shown = 0;
  for (const row of list) {
    const vis = matches(row.r);
    if (row.tr.hidden === vis) row.tr.hidden = !vis;
    if (vis) shown++;
  }
  const { by, dir } = org.sort;
  list.sort(by ? (a, b) => SORTS[by](a, b) * dir || a.index - b.index : (a, b) => a.index - b.index);
  const ids = list.map((r) => r.id);
  if (ids.length !== org.order.length || ids.some((id, i) => id !== org.order[i])) {
    const frag = document.createDocumentFragment();
    for (const row of list) frag.append(row.tr);
    $('#rooms-body').append(frag);
    org.order = ids;
  }
  put($('#shown-count'), t('org.shown', { shown: number(shown), total: number(list.length) }));
  $('#no-match').hidden = shown > 0 || list.length === 0;
  return shown;
}

function drawSortHeaders() {
  for (const th of document.querySelectorAll('#rooms-table th[data-sort]')) {
    if (th.dataset.sort === org.sort.by) th.setAttribute('aria-sort', org.sort.dir > 0 ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
}

// ---- Frames -------------------------------------------------------------

/** onOverview takes the whole picture: every room of the event, in order. */
function onOverview(ov) {
  const first = !org.ov;
  ov.rooms = ov.rooms || [];
  org.ov = ov;
  if (first || !org.plan || org.plan.id !== ov.plan) loadPlan(ov.plan);
  const seen = new Set();
  ov.rooms.forEach((r, i) => {
    seen.add(r.room);
    let row = org.rows.get(r.room);
    if (!row) {
      row = makeRow(r, i);
      org.rows.set(r.room, row);
    }
    row.index = i;
    updateRow(row, r, false);
  });
  for (const [id, row] of org.rows) {
    if (!seen.has(id)) {
      row.tr.remove();
      org.rows.delete(id);
    }
  }
  drawAll();
}

/**
 * onChanges applies an `overview_changes` frame: the event's fields, and
 * the rooms whose summary changed, each whole; other rooms stay as they are.
 */
function onChanges(ch) {
  const ov = org.ov;
  if (!ov) return; // the whole picture comes first
  for (const k of EVENT_FIELDS) if (k in ch) ov[k] = ch[k];
  for (const r of ch.rooms || []) {
    const row = org.rows.get(r.room);
    if (!row) continue; // rooms are fixed when the event is created
    ov.rooms[row.index] = r;
    updateRow(row, r, false);
  }
  drawAll();
}

function drawAll() {
  drawHeader();
  drawTotals();
  applyView();
  drawTools(org);
  checkDeleted(org.ov);
}

/**
 * checkDeleted: when every room that was there is gone, the event may have
 * been deleted from another tab; the overview cannot tell, so ask.
 */
async function checkDeleted(ov) {
  const loaded = ov.rooms.some((r) => r.loaded);
  if (loaded) {
    org.wasLoaded = true;
    return;
  }
  if (!org.wasLoaded || !ov.rooms.length || Date.now() - org.goneCheck < 10000) return;
  org.goneCheck = Date.now();
  try {
    const res = await orgFetch(org.key, `/api/events/${encodeURIComponent(org.event)}`);
    if (res.status === 404) {
      org.conn.stop();
      forgetEventKey(org.event);
      gone('org.deleted_title', 'org.deleted_text');
    }
  } catch { /* offline: the connection's state says so */ }
}

function drawHeader() {
  const ov = org.ov;
  if (!ov) return;
  put($('#event-name'), ov.name);
  document.title = `${ov.name} – ${t('org.page_title')}`;
  const st = $('#event-state');
  const closed = org.isClosed();
  put(st, t(closed ? 'org.closed' : 'org.running'));
  st.className = 'badge ' + (closed ? 'danger' : 'ok');
}

function drawTotals() {
  const ov = org.ov;
  if (!ov) return;
  const rooms = ov.rooms;
  const count = (pred) => rooms.filter(pred).length;
  const warn = (w) => count((r) => r.loaded && !r.ended && (r.warnings || []).includes(w));
  const items = [
    ['rooms', rooms.length, false],
    ['participants', ov.participants, false],
    ['active', count((r) => r.loaded && !r.ended), false],
    ['no_facilitator', warn('no_facilitator'), true],
    ['idle', warn('idle'), true],
    ['locked', warn('locked'), true],
    ['ended', count((r) => r.ended), false],
  ];
  const dl = $('#totals');
  if (!org.totals || org.totals.lang !== language()) {
    clear(dl);
    org.totals = { lang: language(), dd: {} };
    for (const [k] of items) {
      const dd = h('dd', { id: 'total-' + k });
      org.totals.dd[k] = dd;
      dl.append(h('div', { class: 'total', data: { total: k } }, h('dt', { text: t('org.total_' + k) }), dd));
    }
  }
  for (const [k, n, isWarning] of items) {
    put(org.totals.dd[k], number(n));
    org.totals.dd[k].parentElement.classList.toggle('warn', isWarning && n > 0);
  }
}

async function loadPlan(id) {
  if (!id) return;
  try {
    const res = await fetch('/api/plans/' + encodeURIComponent(id));
    if (res.ok) org.plan = await res.json();
  } catch { /* the step menu falls back to numbers */ }
  setSteps(org);
  redrawRows();
}

function redrawRows() {
  for (const row of org.rows.values()) updateRow(row, row.r, true);
  applyView();
}

function onFrame(f) {
  if (f.type === 'overview') onOverview(f.data || {});
  else if (f.type === 'overview_changes') onChanges(f.data || {});
}

function onState(state, detail) {
  showConnState(state, detail, (code) => {
    if (code === 'deleted') gone('org.deleted_title', 'org.deleted_text');
    else if (code === 'unauthorized' || code === 'not_found') gone('org.badkey_title', 'org.badkey_text');
    else return false;
    return true;
  });
}

function wireTable() {
  for (const btn of document.querySelectorAll('#rooms-table button.sort')) {
    btn.addEventListener('click', () => {
      const by = btn.dataset.sort;
      if (org.sort.by === by) org.sort.dir = -org.sort.dir;
      else org.sort = { by, dir: FIRST_DIR[by] || -1 };
      drawSortHeaders();
      applyView();
    });
  }
  $('#filter').addEventListener('change', (e) => {
    org.filter = e.target.value;
    announce(t('org.shown', { shown: number(applyView()), total: number(org.rows.size) }));
  });
  let typing = 0;
  $('#search').addEventListener('input', (e) => {
    org.search = e.target.value.trim();
    applyView();
    clearTimeout(typing);
    typing = setTimeout(() => announce($('#shown-count').textContent), 800);
  });
}

async function boot() {
  await init();
  org.collator = new Intl.Collator(language(), { numeric: true, sensitivity: 'base' });
  org.key = readEventKey(org.event) || await keyFromAccount(org.event);
  if (!org.key) {
    gone('org.badkey_title', 'org.nokey_text');
    return;
  }
  $('#sheet-link').href = `/e/${encodeURIComponent(org.event)}/sheet#key=${encodeURIComponent(org.key)}`;
  wireTable();
  drawSortHeaders();
  org.conn = new Conn({
    hello: () => ({ role: 'organizer', event: org.event, key: org.key }),
    onFrame,
    onState,
  });
  wireTools(org);
  onChange(() => {
    org.collator = new Intl.Collator(language(), { numeric: true, sensitivity: 'base' });
    drawHeader();
    drawTotals();
    setSteps(org);
    redrawRows();
    drawTools(org, true);
    if (org.lastState) onState(...org.lastState);
  });
  setInterval(tickTimers, 500);
  org.conn.start();
}

boot();
