// Results of a step: bars for polls (and a closing step's follow-up),
// a distribution with the median for scales, a word cloud sized by count.
// Used on the dashboard (always), the big screen and the phones (after the
// reveal). Below 3 answers the server sends no breakdown, and we say so.

import { h, clear } from './dom.js';
import { t, number } from './i18n.js';

/**
 * renderResults draws results r of step content c into el. lang is the
 * plan's language, for option labels written in it.
 */
export function renderResults(el, c, r, lang) {
  clear(el);
  if (!c || !r || r.step === undefined) return;
  const answered = h('p', { class: 'answered', text: t('results.answered', { count: r.answered || 0, n: number(r.answered || 0) }) });
  if (r.hidden) {
    el.append(answered);
    return;
  }
  if (r.too_few) {
    el.append(answered, h('p', { class: 'too-few', text: t('results.too_few') }));
    return;
  }
  switch (c.kind) {
    case 'poll':
      if (r.counts) el.append(bars(c.options || [], r.counts, r.answered, lang));
      break;
    case 'closing':
      if (r.follow_up && c.follow_up) el.append(bars(c.follow_up, r.follow_up, r.answered, lang));
      break;
    case 'scale':
      if (r.counts) el.append(distribution(c, r, lang));
      break;
    case 'wordcloud':
      if (r.words) el.append(cloud(r.words));
      break;
  }
  el.append(answered);
}

function pct(n, of) { return of > 0 ? Math.round((100 * n) / of) : 0; }

// Each bar is the option's share of those who answered (not of the top
// option), so the bars read like the percentages beside them.
function bars(labels, counts, answered, lang) {
  const list = h('ul', { class: 'bars' });
  labels.forEach((label, i) => {
    const n = counts[i] || 0;
    const fill = h('span', { class: 'bar-fill' });
    fill.style.width = `${answered > 0 ? Math.min(100, (100 * n) / answered) : 0}%`;
    list.append(h('li', { class: 'bar-row' },
      h('span', { class: 'bar-label', attrs: { lang } }, label),
      h('span', { class: 'bar-value', text: t('results.count_pct', { n: number(n), pct: number(pct(n, answered)) }) }),
      h('span', { class: 'bar-track', attrs: { 'aria-hidden': 'true' } }, fill)));
  });
  return list;
}

function distribution(c, r, lang) {
  const wrap = h('div', { class: 'dist' });
  const list = h('ol', { class: 'dist-cols' });
  const max = Math.max(1, ...r.counts);
  r.counts.forEach((n, i) => {
    const col = h('span', { class: 'dist-fill' });
    col.style.height = `${(100 * n) / max}%`;
    list.append(h('li', { class: 'dist-col' },
      h('span', { class: 'dist-count', text: number(n) }),
      h('span', { class: 'dist-track', attrs: { 'aria-hidden': 'true' } }, col),
      h('span', { class: 'dist-point', text: String((c.scale_min ?? 1) + i) }),
      h('span', { class: 'sr-only', text: t('results.answers', { count: n, n: number(n) }) })));
  });
  wrap.append(list,
    h('p', { class: 'dist-labels' },
      h('span', { attrs: { lang } }, `${c.scale_min ?? 1} = ${c.min_label || ''}`),
      h('span', { attrs: { lang } }, `${c.scale_max ?? 5} = ${c.max_label || ''}`)));
  if (typeof r.median === 'number') {
    wrap.append(h('p', { class: 'median', text: t('results.median', { v: number(r.median, { maximumFractionDigits: 1 }) }) }));
  }
  return wrap;
}

function cloud(words) {
  const list = h('ul', { class: 'cloud' });
  const counts = words.map((w) => w.count);
  const max = Math.max(...counts, 1), min = Math.min(...counts, max);
  // Alternate big and small words around the middle, as word clouds do.
  const sorted = [...words];
  const arranged = [];
  sorted.forEach((w, i) => (i % 2 ? arranged.push(w) : arranged.unshift(w)));
  for (const w of arranged) {
    const weight = max === min ? 0.3 : (w.count - min) / (max - min);
    const li = h('li', { class: 'cloud-word' },
      h('span', {}, w.word),
      h('span', { class: 'sr-only', text: ` (${number(w.count)})` }));
    // From 1em up to 1em + --spread (2.2em unless a screen short of room
    // narrows it): the least frequent word is never smaller than the text.
    li.style.fontSize = `calc(1em + ${weight.toFixed(3)} * var(--spread, 2.2em))`;
    li.classList.add(`cloud-tone-${Math.round(weight * 3)}`);
    list.append(li);
  }
  return list;
}
