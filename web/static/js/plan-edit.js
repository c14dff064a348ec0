// The plan editor (/plans/ID/edit): the plan's own fields, its steps (add,
// duplicate, delete, reorder with the mouse or Alt+arrow keys), the
// selected step's fields for its kind, the validator's problems as one
// types (each at its field, steps counted from 1), saving as a new version
// against the version opened (a save that lost to another editor's shows
// both), the versions with restore, and starting a room.

import { init, t, has, extra, onChange, language } from './i18n.js';
import { h, $, clear, confirmDialog, announce } from './dom.js';
import { whoami, call, authHeaders, drawAccountBar, keepSignedIn } from './session.js';
import { control, showProblem, fieldId } from './plan-edit-fields.js';

extra('account');
extra('editor');

const id = decodeURIComponent(location.pathname.split('/')[2] || '');
const ed = { plan: null, base: 0, revision: 0, sel: 0, fields: null, problems: [], dirty: false, timer: 0, status: null };

/** stepFieldsOf lists the fields a step of kind has, without kind and id. */
const stepFieldsOf = (kind) => ed.fields.step_fields.filter((f) => f.name !== 'kind' && f.name !== 'id' && (!f.kinds || f.kinds.includes(kind)));

/** status says how saving stands, redrawn in the new language on a switch. */
function status(key, vars) {
  ed.status = [key, vars];
  $('#save-status').textContent = key ? t(key, vars) : '';
}

function changed() {
  ed.dirty = true;
  status('edit.unsaved');
  clearTimeout(ed.timer);
  ed.timer = setTimeout(validate, 500);
}

async function validate() {
  refreshPreview();
  const res = await call('POST', '/api/plan-validate', ed.plan);
  ed.problems = res.status === 200 ? res.data.problems || [] : [{ message: t('error.' + (res.data.code || 'internal')) }];
  drawProblems();
}

// The preview: the real big-screen and phone pages in frames, fed the
// frames the server makes for the chosen step (local-conn.js).
const previewWindows = new Set();
let previewFrames = null;

function postPreview(win) {
  if (previewFrames) win.postMessage({ stoppunktPreview: previewFrames, lang: language() }, location.origin);
}

addEventListener('message', (e) => {
  if (e.origin !== location.origin || !e.data || !e.data.stoppunktPreviewReady) return;
  previewWindows.add(e.source);
  postPreview(e.source);
});

async function refreshPreview() {
  const res = await call('POST', '/api/plan-preview', { plan: ed.plan, step: ed.sel });
  if (res.status !== 200) return;
  previewFrames = res.data.frames;
  for (const w of previewWindows) postPreview(w);
}

