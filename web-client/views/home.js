// views/home.js — the start page: what Hearth is, and where to go next.

import { h } from '../dom.js';

export default async function home({ session }) {
  const user = session.user;
  if (!user) {
    return {
      title: 'Welcome',
      node: h('section', { class: 'page' },
        h('h1', null, 'A quiet place to meet'),
        h('p', null, 'Hearth hosts small, closed support groups for people living with cancer, ' +
          'the people who care for them, and people who have been bereaved. Each group of up ' +
          'to eight meets once a week for an hour, in writing, with a clinical psychologist, ' +
          'and keeps talking between sessions on its own private boards.'),
        h('p', null, 'Nothing said in a group is shown to anyone outside it.'),
        h('div', { class: 'actions' },
          h('a', { href: '/signin', class: 'btn' }, 'Sign in'),
          h('a', { href: '/register', class: 'btn btn-quiet' }, 'Create an account'))),
    };
  }
  const tile = (href, label, hint) => h('li', null, h('a', { href }, label),
    h('span', { class: 'hint' }, hint));
  const role = user.role;
  const tiles = [];
  if (role !== 'manager') {
    tiles.push(tile('/my-group', 'My group', role === 'facilitator'
      ? 'Your groups, their next sessions and who is in them.'
      : 'Your next session, the calendar, and your applications.'));
  }
  if (role === 'member') tiles.push(tile('/groups', 'Find a group', 'Groups you can apply to join.'));
  tiles.push(tile('/boards', 'Boards', 'Talk with your group between sessions.'));
  if (role !== 'manager') {
    tiles.push(tile('/messages', 'Messages', 'Private conversations with people in your group.'));
    tiles.push(tile('/transcripts', 'Transcripts', 'What was said in past sessions.'));
  }
  if (role !== 'member') {
    tiles.push(tile('/dashboard', 'Dashboard', 'Alerts, applications, the waitlist and the boards.'));
  }
  if (role === 'manager') tiles.push(tile('/manage', 'Manage', 'Groups, facilitators and reports.'));
  tiles.push(tile('/profile', 'Your profile', 'Your name, picture, privacy choices and password.'));
  tiles.push(tile('/guidelines', 'Community guidelines', 'How we look after each other here.'));
  tiles.push(tile('/crisis', 'Need help now?', 'Helplines you can call or text at any time.'));
  return {
    title: 'Home',
    node: h('section', { class: 'page' },
      h('h1', null, 'Hello, ', user.display_name),
      h('p', null, 'Welcome back to Hearth. Take your time; there is no rush here.'),
      h('ul', { class: 'tiles' }, ...tiles)),
  };
}
