// The phone's question box and "I need to talk", in one dialog that opens
// from the foot of every step. Loaded on first use, so that the phone's
// first load stays small. Questions, votes and signals go through the
// outbox like answers: each is sent until the server acknowledges it.

import { h, $, clear } from './dom.js';
import { t } from './i18n.js';

let mode = '';      // 'questions' or 'talk' while the dialog is open
let status = null;  // {key, vars, error} of the last thing sent
let draft = { question: '', talk: '', named: false };

/** open shows the question box ('questions') or the talk form ('talk'). */
export function open(app, which) {
  mode = which;
  status = null;
  const dlg = $('#extras-dialog');
  draw(app);
  if (!dlg.open) dlg.showModal();
  const first = dlg.querySelector('textarea');
  if (first) first.focus();
  dlg.onclose = () => { mode = ''; };
}

/** redraw updates the open dialog after a frame. */
export function redraw(app) {
  if (mode) draw(app, true);
}

/** onAck and onError answer what the dialog sent. */
export function onAck(app, item) {
  if (item.type === 'ask') {
    draft.question = '';
    status = { key: 'questions.sent' };
  } else if (item.type === 'talk') {
    draft.talk = '';
    status = { key: 'talk.sent' };
  } else {
    status = null;
  }
  redraw(app);
}

export function onError(app, item, err) {
  status = { key: 'error.' + (err.code || 'internal'), error: true };
  redraw(app);
}

function draw(app, keep) {
  const dlg = $('#extras-dialog');
  const focusId = keep && document.activeElement && dlg.contains(document.activeElement) ? document.activeElement.id : '';
  clear(dlg);
  const lang = (app.state.room && app.state.room.language) || undefined;
  dlg.append(...(mode === 'talk' ? talkView(app, lang) : questionsView(app, lang)));
  dlg.append(h('div', { class: 'dialog-actions' },
    h('button', { type: 'button', class: 'secondary', id: 'extras-close', text: t('common.close'), on: { click: () => dlg.close() } })));
  if (focusId && $('#' + focusId)) $('#' + focusId).focus();
}

function statusLine() {
  if (!status) return h('p', { class: 'status', attrs: { role: 'status' } });
  return h('p', { class: 'status ' + (status.error ? 'error' : 'ok'), attrs: { role: 'status' }, text: t(status.key, status.vars) });
}

function questionsView(app, lang) {
  const you = app.state.you || {};
  const mine = you.questions || [];
  const voted = new Set(you.voted || []);
  const ownIds = new Set(mine.map((q) => q.id));
  const all = ((app.state.questions && app.state.questions.questions) || []).slice()
    .sort((a, b) => b.votes - a.votes || (a.id < b.id ? -1 : 1));
  const text = h('textarea', { id: 'question-text', rows: 3, maxLength: 300, value: draft.question,
    attrs: { 'aria-describedby': 'questions-hint' }, on: { input: (e) => { draft.question = e.target.value; } } });
  const form = h('form', { class: 'ask-form', on: { submit: (e) => {
    e.preventDefault();
    const q = text.value.trim();
    if (!q) { status = { key: 'questions.empty', error: true }; draw(app, true); return; }
    app.submit('ask', { text: q });
    status = { key: app.online() ? 'questions.sending' : 'answer.saved_offline' };
    draw(app, true);
  } } },
  h('div', { class: 'field' }, h('label', { htmlFor: 'question-text', text: t('questions.your_question') }), text),
  h('button', { type: 'submit', class: 'primary', id: 'ask-btn', text: t('questions.send') }));
  const out = [
    h('h2', { id: 'extras-title', text: t('questions.title') }),
    h('p', { id: 'questions-hint', class: 'hint', text: t('questions.hint') }),
    form, statusLine(),
  ];
  if (mine.length) {
    out.push(h('h3', { text: t('questions.mine') }), h('ul', { class: 'q-box' }, mine.map((q) => h('li', { class: 'q-own' },
      h('p', { class: 'q-text', attrs: { lang } }, q.text),
      h('p', { class: 'q-state', text: q.answered ? t('questions.state_answered') : t('questions.state_' + q.status, { n: q.votes, count: q.votes }) })))));
  }
  out.push(h('h3', { text: t('questions.everyone') }));
  const others = all.filter((q) => !ownIds.has(q.id));
  if (!others.length) out.push(h('p', { class: 'hint', text: t('questions.none') }));
  else {
    out.push(h('ul', { class: 'q-box' }, others.map((q) => {
      const on = voted.has(q.id);
      const textId = 'qb-' + q.id;
      return h('li', { class: 'q-public' + (q.answered ? ' answered' : '') },
        h('p', { class: 'q-text', id: textId, attrs: { lang } }, q.text),
        h('div', { class: 'q-row' },
          h('span', { class: 'q-votes', text: t('questions.votes', { n: q.votes, count: q.votes }) }),
          q.answered ? h('span', { class: 'badge ok', text: t('questions.state_answered') }) : null,
          h('button', { type: 'button', class: 'secondary small', id: 'vote-' + q.id,
            attrs: { 'aria-pressed': on ? 'true' : 'false', 'aria-describedby': textId }, text: t(on ? 'questions.voted' : 'questions.vote'),
            on: { click: () => { app.submit('vote', { question: q.id, up: !on }); } } })));
    })));
  }
  return out;
}

function talkView(app, lang) {
  const you = app.state.you || {};
  const sent = you.talk;
  const msg = h('textarea', { id: 'talk-text', rows: 3, maxLength: 300, value: draft.talk,
    attrs: { 'aria-describedby': 'talk-hint' }, on: { input: (e) => { draft.talk = e.target.value; } } });
  const out = [
    h('h2', { id: 'extras-title', text: t('talk.title') }),
    h('p', { id: 'talk-hint', text: t('talk.hint') }),
  ];
  if (sent) {
    out.push(h('div', { class: 'talk-code', attrs: { role: 'group', 'aria-label': t('talk.your_code') } },
      h('p', {}, t('talk.your_code'), ' ', h('strong', { class: 'code', text: sent.code })),
      h('p', { class: 'hint', text: t(sent.handled ? 'talk.handled' : 'talk.waiting') })));
  }
  const form = h('form', { class: 'talk-form', on: { submit: (e) => {
    e.preventDefault();
    app.submit('talk', { message: msg.value.trim(), named: !!(named && named.checked) });
    status = { key: app.online() ? 'talk.sending' : 'answer.saved_offline' };
    draw(app, true);
  } } }, h('div', { class: 'field' }, h('label', { htmlFor: 'talk-text', text: t('talk.message') }), msg));
  let named = null;
  if (you.nickname) {
    named = h('input', { type: 'checkbox', id: 'talk-named', checked: draft.named, on: { change: (e) => { draft.named = e.target.checked; } } });
    form.append(h('div', { class: 'check' }, named, h('label', { htmlFor: 'talk-named', text: t('talk.give_name', { name: you.nickname }) })));
  }
  form.append(h('button', { type: 'submit', class: 'primary', id: 'talk-btn', text: t(sent ? 'talk.send_again' : 'talk.send') }));
  out.push(form, statusLine());
  return out;
}
