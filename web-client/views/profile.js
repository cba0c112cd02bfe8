// views/profile.js — your own account: details, picture, privacy choices,
// password, and deleting the account.

import { h, replace } from '../dom.js';
import { api } from '../api.js';
import { textField, checkField, fileField, createForm, showPasswords } from '../ui/form.js';
import { openDialog } from '../ui/dialog.js';
import { forgetPicture } from '../ui/avatar.js';

const AVATAR_MAX = 128 * 1024;
const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const ROLE_NAMES = { member: 'Member', facilitator: 'Facilitator', manager: 'Manager' };

function kib(bytes) {
  return `${Math.ceil(bytes / 1024)} KiB`;
}

function section(id, title, ...children) {
  return h('section', { class: 'card', 'aria-labelledby': id },
    h('h2', { id }, title), ...children);
}

export default async function profile(ctx) {
  const { session, navigate } = ctx;
  const me = await api.get('/api/v1/me');
  session.set(me);
  const cleanups = [];

  // ---- about you ----
  const displayName = textField({
    name: 'display_name', label: 'Display name', value: me.display_name, maxlength: 64,
    autocomplete: 'nickname', hint: 'What others in your group see.',
    missing: 'Please enter a display name.',
  });
  const email = textField({
    name: 'email', label: 'E-mail address', type: 'email', value: me.email,
    autocomplete: 'email', spellcheck: false,
    hint: 'Only used to contact you. Other members never see it.',
    missing: 'Please enter your e-mail address.',
  });
  const signature = textField({
    name: 'signature', label: 'Signature', value: me.signature, optional: true, maxlength: 300,
    hint: 'A short line shown under your posts on the boards. Up to 300 characters.',
  });
  const details = createForm({
    label: 'About you', fields: [displayName, email, signature], submit: 'Save details',
    errorField: { bad_display_name: 'display_name', bad_email: 'email', bad_signature: 'signature' },
    async onSubmit(v, form) {
      const user = await api.patch('/api/v1/me', v);
      session.set(user);
      form.success('Your details have been saved.');
    },
  });

  // ---- picture ----
  const pictureBox = h('div', { class: 'avatar-box' });
  let previewUrl = null;
  const dropPreview = () => {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
  };
  cleanups.push(dropPreview);
  const showPicture = (user, bust) => {
    dropPreview();
    replace(pictureBox, user.has_avatar
      ? h('img', { class: 'avatar', alt: 'Your current picture', width: '96', height: '96',
        src: `/api/v1/users/${encodeURIComponent(user.id)}/avatar?v=${bust || Date.now()}` })
      : h('p', { class: 'avatar-none' }, 'You have no picture yet.'));
  };
  showPicture(me, 1);
  const file = fileField({
    name: 'avatar', label: 'Choose a picture', accept: AVATAR_TYPES, maxBytes: AVATAR_MAX,
    hint: 'A PNG, JPEG, GIF or WebP picture of at most 128 KiB. It is shown next to your ' +
      'name. Photos from a phone are usually bigger: please make them smaller first.',
    missing: 'Please choose a picture first.',
    tooBig: (f) => `That picture is ${kib(f.size)}; the limit is 128 KiB. Please choose a ` +
      'smaller one, or make it smaller first.',
    wrongType: () => 'Please choose a PNG, JPEG, GIF or WebP picture.',
  });
  const removeBtn = h('button', { type: 'button', class: 'btn btn-quiet' }, 'Remove picture');
  const picture = createForm({
    label: 'Your picture', fields: [file], submit: 'Upload picture', after: [removeBtn],
    async onSubmit(v, form) {
      await api.put('/api/v1/me/avatar', v.avatar, v.avatar.type || 'application/octet-stream');
      const user = { ...session.user, has_avatar: true };
      forgetPicture(user.id);
      session.set(user);
      showPicture(user);
      file.input.value = '';
      removeBtn.hidden = false;
      form.success('Your picture has been updated.');
    },
  });
  removeBtn.hidden = !me.has_avatar;
  file.input.addEventListener('change', () => {
    picture.clear();
    const chosen = file.value;
    const problem = chosen && file.check(chosen);
    if (problem) {
      file.setError(problem);
      picture.error(problem);
      return;
    }
    if (chosen) { // a preview of what will be sent, from memory (blob:)
      dropPreview();
      previewUrl = URL.createObjectURL(chosen);
      replace(pictureBox, h('img', { class: 'avatar', alt: 'The picture you chose (not saved yet)',
        width: '96', height: '96', src: previewUrl }));
    }
  });
  removeBtn.addEventListener('click', async () => {
    picture.clear();
    try {
      await api.del('/api/v1/me/avatar');
      const user = { ...session.user, has_avatar: false };
      forgetPicture(user.id);
      session.set(user);
      showPicture(user);
      removeBtn.hidden = true;
      file.input.focus();
      picture.success('Your picture has been removed.');
    } catch (e) {
      picture.error(e.message);
    }
  });

  // ---- privacy and e-mail ----
  const consent = checkField({
    name: 'research_consent', checked: me.research_consent,
    label: 'Include what I write, anonymised, in research about online support',
    hint: 'Researchers working with the charity may study session transcripts to improve ' +
      'support for others. Your name and details are removed first. You can change your ' +
      'mind at any time; this does not affect the support you get.',
  });
  const digest = checkField({
    name: 'digest', checked: !me.digest_opt_out,
    label: 'E-mail me summaries of what is new in my group',
    hint: 'You can turn these off at any time.',
  });
  const privacy = createForm({
    label: 'Privacy and e-mail', fields: [consent, digest], submit: 'Save choices',
    async onSubmit(v, form) {
      const user = await api.patch('/api/v1/me',
        { research_consent: v.research_consent, digest_opt_out: !v.digest });
      session.set(user);
      form.success('Your choices have been saved.');
    },
  });

  // ---- password ----
  const oldPw = textField({
    name: 'old_password', label: 'Current password', type: 'password',
    autocomplete: 'current-password', missing: 'Please enter your current password.',
  });
  const newPw = textField({
    name: 'new_password', label: 'New password', type: 'password',
    autocomplete: 'new-password', hint: 'At least 10 characters.',
    missing: 'Please choose a new password.',
  });
  const confirmPw = textField({
    name: 'confirm', label: 'New password again', type: 'password',
    autocomplete: 'new-password', missing: 'Please type the new password again.',
  });
  const password = createForm({
    label: 'Change your password', fields: [oldPw, newPw, confirmPw], submit: 'Change password',
    validate: (v) => (v.new_password !== v.confirm
      ? { confirm: 'The two new passwords are not the same. Please type them again.' } : null),
    errorField: {
      wrong_password: 'old_password', weak_password: 'new_password',
      password_too_long: 'new_password',
    },
    async onSubmit(v, form) {
      await api.post('/api/v1/me/password',
        { old_password: v.old_password, new_password: v.new_password });
      for (const f of [oldPw, newPw, confirmPw]) f.value = '';
      form.success('Your password has been changed. If you were signed in on any other ' +
        'device, you have been signed out there.');
    },
  });
  password.form.insertBefore(showPasswords([oldPw, newPw, confirmPw], 'Show passwords'),
    password.form.querySelector('.form-msg'));
  password.form.prepend(usernameForPasswordManagers(me.username));

  // ---- delete the account ----
  const deleteBtn = h('button', { type: 'button', class: 'btn btn-danger' },
    'Delete my account…');
  deleteBtn.addEventListener('click', () => confirmErase(session, navigate));

  const since = new Date(me.created_at).toLocaleDateString('en-GB',
    { day: 'numeric', month: 'long', year: 'numeric' });
  const node = h('div', { class: 'page' },
    h('h1', null, 'Your profile'),
    h('dl', { class: 'facts' },
      h('dt', null, 'Username'), h('dd', null, me.username),
      h('dt', null, 'Role'), h('dd', null, ROLE_NAMES[me.role] || me.role),
      h('dt', null, 'Member since'), h('dd', null, since)),
    section('p-about', 'About you', details.form),
    section('p-picture', 'Your picture', pictureBox, picture.form),
    section('p-privacy', 'Privacy and e-mail', privacy.form),
    section('p-password', 'Change your password', password.form),
    section('p-delete', 'Delete your account',
      h('p', null, 'You can delete your account at any time. This is what it means:'),
      erasureFacts(),
      h('p', null, 'If you only need a break, you do not have to delete anything. You can ' +
        'sign out and come back whenever you feel ready.'),
      h('div', { class: 'actions' }, deleteBtn)));
  return { title: 'Your profile', node, destroy: () => cleanups.forEach((fn) => fn()) };
}

