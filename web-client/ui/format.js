// ui/format.js — how times, sizes and counts are written for people.
//
// Times are shown in the reader's own time zone unless a zone is given
// (a group's schedule is also shown in the group's zone). All formatting
// goes through Intl, in British English, with the 24-hour clock.

export const VIEWER_ZONE = (() => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
})();

const cache = new Map();
function fmt(tz, opts) {
  const key = JSON.stringify([tz, opts]);
  if (!cache.has(key)) {
    let f;
    try {
      f = new Intl.DateTimeFormat('en-GB', { ...opts, timeZone: tz || VIEWER_ZONE, hourCycle: 'h23' });
    } catch {
      f = new Intl.DateTimeFormat('en-GB', { ...opts, timeZone: 'UTC', hourCycle: 'h23' });
    }
    cache.set(key, f);
  }
  return cache.get(key);
}

/** "19:04" */
export function fmtTime(ms, tz) {
  return fmt(tz, { hour: '2-digit', minute: '2-digit' }).format(new Date(ms));
}

/** "Tuesday 6 January 2026" */
export function fmtDate(ms, tz) {
  return fmt(tz, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })
    .format(new Date(ms));
}

/** "Tue 6 Jan, 19:04" */
export function fmtShort(ms, tz) {
  return fmt(tz, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit',
    minute: '2-digit' }).format(new Date(ms));
}

/** "6 Jan 2026" */
export function fmtDay(ms, tz) {
  return fmt(tz, { day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(ms));
}

/** "Tuesday 6 January 2026 at 19:00" */
export function fmtWhen(ms, tz) {
  return `${fmtDate(ms, tz)} at ${fmtTime(ms, tz)}`;
}

/** An ISO string for <time datetime>. */
export function isoOf(ms) {
  return new Date(ms).toISOString();
}

/** The calendar day of an instant in a zone, "2026-01-06" (to compare days). */
export function dayKey(ms, tz) {
  const p = fmt(tz, { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(ms));
  const get = (t) => p.find((x) => x.type === t).value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** "London time" for "Europe/London"; "UTC" for UTC. */
export function zoneName(tz) {
  if (!tz || tz === 'UTC' || tz === 'Etc/UTC') return 'UTC';
  return `${tz.split('/').pop().replace(/_/g, ' ')} time`;
}

/** Do two zones show the same clock time at this instant? */
export function sameClock(ms, a, b) {
  return fmtShort(ms, a) === fmtShort(ms, b);
}

export function plural(n, one, many = one + 's') {
  return `${n} ${n === 1 ? one : many}`;
}

/** "in 2 days and 3 hours", "in 5 minutes", "in 40 seconds", "now". */
export function until(ms) {
  if (ms <= 0) return 'now';
  const s = Math.ceil(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d >= 2) return `in ${plural(d + (h >= 12 ? 1 : 0), 'day')}`;
  if (d >= 1) return `in ${plural(d, 'day')}${h ? ` and ${plural(h, 'hour')}` : ''}`;
  if (h >= 1) return `in ${plural(h, 'hour')}${m ? ` and ${plural(m, 'minute')}` : ''}`;
  if (m >= 1) return `in ${plural(m + (s % 60 ? 1 : 0), 'minute')}`;
  return `in ${plural(s, 'second')}`;
}

/** "3 minutes ago", "yesterday at 19:04", or a date. */
export function ago(ms, now = Date.now()) {
  const s = Math.floor((now - ms) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${plural(Math.floor(s / 60), 'minute')} ago`;
  if (dayKey(ms) === dayKey(now)) return `today at ${fmtTime(ms)}`;
  if (dayKey(ms) === dayKey(now - 86_400_000)) return `yesterday at ${fmtTime(ms)}`;
  return fmtShort(ms);
}

export function kib(bytes) {
  return `${Math.ceil(bytes / 1024)} KiB`;
}

/** Length in Unicode code points, as the server counts ("💙" is one). */
export function codePoints(s) {
  let n = 0;
  for (const _ of s) n += 1; // eslint-disable-line no-unused-vars
  return n;
}

export const CATEGORY_NAMES = {
  patient: 'People living with cancer',
  caregiver: 'Carers and family',
  bereaved: 'Bereavement',
  workshop: 'Workshop',
};

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday',
  'Sunday'];

/** Initials for an avatar placeholder: "Maya Patel" → "MP". */
export function initials(name) {
  const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const letters = words.slice(0, 2).map((w) => [...w][0].toUpperCase());
  return letters.join('') || '?';
}
