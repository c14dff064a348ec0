// The moderation queue on the dashboard: open answers, closing thoughts,
// group texts and proposed actions. The facilitator approves, hides or
// stars them, puts approved ones on the big screen (one, or up to six side
// by side, for this step or kept on every step) and combines duplicate
// actions. Nothing reaches the big screen unapproved: the server refuses
// it, and this page only offers "show" on approved items. An item approved
// here stays where it is in the list, with "show on big screen" in the
// place of "approve", until the filter changes.

import { h, $, clear, keepFocus, confirmDialog } from './dom.js';
import { t } from './i18n.js';

const FILTERS = ['pending', 'approved', 'hidden', 'all'];
const SORTS = ['time', 'votes'];
const MAX_ON_SCREEN = 6;

function num(id) { return Number(String(id).replace(/\D+/g, '')) || 0; }

export function drawQueue(dash) {
  const root = $('#queue');
  const s = dash.state;
  const ui = dash.ui;
  ui.filter = ui.filter || 'pending';
  ui.selected = ui.selected || new Set();
  ui.kept = ui.kept || new Set(); // approved in this view: they stay in place
  ui.sort = ui.sort || 'time';
  const byVotes = ui.sort === 'votes';
  const items = [...s.queue.values()].filter((it) => !it.merged_into)
    .sort((a, b) => (byVotes ? (b.votes || 0) - (a.votes || 0) : 0) || a.step - b.step || num(a.id) - num(b.id));
  const hasQuestions = items.some((it) => it.kind === 'question');
  for (const id of [...ui.selected]) if (!s.queue.has(id) || s.queue.get(id).merged_into) ui.selected.delete(id);
  const onScreen = new Set(((s.screen && s.screen.items) || []).map((it) => it.id));
  const count = (f) => items.filter((it) => f === 'all' || (it.status || 'pending') === f).length;
  const shown = items.filter((it) => ui.filter === 'all' || (it.status || 'pending') === ui.filter || ui.kept.has(it.id));

  keepFocus(root, () => {
    clear(root);
    root.append(screenBox(dash, onScreen));
    const filters = h('div', { class: 'filters', attrs: { role: 'group', 'aria-label': t('queue.filter') } });
    for (const f of FILTERS) {
      filters.append(h('button', { type: 'button', class: 'filter', data: { fk: 'filter:' + f },
        attrs: { 'aria-pressed': ui.filter === f ? 'true' : 'false' },
        on: { click: () => { ui.filter = f; ui.kept.clear(); drawQueue(dash); } } }, t('queue.f_' + f), ' ', h('span', { class: 'count', text: String(count(f)) })));
    }
    root.append(filters);
    if (hasQuestions) {
      // Questions can be taken in the order of their votes.
      const sorts = h('div', { class: 'filters', attrs: { role: 'group', 'aria-label': t('queue.sort') } });
      for (const o of SORTS) {
        sorts.append(h('button', { type: 'button', class: 'filter', data: { fk: 'sort:' + o },
          attrs: { 'aria-pressed': ui.sort === o ? 'true' : 'false' }, text: t('queue.sort_' + o),
          on: { click: () => { ui.sort = o; drawQueue(dash); } } }));
      }
      root.append(sorts);
    }
    if (!shown.length) {
      root.append(h('p', { class: 'hint', text: items.length ? t('queue.none_here') : t('queue.empty') }));
    }
    const list = h('div', { class: 'q-list' });
    for (const it of shown) list.append(itemView(dash, it, onScreen.has(it.id)));
    root.append(list);
    root.append(selectionBar(dash));
  });
}

function screenBox(dash, onScreen) {
  const sc = dash.state.screen;
  const box = h('div', { class: 'screen-box' });
  if (!onScreen.size) {
    box.append(h('p', { class: 'hint', text: t('queue.screen_empty') }));
    return box;
  }
  box.append(h('p', {}, h('strong', { text: t('queue.on_screen') }), ' ',
    h('span', { class: 'badge info', text: t(sc.layout === 'side-by-side' ? 'queue.side_by_side' : 'queue.single') })));
  box.append(h('ul', { class: 'screen-list' }, sc.items.map((it) => h('li', { attrs: { lang: dash.lang() } }, short(it.text)))));
  const ended = dash.ended();
  if (sc.pinned) {
    box.append(h('p', { class: 'hint', text: t('queue.pinned') }));
  } else {
    const pin = h('input', { type: 'checkbox', id: 'pin-screen', checked: false, disabled: ended, data: { fk: 'pin' },
      on: { change: () => dash.cmd('show', { items: sc.items.map((it) => it.id), layout: sc.layout, pin: true }).catch(() => {}) } });
    box.append(h('div', { class: 'check' }, pin, h('label', { htmlFor: pin.id, text: t('queue.pin') })));
  }
  box.append(h('button', { type: 'button', class: 'secondary', data: { fk: 'clear-screen' }, text: t('queue.clear_screen'), disabled: ended,
    on: { click: () => dash.cmd('show', sc.pinned ? { items: [], pin: true } : { items: [] }).catch(() => {}) } }));
  return box;
}

