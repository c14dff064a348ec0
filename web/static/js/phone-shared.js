// A group's shared text on the phone, for breakout and actions steps.
// The text is a list of entries; each member edits only their own, so two
// people typing at once never overwrite each other. Own entries live in
// localStorage and are sent as "entry" frames a few times a second while
// typing (and on leaving the field) with a growing ver; a "group" frame
// from the server replaces the others' entries and never the text being
// typed here, unless the server holds a newer ver of it.

import { h, clear, confirmDialog } from './dom.js';
import { t } from './i18n.js';
import * as store from './store.js';

const SEND_EVERY = 400; // ms between edits sent while typing

export class SharedEditor {
  /**
   * app: {code, pid(), submit(type, data), pendingFor(type, step), online()}
   * index, c: the step; lang: the plan's language.
   */
  constructor(app, index, c, lang) {
    this.app = app;
    this.index = index;
    this.c = c;
    this.lang = lang;
    this.actions = c.kind === 'actions';
    this.maxLength = c.max_length || 3000;
    this.key = store.sharedKey(app.code, index, c.id);
    this.local = store.load(this.key, null) || { next: 1, order: [], mine: {}, deleted: {} };
    this.group = null;
    this.open = true;
    this.timer = 0;
    this.editors = new Map(); // entry id -> {el, fields}
    this.submitting = false;
    this.el = h('section', { class: 'shared', attrs: { 'aria-labelledby': 'shared-title' } });
    // Text typed just before a reload, and not sent yet, goes out now.
    if (this.local.order.some((id) => this.local.mine[id] && this.local.mine[id].dirty)) {
      this.timer = setTimeout(() => this.flush(), SEND_EVERY);
    }
  }

  save() { store.save(this.key, this.local); }

  /** update takes the group frame's data (null: not in a group). */
  update(g) {
    const before = this.group;
    this.group = g && g.step === this.index ? g : null;
    if (this.group) this.adopt(this.group);
    const shape = (x) => (x ? `${x.id}/${x.submitted}` : '');
    if (!before || shape(before) !== shape(this.group) || !this.built) this.render();
    else {
      this.drawInfo();
      this.drawOthers();
    }
    this.drawStatus();
  }

  // adopt takes own entries from the server that are newer than ours: a
  // reload that lost localStorage, or another tab of the same person.
  adopt(g) {
    const pid = this.app.pid();
    for (const e of g.entries || []) {
      if (e.author !== pid) continue;
      const lid = e.id.startsWith(pid + '-') ? e.id.slice(pid.length + 1) : e.id;
      const n = Number(lid.replace(/^\D+/, ''));
      if (n >= this.local.next) this.local.next = n + 1;
      const mine = this.local.mine[lid];
      if (this.local.deleted[lid]) continue;
      if (!mine || (e.ver > mine.ver && !mine.dirty)) {
        this.local.mine[lid] = { text: e.text || '', who: e.who || '', when: e.when || '', ver: e.ver, dirty: false };
        if (!this.local.order.includes(lid)) this.local.order.push(lid);
        const ed = this.editors.get(lid);
        if (ed) ed.fill(this.local.mine[lid]);
      }
    }
    this.save();
  }

  setOpen(open) {
    if (this.open === open) return;
    this.open = open;
    if (this.built) this.render();
  }

