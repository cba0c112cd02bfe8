// ui/report.js — telling the online manager about a person, a board post,
// a live message or a private message (POST /api/v1/reports). The report
// goes to the manager, not to the person reported.

import { h } from '../dom.js';
import { api } from '../api.js';
import { openDialog } from './dialog.js';
import { textField, radioField, createForm } from './form.js';

const KINDS = [
  { value: 'safety', label: 'Someone may be at risk',
    hint: 'If someone is in danger now, please also call 999.' },
  { value: 'harassment', label: 'Unkind, hurtful or harassing' },
  { value: 'confidentiality_concern', label: 'Something shared outside the group, or a privacy worry' },
  { value: 'spam', label: 'Advertising or spam' },
  { value: 'other', label: 'Something else' },
];

/**
 * Open the report dialog. target: {about: 'user' | 'post' | 'live_message'
 * | 'conversation_message', user?, post?, session?, seq?, message?,
 * conversation?}; what: how the dialog names it ("this message").
 */
export function reportDialog(target, what) {
  const kind = radioField({ name: 'kind', legend: 'What is it about?', options: KINDS,
    missing: 'Please choose what the report is about.' });
  const reason = textField({
    name: 'reason', label: 'What happened?', multiline: true, rows: 4, maxlength: 2000,
    hint: 'A few words are enough. Up to 2000 characters. Only the online manager reads this.',
    missing: 'Please tell us what happened.',
  });
  let dlg = null;
  const cancel = h('button', { type: 'button', class: 'btn btn-quiet',
    on: { click: () => dlg.close() } }, 'Cancel');
  const form = createForm({
    label: 'Report', fields: [kind, reason], submit: 'Send the report', after: [cancel],
    errorField: { reason_too_long: 'reason', bad_reason: 'reason', missing_field: 'reason',
      bad_kind: 'kind' },
    async onSubmit(v, ctl) {
      const body = { ...target, kind: v.kind, reason: v.reason };
      await api.post('/api/v1/reports', body);
      ctl.button.hidden = true;
      cancel.textContent = 'Close';
      kind.wrap.hidden = true;
      reason.wrap.hidden = true;
      ctl.success('Thank you. The online manager will look at this. The person you reported ' +
        'is not told who sent it.');
      cancel.focus();
    },
  });
  dlg = openDialog({
    title: `Report ${what}`,
    content: [
      h('p', null, 'Reports go to the online manager, who looks after everyone’s safety on ' +
        'Hearth. You can also talk to your facilitator.'),
      form.form,
    ],
  });
  return dlg;
}
