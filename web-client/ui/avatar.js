// ui/avatar.js — a person's picture next to their name, or their initials.
//
// Pictures come from GET /api/v1/users/{id}/avatar, which answers only for
// people who share a group with the viewer (404 otherwise, and for people
// without a picture). Each person's picture is asked for once per page load
// and kept as a blob: URL. Avatars are decoration: the name is always shown
// beside them, so they are hidden from screen readers.

import { h, replace } from '../dom.js';
import { initials } from './format.js';

const pictures = new Map(); // user id -> Promise<blob URL | null>

function picture(id) {
  if (!pictures.has(id)) {
    pictures.set(id, (async () => {
      try {
        const res = await fetch(`/api/v1/users/${encodeURIComponent(id)}/avatar`,
          { credentials: 'same-origin' });
        if (!res.ok) return null;
        return URL.createObjectURL(await res.blob());
      } catch {
        pictures.delete(id); // unreachable now: ask again later
        return null;
      }
    })());
  }
  return pictures.get(id);
}

/** Forget a person's picture (after they changed their own). */
export function forgetPicture(id) {
  pictures.delete(id);
}

/** A small round avatar for person {id, name}. size: 'sm' (default) or 'md'. */
export function avatar(person, size = 'sm') {
  const tone = person && person.id ? Number(person.id) % 6 : 0;
  const el = h('span', { class: ['face', `face-${size}`, `tone-${tone}`], 'aria-hidden': 'true' },
    initials(person && person.name));
  if (person && person.id) {
    picture(person.id).then((url) => {
      if (url) replace(el, h('img', { src: url, alt: '' }));
    });
  }
  return el;
}
