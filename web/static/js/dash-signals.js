// "Wants to talk" on the dashboard: the participants' private signals,
// newest first, with the code they may quote, their message, a name only
// if they chose to give it, and a way to mark each followed up. Nothing
// here ever reaches the big screen.

import { h, $, clear, keepFocus, announce } from './dom.js';
import { t, language } from './i18n.js';

/** setSignals keeps the snapshot's signals. */
export function setSignals(dash, list) {
  dash.state.signals = new Map((list || []).map((sg) => [sg.code, sg]));
}

/** addSignal keeps a new or changed signal, and says so when it is new. */
export function addSignal(dash, sg) {
  const isNew = !dash.state.signals.has(sg.code) || (dash.state.signals.get(sg.code).handled && !sg.handled);
  dash.state.signals.set(sg.code, sg);
  if (isNew) announce(t('signals.announce'));
}

export function drawSignals(dash) {
  const panel = $('#signals-panel');
  const list = [...(dash.state.signals || new Map()).values()].sort((a, b) => Number(a.handled) - Number(b.handled) || b.at - a.at);
  panel.hidden = !list.length;
  if (!list.length) return;
  const root = $('#signals');
  const time = new Intl.DateTimeFormat(language() === 'en' ? 'en-GB' : language(), { timeStyle: 'short' });
  keepFocus(root, () => {
    clear(root);
    root.append(h('p', { class: 'hint', text: t('signals.hint') }));
    root.append(h('ul', { class: 'signal-list' }, list.map((sg) => {
      const id = 'signal-' + sg.code;
      return h('li', { class: 'signal' + (sg.handled ? ' handled' : ''), data: { code: sg.code } },
        h('p', { class: 'signal-head', id },
          h('span', {}, t('signals.code'), ' ', h('strong', { class: 'code', text: sg.code })),
          h('span', { class: 'signal-time', text: time.format(new Date(sg.at)) }),
          sg.name ? h('span', {}, t('signals.name'), ': ', h('strong', { text: sg.name })) : null,
          sg.handled ? h('span', { class: 'badge ok', text: t('signals.handled') }) : null),
        h('p', { class: 'signal-message' + (sg.message ? '' : ' hint'), attrs: { lang: dash.lang() } }, sg.message || t('signals.no_message')),
        h('button', { type: 'button', class: 'secondary small', data: { fk: 'handled:' + sg.code }, attrs: { 'aria-describedby': id, 'aria-pressed': sg.handled ? 'true' : 'false' },
          text: t(sg.handled ? 'signals.unmark' : 'signals.mark_handled'),
          on: { click: () => dash.cmd('handled', { signal: sg.code, handled: !sg.handled }).catch(() => {}) } }));
    })));
  });
}
