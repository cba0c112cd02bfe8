// views/boardpost.js — /boards/posts/:id, where a quote's link leads: finds
// the post's topic and the page it is on, and goes there.

import { api } from '../api.js';
import { notFoundView } from '../ui/common.js';

const PER_PAGE = 20;

export default async function boardPost({ params, navigate }) {
  const post = await api.find(`/api/v1/posts/${encodeURIComponent(params.id)}`);
  if (!post) return notFoundView('We cannot find that post');
  let page = 1;
  for (let p = 1; p <= 50; p++) {
    const r = await api.get(`/api/v1/topics/${post.topic_id}?page=${p}&per_page=${PER_PAGE}`);
    if (r.posts.some((x) => x.id === post.id)) {
      page = p;
      break;
    }
    if (p * PER_PAGE >= r.total) break;
  }
  await navigate(`/topics/${post.topic_id}?page=${page}&post=${post.id}`, { replace: true });
  return { title: 'Finding the post', node: document.createElement('div') };
}
