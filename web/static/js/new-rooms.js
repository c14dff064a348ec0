// "Your rooms" on /new: the rooms this browser created or opened as
// facilitator (my-rooms.js), each with its code, plan, date and whether it
// is still open, a way back into its dashboard, and a way to forget it.
// Where each room stands is asked of the server with the room's key.

import { t, language } from './i18n.js';
import { h, $, clear } from './dom.js';
import { rooms, status } from './my-rooms.js';

const checked = new Map(); // room id -> answer of status(), for this page's life

function dateOf(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const lang = language() === 'en' ? 'en-GB' : language();
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

function stateOf(entry) {
  if (entry.gone) return ['gone', ''];
  if (entry.ended) return ['ended', 'danger'];
  return ['open', 'ok'];
}

/** drawMyRooms fills the "Your rooms" section, hidden when the list is empty. */
export function drawMyRooms() {
  const box = $('#my-rooms');
  const list = rooms.list();
  box.hidden = !list.length;
  const ul = clear($('#my-rooms-list'));
  for (const r of list) ul.append(row(r));
}

function row(r) {
  const [state, cls] = stateOf(r);
  const titleId = 'my-room-' + r.room;
  const when = dateOf(r.created || r.opened);
  const facts = [
    h('span', {}, t('rooms.code'), ' ', h('strong', { class: 'code', text: r.code || '–' })),
    when ? h('span', { text: t('rooms.created', { date: when }) }) : null,
    h('span', { class: 'badge ' + cls, text: t('rooms.state_' + state) }),
  ];
  const open = r.gone ? null : h('a', { class: 'button primary', href: `/f/${r.room}#key=${encodeURIComponent(r.key)}`,
    attrs: { 'aria-describedby': titleId }, text: t('rooms.open') });
  const forget = h('button', { type: 'button', class: 'secondary', attrs: { 'aria-describedby': titleId }, text: t('rooms.forget'),
    on: { click: () => {
      rooms.forget(r.room);
      drawMyRooms();
      $('#my-rooms-status').textContent = t('rooms.forgotten', { code: r.code || '' });
      const next = document.querySelector('#my-rooms-list a, #my-rooms-list button');
      (next || $('#my-rooms-title')).focus();
    } } });
  return h('li', { class: 'my-room', data: { room: r.room, state } },
    h('div', { class: 'my-room-text' },
      h('h3', { id: titleId, class: 'my-room-title', attrs: { lang: r.language || undefined } }, r.title || r.plan || r.code || r.room),
      h('p', { class: 'my-room-facts' }, facts)),
    h('div', { class: 'my-room-actions' }, open, forget));
}

/**
 * refreshMyRooms asks the server where each listed room stands and keeps
 * the answer: rooms deleted or expired are marked as gone.
 */
export async function refreshMyRooms() {
  const list = rooms.list();
  await Promise.all(list.map(async (r) => {
    if (checked.has(r.room)) return;
    const got = await status(r);
    checked.set(r.room, got);
    if (got === 'gone') rooms.remember({ room: r.room, gone: true });
    else if (got) {
      rooms.remember({ room: r.room, code: got.code, title: got.event && got.name ? `${got.title} – ${got.name}` : got.title,
        plan: got.plan, language: got.language, created: got.created_at, ended: got.ended, gone: false });
    }
  }));
  drawMyRooms();
}