  render() {
    this.built = true;
    clear(this.el);
    this.editors.clear();
    this.info = null;
    this.others = null;
    const g = this.group;
    this.el.append(h('h2', { id: 'shared-title', class: 'sr-only', text: t(this.actions ? 'shared.title_actions' : 'shared.title') }));
    if (!g) {
      this.el.append(h('p', { class: 'waiting', text: t('shared.no_group') }));
      return;
    }
    this.info = h('p', { class: 'group-info' });
    this.el.append(this.info);
    this.drawInfo();
    if (this.c.prompts && this.c.prompts.length) {
      this.el.append(h('h3', { text: t('shared.prompts') }),
        h('ul', { class: 'prompts', attrs: { lang: this.lang } }, this.c.prompts.map((p) => h('li', {}, p))));
    }
    this.others = h('div', { class: 'others' });
    this.el.append(h('h3', { text: t('shared.others') }), this.others);
    this.drawOthers();
    if (g.submitted) {
      this.el.append(h('h3', { text: t('shared.yours') }), this.readOnlyMine(),
        h('p', { class: 'status ok', text: t(this.k('shared.submitted')) }));
      return;
    }
    this.mineEl = h('div', { class: 'mine' });
    this.el.append(h('h3', { text: t('shared.yours') }), this.mineEl);
    if (!this.local.order.some((id) => this.local.mine[id])) this.addEntry(false);
    for (const id of this.local.order) if (this.local.mine[id]) this.mineEl.append(this.editor(id));
    this.status = h('p', { class: 'status', attrs: { role: 'status' } });
    this.submitBtn = h('button', { type: 'button', class: 'primary', text: t(this.k('shared.submit')), disabled: !this.open, on: { click: () => this.submit() } });
    this.el.append(
      h('button', { type: 'button', class: 'secondary', disabled: !this.open, text: t(this.actions ? 'shared.add_action' : 'shared.add'), on: { click: () => this.addEntry(true) } }),
      this.status,
      h('div', { class: 'submit-area' }, h('p', { class: 'hint', text: t(this.k('shared.submit_hint')) }), this.submitBtn));
    if (!this.open) this.el.append(h('p', { class: 'status', text: t('shared.closed') }));
    this.drawStatus();
  }

  drawInfo() {
    const g = this.group;
    if (!g || !this.info) return;
    clear(this.info).append(h('strong', { text: t('shared.group', { n: g.id }) }), ' · ', t('shared.people', { count: g.size, n: g.size }));
  }

  // drawOthers shows what the others in the group wrote, live.
  drawOthers() {
    if (!this.others) return;
    const pid = this.app.pid();
    const list = ((this.group && this.group.entries) || []).filter((e) => e.author !== pid && (e.text || e.who || e.when));
    clear(this.others);
    if (!list.length) {
      this.others.append(h('p', { class: 'hint', text: t('shared.nothing_yet') }));
      return;
    }
    for (const e of list) this.others.append(this.entryView(e));
  }

  entryView(e) {
    if (!this.actions) return h('p', { class: 'entry', attrs: { lang: this.lang } }, e.text || '');
    return h('dl', { class: 'entry action' },
      h('dt', { text: t('shared.what') }), h('dd', {}, e.text || ''),
      h('dt', { text: t('shared.who') }), h('dd', {}, e.who || '–'),
      h('dt', { text: t('shared.when') }), h('dd', {}, e.when || '–'));
  }

  readOnlyMine() {
    const pid = this.app.pid();
    const mine = ((this.group && this.group.entries) || []).filter((e) => e.author === pid);
    return h('div', { class: 'others' }, mine.length ? mine.map((e) => this.entryView(e)) : h('p', { class: 'hint', text: t('shared.nothing_yet') }));
  }

  addEntry(focus) {
    const id = 'e' + this.local.next++;
    this.local.mine[id] = { text: '', who: '', when: '', ver: 0, dirty: false };
    this.local.order.push(id);
    this.save();
    if (this.mineEl && this.built && focus) {
      const ed = this.editor(id);
      this.mineEl.append(ed);
      ed.querySelector('textarea').focus();
    }
  }