/** where says where a problem is, in the reader's words: "Step 3 · Options". */
function where(field) {
  const m = /^steps\[(\d+)\](?:\.(\w+))?/.exec(field || '');
  if (m) return [t('edit.step_n', { n: Number(m[1]) + 1 }), m[2] ? t('field.' + m[2]) : ''].filter(Boolean).join(' · ');
  return field ? t('field.' + field.replace(/\[.*$/, '')) : t('edit.plan');
}

/** seconds words a duration for a problem: "45 min", "30 s". */
const seconds = (n) => (n >= 60 && n % 60 === 0 ? `${n / 60} min` : `${n} s`);

/**
 * problemText words a problem in the reader's language from its code (the
 * validator's English sentence when the code has no words here).
 */
function problemText(p) {
  const m = /^steps\[(\d+)\](?:\.(\w+))?/.exec(p.field || '');
  const name = m ? m[2] || '' : (p.field || '').replace(/\[.*$/, '');
  const key = 'problem.' + p.code;
  if (!p.code || !has(key)) return p.message;
  const params = { ...(p.params || {}), field: name ? t('field.' + name) : t('edit.plan') };
  if (p.code === 'duration_range') { params.min = seconds(params.min); params.max = seconds(params.max); }
  return t(key, params);
}

function drawProblems() {
  const list = clear($('#problems'));
  for (const w of document.querySelectorAll('.ed-field')) showProblem(w, '');
  for (const li of document.querySelectorAll('#ed-steps li')) li.classList.remove('has-problem');
  if (!ed.problems.length) list.append(h('li', { class: 'ok', text: t('edit.no_problems') }));
  for (const p of ed.problems) {
    const m = /^steps\[(\d+)\](?:\.(\w+))?/.exec(p.field || '');
    const step = m ? Number(m[1]) : -1;
    if (step >= 0) {
      const li = document.querySelector(`#ed-steps li[data-i="${step}"]`);
      if (li) li.classList.add('has-problem');
    }
    const scope = step >= 0 ? 'step' : 'plan';
    const name = step >= 0 ? m[2] : (p.field || '').replace(/\[.*$/, '');
    const wrap = (step < 0 || step === ed.sel) && name ? document.querySelector(`#${scope}-fields .ed-field[data-field="${name}"]`) : null;
    if (wrap) showProblem(wrap, problemText(p));
    list.append(h('li', {}, h('button', { type: 'button', class: 'link-button', text: where(p.field),
      on: { click: () => { if (step >= 0) select(step); const el = document.getElementById(fieldId(scope, name)); if (el) el.focus(); } } }),
    h('span', { text: ' ' + problemText(p) })));
  }
  $('#btn-start').disabled = ed.problems.length > 0;
}

/** shareControl shares one's own plan with the organisation, or stops. */
function shareControl() {
  const input = h('input', { type: 'checkbox', id: 'plan-shared', checked: !!ed.shared });
  const status = h('p', { class: 'status', attrs: { role: 'status' } });
  input.addEventListener('change', async () => {
    const res = await call('POST', `/api/plans/${encodeURIComponent(id)}/share`, { shared: input.checked });
    if (res.status === 204) { ed.shared = input.checked; status.textContent = t(input.checked ? 'edit.shared' : 'edit.private'); } else {
      input.checked = !input.checked;
      status.textContent = t('edit.share_first');
    }
  });
  return h('div', { class: 'field ed-field check' }, input, h('label', { htmlFor: 'plan-shared', text: t('new.upload_share') }), status);
}

function drawPlanFields() {
  const box = clear($('#plan-fields'));
  if (ed.me && ed.me.signed_in) box.append(shareControl());
  const p = ed.plan;
  const types = { title: 'text', language: 'text', duration: 'duration', audience: 'text', description: 'text', questions: 'bool' };
  for (const [name, type] of Object.entries(types)) {
    box.append(control('plan', name, type, p, (v) => {
      if (v === undefined) delete p[name]; else p[name] = v;
      if (name === 'title') document.title = t('edit.page_title_of', { title: p.title || '' });
      changed();
    }));
  }
}

function drawSteps() {
  const list = clear($('#ed-steps'));
  ed.plan.steps.forEach((s, i) => {
    list.append(h('li', { data: { i: String(i), kind: s.kind }, class: i === ed.sel ? 'selected' : '' },
      h('button', { type: 'button', class: 'ed-step-btn', attrs: { 'aria-current': i === ed.sel ? 'step' : undefined },
        on: { click: () => select(i), keydown: (e) => moveKey(e, i) } },
      h('span', { class: 'n', text: String(i + 1) }),
      h('span', { class: 'ed-step-text' }, h('span', { class: 't', text: s.title || t('edit.untitled') }), h('span', { class: 'k', text: t('kind.' + s.kind) })))));
  });
}

function moveKey(e, i) {
  if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
  e.preventDefault();
  select(i);
  move(e.key === 'ArrowUp' ? -1 : 1);
  document.querySelector(`#ed-steps li[data-i="${ed.sel}"] button`).focus();
}

function select(i) {
  ed.sel = Math.max(0, Math.min(i, ed.plan.steps.length - 1));
  drawSteps();
  drawStep();
  drawProblems();
  refreshPreview();
}

function drawStep() {
  const s = ed.plan.steps[ed.sel];
  $('#ed-step-title').textContent = t('edit.step_title', { n: ed.sel + 1, total: ed.plan.steps.length });
  const box = clear($('#step-fields'));
  const kind = h('select', { id: 'step-kind', on: { change: (e) => { s.kind = e.target.value; drawSteps(); drawStep(); changed(); } } },
    ed.fields.kinds.map((k) => h('option', { value: k, selected: s.kind === k, text: t('kind.' + k) })));
  box.append(h('div', { class: 'field ed-field', data: { field: 'kind' } }, h('label', { htmlFor: 'step-kind', text: t('field.kind') }), kind,
    h('p', { class: 'field-error problem', hidden: true })));
  for (const f of [{ name: 'title', type: 'text' }, ...stepFieldsOf(s.kind).filter((x) => x.name !== 'title')]) {
    const extraEl = f.name === 'image' ? imageUpload(s) : null;
    box.append(control('step', f.name, f.type, s, (v) => {
      if (v === undefined) delete s[f.name]; else s[f.name] = v;
      if (f.name === 'title') drawSteps();
      changed();
    }, { extra: extraEl }));
  }
  $('#btn-up').disabled = ed.sel === 0;
  $('#btn-down').disabled = ed.sel === ed.plan.steps.length - 1;
  $('#btn-del').disabled = ed.plan.steps.length === 1;
}

/** imageUpload stores a picture for a scenario step and puts its path in. */
function imageUpload(s) {
  const input = h('input', { type: 'file', id: 'step-image-file', accept: 'image/png,image/jpeg,image/webp' });
  const status = h('p', { class: 'status', attrs: { role: 'status' } });
  input.addEventListener('change', async () => {
    const file = input.files[0];
    if (!file) return;
    if (file.size > ed.fields.max_image_bytes) { status.textContent = t('edit.image_too_large'); status.className = 'status error'; return; }
    const res = await fetch(`/api/plans/${encodeURIComponent(id)}/images`, { method: 'POST', body: file,
      headers: { 'Content-Type': file.type || 'application/octet-stream', ...authHeaders('') } });
    const data = await res.json().catch(() => ({}));
    if (res.status !== 201) { status.textContent = res.status === 413 ? t('edit.image_too_large') : t('edit.image_refused'); status.className = 'status error'; return; }
    s.image = data.path;
    drawStep();
    changed();
    $('#step-alt').focus();
  });
  return h('div', { class: 'ed-image' }, h('label', { htmlFor: 'step-image-file', text: t('edit.image_upload') }), input,
    s.image ? h('img', { src: s.image, alt: s.alt || '', class: 'ed-thumb' }) : null, status);
}

/** newStepID gives an added step an id no other step has. */
function newStepID(kind) {
  const used = new Set(ed.plan.steps.map((s) => s.id));
  for (let n = 1; ; n++) if (!used.has(`${kind}-${n}`)) return `${kind}-${n}`;
}

function add() {
  const kind = $('#add-kind').value;
  const step = { kind, id: newStepID(kind), title: t('kind.' + kind) };
  if (kind === 'poll') step.options = [t('edit.option', { n: 1 }), t('edit.option', { n: 2 })];
  ed.plan.steps.splice(ed.sel + 1, 0, step);
  select(ed.sel + 1);
  changed();
  announce(t('edit.added', { kind: t('kind.' + kind), n: ed.sel + 1 }));
  $('#step-title').focus();
}

function move(d) {
  const to = ed.sel + d;
  if (to < 0 || to >= ed.plan.steps.length) return;
  const [s] = ed.plan.steps.splice(ed.sel, 1);
  ed.plan.steps.splice(to, 0, s);
  select(to);
  changed();
  announce(t('edit.moved', { n: to + 1 }));
}

function duplicate() {
  const copy = JSON.parse(JSON.stringify(ed.plan.steps[ed.sel]));
  copy.id = newStepID(copy.kind);
  ed.plan.steps.splice(ed.sel + 1, 0, copy);
  select(ed.sel + 1);
  changed();
}

async function remove() {
  const s = ed.plan.steps[ed.sel];
  if (!(await confirmDialog(t('edit.delete_confirm', { n: ed.sel + 1, title: s.title || '' }), t('edit.delete'), true))) return;
  ed.plan.steps.splice(ed.sel, 1);
  select(Math.min(ed.sel, ed.plan.steps.length - 1));
  changed();
}

async function save() {
  status('edit.saving');
  const res = await call('POST', `/api/plans/${encodeURIComponent(id)}/revisions`, { plan: ed.plan, base: ed.base });
  if (res.status === 201) {
    ed.base = res.data.base;
    ed.revision = res.data.revision;
    ed.dirty = false;
    ed.problems = res.data.problems || [];
    status(res.data.draft ? 'edit.saved_draft' : 'edit.saved', { n: res.data.revision });
    drawProblems();
    loadHistory();
    return;
  }
  if (res.status === 409) {
    const theirs = res.data.theirs;
    const take = await confirmDialog(t('edit.conflict', { who: theirs.by_name || t('edit.someone'), n: theirs.revision }), t('edit.keep_mine'));
    ed.base = theirs.base;
    if (take) { save(); return; }
    ed.plan = theirs.plan;
    drawAll();
    status('edit.took_theirs', { n: theirs.revision });
    return;
  }
  status('error.' + (res.data.code || 'internal'));
}

const picked = new Set(); // versions chosen to compare

/** short shows a field's value in a line of a comparison. */
function short(v) {
  const s = Array.isArray(v) ? v.join(' / ') : v === undefined || v === null ? '–' : String(v);
  return s.length > 80 ? s.slice(0, 77) + '…' : s;
}

/**
 * differences lists, in the reader's words, how plan b differs from plan
 * a, step by step: steps matched by their id, added, removed, moved, and
 * every field that changed.
 */
function differences(a, b) {
  const out = [];
  for (const f of ['title', 'language', 'duration', 'audience', 'description', 'questions']) {
    if (JSON.stringify(a[f]) !== JSON.stringify(b[f])) out.push(`${t('edit.plan')} · ${t('field.' + f)}: ${short(a[f])} → ${short(b[f])}`);
  }
  const before = new Map((a.steps || []).map((s, i) => [s.id, { s, i }]));
  (b.steps || []).forEach((s, i) => {
    const old = before.get(s.id);
    const where = t('edit.step_n', { n: i + 1 });
    if (!old) { out.push(`${where}: ${t('edit.diff_added', { title: s.title || '' })}`); return; }
    before.delete(s.id);
    if (old.i !== i) out.push(`${where}: ${t('edit.diff_moved', { from: old.i + 1 })}`);
    for (const k of new Set([...Object.keys(old.s), ...Object.keys(s)])) {
      if (k === 'id' || JSON.stringify(old.s[k]) === JSON.stringify(s[k])) continue;
      out.push(`${where} · ${t('field.' + k)}: ${short(old.s[k])} → ${short(s[k])}`);
    }
  });
  for (const { s, i } of before.values()) out.push(`${t('edit.step_n', { n: i + 1 })}: ${t('edit.diff_removed', { title: s.title || '' })}`);
  return out;
}

async function compare() {
  const [x, y] = [...picked].sort((p, q) => p - q);
  const get = (n) => call('GET', `/api/plans/${encodeURIComponent(id)}/revisions/${n}`);
  const [ra, rb] = await Promise.all([get(x), get(y)]);
  const box = clear($('#compare'));
  if (ra.status !== 200 || rb.status !== 200) { box.append(h('p', { class: 'field-error', text: t('error.internal') })); return; }
  const diff = differences(ra.data.plan, rb.data.plan);
  box.append(h('h3', { text: t('edit.compare_title', { a: x, b: y }) }),
    diff.length ? h('ul', {}, diff.map((d) => h('li', { text: d }))) : h('p', { text: t('edit.diff_same') }));
}

async function loadHistory() {
  const res = await call('GET', `/api/plans/${encodeURIComponent(id)}/revisions`);
  const list = clear($('#history'));
  const fmt = new Intl.DateTimeFormat(language() === 'en' ? 'en-GB' : language(), { dateStyle: 'short', timeStyle: 'short' });
  for (const r of (res.data.revisions || []).slice(0, 20)) {
    const cid = 'cmp-' + r.n;
    const pick = h('input', { type: 'checkbox', id: cid, checked: picked.has(r.n),
      attrs: { 'aria-label': t('edit.compare_pick', { n: r.n }) },
      on: { change: (e) => {
        if (e.target.checked) picked.add(r.n); else picked.delete(r.n);
        while (picked.size > 2) picked.delete([...picked][0]);
        for (const c of document.querySelectorAll('#history input[type=checkbox]')) c.checked = picked.has(Number(c.id.slice(4)));
        $('#btn-compare').disabled = picked.size !== 2;
      } } });
    list.append(h('li', {}, pick,
      h('span', { text: t('edit.version', { n: r.n }) + ' · ' + fmt.format(new Date(r.saved)) + (r.by_name ? ' · ' + r.by_name : '') }),
      r.draft ? h('span', { class: 'badge danger', text: t('edit.draft') }) : null,
      r.n === ed.revision ? h('span', { class: 'badge ok', text: t('edit.current') }) : h('button', { type: 'button', class: 'link-button',
        text: t('edit.restore'), attrs: { 'aria-label': t('edit.restore_n', { n: r.n }) },
        on: { click: () => restore(r.n) } })));
  }
}

async function restore(n) {
  if (ed.dirty && !(await confirmDialog(t('edit.restore_unsaved'), t('edit.restore')))) return;
  const res = await call('POST', `/api/plans/${encodeURIComponent(id)}/revisions/${n}/restore`, { base: ed.base });
  if (res.status === 201) await load();
  if (res.status === 201) status('edit.restored', { n, m: res.data.revision });
  else status('error.' + (res.data.code || 'internal'));
}

/**
 * loadYAML reads a plan file into the editor as unsaved changes: the plan
 * keeps its id; Save makes it the next version.
 */
async function loadYAML() {
  const input = $('#yaml-file');
  const out = $('#yaml-status');
  const file = input.files[0];
  if (!file) return;
  const res = await fetch('/api/plan-parse', { method: 'POST', body: await file.text(), headers: { 'Content-Type': 'application/yaml', ...authHeaders('') } });
  const data = await res.json().catch(() => ({}));
  input.value = '';
  if (res.status !== 200) {
    const first = (data.problems || [])[0];
    out.textContent = first && first.line ? t('edit.yaml_bad_at', { line: first.line, message: first.message }) : t('edit.yaml_bad');
    out.className = 'status error';
    return;
  }
  data.plan.id = id;
  ed.plan = data.plan;
  ed.sel = 0;
  drawAll();
  changed();
  out.textContent = t('edit.yaml_loaded', { name: file.name });
  out.className = 'status ok';
}

async function start() {
  if (ed.dirty) await save();
  const res = await call('POST', '/api/rooms', { plan: id });
  if (res.status === 201) location.assign(res.data.facilitator_url);
  else status(res.status === 403 ? 'edit.cannot_start' : 'error.' + (res.data.code || 'internal'));
}

function drawAll() {
  drawPlanFields();
  drawSteps();
  drawStep();
  drawProblems();
}

async function load() {
  const res = await call('GET', `/api/plans/${encodeURIComponent(id)}/edit`);
  if (res.status !== 200) {
    clear($('#main')).append(h('p', { class: 'field-error', text: res.status === 401 ? t('new.signin_needed') : t('edit.not_yours') }),
      h('p', {}, h('a', { href: '/plans', text: t('lib.title') })));
    return false;
  }
  Object.assign(ed, { plan: res.data.plan, base: res.data.base, revision: res.data.revision, problems: res.data.problems || [], dirty: false, shared: res.data.shared });
  if (!Array.isArray(ed.plan.steps) || !ed.plan.steps.length) ed.plan.steps = [{ kind: 'info', id: 'info-1', title: '' }];
  document.title = t('edit.page_title_of', { title: ed.plan.title || '' });
  drawAll();
  loadHistory();
  refreshPreview();
  return true;
}

async function boot() {
  await init();
  ed.me = await whoami();
  drawAccountBar();
  keepSignedIn();
  ed.fields = (await call('GET', '/api/plan-fields')).data;
  $('#add-kind').append(...ed.fields.kinds.map((k) => h('option', { value: k, text: t('kind.' + k) })));
  $('#btn-yaml').href = `/api/plans/${encodeURIComponent(id)}/yaml`;
  $('#btn-try').href = `/plans/${encodeURIComponent(id)}/try`;
  $('#btn-yaml').download = id + '.yaml';
  if (!(await load())) return;
  $('#btn-add').addEventListener('click', add);
  $('#btn-up').addEventListener('click', () => move(-1));
  $('#btn-down').addEventListener('click', () => move(1));
  $('#btn-dup').addEventListener('click', duplicate);
  $('#btn-del').addEventListener('click', remove);
  $('#btn-save').addEventListener('click', save);
  $('#btn-start').addEventListener('click', start);
  $('#btn-compare').addEventListener('click', compare);
  $('#yaml-file').addEventListener('change', loadYAML);
  document.addEventListener('keydown', (e) => { if ((e.ctrlKey || e.metaKey) && e.key === 's') { e.preventDefault(); save(); } });
  window.addEventListener('beforeunload', (e) => { if (ed.dirty) e.preventDefault(); });
  onChange(() => { drawAll(); loadHistory(); status(...(ed.status || [])); for (const w of previewWindows) postPreview(w); });
}

boot();
