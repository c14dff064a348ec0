// The editor's fields: one control per plan or step field, by its type
// (text, long text, number, yes/no, duration, list, image), each with its
// label, its hint, and room for the problem the validator finds with it.

import { h } from './dom.js';
import { t, has } from './i18n.js';

// Fields written as long text; the rest of the text fields are one line.
const LONG = new Set(['body', 'notes', 'description', 'prompt']);
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
  } else {
    input = h('input', { id, value: v || '', on: { input: (e) => change(e.target.value || undefined) } });
  }
  if (input.tagName !== 'FIELDSET') input.setAttribute('aria-describedby', described);
  const label = h('label', { htmlFor: id, text: t('field.' + name) });
  const wrap = h('div', { class: 'field ed-field' + (type === 'bool' ? ' check' : ''), data: { field: name } },
    type === 'bool' ? [input, label] : [label, input],
    has(hintKey) ? h('p', { id: hintId, class: 'hint', text: t(hintKey) }) : null,
    opts.extra || null,
    h('p', { id: errId, class: 'field-error problem', hidden: true }));
  return wrap;
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
