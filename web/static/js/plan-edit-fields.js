// The editor's fields: one control per plan or step field, by its type
// (text, long text, number, yes/no, duration, list, image), each with its
// label, its hint, and room for the problem the validator finds with it.

import { h } from './dom.js';
import { t, has } from './i18n.js';

// Fields written as long text; the rest of the text fields are one line.
const LONG = new Set(['body', 'notes', 'description', 'prompt']);
// Long text fields written in Markdown, which get a formatting bar.
const MARKDOWN = new Set(['body', 'notes']);
// Fields with a fixed set of values.
const CHOICES = { timer: ['manual', 'auto'], layout: ['single', 'side-by-side'], language: ['nb', 'nn', 'da', 'sv', 'en'] };

/** fieldId is the DOM id of a field's control: plan-title, step-options. */
export const fieldId = (scope, name) => `${scope}-${name}`;

/**
 * control draws the field `name` of `obj` (a plan or a step) as a labelled
 * control; change(value) is called as the person types. Returns the field's
 * wrapper, whose .problem element shows a problem.
 */
export function control(scope, name, type, obj, change, opts = {}) {
  const id = fieldId(scope, name);
  const hintKey = 'field.' + name + '_hint';
  const hintId = id + '-hint';
  const errId = id + '-error';
  const described = [has(hintKey) ? hintId : '', errId].filter(Boolean).join(' ');
  let input;
  const v = obj[name];
  if (CHOICES[name]) {
    input = h('select', { id, on: { change: (e) => change(e.target.value || undefined) } },
      name === 'language' ? null : h('option', { value: '', text: t('field.default') }),
      CHOICES[name].map((c) => h('option', { value: c, selected: v === c, text: name === 'language' ? t('planlang.' + c) : t('field.' + name + '_' + c.replace('-', '_')) })));
  } else if (type === 'bool') {
    input = h('input', { id, type: 'checkbox', checked: !!v, on: { change: (e) => change(e.target.checked) } });
  } else if (type === 'int') {
    input = h('input', { id, type: 'number', inputMode: 'numeric', step: 1, value: v ?? '',
      on: { input: (e) => change(e.target.value === '' ? undefined : Math.trunc(Number(e.target.value))) } });
  } else if (type === 'duration') {
    input = durationControl(id, v, change);
  } else if (type === 'list') {
    input = h('textarea', { id, rows: Math.max(3, (v || []).length + 1), value: (v || []).join('\n'),
      on: { input: (e) => change(e.target.value.split('\n').map((x) => x.trim()).filter((x) => x !== '')) } });
  } else if (LONG.has(name)) {
    input = h('textarea', { id, rows: name === 'body' ? 6 : 3, value: v || '', on: { input: (e) => change(e.target.value || undefined) } });
    if (MARKDOWN.has(name)) opts = { ...opts, extra: [formatBar(input, change, name), opts.extra || null] };
  } else {
    input = h('input', { id, value: v || '', on: { input: (e) => change(e.target.value || undefined) } });
  }
  if (input.tagName !== 'FIELDSET') input.setAttribute('aria-describedby', described);
  const label = h('label', { htmlFor: id, text: t('field.' + name) });
  const bar = opts.extra && Array.isArray(opts.extra) ? opts.extra[0] : null;
  const wrap = h('div', { class: 'field ed-field' + (type === 'bool' ? ' check' : ''), data: { field: name } },
    type === 'bool' ? [input, label] : [label, bar, input],
    has(hintKey) ? h('p', { id: hintId, class: 'hint', text: t(hintKey) }) : null,
    Array.isArray(opts.extra) ? opts.extra[1] : opts.extra || null,
    h('p', { id: errId, class: 'field-error problem', hidden: true }));
  return wrap;
}

/**
 * formatBar puts Markdown around the selected text of a textarea (or a
 * word to replace, when nothing is selected): bold, italic, a list, a
 * link. Ctrl+B and Ctrl+I do the same from the keyboard.
 */
function formatBar(area, change, name) {
  const done = () => { area.focus(); change(area.value || undefined); };
  const around = (before, after, placeholder) => {
    const { selectionStart: a, selectionEnd: b, value: v } = area;
    const sel = v.slice(a, b) || placeholder;
    area.value = v.slice(0, a) + before + sel + after + v.slice(b);
    area.setSelectionRange(a + before.length, a + before.length + sel.length);
    done();
  };
  const list = () => {
    const { selectionStart: a, selectionEnd: b, value: v } = area;
    const start = v.lastIndexOf('\n', a - 1) + 1;
    const lines = v.slice(start, b).split('\n').map((l) => (l.startsWith('- ') ? l : '- ' + l));
    area.value = v.slice(0, start) + lines.join('\n') + v.slice(b);
    done();
  };
  area.addEventListener('keydown', (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
    if (e.key === 'b') { e.preventDefault(); around('**', '**', t('edit.fmt_text')); }
    if (e.key === 'i') { e.preventDefault(); around('*', '*', t('edit.fmt_text')); }
  });
  const btn = (key, fn) => h('button', { type: 'button', class: 'fmt', text: t('edit.fmt_' + key),
    attrs: { 'aria-label': t('edit.fmt_' + key + '_of', { field: t('field.' + name) }) }, on: { click: fn } });
  return h('div', { class: 'ed-fmt', attrs: { role: 'toolbar', 'aria-label': t('edit.fmt_bar', { field: t('field.' + name) }) } },
    btn('bold', () => around('**', '**', t('edit.fmt_text'))),
    btn('italic', () => around('*', '*', t('edit.fmt_text'))),
    btn('list', list),
    btn('link', () => around('[', '](https://)', t('edit.fmt_text'))));
}

/** durationControl is minutes and seconds; the value is whole seconds. */
function durationControl(id, seconds, change) {
  const total = Number(seconds || 0);
  const min = h('input', { id, type: 'number', inputMode: 'numeric', min: 0, step: 1, value: seconds ? Math.floor(total / 60) : '' });
  const sec = h('input', { id: id + '-s', type: 'number', inputMode: 'numeric', min: 0, max: 59, step: 1, value: seconds ? total % 60 : '',
    attrs: { 'aria-label': t('field.seconds') } });
  const update = () => {
    if (min.value === '' && sec.value === '') { change(undefined); return; }
    change(Math.max(0, Math.trunc(Number(min.value || 0)) * 60 + Math.trunc(Number(sec.value || 0))));
  };
  min.addEventListener('input', update);
  sec.addEventListener('input', update);
  return h('span', { class: 'ed-duration' }, min, h('span', { text: t('field.min') }), sec, h('span', { text: t('field.sec') }));
}

/** showProblem marks a field's control as wrong and says why (or clears it). */
export function showProblem(wrap, text) {
  const p = wrap.querySelector('.problem');
  const input = wrap.querySelector('input, select, textarea');
  p.hidden = !text;
  p.textContent = text || '';
  if (input) {
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}