  // editor builds the fields of one own entry.
  editor(id) {
    const e = this.local.mine[id];
    const pos = this.local.order.filter((x) => this.local.mine[x]).indexOf(id) + 1;
    const base = `s${this.index}-${id}`;
    const onInput = () => this.edited(id);
    const what = h('textarea', { id: `${base}-text`, rows: this.actions ? 2 : 4, maxLength: this.maxLength, disabled: !this.open, on: { input: onInput } });
    const fields = { text: what };
    const box = h('div', { class: 'own-entry', data: { entry: id } });
    const label = this.actions ? t('shared.what') : t('shared.paragraph', { n: pos });
    box.append(h('div', { class: 'field' }, h('label', { htmlFor: what.id, text: label }), what));
    if (this.actions) {
      for (const f of ['who', 'when']) {
        const input = h('input', { type: 'text', id: `${base}-${f}`, maxLength: 200, disabled: !this.open, on: { input: onInput } });
        fields[f] = input;
        box.append(h('div', { class: 'field' }, h('label', { htmlFor: input.id, text: t('shared.' + f) }), input));
      }
    }
    box.append(h('button', { type: 'button', class: 'link', disabled: !this.open, text: t('shared.remove'), on: { click: () => this.removeEntry(id) } }));
    box.addEventListener('focusout', () => this.flush());
    const wrap = this.actions ? h('fieldset', { class: 'own-action' }, h('legend', { text: t('shared.action_n', { n: pos }) }), box) : box;
    const fill = (v) => {
      for (const [k, el] of Object.entries(fields)) if (document.activeElement !== el) el.value = v[k] || '';
    };
    fill(e);
    this.editors.set(id, { el: wrap, fields, fill });
    return wrap;
  }

  edited(id) {
    const ed = this.editors.get(id);
    const e = this.local.mine[id];
    if (!ed || !e) return;
    e.text = ed.fields.text.value;
    if (this.actions) {
      e.who = ed.fields.who.value;
      e.when = ed.fields.when.value;
    }
    e.dirty = true;
    this.save();
    if (!this.timer) this.timer = setTimeout(() => this.flush(), SEND_EVERY);
  }

  /** flush sends every edited entry now. */
  flush() {
    clearTimeout(this.timer);
    this.timer = 0;
    let sent = false;
    for (const id of this.local.order) {
      const e = this.local.mine[id];
      if (!e || !e.dirty) continue;
      e.ver += 1;
      e.dirty = false;
      const data = { step: this.index, entry: id, ver: e.ver, text: e.text };
      if (this.actions) {
        data.who = e.who;
        data.when = e.when;
      }
      this.app.submit('entry', data);
      sent = true;
    }
    if (sent) {
      this.save();
      this.drawStatus();
    }
  }

  async removeEntry(id) {
    const e = this.local.mine[id];
    if (!e) return;
    if ((e.text || e.who || e.when) && !(await confirmDialog(t('shared.remove_confirm'), t('shared.remove'), true))) return;
    delete this.local.mine[id];
    this.local.deleted[id] = true;
    this.local.order = this.local.order.filter((x) => x !== id);
    this.save();
    if (e.ver > 0) this.app.submit('entry', { step: this.index, entry: id, ver: e.ver + 1, delete: true });
    this.render();
  }

  async submit() {
    this.flush();
    if (!(await confirmDialog(t(this.k('shared.submit_confirm')), t(this.k('shared.submit'))))) return;
    this.submitting = true;
    this.app.submit('submit', { step: this.index });
    this.drawStatus();
  }

  /** k is the text key for this step's kind: an actions step speaks of actions. */
  k(key) { return this.actions ? key + '_actions' : key; }

  /** failed shows why an entry or submit frame was refused. */
  failed(item, err) {
    this.submitting = false;
    if (!this.status) return;
    const code = item.type === 'submit' && err.code === 'invalid' ? this.k('shared.empty') : 'error.' + (err.code || 'internal');
    this.status.textContent = t(code);
    this.status.className = 'status error';
  }

  drawStatus() {
    if (!this.status || !this.status.isConnected) return;
    const pending = this.app.pendingFor('entry', this.index).length + this.app.pendingFor('submit', this.index).length;
    const dirty = this.local.order.some((id) => this.local.mine[id] && this.local.mine[id].dirty);
    let msg = '';
    if (pending || dirty) msg = this.app.online() ? t('shared.saving') : t('answer.saved_offline');
    else if (this.local.order.some((id) => this.local.mine[id] && this.local.mine[id].ver > 0)) msg = t('shared.saved');
    this.status.textContent = msg;
    this.status.className = 'status';
    if (this.submitBtn) this.submitBtn.disabled = !this.open || this.app.pendingFor('submit', this.index).length > 0;
  }

  /** destroy sends what is still being typed before the step goes away. */
  destroy() { this.flush(); }
}
