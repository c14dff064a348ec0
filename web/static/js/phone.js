// The phone: the start page's join form (/ and /j/CODE) and, once joined,
// the session. A participant token is kept per room code, so a reload or a
// locked screen resumes the same person; submissions wait in an outbox
// until the server acknowledges them. Opened as /j/CODE#preview=KEY (the
// big screen's key), it is the dashboard's preview of what phones show:
// it follows the room as the big screen does, joins nobody, sends nothing
// and keeps nothing in the browser.

import { init, t, onChange } from './i18n.js';
import { Conn } from './conn.js';
import { h, $, show, confirmDialog, randomID } from './dom.js';
import * as store from './store.js';
import { StepView } from './phone-step.js';
import { helpCard } from './help-card.js';
import { Notice } from './notice.js';

const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const normaliseCode = (s) => String(s || '').toUpperCase().replace(/[\s-]/g, '');
const validCode = (c) => c.length === 6 && [...c].every((ch) => ALPHABET.includes(ch));

// Hello errors a new participant sees on the join form.
const JOIN_ERRORS = new Set(['not_found', 'room_locked', 'room_full', 'room_ended', 'rate_limited', 'invalid']);

const app = {
  code: '',
  conn: null,
  state: {},
  outbox: null,
  view: null,
  notice: null, // the organizer's announcement, in conference events
  you: '',
  joined: false,
  leaving: false,
  ended: false,
  preview: false,
  wasLost: false,
  pid() { return this.you; },
  online() { return !!this.conn && this.conn.open; },
  pendingFor(type, step) {
    return this.outbox ? this.outbox.pending((o) => o.type === type && o.data && o.data.step === step) : [];
  },
  /** submit keeps a submission in the outbox and sends it if it can. */
  submit(type, data) {
    if (this.preview) return { id: '', type, data };
    const item = { id: randomID(type[0]), type, data };
    this.outbox.put(item);
    this.conn.send(type, data, item.id);
    return item;
  },
};

// The question box and "I need to talk" load on first use.
let extras = null;
function withExtras(fn) {
  import('./phone-extras.js').then((m) => { extras = m; fn(m); });
}
const EXTRAS = new Set(['ask', 'vote', 'talk']);

function drawExtras() {
  const box = app.state.questions;
  $('#btn-questions').hidden = !box || app.preview;
  $('#btn-talk').hidden = app.preview;
  const n = box ? box.questions.length : 0;
  const count = $('#questions-count');
  count.hidden = !n;
  count.textContent = String(n);
  if (extras) extras.redraw(app);
}

let bannerTimer = 0;
let retryTimer = 0;
let resendTimer = 0;

