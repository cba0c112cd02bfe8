// views/manage.js — the online manager's page: the groups (set up a new one,
// change one, its facilitators), the queue of reports, each resolved
// with a note (and, if wished, a reply to the person who reported), and the
// staff: who is a facilitator or manager, their roles changed, and a role
// given to anyone by the username they sign in with.
// Reading a report and changing a role are audited by the server.

import { h, replace, setText, uid } from '../dom.js';
import { api, request, ApiError } from '../api.js';
import { page, card, badge, note, loadError, confirmDialog } from '../ui/common.js';
import { openDialog } from '../ui/dialog.js';
import { textField, selectField, createForm } from '../ui/form.js';
import { CATEGORY_NAMES, fmtShort } from '../ui/format.js';

const KINDS = { safety: 'Someone may be at risk', harassment: 'Unkind or harassing',
  confidentiality_concern: 'Confidentiality', spam: 'Spam', other: 'Something else' };
const ABOUT = { user: 'a person', post: 'a board post', live_message: 'a live-session message',
  conversation_message: 'a private message' };
const ROLES = ['facilitator', 'manager', 'member'];
const ROLE_NAMES = { facilitator: 'Facilitator', manager: 'Manager', member: 'Member (not staff)' };
const A_ROLE = { facilitator: 'a facilitator', manager: 'a manager', member: 'a member' };

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

/**
 * One staff account with its role as a drop-down and a Save button; what
 * went wrong with a change is shown under it. save(s, row) does the change.
 */
function staffItem(s, groupNames, save) {
  const id = uid('staff-role');
  const runs = s.groups.map((g) => groupNames.get(g)).filter(Boolean);
  const row = {
    select: h('select', { id },
      ...ROLES.map((r) => h('option', { value: r, selected: r === s.role }, ROLE_NAMES[r]))),
    error: h('p', { class: 'field-error', id: `${id}-error`, hidden: true }),
    showError(message) {
      setText(row.error, message);
      row.error.hidden = false;
      row.select.setAttribute('aria-invalid', 'true');
      row.select.setAttribute('aria-describedby', row.error.id);
    },
  };
  row.button = h('button', { type: 'button', class: 'btn btn-small btn-quiet',
    on: { click: () => save(s, row) } },
    'Save', h('span', { class: 'visually-hidden' }, ` the role of ${s.name}`));
  // as in ui/form.js: an error goes once the choice changes
  row.select.addEventListener('change', () => {
    setText(row.error, '');
    row.error.hidden = true;
    row.select.removeAttribute('aria-invalid');
    row.select.removeAttribute('aria-describedby');
  });
  return h('li', { class: 'staff-item', 'data-staff-id': String(s.id) },
    h('p', null, h('strong', null, s.name), ' ', h('span', { class: 'note' }, `(${s.username})`), ' ',
      badge(s.role === 'manager' ? 'Manager' : 'Facilitator', s.role === 'manager' ? 'new' : 'ok')),
    h('p', { class: 'note' }, runs.length ? `Runs: ${runs.join(', ')}.` : 'Runs no group.'),
    h('div', { class: 'actions actions-tight role-change' },
      h('label', { for: id }, 'Role', h('span', { class: 'visually-hidden' }, ` of ${s.name}`)),
      row.select, row.button),
    row.error);
}

/**
 * Ask before a change that takes rights away: someone's staff role, or
 * the manager's own role (which closes this page to them). Resolves true
 * to go ahead.
 */
function confirmRoleChange(who, role, self) {
  if (role !== 'member' && !self) return Promise.resolve(true);
  const text = [];
  if (role !== 'member') text.push(`You will become ${A_ROLE[role]}.`);
  else if (self) text.push('You will no longer be staff: you will be a member.');
  else {
    text.push(`${who.name} will no longer be staff: no facilitator’s dashboard, no applications ` +
      'to screen and no sessions to run.',
    'A group they run still lists them as its facilitator until you change the group.');
  }
  if (self) text.push('You will no longer be able to use this Manage page.');
  return confirmDialog({
    title: self ? 'Change your own role?' : `Remove ${who.name}’s staff role?`,
    text, danger: true,
    confirm: role === 'member' ? 'Remove the staff role' : `Become ${A_ROLE[role]}`,
  });
}

