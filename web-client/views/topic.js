// views/topic.js — a board topic: its posts page by page, replying (with a
// quote of an earlier post and a preview), one picture per post, flagging
// and reporting, editing and deleting one's own posts, and the moderators'
// actions (approve a held post, delete, lock, pin, pause someone's posting).
//
// A post's HTML is the server's own rendering of its Markdown (cmark, raw
// HTML and unsafe links stripped), inserted only through
// dom.insertServerRenderedHtml. Everything else is text.

import { h, replace, insertServerRenderedHtml } from '../dom.js';
import { api } from '../api.js';
import { page, badge, note, notFoundView, confirmDialog } from '../ui/common.js';
import { openDialog } from '../ui/dialog.js';
import { textField, createForm } from '../ui/form.js';
import { reportDialog } from '../ui/report.js';
import { postForm, putPicture, pictureField } from '../ui/postform.js';
import { avatar } from '../ui/avatar.js';
import { fmtShort, isoOf } from '../ui/format.js';

const PER_PAGE = 20;

export default async function topicView({ params, query, navigate, announce }) {
  const tid = encodeURIComponent(params.id);
  let pageNo = Math.max(1, Number(query.get('page')) || 1);
  const focusPost = Number(query.get('post')) || null;
  let r = await api.find(`/api/v1/topics/${tid}?page=${pageNo}&per_page=${PER_PAGE}`);
  if (!r) return notFoundView('We cannot find that topic');
  const postsBox = h('div', { class: 'posts' });
  const topicBar = h('div', { class: 'topic-bar' });
  const badges = h('p', { class: 'topic-badges' });
  const pagerTop = h('div');
  const pagerBottom = h('div');
  let quote = null; // {post, text, name}
  const quoteChip = h('div', { class: 'quote-chip', hidden: true });
  let replyBox;
  let reply = null;

  const pages = () => Math.max(1, Math.ceil(r.total / r.per_page));

  async function reload(toPage = pageNo, thenFocus = null) {
    pageNo = toPage;
    r = await api.get(`/api/v1/topics/${tid}?page=${pageNo}&per_page=${PER_PAGE}`);
    const url = new URL(location.href);
    url.searchParams.set('page', String(pageNo));
    url.searchParams.delete('post');
    history.replaceState(null, '', url.pathname + url.search);
    draw();
    if (thenFocus) {
      const el = document.getElementById(`post-${thenFocus}`);
      if (el) {
        el.scrollIntoView({ block: 'start' });
        el.focus();
      }
    }
  }

  function pager(label) {
    if (pages() < 2) return null;
    const link = (p, text) => h('a', { href: `/topics/${r.topic.id}?page=${p}` }, text);
    return h('nav', { class: 'pager', 'aria-label': label },
      pageNo > 1 ? link(pageNo - 1, 'Earlier posts') : null,
      h('span', null, `Page ${pageNo} of ${pages()}`),
      pageNo < pages() ? link(pageNo + 1, 'Later posts') : null);
  }

  function draw() {
    const t = r.topic;
    replace(badges,
      t.pinned ? badge('Pinned') : null, ' ',
      t.locked ? badge('Locked: only facilitators can reply') : null, ' ',
      t.held ? badge('Waiting for a facilitator’s approval', 'wait') : null);
    replace(topicBar, ...topicActions(t));
    replace(pagerTop, pager('Pages of posts'));
    replace(pagerBottom, pager('Pages of posts, again'));
    replace(postsBox, ...r.posts.map(postEl));
    drawReply();
  }

  function topicActions(t) {
    const out = [];
    const follow = h('button', { type: 'button', class: 'btn btn-small btn-quiet btn-toggle',
      'aria-pressed': String(!!t.following) }, 'Follow this topic');
    follow.addEventListener('click', async () => {
      try {
        await (t.following ? api.del(`/api/v1/topics/${t.id}/follow`)
          : api.put(`/api/v1/topics/${t.id}/follow`, undefined));
        t.following = !t.following;
        announce(t.following ? 'You will be told about new replies.' : 'You will no longer be told about new replies.');
        draw();
        topicBar.querySelector('button').focus();
      } catch (e) {
        announce(e.message, 'error');
      }
    });
    out.push(follow);
    if (r.can_moderate) {
      out.push(h('button', { type: 'button', class: 'btn btn-small btn-quiet',
        on: { click: () => patchTopic({ locked: !t.locked }, t.locked ? 'The topic is open for replies again.' : 'The topic is locked.') } },
      t.locked ? 'Unlock' : 'Lock'));
      out.push(h('button', { type: 'button', class: 'btn btn-small btn-quiet',
        on: { click: () => patchTopic({ pinned: !t.pinned }, t.pinned ? 'The topic is no longer pinned.' : 'The topic is pinned to the top of its folder.') } },
      t.pinned ? 'Unpin' : 'Pin to the top'));
      out.push(h('button', { type: 'button', class: 'btn btn-small btn-danger',
        on: { click: deleteTopic } }, 'Delete the topic…'));
    }
    return [h('div', { class: 'actions actions-tight' }, ...out)];
  }

  async function patchTopic(body, done) {
    try {
      await api.patch(`/api/v1/topics/${r.topic.id}`, body);
      await reload();
      announce(done);
    } catch (e) {
      announce(e.message, 'error');
    }
  }

  async function deleteTopic() {
    if (!(await confirmDialog({ title: 'Delete this topic?', text: 'The topic and all its ' +
      'replies will no longer be shown to anyone.', confirm: 'Delete the topic', danger: true }))) return;
    try {
      await api.del(`/api/v1/topics/${r.topic.id}`);
      await navigate(`/boards/${r.topic.folder_id}`, { notice: { text: 'The topic has been deleted.' } });
    } catch (e) {
      announce(e.message, 'error');
    }
  }

  function postEl(p) {
    const hid = `post-${p.id}-h`;
    if (p.deleted) {
      return h('article', { class: 'post post-deleted', id: `post-${p.id}`, tabindex: '-1',
        'aria-label': 'A deleted post' }, h('p', { class: 'note' }, 'This post has been deleted.'));
    }
    const body = h('div', { class: 'post-body' });
    insertServerRenderedHtml(body, p.html || '');
    const actions = [];
    const small = (label, fn, extra = {}) => h('button', { type: 'button',
      class: ['btn', 'btn-small', extra.danger ? 'btn-danger' : 'btn-quiet'], on: { click: fn } },
    label, h('span', { class: 'visually-hidden' }, ` (post by ${p.author.name})`));
    if (!r.blocked && (!r.topic.locked || r.can_moderate)) {
      actions.push(small('Quote', () => startQuote(p, body)));
    }
    if (!p.mine) {
      actions.push(small('Flag', () => flagDialog(p)));
      actions.push(small('Report', () => reportDialog({ about: 'post', post: p.id }, 'this post')));
    }
    if (p.mine) {
      actions.push(small('Edit', () => editPost(p, article)));
      if (!p.picture) actions.push(small('Add a picture', () => addPicture(p)));
      actions.push(small('Delete', () => deletePost(p, 'your post'), { danger: true }));
    } else if (r.can_moderate) {
      if (p.held) actions.push(small('Approve', () => approve(p)));
      actions.push(small('Delete', () => deletePost(p, 'this post'), { danger: true }));
      actions.push(small('Pause their posting', () => blockAuthor(p)));
    }
    const article = h('article', { class: ['post', p.held && 'post-held'], id: `post-${p.id}`,
      tabindex: '-1', 'aria-labelledby': hid },
    h('header', { class: 'post-head' }, avatar(p.author, 'md'),
      h('div', null,
        h('h2', { class: 'post-author', id: hid }, p.mine ? `${p.author.name} (you)` : p.author.name),
        h('p', { class: 'note' }, h('time', { datetime: isoOf(p.created_at) }, fmtShort(p.created_at)),
          p.edited ? ' · edited' : ''))),
    p.held ? h('p', { class: 'held-note' }, badge('Waiting for approval', 'wait'), ' Only you ' +
      'and the facilitators can see this post until a facilitator approves it.') : null,
    body,
    p.picture ? h('figure', { class: 'post-picture' },
      h('img', { src: p.picture, alt: `Picture shared by ${p.author.name}`, loading: 'lazy' })) : null,
    p.signature ? h('p', { class: 'signature' }, p.signature) : null,
    actions.length ? h('div', { class: 'actions actions-tight post-actions' }, ...actions) : null);
    return article;
  }

  function startQuote(p, bodyEl) {
    const sel = window.getSelection();
    let text = '';
    if (sel && !sel.isCollapsed && bodyEl.contains(sel.anchorNode) && bodyEl.contains(sel.focusNode)) {
      text = sel.toString().trim();
    }
    // the server checks a quoted part against the post's own words
    if (text && !(p.body || '').includes(text)) text = '';
    quote = { post: p.id, text, name: p.author.name, whole: (p.body || '').replace(/^(>.*\n)+\n?/, '') };
    drawQuote();
    if (reply) reply.body.input.focus();
  }

  function drawQuote() {
    if (!quote) {
      quoteChip.hidden = true;
      replace(quoteChip);
      return;
    }
    const shown = quote.text || quote.whole;
    quoteChip.hidden = false;
    replace(quoteChip,
      h('p', { class: 'quote-label' }, `Quoting ${quote.name}` + (quote.text ? ' (the part you selected):' : ':')),
      h('blockquote', { class: 'pre-line' }, shown.length > 300 ? `${shown.slice(0, 300)}…` : shown),
      h('button', { type: 'button', class: 'btn btn-small btn-quiet', on: { click: () => {
        quote = null;
        drawQuote();
        if (reply) reply.body.input.focus();
      } } }, 'Remove the quote'));
  }

  function drawReply() {
    if (r.blocked) {
      replyBox = h('p', { class: 'form-msg' }, 'A facilitator has paused your posting here. ' +
        'You can still read everything.');
    } else if (r.topic.locked && !r.can_moderate) {
      replyBox = h('p', { class: 'note' }, 'This topic is locked, so it takes no more replies.');
    } else {
      if (!reply) {
        reply = postForm({
          label: 'Reply', picture: true, submit: 'Post the reply', bodyLabel: 'Your reply',
          before: [quoteChip],
          async onSubmit(v, ctl) {
            const body = { body: v.body };
            if (quote) body.quote = quote.text ? { post: quote.post, text: quote.text } : { post: quote.post };
            const res = await api.post(`/api/v1/topics/${r.topic.id}/posts`, body);
            let extra = '';
            if (v.picture) {
              try {
                await putPicture(res.post.id, v.picture);
              } catch (e) {
                extra = ` The picture was not added: ${e.message}`;
              }
            }
            quote = null;
            drawQuote();
            reply.reset();
            const total = r.total + 1;
            await reload(Math.max(1, Math.ceil(total / PER_PAGE)), res.post.id);
            ctl.success((res.held ? 'Your reply has been posted. A facilitator will look at it ' +
              'before others can see it, because it links to another site.'
              : 'Your reply has been posted.') + extra);
          },
        });
      }
      replyBox = reply.form;
    }
    replace(replyArea, h('h2', { id: 'reply-h' }, 'Reply'), replyBox);
  }

  function flagDialog(p) {
    const reason = textField({ name: 'reason', label: 'Why should a facilitator look at it?',
      multiline: true, rows: 3, maxlength: 500, hint: 'Up to 500 characters. The person who ' +
        'wrote it is not told who flagged it.', missing: 'Please say a few words about why.' });
    let dlg = null;
    const cancel = h('button', { type: 'button', class: 'btn btn-quiet', on: { click: () => dlg.close() } }, 'Cancel');
    const form = createForm({
      label: 'Flag a post', fields: [reason], submit: 'Flag the post', after: [cancel],
      errorField: { bad_reason: 'reason' },
      async onSubmit(v, ctl) {
        await api.post(`/api/v1/posts/${p.id}/flag`, { reason: v.reason });
        reason.wrap.hidden = true;
        ctl.button.hidden = true;
        cancel.textContent = 'Close';
        ctl.success('Thank you. The facilitators will look at it.');
        cancel.focus();
      },
    });
    dlg = openDialog({ title: 'Flag this post for the facilitators', content: [
      h('p', null, 'Flag a post that breaks the group’s guidelines or worries you. The ' +
        'group’s facilitators will look at it.'), form.form] });
  }

  function editPost(p, article) {
    const form = postForm({
      label: 'Edit your post', value: p.body, submit: 'Save the changes', bodyLabel: 'Your post',
      after: [h('button', { type: 'button', class: 'btn btn-quiet', on: { click: () => draw() } }, 'Cancel')],
      async onSubmit(v) {
        await api.patch(`/api/v1/posts/${p.id}`, { body: v.body });
        await reload(pageNo, p.id);
        announce('Your post has been saved.');
      },
    });
    const body = article.querySelector('.post-body');
    body.replaceWith(h('div', { class: 'post-edit' }, form.form));
    article.querySelector('.post-actions')?.remove();
    form.body.input.focus();
  }

  function addPicture(p) {
    const pic = pictureField('Choose a picture');
    pic.input.required = true;
    let dlg = null;
    const cancel = h('button', { type: 'button', class: 'btn btn-quiet', on: { click: () => dlg.close() } }, 'Cancel');
    const form = createForm({
      label: 'Add a picture', fields: [pic], submit: 'Add the picture', after: [cancel],
      validate: (v) => (v.picture ? null : { picture: 'Please choose a picture first.' }),
      async onSubmit(v) {
        await putPicture(p.id, v.picture);
        dlg.close();
        await reload(pageNo, p.id);
        announce('The picture has been added.');
      },
    });
    pic.input.addEventListener('change', () => {
      const problem = pic.value && pic.check(pic.value);
      if (problem) pic.setError(problem);
      else pic.clearError();
    });
    dlg = openDialog({ title: 'Add a picture to your post', content: [form.form] });
  }

  async function deletePost(p, what) {
    if (!(await confirmDialog({ title: `Delete ${what}?`, text: 'It will show as deleted, and ' +
      'its words will no longer be shown.', confirm: 'Delete', danger: true }))) return;
    try {
      await api.del(`/api/v1/posts/${p.id}`);
      await reload(pageNo, p.id);
      announce('The post has been deleted.');
    } catch (e) {
      announce(e.message, 'error');
    }
  }

  async function approve(p) {
    try {
      await api.post(`/api/v1/posts/${p.id}/approve`, {});
      await reload(pageNo, p.id);
      announce('The post is approved and everyone can see it now.');
    } catch (e) {
      announce(e.message, 'error');
    }
  }

  async function blockAuthor(p) {
    if (!(await confirmDialog({ title: `Pause ${p.author.name}’s posting?`,
      text: `${p.author.name} will still read these boards but cannot post on them until you ` +
        'lift the pause (from the dashboard).', confirm: 'Pause their posting', danger: true }))) return;
    const url = r.topic.group_id ? `/api/v1/groups/${r.topic.group_id}/board-blocks/${p.author.id}`
      : `/api/v1/boards/blocks/${p.author.id}`;
    try {
      await api.put(url, undefined);
      announce(`${p.author.name} can no longer post on these boards.`);
    } catch (e) {
      announce(e.message, 'error');
    }
  }

  const replyArea = h('section', { class: 'card', 'aria-labelledby': 'reply-h' });
  draw();
  if (focusPost) {
    setTimeout(() => {
      const el = document.getElementById(`post-${focusPost}`);
      if (el) {
        el.scrollIntoView({ block: 'start' });
        el.focus();
      }
    }, 0);
  }
  return {
    title: r.topic.subject,
    node: page(r.topic.subject,
      h('nav', { class: 'crumbs', 'aria-label': 'You are here' }, h('ol', null,
        h('li', null, h('a', { href: '/boards' }, 'Boards')),
        h('li', null, h('a', { href: `/boards/${r.topic.folder_id}` }, 'Back to the folder')))),
      badges, topicBar,
      r.topic.kind === 'specialist' ? note('In “Ask a specialist”, the facilitators answer.') : null,
      pagerTop, postsBox, pagerBottom, replyArea),
  };
}
