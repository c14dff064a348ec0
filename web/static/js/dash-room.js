// The room's tools on the dashboard: lock joining, the links to share,
// export (Markdown, CSV, Excel, JSON, or the page to print; approved texts
// only or everything), end the session, forget its texts once the report
// is taken (keeping only the report), and delete the room's data now.
// The key goes to the server only in the Authorization header, never in a
// URL: the page to print is fetched with it and opened from memory.

import { h, $, confirmDialog, copyText } from './dom.js';
import { t } from './i18n.js';
import { rooms } from './my-rooms.js';
import { authHeaders } from './session.js';

const FORMATS = ['md', 'csv', 'xlsx', 'json'];

export function drawRoomTools(dash) {
  const r = dash.state.room;
  if (!r) return;
  if (!dash.tools || dash.tools.lang !== document.documentElement.lang) build(dash);
  const tl = dash.tools;
  tl.lock.textContent = t(r.locked ? 'roomp.unlock' : 'roomp.lock');
  tl.lockHint.textContent = t(r.locked ? 'roomp.locked_hint' : 'roomp.open_hint');
  tl.lock.disabled = r.ended;
  tl.end.disabled = r.ended;
  tl.endHint.textContent = t(r.ended ? 'roomp.ended_hint' : 'roomp.end_hint');
  drawForget(dash);
  if (!tl.joinSet) {
    tl.joinSet = true;
    tl.join.value = `${location.origin}/j/${r.code}`;
    // The server knows the public address the QR code uses.
    fetch(`/qr/${r.code}.txt`).then((res) => (res.ok ? res.text() : null)).then((link) => { if (link) tl.join.value = link; }).catch(() => {});
  }
}

function copyRow(id, value, describedBy) {
  const input = h('input', { id, readOnly: true, value, attrs: describedBy ? { 'aria-describedby': describedBy } : {} });
  const status = h('span', { class: 'copy-status', attrs: { role: 'status' } });
  const btn = h('button', { type: 'button', class: 'secondary', text: t('common.copy'), data: { fk: 'copy:' + id },
    on: { click: async () => { status.textContent = t((await copyText(input.value, input)) ? 'common.copied' : 'common.copy_failed'); } } });
  return { input, row: h('div', { class: 'copy-row' }, input, btn), status };
}

function build(dash) {
  const root = $('#room-tools');
  const r = dash.state.room;
  root.replaceChildren();
  const tl = { lang: document.documentElement.lang };
  dash.tools = tl;

  // Joining.
  tl.lock = h('button', { type: 'button', class: 'secondary', data: { fk: 'lock' },
    on: { click: () => dash.cmd(dash.state.room.locked ? 'unlock' : 'lock').catch(() => {}) } });
  tl.lockHint = h('p', { class: 'hint' });
  root.append(h('div', { class: 'tool' }, h('h3', { text: t('roomp.joining') }), tl.lock, tl.lockHint));

  // Links.
  const join = copyRow('join-link', `${location.origin}/j/${r.code}`);
  tl.join = join.input;
  const fac = copyRow('fac-link', `${location.origin}/f/${dash.room}#key=${encodeURIComponent(dash.key)}`, 'fac-warning');
  root.append(h('div', { class: 'tool' }, h('h3', { text: t('roomp.links') }),
    h('div', { class: 'field' }, h('label', { htmlFor: 'join-link', text: t('new.join_link') }), join.row, join.status),
    h('div', { class: 'field secret' }, h('label', { htmlFor: 'fac-link', text: t('roomp.cofac_link') }), fac.row, fac.status,
      h('p', { id: 'fac-warning', class: 'warning', text: t('roomp.cofac_warning') }))));

  // Export.
  const radios = FORMATS.map((f) => h('input', { type: 'radio', name: 'format', id: 'fmt-' + f, value: f, checked: f === (dash.ui.format || 'md'),
    on: { change: () => { dash.ui.format = f; } } }));
  const all = h('input', { type: 'checkbox', id: 'include-all', checked: !!dash.ui.includeAll, on: { change: (e) => { dash.ui.includeAll = e.target.checked; } } });
  const exportStatus = h('p', { class: 'status', attrs: { role: 'status' } });
  const pageStatus = h('p', { class: 'status', id: 'report-page-status', attrs: { role: 'status' } });
  root.append(h('div', { class: 'tool' }, h('h3', { text: t('roomp.export') }),
    h('fieldset', { class: 'formats' }, h('legend', { text: t('roomp.format') }),
      FORMATS.map((f, i) => h('div', { class: 'check' }, radios[i], h('label', { htmlFor: radios[i].id, text: t('format.' + f) })))),
    h('div', { class: 'check' }, all, h('label', { htmlFor: all.id, text: t('roomp.include_all') })),
    h('button', { type: 'button', class: 'primary', id: 'export-btn', text: t('roomp.download'),
      on: { click: () => download(dash, dash.ui.format || 'md', !!dash.ui.includeAll, exportStatus) } }),
    exportStatus,
    h('button', { type: 'button', class: 'secondary', id: 'report-page-btn', text: t('roomp.print_page'),
      on: { click: () => openPage(dash, !!dash.ui.includeAll, pageStatus) } }),
    h('p', { class: 'hint', text: t('roomp.print_hint') }),
    pageStatus));

  // End and delete.
  tl.end = h('button', { type: 'button', class: 'secondary danger', id: 'end-btn', text: t('roomp.end'),
    on: { click: async () => {
      if (await confirmDialog(t('roomp.end_confirm'), t('roomp.end'), true)) dash.cmd('end').catch(() => {});
    } } });
  tl.endHint = h('p', { class: 'hint' });
  tl.forget = h('button', { type: 'button', class: 'secondary danger', id: 'forget-btn', text: t('roomp.forget'),
    on: { click: () => forget(dash) } });
  tl.forgetHint = h('p', { class: 'hint', id: 'forget-hint' });
  tl.forgetStatus = h('p', { class: 'status', attrs: { role: 'status' } });
  const delStatus = h('p', { class: 'status', attrs: { role: 'status' } });
  root.append(h('div', { class: 'tool danger-zone' }, h('h3', { text: t('roomp.finish') }),
    tl.end, tl.endHint, tl.forget, tl.forgetHint, tl.forgetStatus,
    h('button', { type: 'button', class: 'primary danger', id: 'delete-btn', text: t('roomp.delete'),
      on: { click: () => remove(dash, delStatus) } }),
    h('p', { class: 'hint', text: t('roomp.delete_hint') }), delStatus));
}

