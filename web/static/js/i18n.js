// Interface languages. Every text a person reads comes from the files in
// /static/i18n/ (nb, da, en); pages carry data-i18n="key" on elements and
// data-i18n-attr="attribute:key;..." for attributes. Only the chosen
// language's file is downloaded. The plan's own content is shown as written
// and never translated.

export const LANGUAGES = ['nb', 'da', 'en'];
const STORE_KEY = 'sp.lang';

let dict = {};
let current = 'en';
const listeners = [];
const extras = [];

/**
 * extra adds a page's own dictionary (/static/i18n/NAME-LANG.js) to the
 * shared one, so that texts only some pages use are not downloaded by
 * phones. Call it before init.
 */
export function extra(name) { if (!extras.includes(name)) extras.push(name); }

/** pickLanguage: the remembered choice, else the browser's, else English. */
export function pickLanguage() {
  let saved = null;
  try { saved = localStorage.getItem(STORE_KEY); } catch { /* storage off */ }
  if (LANGUAGES.includes(saved)) return saved;
  const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  for (const l of wanted) {
    const base = String(l).toLowerCase().split('-')[0];
    if (base === 'nb' || base === 'no' || base === 'nn') return 'nb';
    if (base === 'da') return 'da';
    if (base === 'en') return 'en';
  }
  return 'en';
}

/** language is the current interface language. */
export const language = () => current;

/**
 * setLanguage loads a language, translates the page and tells listeners.
 * remember keeps the choice for the next visit.
 */
export async function setLanguage(lang, remember = false) {
  if (!LANGUAGES.includes(lang)) lang = 'en';
  const mods = await Promise.all([import(`../i18n/${lang}.js`), ...extras.map((n) => import(`../i18n/${n}-${lang}.js`))]);
  dict = Object.assign({}, ...mods.map((m) => m.default));
  current = lang;
  if (remember) {
    try { localStorage.setItem(STORE_KEY, lang); } catch { /* storage off */ }
  }
  document.documentElement.lang = lang;
  apply(document);
  for (const sel of document.querySelectorAll('select.lang-select')) sel.value = lang;
  for (const fn of listeners) fn(lang);
}

/** init picks and loads the language and wires every language menu. */
export async function init() {
  try {
    await setLanguage(pickLanguage());
  } catch {
    await setLanguage('en').catch(() => {});
  }
  for (const sel of document.querySelectorAll('select.lang-select')) {
    sel.value = current;
    sel.addEventListener('change', () => setLanguage(sel.value, true));
  }
  document.documentElement.classList.remove('loading');
}

/** onChange calls fn with the new language after every switch. */
export function onChange(fn) { listeners.push(fn); }

/**
 * t translates a key. vars fill {name} placeholders; a numeric vars.count
 * picks "key.one" or "key.other" when the file has them.
 */
export function t(key, vars) {
  let s = dict[key];
  if (vars && typeof vars.count === 'number') {
    const plural = dict[key + (vars.count === 1 ? '.one' : '.other')];
    if (plural !== undefined) s = plural;
  }
  if (s === undefined) return key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

/** has reports whether the language file has a key. */
export const has = (key) => key in dict;

/** apply translates the data-i18n elements and attributes under root. */
export function apply(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((x) => x.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}

/** number formats a number for the current language. */
export const number = (n, opts) => new Intl.NumberFormat(current === 'en' ? 'en-GB' : current, opts).format(n);
