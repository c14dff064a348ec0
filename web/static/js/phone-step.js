// The current step on the phone: its content, the input of its kind, the
// "sent" state, results after the reveal, and on a plenary step what the
// big screen shows. Only the current step is ever on the phone.

import { h, clear, $, announce, TAKES, SHARED, REVEALS } from './dom.js';
import { t } from './i18n.js';
import { renderBody } from './markdown.js';
import { renderResults } from './results.js';
import { Countdown } from './timer.js';
import * as inputs from './phone-inputs.js';
import { SharedEditor } from './phone-shared.js';
import { helpCard } from './help-card.js';
import * as store from './store.js';

export class StepView {
  /** app: the phone (state, code, conn, submit, pendingFor, online, pid). */
  constructor(app) {
    this.app = app;
    this.root = $('#step');
    this.count = $('#step-count');
    this.countdown = new Countdown($('#timer'), app.conn, { speak: true });
    this.index = -1;
    this.stepId = '';
    this.input = null;
    this.shared = null;
    this.errors = {}; // step -> error code of the last refused answer
    this.acked = {};  // step -> the answer the server acknowledged
  }

  get s() { return this.app.state; }

  get lang() { return (this.s.room && this.s.room.language) || undefined; }

  /** step redraws when the step changed, and updates it otherwise. */
  step() {
    const st = this.s.step;
    if (!st) return;
    if (st.index !== this.index || st.content.id !== this.stepId) {
      this.render(true);
      return;
    }
    if (this.input) this.input.disable(!st.open);
    if (this.shared) this.shared.setOpen(st.open);
    this.drawStatus();
    this.drawResults();
  }

  /** render draws the whole step; announce tells screen readers about it. */
  render(isNew = false) {
    const st = this.s.step;
    if (!st) return;
    const hadFocus = this.root.contains(document.activeElement);
    if (this.shared) this.shared.destroy();
    this.shared = null;
    this.input = null;
    this.index = st.index;
    this.stepId = st.content.id;
    const c = st.content;
    const lang = this.lang;
    this.drawCount();
    const title = h('h1', { id: 'step-title', tabIndex: -1, attrs: { lang } }, c.title);
    const art = h('article', { class: `step step-${c.kind}`, attrs: { 'aria-labelledby': 'step-title' } }, title);
    if (c.body) art.append(h('div', { class: 'body', attrs: { lang } }, renderBody(c.body)));
    if (c.image) art.append(h('img', { class: 'scenario-image', src: c.image, alt: c.alt || '' }));
    if (c.video) art.append(h('p', {}, h('a', { href: c.video, target: '_blank', rel: 'noopener noreferrer', text: t('step.video') })));

    if (TAKES.has(c.kind)) art.append(this.answerForm(st, c, lang));
    if (SHARED.has(c.kind)) {
      this.shared = new SharedEditor(this.app, st.index, c, lang);
      this.shared.open = st.open;
      this.shared.update(this.s.group);
      art.append(this.shared.el);
    }
    if (c.kind === 'closing') art.append(helpCard(c.help, lang) || '');
    this.resultsEl = h('section', { class: 'results', hidden: true, attrs: { 'aria-labelledby': 'results-title' } },
      h('h2', { id: 'results-title', text: t('results.title') }), h('div', { class: 'results-body' }));
    this.screenEl = h('section', { class: 'on-screen', hidden: true, attrs: { 'aria-labelledby': 'screen-title' } });
    art.append(this.resultsEl, this.screenEl);
    clear(this.root).append(art);
    this.drawResults();
    this.drawScreen();
    this.drawStatus();
    this.countdown.update(this.s.timer, st.index);
    if (isNew) {
      announce(t('step.announce', { n: st.index + 1, total: this.total(), title: c.title }));
      // A preview in another page's frame never takes that page's focus.
      if (!this.app.preview && (hadFocus || document.activeElement === document.body)) title.focus({ preventScroll: false });
      window.scrollTo(0, 0);
    }
  }

  total() { return (this.s.room && this.s.room.steps) || '?'; }

  drawCount() {
    if (this.s.step) this.count.textContent = t('step.of', { n: this.s.step.index + 1, total: this.total() });
  }