function short(text) {
  const s = String(text || '').replace(/\s+/g, ' ').trim();
  return s.length > 80 ? s.slice(0, 79) + '…' : s;
}

/** unresolved: the item holds personal data not removed nor let through. */
const unresolved = (it) => !it.override && (it.flags || []).some((f) => f.kind !== 'disclosure');

/** flaggedText draws the text with what the screening found marked. */
function flaggedText(it) {
  const text = it.text || '';
  const spans = (it.flags || []).filter((f) => !f.field && f.end > f.start).sort((a, b) => a.start - b.start);
  const out = [];
  let pos = 0;
  for (const f of spans) {
    if (f.start < pos) continue;
    out.push(text.slice(pos, f.start), h('mark', { class: 'flag flag-' + f.kind, text: text.slice(f.start, f.end) }));
    pos = f.end;
  }
  out.push(text.slice(pos));
  return out;
}

/** flagNotes say what the screening found and what to do about it. */
function flagNotes(it) {
  const flags = it.flags || [];
  const notes = [];
  const personal = [...new Set(flags.filter((f) => f.kind !== 'disclosure').map((f) => t('flag.' + f.kind)))];
  if (personal.length && !it.override) notes.push(h('p', { class: 'flag-note personal', text: t('flag.personal_note', { what: personal.join(', ') }) }));
  if (flags.some((f) => f.kind === 'disclosure')) notes.push(h('p', { class: 'flag-note disclosure', text: t('flag.disclosure_note') }));
  return notes;
}

