// views/application.js — a facilitator reviews one application: the
// screening answers, age range and GP contact (every reading is audited by
// the server), private notes, and the decision with a message to the
// applicant.

import { h } from '../dom.js';
import { api } from '../api.js';
import { page, card, badge, notFoundView, note } from '../ui/common.js';
import { textField, radioField, createForm } from '../ui/form.js';
import { fmtShort } from '../ui/format.js';

const STATUS = { pending: 'Waiting for a decision', approved: 'Approved', waitlisted: 'On the waitlist',
  referred: 'Referred elsewhere', withdrawn: 'Withdrawn' };

export default async function application({ params, navigate }) {
  const a = await api.find(`/api/v1/applications/${encodeURIComponent(params.id)}`);
  if (!a) return notFoundView('We cannot find that application');
  const title = `${a.applicant.name}’s application`;
  const answers = a.screening_purged ? note('The screening answers and GP details have been ' +
    'deleted, as the retention policy requires.')
    : h('dl', { class: 'answers' }, ...(a.answers || []).flatMap((x) => [
      h('dt', null, x.question), h('dd', { class: 'pre-line' }, x.answer || '(no answer)')]));
  const gp = a.gp ? h('dl', { class: 'facts' },
    h('dt', null, 'Name'), h('dd', null, a.gp.name),
    h('dt', null, 'Practice'), h('dd', null, a.gp.practice),
    h('dt', null, 'Phone'), h('dd', null, h('a', { href: `tel:${a.gp.phone.replace(/[^0-9+]/g, '')}` }, a.gp.phone)))
    : null;

  const notes = textField({ name: 'notes', label: 'Your notes', multiline: true, rows: 4,
    value: a.notes || '', optional: true, maxlength: 20000,
    hint: 'Only the group’s facilitators see these notes: never the applicant.' });
  const notesForm = createForm({
    label: 'Notes', fields: [notes], submit: 'Save the notes',
    async onSubmit(v, ctl) {
      await api.post(`/api/v1/applications/${a.id}/notes`, { notes: v.notes });
      ctl.success('Your notes have been saved.');
    },
  });

  let decision = null;
  if (a.status === 'pending') {
    const choice = radioField({
      name: 'decision', legend: 'Your decision',
      options: [
        { value: 'approve', label: 'Approve', hint: 'They join the group, or its waitlist if it ' +
          'is full or past its intake date.' },
        { value: 'waitlist', label: 'Put on the waitlist', hint: 'They are offered the next free seat.' },
        { value: 'refer', label: 'Refer elsewhere', hint: 'The application closes. Please ' +
          'explain, kindly, where they might find better support.' },
      ],
      missing: 'Please choose a decision.',
    });
    const message = textField({ name: 'message', label: 'Message to the applicant',
      multiline: true, rows: 4, optional: true, maxlength: 4000,
      hint: 'Sent to them with the decision. Required when you refer someone elsewhere.' });
    decision = createForm({
      label: 'Decision', fields: [choice, message], submit: 'Send the decision',
      errorField: { missing_message: 'message', already_in_group: 'decision', already_decided: 'decision' },
      validate: (v) => (v.decision === 'refer' && !v.message
        ? { message: 'Please write to them about where they might find support.' } : null),
      async onSubmit(v) {
        const body = { decision: v.decision };
        if (v.message) body.message = v.message;
        const r = await api.post(`/api/v1/applications/${a.id}/decision`, body);
        const text = r.status === 'approved' ? `${a.applicant.name} has joined ${a.group.name}.`
          : r.status === 'waitlisted' ? `${a.applicant.name} is number ${r.waitlist_position} on ` +
            `the waitlist${r.reason === 'intake_closed' ? ' for the next cycle' : ''}.`
            : `${a.applicant.name} has been referred elsewhere.`;
        await navigate('/dashboard', { notice: { text } });
      },
    });
  }

  return {
    title,
    node: page(title,
      h('nav', { class: 'crumbs', 'aria-label': 'You are here' }, h('ol', null,
        h('li', null, h('a', { href: '/dashboard' }, 'Dashboard')))),
      h('dl', { class: 'facts' },
        h('dt', null, 'Group'), h('dd', null, a.group.name),
        h('dt', null, 'Sent'), h('dd', null, fmtShort(a.created_at)),
        h('dt', null, 'Status'), h('dd', null, badge(STATUS[a.status] || a.status)),
        h('dt', null, 'Age range'), h('dd', null, a.age_band || '—')),
      note('Reading these details is recorded in the audit log.'),
      card('ap-answers', 'Screening answers', answers),
      gp ? card('ap-gp', 'GP', gp) : null,
      card('ap-notes', 'Notes', notesForm.form),
      decision ? card('ap-decide', 'Decision', decision.form)
        : card('ap-decided', 'Decision', h('p', null, `Decided: ${STATUS[a.status] || a.status}.`),
          a.message ? h('p', { class: 'pre-line quote-box' }, a.message) : null)),
  };
}
