// ui/form.js — labelled fields and forms that report errors accessibly.
//
// Every field has a <label>. Its hint and, when there is one, its error are
// linked to it with aria-describedby, and an error also sets aria-invalid.
// Each form has its own live regions: role="alert" for what went wrong (the
// server's error.message, word for word) and role="status" for success. The
// regions are in the page from the start (empty), so that screen readers
// announce what is later written into them.

import { h, uid, setText } from '../dom.js';
import { ApiError } from '../api.js';

const GENERIC = 'Something went wrong. Please try again.';

function describe(f) {
  const el = f.describeOn || f.input;
  const ids = [f.hintId, f.errorShown ? f.errorId : null].filter(Boolean);
  if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
  else el.removeAttribute('aria-describedby');
}

function fieldApi(f) {
  f.setError = (message) => {
    setText(f.error, message);
    f.error.hidden = false;
    f.errorShown = true;
    for (const el of f.radios || [f.input]) el.setAttribute('aria-invalid', 'true');
    f.wrap.classList.add('has-error');
    describe(f);
  };
  f.clearError = () => {
    setText(f.error, '');
    f.error.hidden = true;
    f.errorShown = false;
    for (const el of f.radios || [f.input]) el.removeAttribute('aria-invalid');
    f.wrap.classList.remove('has-error');
    describe(f);
  };
  describe(f);
  return f;
}

/**
 * A text field. opts: {name, label, type ('text', 'password', 'email'…),
 * autocomplete, hint, value, optional (not required; shown in the label),
 * multiline (textarea), rows, maxlength, inputmode, spellcheck, missing
 * (message when left empty), trim (default true except passwords), min,
 * max, step (number, date and time fields), list (a datalist's id)}.
 */
export function textField(opts) {
  const id = uid('f-' + opts.name);
  const f = { name: opts.name, hintId: opts.hint ? id + '-hint' : null, errorId: id + '-error' };
  const common = {
    id, name: opts.name, autocomplete: opts.autocomplete || 'off', maxlength: opts.maxlength,
    inputmode: opts.inputmode, spellcheck: opts.spellcheck === undefined ? undefined
      : String(opts.spellcheck),
    autocapitalize: opts.autocapitalize, required: !opts.optional,
    min: opts.min, max: opts.max, step: opts.step, list: opts.list,
  };
  f.input = opts.multiline
    ? h('textarea', { ...common, rows: opts.rows || 3 })
    : h('input', { ...common, type: opts.type || 'text' });
  f.input.value = opts.value == null ? '' : String(opts.value);
  f.error = h('p', { class: 'field-error', id: f.errorId, hidden: true });
  f.wrap = h('div', { class: 'field' },
    h('label', { for: id }, opts.label, opts.optional ? h('span', { class: 'optional' }, ' (optional)') : null),
    opts.hint ? h('p', { class: 'hint', id: f.hintId }, opts.hint) : null,
    f.input, f.error);
  const trim = opts.trim ?? opts.type !== 'password';
  Object.defineProperty(f, 'value', {
    get: () => (trim ? f.input.value.trim() : f.input.value),
    set: (v) => { f.input.value = v; },
  });
  f.check = (value) => (!opts.optional && value === ''
    ? opts.missing || `Please enter ${opts.label.toLowerCase()}.` : null);
  return fieldApi(f);
}

/**
 * A drop-down list. opts: {name, label, hint, options: [{value, label}],
 * value, optional, missing (message when nothing is chosen: the first
 * option should then be {value: '', label: 'Choose…'})}.
 */
export function selectField(opts) {
  const id = uid('f-' + opts.name);
  const f = { name: opts.name, hintId: opts.hint ? id + '-hint' : null, errorId: id + '-error' };
  f.input = h('select', { id, name: opts.name, required: !opts.optional },
    ...opts.options.map((o) => h('option', { value: String(o.value) }, o.label)));
  if (opts.value !== undefined && opts.value !== null) f.input.value = String(opts.value);
  f.error = h('p', { class: 'field-error', id: f.errorId, hidden: true });
  f.wrap = h('div', { class: 'field' },
    h('label', { for: id }, opts.label),
    opts.hint ? h('p', { class: 'hint', id: f.hintId }, opts.hint) : null,
    f.input, f.error);
  Object.defineProperty(f, 'value', {
    get: () => f.input.value,
    set: (v) => { f.input.value = String(v); },
  });
  f.check = (value) => (!opts.optional && value === ''
    ? opts.missing || `Please choose ${opts.label.toLowerCase()}.` : null);
  return fieldApi(f);
}

