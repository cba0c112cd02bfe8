// views/groupedit.js — the manager sets up a group or changes one: name,
// category, description, size, the weekly slot in the group's time zone,
// the cycle, screening questions and facilitators.
//
// Facilitators are ticked by name from the staff directory (GET
// /api/v1/staff): every account with the facilitator role, and anyone who
// facilitates this group now (a manager, or someone whose role was taken
// away since), so that saving never drops a facilitator the manager did
// not see.

import { h, uid, setText } from '../dom.js';
import { api } from '../api.js';
import { page, notFoundView, note } from '../ui/common.js';
import { textField, selectField, checkField, createForm } from '../ui/form.js';
import { CATEGORY_NAMES, WEEKDAYS } from '../ui/format.js';

const FACILITATORS_MAX = 8;

/**
 * The facilitators as checkboxes in a fieldset, one per person, for
 * createForm (the same shape as ui/form.js's fields). people: [{id, name,
 * username, hint}]; ticked: a Set of ids. Its value is the ticked ids.
 * With nobody to choose, it says how to make a facilitator account.
 */
function facilitatorsField(people, ticked) {
  const id = uid('f-facilitators');
  const f = { name: 'facilitators', hintId: id + '-hint', errorId: id + '-error' };
  f.radios = people.map((p, i) => h('input', { type: 'checkbox', id: `${id}-${i}`,
    value: String(p.id), checked: ticked.has(p.id),
    'aria-describedby': p.hint ? `${id}-${i}-hint` : undefined }));
  const boxes = people.map((p, i) => h('div', { class: 'check' }, f.radios[i],
    h('label', { for: `${id}-${i}` }, p.name,
      p.username ? h('span', { class: 'username' }, ` (${p.username})`) : null),
    p.hint ? h('p', { class: 'hint', id: `${id}-${i}-hint` }, p.hint) : null));
  const none = !people.some((p) => p.role === 'facilitator');
  f.error = h('p', { class: 'field-error', id: f.errorId, hidden: true });
  f.wrap = h('fieldset', { class: 'field fieldset', tabindex: people.length ? undefined : '-1' },
    h('legend', null, 'Facilitators', h('span', { class: 'optional' }, ' (optional)')),
    h('p', { class: 'hint', id: f.hintId }, none
      ? ['There are no facilitator accounts yet. To make one, the facilitator first registers ',
        'on Hearth like anyone else; then you give their account the facilitator role under ',
        'Staff on the Manage page, by the username they sign in with. (Whoever runs the ',
        'Hearth server can also use the command ',
        h('code', null, 'hearth user role USERNAME facilitator'), '.) You can set up the group now ',
        'and choose its facilitators here later.']
      : `Tick each person who will run this group’s sessions, at most ${FACILITATORS_MAX}.`),
    ...boxes, f.error);
  // errors are described on the group, and focus goes to its first box (or to it)
  f.describeOn = f.wrap;
  f.input = f.radios[0] || f.wrap;
  Object.defineProperty(f, 'value', {
    get: () => f.radios.filter((b) => b.checked).map((b) => Number(b.value)),
  });
  f.check = () => null;
  f.setError = (message) => {
    setText(f.error, message);
    f.error.hidden = false;
    f.errorShown = true;
    for (const b of f.radios) b.setAttribute('aria-invalid', 'true');
    f.wrap.classList.add('has-error');
    f.wrap.setAttribute('aria-describedby', `${f.hintId} ${f.errorId}`);
  };
  f.clearError = () => {
    setText(f.error, '');
    f.error.hidden = true;
    f.errorShown = false;
    for (const b of f.radios) b.removeAttribute('aria-invalid');
    f.wrap.classList.remove('has-error');
    f.wrap.setAttribute('aria-describedby', f.hintId);
  };
  f.clearError();
  return f;
}

/**
 * Whom the form offers as facilitators: the facilitator accounts, then
 * anyone else facilitating group g now; each with the (other) groups they
 * facilitate, by name.
 */
function facilitatorChoices(staff, groupNames, g) {
  const current = new Set(((g && g.facilitators) || []).map((f) => f.id));
  const groupsOf = (s) => {
    const names = s.groups.filter((id) => !g || id !== g.id).map((id) => groupNames.get(id))
      .filter(Boolean);
    if (names.length) return `${g ? 'Also facilitates' : 'Facilitates'}: ${names.join(', ')}.`;
    return g ? 'Facilitates no other group.' : 'Facilitates no group yet.';
  };
  const people = staff.filter((s) => s.role === 'facilitator' || current.has(s.id))
    .map((s) => ({ id: s.id, name: s.name, username: s.username, role: s.role,
      hint: (s.role === 'manager' ? 'Manager. ' : '') + groupsOf(s) }));
  const listed = new Set(people.map((p) => p.id));
  for (const f of (g && g.facilitators) || []) {
    if (!listed.has(f.id)) {
      people.push({ id: f.id, name: f.name, role: null,
        hint: 'This account no longer has the facilitator role: untick it to save the group.' });
    }
  }
  return { people, ticked: current };
}

function zones() {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['Europe/London', 'Europe/Dublin', 'UTC'];
  }
}