  answerForm(st, c, lang) {
    const index = st.index;
    const key = store.draftKey(this.app.code, index, c.id);
    this.input = inputs.build(c, index, lang, () => {
      store.save(key, this.input.get());
      delete this.errors[index];
      this.drawStatus();
    });
    const draft = store.load(key);
    const you = this.s.you && this.s.you.answer && this.s.you.answer.step === index ? this.s.you.answer : null;
    this.input.set(draft || you);
    this.input.disable(!st.open);
    this.sendBtn = h('button', { type: 'submit', class: 'primary big' });
    this.statusEl = h('p', { class: 'status', attrs: { role: 'status' } });
    const form = h('form', { class: 'answer', attrs: { novalidate: true }, on: { submit: (e) => { e.preventDefault(); this.send(); } } },
      this.input.el, this.sendBtn, this.statusEl);
    return form;
  }

  send() {
    const st = this.s.step;
    const c = st.content;
    const a = this.input.get();
    if (!inputs.complete(c.kind, a)) {
      this.errors[st.index] = 'empty';
      this.drawStatus();
      return;
    }
    const data = { step: st.index, ...inputs.normalise(c.kind, a) };
    if (c.kind === 'closing' && !(data.follow_up && data.follow_up.length)) delete data.follow_up;
    delete this.errors[st.index];
    this.app.submit('answer', data);
    this.drawStatus();
  }

  sentAnswer(index) {
    const you = this.s.you && this.s.you.answer;
    if (you && you.step === index) return you;
    return this.acked[index] || null;
  }

  drawStatus() {
    if (this.shared) this.shared.drawStatus();
    if (!this.input || !this.statusEl) return;
    const st = this.s.step;
    const kind = st.content.kind;
    const index = st.index;
    const pending = this.app.pendingFor('answer', index).length > 0;
    const sent = this.sentAnswer(index);
    const cur = this.input.get();
    const unchanged = sent && (!cur || inputs.same(kind, cur, sent));
    let msg = '';
    let cls = 'status';
    if (pending) {
      msg = this.app.online() ? t('answer.sending') : t('answer.saved_offline');
      cls += ' pending';
    } else if (this.errors[index]) {
      msg = this.errors[index] === 'empty' ? t('answer.empty') : t('error.' + this.errors[index]);
      cls += ' error';
    } else if (unchanged) {
      msg = st.open ? t('answer.sent_can_change') : t('answer.sent');
      cls += ' ok';
    } else if (sent) {
      msg = t('answer.changed');
    }
    if (!st.open && !pending) {
      msg = unchanged ? `${t('answer.sent')} ${t('answer.closed')}` : t('answer.closed');
    }
    this.statusEl.textContent = msg;
    this.statusEl.className = cls;
    this.sendBtn.textContent = sent && !unchanged ? t('answer.update') : t('answer.send');
    this.sendBtn.disabled = !st.open || pending || !!unchanged;
  }

  drawResults() {
    const st = this.s.step;
    const r = this.s.results;
    if (!this.resultsEl || !st) return;
    const on = st.revealed && REVEALS.has(st.content.kind) && r && r.step === st.index && !r.hidden;
    this.resultsEl.hidden = !on;
    if (on) renderResults(this.resultsEl.querySelector('.results-body'), st.content, r, this.lang);
  }

  drawScreen() {
    const el = this.screenEl;
    const sc = this.s.screen;
    if (!el) return;
    const on = this.s.step && this.s.step.content.kind === 'plenary' && sc && sc.items && sc.items.length > 0;
    el.hidden = !on;
    clear(el);
    if (!on) return;
    el.append(h('h2', { id: 'screen-title', text: t('screen.on_screen') }));
    for (const it of sc.items) el.append(screenItem(it, this.lang));
  }

  timer() { if (this.s.step) this.countdown.update(this.s.timer, this.s.step.index); }

  group() { if (this.shared) this.shared.update(this.s.group); }

  /** acked: the server took a submission of ours. */
  onAck(item) {
    if (item.type === 'answer') {
      this.acked[item.data.step] = item.data;
      delete this.errors[item.data.step];
    }
    this.drawStatus();
  }

  /** failed: the server refused a submission of ours for good. */
  failed(item, err) {
    if (item.type === 'answer' && item.data.step === this.index) {
      this.errors[item.data.step] = err.code || 'internal';
      this.drawStatus();
    } else if (this.shared && item.data && item.data.step === this.index) {
      this.shared.failed(item, err);
    }
  }
}

/** screenItem draws an approved item as text. */
export function screenItem(it, lang) {
  const box = h('blockquote', { class: 'screen-item' }, h('p', { class: 'item-text', attrs: { lang } }, it.text || ''));
  if (it.kind === 'action' && (it.who || it.when)) {
    box.append(h('p', { class: 'item-meta' },
      it.who ? `${t('shared.who')}: ${it.who}` : '', it.who && it.when ? ' · ' : '', it.when ? `${t('shared.when')}: ${it.when}` : ''));
  }
  return box;
}
