// The dashboard of someone who may watch a room but not change it (an
// observer, or the safeguarding role): a banner says so, and every control
// that would act is disabled as it is drawn. The server refuses their
// commands in any case; this keeps the page from offering them.

import { $ } from './dom.js';
import { t, onChange } from './i18n.js';

// Controls that only change what this page shows stay usable.
const KEEP = '.filter, #shortcuts-on, .lang-select, [data-observe-ok]';

function disableAll(root) {
  for (const el of root.querySelectorAll('button, select, input, textarea')) {
    if (!el.matches(KEEP) && !el.disabled) {
      el.disabled = true;
      el.dataset.observed = '1';
    }
  }
}

/** observe turns the dashboard into a view: access is the welcome's. */
export function observe(access) {
  document.body.classList.add('observing');
  const banner = $('#observing');
  const draw = () => { banner.textContent = t(access === 'safeguarding' ? 'dash.safeguarding_banner' : 'dash.observer_banner'); };
  draw();
  banner.hidden = false;
  onChange(draw);
  const main = $('#main');
  disableAll(main);
  new MutationObserver(() => disableAll(main)).observe(main, { childList: true, subtree: true, attributes: true, attributeFilter: ['disabled'] });
}
