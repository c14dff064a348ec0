// A connection that takes its frames from the page that embeds this one
// (the plan editor's preview) instead of from the server, so that the
// phone and big-screen pages draw a plan's step with their own code and
// no room. It sends nothing: every command is refused.

import { LANGUAGES, language, setLanguage } from './i18n.js';

export class LocalConn {
  constructor({ onFrame, onState }) {
    this.onFrame = onFrame;
    this.onState = onState || (() => {});
    this.state = 'idle';
    this.offset = 0;
  }

  /** now is the clock of the frames' maker. */
  now() { return Date.now() + this.offset; }

  get open() { return this.state === 'open'; }

  /** start listens to the embedding page, of this origin only, and says it is ready. */
  start() {
    addEventListener('message', (e) => {
      if (e.origin !== location.origin || e.source !== parent || !e.data || !Array.isArray(e.data.stoppunktPreview)) return;
      // The phone's own words follow the embedding page's language.
      if (e.data.lang && LANGUAGES.includes(e.data.lang) && e.data.lang !== language()) setLanguage(e.data.lang);
      for (const f of e.data.stoppunktPreview) {
        if (f.type === 'welcome') this.offset = (f.data && f.data.server_time ? f.data.server_time : Date.now()) - Date.now();
        this.onFrame(f);
        if (f.type === 'welcome' && this.state !== 'open') {
          this.state = 'open';
          this.onState('open');
        }
      }
    });
    if (parent !== window) parent.postMessage({ stoppunktPreviewReady: true }, location.origin);
  }

  stop() { this.state = 'closed'; }

  send() {}

  lost() {}

  request() { return Promise.reject(Object.assign(new Error('a preview sends nothing'), { code: 'not_allowed' })); }
}