export default async function groupEdit({ params, navigate }) {
  const creating = !params.id;
  let g = null;
  if (!creating) {
    g = await api.find(`/api/v1/groups/${encodeURIComponent(params.id)}`);
    if (!g) return notFoundView('We cannot find that group');
  }
  const [{ staff }, { groups: all }] = await Promise.all([api.get('/api/v1/staff'),
    // names of the groups people already facilitate: a help, not a need
    api.get('/api/v1/groups').catch(() => ({ groups: [] }))]);
  const choices = facilitatorChoices(staff, new Map(all.map((x) => [x.id, x.name])), g);
  const v = (k, d) => (g && g[k] !== undefined && g[k] !== null ? g[k] : d);
  const c = (k, d) => (g && g.cycle && g.cycle[k] !== undefined ? g.cycle[k] : d);

  const name = textField({ name: 'name', label: 'Name', value: v('name', ''), maxlength: 100,
    missing: 'Please give the group a name.' });
  const category = selectField({ name: 'category', label: 'Who it is for', value: v('category', ''),
    options: [{ value: '', label: 'Choose…' }, ...Object.entries(CATEGORY_NAMES).map(([value, label]) => ({ value, label }))] });
  const description = textField({ name: 'description', label: 'Description', multiline: true, rows: 4,
    value: v('description', ''), optional: true, maxlength: 4000,
    hint: 'Shown to people looking for a group. Up to 4000 characters.' });
  const capacity = textField({ name: 'capacity', label: 'Seats', type: 'number', min: 1, max: 50,
    value: v('capacity', 8), inputmode: 'numeric', hint: 'Usually 8.' });
  const timezone = textField({ name: 'timezone', label: 'Time zone', value: v('timezone', 'Europe/London'),
    list: 'tz-list', hint: 'Where the group meets, such as Europe/London. Members see times in their own zone too.' });
  const tzList = h('datalist', { id: 'tz-list' }, ...zones().map((z) => h('option', { value: z })));
  const weekday = selectField({ name: 'weekday', label: 'Day', value: v('weekday', ''),
    options: [{ value: '', label: 'Choose…' }, ...WEEKDAYS.map((d, i) => ({ value: i + 1, label: d }))] });
  const start = textField({ name: 'start_time', label: 'Start time (in the group’s time zone)',
    type: 'time', value: v('start_time', '19:00') });
  const duration = textField({ name: 'duration_min', label: 'Length in minutes', type: 'number',
    min: 1, max: 240, value: v('duration_min', 60), inputmode: 'numeric' });
  const cycleStart = textField({ name: 'cycle_start', label: 'First day of the cycle', type: 'date',
    value: c('start', '') });
  const cycleWeeks = selectField({ name: 'cycle_weeks', label: 'Length of a cycle', value: c('weeks', 12),
    options: [{ value: 12, label: '12 weeks' }, { value: 15, label: '15 weeks' }] });
  const intake = textField({ name: 'intake_close_weeks', label: 'Applications close this many weeks before the cycle ends',
    type: 'number', min: 0, max: 14, value: c('intake_close_weeks', 0), inputmode: 'numeric' });
  const hiatus = textField({ name: 'hiatus_weeks', label: 'Weeks off between cycles', type: 'number',
    min: 0, max: 52, value: c('hiatus_weeks', 0), inputmode: 'numeric' });
  const extension = checkField({ name: 'extension_allowed', label: 'The group may extend a cycle by 12 weeks',
    checked: c('extension_allowed', false) });
  const checkins = checkField({ name: 'checkins_enabled', label: 'Ask members how they feel at the start and end of sessions',
    checked: v('checkins_enabled', false) });
  const questions = textField({ name: 'screening_questions', label: 'Screening questions', multiline: true,
    rows: 4, optional: true, value: (v('screening_questions', []) || []).join('\n'),
    hint: 'One question per line; up to 20. Applicants answer each one.' });
  const facilitators = facilitatorsField(choices.people, choices.ticked);

  const fields = [name, category, description, capacity, timezone, weekday, start, duration,
    cycleStart, cycleWeeks, intake, hiatus, extension, checkins, questions, facilitators];
  const form = createForm({
    label: creating ? 'Set up a group' : 'Change the group', fields,
    submit: creating ? 'Set up the group' : 'Save the changes',
    validate: (x) => (x.facilitators.length > FACILITATORS_MAX
      ? { facilitators: `A group can have at most ${FACILITATORS_MAX} facilitators. Please untick some.` }
      : null),
    errorField: { bad_schedule: 'cycle_start', bad_facilitator: 'facilitators', missing_field: 'name' },
    async onSubmit(x) {
      const body = {
        name: x.name, category: x.category, description: x.description,
        capacity: Number(x.capacity), timezone: x.timezone, weekday: Number(x.weekday),
        start_time: x.start_time.slice(0, 5), duration_min: Number(x.duration_min),
        cycle_start: x.cycle_start, cycle_weeks: Number(x.cycle_weeks),
        intake_close_weeks: Number(x.intake_close_weeks), hiatus_weeks: Number(x.hiatus_weeks),
        extension_allowed: x.extension_allowed, checkins_enabled: x.checkins_enabled,
        screening_questions: x.screening_questions.split('\n').map((q) => q.trim()).filter(Boolean),
        facilitators: x.facilitators,
      };
      const saved = creating ? await api.post('/api/v1/groups', body)
        : await api.patch(`/api/v1/groups/${g.id}`, body);
      await navigate('/manage', { notice: { text: creating ? `The group “${saved.name}” is set up.`
        : `The group “${saved.name}” has been saved.` } });
    },
  });
  const title = creating ? 'Set up a new group' : `Change ${g.name}`;
  return {
    title,
    node: h('section', { class: 'page page-narrow' },
      h('nav', { class: 'crumbs', 'aria-label': 'You are here' }, h('ol', null,
        h('li', null, h('a', { href: '/manage' }, 'Manage')))),
      h('h1', null, title),
      note('Every field is needed unless it says optional.'),
      tzList, form.form),
  };
}
