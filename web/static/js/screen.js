// The big screen (/p/ROOM#key=...): the join code and QR code, the current
// step, results once revealed, the approved texts the facilitator put up,
// and the timer. No controls. It shows only what the server sends to the
// presenter role, which never includes anything unapproved.

import { init, t, onChange } from './i18n.js';
import { Conn } from './conn.js';
import { h, $, clear, announce, TAKES } from './dom.js';
import { renderBody } from './markdown.js';
import { renderResults } from './results.js';
import { Countdown } from './timer.js';
import { Notice } from './notice.js';

// The big screen shows an announcement of the organizer this long.
const NOTICE_FOR = 15 * 60 * 1000;

const room = location.pathname.split('/')[2] || '';
let key = '';
let conn = null;
let countdown = null;
let notice = null;
const s = {};

function readKey() {
  const store = 'sp.key.' + room;
  const m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (m) {
    key = decodeURIComponent(m[1]);
    try { sessionStorage.setItem(store, key); } catch { /* private mode */ }
    history.replaceState(null, '', location.pathname);
  } else {
    try { key = sessionStorage.getItem(store) || ''; } catch { key = ''; }
  }
}

function gone(titleKey, textKey) {
  $('#main').hidden = true;
  $('#gone').hidden = false;
  $('#gone-title').textContent = t(titleKey);
  $('#gone-text').textContent = t(textKey);
}

const lang = () => (s.room && s.room.language) || undefined;

function onFrame(f) {
  const d = f.data || {};
  switch (f.type) {
    case 'snapshot':
      Object.assign(s, { room: d.room, step: d.step, timer: d.timer, results: d.results, screen: d.screen });
      drawJoin();
      drawStep();
      if (d.announcement) notice.set(d.announcement);
      return;
    case 'announcement': notice.set(d, true); return;
    case 'room': {
      const wasEnded = s.room && s.room.ended;
      s.room = d;
      drawJoin();
      // Counts change often; the stage is redrawn only when the session ends.
      if (d.ended !== wasEnded) drawStep();
      return;
    }
    case 'step': {
      const moved = !s.step || s.step.index !== d.index;
      s.step = d;
      drawStep();
      if (moved) announce(d.content.title);
      return;
    }
    case 'timer': s.timer = d; drawTimer(); return;
    case 'results': s.results = d; drawResults(); return;
    case 'screen': s.screen = d; drawItems(); return;
  }
}

function onState(state, detail) {
  const b = $('#banner');
  if (state === 'open') {
    b.hidden = true;
  } else if (state === 'closed') {
    const code = detail && detail.code;
    if (code === 'deleted') gone('screen.deleted', 'screen.deleted_text');
    else if (code === 'unauthorized' || code === 'not_found') gone('dash.badkey_title', 'dash.badkey_text');
  } else if (state === 'offline') {
    b.textContent = t('conn.lost_screen');
    b.className = 'banner warn';
    b.hidden = false;
  }
}

function drawJoin() {
  const r = s.room;
  if (!r) return;
  $('#join-code').textContent = r.code;
  const qr = $('#qr');
  if (!qr.dataset.code || qr.dataset.code !== r.code) {
    qr.dataset.code = r.code;
    qr.src = `/qr/${r.code}.png`;
    qr.hidden = false;
    // The start page of the public address has the join form: people type
    // that address and the code, or scan the QR code.
    $('#join-url').textContent = location.host;
    fetch(`/qr/${r.code}.txt`).then((res) => (res.ok ? res.text() : null)).then((link) => {
      if (link) $('#join-url').textContent = link.replace(/^https?:\/\//, '').replace(/\/j\/[^/]*$/, '');
    }).catch(() => {});
  }
  qr.alt = t('screen.qr_alt', { code: r.code });
  $('#join-closed').hidden = !(r.locked && !r.ended);
  $('#join-panel').hidden = r.ended;
  $('#count').textContent = t('dash.participants', { count: r.participants, n: r.participants });
}

function drawStep() {
  const st = s.step;
  const r = s.room;
  if (!st || !r) return;
  const c = st.content;
  document.body.classList.toggle('ended', r.ended);
  $('#stage-kicker').textContent = r.ended ? '' : t('step.of', { n: st.index + 1, total: r.steps });
  const title = $('#stage-title');
  title.textContent = r.ended ? t('screen.ended') : c.title;
  title.lang = r.ended ? document.documentElement.lang : lang();
  const body = clear($('#stage-body'));
  body.lang = lang();
  if (!r.ended) {
    if (c.body) body.append(renderBody(c.body));
    if (c.image) body.append(h('img', { class: 'scenario-image', src: c.image, alt: c.alt || '' }));
    if (c.prompt) body.append(h('p', { class: 'prompt' }, c.prompt));
    if (c.prompts && c.prompts.length) body.append(h('ul', { class: 'prompts' }, c.prompts.map((p) => h('li', {}, p))));
    if (c.kind === 'poll' && !st.revealed) body.append(h('ol', { class: 'options' }, (c.options || []).map((o) => h('li', {}, o))));
  }
  drawTimer();
  drawResults();
  drawItems();
}

function drawTimer() {
  if (!s.step || !countdown) return;
  if (s.room && s.room.ended) {
    $('#screen-timer').hidden = true;
    return;
  }
  countdown.update(s.timer, s.step.index);
}

function drawResults() {
  const el = $('#stage-results');
  const st = s.step;
  const r = s.results;
  if (!st || (s.room && s.room.ended) || !TAKES.has(st.content.kind) || !r || r.step !== st.index) {
    clear(el);
    return;
  }
  renderResults(el, st.content, r, lang());
}

function drawItems() {
  const el = clear($('#stage-items'));
  const sc = s.screen;
  const items = (sc && sc.items && !(s.room && s.room.ended) && sc.items) || [];
  document.body.classList.toggle('showing-items', items.length > 0);
  if (!items.length) return;
  el.classList.toggle('side-by-side', sc.layout === 'side-by-side' && items.length > 1);
  for (const it of items) {
    const card = h('blockquote', { class: 'big-item' }, h('p', { class: 'item-text', attrs: { lang: lang() } }, it.text || ''));
    if (it.kind === 'action' && (it.who || it.when)) {
      card.append(h('p', { class: 'item-meta' },
        it.who ? `${t('shared.who')}: ${it.who}` : '', it.who && it.when ? ' · ' : '', it.when ? `${t('shared.when')}: ${it.when}` : ''));
    }
    el.append(card);
  }
}

async function boot() {
  await init();
  readKey();
  if (!key) {
    gone('dash.badkey_title', 'dash.nokey_text');
    return;
  }
  conn = new Conn({ hello: () => ({ role: 'presenter', room, key }), onFrame, onState });
  countdown = new Countdown($('#screen-timer'), conn);
  notice = new Notice($('#ann'), { maxAge: NOTICE_FOR, now: () => conn.now() });
  onChange(() => { drawJoin(); drawStep(); countdown.refresh(); notice.draw(); });
  conn.start();
}

boot();