export default async function manage({ announce, session, navigate }) {
  const groupsBox = h('div');
  const reportsBox = h('div');
  const staffBox = h('div');
  let showing = 'open';
  let groupNames = new Map();
  let staff = [];
  const isMe = (username) => !!session.user && session.user.username === username.toLowerCase();

  // one's own role is no longer manager: this page is no longer one's to see
  async function ownRoleChanged(role) {
    await session.refresh();
    await navigate('/', { notice: { text: `You are now ${A_ROLE[role]}.` } });
  }

  async function loadGroups() {
    const { groups } = await api.get('/api/v1/groups');
    groupNames = new Map(groups.map((g) => [g.id, g.name]));
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

  async function loadStaff() {
    ({ staff } = await api.get('/api/v1/staff'));
    replace(staffBox,
      note('Facilitators and managers. A change of role takes effect at once: the person’s open ' +
        'pages reconnect with their new rights.'),
      staff.length ? h('ul', { class: 'plain-list row-list' }, ...staff.map((s) => staffItem(s, groupNames, saveRole)))
        : h('p', null, 'There are no facilitators or managers yet.'));
  }

  /** After the list is rebuilt, keep the keyboard where it was: on that person's role, or the card. */
  function focusStaff(id) {
    const row = staffBox.querySelector(`[data-staff-id="${id}"] select`);
    if (row) row.focus();
    else document.getElementById('mg-staff').focus();
  }

  async function saveRole(s, row) {
    const role = row.select.value;
    if (row.button.getAttribute('aria-disabled') === 'true') return;
    if (role === s.role) {
      announce(`${s.name} is already ${A_ROLE[role]}.`);
      return;
    }
    const self = isMe(s.username);
    if (!(await confirmRoleChange(s, role, self))) {
      row.select.value = s.role;
      row.select.focus();
      return;
    }
    row.button.setAttribute('aria-disabled', 'true');
    try {
      await request('PUT', `/api/v1/users/${s.id}/role`, { json: { role } });
    } catch (e) {
      row.button.removeAttribute('aria-disabled');
      const message = e instanceof ApiError ? e.message : 'Something went wrong. Please try again.';
      if (!(e instanceof ApiError)) console.error(e);
      row.showError(message);
      row.select.focus();
      announce(message, 'error');
      return;
    }
    if (self) {
      await ownRoleChanged(role);
      return;
    }
    await loadStaff().catch((e) => replace(staffBox, loadError(e)));
    focusStaff(s.id);
    announce(role === 'member'
      ? `${s.name} is no longer staff: they are a member now.`
      : `${s.name} is now ${A_ROLE[role]}.`);
  }

  const username = textField({ name: 'username', label: 'Username', autocapitalize: 'none',
    spellcheck: false, maxlength: 64,
    hint: 'The name they sign in with, not their display name. They must have registered first.',
    missing: 'Please enter the username they sign in with.' });
  const role = selectField({ name: 'role', label: 'Role', value: '',
    options: [{ value: '', label: 'Choose…' }, ...ROLES.map((r) => ({ value: r, label: ROLE_NAMES[r] }))],
    missing: 'Please choose the role to give.' });
  const giveForm = createForm({
    label: 'Give someone a role', fields: [username, role], submit: 'Give the role',
    errorField: { not_found: 'username', missing_field: 'username', bad_username: 'username',
      bad_role: 'role', last_manager: 'role' },
    async onSubmit(v, form) {
      const self = isMe(v.username);
      const known = staff.find((s) => s.username === v.username.toLowerCase());
      if (known && known.role === v.role) {
        form.success(`${known.name} (${known.username}) is already ${A_ROLE[v.role]}.`);
        return;
      }
      if (known && !(await confirmRoleChange(known, v.role, self))) return;
      const got = await api.post('/api/v1/staff', { username: v.username, role: v.role });
      if (self) {
        await ownRoleChanged(got.role);
        return;
      }
      username.value = '';
      role.value = '';
      await loadStaff().catch((e) => replace(staffBox, loadError(e)));
      form.success(`${got.name} (${got.username}) is now ${A_ROLE[got.role]}.`);
    },
  });

  await Promise.all([
    loadGroups().catch((e) => replace(groupsBox, loadError(e)))
      // the groups' names first: the staff list names the groups each person runs
      .then(() => loadStaff()).catch((e) => replace(staffBox, loadError(e))),
    loadReports().catch((e) => replace(reportsBox, loadError(e))),
  ]);
  const staffCard = card('mg-staff', 'Staff', staffBox,
    h('h3', { id: 'mg-give-role' }, 'Give someone a role'), giveForm.form);
  staffCard.querySelector('#mg-staff').setAttribute('tabindex', '-1');
  return {
    title: 'Manage',
    node: page('Manage',
      card('mg-reports', 'Reports', reportsBox),
      card('mg-groups', 'Groups', groupsBox),
      staffCard,
      h('p', null, 'Someone who is to be a facilitator or manager first registers on Hearth like ' +
        'anyone else; then give their account the role under Staff. On the server, ',
        h('code', null, 'hearth user role USERNAME facilitator'), ' does the same.')),
  };
}
