// views/crisis.js — where to get help now. Reachable from every page in one
// click (the help bar in index.html), signed in or not.
//
// The list is static for now. When the server serves the charity's
// configured crisis resources, show those here instead.

import { h } from '../dom.js';

const HELPLINES = [
  { name: 'Emergency services', number: '999', tel: '999',
    text: 'If you or someone else is in immediate danger, or there is a risk to life.' },
  { name: 'Samaritans', number: '116 123', tel: '116123',
    text: 'Free, any time, day or night, if you are struggling to cope or need someone to ' +
      'talk to.' },
  { name: 'NHS 111', number: '111', tel: '111',
    text: 'Free, 24 hours, when you need urgent medical help or advice but it is not an ' +
      'emergency.' },
  { name: 'Shout', number: 'Text SHOUT to 85258', sms: '85258',
    text: 'A free, confidential text service, any time, if you would rather not talk out loud.' },
];

export default async function crisis() {
  return {
    title: 'Need help now?',
    node: h('section', { class: 'page' },
      h('h1', null, 'Need help now?'),
      h('p', { class: 'lead' }, 'If you are thinking about ending your life, or you feel you ' +
        'cannot keep yourself safe, please reach out now. You do not have to go through this ' +
        'alone.'),
      h('ul', { class: 'helplines' }, ...HELPLINES.map((l) => h('li', { class: 'helpline' },
        h('h2', null, l.name),
        h('p', { class: 'helpline-number' },
          l.tel ? h('a', { href: 'tel:' + l.tel }, 'Call ', l.number)
            : h('a', { href: 'sms:' + l.sms }, l.number)),
        h('p', null, l.text)))),
      h('h2', null, 'About Hearth and emergencies'),
      h('p', null, 'Hearth is not an emergency service. Your facilitator may not see what you ' +
        'write straight away, and nobody watches the boards or messages around the clock.'),
      h('p', null, 'If something said in a group has upset you, you can tell your facilitator, ' +
        'or talk to one of the services above.'),
      h('p', { class: 'note' }, 'These are UK services. The charity that runs this Hearth can ' +
        'change this list to suit the people it supports.')),
  };
}
