// ui/postform.js — writing a board post: the text (Markdown), a preview
// rendered by the server, and one picture whose rules are explained before
// it is chosen. Used for new topics, replies and edits.
//
// The preview is the server's own rendering (POST /api/v1/preview), the
// only HTML the client inserts, through dom.insertServerRenderedHtml.

import { h, replace, insertServerRenderedHtml, uid } from '../dom.js';
import { api } from '../api.js';
import { textField, fileField, createForm } from './form.js';
import { kib } from './format.js';

export const PICTURE_MAX = 128 * 1024;
export const PICTURE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
export const PICTURE_RULES = 'One picture per post: a PNG, JPEG, GIF or WebP of at most ' +
  '128 KiB. Photos from a phone are usually bigger, so please make them smaller first. ' +
  'Pictures are checked by their content, not their name, and everyone who can read the ' +
  'board can see them.';

/** The picture chooser, checked before anything is sent. */
export function pictureField(label = 'Add a picture') {
  const f = fileField({
    name: 'picture', label, accept: PICTURE_TYPES, maxBytes: PICTURE_MAX, hint: PICTURE_RULES,
    missing: 'Please choose a picture first.',
    tooBig: (file) => `That picture is ${kib(file.size)}; the limit is 128 KiB. Please choose ` +
      'a smaller one, or make it smaller first.',
    wrongType: () => 'Please choose a PNG, JPEG, GIF or WebP picture.',
  });
  f.input.required = false;
  const check = f.check;
  f.check = (file) => (file ? check(file) : null); // the picture is optional
  return f;
}

/** Upload a picture for a post; resolves to the server's answer. */
export function putPicture(postId, file) {
  return api.put(`/api/v1/posts/${postId}/picture`, file, file.type || 'application/octet-stream');
}

/**
 * A post form. opts: {label, subject (bool: a new topic), bodyLabel, value,
 * picture (bool), submit, before: [nodes], after: [nodes], onSubmit: async
 * ({subject, body, picture}, ctl) => void}. Returns the createForm
 * controller, plus setBody(text) and body (the field).
 */
export function postForm(opts) {
  const fields = [];
  let subject = null;
  if (opts.subject) {
    subject = textField({ name: 'subject', label: 'Subject', maxlength: 120,
      hint: '3 to 120 characters.', missing: 'Please give your topic a subject.' });
    fields.push(subject);
  }
  const body = textField({
    name: 'body', label: opts.bodyLabel || 'Your message', multiline: true, rows: 6,
    value: opts.value, maxlength: 16384,
    hint: 'You can use simple formatting: **bold**, *italic*, a line starting with > for a ' +
      'quote, - for a list, and [words](https://…) for a link. Links to sites outside Hearth ' +
      'may be checked by a facilitator before others see the post.',
    missing: 'Please write something first.',
  });
  fields.push(body);
  const picture = opts.picture ? pictureField() : null;
  if (picture) fields.push(picture);

  const previewId = uid('preview');
  const preview = h('div', { class: 'preview', id: previewId, hidden: true, role: 'region',
    'aria-label': 'Preview', tabindex: '-1' });
  const previewBtn = h('button', { type: 'button', class: 'btn btn-quiet',
    'aria-controls': previewId }, 'Preview');
  const ctl = createForm({
    label: opts.label, fields, submit: opts.submit, before: opts.before,
    after: [previewBtn, ...(opts.after || [])],
    errorField: { bad_subject: 'subject', too_long: 'body', bad_body: 'body', empty_body: 'body',
      duplicate_post: 'body' },
    validate: (v) => (subject && v.subject && [...v.subject].length < 3
      ? { subject: 'A subject needs at least 3 characters.' } : null),
    async onSubmit(v, form) {
      await opts.onSubmit({ subject: v.subject, body: v.body, picture: v.picture || null }, form);
    },
  });
  ctl.form.insertBefore(preview, ctl.form.querySelector('.form-msg'));
  previewBtn.addEventListener('click', async () => {
    const text = body.value;
    if (!text) {
      ctl.error('Please write something to preview first.', ['body']);
      return;
    }
    try {
      const r = await api.post('/api/v1/preview', { body: text });
      preview.hidden = false;
      const rendered = h('div', { class: 'post-body' });
      insertServerRenderedHtml(rendered, r.html);
      replace(preview,
        h('p', { class: 'preview-label' }, 'Preview: this is how your post will look.'),
        rendered,
        r.needs_review ? h('p', { class: 'note' }, 'This post has a link to a site outside ' +
          'the allowed list, so a facilitator will look at it before others can see it.') : null);
      preview.focus();
    } catch (e) {
      ctl.error(e.message, ['body']);
    }
  });
  if (picture) {
    picture.input.addEventListener('change', () => {
      const file = picture.value;
      const problem = file && picture.check(file);
      if (problem) picture.setError(problem);
      else picture.clearError();
    });
  }
  body.input.addEventListener('input', () => { preview.hidden = true; });
  ctl.body = body;
  ctl.picture = picture;
  ctl.setBody = (text) => { body.value = text; preview.hidden = true; };
  ctl.reset = () => {
    if (subject) subject.value = '';
    body.value = '';
    if (picture) picture.input.value = '';
    preview.hidden = true;
  };
  return ctl;
}
