// views/transcripts.js — the transcripts of my group's past sessions (and
// of groups I have left, the sessions of my time there), and a
// search through every transcript I may read. Search results show the
// words found highlighted (the server says where they are in the snippet).

import { h, replace } from '../dom.js';
import { api } from '../api.js';
import { page, card, badge, note, loadError } from '../ui/common.js';
import { textField, createForm } from '../ui/form.js';
import { fmtDate, fmtTime, plural } from '../ui/format.js';

/** Text with the given [start, length) ranges (UTF-16 offsets) in <mark>. */
export function marked(text, matches) {
  const out = [];
  let at = 0;
  for (const m of [...matches].sort((a, b) => a.start - b.start)) {
    if (m.start < at) continue;
    out.push(text.slice(at, m.start), h('mark', null, text.slice(m.start, m.start + m.length)));
    at = m.start + m.length;
  }
  out.push(text.slice(at));
  return out;
}

export default async function transcripts({ query }) {
  const listBox = h('div');
  const results = h('div', { class: 'search-results', 'aria-live': 'polite' });
  // groups I am in now, then groups I have left (only the sessions of my time
  // in them are listed: the server leaves out the rest)
  const [{ groups: current }, { groups: former }] = await Promise.all([
    api.get('/api/v1/me/groups'), api.get('/api/v1/me/groups?former=1')]);
  const groups = [...current, ...former];

  const sections = [];
  for (const g of groups) {
    const title = g.my_role === 'former' ? `${g.name} (a group you were in)` : g.name;
    try {
      const r = await api.get(`/api/v1/groups/${g.id}/transcripts`);
      sections.push(card(`t-g${g.id}`, title, r.transcripts.length
        ? h('ul', { class: 'transcript-list' }, ...r.transcripts.map((t) => h('li', null,
          t.readable
            ? h('a', { href: `/transcripts/${t.session_id}` }, `${fmtDate(t.opened_at, g.timezone)}`)
            : h('span', null, fmtDate(t.opened_at, g.timezone)),
          t.adhoc ? [' ', badge('Extra session')] : null,
          h('span', { class: 'note' }, ` · ${fmtTime(t.opened_at, g.timezone)}, ` +
            `${plural(t.duration_min, 'minute')}, ${plural(t.message_count, 'message')}, ` +
            `${plural(t.attendance_count, 'person', 'people')} there`),
          t.readable ? null : h('span', { class: 'note' }, ' · from before you joined, so not ' +
            'yours to read'))))
        : h('p', null, 'No sessions have been held yet. Each session’s transcript appears here ' +
          'once it ends.')));
    } catch (e) {
      sections.push(card(`t-g${g.id}`, title, loadError(e)));
    }
  }
  if (!groups.length) sections.push(h('p', null, 'When you are in a group, the transcripts ' +
    'of its sessions appear here.'));
  replace(listBox, ...sections);

  const q = textField({ name: 'q', label: 'Search the transcripts', type: 'search', maxlength: 200,
    value: query.get('q') || '', hint: 'Words from what was said. Only transcripts you may read ' +
      'are searched.', missing: 'Please type a word to search for.' });
  async function search(words) {
    const r = await api.get(`/api/v1/transcripts/search?q=${encodeURIComponent(words)}&limit=50`);
    if (!r.results.length) {
      replace(results, h('p', null, `Nothing found for “${words}”.`));
      return;
    }
    replace(results,
      h('p', null, `${plural(r.results.length, 'place')} found for “${words}”.`),
      h('ol', { class: 'result-list' }, ...r.results.map((x) => h('li', null,
        h('p', null, h('a', { href: `/transcripts/${x.session_id}?q=${encodeURIComponent(words)}&seq=${x.seq}` },
          `${x.group_name}, ${x.date}`), h('span', { class: 'note' }, ` · ${x.author}`)),
        h('p', { class: 'snippet' }, ...marked(x.snippet.text, x.snippet.matches))))));
  }
  const form = createForm({
    label: 'Transcript search', fields: [q], submit: 'Search',
    errorField: { empty_query: 'q', bad_query: 'q' },
    async onSubmit(v) {
      const url = new URL(location.href);
      url.searchParams.set('q', v.q);
      history.replaceState(null, '', url.pathname + url.search);
      await search(v.q);
    },
  });
  if (query.get('q')) await search(query.get('q')).catch((e) => replace(results, loadError(e)));

  return {
    title: 'Transcripts',
    node: page('Transcripts',
      h('p', { class: 'lead' }, 'What was said in your group’s sessions. Transcripts are ' +
        'private to the people who were members of the group at the time.'),
      note('Please do not share transcripts outside the group.'),
      h('section', { class: 'card', 'aria-labelledby': 't-search' },
        h('h2', { id: 't-search' }, 'Search'), form.form, results),
      listBox),
  };
}
