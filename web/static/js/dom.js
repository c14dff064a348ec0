// Small DOM helpers. Every piece of text from people or plans goes in
// through text nodes (textContent, createTextNode); nothing here ever
// parses a string as HTML.

import { t } from './i18n.js';

/**
 * h builds an element. props: {class, text, attrs: {name: value}, on:
 * {event: fn}, and any other key set as a property (id, type, value,
 * disabled, checked, htmlFor, ...)}. Children are nodes or strings (text).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false && k !== 'checked' && k !== 'disabled') continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'attrs') for (const [a, av] of Object.entries(v)) { if (av !== undefined && av !== null && av !== false) el.setAttribute(a, av === true ? '' : String(av)); }
      else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      else if (k === 'data') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = dv;
      else el[k] = v;
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** clear removes every child of el. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** $ finds one element. */
export const $ = (sel, root = document) => root.querySelector(sel);

/** show / hide toggle the hidden attribute. */
export function show(el, on = true) { el.hidden = !on; }

/**
 * keepFocus redraws part of a page without losing the keyboard user's
 * place: the focused element's data-fk is remembered and the element with
 * the same key is focused again after redraw().
 */
export function keepFocus(container, redraw) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.fk : undefined;
  redraw();
  if (key) {
    // The same control, or else another control of the same thing
    // ("approve:i7" gone after approving: "hide:i7").
    const thing = key.includes(':') ? key.slice(key.indexOf(':')) : null;
    const again = container.querySelector(`[data-fk="${CSS.escape(key)}"]`) ||
      (thing && container.querySelector(`[data-fk$="${CSS.escape(thing)}"]:not(:disabled)`));
    if (again) again.focus();
  }
}

/** announce tells screen reader users something, politely. */
export function announce(message) {
  const region = document.getElementById('announce');
  if (!region) return;
  region.textContent = '';
  // A fresh text node after a tick makes screen readers read it even when
  // the message repeats.
  setTimeout(() => { region.textContent = message; }, 50);
}

/**
 * confirmDialog asks before something that cannot be undone, in a modal
 * <dialog> from the page (#confirm). Resolves true when confirmed.
 */
export function confirmDialog(message, okLabel, danger = false) {
  const dlg = document.getElementById('confirm');
  return new Promise((resolve) => {
    dlg.querySelector('#confirm-text').textContent = message;
    const ok = dlg.querySelector('#confirm-ok');
    ok.textContent = okLabel;
    ok.classList.toggle('danger', danger);
    const cancel = dlg.querySelector('#confirm-cancel');
    cancel.textContent = t('common.cancel');
    const ac = new AbortController();
    const done = (v) => { ac.abort(); if (dlg.open) dlg.close(); resolve(v); };
    ok.addEventListener('click', () => done(true), { signal: ac.signal });
    cancel.addEventListener('click', () => done(false), { signal: ac.signal });
    dlg.addEventListener('close', () => done(false), { signal: ac.signal });
    dlg.showModal();
    dlg.querySelector('#confirm-cancel').focus();
  });
}

/** randomID makes a client id for frames: 16 characters of a-z0-9. */
export function randomID(prefix = '') {
  const bytes = new Uint8Array(10);
  crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += (b % 36).toString(36);
  return prefix + s + Date.now().toString(36).slice(-6);
}

/** copyText copies to the clipboard, with a fallback for plain http. */
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!input) return false;
    input.select();
    try { return document.execCommand('copy'); } catch { return false; }
  }
}

/** participantName is a nickname, or "Anonymous #n". */
export function participantName(p) {
  return p && p.nickname ? p.nickname : t('common.anonymous', { n: p ? p.n : '?' });
}

/** Kinds of step that take answers from each person. */
export const TAKES = new Set(['poll', 'scale', 'open', 'wordcloud', 'closing']);
/** Kinds of step where groups write a shared text. */
export const SHARED = new Set(['breakout', 'actions']);
/** Kinds of step with tallies to reveal. */
export const REVEALS = new Set(['poll', 'scale', 'wordcloud', 'closing']);
