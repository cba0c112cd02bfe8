// dom.js — the one way the client builds DOM.
//
// h() puts every string in as a text node, so text from people (names,
// signatures, messages) can never become markup. There is exactly one
// exception in the whole client: insertServerRenderedHtml() below, for board
// posts that the server itself rendered from Markdown. No other module may use
// innerHTML, outerHTML, insertAdjacentHTML or document.write (a test checks).

const BLOCKED_PROPS = new Set(['innerHTML', 'outerHTML', 'srcdoc', 'style']);
// Links may lead to our own pages, phone numbers, mail and (by a person's
// click) other sites; what the page loads by itself comes only from Hearth.
const LINK_URL = /^(\/(?![/\\])|#|\?|tel:|sms:|mailto:|https:\/\/)/i;
const LOAD_URL = /^(\/(?![/\\])|blob:)/i;

function urlOk(name, value) {
  return (name === 'href' ? LINK_URL : LOAD_URL).test(value);
}

function checkUrl(name, value) {
  if (!urlOk(name, value)) throw new Error(`dom: refusing ${name}=${JSON.stringify(value)}`);
}

/**
 * Create an element.
 *   h('a', {href: '/profile', class: 'nav'}, 'Your profile')
 * props: class (string or array), on: {event: handler}, boolean attributes
 * (true/false), value/checked/selected (set as properties), anything else as
 * an attribute. Children: strings and numbers become text nodes; null, false
 * and undefined are skipped; arrays are flattened.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (BLOCKED_PROPS.has(key) || /^on./i.test(key)) {
        throw new Error(`dom: ${key} is not allowed; use classes and the "on" map`);
      }
      if (key === 'on') {
        for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
      } else if (key === 'class') {
        el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
      } else if (key === 'value' || key === 'checked' || key === 'selected') {
        el[key] = value;
      } else if (value === true) {
        el.setAttribute(key, '');
      } else {
        if (key === 'href' || key === 'src' || key === 'action') checkUrl(key, String(value));
        el.setAttribute(key, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

/** Append children (same rules as h()). Returns el. */
export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

/** Replace an element's content with the given children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Set plain text. */
export function setText(el, text) {
  el.textContent = text == null ? '' : String(text);
}

let idSeq = 0;
/** A document-unique id with a readable prefix. */
export function uid(prefix = 'id') {
  idSeq += 1;
  return `${prefix}-${idSeq}`;
}

/** The elements inside root that can take keyboard focus, in order. */
export function focusables(root) {
  const sel = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]),' +
    ' select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
  return [...root.querySelectorAll(sel)].filter((el) => !el.closest('[hidden]') &&
    el.getClientRects().length > 0);
}

// ---- server-rendered HTML: the only exception to the rule above ----

const ALLOWED_TAGS = new Set(['P', 'BR', 'HR', 'EM', 'STRONG', 'CODE', 'PRE', 'BLOCKQUOTE',
  'UL', 'OL', 'LI', 'A', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'IMG', 'DEL', 'TABLE', 'THEAD',
  'TBODY', 'TR', 'TH', 'TD']);
const ALLOWED_ATTRS = { A: ['href', 'title'], IMG: ['src', 'alt', 'title'], OL: ['start'] };

/**
 * SERVER-RENDERED HTML ONLY. Inserts HTML that Hearth's server produced from
 * a board post's Markdown (cmark, raw HTML and unsafe links already stripped
 * there). Never pass text that came from anywhere else. As a second line of
 * defence the HTML is parsed inert (in a <template>), and every element and
 * attribute outside a short allow-list is dropped before it is inserted.
 */
export function insertServerRenderedHtml(el, serverHtml) {
  const tpl = document.createElement('template');
  tpl.innerHTML = serverHtml; // inert: nothing in a template runs or loads
  const walk = (node) => {
    for (const child of [...node.childNodes]) {
      if (child.nodeType === Node.TEXT_NODE) continue;
      if (child.nodeType !== Node.ELEMENT_NODE || !ALLOWED_TAGS.has(child.tagName)) {
        child.remove();
        continue;
      }
      const keep = ALLOWED_ATTRS[child.tagName] || [];
      for (const attr of [...child.attributes]) {
        const ok = keep.includes(attr.name) &&
          (attr.name !== 'href' && attr.name !== 'src' || urlOk(attr.name, attr.value));
        if (!ok) child.removeAttribute(attr.name);
      }
      if (child.tagName === 'A') child.setAttribute('rel', 'noopener noreferrer nofollow');
      walk(child);
    }
  };
  walk(tpl.content);
  el.replaceChildren(tpl.content);
  return el;
}
