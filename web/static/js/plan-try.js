// "Try it" (/plans/ID/try): a plan as the big screen and a phone show it,
// stepped through with the dashboard's Back and Next (and the arrow keys),
// with no room: the server draws each step with the rooms' own code
// (POST /api/plan-preview) and the real pages show it (local-conn.js).

import { init, t, extra, onChange, language } from './i18n.js';
import { $ } from './dom.js';
import { call } from './session.js';

extra('account');
extra('editor');

const id = decodeURIComponent(location.pathname.split('/')[2] || '');
let plan = null;
let step = 0;
let frames = null;
const windows = new Set();

function post(win) { if (frames) win.postMessage({ stoppunktPreview: frames, lang: language() }, location.origin); }

addEventListener('message', (e) => {
  if (e.origin !== location.origin || !e.data || !e.data.stoppunktPreviewReady) return;
  windows.add(e.source);
  post(e.source);
});

async function show() {
  $('#try-title').textContent = t('try.title', { title: plan.title });
  document.title = t('try.title', { title: plan.title });
  $('#try-back').disabled = step === 0;
  $('#try-next').disabled = step === plan.steps.length - 1;
  $('#try-step').textContent = t('step.announce', { n: step + 1, total: plan.steps.length, title: plan.steps[step].title });
  const res = await call('POST', '/api/plan-preview', { plan, step });
  if (res.status !== 200) return;
  frames = res.data.frames;
  for (const w of windows) post(w);
}

function pace(d) {
  const to = step + d;
  if (!plan || to < 0 || to >= plan.steps.length) return;
  step = to;
  show();
}

async function boot() {
  await init();
  const res = await call('GET', '/api/plans/' + encodeURIComponent(id));
  if (res.status !== 200) {
    $('#try-title').textContent = t('error.not_found');
    return;
  }
  plan = res.data;
  $('#try-title').textContent = t('try.title', { title: plan.title });
  $('#try-title').lang = plan.language;
  document.title = t('try.title', { title: plan.title });
  $('#try-back').addEventListener('click', () => pace(-1));
  $('#try-next').addEventListener('click', () => pace(1));
  document.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || (e.target && e.target.closest('input, select, textarea'))) return;
    if (e.key === 'ArrowRight' || e.key === 'PageDown') { pace(1); e.preventDefault(); }
    if (e.key === 'ArrowLeft' || e.key === 'PageUp') { pace(-1); e.preventDefault(); }
  });
  onChange(show);
  show();
}

boot();
