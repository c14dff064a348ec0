// The facilitator's dashboard (/f/ROOM#key=...): the pace of the session,
// the current step with its notes, results and progress, groups, the
// moderation queue, the people in the room and the room's tools. Two
// facilitators on the same link see the same state: every change comes
// back from the server as frames, and pace commands carry "from".

import { init, t, onChange, extra } from './i18n.js';
import { Conn } from './conn.js';
import { showConnState } from './connstate.js';
import { h, $, clear, keepFocus, announce, TAKES, SHARED, REVEALS } from './dom.js';
import { renderBody } from './markdown.js';
import { renderResults } from './results.js';
import { Countdown } from './timer.js';
import { drawQueue } from './dash-queue.js';
import { drawGroups, drawPeople, drawBadges, setRoster, applyRosterChanges } from './dash-people.js';
import { drawRoomTools } from './dash-room.js';
import { setSignals, addSignal, drawSignals } from './dash-signals.js';
import { Notice } from './notice.js';
import { showJoinWarning } from './join-warning.js';
import { rooms } from './my-rooms.js';
import { readKey, forgetKey, askForKey, askToSignInAgain } from './dash-enter.js';
import { showPreviews, reloadPhonePreview, drawJoinControl } from './dash-preview.js';
import { whoami, keepSignedIn } from './session.js';
import { observe } from './dash-observe.js';

const dash = {
  room: location.pathname.split('/')[2] || '',
  key: '',
  conn: null,
  plan: null,
  state: { queue: new Map() },
  ui: {}, // panel-local choices that survive redraws (filters, selections)
};

/** cmd sends a facilitator command and shows what went wrong, if anything. */
dash.cmd = async function cmd(type, data) {
  const status = $('#cmd-status');
  try {
    const res = await dash.conn.request(type, data);
    status.textContent = '';
    status.className = 'status';
    return res;
  } catch (err) {
    const code = err && err.code ? err.code : 'internal';
    let key = 'error.' + code;
    if (code === 'stale' && (type === 'next' || type === 'back' || type === 'goto')) key = 'dash.stale_pace';
    status.textContent = t(key);
    status.className = 'status error';
    throw err;
  }
};

/** name is how staff see a participant: nickname or "Anonymous #n". */
dash.nameOf = function nameOf(pid) {
  const r = dash.state.roster;
  const p = r && r.people.get(pid);
  return p ? (p.nickname || t('common.anonymous', { n: p.n })) : t('people.gone');
};

dash.stepTitle = (i) => (dash.plan && dash.plan.steps[i] ? dash.plan.steps[i].title : t('dash.step_n', { n: i + 1 }));
dash.lang = () => (dash.state.room && dash.state.room.language) || undefined;
dash.ended = () => !!(dash.state.room && dash.state.room.ended);

/** reveals: the step has results to reveal (a closing only with follow-up choices). */
const reveals = (c) => REVEALS.has(c.kind) && (c.kind !== 'closing' || !!(c.follow_up && c.follow_up.length));

/** remember keeps the room in this browser's list, to come back to from /new. */
function remember(opened) {
  const r = dash.state.room;
  if (!r) return;
  rooms.remember({ room: dash.room, key: dash.key, code: r.code, title: r.title, plan: r.plan, language: r.language,
    ended: !!r.ended, gone: false, opened: opened ? new Date().toISOString() : undefined });
}

function gone(titleKey, textKey) {
  document.body.classList.add('no-room');
  $('#main').hidden = true;
  $('#gone').hidden = false;
  $('#gone-title').textContent = t(titleKey);
  $('#gone-text').textContent = t(textKey);
  $('#gone-title').focus();
}
dash.gone = gone;

async function loadPlan(id) {
  if (dash.plan && dash.plan.id === id) return;
  try {
    const res = await fetch('/api/plans/' + encodeURIComponent(id));
    if (res.ok) dash.plan = await res.json();
  } catch { /* the step list falls back to numbers */ }
  drawSteps();
}

