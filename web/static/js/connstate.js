// The staff pages' connection badge and offline banner: one place for how
// "live", "reconnecting", "offline" and "disconnected" look.
import { t } from './i18n.js';
import { $ } from './dom.js';

// showConnState draws a connection state. onGone(code) handles a final
// close the page must explain (a deleted room, a wrong key) and returns
// true when it did; other closes show "disconnected".
export function showConnState(state, detail, onGone) {
  const el = $('#conn-state');
  if (state === 'open') {
    el.textContent = t('dash.live');
    el.className = 'badge ok';
    $('#banner').hidden = true;
    return;
  }
  if (state === 'closed') {
    if (onGone(detail && detail.code)) return;
    el.textContent = t('dash.disconnected');
    el.className = 'badge danger';
    return;
  }
  el.textContent = t('dash.reconnecting');
  el.className = 'badge warn';
  if (state === 'offline') {
    const b = $('#banner');
    b.textContent = t('dash.offline');
    b.className = 'banner warn';
    b.hidden = false;
  }
}