/** fetchReport asks for the report with the key in the header. */
async function fetchReport(dash, format, all) {
  const url = `/api/rooms/${dash.room}/report?format=${format}${all ? '&include=all' : ''}`;
  const res = await fetch(url, { headers: authHeaders(dash.key), cache: 'no-store' });
  if (!res.ok) throw new Error(String(res.status));
  return res;
}

/**
 * openPage shows the report's page to print in a new window. The window
 * is opened in the click itself, so that pop-up blockers allow it, and
 * sent to the page once it has arrived, as a blob: address that carries
 * no key. The page's links to its stylesheet and script are made absolute
 * first (a blob: page has no address of its own to resolve them against);
 * parsing it here runs nothing in it.
 */
let pageURL = null;
async function openPage(dash, all, status) {
  const win = window.open('', '_blank');
  if (!win) {
    status.textContent = t('roomp.print_blocked');
    status.className = 'status error';
    return;
  }
  win.opener = null;
  status.textContent = t('common.loading');
  status.className = 'status';
  try {
    const html = await (await fetchReport(dash, 'html', all)).text();
    const doc = new DOMParser().parseFromString(html, 'text/html');
    for (const el of doc.querySelectorAll('link[href]')) el.setAttribute('href', new URL(el.getAttribute('href'), location.href).href);
    for (const el of doc.querySelectorAll('script[src]')) el.setAttribute('src', new URL(el.getAttribute('src'), location.href).href);
    if (pageURL) URL.revokeObjectURL(pageURL);
    pageURL = URL.createObjectURL(new Blob(['<!DOCTYPE html>\n', doc.documentElement.outerHTML], { type: 'text/html' }));
    win.location.href = pageURL;
    status.textContent = t('roomp.print_opened');
    status.className = 'status ok';
    tookReport(dash);
  } catch {
    win.close();
    status.textContent = t('roomp.download_failed');
    status.className = 'status error';
  }
}

async function download(dash, format, all, status) {
  status.textContent = t('common.loading');
  status.className = 'status';
  try {
    const res = await fetchReport(dash, format, all);
    const blob = await res.blob();
    const a = h('a', { href: URL.createObjectURL(blob), download: `stoppunkt-${dash.state.room.code}.${format}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 30000);
    status.textContent = t('roomp.downloaded');
    status.className = 'status ok';
    tookReport(dash);
  } catch {
    status.textContent = t('roomp.download_failed');
    status.className = 'status error';
  }
}

/**
 * tookReport notes that the facilitator has the report: the texts may be
 * forgotten now, and a room created to forget them after the report asks
 * at once (the first time).
 */
function tookReport(dash) {
  const first = !dash.ui.reportTaken;
  dash.ui.reportTaken = true;
  drawForget(dash);
  const r = dash.state.room;
  if (first && r && r.forget_after_report && r.ended && !r.forgotten) forget(dash, t('roomp.forget_now'));
}

/**
 * drawForget: the texts can be forgotten once the session has ended and
 * the report was downloaded or opened here; a forgotten room says so.
 */
function drawForget(dash) {
  const tl = dash.tools;
  const r = dash.state.room;
  if (!tl || !r) return;
  tl.forget.hidden = !r.ended;
  tl.forgetHint.hidden = !r.ended;
  tl.forget.disabled = !!r.forgotten || !dash.ui.reportTaken;
  tl.forgetHint.textContent = t(r.forgotten ? 'roomp.forgotten' : dash.ui.reportTaken ? 'roomp.forget_hint'
    : r.forget_after_report ? 'roomp.forget_setting' : 'roomp.forget_need_report');
  const all = document.querySelector('#include-all');
  if (all) all.disabled = !!r.forgotten;
}

async function forget(dash, question = t('roomp.forget_confirm')) {
  const status = dash.tools.forgetStatus;
  if (!(await confirmDialog(question, t('roomp.forget'), true))) return;
  try {
    const res = await fetch(`/api/rooms/${dash.room}/forget`, { method: 'POST', headers: authHeaders(dash.key) });
    if (res.status !== 204) throw new Error(String(res.status));
    status.textContent = '';
    status.className = 'status';
  } catch {
    status.textContent = t('roomp.forget_failed');
    status.className = 'status error';
  }
}

async function remove(dash, status) {
  if (!(await confirmDialog(t('roomp.delete_confirm'), t('roomp.delete'), true))) return;
  try {
    const res = await fetch(`/api/rooms/${dash.room}`, { method: 'DELETE', headers: authHeaders(dash.key) });
    if (res.status !== 204) throw new Error(String(res.status));
    dash.conn.stop();
    try { sessionStorage.removeItem('sp.key.' + dash.room); } catch { /* nothing kept */ }
    rooms.forget(dash.room);
    dash.gone('dash.deleted_title', 'dash.deleted_text');
  } catch {
    status.textContent = t('roomp.delete_failed');
    status.className = 'status error';
  }
}
