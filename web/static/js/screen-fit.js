// Fitting the big screen's content into the space it has, without ever
// scrolling or clipping a line: the content is drawn as large as fits (up
// to max times the screen's unit, never below the unit); long text is then
// set in columns; what still does not fit is shown a page at a time,
// turning by itself, with the page number in view.

const PAGE_FOR = 15000; // ms a page stays up

/** overflows reports whether el's content is larger than el. */
export function overflows(el) {
  return el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1;
}

export class Fitter {
  /**
   * el is the box to fit into (its font-size is calc(var(--fit) * 1rem));
   * onPage(n, of) is told the page shown (of 0: no pages).
   */
  constructor(el, onPage) {
    this.el = el;
    this.onPage = onPage;
    this.timer = 0;
    this.page = 0;
    this.pages = 0;
    addEventListener('resize', () => this.fit(this.opts));
    this.opts = {};
  }

  setScale(v) { this.el.style.setProperty('--fit', v.toFixed(3)); }

  /**
   * fit sizes the content. max and min: the largest and smallest scale to
   * try (min below 1 only where the content's own text is larger than the
   * screen's unit); spread: a word cloud, whose big words may come closer
   * to the small ones; flow: running text that may be set in columns and
   * pages.
   */
  fit(opts = {}) {
    this.opts = opts;
    const el = this.el;
    const max = opts.max || 1.5;
    const min = opts.min || 1;
    clearInterval(this.timer);
    el.classList.remove('flow', 'paged');
    el.style.removeProperty('--cols');
    el.style.removeProperty('--spread');
    el.style.removeProperty('column-width');
    el.scrollLeft = 0;
    this.pages = 0;
    this.setScale(max);
    if (!overflows(el)) return this.report();
    this.setScale(min);
    if (!overflows(el)) {
      let lo = min, hi = max;
      for (let i = 0; i < 7; i++) {
        const mid = (lo + hi) / 2;
        this.setScale(mid);
        if (overflows(el)) hi = mid; else lo = mid;
      }
      this.setScale(lo);
      return this.report();
    }
    if (opts.spread) {
      for (const sp of [1.6, 1.1, 0.7, 0.4, 0]) {
        el.style.setProperty('--spread', `${sp}em`);
        if (!overflows(el)) return this.report();
      }
    }
    if (opts.flow) {
      el.classList.add('flow');
      for (const cols of [2, 3]) {
        if (el.clientWidth / cols < 400 && cols > 2) break;
        el.style.setProperty('--cols', String(cols));
        if (!overflows(el)) return this.report();
      }
      el.classList.remove('flow');
      el.style.removeProperty('--cols');
    }
    // A page at a time: the content flows into columns as wide as the box,
    // one beside the other, and the box shows one of them.
    el.classList.add('paged');
    el.style.columnWidth = `${el.clientWidth}px`;
    this.pages = Math.max(1, Math.round(el.scrollWidth / el.clientWidth));
    this.show(0);
    if (this.pages > 1) this.timer = setInterval(() => this.show((this.page + 1) % this.pages), PAGE_FOR);
    return this.report();
  }

  show(i) {
    this.page = i;
    this.el.scrollLeft = i * this.el.clientWidth;
    this.report();
  }

  report() {
    if (this.onPage) this.onPage(this.pages > 1 ? this.page + 1 : 0, this.pages > 1 ? this.pages : 0);
  }
}
