// views/manage.js — the online manager's page: the groups (set up a new one,
// change one, its facilitators) and the queue of reports, each resolved
// with a note (and, if wished, a reply to the person who reported).
// Reading a report is audited by the server.

import { h, replace } from '../dom.js';
import { api } from '../api.js';
import { page, card, badge, note, loadError } from '../ui/common.js';
import { openDialog } from '../ui/dialog.js';
import { textField, createForm } from '../ui/form.js';
import { CATEGORY_NAMES, fmtShort } from '../ui/format.js';

const KINDS = { safety: 'Someone may be at risk', harassment: 'Unkind or harassing',
  confidentiality_concern: 'Confidentiality', spam: 'Spam', other: 'Something else' };
const ABOUT = { user: 'a person', post: 'a board post', live_message: 'a live-session message',
  conversation_message: 'a private message' };

function reportItem(r, resolve) {
  return h('li', { class: 'report-item' },
    h('p', null, badge(KINDS[r.kind] || r.kind, r.kind === 'safety' ? 'danger' : ''), ' ',
      h('strong', null, `About ${ABOUT[r.about] || r.about}`),
      r.person ? ` · ${r.person.name}` : '',
      h('span', { class: 'note' }, ` · reported by ${r.reporter ? r.reporter.name : 'someone'}, ` +
        `${fmtShort(r.created_at)}${r.group ? ` · ${r.group.name}` : ''}`)),
    h('p', { class: 'pre-line' }, r.reason),
    r.quoted ? h('div', { class: 'quote-box' }, h('p', { class: 'quote-label' }, 'What was written:'),
      h('p', { class: 'pre-line' }, r.quoted)) : null,
    r.status === 'resolved'
      ? h('p', { class: 'note' }, `Resolved ${fmtShort(r.resolved_at)}` +
        (r.resolved_by ? ` by ${r.resolved_by.name}` : '') + (r.note ? `: ${r.note}` : '.'))
      : h('div', { class: 'actions actions-tight' }, h('button', { type: 'button', class: 'btn btn-small',
        on: { click: () => resolve(r) } }, 'Resolve…')));
}

export default async function manage({ announce }) {
  const groupsBox = h('div');
  const reportsBox = h('div');
  let showing = 'open';

  async function loadGroups() {
    const { groups } = await api.get('/api/v1/groups');
    replace(groupsBox,
      h('p', null, h('a', { href: '/manage/groups/new', class: 'btn' }, 'Set up a new group')),
      groups.length ? h('ul', { class: 'plain-list row-list' }, ...groups.map((g) => h('li', null,
        h('p', null, h('strong', null, g.name), ' ', h('span', { class: 'note' },
          `· ${CATEGORY_NAMES[g.category] || g.category} · ${g.weekday_name}s at ${g.start_time} ` +
          `(${g.timezone}) · ${g.seats_left} of ${g.capacity} seats free`)),
        h('p', { class: 'note' }, 'Facilitators: ', g.facilitators.map((f) => f.name).join(', ') || 'none yet'),
        h('p', null, h('a', { href: `/manage/groups/${g.id}` }, 'Change the group',
          h('span', { class: 'visually-hidden' }, ` ${g.name}`))))))
        : note('There are no groups yet.'));
  }

  async function loadReports() {
    const { reports } = await api.get(`/api/v1/reports?status=${showing}&limit=100`);
    const toggle = h('p', null, h('button', { type: 'button', class: 'btn btn-small btn-quiet',
      on: { click: async () => {
        showing = showing === 'open' ? 'resolved' : 'open';
        await loadReports();
        reportsBox.querySelector('button').focus();
      } } }, showing === 'open' ? 'Show resolved reports' : 'Show open reports'));
    replace(reportsBox, toggle,
      note('Reading a report is recorded in the audit log.'),
      reports.length ? h('ul', { class: 'plain-list row-list' }, ...reports.map((r) => reportItem(r, resolve)))
        : h('p', null, showing === 'open' ? 'No open reports.' : 'No resolved reports.'));
  }

  function resolve(r) {
    const noteField = textField({ name: 'note', label: 'What you did', multiline: true, rows: 3,
      maxlength: 2000, hint: 'For the record; the person who reported does not see it.',
      missing: 'Please write a short note of what you did.' });
    const reply = textField({ name: 'reply', label: 'Reply to the person who reported', multiline: true,
      rows: 3, maxlength: 2000, optional: true, hint: 'They see this under their reports.' });
    let dlg = null;
    const form = createForm({
      label: 'Resolve the report', fields: [noteField, reply], submit: 'Resolve',
      after: [h('button', { type: 'button', class: 'btn btn-quiet', on: { click: () => dlg.close() } }, 'Cancel')],
      async onSubmit(v) {
        const body = { note: v.note };
        if (v.reply) body.reply = v.reply;
        await api.post(`/api/v1/reports/${r.id}/resolve`, body);
        dlg.close();
        await loadReports();
        announce('The report is resolved.');
      },
    });
    dlg = openDialog({ title: 'Resolve the report', content: [form.form] });
  }

  await Promise.all([
    loadGroups().catch((e) => replace(groupsBox, loadError(e))),
    loadReports().catch((e) => replace(reportsBox, loadError(e))),
  ]);
  return {
    title: 'Manage',
    node: page('Manage',
      card('mg-reports', 'Reports', reportsBox),
      card('mg-groups', 'Groups', groupsBox),
      h('p', null, 'Facilitator and manager accounts are made on the server with ',
        h('code', null, 'hearth user add … --role facilitator'), '.')),
  };
}
