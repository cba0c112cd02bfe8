// views/goodbye.js — shown once an account has been deleted.

import { h } from '../dom.js';

export default async function goodbye() {
  return {
    title: 'Your account has been deleted',
    node: h('section', { class: 'page' },
      h('h1', null, 'Your account has been deleted'),
      h('p', null, 'Your personal details have been removed and you have been signed out ' +
        'everywhere. Thank you for the part you played in your group.'),
      h('p', null, 'If you would like to come back one day, you are welcome to create a new ' +
        'account. And if you need someone to talk to now, the ',
      h('a', { href: '/crisis' }, 'crisis resources'), ' are always here.'),
      h('p', null, 'Take good care of yourself.')),
  };
}
