// People and groups on the dashboard: the roster (nickname or "Anonymous
// #n", remove), forming breakout groups of a chosen size, moving a person
// to another group and merging groups. Names are text, always.
//
// The roster comes whole once (snapshot, or a `roster` frame after a
// resume) and then as `roster_changes`, which are applied to the list and
// drawn as changes, so that a room of thousands is not redrawn on every
// join.

import { h, $, clear, keepFocus, confirmDialog } from './dom.js';
import { t } from './i18n.js';

/** setRoster takes a whole roster: people by id, in join order. */
export function setRoster(dash, d) {
  const people = new Map();
  for (const p of (d && d.participants) || []) people.set(p.id, p);
  dash.state.roster = { people, count: d && typeof d.count === 'number' ? d.count : people.size };
}

/**
 * applyRosterChanges applies a roster_changes frame: joined people are
 * added (a second time does nothing), those who left are dropped. Then the
 * list on the screen is changed in place.
 */
export function applyRosterChanges(dash, d) {
  if (!dash.state.roster) setRoster(dash, null);
  const r = dash.state.roster;
  const added = [];
  for (const p of d.joined || []) {
    if (!r.people.has(p.id)) added.push(p);
    r.people.set(p.id, p);
  }
  const gone = [];
  for (const id of d.left || []) if (r.people.delete(id)) gone.push(id);
  if (typeof d.count === 'number') r.count = d.count;
  drawPeopleChanges(dash, added, gone);
}

/** drawPeople draws the whole list of people. */
export function drawPeople(dash) {
  const root = $('#people');
  const r = dash.state.roster;
  const groupOf = groupIndex(dash);
  const view = { ul: null, items: new Map(), hint: null, lastN: 0 };
  dash.peopleView = view;
  keepFocus(root, () => {
    clear(root);
    const count = r ? r.count : 0;
    view.hint = h('p', { class: 'hint', text: t('people.count', { count, n: count }) });
    root.append(view.hint);
    const list = r ? [...r.people.values()].sort((a, b) => a.n - b.n) : [];
    if (!list.length) {
      root.append(h('p', { class: 'hint', text: t('people.none') }));
      return;
    }
    view.ul = h('ul', { class: 'roster' });
    for (const p of list) addPerson(dash, view, p, groupOf);
    root.append(view.ul);
  });
}

// drawPeopleChanges changes the drawn list in place; anything it cannot
// simply append or remove redraws the whole list.
function drawPeopleChanges(dash, added, gone) {
  const r = dash.state.roster;
  const view = dash.peopleView;
  if (!view || !view.ul || !view.ul.isConnected || !r.people.size || added.some((p) => p.n < view.lastN)) {
    drawPeople(dash);
    return;
  }
  view.hint.textContent = t('people.count', { count: r.count, n: r.count });
  for (const id of gone) {
    const li = view.items.get(id);
    if (li) li.remove();
    view.items.delete(id);
  }
  if (!added.length) return;
  const groupOf = groupIndex(dash);
  for (const p of added) addPerson(dash, view, p, groupOf);
}

/** drawBadges shows each person's group in the drawn list, in place. */
export function drawBadges(dash) {
  const view = dash.peopleView;
  if (!view || !view.ul || !view.ul.isConnected) {
    drawPeople(dash);
    return;
  }
  const groupOf = groupIndex(dash);
  for (const [id, li] of view.items) {
    const g = groupOf.get(id);
    const text = g ? t('shared.group', { n: g }) : '';
    let badge = li.querySelector('.badge');
    if (!g) {
      if (badge) badge.remove();
    } else if (!badge) {
      badge = h('span', { class: 'badge', text });
      li.insertBefore(badge, li.querySelector('button'));
    } else if (badge.textContent !== text) {
      badge.textContent = text;
    }
  }
}

function addPerson(dash, view, p, groupOf) {
  const name = p.nickname || t('common.anonymous', { n: p.n });
  const nameId = 'who-' + p.id;
  const g = groupOf.get(p.id);
  const li = h('li', { class: 'person' },
    h('span', { class: 'person-name' + (p.nickname ? '' : ' anon'), id: nameId }, name),
    g ? h('span', { class: 'badge', text: t('shared.group', { n: g }) }) : null,
    h('button', { type: 'button', class: 'link danger-link', data: { fk: 'remove:' + p.id }, disabled: dash.ended(),
      attrs: { 'aria-describedby': nameId }, text: t('people.remove'),
      on: { click: async () => {
        if (!(await confirmDialog(t('people.remove_confirm', { name }), t('people.remove'), true))) return;
        dash.cmd('remove', { participant: p.id }).catch(() => {});
      } } }));
  view.ul.append(li);
  view.items.set(p.id, li);
  view.lastN = Math.max(view.lastN, p.n);
}

function groupIndex(dash) {
  const m = new Map();
  const gs = dash.state.groups;
  for (const g of (gs && gs.groups) || []) for (const pid of g.members) m.set(pid, g.id);
  return m;
}

