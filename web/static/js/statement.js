// The accessibility statement (/accessibility): its text comes from the
// translation files like every page's; this module adds the operator's
// contact line (GET /api/accessibility, from --accessibility-contact) and
// writes the review date in the chosen language.

import { init, onChange, language } from './i18n.js';
import { h, $, clear } from './dom.js';

let contact = '';

/** contactNode makes a mail or web address a link; other text stays text. */
function contactNode(text) {
  if (/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(text)) return h('a', { href: 'mailto:' + text, text });
  if (/^https?:\/\/\S+$/i.test(text)) return h('a', { href: text, text, attrs: { rel: 'noopener' } });
  return text;
}

/** codeFlags shows settings such as --accessibility-contact as code, on one line. */
function codeFlags(el) {
  const parts = el.textContent.split(/(--[a-z][a-z-]*)/);
  if (parts.length > 1) el.replaceChildren(...parts.map((p, i) => (i % 2 ? h('code', {}, p) : p)));
}

function draw() {
  for (const el of document.querySelectorAll('.statement [data-i18n]')) codeFlags(el);
  const box = clear($('#contact'));
  box.hidden = !contact;
  $('#contact-intro').hidden = !contact;
  $('#no-contact').hidden = !!contact;
  if (contact) box.append(contactNode(contact));
  const when = $('#reviewed');
  const d = new Date(when.dateTime + 'T12:00:00Z');
  when.textContent = new Intl.DateTimeFormat(language() === 'en' ? 'en-GB' : language(), { dateStyle: 'long', timeZone: 'UTC' }).format(d);
}

async function boot() {
  await init();
  onChange(draw);
  draw();
  try {
    const res = await fetch('/api/accessibility');
    if (res.ok) contact = ((await res.json()).contact || '').trim();
  } catch { /* the page says whom to ask instead */ }
  draw();
}

boot();
