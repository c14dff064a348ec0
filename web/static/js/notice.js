// The organizer's announcement to every room of a conference event, on the
// phone and the dashboard (until dismissed) and the big screen (a banner
// for a while). It comes as an `announcement` frame, and after a reload in
// the snapshot; each has an id, so the same one is shown and spoken once.
// The text is always shown as text.

import { h, announce } from './dom.js';
import { t, language } from './i18n.js';

export class Notice {
  /**
   * el: an empty element of the page to draw into. dismissible: offer a
   * button that puts the announcement away, remembered under storeKey in
   * localStorage. maxAge: ms after it was sent when it is no longer shown
   * (0: until dismissed or replaced). now: the server's clock.
   */
  constructor(el, { dismissible = false, storeKey = '', maxAge = 0, now = () => Date.now() } = {}) {
    this.el = el;
    this.dismissible = dismissible;
    this.storeKey = storeKey;
    this.maxAge = maxAge;
    this.now = now;
    this.a = null;
    this.gone = ''; // dismissed here, when there is no storage
    this.expiry = 0;
    this.label = h('p', { class: 'ann-label', id: el.id + '-label' });
    this.text = h('p', { class: 'ann-text' });
    this.time = h('p', { class: 'ann-time' });
    el.setAttribute('aria-labelledby', this.label.id);
    el.append(this.label, this.text, this.time);
    if (dismissible) {
      this.btn = h('button', { type: 'button', class: 'secondary ann-dismiss', on: { click: () => this.dismiss() } });
      el.append(this.btn);
    }
    el.hidden = true;
  }

  dismissed() {
    if (!this.storeKey) return this.gone;
    try { return JSON.parse(localStorage.getItem(this.storeKey) || '""') || this.gone; } catch { return this.gone; }
  }

  /**
   * set shows an announcement ({id, text, at}); fresh is true when it came
   * just now as a frame, so that screen readers hear it.
   */
  set(a, fresh = false) {
    if (!a || !a.id || !a.text) return;
    const same = this.a && this.a.id === a.id;
    if (same && !this.el.hidden) return;
    if (a.id === this.dismissed()) return;
    this.a = a;
    this.draw();
    if (fresh && !same && !this.el.hidden) announce(t('ann.spoken', { text: a.text }));
  }

  /** draw redraws, also after a language switch. */
  draw() {
    const a = this.a;
    clearTimeout(this.expiry);
    if (!a || a.id === this.dismissed()) {
      this.el.hidden = true;
      return;
    }
    if (this.maxAge && a.at) {
      const left = a.at + this.maxAge - this.now();
      if (left <= 0) {
        this.el.hidden = true;
        return;
      }
      this.expiry = setTimeout(() => this.draw(), Math.min(left + 500, 2 ** 31 - 1));
    }
    this.label.textContent = t('ann.label');
    this.text.textContent = a.text;
    this.time.textContent = a.at ? t('ann.sent_at', { time: new Intl.DateTimeFormat(language() === 'en' ? 'en-GB' : language(), { hour: '2-digit', minute: '2-digit' }).format(new Date(a.at)) }) : '';
    this.time.hidden = !a.at;
    if (this.btn) this.btn.textContent = t('ann.dismiss');
    this.el.hidden = false;
  }

  dismiss() {
    if (!this.a) return;
    this.gone = this.a.id;
    if (this.storeKey) {
      try { localStorage.setItem(this.storeKey, JSON.stringify(this.a.id)); } catch { /* shown again after a reload */ }
    }
    const hadFocus = this.el.contains(document.activeElement);
    this.el.hidden = true;
    if (hadFocus) {
      const main = document.getElementById('main');
      if (main) {
        if (!main.hasAttribute('tabindex')) main.setAttribute('tabindex', '-1');
        main.focus();
      }
    }
  }
}
