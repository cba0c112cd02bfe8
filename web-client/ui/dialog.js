// ui/dialog.js — modal dialogs that keep keyboard focus inside them and
// give it back to where it was when they close.
//
// Built on <dialog>.showModal(), which makes the rest of the page inert and
// closes on Escape; Tab and Shift+Tab are wrapped here so that focus cycles
// through the dialog's own controls instead of leaving for the browser.

import { h, uid, focusables } from '../dom.js';

/**
 * Open a dialog. opts: {title, content: [nodes], initialFocus: element (else
 * the first control), onClose: fn}. Returns {el, close}.
 */
export function openDialog(opts) {
  const opener = document.activeElement;
  const titleId = uid('dlg-title');
  const el = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
    h('h2', { id: titleId, class: 'dialog-title', tabindex: '-1' }, opts.title),
    ...opts.content);
  let closed = false;

  function close() {
    if (closed) return;
    closed = true;
    if (el.open) el.close();
    el.remove();
    if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
    if (opts.onClose) opts.onClose();
  }

  el.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Tab') return;
    const items = focusables(el);
    if (!items.length) {
      ev.preventDefault();
      return;
    }
    const first = items[0];
    const last = items[items.length - 1];
    const active = document.activeElement;
    if (ev.shiftKey && (active === first || !el.contains(active))) {
      ev.preventDefault();
      last.focus();
    } else if (!ev.shiftKey && (active === last || !el.contains(active))) {
      ev.preventDefault();
      first.focus();
    }
  });
  // Escape (and the browser's own close) end up here
  el.addEventListener('cancel', (ev) => {
    ev.preventDefault();
    close();
  });
  el.addEventListener('close', close);

  document.body.appendChild(el);
  el.showModal();
  (opts.initialFocus || focusables(el)[0] || el.querySelector('.dialog-title')).focus();
  return { el, close };
}
