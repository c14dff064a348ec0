// The printable sheet of a conference event (/e/EVENT/sheet#key=...): one
// block per room with its name, join code, QR code, join link and the
// facilitator link, which is confidential. The print stylesheet puts
// several rooms on each A4 page. The sheet is fetched with the organizer
// key, which never goes into a URL the server sees.

import { init, t, onChange, number, language } from './i18n.js';
import { h, $, clear } from './dom.js';
import { eventFromPath, readEventKey, keyFromAccount, orgFetch, errorCode, saveBlob } from './eventkey.js';

const event = eventFromPath();
let key = '';
let sheet = null;

function gone(titleKey, textKey) {
  $('#main').hidden = true;
  $('#gone').hidden = false;
  $('#gone-title').textContent = t(titleKey);
  $('#gone-text').textContent = t(textKey);
  $('#gone-title').focus();
}

function status(text, kind = '') {
  const el = $('#sheet-status');
  el.textContent = text;
  el.className = 'status no-print' + (kind ? ' ' + kind : '');
}

/** qrSrc is the room's QR image; same-origin, so that the page's CSP allows it. */
function qrSrc(r) {
  try {
    const u = new URL(r.qr_url, location.href);
    if (u.origin === location.origin) return u.pathname;
  } catch { /* fall through */ }
  return `/qr/${encodeURIComponent(r.code)}.png`;
}

/**
 * joinLink is a join link without its scheme, as people read and type it,
 * that breaks before "/j/CODE" rather than inside the code.
 */
function joinLink(url) {
  const s = String(url || '').replace(/^https?:\/\//, '');
  const at = s.lastIndexOf('/j/');
  return at > 0 ? [s.slice(0, at), h('wbr'), s.slice(at)] : [s];
}

function draw() {
  if (!sheet) return;
  $('#event-name').textContent = sheet.name;
  document.title = `${sheet.name} – ${t('sheet.page_title')}`;
  const until = sheet.expires_at ? new Intl.DateTimeFormat(language() === 'en' ? 'en-GB' : language(), { dateStyle: 'long' }).format(new Date(sheet.expires_at)) : '';
  $('#sheet-facts').textContent = [
    t('sheet.rooms', { count: sheet.rooms.length, n: number(sheet.rooms.length) }),
    until ? t('sheet.until', { date: until }) : '',
    sheet.closed ? t('org.closed') : '',
  ].filter(Boolean).join(' · ');
  const root = clear($('#rooms'));
  const frag = document.createDocumentFragment();
  sheet.rooms.forEach((r, i) => {
    const nameId = `room-${i}-name`;
    frag.append(h('article', { class: 'sheet-room', data: { room: r.room }, attrs: { 'aria-labelledby': nameId } },
      h('h2', { id: nameId, class: 'sheet-room-name', text: r.name }),
      h('div', { class: 'sheet-join' },
        h('img', { class: 'sheet-qr', src: qrSrc(r), width: 160, height: 160, alt: t('sheet.qr_alt', { name: r.name, code: r.code }) }),
        h('div', { class: 'sheet-join-text' },
          h('p', { class: 'sheet-label', text: t('sheet.code') }),
          h('p', { class: 'sheet-code', text: r.code }),
          h('p', { class: 'sheet-label', text: t('sheet.join_link') }),
          h('p', { class: 'sheet-join-link' }, h('a', { href: r.join_url }, joinLink(r.join_url))))),
      h('div', { class: 'sheet-fac' },
        h('p', { class: 'sheet-fac-label' }, h('strong', { text: t('sheet.confidential') }), ' ', t('sheet.fac_link')),
        h('p', { class: 'sheet-fac-link' }, h('a', { href: r.facilitator_url, text: r.facilitator_url })))));
  });
  root.append(frag);
}

async function load() {
  status(t('common.loading'));
  try {
    const res = await orgFetch(key, `/api/events/${encodeURIComponent(event)}`);
    if (res.status === 401 || res.status === 404) {
      gone('org.badkey_title', 'org.badkey_text');
      return;
    }
    if (!res.ok) {
      status(t('error.' + (await errorCode(res))), 'error');
      return;
    }
    sheet = await res.json();
    status('');
    draw();
  } catch {
    status(t('conn.cannot_reach'), 'error');
  }
}

async function downloadCSV() {
  status(t('common.loading'));
  try {
    const res = await orgFetch(key, `/api/events/${encodeURIComponent(event)}/sheet.csv`);
    if (!res.ok) throw new Error(String(res.status));
    await saveBlob(res, `stoppunkt-event-${event}.csv`);
    status(t('roomp.downloaded'), 'ok');
  } catch {
    status(t('roomp.download_failed'), 'error');
  }
}

async function boot() {
  await init();
  key = readEventKey(event) || await keyFromAccount(event);
  if (!key) {
    gone('org.badkey_title', 'org.nokey_text');
    return;
  }
  $('#overview-link').href = `/e/${encodeURIComponent(event)}#key=${encodeURIComponent(key)}`;
  $('#print-btn').addEventListener('click', () => window.print());
  $('#csv-btn').addEventListener('click', downloadCSV);
  onChange(draw);
  load();
}

boot();
