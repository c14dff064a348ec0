// The phone's inputs for answers of one person: poll, scale, open text,
// word cloud and closing. Each builder returns {el, get, set, disable}:
// get() is the answer data (without step) or null when nothing is chosen,
// set(a) fills the input from an answer or a draft.

import { h } from './dom.js';
import { t } from './i18n.js';

/** normalise makes an answer look as the server stores it. */
export function normalise(kind, a) {
  if (!a) return null;
  switch (kind) {
    case 'poll': return { choices: [...(a.choices || [])].sort((x, y) => x - y) };
    case 'scale': return { value: a.value };
    case 'open': return { text: (a.text || '').trim() };
    case 'wordcloud': return { words: (a.words || []).map(normaliseWord).filter(Boolean) };
    case 'closing': return { text: (a.text || '').trim(), follow_up: [...(a.follow_up || [])].sort((x, y) => x - y) };
  }
  return a;
}

export function normaliseWord(w) { return String(w).trim().split(/\s+/).join(' ').toLowerCase(); }

/** complete reports whether an answer may be sent as it is. */
export function complete(kind, a) {
  if (!a) return false;
  if (kind === 'open' || kind === 'closing') return !!(a.text && a.text.trim());
  return true;
}

/** same compares two answers of a kind after normalising both. */
export function same(kind, a, b) {
  return JSON.stringify(normalise(kind, a)) === JSON.stringify(normalise(kind, b));
}

/** build returns the input for step content c, or null for kinds without one. */
export function build(c, index, lang, onChange) {
  switch (c.kind) {
    case 'poll': return poll(c, index, lang, onChange);
    case 'scale': return scale(c, index, lang, onChange);
    case 'open': return text(c, index, onChange, t('answer.your_answer'), null);
    case 'wordcloud': return words(c, index, onChange);
    case 'closing': return closing(c, index, lang, onChange);
  }
  return null;
}

function choiceList(name, type, labels, lang, onChange, legend) {
  const boxes = labels.map((_, i) => h('input', { type, name, value: String(i), id: `${name}-${i}`, on: { change: onChange } }));
  const el = h('fieldset', { class: 'choices' },
    h('legend', { class: 'choices-legend', text: legend }),
    labels.map((label, i) => h('div', { class: 'choice' },
      boxes[i],
      h('label', { htmlFor: boxes[i].id, attrs: { lang } }, label))));
  return {
    el,
    picked: () => boxes.filter((b) => b.checked).map((b) => Number(b.value)),
    check: (list) => boxes.forEach((b, i) => { b.checked = !!(list && list.includes(i)); }),
    disable: (d) => boxes.forEach((b) => { b.disabled = d; }),
  };
}

function poll(c, index, lang, onChange) {
  const list = choiceList(`q${index}`, c.multiple ? 'checkbox' : 'radio', c.options || [], lang, onChange,
    t(c.multiple ? 'answer.choose_many' : 'answer.choose_one'));
  return {
    el: list.el,
    get: () => { const ch = list.picked(); return ch.length ? { choices: ch } : null; },
    set: (a) => list.check(a && a.choices),
    disable: list.disable,
  };
}

function scale(c, index, lang, onChange) {
  const min = c.scale_min ?? 1, max = c.scale_max ?? 5;
  const name = `q${index}`;
  const radios = [];
  const row = h('div', { class: 'scale-row' });
  for (let v = min; v <= max; v++) {
    const r = h('input', { type: 'radio', name, value: String(v), id: `${name}-${v}`, on: { change: onChange } });
    radios.push(r);
    row.append(h('div', { class: 'scale-point' }, r, h('label', { htmlFor: r.id, text: String(v) })));
  }
  const el = h('fieldset', { class: 'scale' },
    h('legend', { class: 'choices-legend', text: t('answer.scale_legend', { min, max }) }),
    row,
    h('div', { class: 'scale-ends' },
      h('span', { attrs: { lang } }, `${min}: ${c.min_label || ''}`),
      h('span', { attrs: { lang } }, `${max}: ${c.max_label || ''}`)));
  return {
    el,
    get: () => { const r = radios.find((x) => x.checked); return r ? { value: Number(r.value) } : null; },
    set: (a) => radios.forEach((r) => { r.checked = !!a && a.value === Number(r.value); }),
    disable: (d) => radios.forEach((r) => { r.disabled = d; }),
  };
}

// textArea is a labelled text area with a character counter.
function textArea(id, label, maxLength, onChange, lang) {
  const counter = h('p', { class: 'counter', id: `${id}-count` });
  const area = h('textarea', { id, rows: 4, maxLength, attrs: { 'aria-describedby': counter.id } });
  const count = () => { counter.textContent = t('answer.counter', { n: area.value.length, max: maxLength }); };
  area.addEventListener('input', () => { count(); onChange(); });
  count();
  const el = h('div', { class: 'field' }, h('label', { htmlFor: id, attrs: { lang } }, label), area, counter);
  return { el, area, count };
}

function text(c, index, onChange, label) {
  const f = textArea(`q${index}-text`, label, c.max_length || 500, onChange);
  return {
    el: f.el,
    get: () => (f.area.value.trim() ? { text: f.area.value } : null),
    set: (a) => { f.area.value = (a && a.text) || ''; f.count(); },
    disable: (d) => { f.area.disabled = d; },
  };
}

function words(c, index, onChange) {
  const n = c.max_words || 3;
  const inputs = [];
  const el = h('fieldset', { class: 'words' }, h('legend', { class: 'choices-legend', text: t('answer.words_legend', { count: n, n }) }));
  for (let i = 0; i < n; i++) {
    const input = h('input', { type: 'text', id: `q${index}-w${i}`, maxLength: c.max_word_length || 30, autocomplete: 'off', on: { input: onChange } });
    inputs.push(input);
    el.append(h('div', { class: 'field' }, h('label', { htmlFor: input.id, text: t('answer.word', { n: i + 1 }) }), input));
  }
  return {
    el,
    get: () => { const w = inputs.map((x) => x.value.trim()).filter(Boolean); return w.length ? { words: w } : null; },
    set: (a) => inputs.forEach((x, i) => { x.value = (a && a.words && a.words[i]) || ''; }),
    disable: (d) => inputs.forEach((x) => { x.disabled = d; }),
  };
}

function closing(c, index, lang, onChange) {
  const f = textArea(`q${index}-text`, c.prompt || t('answer.your_answer'), c.max_length || 500, onChange, lang);
  const el = h('div', { class: 'closing' }, f.el);
  let list = null;
  if (c.follow_up && c.follow_up.length) {
    list = choiceList(`q${index}-f`, 'checkbox', c.follow_up, lang, onChange, t('answer.follow_up'));
    el.append(list.el);
  }
  return {
    el,
    get: () => {
      const picked = list ? list.picked() : [];
      if (!f.area.value.trim() && !picked.length) return null;
      const a = { text: f.area.value };
      if (list) a.follow_up = picked;
      return a;
    },
    set: (a) => { f.area.value = (a && a.text) || ''; f.count(); if (list) list.check(a && a.follow_up); },
    disable: (d) => { f.area.disabled = d; if (list) list.disable(d); },
  };
}