function onFrame(f) {
  const d = f.data || {};
  const s = dash.state;
  switch (f.type) {
    case 'welcome':
      showJoinWarning(d);
      dash.presenterKey = d.presenter_key || '';
      if (d.access) observe(d.access);
      showPreviews(dash, d.code, dash.presenterKey);
      return;
    case 'snapshot': {
      const first = !s.room;
      Object.assign(s, { room: d.room, step: d.step, timer: d.timer, results: d.results, progress: d.progress,
        groups: d.groups, screen: d.screen, queue: new Map((d.queue || []).map((it) => [it.id, it])) });
      setRoster(dash, d.roster);
      setSignals(dash, d.signals);
      loadPlan(d.room.plan);
      remember(first);
      drawAll();
      if (d.announcement) dash.notice.set(d.announcement);
      return;
    }
    case 'room': {
      const wasEnded = dash.ended();
      s.room = d;
      drawHeader();
      drawRoomTools(dash);
      if (d.ended !== wasEnded) {
        remember(false);
        drawJoinControl(dash);
        drawSteps();
        drawCurrent();
        drawQueue(dash);
        drawGroups(dash);
        drawPeople(dash);
      }
      return;
    }
    case 'step': {
      const moved = !s.step || s.step.index !== d.index;
      s.step = d;
      drawSteps();
      drawCurrent();
      drawGroups(dash);
      if (moved) announce(t('step.announce', { n: d.index + 1, total: s.room.steps, title: d.content.title }));
      return;
    }
    case 'timer': s.timer = d; drawTimer(); return;
    case 'results': s.results = d; drawResults(); return;
    case 'progress': s.progress = d; drawProgress(); return;
    case 'roster': setRoster(dash, d); drawPeople(dash); drawGroups(dash); return;
    case 'roster_changes':
      applyRosterChanges(dash, d);
      // Group cards name their members.
      if (s.groups && s.groups.groups && s.groups.groups.length) drawGroups(dash);
      return;
    case 'groups': s.groups = d; drawGroups(dash); drawProgress(); drawBadges(dash); return;
    case 'item': s.queue.set(d.id, d); drawQueue(dash); return;
    case 'screen': s.screen = d; drawQueue(dash); drawJoinControl(dash); return;
    case 'signal': addSignal(dash, d); drawSignals(dash); return;
    case 'announcement': dash.notice.set(d, true); return;
  }
}

function onState(state, detail) {
  showConnState(state, detail, (code) => {
    if (code === 'deleted' || code === 'not_found') {
      if (rooms.get(dash.room)) rooms.remember({ room: dash.room, gone: true });
      if (code === 'deleted') gone('dash.deleted_title', 'dash.deleted_text');
      else gone('dash.badkey_title', 'dash.badkey_text');
    } else if (code === 'unauthorized') {
      forgetKey(dash.room);
      if (dash.key) askForKey(dash.room, 'dash.enter_wrong');
      else refusedBySession();
    } else return false;
    return true;
  });
}

// refusedBySession tells a dashboard opened by its account why it was
// refused: the sign-in has ended (sign in again to come back), or the
// account has no part in this room.
async function refusedBySession() {
  const me = await whoami(true);
  if (!me.signed_in) askToSignInAgain(dash.room);
  else askForKey(dash.room, 'dash.enter_not_yours');
}

function drawAll() {
  drawHeader();
  drawSteps();
  drawCurrent();
  drawQueue(dash);
  drawGroups(dash);
  drawPeople(dash);
  drawRoomTools(dash);
  drawJoinControl(dash);
  drawSignals(dash);
}

function drawHeader() {
  const r = dash.state.room;
  if (!r) return;
  const title = $('#room-title');
  title.textContent = r.title;
  title.lang = r.language;
  $('#room-code').textContent = r.code;
  $('#participants').textContent = t('dash.participants', { count: r.participants, n: r.participants });
  const st = $('#room-state');
  st.textContent = r.ended ? t('dash.ended') : r.locked ? t('dash.locked') : t('dash.open_room');
  st.className = 'badge ' + (r.ended ? 'danger' : r.locked ? 'warn' : 'ok');
  $('#open-screen').href = `/p/${dash.room}#key=${encodeURIComponent(dash.presenterKey || dash.key)}`;
}

