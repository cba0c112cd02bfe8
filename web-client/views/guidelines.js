// views/guidelines.js — the community guidelines. Reachable from every page in
// one click (the help bar in index.html), signed in or not. Static for now;
// the charity that runs Hearth can change the text.

import { h } from '../dom.js';

const GUIDELINES = [
  ['What is said here stays here',
    'Everything shared in your group — in sessions, on its boards and in private ' +
    'conversations — is confidential. Please do not copy, screenshot or repeat it outside, ' +
    'and do not share anyone else’s story, even without their name.'],
  ['Be kind, and listen',
    'People come here at hard times. Take turns, let others finish, and respond to what they ' +
    'said rather than to what you expected. Disagree gently, if you need to.'],
  ['Speak for yourself',
    'Share your own experience and feelings. Try not to tell others what they should feel or ' +
    'do.'],
  ['Experience, not medical advice',
    'What helped you may not suit someone else. Please do not recommend treatments, doses or ' +
    'products; your medical team is the place for those questions.'],
  ['Keep personal details private',
    'For your safety, do not post addresses, phone numbers or other contact details on the ' +
    'boards.'],
  ['No selling or promoting',
    'Please do not advertise products, services, fundraising or causes.'],
  ['Facilitators are here to help',
    'Facilitators may remove a message, pause a conversation or talk with someone privately ' +
    'to keep the group safe. If something worries you, you can report it; reports go to the ' +
    'charity’s online manager.'],
  ['Look after yourself',
    'It is fine to step away, to read without writing, or to say that you are finding ' +
    'something hard. If you need help now, the crisis resources are one click away at the ' +
    'top of every page.'],
];

export default async function guidelines() {
  return {
    title: 'Community guidelines',
    node: h('section', { class: 'page' },
      h('h1', null, 'Community guidelines'),
      h('p', { class: 'lead' }, 'Hearth works because everyone helps to keep it a safe, ' +
        'private and kind place. By taking part you agree to these guidelines.'),
      h('ol', { class: 'guidelines' }, ...GUIDELINES.map(([title, text]) =>
        h('li', null, h('h2', null, title), h('p', null, text)))),
      h('p', null, h('a', { href: '/crisis' }, 'Need help now? See the crisis resources.')),
      h('p', { class: 'note' }, 'The charity that runs this Hearth can change these guidelines ' +
        'to suit its groups.')),
  };
}
