// "Your rooms" on /new for a signed-in facilitator: the rooms and events
// the server lists for their account (GET /api/my/rooms), on any device,
// each with where it stands, whom it is shared with, and for the owner a
// form to share it by e-mail address with a co-facilitator, an observer
// or the safeguarding role.

import { t, language } from './i18n.js';
import { h, $, clear } from './dom.js';
import { call } from './session.js';

let list = [];
const states = new Map(); // room id -> GET /api/rooms/{room} answer, or 'gone'
let sharing = ''; // the room whose share form is open

function dateOf(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const lang = language() === 'en' ? 'en-GB' : language();
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** loadAccountRooms fetches the account's list and where each room stands. */
export async function loadAccountRooms() {
  const { status, data } = await call('GET', '/api/my/rooms');
  if (status !== 200) return false;
  list = data.rooms || [];
  drawAccountRooms();
  await Promise.all(list.filter((r) => r.kind === 'room' && !states.has(r.id)).map(async (r) => {
    try {
      const res = await fetch('/api/rooms/' + encodeURIComponent(r.id), { cache: 'no-store' });
      states.set(r.id, res.status === 404 ? 'gone' : res.ok ? await res.json() : null);
    } catch { /* stays unknown */ }
  }));
  drawAccountRooms();
  return true;
}

/** drawAccountRooms fills "Your rooms" from the account's list. */
export function drawAccountRooms() {
  const box = $('#my-rooms');
  box.hidden = !list.length;
  $('#my-rooms .hint').textContent = t('rooms.server_hint');
  const ul = clear($('#my-rooms-list'));
  for (const r of list) ul.append(r.kind === 'event' ? eventRow(r) : roomRow(r));
}

function stateBadge(r) {
  const st = states.get(r.id);
  if (st === 'gone') return h('span', { class: 'badge', text: t('rooms.state_gone') });
  if (st && st.ended) return h('span', { class: 'badge danger', text: t('rooms.state_ended') });
  if (st) return h('span', { class: 'badge ok', text: t('rooms.state_open') });
  return null;
}

function roomRow(r) {
  const titleId = 'my-room-' + r.id;
  const gone = states.get(r.id) === 'gone';
  const owner = r.part === 'owner';
  const facts = [
    h('span', {}, t('rooms.code'), ' ', h('strong', { class: 'code', text: r.code || '–' })),
    h('span', { text: t('rooms.created', { date: dateOf(r.created) }) }),
    h('span', { text: t('rooms.expires', { date: dateOf(r.expires) }) }),
    owner ? null : h('span', { text: t('rooms.your_part', { part: t('part.' + r.part) }) }),
    stateBadge(r),
  ];
  const open = gone ? null : h('a', { class: 'button primary', href: `/f/${r.id}`, attrs: { 'aria-describedby': titleId }, text: t('rooms.open') });
  const share = owner && !gone ? h('button', { type: 'button', class: 'secondary', text: t('share.button'),
    attrs: { 'aria-expanded': sharing === r.id ? 'true' : 'false', 'aria-label': t('share.button_for', { code: r.code }) },
    on: { click: () => { sharing = sharing === r.id ? '' : r.id; drawAccountRooms(); if (sharing) $('#share-email').focus(); } } }) : null;
  return h('li', { class: 'my-room', data: { room: r.id } },
    h('div', { class: 'my-room-text' },
      h('h3', { id: titleId, class: 'my-room-title' }, r.title || r.plan || r.code),
      h('p', { class: 'my-room-facts' }, facts),
      members(r, owner)),
    h('div', { class: 'my-room-actions' }, open, share),
    sharing === r.id ? shareForm(r) : null);
}

function eventRow(r) {
  const titleId = 'my-event-' + r.id;
  const href = r.key ? `/e/${r.id}#key=${encodeURIComponent(r.key)}` : '';
  return h('li', { class: 'my-room', data: { event: r.id } },
    h('div', { class: 'my-room-text' },
      h('h3', { id: titleId, class: 'my-room-title' }, r.title),
      h('p', { class: 'my-room-facts' },
        h('span', { class: 'badge info', text: t('rooms.event') }),
        h('span', { text: t('rooms.created', { date: dateOf(r.created) }) }),
        h('span', { text: t('rooms.expires', { date: dateOf(r.expires) }) }))),
    h('div', { class: 'my-room-actions' },
      href ? h('a', { class: 'button primary', href, attrs: { 'aria-describedby': titleId }, text: t('rooms.open_overview') }) : null));
}

/** members lists whom a room is shared with; the owner may remove them. */
function members(r, owner) {
  const others = (r.members || []).filter((m) => m.part !== 'owner');
  if (!others.length) return owner ? h('p', { class: 'my-room-members', text: t('share.shared_with') + ': ' + t('share.only_you') }) : null;
  return h('div', { class: 'my-room-members' },
    h('span', { text: t('share.shared_with') + ':' }),
    h('ul', {}, others.map((m) => h('li', {},
      h('span', { text: `${m.name} (${t('part.' + m.part)})`, attrs: { title: m.email } }),
      owner ? h('button', { type: 'button', class: 'link-button', text: t('share.remove'),
        attrs: { 'aria-label': t('share.remove_who', { name: m.name, code: r.code }) },
        on: { click: async () => {
          const res = await call('DELETE', `/api/rooms/${r.id}/members/${encodeURIComponent(m.user)}`);
          $('#my-rooms-status').textContent = res.status === 204 ? t('share.removed', { name: m.name }) : t('error.' + (res.data.code || 'internal'));
          await loadAccountRooms();
        } } }) : null))));
}

function shareForm(r) {
  const err = h('p', { id: 'share-error', class: 'field-error', attrs: { role: 'alert' }, hidden: true });
  const email = h('input', { id: 'share-email', type: 'email', autocomplete: 'off', maxLength: 254, attrs: { 'aria-describedby': 'share-error' } });
  const part = h('select', { id: 'share-part', attrs: { 'aria-describedby': 'share-part-hint' } },
    ['cofacilitator', 'observer', 'safeguarding'].map((p) => h('option', { value: p, text: t('part.' + p) })));
  const form = h('form', { class: 'share-form', attrs: { 'aria-label': t('share.title', { code: r.code }), novalidate: true } },
    h('div', { class: 'inline-fields' },
      h('div', { class: 'field' }, h('label', { htmlFor: 'share-email', text: t('share.email') }), email),
      h('div', { class: 'field' }, h('label', { htmlFor: 'share-part', text: t('share.part') }), part),
      h('button', { type: 'submit', class: 'primary', text: t('share.add') })),
    h('p', { id: 'share-part-hint', class: 'hint', text: t('share.part_hint') }),
    err);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    email.removeAttribute('aria-invalid');
    if (!email.value.trim() || !email.validity.valid) {
      err.textContent = t('signin.email_invalid');
      err.hidden = false;
      email.setAttribute('aria-invalid', 'true');
      email.focus();
      return;
    }
    const res = await call('POST', `/api/rooms/${r.id}/members`, { email: email.value.trim(), part: part.value });
    if (res.status !== 204) {
      err.textContent = res.status === 404 ? t('share.no_account') : t('error.' + (res.data.code || 'internal'));
      err.hidden = false;
      email.focus();
      return;
    }
    const who = email.value.trim();
    sharing = '';
    await loadAccountRooms();
    $('#my-rooms-status').textContent = t('share.done', { email: who });
  });
  return h('div', { class: 'my-room-share' }, form);
}
