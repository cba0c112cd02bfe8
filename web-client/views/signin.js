// views/signin.js — sign in, with "remember me"; returns to where the person
// was going (?next=) afterwards.

import { h } from '../dom.js';
import { textField, checkField, createForm, showPasswords } from '../ui/form.js';

export default async function signin({ session, query, navigate, safeNext }) {
  const username = textField({
    name: 'username', label: 'Username', autocomplete: 'username', autocapitalize: 'none',
    spellcheck: false, missing: 'Please enter your username.',
  });
  const password = textField({
    name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password',
    missing: 'Please enter your password.',
  });
  const remember = checkField({
    name: 'remember', label: 'Keep me signed in on this device',
    hint: 'Only tick this on a device that nobody else uses.',
  });
  const next = safeNext(query.get('next'));
  const form = createForm({
    label: 'Sign in',
    fields: [username, password, remember],
    submit: 'Sign in',
    errorField: { bad_credentials: 'password', password_too_long: 'password' },
    async onSubmit(v) {
      const user = await session.signIn(v.username, v.password, v.remember);
      await navigate(next, { replace: true, notice: { text: `Signed in as ${user.display_name}.` } });
    },
  });
  form.form.insertBefore(showPasswords([password]), remember.wrap);
  return {
    title: 'Sign in',
    node: h('section', { class: 'page page-narrow' },
      h('h1', null, 'Sign in'),
      form.form,
      h('p', null, 'New to Hearth? ',
        h('a', { href: next === '/' ? '/register' : '/register?next=' + encodeURIComponent(next) },
          'Create an account'), '.')),
  };
}
