// views/groups.js — find a group: every group, with its category, when it
// meets (in the group's time zone and the reader's own), its seats, and
// whether it is taking members or keeping a waitlist.

import { h, replace } from '../dom.js';
import { api } from '../api.js';
import { page, badge, note } from '../ui/common.js';
import { selectField } from '../ui/form.js';
import {
  CATEGORY_NAMES, VIEWER_ZONE, fmtTime, fmtDate, zoneName, sameClock, plural,
} from '../ui/format.js';

/** "Tuesdays at 19:00, London time" and, if different, the reader's own. */
export function scheduleLines(g) {
  const lines = [h('p', { class: 'schedule' },
    `${g.weekday_name}s at ${g.start_time}, ${zoneName(g.timezone)} `,
    h('span', { class: 'note' }, `(${g.duration_min} minutes)`))];
  const next = g.next_session;
  if (next && !sameClock(next.starts_at, g.timezone, VIEWER_ZONE)) {
    lines.push(h('p', { class: 'schedule-own' },
      `In your time (${zoneName(VIEWER_ZONE)}): `,
      new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone: VIEWER_ZONE })
        .format(new Date(next.starts_at)), 's at ', fmtTime(next.starts_at, VIEWER_ZONE)));
  }
  return lines;
}

/** Seats and intake in words, with a badge. */
export function intakeLine(g) {
  let text;
  let kind;
  if (g.my_role) {
    return h('p', { class: 'intake' }, badge(g.my_role === 'facilitator'
      ? 'You facilitate this group' : 'Your group', 'ok'));
  }
  if (g.taking_members) {
    text = `Taking members: ${plural(g.seats_left, 'seat')} free of ${g.capacity}.`;
    kind = 'ok';
  } else if (!g.intake_open) {
    text = 'Not taking new members in this cycle. If a facilitator approves you, you join ' +
      'the waitlist for the next cycle.';
    kind = 'wait';
  } else {
    text = 'Full at the moment. If a facilitator approves you, you join the waitlist and are ' +
      'offered the next free seat.';
    kind = 'wait';
  }
  return h('p', { class: 'intake' },
    badge(g.taking_members ? 'Taking members' : 'Waitlist', kind), ' ', text);
}

function groupItem(g) {
  const next = g.next_session;
  return h('li', { class: 'group-item' },
    h('h2', null, h('a', { href: `/groups/${g.id}` }, g.name)),
    h('p', { class: 'category' }, CATEGORY_NAMES[g.category] || g.category),
    ...scheduleLines(g),
    next ? h('p', null, 'Next session: ', fmtDate(next.starts_at, g.timezone), '.') : null,
    intakeLine(g),
    h('p', null, h('a', { href: `/groups/${g.id}`, class: 'more-link' },
      g.my_role ? 'About this group' : 'About this group and how to apply',
      h('span', { class: 'visually-hidden' }, ` (${g.name})`))));
}

export default async function groups({ query }) {
  const { groups: all } = await api.get('/api/v1/groups');
  const list = h('ul', { class: 'group-list' });
  const count = h('p', { role: 'status', class: 'note' });
  const filter = selectField({
    name: 'category', label: 'Show groups for', optional: true,
    value: query.get('category') || '',
    options: [{ value: '', label: 'Everyone' },
      ...Object.entries(CATEGORY_NAMES).map(([value, label]) => ({ value, label }))],
  });
  const show = () => {
    const want = filter.value;
    const shown = all.filter((g) => !want || g.category === want);
    replace(list, ...shown.map(groupItem));
    count.textContent = shown.length ? plural(shown.length, 'group') + ' shown.'
      : 'No groups of this kind at the moment.';
  };
  filter.input.addEventListener('change', () => {
    const url = new URL(location.href);
    if (filter.value) url.searchParams.set('category', filter.value);
    else url.searchParams.delete('category');
    history.replaceState(null, '', url.pathname + url.search);
    show();
  });
  show();
  return {
    title: 'Find a group',
    node: page('Find a group',
      h('p', { class: 'lead' }, 'Each group has up to eight members and a facilitator, a ' +
        'clinical psychologist. It meets once a week, in writing, for an hour.'),
      note(`Times are shown in each group’s own time, and in yours (${zoneName(VIEWER_ZONE)}) ` +
        'where they differ.'),
      h('div', { class: 'filter' }, filter.wrap),
      count,
      all.length ? list : h('p', null, 'There are no groups yet. Please come back soon.')),
  };
}
