// views/transcript.js — reading one session's transcript (the sealed JSON,
// drawn here as text), finding words in it with the matches highlighted,
// and downloading it as HTML, Markdown or plain text.

import { h, replace, setText } from '../dom.js';
import { api } from '../api.js';
import { page, badge, notFoundView, note } from '../ui/common.js';
import { fmtDate, fmtTime, zoneName, VIEWER_ZONE, sameClock, plural } from '../ui/format.js';
import { marked } from './transcripts.js';

const FORMATS = [
  ['html', 'Web page (.html)', 'opens in any browser, and prints well'],
  ['md', 'Markdown (.md)', 'for notes apps'],
  ['txt', 'Plain text (.txt)', 'for anything else'],
];

async function loadTranscript(id) {
  for (let i = 0; ; i++) {
    try {
      return await api.get(`/api/v1/sessions/${id}/transcript?format=json`);
    } catch (e) {
      // sealed a moment after the session closes
      if (e.status !== 409 || i >= 20) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Every place words occurs in text, case-insensitively: [{start, length}]. */
function findAll(text, words) {
  const out = [];
  if (!words) return out;
  const hay = text.toLocaleLowerCase('en-GB');
  const needle = words.toLocaleLowerCase('en-GB');
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + needle.length)) {
    out.push({ start: at, length: needle.length });
  }
  return out;
}

export default async function transcriptView({ params, query }) {
  const id = Number(params.id);
  if (!Number.isSafeInteger(id) || id < 1) return notFoundView('We cannot find that transcript');
  let t;
  try {
    t = await loadTranscript(id);
  } catch (e) {
    if (e.status === 404) return notFoundView('We cannot find that transcript');
    if (e.status === 403 || e.status === 409) {
      return { title: 'Transcript', node: page('Transcript', h('p', null, e.message),
        h('p', null, h('a', { href: '/transcripts' }, 'All transcripts'))) };
    }
    throw e;
  }
  const tz = t.time_zone && t.time_zone.name;
  const people = new Map(t.people.map((p) => [p.id, p]));
  const nameOf = (uid) => (people.get(uid) ? people.get(uid).name : 'Someone');
  const facilitators = t.people.filter((p) => p.role === 'facilitator');

  // ---- the entries ----
  const texts = []; // {el, text} of every searchable text
  const items = t.entries.map((e) => {
    const time = h('span', { class: 'tr-time' }, fmtTime(e.at, tz));
    if (e.type === 'message' || e.type === 'announcement') {
      const author = people.get(e.author) || { name: 'Someone', role: 'member' };
      const textEl = h('p', { class: ['msg-text', e.redacted && 'msg-removed'] }, e.text);
      if (!e.redacted) texts.push({ el: textEl, text: e.text, seq: e.seq });
      return h('li', { class: ['tr-msg', e.type === 'announcement' && 'msg-announce',
        e.highlighted && 'msg-thread'], id: `seq-${e.seq}`, tabindex: '-1' },
      h('p', { class: 'msg-meta' }, time, ' ', h('span', { class: 'msg-author' }, author.name),
        author.role === 'facilitator' ? [' ', badge('Facilitator')] : null,
        e.type === 'announcement' ? [' ', badge('Announcement', 'announce')] : null,
        e.highlighted ? [' ', badge('Common thread', 'thread')] : null),
      textEl);
    }
    let words;
    switch (e.type) {
      case 'joined': words = `${nameOf(e.user)} joined`; break;
      case 'left': words = `${nameOf(e.user)} left`; break;
      case 'removed': words = `${nameOf(e.user)} was removed from the session by a facilitator`; break;
      case 'highlight': words = `${nameOf(e.user)} marked a message as a common thread`; break;
      case 'opened': words = e.user ? `Session opened by ${nameOf(e.user)}` : 'Session opened'; break;
      case 'closed': words = e.user ? `Session closed by ${nameOf(e.user)}` : 'Session closed'; break;
      case 'extended': words = `${nameOf(e.user)} extended the session by ${plural(e.minutes, 'minute')}`; break;
      default: words = e.type;
    }
    return h('li', { class: 'tr-sys' }, time, ' ', words);
  });

  // ---- finding words ----
  const find = h('input', { type: 'search', id: 'tr-find', maxlength: '200', value: query.get('q') || '',
    'aria-describedby': 'tr-find-count' });
  const count = h('p', { id: 'tr-find-count', class: 'note', role: 'status' });
  const prev = h('button', { type: 'button', class: 'btn btn-small btn-quiet' }, 'Previous');
  const next = h('button', { type: 'button', class: 'btn btn-small btn-quiet' }, 'Next');
  let hits = [];
  let at = -1;
  function highlight() {
    const words = find.value.trim();
    hits = [];
    for (const x of texts) {
      const m = words.length >= 2 ? findAll(x.text, words) : [];
      replace(x.el, ...marked(x.text, m));
      hits.push(...x.el.querySelectorAll('mark'));
    }
    at = -1;
    prev.disabled = next.disabled = hits.length === 0;
    setText(count, !words ? '' : words.length < 2 ? 'Type at least two letters.'
      : hits.length ? `${plural(hits.length, 'match', 'matches')}.` : 'No matches.');
  }
  function go(step) {
    if (!hits.length) return;
    if (at >= 0) hits[at].classList.remove('mark-current');
    at = (at + step + hits.length) % hits.length;
    const m = hits[at];
    m.classList.add('mark-current');
    m.scrollIntoView({ block: 'center' });
    const li = m.closest('li');
    if (li) li.focus({ preventScroll: true });
    setText(count, `Match ${at + 1} of ${hits.length}.`);
  }
  let debounce = null;
  find.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(highlight, 150);
  });
  find.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      clearTimeout(debounce);
      if (!hits.length) highlight();
      go(ev.shiftKey ? -1 : 1);
    }
  });
  prev.addEventListener('click', () => go(-1));
  next.addEventListener('click', () => go(1));

  const s = t.session;
  const sched = s.scheduled;
  const header = h('div', { class: 'tr-head' },
    h('p', { class: 'lead' }, `${fmtDate(s.opened, tz)}, ${fmtTime(s.opened, tz)} to ${fmtTime(s.closed, tz)}` +
      ` (${zoneName(tz)})`),
    sameClock(s.opened, tz, VIEWER_ZONE) ? null : h('p', { class: 'note' }, `In your time: ` +
      `${fmtTime(s.opened, VIEWER_ZONE)} to ${fmtTime(s.closed, VIEWER_ZONE)} (${zoneName(VIEWER_ZONE)}).`),
    h('dl', { class: 'facts' },
      h('dt', null, 'Session'), h('dd', null, sched ? `Weekly session, planned for ${fmtTime(sched.start, tz)}`
        : 'An extra session'),
      h('dt', null, 'Facilitators'), h('dd', null, facilitators.map((p) => p.name).join(', ') || '—'),
      h('dt', null, 'There'), h('dd', null, t.attendance.map((a) => nameOf(a.user)).join(', ') || '—')));

  const downloads = h('ul', { class: 'plain-list' }, ...FORMATS.map(([f, label, why]) => h('li', null,
    h('a', { href: `/api/v1/sessions/${id}/transcript?format=${f}`, download: '' }, `Download as ${label}`),
    h('span', { class: 'note' }, ` — ${why}`))));

  const node = page(`${t.group.name}: transcript`,
    h('nav', { class: 'crumbs', 'aria-label': 'You are here' }, h('ol', null,
      h('li', null, h('a', { href: '/transcripts' }, 'Transcripts')))),
    header,
    h('section', { class: 'card', 'aria-labelledby': 'tr-find-h' },
      h('h2', { id: 'tr-find-h' }, 'Find in this transcript'),
      h('div', { class: 'field' }, h('label', { for: 'tr-find' }, 'Words to find'), find),
      h('div', { class: 'actions actions-tight' }, prev, next), count),
    h('h2', { id: 'tr-entries' }, 'What was said'),
    h('ol', { class: 'transcript', 'aria-labelledby': 'tr-entries' }, ...items),
    h('section', { class: 'card', 'aria-labelledby': 'tr-dl' },
      h('h2', { id: 'tr-dl' }, 'Download'),
      note('Please keep downloaded transcripts private: they hold what your group shared in ' +
        'confidence.'),
      downloads));
  highlight();
  const seq = Number(query.get('seq'));
  if (seq) {
    setTimeout(() => {
      const li = document.getElementById(`seq-${seq}`);
      if (li) {
        li.scrollIntoView({ block: 'center' });
        li.focus({ preventScroll: true });
      }
    }, 0);
  }
  return { title: `Transcript: ${t.group.name}, ${fmtDate(s.opened, tz)}`, node };
}