// Password managers need the account name next to a password field to know
// which entry to update; it is not shown and takes no focus.
function usernameForPasswordManagers(username) {
  return h('input', { type: 'text', name: 'username', autocomplete: 'username', value: username,
    readonly: true, hidden: true, tabindex: '-1', 'aria-hidden': 'true' });
}

function erasureFacts() {
  return h('ul', { class: 'plain-list' },
    h('li', null, 'Your name, e-mail address, picture, signature and password are removed ' +
      'for good, and you are signed out everywhere.'),
    h('li', null, 'What you wrote in your group stays there, so that the conversation still ' +
      'makes sense to the others, but it shows as written by “Former member”.'),
    h('li', null, 'You leave your group and your private conversations. Any application you ' +
      'made is withdrawn, and your answers and your GP’s details are deleted.'),
    h('li', null, 'Your consent to research is withdrawn.'),
    h('li', null, 'This cannot be undone. If you come back later, you would start with a ' +
      'new account.'));
}

function confirmErase(session, navigate) {
  const username = session.user ? session.user.username : '';
  const pw = textField({
    name: 'password', label: 'Your password', type: 'password',
    autocomplete: 'current-password', hint: 'To make sure it is really you.',
    missing: 'Please enter your password to confirm.',
  });
  let dlg = null;
  const keep = h('button', { type: 'button', class: 'btn btn-quiet', on: { click: () => dlg.close() } },
    'Keep my account');
  const form = createForm({
    label: 'Confirm deleting your account', fields: [pw], submit: 'Delete my account',
    danger: true, after: [keep],
    errorField: { wrong_password: 'password', missing_field: 'password' },
    async onSubmit(v) {
      await api.del('/api/v1/me', { password: v.password });
      dlg.close();
      session.set(null);
      await navigate('/goodbye', { replace: true });
    },
  });
  form.form.prepend(usernameForPasswordManagers(username));
  dlg = openDialog({
    title: 'Delete your account?',
    content: [
      h('p', null, 'Your name, e-mail address, picture and password will be removed, and ' +
        'what you wrote in your group will show as written by “Former member”. This cannot ' +
        'be undone.'),
      form.form,
    ],
    initialFocus: pw.input,
  });
}
