// The dashboard's miniatures of what the room sees now: the big screen
// and a participant's phone, each the real page (the same code that draws
// them in the room) in a frame at its real size, scaled down to fit beside
// the controls. Both connect with the big screen's read-only key, so a
// miniature can show the room and change nothing; the frames are inert, so
// keyboard and screen-reader users are not led into them.

import { h, $ } from './dom.js';
import { t } from './i18n.js';

const SCREEN = { w: 1920, h: 1080 };
const PHONE = { w: 390, h: 844 };
const GAP = 12; // px between the two miniatures

/**
 * showPreviews puts the two miniatures on the dashboard, once the room's
 * code and the big screen's key are known; called again, it keeps them.
 */
export function showPreviews(dash, code, presenterKey) {
  const key = presenterKey || dash.key;
  if (!code || !key) return;
  if (dash.previews && dash.previews.key === key) return;
  const screen = frame(`/p/${dash.room}#key=${encodeURIComponent(key)}`, SCREEN, t('dash.mini_screen_title'));
  const phone = frame(`/j/${code}#preview=${encodeURIComponent(key)}`, PHONE, t('dash.mini_phone_title'));
  $('#mini-screen').replaceChildren(screen);
  $('#mini-phone').replaceChildren(phone);
  $('#previews').hidden = false;
  const row = $('#previews .preview-row');
  const fit = () => layout(row.clientWidth, screen, phone);
  if (dash.previews && dash.previews.observer) dash.previews.observer.disconnect();
  const observer = new ResizeObserver(fit);
  observer.observe(row);
  dash.previews = { key, screen, phone, observer };
  fit();
}

/** reloadPhonePreview draws the phone again, in the interface's new language. */
export function reloadPhonePreview(dash) {
  if (!dash.previews) return;
  const f = dash.previews.phone;
  f.title = t('dash.mini_phone_title');
  dash.previews.screen.title = t('dash.mini_screen_title');
  try { f.contentWindow.location.reload(); } catch { /* not loaded yet */ }
}

function frame(src, size, title) {
  const f = h('iframe', { src, title, tabIndex: -1, attrs: { referrerpolicy: 'no-referrer', inert: true } });
  f.width = String(size.w);
  f.height = String(size.h);
  f.style.transformOrigin = '0 0';
  return f;
}

/**
 * layout sizes the miniatures to share the row: both the same height, the
 * big screen 16:9 and the phone at its own proportions.
 */
function layout(width, screen, phone) {
  if (!width) return;
  const height = Math.max(60, (width - GAP) / (SCREEN.w / SCREEN.h + PHONE.w / PHONE.h));
  place(screen, SCREEN, height);
  place(phone, PHONE, height);
}

function place(f, size, height) {
  const scale = height / size.h;
  f.style.transform = `scale(${scale})`;
  const box = f.parentElement;
  box.style.width = `${Math.floor(size.w * scale)}px`;
  box.style.height = `${Math.floor(height)}px`;
}

/** drawJoinControl names what the join-panel button does now. */
export function drawJoinControl(dash) {
  const btn = $('#btn-join-panel');
  const sc = dash.state.screen;
  const small = sc && sc.join === 'small';
  btn.textContent = t(small ? 'dash.join_large' : 'dash.join_small');
  btn.dataset.size = small ? 'large' : 'small';
  btn.disabled = dash.ended();
}
