// People and groups on the dashboard: the roster (nickname or "Anonymous
// #n", remove), forming breakout groups of a chosen size, moving a person
// to another group and merging groups. Names are text, always.

import { h, $, clear, keepFocus, confirmDialog } from './dom.js';
import { t } from './i18n.js';

export function drawPeople(dash) {
  const root = $('#people');
  const r = dash.state.roster;
  const groupOf = groupIndex(dash);
  keepFocus(root, () => {
    clear(root);
    const list = (r && r.participants) || [];
    root.append(h('p', { class: 'hint', text: t('people.count', { count: list.length, n: list.length }) }));
    if (!list.length) {
      root.append(h('p', { class: 'hint', text: t('people.none') }));
      return;
    }
    const ul = h('ul', { class: 'roster' });
    for (const p of list) {
      const name = p.nickname || t('common.anonymous', { n: p.n });
      const nameId = 'who-' + p.id;
      const g = groupOf.get(p.id);
      ul.append(h('li', { class: 'person' },
        h('span', { class: 'person-name' + (p.nickname ? '' : ' anon'), id: nameId }, name),
        g ? h('span', { class: 'badge', text: t('shared.group', { n: g }) }) : null,
        h('button', { type: 'button', class: 'link danger-link', data: { fk: 'remove:' + p.id }, disabled: dash.ended(),
          attrs: { 'aria-describedby': nameId }, text: t('people.remove'),
          on: { click: async () => {
            if (!(await confirmDialog(t('people.remove_confirm', { name }), t('people.remove'), true))) return;
            dash.cmd('remove', { participant: p.id }).catch(() => {});
          } } })));
    }
    root.append(ul);
  });
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
    const size = h('input', { type: 'number', id: 'group-size', min: 2, max: 5, data: { fk: 'size' },
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
  const pick = h('input', { type: 'checkbox', id: 'merge-' + g.id, checked: ui.merge.has(g.id), data: { fk: 'merge:' + g.id },
    on: { change: (e) => { if (e.target.checked) ui.merge.add(g.id); else ui.merge.delete(g.id); drawGroups(dash); } } });
  const card = h('section', { class: 'group-card', attrs: { 'aria-labelledby': titleId } },
    h('h3', { id: titleId }, t('shared.group', { n: g.id }), ' ',
      h('span', { class: 'badge', text: t('shared.people', { count: g.members.length, n: g.members.length }) }),
      g.submitted ? h('span', { class: 'badge ok', text: t('groups.submitted') }) : null),
    groups.length > 1 ? h('div', { class: 'check' }, pick, h('label', { htmlFor: pick.id, text: t('groups.pick_merge') })) : null);
  const ul = h('ul', { class: 'members' });
  for (const pid of g.members) {
    const sel = h('select', { id: `move-${pid}`, data: { fk: 'movesel:' + pid } },
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