export function drawGroups(dash) {
  const root = $('#groups');
  const s = dash.state;
  const groups = ((s.groups && s.groups.groups) || []).filter((g) => g.members.length);
  const ui = dash.ui;
  ui.merge = ui.merge || new Set();
  for (const id of [...ui.merge]) if (!groups.some((g) => g.id === id)) ui.merge.delete(id);
  const c = s.step && s.step.content;
  const ended = dash.ended();
  keepFocus(root, () => {
    clear(root);
    // Forming groups.
    const size = h('input', { type: 'number', id: 'group-size', min: 2, max: 5, data: { fk: 'size' }, disabled: ended,
      value: String(ui.size || (c && c.group_size) || 3), on: { input: (e) => { ui.size = Number(e.target.value); } } });
    const anySubmitted = groups.some((g) => g.submitted);
    root.append(h('form', { class: 'group-form', on: { submit: async (e) => {
      e.preventDefault();
      const n = Number(size.value);
      if (!(n >= 2 && n <= 5)) { size.setAttribute('aria-invalid', 'true'); return; }
      size.removeAttribute('aria-invalid');
      if (groups.length && !(await confirmDialog(t('groups.reform_confirm'), t('groups.form')))) return;
      dash.cmd('groups', { size: n }).catch(() => {});
    } } },
    h('div', { class: 'field inline' }, h('label', { htmlFor: size.id, text: t('groups.size') }), size),
    h('button', { type: 'submit', class: 'secondary', data: { fk: 'form' }, disabled: ended || anySubmitted, text: t(groups.length ? 'groups.reform' : 'groups.form') })));
    if (anySubmitted) root.append(h('p', { class: 'hint', text: t('groups.locked') }));
    if (!groups.length) {
      root.append(h('p', { class: 'hint', text: t('groups.none') }));
      return;
    }
    const list = h('div', { class: 'group-list' });
    for (const g of groups) list.append(groupCard(dash, g, groups));
    root.append(list);
    if (ui.merge.size >= 2) {
      const ids = [...ui.merge].sort((a, b) => a - b);
      root.append(h('button', { type: 'button', class: 'secondary', data: { fk: 'merge' }, disabled: ended,
        text: t('groups.merge', { list: ids.join(', ') }),
        on: { click: () => dash.cmd('merge', { groups: ids }).then(() => { ui.merge.clear(); drawGroups(dash); }).catch(() => {}) } }));
    }
  });
}

function groupCard(dash, g, groups) {
  const ui = dash.ui;
  const titleId = 'group-' + g.id;
  const pick = h('input', { type: 'checkbox', id: 'merge-' + g.id, checked: ui.merge.has(g.id), data: { fk: 'merge:' + g.id }, disabled: dash.ended(),
    on: { change: (e) => { if (e.target.checked) ui.merge.add(g.id); else ui.merge.delete(g.id); drawGroups(dash); } } });
  const card = h('section', { class: 'group-card', attrs: { 'aria-labelledby': titleId } },
    h('h3', { id: titleId }, t('shared.group', { n: g.id }), ' ',
      h('span', { class: 'badge', text: t('shared.people', { count: g.members.length, n: g.members.length }) }),
      g.submitted ? h('span', { class: 'badge ok', text: t('groups.submitted') }) : null),
    groups.length > 1 ? h('div', { class: 'check' }, pick, h('label', { htmlFor: pick.id, text: t('groups.pick_merge') })) : null);
  const ul = h('ul', { class: 'members' });
  for (const pid of g.members) {
    const sel = h('select', { id: `move-${pid}`, data: { fk: 'movesel:' + pid }, disabled: dash.ended() },
      h('option', { value: '', text: t('groups.move_to') }),
      groups.filter((o) => o.id !== g.id).map((o) => h('option', { value: String(o.id), text: t('shared.group', { n: o.id }) })),
      h('option', { value: '0', text: t('groups.new_group') }));
    const name = dash.nameOf(pid);
    ul.append(h('li', { class: 'member' },
      h('span', { class: 'person-name' }, name),
      h('label', { htmlFor: sel.id, class: 'sr-only', text: t('groups.move_label', { name }) }), sel,
      h('button', { type: 'button', class: 'secondary small', data: { fk: 'move:' + pid }, disabled: dash.ended(), text: t('groups.move'),
        on: { click: () => {
          if (sel.value === '') { sel.focus(); return; }
          dash.cmd('move', { participant: pid, group: Number(sel.value) }).catch(() => {});
        } } })));
  }
  card.append(ul);
  const texts = (g.entries || []).filter((e) => e.text || e.who || e.when);
  if (texts.length) {
    ui.drafts = ui.drafts || new Set();
    card.append(h('details', { class: 'draft', open: ui.drafts.has(g.id),
      on: { toggle: (e) => { if (e.target.open) ui.drafts.add(g.id); else ui.drafts.delete(g.id); } } },
      h('summary', { data: { fk: 'draft:' + g.id }, text: t('groups.draft', { count: texts.length, n: texts.length }) }),
      texts.map((e) => h('p', { class: 'draft-entry', attrs: { lang: dash.lang() } }, e.text || '',
        e.who || e.when ? h('span', { class: 'q-who' }, ` (${e.who || '–'} · ${e.when || '–'})`) : null))));
  }
  return card;
}
