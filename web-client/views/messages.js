// views/messages.js — private conversations: the inbox with unread counts
// (kept up to date by `unread` and `dm` frames), starting a conversation
// with people from one's own group, and the people one has blocked.

import { h, replace, setText } from '../dom.js';
import { api } from '../api.js';
import { liveSocket } from '../live/shared.js';
import { page, card, badge, note, loadError } from '../ui/common.js';
import { createForm } from '../ui/form.js';
import { avatar } from '../ui/avatar.js';
import { ago, plural } from '../ui/format.js';

export function othersIn(c, meId) {
  const others = c.participants.filter((p) => p.id !== meId);
  return others.length ? others : c.participants;
}

export default async function messages({ session, query, navigate, announce }) {
  const me = session.user;
  const inbox = h('div');
  const startBox = h('div');
  const blockedBox = h('div');
  const sock = liveSocket();
  const want = Number(query.get('with')) || null;
  let convs = [];

  async function loadInbox() {
    try {
      ({ conversations: convs } = await api.get('/api/v1/conversations'));
    } catch (e) {
      replace(inbox, loadError(e));
      return;
    }
    drawInbox();
  }

  function drawInbox() {
    if (!convs.length) {
      replace(inbox, h('p', null, 'You have no private conversations yet.'));
      return;
    }
    const total = convs.reduce((n, c) => n + (c.unread || 0), 0);
    replace(inbox,
      h('p', { class: 'note', role: 'status' }, total ? `${plural(total, 'unread message')}.` : 'Nothing unread.'),
      h('ul', { class: 'conv-list' }, ...convs.map((c) => {
        const others = othersIn(c, me.id);
        const names = others.map((p) => p.name).join(', ');
        const last = c.last_message;
        return h('li', { class: ['conv-item', c.unread && 'conv-unread'] },
          avatar(others[0], 'md'),
          h('div', { class: 'conv-body' },
            h('p', { class: 'conv-title' },
              h('a', { href: `/messages/${c.id}` }, names,
                c.unread ? h('span', { class: 'visually-hidden' }, `, ${plural(c.unread, 'unread message')}`) : null),
              c.unread ? [' ', h('span', { class: 'badge badge-new', 'aria-hidden': 'true' },
                `${c.unread} unread`)] : null),
            last ? h('p', { class: 'conv-last' },
              `${last.author.id === me.id ? 'You' : last.author.name}: `,
              last.text.length > 120 ? `${last.text.slice(0, 120)}…` : last.text) : note('No messages yet.'),
            h('p', { class: 'note' }, c.group.name, last ? ` · ${ago(last.ts)}` : '')));
      })));
  }

  async function loadStart() {
    const { groups } = await api.get('/api/v1/me/groups');
    const people = new Map();
    for (const g of groups) {
      const r = await api.get(`/api/v1/groups/${g.id}/members`).catch(() => null);
      if (!r) continue;
      for (const p of [...r.facilitators.map((x) => ({ ...x, role: 'Facilitator' })), ...r.members]) {
        if (p.id !== me.id && !people.has(p.id)) people.set(p.id, { ...p, group: g });
      }
    }
    if (!people.size) {
      replace(startBox, note('Once you are in a group, you can write privately to its members ' +
        'and facilitators here.'));
      return;
    }
    const boxes = [...people.values()].map((p) => {
      const id = `with-${p.id}`;
      const input = h('input', { type: 'checkbox', id, value: String(p.id), checked: p.id === want });
      return { p, input, node: h('div', { class: 'check' }, input,
        h('label', { for: id }, p.name, p.role ? [' ', badge(p.role)] : null)) };
    });
    const chooser = { name: 'people', wrap: h('fieldset', { class: 'fieldset field' },
      h('legend', null, 'Who would you like to write to?'),
      h('p', { class: 'hint' }, 'Choose one person, or a few for a small group conversation.'),
      ...boxes.map((b) => b.node)), input: boxes[0].input };
    chooser.error = h('p', { class: 'field-error', hidden: true });
    chooser.wrap.append(chooser.error);
    chooser.setError = (m) => { setText(chooser.error, m); chooser.error.hidden = false; };
    chooser.clearError = () => { chooser.error.hidden = true; };
    Object.defineProperty(chooser, 'value', { get: () => boxes.filter((b) => b.input.checked).map((b) => b.p.id) });
    chooser.check = (v) => (v.length ? null : 'Please choose someone to write to.');
    const form = createForm({
      label: 'Start a conversation', fields: [chooser], submit: 'Start the conversation',
      async onSubmit(v) {
        const c = await api.post('/api/v1/conversations', { participants: v.people });
        await navigate(`/messages/${c.id}`);
      },
    });
    replace(startBox, form.form);
  }

  async function loadBlocked() {
    const { blocks } = await api.get('/api/v1/blocks');
    if (!blocks.length) {
      replace(blockedBox, note('You have not blocked anyone.'));
      return;
    }
    replace(blockedBox, h('ul', { class: 'plain-list' }, ...blocks.map((b) => h('li', null,
      b.user.name, ' ',
      h('button', { type: 'button', class: 'btn btn-small btn-quiet', on: { click: async () => {
        try {
          await api.del(`/api/v1/blocks/${b.user.id}`);
          announce(`${b.user.name} is no longer blocked.`);
          await loadBlocked();
        } catch (e) {
          announce(e.message, 'error');
        }
      } } }, 'Unblock', h('span', { class: 'visually-hidden' }, ` ${b.user.name}`))))));
  }

  await Promise.all([loadInbox(), loadStart().catch((e) => replace(startBox, loadError(e))),
    loadBlocked().catch((e) => replace(blockedBox, loadError(e)))]);

  let timer = null;
  const off = sock.on('frame', (f) => {
    if (f.type === 'unread') {
      const c = convs.find((x) => x.id === f.conversation);
      if (c) {
        c.unread = f.count;
        drawInbox();
        return;
      }
    }
    if (f.type === 'dm' || f.type === 'unread') {
      clearTimeout(timer);
      timer = setTimeout(loadInbox, 300);
    }
  });
  if (want) setTimeout(() => startBox.querySelector(`#with-${want}`)?.focus(), 0);

  return {
    title: 'Messages',
    node: page('Messages',
      h('p', { class: 'lead' }, 'Private conversations with people in your group and its ' +
        'facilitators. Please keep to the group’s guidelines here too.'),
      card('m-inbox', 'Your conversations', inbox),
      card('m-start', 'Start a conversation', startBox),
      card('m-blocked', 'People you have blocked', h('p', { class: 'note' }, 'Blocked people ' +
        'cannot start conversations with you, and you do not see what they write.'), blockedBox)),
    destroy() {
      off();
      clearTimeout(timer);
    },
  };
}
