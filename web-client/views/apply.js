// views/apply.js — apply to join a group: the group's screening questions,
// an age range and the GP's contact details (kept encrypted; read only by
// the group's facilitators).

import { h } from '../dom.js';
import { api } from '../api.js';
import { page, notFoundView } from '../ui/common.js';
import { textField, selectField, createForm } from '../ui/form.js';

const AGE_BANDS = ['18-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75+'];

export default async function apply({ params, navigate }) {
  const g = await api.find(`/api/v1/groups/${encodeURIComponent(params.id)}`);
  if (!g) return notFoundView('We cannot find that group');
  const questions = (g.screening_questions || []).map((q, i) => textField({
    name: `answer${i}`, label: q, multiline: true, rows: 4, maxlength: 4000,
    hint: i === 0 ? 'Write as much or as little as you like (up to 4000 characters).' : undefined,
    missing: 'Please answer this question. A few words are enough.',
  }));
  const age = selectField({
    name: 'age_band', label: 'Your age range',
    options: [{ value: '', label: 'Choose…' }, ...AGE_BANDS.map((b) => ({
      value: b, label: b === '75+' ? '75 or over' : b.replace('-', ' to ') }))],
    missing: 'Please choose your age range.',
  });
  const gpName = textField({ name: 'gp_name', label: 'Your GP’s name', maxlength: 200,
    autocomplete: 'off', missing: 'Please give your GP’s name.' });
  const gpPractice = textField({ name: 'gp_practice', label: 'Their practice or surgery',
    maxlength: 200, missing: 'Please give the name of your GP’s practice.' });
  const gpPhone = textField({ name: 'gp_phone', label: 'The practice’s phone number',
    type: 'tel', maxlength: 200, inputmode: 'tel', missing: 'Please give the practice’s phone number.' });
  const gpBox = h('fieldset', { class: 'fieldset' },
    h('legend', null, 'Your GP'),
    h('p', { class: 'hint' }, 'So that your facilitator can contact your GP if they are ever ' +
      'worried for your safety. These details are stored encrypted, are read only by this ' +
      'group’s facilitators, and are deleted two years after you leave.'),
    gpName.wrap, gpPractice.wrap, gpPhone.wrap);

  const form = createForm({
    label: `Apply to ${g.name}`,
    fields: [...questions, age, gpName, gpPractice, gpPhone],
    submit: 'Send my application',
    errorField: {
      bad_answers: questions.length ? questions[0].name : undefined,
      bad_age_band: 'age_band', bad_gp: 'gp_name',
    },
    async onSubmit(v) {
      await api.post(`/api/v1/groups/${g.id}/applications`, {
        answers: questions.map((q) => v[q.name]),
        age_band: v.age_band,
        gp: { name: v.gp_name, practice: v.gp_practice, phone: v.gp_phone },
      });
      await navigate('/my-group', { notice: { text: `Your application to ${g.name} has been ` +
        'sent. A facilitator will read it and may call you; you will hear from us by e-mail ' +
        'and on this page.' } });
    },
  });
  // the GP fields sit in their own fieldset, in the form's order
  const fields = form.form;
  fields.insertBefore(gpBox, gpName.wrap);
  gpBox.append(gpName.wrap, gpPractice.wrap, gpPhone.wrap);
  const qBox = questions.length ? h('fieldset', { class: 'fieldset' },
    h('legend', null, 'About you'), ...questions.map((q) => q.wrap)) : null;
  if (qBox) fields.insertBefore(qBox, age.wrap);

  return {
    title: `Apply to ${g.name}`,
    node: h('section', { class: 'page page-narrow' },
      h('h1', null, `Apply to ${g.name}`),
      h('p', null, 'Only this group’s facilitators read your answers. Take your time; you can ' +
        'write as much or as little as feels right.'),
      form.form,
      h('p', null, h('a', { href: `/groups/${g.id}` }, 'Back to the group'))),
  };
}
