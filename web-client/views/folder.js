// views/folder.js — one board folder: its topics (pinned first, then the
// most recently active), page by page, and starting a new topic.

import { h } from '../dom.js';
import { api } from '../api.js';
import { page, card, badge, notFoundView, note } from '../ui/common.js';
import { postForm, putPicture } from '../ui/postform.js';
import { ago, plural } from '../ui/format.js';

export async function breadcrumb(folder) {
  let group = null;
  if (folder.group_id) {
    group = await api.get(`/api/v1/groups/${folder.group_id}`).catch(() => null);
  }
  return h('nav', { class: 'crumbs', 'aria-label': 'You are here' },
    h('ol', null,
      h('li', null, h('a', { href: '/boards' }, 'Boards')),
      group ? h('li', null, group.name) : h('li', null, 'Open to everyone'),
      h('li', null, h('a', { href: `/boards/${folder.id}` }, folder.name))));
}

function topicItem(t) {
  return h('li', { class: ['topic-item', t.new && 'topic-new'] },
    h('p', { class: 'topic-title' },
      h('a', { href: `/topics/${t.id}` }, t.subject),
      t.pinned ? [' ', badge('Pinned')] : null,
      t.locked ? [' ', badge('Locked')] : null,
      t.held ? [' ', badge('Waiting for approval', 'wait')] : null,
      t.new ? [' ', badge('New', 'new')] : null),
    h('p', { class: 'note' }, `Started by ${t.author.name} · ${plural(t.replies, 'reply', 'replies')}` +
      ` · last post ${ago(t.last_post_at)}`));
}

export default async function folderView({ params, query, navigate }) {
  const pageNo = Math.max(1, Number(query.get('page')) || 1);
  const r = await api.find(`/api/v1/folders/${encodeURIComponent(params.id)}/topics?page=${pageNo}`);
  if (!r) return notFoundView('We cannot find that board');
  const folder = r.folder;
  const pages = Math.max(1, Math.ceil(r.total / r.per_page));
  const pager = pages > 1 ? h('nav', { class: 'pager', 'aria-label': 'Pages of topics' },
    pageNo > 1 ? h('a', { href: `/boards/${folder.id}?page=${pageNo - 1}` }, 'Newer topics') : null,
    h('span', null, `Page ${pageNo} of ${pages}`),
    pageNo < pages ? h('a', { href: `/boards/${folder.id}?page=${pageNo + 1}` }, 'Older topics') : null)
    : null;

  let composer;
  if (r.blocked) {
    composer = h('p', { class: 'form-msg' }, 'A facilitator has paused your posting here. You ' +
      'can still read everything.');
  } else {
    const form = postForm({
      label: 'Start a new topic', subject: true, picture: true, submit: 'Post the topic',
      bodyLabel: 'What would you like to say?',
      async onSubmit(v) {
        const res = await api.post(`/api/v1/folders/${folder.id}/topics`,
          { subject: v.subject, body: v.body });
        let pictureNote = '';
        if (v.picture) {
          try {
            await putPicture(res.post.id, v.picture);
          } catch (e) {
            pictureNote = ` The picture was not added: ${e.message} You can add it from the topic.`;
          }
        }
        await navigate(`/topics/${res.topic_id}`, { notice: {
          text: (res.held ? 'Your topic has been posted. A facilitator will look at it before ' +
            'others can see it, because it links to another site.' : 'Your topic has been posted.') +
            pictureNote + (res.crisis_resources ? ' If you are struggling, the crisis resources ' +
            'are one click away at the top of every page.' : ''),
        } });
      },
    });
    composer = form.form;
  }

  return {
    title: folder.name,
    node: page(folder.name,
      await breadcrumb(folder),
      folder.kind === 'specialist' ? note('Ask a question here and a facilitator will answer. ' +
        'Everyone on Hearth can read the questions and answers, so please leave out anything ' +
        'that could identify you.') : null,
      r.topics.length ? h('ul', { class: 'topic-list' }, ...r.topics.map(topicItem))
        : h('p', null, 'No topics yet. You could start the first one.'),
      pager,
      card('f-new', 'Start a new topic', composer)),
  };
}