function drawSteps() {
  const list = $('#step-list');
  const r = dash.state.room;
  const cur = dash.state.step ? dash.state.step.index : -1;
  if (!r) return;
  keepFocus(list, () => {
    clear(list);
    for (let i = 0; i < r.steps; i++) {
      const ps = dash.plan && dash.plan.steps[i];
      const btn = h('button', { type: 'button', class: 'step-item', data: { fk: 'goto:' + i }, disabled: dash.ended(),
        on: { click: () => { if (i !== cur) dash.cmd('goto', { step: i, from: cur }).catch(() => {}); } } },
        h('span', { class: 'step-num', text: String(i + 1) }),
        h('span', { class: 'step-name' }, h('span', { attrs: { lang: dash.lang() } }, dash.stepTitle(i)),
          ps ? h('span', { class: 'step-kind', text: t('kind.' + ps.kind) }) : null));
      if (i === cur) btn.setAttribute('aria-current', 'step');
      list.append(h('li', {}, btn));
    }
  });
}

function drawCurrent() {
  const st = dash.state.step;
  if (!st) return;
  const c = st.content;
  const ended = dash.ended();
  $('#current-kicker').textContent = `${t('step.of', { n: st.index + 1, total: dash.state.room.steps })} · ${t('kind.' + c.kind)}`;
  const title = $('#current-title');
  title.textContent = c.title;
  title.lang = dash.lang();
  $('#btn-back').disabled = ended || st.index === 0;
  $('#btn-next').disabled = ended || st.index >= dash.state.room.steps - 1;

  const takes = TAKES.has(c.kind) || SHARED.has(c.kind);
  $('#open-control').hidden = !takes;
  $('#open-state').textContent = st.open ? t('dash.is_open') : t('dash.is_closed');
  $('#open-state').className = 'badge ' + (st.open ? 'ok' : '');
  $('#btn-open').textContent = st.open ? t('dash.close') : t('dash.open');
  $('#btn-open').disabled = ended;

  $('#reveal-control').hidden = !reveals(c);
  $('#reveal-state').textContent = st.revealed ? t('dash.is_revealed') : t('dash.is_hidden');
  $('#reveal-state').className = 'badge ' + (st.revealed ? 'info' : '');
  $('#btn-reveal').textContent = st.revealed ? t('dash.hide') : t('dash.reveal');
  $('#btn-reveal').disabled = ended;

  const notes = clear($('#notes'));
  notes.lang = dash.lang();
  if (c.notes) notes.append(renderBody(c.notes));
  else notes.append(h('p', { class: 'hint', text: t('dash.no_notes') }));

  const body = clear($('#step-body'));
  body.lang = dash.lang();
  if (c.body) body.append(renderBody(c.body));
  const list = c.options || c.follow_up || c.prompts;
  if (c.prompt) body.append(h('p', {}, h('strong', {}, c.prompt)));
  if (list) body.append(h('ul', {}, list.map((o) => h('li', {}, o))));
  if (c.kind === 'scale') body.append(h('p', {}, `${c.scale_min}: ${c.min_label} … ${c.scale_max}: ${c.max_label}`));
  if (!body.firstChild) body.append(h('p', { class: 'hint', text: t('dash.title_only') }));

  drawTimer();
  drawProgress();
  drawResults();
}

function drawTimer() {
  const tm = dash.state.timer;
  const st = dash.state.step;
  if (!st || !dash.countdown) return;
  // No timer once the room has ended, nor on a step without a duration.
  const has = !dash.ended() && tm && tm.step === st.index && tm.duration_ms > 0;
  $('#timer-control').hidden = !has;
  if (!has) return;
  dash.countdown.update(tm, st.index);
  const btn = $('#btn-timer');
  btn.textContent = tm.running ? t('dash.pause') : t('dash.start');
  const ended = dash.ended();
  btn.disabled = ended || (!tm.running && tm.remaining_ms <= 0);
  $('#btn-extend').disabled = ended;
  $('#btn-reset').disabled = ended;
}

