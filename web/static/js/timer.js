// The step countdown. The server sends ends_at on its own clock; conn.now()
// corrects ours with the server_time of the welcome, so every screen shows
// the same time left.

import { h, clear, announce } from './dom.js';
import { t } from './i18n.js';

export function formatTime(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export class Countdown {
  /**
   * el is the element to draw into. always: show even a timer that has not
   * started (the dashboard); otherwise it shows once it has run.
   */
  constructor(el, conn, { always = false, speak = false } = {}) {
    this.el = el;
    this.conn = conn;
    this.always = always;
    this.speak = speak;
    this.timer = null;
    this.step = -1;
    // off hides the timer whatever it says: after the session has ended
    // no screen shows a timer.
    this.off = false;
    this.tick = 0;
    this.warned = false;
    this.label = h('span', { class: 'sr-only' });
    this.time = h('span', { class: 'timer-time' });
    this.state = h('span', { class: 'timer-state' });
    clear(el).append(this.label, this.time, this.state);
    el.setAttribute('role', 'timer');
  }

  /** update takes a timer view and the current step index. */
  update(timer, step) {
    const prev = this.timer;
    this.timer = timer;
    this.step = step;
    if (!prev || prev.step !== timer.step || timer.remaining_ms > 60000 || !timer.running) this.warned = false;
    if (timer && timer.expired && !(prev && prev.expired) && this.speak && prev) announce(t('timer.expired'));
    this.draw();
    clearInterval(this.tick);
    if (timer && timer.running) this.tick = setInterval(() => this.draw(), 250);
  }

  remaining() {
    const tm = this.timer;
    if (!tm) return 0;
    return tm.running ? Math.max(0, tm.ends_at - this.conn.now()) : tm.remaining_ms;
  }

  draw() {
    const tm = this.timer;
    const visible = !this.off && tm && tm.step === this.step && tm.duration_ms > 0 &&
      (this.always || tm.running || tm.expired || tm.remaining_ms < tm.duration_ms);
    this.el.hidden = !visible;
    if (!visible) return;
    const left = this.remaining();
    this.label.textContent = t('timer.label') + ' ';
    this.time.textContent = formatTime(left);
    let state = '';
    if (tm.expired || (tm.running && left <= 0)) state = t('timer.expired');
    else if (!tm.running && tm.remaining_ms < tm.duration_ms) state = t('timer.paused');
    else if (!tm.running) state = t('timer.not_started');
    this.state.textContent = state;
    this.el.classList.toggle('timer-low', tm.running && left < 60000);
    this.el.classList.toggle('timer-done', !!tm.expired || (tm.running && left <= 0));
    if (this.speak && tm.running && left < 60000 && left > 0 && !this.warned) {
      this.warned = true;
      announce(t('timer.one_minute'));
    }
  }

  /** redraw after a language switch. */
  refresh() { this.draw(); }
}
