// views/register.js — create an account, then sign straight in.

import { h } from '../dom.js';
import { api } from '../api.js';
import { textField, createForm, showPasswords } from '../ui/form.js';

export default async function register({ session, query, navigate, safeNext }) {
  const username = textField({
    name: 'username', label: 'Username', autocomplete: 'username', autocapitalize: 'none',
    spellcheck: false, maxlength: 32,
    hint: 'You sign in with this. 3 to 32 characters: letters a to z, digits, and _ . or -',
    missing: 'Please choose a username.',
  });
  const name = textField({
    name: 'display_name', label: 'Display name', autocomplete: 'nickname', maxlength: 64,
    hint: 'What others in your group will see. Your first name is fine; you can change it later.',
    missing: 'Please choose a display name.',
  });
  const email = textField({
    name: 'email', label: 'E-mail address', type: 'email', autocomplete: 'email',
    spellcheck: false, hint: 'Only used to contact you. Other members never see it.',
    missing: 'Please enter your e-mail address.',
  });
  const password = textField({
    name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password',
    hint: 'At least 10 characters. A few words you will remember work well.',
    missing: 'Please choose a password.',
  });
  const confirm = textField({
    name: 'confirm', label: 'Password again', type: 'password', autocomplete: 'new-password',
    missing: 'Please type your password again.',
  });
  const next = safeNext(query.get('next'));
  const form = createForm({
    label: 'Create an account',
    fields: [username, name, email, password, confirm],
    submit: 'Create my account',
    validate: (v) => (v.password !== v.confirm
      ? { confirm: 'The two passwords are not the same. Please type them again.' } : null),
    errorField: {
      bad_username: 'username', username_taken: 'username', bad_display_name: 'display_name',
      bad_email: 'email', weak_password: 'password', password_too_long: 'password',
    },
    async onSubmit(v) {
      await api.post('/api/v1/register', {
        username: v.username, password: v.password, email: v.email, display_name: v.display_name,
      });
      let user;
      try {
        user = await session.signIn(v.username, v.password, false);
      } catch {
        // the account exists now; signing in can be tried again on its own page
        await navigate(next === '/' ? '/signin' : '/signin?next=' + encodeURIComponent(next), {
          replace: true, notice: { text: 'Your account is ready. Please sign in.' },
        });
        return;
      }
      await navigate(next, {
        replace: true,
        notice: { text: `Welcome to Hearth, ${user.display_name}. Your account is ready.` },
      });
    },
  });
  form.form.insertBefore(showPasswords([password, confirm], 'Show passwords'),
    form.form.querySelector('.form-msg'));
  return {
    title: 'Create an account',
    node: h('section', { class: 'page page-narrow' },
      h('h1', null, 'Create an account'),
      h('p', null, 'With an account you can apply to join a group. A facilitator reads every ' +
        'application before anyone joins.'),
      form.form,
      h('p', null, 'Already have an account? ',
        h('a', { href: next === '/' ? '/signin' : '/signin?next=' + encodeURIComponent(next) },
          'Sign in'), '.')),
  };
}