/**
 * Radio buttons in a fieldset. opts: {name, legend, hint, options: [{value,
 * label, hint}], value, missing}. f.input is the first radio (for focus).
 */
export function radioField(opts) {
  const id = uid('f-' + opts.name);
  const f = { name: opts.name, hintId: opts.hint ? id + '-hint' : null, errorId: id + '-error' };
  const radios = opts.options.map((o, i) => {
    const rid = `${id}-${i}`;
    const input = h('input', { type: 'radio', id: rid, name: id, value: String(o.value),
      checked: opts.value !== undefined && String(opts.value) === String(o.value) });
    return { input, node: h('div', { class: 'check' }, input, h('label', { for: rid }, o.label),
      o.hint ? h('p', { class: 'hint' }, o.hint) : null) };
  });
  f.input = radios[0].input;
  f.radios = radios.map((r) => r.input);
  f.error = h('p', { class: 'field-error', id: f.errorId, hidden: true });
  f.wrap = h('fieldset', { class: 'field fieldset', 'aria-describedby': f.hintId || undefined },
    h('legend', null, opts.legend),
    opts.hint ? h('p', { class: 'hint', id: f.hintId }, opts.hint) : null,
    ...radios.map((r) => r.node), f.error);
  Object.defineProperty(f, 'value', {
    get: () => (f.radios.find((r) => r.checked) || { value: '' }).value,
    set: (v) => { for (const r of f.radios) r.checked = r.value === String(v); },
  });
  f.check = (value) => (value === '' ? opts.missing || 'Please choose one.' : null);
  // errors are described on the group, so that every radio's name reads them
  f.describeOn = f.wrap;
  return fieldApi(f);
}

/** A checkbox with its label after it. opts: {name, label, hint, checked}. */
export function checkField(opts) {
  const id = uid('f-' + opts.name);
  const f = { name: opts.name, hintId: opts.hint ? id + '-hint' : null, errorId: id + '-error' };
  f.input = h('input', { type: 'checkbox', id, name: opts.name, checked: !!opts.checked });
  f.error = h('p', { class: 'field-error', id: f.errorId, hidden: true });
  f.wrap = h('div', { class: 'check' },
    f.input, h('label', { for: id }, opts.label),
    opts.hint ? h('p', { class: 'hint', id: f.hintId }, opts.hint) : null, f.error);
  Object.defineProperty(f, 'value', {
    get: () => f.input.checked,
    set: (v) => { f.input.checked = !!v; },
  });
  f.check = () => null;
  return fieldApi(f);
}

/**
 * A file chooser that checks the file before anything is sent. opts: {name,
 * label, hint (say the rules here, before people choose), accept: [mime…],
 * maxBytes, tooBig(file) and wrongType(file): messages, missing}.
 */
export function fileField(opts) {
  const id = uid('f-' + opts.name);
  const f = { name: opts.name, hintId: opts.hint ? id + '-hint' : null, errorId: id + '-error' };
  f.input = h('input', { type: 'file', id, name: opts.name, accept: opts.accept.join(','),
    required: true });
  f.error = h('p', { class: 'field-error', id: f.errorId, hidden: true });
  f.wrap = h('div', { class: 'field' }, h('label', { for: id }, opts.label),
    opts.hint ? h('p', { class: 'hint', id: f.hintId }, opts.hint) : null, f.input, f.error);
  Object.defineProperty(f, 'value', { get: () => (f.input.files && f.input.files[0]) || null });
  f.check = (file) => {
    if (!file) return opts.missing || 'Please choose a file.';
    if (file.size > opts.maxBytes) return opts.tooBig(file);
    // the server checks the bytes themselves; this only saves a wasted upload
    if (file.type && !opts.accept.includes(file.type)) return opts.wrongType(file);
    if (file.size === 0) return 'That file is empty. Please choose another.';
    return null;
  };
  return fieldApi(f);
}

