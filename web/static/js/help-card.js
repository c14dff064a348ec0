// The help card of a closing step: where to get help and advice after a
// session about violence and abuse, one place per line ("name: number" or
// "name: https://address"). On a phone the number or address is a link; on
// the big screen it is text to read from the back of the room.

import { h } from './dom.js';
import { t } from './i18n.js';

const PHONE = /^\+?[0-9][0-9 ]{1,18}[0-9]$/;

/** helpCard draws the lines as a card, or returns null when there are none. */
export function helpCard(lines, lang, { links = true } = {}) {
  if (!lines || !lines.length) return null;
  const items = lines.map((line) => {
    const i = line.lastIndexOf(': ');
    if (i <= 0) return h('li', { attrs: { lang } }, line);
    const name = line.slice(0, i);
    const target = line.slice(i + 2).trim();
    let value = h('strong', { class: 'help-target' }, target);
    if (links && PHONE.test(target)) value = h('a', { class: 'help-target', href: 'tel:' + target.replace(/ /g, '') }, target);
    else if (links && /^https:\/\/\S+$/.test(target)) value = h('a', { class: 'help-target', href: target, target: '_blank', rel: 'noopener noreferrer' }, target.replace(/^https:\/\//, ''));
    return h('li', { attrs: { lang } }, h('span', { class: 'help-name' }, name + ':'), ' ', value);
  });
  return h('aside', { class: 'help-card', attrs: { 'aria-labelledby': 'help-title' } },
    h('h2', { id: 'help-title', text: t('help.title') }),
    h('p', { class: 'help-intro', text: t('help.intro') }),
    h('ul', { class: 'help-lines' }, items));
}
