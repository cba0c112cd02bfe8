// views/boards.js — the message boards: the topic folders of each group the
// reader belongs to, and the site-wide boards open to everyone signed in.
// A group's facilitators can add folders.

import { h, replace } from '../dom.js';
import { api } from '../api.js';
import { page, card, badge, note, loadError } from '../ui/common.js';
import { textField, createForm } from '../ui/form.js';
import { plural } from '../ui/format.js';

function folderList(folders) {
  if (!folders.length) return note('There are no folders here yet.');
  return h('ul', { class: 'folder-list' }, ...folders.map((f) => h('li', { class: 'folder-item' },
    h('a', { href: `/boards/${f.id}`, class: 'folder-link' }, f.name),
    h('span', { class: 'note' }, ` ${plural(f.topics, 'topic')}`),
    f.new_topics ? [' ', badge(`${f.new_topics} new`, 'new')] : null)));
}

function addFolderForm(groupId, reload, announce) {
  const name = textField({ name: 'name', label: 'New folder’s name', maxlength: 60,
    missing: 'Please name the folder.' });
  const form = createForm({
    label: 'Add a folder', fields: [name], submit: 'Add the folder',
    errorField: { bad_name: 'name', too_many_folders: 'name' },
    async onSubmit(v, ctl) {
      await api.post(`/api/v1/groups/${groupId}/folders`, { name: v.name });
      name.value = '';
      ctl.success(`The folder “${v.name}” has been added.`);
      await reload();
      announce(`The folder “${v.name}” has been added.`);
    },
  });
  return h('details', { class: 'inline-form' }, h('summary', null, 'Add a folder'), form.form);
}

export default async function boards({ session, announce }) {
  const groupsBox = h('div');
  const siteBox = h('div');
  const user = session.user;

  async function loadGroups() {
    if (user.role === 'manager') {
      replace(groupsBox);
      return;
    }
    const { groups } = await api.get('/api/v1/me/groups');
    const sections = [];
    for (const g of groups) {
      let body;
      try {
        const r = await api.get(`/api/v1/groups/${g.id}/folders`);
        const reload = async () => { await loadGroups(); };
        body = [
          h('p', { class: 'note' }, 'Only the members and facilitators of this group can read ' +
            'these boards.'),
          r.blocked ? h('p', { class: 'form-msg' }, 'A facilitator has paused your posting on ' +
            'these boards. You can still read them.') : null,
          folderList(r.folders),
          r.can_moderate ? addFolderForm(g.id, reload, announce) : null,
        ];
      } catch (e) {
        body = [loadError(e)];
      }
      sections.push(card(`b-g${g.id}`, g.name, ...body));
    }
    if (!groups.length) {
      sections.push(h('p', null, 'When you join a group, its private boards appear here. ',
        user.role === 'member' ? h('a', { href: '/groups' }, 'Find a group') : null));
    }
    replace(groupsBox, ...sections);
  }

  async function loadSite() {
    try {
      const r = await api.get('/api/v1/boards');
      replace(siteBox, card('b-site', 'Open to everyone on Hearth',
        h('p', { class: 'note' }, 'Everyone who has an account can read these. In “Ask a ' +
          'specialist”, the facilitators answer questions.'),
        folderList(r.folders)));
    } catch (e) {
      replace(siteBox, loadError(e));
    }
  }

  await Promise.all([loadGroups(), loadSite()]);
  return {
    title: 'Boards',
    node: page('Boards',
      h('p', { class: 'lead' }, 'Between sessions, the group keeps talking here. Take your ' +
        'time: you can write whenever suits you.'),
      groupsBox, siteBox,
      h('p', null, h('a', { href: '/guidelines' }, 'How we look after each other on the boards'))),
  };
}
