// The plan body's Markdown subset (docs/plans.md), drawn as DOM nodes:
// paragraphs, "- " lists, *em*, **strong**, [links](https://...) and
// backslash escapes. Text only ever becomes text nodes, so a body cannot
// carry markup; links open with rel=noopener.

const ESCAPABLE = '\\*[]()_-#!';
const LINK = /^\[([^\]]*)\]\(([^)]*)\)/;

// A link is drawn for exactly the addresses the plan validator accepts:
// these are the patterns of hub/plan/markdown.go, and
// hub/plan/testdata/links.json is the table of cases both are tested
// against. https, a host of letters, digits and hyphens, an optional
// port, and no spaces, control or format characters, quotes, angle
// brackets, backslashes, brackets or stray "%" after it; link text with
// something visible in it.
const HTTPS_URL = /^https:\/\/(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)*[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?::([0-9]{1,5}))?(?:[/?#](?:[^\p{Z}\p{C}"'<>\\^`{|}%()[\]]|%[0-9A-Fa-f]{2})*)?$/u;
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

/** renderBody returns a fragment for a body text. */
export function renderBody(body) {
  const frag = document.createDocumentFragment();
  let para = [];
  let items = [];
  const flush = () => {
    if (para.length) {
      const p = document.createElement('p');
      inline(p, para.join('\n'));
      frag.append(p);
      para = [];
    }
    if (items.length) {
      const ul = document.createElement('ul');
      for (const it of items) {
        const li = document.createElement('li');
        inline(li, it);
        ul.append(li);
      }
      frag.append(ul);
      items = [];
    }
  };
  for (const line of String(body || '').replace(/\r\n/g, '\n').split('\n')) {
    const tl = line.trim();
    if (tl === '') {
      flush();
    } else if (tl.startsWith('- ') || tl === '-') {
      if (para.length) flush();
      items.push(tl.slice(1).trim());
    } else if (items.length && (line[0] === ' ' || line[0] === '\t')) {
      items[items.length - 1] += ' ' + tl;
    } else {
      if (items.length) flush();
      para.push(tl);
    }
  }
  flush();
  return frag;
}

// inline appends s to parent with emphasis, strong, links and escapes.
function inline(parent, s) {
  let lit = '';
  const emit = () => {
    if (lit) parent.append(document.createTextNode(lit));
    lit = '';
  };
  for (let i = 0; i < s.length;) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length && ESCAPABLE.includes(s[i + 1])) {
      lit += s[i + 1];
      i += 2;
      continue;
    }
    if (s.startsWith('**', i)) {
      const j = closing(s.slice(i + 2), '**');
      if (j > 0) {
        emit();
        const el = document.createElement('strong');
        inline(el, s.slice(i + 2, i + 2 + j));
        parent.append(el);
        i += 4 + j;
        continue;
      }
    } else if (c === '*') {
      const j = closing(s.slice(i + 1), '*');
      if (j > 0) {
        emit();
        const el = document.createElement('em');
        inline(el, s.slice(i + 1, i + 1 + j));
        parent.append(el);
        i += 2 + j;
        continue;
      }
    } else if (c === '[') {
      const m = LINK.exec(s.slice(i));
      if (m && VISIBLE.test(m[1]) && httpsURL(m[2])) {
        emit();
        const a = document.createElement('a');
        a.href = m[2];
        a.rel = 'noopener noreferrer';
        a.target = '_blank';
        inline(a, m[1]);
        parent.append(a);
        i += m[0].length;
        continue;
      }
    }
    lit += c;
    i++;
  }
  emit();
}

// closing finds the delimiter that closes an emphasis opened just before
// s: the text must not be empty nor start or end with a space.
function closing(s, delim) {
  if (s === '' || s[0] === ' ' || s.startsWith(delim)) return -1;
  for (let off = 0; ;) {
    let j = s.indexOf(delim, off);
    if (j < 0) return -1;
    if (s[j - 1] !== ' ' && s[j - 1] !== '\\') return j;
    off = j + delim.length;
  }
}

function httpsURL(u) {
  const m = HTTPS_URL.exec(u);
  return m !== null && (m[1] === undefined || Number(m[1]) <= 65535);
}