function itemView(dash, it, onScreen) {
  const status = it.status || 'pending';
  const textId = 'q-text-' + it.id;
  const meta = h('p', { class: 'q-meta' },
    h('span', { class: 'badge', text: t('item.' + it.kind) }),
    it.group ? h('span', { text: t('shared.group', { n: it.group }) }) : null,
    h('span', { class: 'q-step', attrs: { lang: dash.lang() } }, dash.stepTitle(it.step)),
    h('span', { class: 'badge ' + (status === 'approved' ? 'ok' : status === 'hidden' ? '' : 'warn'), text: t('status.' + status) }),
    it.starred ? h('span', { class: 'badge star', text: t('queue.starred') }) : null,
    it.kind === 'question' ? h('span', { class: 'badge', text: t('queue.votes', { n: it.votes || 0, count: it.votes || 0 }) }) : null,
    it.answered ? h('span', { class: 'badge ok', text: t('queue.answered') }) : null,
    it.redacted ? h('span', { class: 'badge', text: t('flag.redacted') }) : null,
    it.override ? h('span', { class: 'badge warn', text: t('flag.overridden') }) : null,
    onScreen ? h('span', { class: 'badge info', text: t('queue.is_on_screen') }) : null);
  const art = h('article', { class: 'q-item', data: { status, id: it.id } }, meta,
    h('p', { class: 'q-text', id: textId, attrs: { lang: dash.lang() } }, flaggedText(it)), flagNotes(it));
  if (it.kind === 'action') {
    art.append(h('p', { class: 'q-who' }, `${t('shared.who')}: `, it.who || '–', ' · ', `${t('shared.when')}: `, it.when || '–'));
  }
  const act = (key, fk, fn, cls = 'secondary', extra = {}) => h('button', { type: 'button', class: cls, data: { fk: fk + ':' + it.id },
    attrs: { 'aria-describedby': textId, ...extra }, text: t(key), disabled: dash.ended() && fk !== 'sel', on: { click: fn } });
  const moderate = (data) => {
    if (data.status === 'approved') dash.ui.kept.add(it.id);
    return dash.cmd('moderate', { item: it.id, ...data }).catch(() => {});
  };
  const sel = h('input', { type: 'checkbox', id: 'sel-' + it.id, checked: dash.ui.selected.has(it.id), data: { fk: 'sel:' + it.id },
    attrs: { 'aria-describedby': textId },
    on: { change: (e) => { if (e.target.checked) dash.ui.selected.add(it.id); else dash.ui.selected.delete(it.id); drawQueue(dash); } } });
  const buttons = h('div', { class: 'q-actions' });
  // The first button is the next step for the item: approve it, then
  // show it, in the same place.
  const pinned = !!(dash.state.screen && dash.state.screen.pinned);
  if (status !== 'approved') buttons.append(act('queue.approve', 'approve', () => moderate({ status: 'approved' }), 'primary'));
  else if (onScreen) buttons.append(act('queue.take_off', 'off', () => dash.cmd('show', pinned ? { items: [], pin: true } : { items: [] }).catch(() => {})));
  // While a pin is up, what is shown replaces the pin: it is what the screen shows.
  else if (unresolved(it)) {
    // Personal data first: removed, or let through, before it can be shown.
    buttons.append(act('flag.redact', 'redact', () => dash.cmd('moderate', { item: it.id, redact: true }).catch(() => {}), 'primary'));
    buttons.append(act('flag.override', 'override', async () => {
      if (await confirmDialog(t('flag.override_confirm'), t('flag.override'), true)) dash.cmd('moderate', { item: it.id, override: true }).catch(() => {});
    }));
  } else buttons.append(act('queue.show', 'show', () => dash.cmd('show', { items: [it.id], layout: 'single', pin: pinned || undefined }).catch(() => {}), 'primary'));
  if (status !== 'hidden') buttons.append(act('queue.hide', 'hide', () => moderate({ status: 'hidden' })));
  if (status === 'hidden') buttons.append(act('queue.restore', 'restore', () => moderate({ status: 'pending' })));
  buttons.append(act('queue.star', 'star', () => moderate({ starred: !it.starred }), 'secondary', { 'aria-pressed': it.starred ? 'true' : 'false' }));
  if (it.kind === 'question') {
    buttons.append(act(it.answered ? 'queue.unmark_answered' : 'queue.mark_answered', 'answered', () => moderate({ answered: !it.answered }),
      'secondary', { 'aria-pressed': it.answered ? 'true' : 'false' }));
  }
  buttons.append(h('div', { class: 'check' }, sel, h('label', { htmlFor: sel.id, text: t('queue.select') })));
  art.append(buttons);
  return art;
}

function selectionBar(dash) {
  const s = dash.state;
  const sel = [...dash.ui.selected].map((id) => s.queue.get(id)).filter(Boolean);
  const bar = h('div', { class: 'selection-bar' });
  if (!sel.length) return bar;
  const approved = sel.filter((it) => it.status === 'approved' && !unresolved(it));
  const actions = sel.filter((it) => it.kind === 'action');
  const ended = dash.ended();
  bar.append(h('p', { class: 'sel-count', text: t('queue.selected', { count: sel.length, n: sel.length }) }));
  bar.append(h('button', { type: 'button', class: 'primary', data: { fk: 'side' }, text: t('queue.show_side'),
    disabled: ended || approved.length !== sel.length || sel.length > MAX_ON_SCREEN,
    on: { click: () => dash.cmd('show', { items: sel.map((it) => it.id), layout: sel.length > 1 ? 'side-by-side' : 'single',
      pin: (s.screen && s.screen.pinned) || undefined })
      .then(() => { dash.ui.selected.clear(); drawQueue(dash); }).catch(() => {}) } }));
  if (actions.length >= 2) {
    bar.append(h('button', { type: 'button', class: 'secondary', data: { fk: 'combine' }, text: t('queue.combine'),
      disabled: ended || actions.length !== sel.length,
      on: { click: () => dash.cmd('combine', { into: actions[0].id, from: actions.slice(1).map((it) => it.id) })
        .then(() => { dash.ui.selected.clear(); drawQueue(dash); }).catch(() => {}) } }));
  }
  bar.append(h('button', { type: 'button', class: 'link', data: { fk: 'unselect' }, text: t('queue.unselect'),
    on: { click: () => { dash.ui.selected.clear(); drawQueue(dash); } } }));
  if (approved.length !== sel.length) bar.append(h('p', { class: 'hint', text: t('queue.only_approved') }));
  else if (sel.length > MAX_ON_SCREEN) bar.append(h('p', { class: 'hint', text: t('queue.max_four') }));
  return bar;
}
