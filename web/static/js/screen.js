// The big screen (/p/ROOM#key=...): the room as it is now, drawn from what
// the server sends the presenter role and nothing else: the current step
// (content, question and options, results once revealed, timer), the
// approved texts the facilitator put up on this step or pinned, and the
// join panel (large until people have joined, then a strip). No controls;
// nothing unapproved ever reaches it. It speaks the room's language, and
// it never scrolls: screen-fit.js makes the content fit.

import { init, t, onChange, setLanguage, LANGUAGES } from './i18n.js';
import { Conn } from './conn.js';
import { h, $, clear, announce, TAKES, REVEALS } from './dom.js';
import { renderBody } from './markdown.js';
import { renderResults } from './results.js';
import { Countdown } from './timer.js';
import { Notice } from './notice.js';
import { Fitter } from './screen-fit.js';
import { helpCard } from './help-card.js';

// The big screen shows an announcement of the organizer this long.
const NOTICE_FOR = 15 * 60 * 1000;

const room = location.pathname.split('/')[2] || '';
let key = '';
let conn = null;
let countdown = null;
let notice = null;
let fitter = null;
const s = {};

function readKey() {
  const store = 'sp.screen.' + room; // not the dashboard's: a miniature in it must not replace its key
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
const ended = () => !!(s.room && s.room.ended);

/** The interface follows the room's language: the content is in it. */
async function followLanguage() {
  const l = lang();
  if (!l) return;
  const want = l === 'nn' ? 'nb' : (LANGUAGES.includes(l) ? l : 'en');
  if (document.documentElement.lang !== want) await setLanguage(want);
}

function onFrame(f) {
  const d = f.data || {};
  switch (f.type) {
    case 'snapshot':
      Object.assign(s, { room: d.room, step: d.step, timer: d.timer, results: d.results, screen: d.screen });
      followLanguage().then(draw);
      if (d.announcement) notice.set(d.announcement);
      return;
    case 'announcement': notice.set(d, true); return;
    case 'room': {
      const was = ended();
      s.room = d;
      drawJoin();
      if (d.ended !== was) draw();
      return;
    }
    case 'step': {
      const moved = !s.step || s.step.index !== d.index;
      s.step = d;
      draw();
      if (moved) announce(d.content.title);
      return;
    }
    case 'timer': s.timer = d; drawTimer(); return;
    case 'results': s.results = d; drawResults(); fit(); return;
    case 'screen': s.screen = d; drawJoin(); drawItems(); fit(); return;
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

function draw() {
  drawJoin();
  drawStep();
}

function drawJoin() {
  const r = s.room;
  if (!r) return;
  $('#main').dataset.join = (s.screen && s.screen.join) || 'large';
  $('#join-code').textContent = r.code;
  const qr = $('#qr');
  if (!qr.dataset.code || qr.dataset.code !== r.code) {
    qr.dataset.code = r.code;
    qr.src = `/qr/${r.code}.png`;
    qr.hidden = false;
    // The address people type with the code; the QR code holds both.
    $('#join-url').textContent = location.host;
    fetch(`/qr/${r.code}.txt`).then((res) => (res.ok ? res.text() : null)).then((link) => {
      if (link) $('#join-url').textContent = link.trim().replace(/^https?:\/\//, '').replace(/\/j\/[^/]*$/, '');
    }).catch(() => {});
  }
  qr.alt = t('screen.qr_alt', { code: r.code });
  $('#join-closed').hidden = !(r.locked && !r.ended);
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
  if (!r.ended) body.append(...stepBody(st, c));
  // After the end the help card stays up, if the session closed with one.
  else if (c.kind === 'closing' && c.help && c.help.length) body.append(helpCard(c.help, lang(), { links: false }));
  drawTimer();
  drawResults();
  drawItems();
  fit();
}

/** stepBody is what the big screen shows of a step besides its title. */
function stepBody(st, c) {
  const out = [];
  if (c.body) out.push(renderBody(c.body));
  if (c.image) out.push(h('img', { class: 'scenario-image', src: c.image, alt: c.alt || '' }));
  // On the machine that shows the big screen, the course or video opens
  // with a click; the room sees where it is.
  if (c.video) {
    out.push(h('p', { class: 'video' }, t('screen.video'), ' ',
      h('a', { href: c.video, target: '_blank', rel: 'noopener noreferrer', text: c.video.replace(/^https:\/\//, '') })));
  }
  if (c.prompt) out.push(h('p', { class: 'prompt' }, c.prompt));
  if (c.prompts && c.prompts.length) out.push(h('ul', { class: 'prompts' }, c.prompts.map((p) => h('li', {}, p))));
  if (c.kind === 'closing' && c.help && c.help.length) out.push(helpCard(c.help, lang(), { links: false }));
  const shown = st.revealed && REVEALS.has(c.kind);
  if (c.kind === 'poll' && !shown) out.push(h('ol', { class: 'options' }, (c.options || []).map((o) => h('li', {}, o))));
  if (c.kind === 'scale' && !shown) {
    out.push(h('p', { class: 'scale-ends' }, `${c.scale_min ?? 1} = ${c.min_label || ''}`, h('br'), `${c.scale_max ?? 5} = ${c.max_label || ''}`));
  }
  return out;
}

function drawTimer() {
  if (!s.step || !countdown) return;
  countdown.off = ended();
  countdown.update(s.timer, s.step.index);
}

function drawResults() {
  const el = $('#stage-results');
  const st = s.step;
  const r = s.results;
  if (!st || ended() || !TAKES.has(st.content.kind) || !r || r.step !== st.index) {
    clear(el);
    return;
  }
  renderResults(el, st.content, r, lang());
}

function drawItems() {
  const el = clear($('#stage-items'));
  const sc = s.screen;
  const st = s.step;
  const items = (!ended() && sc && sc.items && st && (sc.pinned || sc.step === st.index) && sc.items) || [];
  document.body.classList.toggle('showing-items', items.length > 0);
  const side = sc && sc.layout === 'side-by-side' && items.length > 1;
  el.classList.toggle('side-by-side', side);
  el.style.setProperty('--item-cols', String(items.length > 4 ? 3 : 2));
  for (const it of items) {
    const card = h('blockquote', { class: 'big-item' }, h('p', { class: 'item-text', attrs: { lang: lang() } }, it.text || ''));
    if (it.kind === 'action' && (it.who || it.when)) {
      card.append(h('p', { class: 'item-meta' },
        it.who ? `${t('shared.who')}: ${it.who}` : '', it.who && it.when ? ' · ' : '', it.when ? `${t('shared.when')}: ${it.when}` : ''));
    }
    el.append(card);
  }
}

function fit() {
  if (!fitter || !s.step) return;
  const kind = s.step.content.kind;
  const items = document.body.classList.contains('showing-items');
  const flow = !items && (kind === 'info' || kind === 'scenario');
  // Running text is set at 1.25 times the unit, so it may come down to 0.8.
  fitter.fit({ flow, min: flow ? 0.8 : 1, spread: kind === 'wordcloud', max: kind === 'wordcloud' ? 1.3 : 1.6 });
}

function showPage(n, of) {
  const el = $('#stage-page');
  el.hidden = !of;
  el.textContent = of ? t('screen.page', { n, of }) : '';
}

async function boot() {
  await init();
  // The plan editor's preview feeds frames itself (local-conn.js).
  const local = location.hash === '#editor';
  if (!local) readKey();
  if (!key && !local) {
    gone('dash.badkey_title', 'dash.nokey_text');
    return;
  }
  conn = local ? new (await import('./local-conn.js')).LocalConn({ onFrame, onState })
    : new Conn({ hello: () => ({ role: 'presenter', room, key }), onFrame, onState });
  countdown = new Countdown($('#screen-timer'), conn);
  notice = new Notice($('#ann'), { maxAge: NOTICE_FOR, now: () => conn.now() });
  fitter = new Fitter($('#stage-content'), showPage);
  onChange(() => { draw(); countdown.refresh(); notice.draw(); });
  conn.start();
}

boot();
