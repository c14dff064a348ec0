// The dashboard's warning that phones cannot open the join link: shown
// when the link the server gives staff in the welcome (join_url) points
// at this machine only (localhost or a loopback address), with what to do
// about it. dash.js calls showJoinWarning with every welcome.

import { t, onChange } from './i18n.js';
import { h } from './dom.js';

let link = '';
let box = null;
let wired = false;

/** localOnly tells whether a link can be opened only on this machine. */
export function localOnly(url) {
  let host;
  try { host = new URL(url).hostname.toLowerCase(); } catch { return false; }
  host = host.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === '::1' || host === '0.0.0.0' || host === '::' || /^::ffff:7f/.test(host);
}

function draw() {
  const show = !!link && localOnly(link);
  if (!show) {
    if (box) box.hidden = true;
    return;
  }
  if (!box) {
    box = h('div', { id: 'join-warning', class: 'banner warn join-warning', attrs: { role: 'status' } });
    const main = document.querySelector('main');
    main.parentNode.insertBefore(box, main);
  }
  // Settings such as --public-url are typed as they are, on one line.
  const text = t('joinwarn.text', { host: new URL(link).host }).split(/(--[a-z][a-z-]*)/)
    .map((part, i) => (i % 2 ? h('code', {}, part) : part));
  box.replaceChildren(h('strong', {}, t('joinwarn.title')), h('p', {}, text));
  box.hidden = false;
}

/** showJoinWarning takes a welcome's data and shows or hides the warning. */
export function showJoinWarning(welcome) {
  if (!wired) { onChange(draw); wired = true; }
  link = (welcome && welcome.join_url) || '';
  draw();
}