function banner(key, kind) {
  const el = $('#banner');
  clearTimeout(bannerTimer);
  if (!key) {
    el.hidden = true;
    return;
  }
  el.textContent = t(key);
  el.className = `banner ${kind}`;
  el.hidden = false;
  if (kind === 'ok') bannerTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

function screen(name) {
  for (const id of ['join', 'session', 'notice']) show($('#' + id), id === name);
  show($('#session-foot'), name === 'session');
}

function showJoin(code, errorKey) {
  screen('join');
  const input = $('#code');
  if (code) input.value = code;
  const err = $('#join-error');
  err.hidden = !errorKey;
  if (errorKey) err.textContent = t(errorKey);
  const btn = $('#join-btn');
  btn.disabled = false;
  btn.textContent = t('join.submit');
}

// notice shows a message instead of the session. next: 'again' offers to
// open the session again, 'start' to go to the start page.
let lastNotice = null;

function notice(titleKey, textKey, next = '') {
  lastNotice = [titleKey, textKey, next];
  screen('notice');
  $('#notice-title').textContent = t(titleKey);
  $('#notice-text').textContent = textKey ? t(textKey) : '';
  $('#notice-help').replaceChildren();
  const btn = $('#notice-rejoin');
  btn.hidden = !next;
  btn.dataset.next = next;
  btn.textContent = t(next === 'start' ? 'notice.start' : 'notice.again');
  if (!app.preview) $('#notice-title').focus();
}

function start(code, nickname, previewKey = '') {
  app.code = code;
  app.preview = !!previewKey;
  app.outbox = app.preview ? memoryOutbox() : new store.Outbox(code);
  // The plan editor's preview feeds frames itself (local-conn.js).
  app.conn = app.LocalConn ? new app.LocalConn({ onFrame, onState }) : new Conn({
    hello: () => {
      if (previewKey) return { role: 'presenter', code, key: previewKey };
      const token = store.load(store.tokenKey(code));
      if (token) return { role: 'participant', code, token };
      let nonce = store.load(store.nonceKey(code));
      if (!nonce) {
        nonce = store.newNonce();
        store.save(store.nonceKey(code), nonce);
      }
      return { role: 'participant', code, nickname: nickname || undefined, nonce };
    },
    onFrame,
    onState,
  });
  app.view = new StepView(app);
  if (!app.notice) app.notice = new Notice($('#ann'), { dismissible: true });
  app.notice.storeKey = app.preview ? '' : store.annKey(code);
  app.conn.start();
  // A submission whose answer got lost on the way is sent again now and
  // then; the server applies each id once.
  if (!resendTimer) resendTimer = setInterval(() => { if (app.online() && app.outbox.items.length) flushOutbox(); }, 15000);
}

/** memoryOutbox holds nothing: a preview sends nothing. */
function memoryOutbox() {
  return { items: [], put() {}, remove() {}, get() { return undefined; }, pending() { return []; }, persist() {} };
}

function flushOutbox() {
  clearTimeout(retryTimer);
  for (const it of app.outbox.items) app.conn.send(it.type, it.data, it.id);
}

function onState(state, detail) {
  if (state === 'open') {
    if (app.joined && app.wasLost) banner('conn.back', 'ok');
    app.wasLost = false;
  } else if (state === 'offline') {
    if (app.joined) {
      app.wasLost = true;
      banner('conn.lost', 'warn');
      if (app.view) app.view.drawStatus();
    } else if (!$('#notice').hidden) {
      $('#notice-text').textContent = t('conn.cannot_reach');
    } else {
      const err = $('#join-error');
      err.textContent = t('conn.cannot_reach');
      err.hidden = false;
    }
  } else if (state === 'closed') {
    closed(detail.code);
  }
}

function closed(code) {
  banner(null);
  if (app.preview) {
    notice('closed.title', 'error.' + code);
    return;
  }
  const hadToken = !!store.load(store.tokenKey(app.code));
  switch (code) {
    case 'removed':
      store.forgetRoom(app.code);
      if (app.leaving) notice('left.title', 'left.text', 'start');
      else notice('removed.title', 'removed.text', 'start');
      return;
    case 'deleted':
      store.forgetRoom(app.code);
      notice('deleted.title', 'deleted.text', 'start');
      return;
    case 'unauthorized':
    case 'wrong_room':
      store.save(store.tokenKey(app.code), null);
      store.save(store.nonceKey(app.code), null);
      showJoin(app.code, 'join.again');
      return;
    case 'not_found':
      if (hadToken) store.forgetRoom(app.code);
      showJoin(app.code, 'error.not_found');
      return;
    case 'closed':
      notice('closed.title', 'closed.text', 'again');
      return;
  }
  if (JOIN_ERRORS.has(code) && !app.joined) {
    showJoin(app.code, code === 'invalid' ? 'join.bad_name' : 'error.' + code);
    return;
  }
  notice('closed.title', 'error.' + code, 'again');
}

function onFrame(f) {
  const d = f.data || {};
  const s = app.state;
  switch (f.type) {
    case 'welcome':
      if (app.preview) {
        app.joined = true;
        $('#bar-code').textContent = app.code;
        return;
      }
      if (d.token) {
        store.save(store.tokenKey(app.code), d.token);
        store.save(store.nonceKey(app.code), null);
      }
      app.you = d.participant || app.you;
      if (!app.joined) {
        app.joined = true;
        history.replaceState(null, '', '/j/' + app.code);
        $('#bar-code').textContent = app.code;
      }
      flushOutbox();
      return;
    case 'snapshot':
      app.state = { room: d.room, step: d.step, timer: d.timer, results: d.results, you: d.you, group: d.group || null, screen: d.screen, questions: d.questions || null };
      if (app.state.you) app.you = app.state.you.id;
      drawAll();
      // The editor's preview sends the same step again as it is typed.
      if (app.LocalConn) app.view.render(false);
      if (d.announcement) app.notice.set(d.announcement);
      drawExtras();
      return;
    case 'questions':
      s.questions = d;
      drawExtras();
      return;
    case 'room':
      s.room = d;
      if (d.ended) ended();
      else app.view.drawCount();
      return;
    case 'step':
      s.step = d;
      if (s.group && s.group.step !== d.index) s.group = null;
      if (!s.room || !s.room.ended) app.view.step();
      return;
    case 'timer':
      s.timer = d;
      app.view.timer();
      return;
    case 'you':
      s.you = d;
      app.you = d.id;
      drawYou();
      if (app.view.input && !store.load(store.draftKey(app.code, app.view.index, app.view.stepId)) && d.answer && d.answer.step === app.view.index) {
        app.view.input.set(d.answer);
      }
      app.view.drawStatus();
      drawExtras();
      return;
    case 'results':
      s.results = d;
      app.view.drawResults();
      return;
    case 'group':
      s.group = d;
      app.view.group();
      return;
    case 'screen':
      s.screen = d;
      app.view.drawScreen();
      return;
    case 'ack': {
      const item = app.outbox.get(f.id);
      if (!item) return;
      app.outbox.remove(f.id);
      if (EXTRAS.has(item.type)) withExtras((m) => m.onAck(app, item));
      else app.view.onAck(item);
      return;
    }
    case 'error': {
      const item = f.id && app.outbox.get(f.id);
      // A frame refused for its rate has no id: send what waits again later.
      if (d.retry || d.code === 'rate_limited') {
        clearTimeout(retryTimer);
        retryTimer = setTimeout(flushOutbox, 3000 + Math.random() * 2000);
        return;
      }
      if (!item) return;
      app.outbox.remove(f.id);
      if (EXTRAS.has(item.type)) withExtras((m) => m.onError(app, item, d));
      else app.view.failed(item, d);
      return;
    }
    case 'announcement':
      app.notice.set(d, true);
      return;
    case 'removed':
      // The close with 4001 follows and ends the session.
      return;
  }
}

function drawAll() {
  if (app.state.room && app.state.room.ended) {
    ended();
    return;
  }
  const shown = !$('#session').hidden;
  screen('session');
  drawYou();
  const st = app.state.step;
  const v = app.view;
  if (shown && st && st.index === v.index && st.content.id === v.stepId) {
    // A reconnect's snapshot of the same step: update in place, so that
    // whoever is typing keeps their place.
    v.drawCount();
    v.step();
    v.group();
    v.drawScreen();
    v.timer();
  } else {
    v.render(true);
  }
}

function drawYou() {
  const you = app.state.you;
  const el = $('#you-are');
  if (app.preview) el.textContent = t('preview.label');
  else el.textContent = you && you.nickname ? t('you.named', { name: you.nickname }) : t('you.anonymous');
}

function ended() {
  if (app.ended) return;
  app.ended = true;
  if (!app.preview) {
    store.forgetDrafts(app.code);
    app.outbox.items = [];
    app.outbox.persist();
  }
  notice('ended.title', 'ended.text');
  drawEndedHelp();
}

/** drawEndedHelp keeps the help card up after the end of a session that closed with one. */
function drawEndedHelp() {
  const st = app.state.step;
  const c = st && st.content;
  const lang = (app.state.room && app.state.room.language) || undefined;
  if (c && c.kind === 'closing') $('#notice-help').replaceChildren(helpCard(c.help, lang) || '');
}

async function leave() {
  if (!app.online()) {
    banner('leave.offline', 'warn');
    return;
  }
  if (!(await confirmDialog(t('leave.confirm'), t('leave.button'), true))) return;
  app.leaving = true;
  app.conn.send('leave', {}, randomID('l'));
}

function wireJoinForm() {
  const form = $('#join-form');
  const codeInput = $('#code');
  const codeErr = $('#code-error');
  codeInput.addEventListener('input', () => {
    codeErr.hidden = true;
    codeInput.removeAttribute('aria-invalid');
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const code = normaliseCode(codeInput.value);
    if (!validCode(code)) {
      codeErr.textContent = t('join.code_invalid');
      codeErr.hidden = false;
      codeInput.setAttribute('aria-invalid', 'true');
      codeInput.focus();
      return;
    }
    $('#join-error').hidden = true;
    const btn = $('#join-btn');
    btn.disabled = true;
    btn.textContent = t('join.joining');
    if (app.conn) app.conn.stop();
    start(code, $('#nickname').value.trim());
  });
  $('#leave').addEventListener('click', leave);
  $('#btn-questions').addEventListener('click', () => withExtras((m) => m.open(app, 'questions')));
  $('#btn-talk').addEventListener('click', () => withExtras((m) => m.open(app, 'talk')));
  $('#notice-rejoin').addEventListener('click', (e) => {
    location.href = e.target.dataset.next === 'again' && app.code ? '/j/' + app.code : '/';
  });
}

async function boot() {
  await init();
  wireJoinForm();
  // Whatever is being typed goes to the outbox before the page goes away.
  addEventListener('pagehide', () => { if (app.view && app.view.shared) app.view.shared.flush(); });
  onChange(() => {
    if (app.joined && !$('#session').hidden) {
      drawYou();
      app.view.render(false);
    }
    const btn = $('#join-btn');
    if (!btn.disabled) btn.textContent = t('join.submit');
    if (lastNotice && !$('#notice').hidden) {
      notice(...lastNotice);
      if (app.ended) drawEndedHelp();
    }
    if (app.notice) app.notice.draw();
  });
  const m = location.pathname.match(/^\/j\/([^/]+)/);
  const code = m ? normaliseCode(decodeURIComponent(m[1])) : '';
  const preview = /(?:^#|&)preview=([^&]+)/.exec(location.hash);
  if (code && validCode(code) && preview) {
    document.body.classList.add('preview');
    app.preview = true;
    $('#leave').hidden = true;
    notice('join.connecting');
    if (preview[1] === 'editor') app.LocalConn = (await import('./local-conn.js')).LocalConn;
    start(code, '', decodeURIComponent(preview[1]));
    return;
  }
  if (code && validCode(code) && store.load(store.tokenKey(code))) {
    notice('join.connecting');
    start(code, '');
    return;
  }
  showJoin(code);
  if (code) $('#nickname').focus();
}

boot();