/** A "Show password" checkbox for the given password fields. */
export function showPasswords(fields, label = 'Show password') {
  const id = uid('f-show');
  const input = h('input', {
    type: 'checkbox', id,
    on: { change: () => { for (const f of fields) f.input.type = input.checked ? 'text' : 'password'; } },
  });
  return h('div', { class: 'check check-small' }, input, h('label', { for: id }, label));
}

/**
 * A form. opts: {fields: [field…], submit: button label, onSubmit: async
 * (values, form) => void, validate: (values) => ({name: message}) | null,
 * errorField: {api_error_code: field name}, before: [nodes] (shown above the
 * fields), after: [nodes] (shown next to the button), danger: red button,
 * label: accessible name of the form}. Resolves nothing; errors from
 * onSubmit are shown: an ApiError's message in the form's alert region (and
 * under the field its code belongs to), anything else as a generic message.
 */
export function createForm(opts) {
  const fields = opts.fields;
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
  const alertEl = h('p', { class: 'form-msg', role: 'alert' });
  const statusEl = h('p', { class: 'form-ok', role: 'status' });
  const button = h('button', { type: 'submit', class: ['btn', opts.danger && 'btn-danger'] },
    opts.submit);
  const form = h('form', { novalidate: true, class: 'form', 'aria-label': opts.label },
    ...(opts.before || []), ...fields.map((f) => f.wrap), alertEl, statusEl,
    h('div', { class: 'actions' }, button, ...(opts.after || [])));
  let busy = false;
  // an error goes once its field is changed; a new one comes with the next try
  for (const f of fields) {
    for (const el of f.radios || [f.input]) {
      el.addEventListener(f.radios || el.type === 'checkbox' || el.tagName === 'SELECT' ||
        el.type === 'file' ? 'change' : 'input', () => { if (f.errorShown) f.clearError(); });
    }
  }

  const ctl = {
    form, fields: byName, button,
    values() {
      return Object.fromEntries(fields.map((f) => [f.name, f.value]));
    },
    clear() {
      for (const f of fields) f.clearError();
      setText(alertEl, '');
      setText(statusEl, '');
    },
    /**
     * Show an error: announced through the alert region and shown under the
     * named fields (then the region is only heard, not seen twice), or shown
     * in the region itself when it belongs to no field.
     */
    error(message, names = []) {
      const own = names.map((n) => byName[n]).filter(Boolean);
      setText(statusEl, '');
      // a repeat of the same words must be announced again
      setText(alertEl, '');
      alertEl.classList.toggle('visually-hidden', own.length > 0);
      requestAnimationFrame(() => setText(alertEl, message));
      for (const f of own) f.setError(message);
      if (own.length) own[0].input.focus();
    },
    success(message) {
      setText(alertEl, '');
      setText(statusEl, '');
      requestAnimationFrame(() => setText(statusEl, message));
    },
    setBusy(on) {
      busy = on;
      form.setAttribute('aria-busy', String(on));
      button.setAttribute('aria-disabled', String(on));
    },
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    ctl.clear();
    const values = ctl.values();
    const errors = {};
    for (const f of fields) {
      const m = f.check(values[f.name]);
      if (m) errors[f.name] = m;
    }
    if (!Object.keys(errors).length && opts.validate) Object.assign(errors, opts.validate(values) || {});
    const names = Object.keys(errors);
    if (names.length === 1) {
      ctl.error(errors[names[0]], names);
      return;
    }
    if (names.length) {
      ctl.error('Some fields need your attention: please see the messages under them.');
      for (const n of names) byName[n].setError(errors[n]);
      byName[names[0]].input.focus();
      return;
    }
    ctl.setBusy(true);
    try {
      await opts.onSubmit(values, ctl);
    } catch (e) {
      if (e instanceof ApiError) {
        const name = (opts.errorField || {})[e.code];
        ctl.error(e.message, name ? [].concat(name) : []);
      } else {
        console.error(e);
        ctl.error(GENERIC);
      }
    } finally {
      ctl.setBusy(false);
    }
  });
  return ctl;
}
