// views/notfound.js — for paths that are not (or not yet) screens.

import { h } from '../dom.js';

export default async function notFound() {
  return {
    title: 'Page not found',
    node: h('section', { class: 'page' },
      h('h1', null, 'We cannot find that page'),
      h('p', null, 'The address may be mistyped, or the page may have moved.'),
      h('p', null, h('a', { href: '/' }, 'Go to the start page'))),
  };
}
