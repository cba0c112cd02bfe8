// views/myreports.js — the reports I have made, and what came of them.

import { h } from '../dom.js';
import { api } from '../api.js';
import { page, badge, note } from '../ui/common.js';
import { fmtShort } from '../ui/format.js';

const ABOUT = { user: 'A person', post: 'A board post', live_message: 'A message in a session',
  conversation_message: 'A private message' };

export default async function myReports() {
  const { reports } = await api.get('/api/v1/me/reports');
  return {
    title: 'Your reports',
    node: page('Your reports',
      h('p', null, 'Reports you have sent to the online manager. Thank you for looking out for ' +
        'each other.'),
      reports.length ? h('ul', { class: 'plain-list row-list' }, ...reports.map((r) => h('li', null,
        h('p', null, badge(r.status === 'resolved' ? 'Dealt with' : 'Being looked at',
          r.status === 'resolved' ? 'ok' : 'wait'), ' ', ABOUT[r.about] || r.about,
        r.person ? `: ${r.person.name}` : '', h('span', { class: 'note' }, ` · sent ${fmtShort(r.created_at)}`)),
        r.reply ? h('div', { class: 'quote-box' }, h('p', { class: 'quote-label' }, 'The manager replied:'),
          h('p', { class: 'pre-line' }, r.reply)) : null)))
        : note('You have not sent any reports.')),
  };
}