function drawProgress() {
  const p = dash.state.progress;
  const st = dash.state.step;
  const el = $('#progress');
  el.hidden = true;
  // A forgotten room has nobody's answers left to count.
  if (!st || (dash.state.room && dash.state.room.forgotten)) return;
  if (SHARED.has(st.content.kind)) {
    // Groups write together: what counts is how many groups submitted.
    const gs = dash.state.groups;
    const groups = ((gs && gs.step === st.index && gs.groups) || []).filter((g) => g.members.length);
    if (!groups.length) return;
    el.hidden = false;
    el.textContent = t('dash.groups_progress', { submitted: groups.filter((g) => g.submitted).length, total: groups.length });
  } else if (p && p.step === st.index && TAKES.has(st.content.kind)) {
    el.hidden = false;
    el.textContent = t('dash.progress', { answered: p.answered, total: p.participants });
  }
}

function drawResults() {
  const st = dash.state.step;
  const r = dash.state.results;
  const box = $('#results-box');
  const show = st && reveals(st.content);
  box.hidden = !show;
  if (show) renderResults($('#dash-results'), st.content, r && r.step === st.index ? r : null, dash.lang());
}

function pace(type) {
  const st = dash.state.step;
  if (!st || dash.ended()) return;
  const last = dash.state.room.steps - 1;
  if ((type === 'next' && st.index >= last) || (type === 'back' && st.index === 0)) return;
  dash.cmd(type, { from: st.index }).catch(() => {});
}

function toggleReveal() {
  const st = dash.state.step;
  if (!st || !reveals(st.content) || dash.ended()) return;
  dash.cmd(st.revealed ? 'hide' : 'reveal', { step: st.index }).catch(() => {});
}

function wireControls() {
  $('#btn-next').addEventListener('click', () => pace('next'));
  $('#btn-back').addEventListener('click', () => pace('back'));
  $('#btn-reveal').addEventListener('click', toggleReveal);
  $('#btn-open').addEventListener('click', () => {
    const st = dash.state.step;
    dash.cmd(st.open ? 'close' : 'open', { step: st.index }).catch(() => {});
  });
  $('#btn-timer').addEventListener('click', () => {
    const tm = dash.state.timer;
    dash.cmd('timer', { action: tm && tm.running ? 'pause' : 'start' }).catch(() => {});
  });
  $('#btn-extend').addEventListener('click', () => dash.cmd('timer', { action: 'extend', seconds: 60 }).catch(() => {}));
  $('#btn-reset').addEventListener('click', () => dash.cmd('timer', { action: 'reset', seconds: 0 }).catch(() => {}));
  $('#btn-join-panel').addEventListener('click', (e) => dash.cmd('join_panel', { size: e.currentTarget.dataset.size }).catch(() => {}));
  const on = $('#shortcuts-on');
  try { on.checked = localStorage.getItem('sp.shortcuts') !== 'off'; } catch { /* default on */ }
  on.addEventListener('change', () => {
    try { localStorage.setItem('sp.shortcuts', on.checked ? 'on' : 'off'); } catch { /* not kept */ }
  });

  // Shortcuts for the pace; never while someone types or a dialog is open.
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const el = e.target;
    if (el && (el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"], dialog'))) return;
    if (document.querySelector('dialog[open]') || !$('#shortcuts-on').checked) return;
    const k = e.key;
    if (k === 'ArrowRight' || k === 'PageDown') pace('next');
    else if (k === 'ArrowLeft' || k === 'PageUp') pace('back');
    else if (k === 'r' || k === 'R') toggleReveal();
    else return;
    e.preventDefault();
  });
}

async function boot() {
  extra('account');
  await init();
  dash.key = readKey(dash.room);
  if (!dash.key) {
    // Signed in, the account opens the rooms it owns or was given a part in.
    const me = await whoami();
    if (!me.signed_in) {
      askForKey(dash.room, '', me.accounts || (me.providers && me.providers.length));
      return;
    }
    keepSignedIn();
  }
  wireControls();
  dash.conn = new Conn({
    hello: () => (dash.key ? { role: 'facilitator', room: dash.room, key: dash.key } : { role: 'facilitator', room: dash.room }),
    onFrame,
    onState,
  });
  dash.countdown = new Countdown($('#dash-timer'), dash.conn, { always: true });
  dash.notice = new Notice($('#ann'), { dismissible: true, storeKey: 'sp.annf.' + dash.room });
  onChange(() => { if (dash.state.room) drawAll(); dash.notice.draw(); reloadPhonePreview(dash); });
  dash.conn.start();
}

boot();
