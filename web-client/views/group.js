// views/group.js — one group: what it is, when it meets, its facilitators,
// its cycle and intake, and the way to apply (or where your application is).

import { h } from '../dom.js';
import { api } from '../api.js';
import { page, card, notFoundView } from '../ui/common.js';
import { CATEGORY_NAMES, fmtDate, fmtDay, plural } from '../ui/format.js';
import { scheduleLines, intakeLine } from './groups.js';
import { applicationSummary } from './mygroup.js';

export default async function group({ params, session }) {
  const g = await api.find(`/api/v1/groups/${encodeURIComponent(params.id)}`);
  if (!g) return notFoundView('We cannot find that group');
  let mine = null;
  if (session.user.role === 'member' && !g.my_role) {
    const { applications } = await api.get('/api/v1/me/applications');
    mine = applications.find((a) => a.group.id === g.id &&
      ['pending', 'waitlisted'].includes(a.status)) || null;
  }
  const cycle = g.cycle && g.cycle.current;
  const facts = h('dl', { class: 'facts' },
    h('dt', null, 'For'), h('dd', null, CATEGORY_NAMES[g.category] || g.category),
    h('dt', null, 'Group size'), h('dd', null, `Up to ${plural(g.capacity, 'member')}`),
    h('dt', null, 'Facilitators'), h('dd', null, g.facilitators.length
      ? g.facilitators.map((f) => f.name).join(', ') : 'To be announced'),
    g.cycle ? [h('dt', null, 'Cycle'), h('dd', null, `${g.cycle.weeks} weeks` +
      (g.cycle.extension_allowed ? ', which the group may extend by 12 weeks' : ''))] : null,
    cycle ? [h('dt', null, cycle.in_progress ? 'This cycle' : 'Next cycle'),
      h('dd', null, `${fmtDay(cycle.starts_at, g.timezone)} to ${fmtDay(cycle.ends_at, g.timezone)}`)]
      : null,
    cycle && g.intake_open ? [h('dt', null, 'Applications close'),
      h('dd', null, fmtDay(cycle.intake_closes_at, g.timezone))] : null);

  let action;
  if (g.my_role) {
    action = h('p', null, h('a', { href: '/my-group', class: 'btn' }, 'Go to my group'));
  } else if (mine) {
    action = h('div', null, h('p', null, 'You have applied to this group.'),
      applicationSummary(mine),
      h('p', null, h('a', { href: '/my-group' }, 'See your applications')));
  } else if (session.user.role === 'member') {
    action = h('div', null,
      h('p', null, 'A facilitator reads every application and may call you before deciding. ' +
        'You will be asked a few questions about yourself, your age range and your GP’s ' +
        'contact details.'),
      h('p', null, h('a', { href: `/groups/${g.id}/apply`, class: 'btn' }, 'Apply to join')));
  } else {
    action = h('p', { class: 'note' }, 'Members apply to groups; staff accounts do not.');
  }

  return {
    title: g.name,
    node: page(g.name,
      g.description ? h('p', { class: 'lead pre-line' }, g.description) : null,
      card('g-when', 'When it meets', ...scheduleLines(g),
        g.next_session ? h('p', null, 'Next session: ', fmtDate(g.next_session.starts_at,
          g.timezone), '.') : h('p', null, 'No sessions are planned at the moment.')),
      card('g-about', 'About the group', facts, intakeLine(g)),
      card('g-join', g.my_role ? 'You are in this group' : 'Joining', action),
      h('p', null, h('a', { href: '/groups' }, 'Back to all groups'))),
  };
}
