/*
 * schedule.c — a group's weekly slot and cycles expanded into sessions with
 * libical, intake windows, and the iCalendar export (see schedule.h).
 *
 * Dates are handled as day numbers (days since 1970-01-01) so that cycle
 * arithmetic is exact; libical does what it is for: the weekly RRULE,
 * the conversions between a zone's wall clock and UTC, and the VTIMEZONE.
 */
#include "schedule.h"

#include "log.h"
#include "util.h"

#include <inttypes.h>
#include <libical/ical.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_S INT64_C(86400)
#define DAY_MS (DAY_S * 1000)
#define ICS_LINE_MAX 75 /* octets per physical line, CRLF excluded (RFC 5545 §3.1) */

/*
 * libical 3.0 looks zones up in a global array without a lock and replaces
 * a zone's strings when it loads it, so two threads using zones at once can
 * read freed memory. Every libical call in this file runs under this lock.
 */
static pthread_mutex_t ical_lock = PTHREAD_MUTEX_INITIALIZER;

/* A validated slot, ready to expand. Built and used under ical_lock. */
struct plan {
	icaltimezone *zone; /* owned by libical's built-in table */
	struct icalrecurrencetype rule;
	int64_t day0;	  /* cycle_start as a day number */
	int first_offset; /* days from a cycle's first day to its first session */
	int len_weeks;	  /* cycle_weeks + extension_weeks */
	int period_days;  /* a cycle and its hiatus */
	int start_minute;
	int64_t dur_ms;
};

const char *sched_strerror(int err)
{
	switch (err) {
	case SCHED_OK:
		return "ok";
	case SCHED_EINVAL:
		return "invalid schedule";
	case SCHED_ETZ:
		return "unknown time zone";
	case SCHED_ENONE:
		return "no session in range";
	case SCHED_EICAL:
		return "calendar library failure";
	}
	return "unknown error";
}

/* ---- day numbers ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return len[m - 1] + (m == 2 && is_leap(y));
}

/* Leap days in the years [1, y). Only used for y >= 1. */
static int64_t leaps_before(int64_t y)
{
	y -= 1;
	return y / 4 - y / 100 + y / 400;
}

/* The day number of y-m-d (proleptic Gregorian), for y >= 1. */
static int64_t days_from_date(int64_t y, int m, int d)
{
	int64_t days = (y - 1970) * 365 + leaps_before(y) - leaps_before(1970);

	for (int i = 1; i < m; i++)
		days += month_days(y, i);
	return days + d - 1;
}

static void date_from_days(int64_t days, int *y, int *m, int *d)
{
	int64_t year = 1970 + floor_div(days, 366);

	/* The estimate is never late; walk forward to the right year. */
	while (days_from_date(year + 1, 1, 1) <= days)
		year++;
	days -= days_from_date(year, 1, 1);
	int month = 1;
	while (days >= month_days(year, month))
		days -= month_days(year, month++);
	*y = (int)year;
	*m = month;
	*d = (int)days + 1;
}

/* ISO weekday (1=Monday) of a day number; 1970-01-01 was a Thursday. */
static int iso_weekday(int64_t days)
{
	return (int)((days % 7 + 7 + 3) % 7) + 1;
}

static int two_digits(const char *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* Strict "YYYY-MM-DD" with a real date in 2000–2199. 0 or -1. */
static int parse_date(const char *s, size_t cap, int64_t *days)
{
	if (strnlen(s, cap) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	int hi = two_digits(s), lo = two_digits(s + 2), m = two_digits(s + 5),
	    d = two_digits(s + 8);
	if (hi < 0 || lo < 0 || m < 1 || m > 12 || d < 1)
		return -1;
	int y = hi * 100 + lo;
	if (y < 2000 || y > 2199 || d > month_days(y, m))
		return -1;
	*days = days_from_date(y, m, d);
	return 0;
}

/* ---- time zones ---- */

/*
 * Only names shaped like IANA zone names reach libical, which builds a
 * file path from a name it does not list in zone.tab.
 */
static int tz_name_ok(const char *tz, size_t cap)
{
	size_t n = strnlen(tz, cap);

	if (n == 0 || n == cap)
		return 0;
	for (size_t i = 0, seg = 0; i <= n; i++, seg++) {
		char c = tz[i];
		if (c == '/' || c == '\0') {
			/* no empty segment, none starting with '-' ('.' is refused below) */
			if (seg == 0 || tz[i - seg] == '-')
				return 0;
			seg = (size_t)-1;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '+'))
			return 0;
	}
	return 1;
}

/* Under ical_lock. NULL when libical does not know the zone. */
static icaltimezone *zone_lookup(const char *tz)
{
	/*
	 * libical answers "UTC" and "GMT" with a zone that has no VTIMEZONE;
	 * the tzdata files of the same zones have one, which the export needs.
	 */
	if (strcmp(tz, "UTC") == 0)
		tz = "Etc/UTC";
	else if (strcmp(tz, "GMT") == 0)
		tz = "Etc/GMT";
	icaltimezone *z = icaltimezone_get_builtin_timezone(tz);
	if (z && !icaltimezone_get_component(z))
		return NULL;
	return z;
}

/* Seconds since the epoch of t's wall-clock fields read as if they were UTC. */
static int64_t wall_seconds(const struct icaltimetype *t)
{
	return days_from_date(t->year, t->month, t->day) * DAY_S + t->hour * 3600 + t->minute * 60 +
	       t->second;
}

static struct icaltimetype utc_to_local(icaltimezone *z, int64_t u)
{
	return icaltime_from_timet_with_zone((time_t)u, 0, z);
}

static int wall_is(icaltimezone *z, int64_t u, const struct icaltimetype *want)
{
	struct icaltimetype t = utc_to_local(z, u);
	return wall_seconds(&t) == wall_seconds(want);
}

/*
 * The instant (seconds) of wall-clock time lt in zone z. libical reads a
 * repeated time as its second occurrence and a skipped one with the offset
 * after the gap; RFC 5545 §3.3.5 — which the calendar clients reading our
 * export follow — wants the first occurrence and the offset before the
 * gap. The offset in force a day earlier is that "before" offset.
 */
static int64_t local_to_utc(icaltimezone *z, struct icaltimetype lt)
{
	int64_t lib = icaltime_as_timet_with_zone(lt, z);
	struct icaltimetype day_before = utc_to_local(z, lib - DAY_S);
	int64_t offset_before = wall_seconds(&day_before) - (lib - DAY_S);
	int64_t early = wall_seconds(&lt) - offset_before;

	if (early < lib && wall_is(z, early, &lt))
		return early; /* repeated hour: its first occurrence */
	if (wall_is(z, lib, &lt))
		return lib;
	return early; /* skipped hour: read with the offset before the gap */
}

static struct icaltimetype wall_time(int64_t day, int minute)
{
	struct icaltimetype t = icaltime_null_time();
	int y, m, d;

	date_from_days(day, &y, &m, &d);
	t.year = y;
	t.month = m;
	t.day = d;
	t.hour = minute / 60;
	t.minute = minute % 60;
	t.is_date = 0;
	return t;
}

/* The instant (ms) of local midnight starting the given day. */
static int64_t midnight_ms(const struct plan *p, int64_t day)
{
	return local_to_utc(p->zone, wall_time(day, 0)) * 1000;
}

/* ---- validation ---- */

static int fail(const char **why, const char *msg, int err)
{
	if (why)
		*why = msg;
	return err;
}

/* Every field but the zone's existence. 0 or SCHED_EINVAL/SCHED_ETZ. */
static int check_fields(const struct sched_slot *s, const char **why, int64_t *day0)
{
	if (!s)
		return fail(why, "no schedule given", SCHED_EINVAL);
	if (!tz_name_ok(s->tz, sizeof s->tz))
		return fail(why, "time zone must be an IANA name such as Europe/London", SCHED_ETZ);
	if (s->weekday < 1 || s->weekday > 7)
		return fail(why, "weekday must be 1 (Monday) to 7 (Sunday)", SCHED_EINVAL);
	if (s->start_minute < 0 || s->start_minute >= 24 * 60)
		return fail(why, "start time must be between 00:00 and 23:59", SCHED_EINVAL);
	if (s->duration_min < 1 || s->duration_min > SCHED_DURATION_MAX)
		return fail(why, "duration must be 1 to 240 minutes", SCHED_EINVAL);
	if (parse_date(s->cycle_start, sizeof s->cycle_start, day0) < 0)
		return fail(why, "cycle start must be a date YYYY-MM-DD in 2000-2199",
			    SCHED_EINVAL);
	if (s->cycle_weeks != 12 && s->cycle_weeks != 15)
		return fail(why, "a cycle is 12 or 15 weeks", SCHED_EINVAL);
	if (s->extension_weeks != 0 && s->extension_weeks != 12)
		return fail(why, "an extension is 0 or 12 weeks", SCHED_EINVAL);
	if (s->intake_close_weeks < 0 || s->intake_close_weeks >= s->cycle_weeks)
		return fail(why, "intake must close 0 to cycle length - 1 weeks before the end",
			    SCHED_EINVAL);
	if (s->hiatus_weeks < 0 || s->hiatus_weeks > SCHED_HIATUS_MAX)
		return fail(why, "hiatus must be 0 to 52 weeks", SCHED_EINVAL);
	return 0;
}

/* Under ical_lock: check s and prepare its expansion. */
static int plan_make(const struct sched_slot *s, const char **why, struct plan *p)
{
	static const char *const byday[7] = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};
	int64_t day0;
	int rc = check_fields(s, why, &day0);

	if (rc < 0)
		return rc;
	p->zone = zone_lookup(s->tz);
	if (!p->zone)
		return fail(why, "unknown time zone", SCHED_ETZ);
	p->day0 = day0;
	p->first_offset = (s->weekday - iso_weekday(day0) + 7) % 7;
	p->len_weeks = s->cycle_weeks + s->extension_weeks;
	p->period_days = (p->len_weeks + s->hiatus_weeks) * 7;
	p->start_minute = s->start_minute;
	p->dur_ms = (int64_t)s->duration_min * 60 * 1000;

	char rule[64];
	snprintf(rule, sizeof rule, "FREQ=WEEKLY;BYDAY=%s;COUNT=%d", byday[s->weekday - 1],
		 p->len_weeks);
	p->rule = icalrecurrencetype_from_string(rule);
	if (p->rule.freq != ICAL_WEEKLY_RECURRENCE) {
		log_error("sched_rrule", "rule=\"%s\"", rule);
		return fail(why, "calendar library failure", SCHED_EICAL);
	}
	return 0;
}

/* ---- expansion ---- */

struct sink {
	int64_t from_ms, to_ms;
	struct sched_occurrence *out;
	int max, n;
};

/*
 * Add cycle k's sessions that start in [from, to) to the sink. Returns 1
 * when the sink is full or a session starts at or after `to` (nothing
 * later can be wanted), 0 to go on, or SCHED_EICAL.
 */
static int expand_cycle(const struct plan *p, int64_t k, struct sink *sk)
{
	/*
	 * The rule is expanded on the wall clock, then each time is placed in
	 * the zone by local_to_utc(). DTSTART is left floating on purpose:
	 * given a zoned DTSTART in a DST gap (01:30 on 28 Mar 2027 in London)
	 * libical 3.0 moves it to 02:30 and keeps every later week at 02:30.
	 */
	struct icaltimetype dtstart =
	    wall_time(p->day0 + k * p->period_days + p->first_offset, p->start_minute);
	icalrecur_iterator *it = icalrecur_iterator_new(p->rule, dtstart);
	int week = 0, rc = 0;

	if (!it)
		return SCHED_EICAL;
	for (struct icaltimetype t = icalrecur_iterator_next(it); !icaltime_is_null_time(t);
	     t = icalrecur_iterator_next(it)) {
		int64_t start = local_to_utc(p->zone, t) * 1000;
		week++;
		if (start < sk->from_ms)
			continue;
		if (start >= sk->to_ms) {
			rc = 1;
			break;
		}
		sk->out[sk->n++] = (struct sched_occurrence){.start_ms = start,
							     .end_ms = start + p->dur_ms,
							     .cycle = (int)k + 1,
							     .week = week};
		if (sk->n == sk->max) {
			rc = 1;
			break;
		}
	}
	icalrecur_iterator_free(it);
	if (rc == 0 && week != p->len_weeks) {
		log_error("sched_expand", "weeks=%d expected=%d", week, p->len_weeks);
		return SCHED_EICAL;
	}
	return rc;
}

/* Under ical_lock. Count of occurrences written, or SCHED_EICAL. */
static int expand_locked(const struct plan *p, int64_t from_ms, int64_t to_ms,
			 struct sched_occurrence *out, int max)
{
	struct sink sk = {.from_ms = from_ms < SCHED_MIN_MS ? SCHED_MIN_MS : from_ms,
			  .to_ms = to_ms > SCHED_MAX_MS ? SCHED_MAX_MS : to_ms,
			  .out = out,
			  .max = max};

	if (max == 0 || sk.from_ms >= sk.to_ms)
		return 0;
	/*
	 * Skip whole cycles: those before k ended a whole period (12 weeks or
	 * more) before the day of `from`, far more than any zone's offset from
	 * UTC, so none of their sessions can start at or after `from`.
	 */
	int64_t k =
	    floor_div(floor_div(sk.from_ms, DAY_MS) - p->day0 - p->len_weeks * 7, p->period_days);
	if (k < 0)
		k = 0;
	for (;; k++) {
		int64_t first_day = p->day0 + k * p->period_days;
		if ((first_day - 1) * DAY_MS >= sk.to_ms)
			break;
		int rc = expand_cycle(p, k, &sk);
		if (rc < 0)
			return rc;
		if (rc == 1)
			break;
	}
	return sk.n;
}

int sched_validate(const struct sched_slot *s, const char **why)
{
	struct plan p;

	pthread_mutex_lock(&ical_lock);
	int rc = plan_make(s, why, &p);
	pthread_mutex_unlock(&ical_lock);
	return rc;
}

int sched_expand(const struct sched_slot *s, int64_t from_ms, int64_t to_ms,
		 struct sched_occurrence *out, int max)
{
	struct plan p;
	int rc;

	if (max < 0 || (max > 0 && !out))
		return SCHED_EINVAL;
	pthread_mutex_lock(&ical_lock);
	rc = plan_make(s, NULL, &p);
	if (rc == 0)
		rc = expand_locked(&p, from_ms, to_ms, out, max);
	pthread_mutex_unlock(&ical_lock);
	return rc;
}

int sched_next(const struct sched_slot *s, int64_t now_ms, struct sched_occurrence *out)
{
	if (!out || !s)
		return SCHED_EINVAL;
	if (now_ms >= SCHED_MAX_MS)
		return SCHED_ENONE;
	if (now_ms < SCHED_MIN_MS)
		now_ms = SCHED_MIN_MS;
	/* Not yet ended: end > now, i.e. start > now - duration. */
	int64_t from = now_ms - (int64_t)s->duration_min * 60 * 1000 + 1;
	int rc = sched_expand(s, from, SCHED_MAX_MS, out, 1);
	if (rc < 0)
		return rc;
	return rc == 1 ? 0 : SCHED_ENONE;
}

/* Under ical_lock. */
static int cycle_at_locked(const struct plan *p, int intake_close_weeks, int64_t t_ms,
			   struct sched_cycle *out)
{
	if (t_ms >= SCHED_MAX_MS)
		return SCHED_ENONE;
	if (t_ms < SCHED_MIN_MS)
		t_ms = SCHED_MIN_MS;
	/* One cycle of slack for the zone's offset from UTC. */
	int64_t k = floor_div(floor_div(t_ms, DAY_MS) - p->day0, p->period_days) - 1;
	if (k < 0)
		k = 0;
	for (;; k++) {
		int64_t first_day = p->day0 + k * p->period_days;
		int64_t end_day = first_day + p->len_weeks * 7;
		int64_t end_ms = midnight_ms(p, end_day);
		if (end_ms <= t_ms)
			continue;
		out->cycle = (int)k + 1;
		out->start_ms = midnight_ms(p, first_day);
		out->end_ms = end_ms;
		out->intake_close_ms = midnight_ms(p, end_day - intake_close_weeks * 7);
		return out->start_ms < SCHED_MAX_MS ? 0 : SCHED_ENONE;
	}
}

int sched_cycle_at(const struct sched_slot *s, int64_t t_ms, struct sched_cycle *out)
{
	struct plan p;
	int rc;

	if (!out)
		return SCHED_EINVAL;
	pthread_mutex_lock(&ical_lock);
	rc = plan_make(s, NULL, &p);
	if (rc == 0)
		rc = cycle_at_locked(&p, s->intake_close_weeks, t_ms, out);
	pthread_mutex_unlock(&ical_lock);
	return rc;
}

int sched_intake_open(const struct sched_slot *s, int64_t now_ms)
{
	struct sched_cycle c;
	int rc = sched_cycle_at(s, now_ms, &c);

	if (rc == SCHED_ENONE)
		return 0; /* past the horizon nothing meets, so nobody joins */
	if (rc < 0)
		return rc;
	/* c is in progress or next, so now < c.end_ms: only the cutoff can close it. */
	return now_ms < c.intake_close_ms;
}

int64_t sched_doors_open_ms(const struct sched_occurrence *o)
{
	return o->start_ms - (int64_t)SCHED_DOORS_OPEN_MIN * 60 * 1000;
}

int sched_utc_offset_min(const char *tz, int64_t at_ms, int *offset)
{
	icaltimezone *z;
	int rc = SCHED_ETZ;

	if (!tz || !offset || at_ms < SCHED_MIN_MS || at_ms >= SCHED_MAX_MS)
		return SCHED_EINVAL;
	if (!tz_name_ok(tz, 64))
		return SCHED_ETZ;
	pthread_mutex_lock(&ical_lock);
	z = zone_lookup(tz);
	if (z) {
		int64_t u = floor_div(at_ms, 1000);
		struct icaltimetype lt = utc_to_local(z, u);

		*offset = (int)((wall_seconds(&lt) - u) / 60);
		rc = 0;
	}
	pthread_mutex_unlock(&ical_lock);
	return rc;
}

void sched_cleanup(void)
{
	pthread_mutex_lock(&ical_lock);
	icaltimezone_free_builtin_timezones();
	pthread_mutex_unlock(&ical_lock);
}

/* ---- iCalendar output ---- */

/*
 * Write one content line, folded so that no physical line exceeds 75
 * octets and no UTF-8 character is split across lines (RFC 5545 §3.1).
 */
static void ics_emit(struct buf *b, const char *s, size_t n)
{
	size_t room = ICS_LINE_MAX;

	while (n > room) {
		size_t cut = room;
		while (cut > 1 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--; /* the next line must start on a character */
		buf_append(b, s, cut);
		buf_append(b, "\r\n ", 3);
		s += cut;
		n -= cut;
		room = ICS_LINE_MAX - 1; /* the leading space counts */
	}
	buf_append(b, s, n);
	buf_append(b, "\r\n", 2);
}

/* Append s as a TEXT value (RFC 5545 §3.3.11). */
static void ics_escape(struct buf *line, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\\' || c == ';' || c == ',') {
			char esc[2] = {'\\', (char)c};
			buf_append(line, esc, 2);
		} else if (c == '\n' || c == '\r') {
			if (c == '\r' && s[1] == '\n')
				s++;
			buf_puts(line, "\\n");
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			/* other controls are not allowed in TEXT; a name is readable without them
			 */
		} else {
			buf_append(line, s, 1);
		}
	}
}

static void ics_prop(struct buf *b, struct buf *line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Format one whole line (already escaped) and emit it folded. */
static void ics_prop(struct buf *b, struct buf *line, const char *fmt, ...)
{
	va_list ap;

	buf_reset(line);
	va_start(ap, fmt);
	buf_vprintf(line, fmt, ap);
	va_end(ap);
	ics_emit(b, line->data, line->len);
}

static void ics_text_prop(struct buf *b, struct buf *line, const char *name, const char *text)
{
	buf_reset(line);
	buf_puts(line, name);
	buf_puts(line, ":");
	ics_escape(line, text);
	ics_emit(b, line->data, line->len);
}

/* "YYYYMMDDTHHMMSS" of a wall-clock time. */
static void ics_wall(const struct icaltimetype *t, char out[32])
{
	snprintf(out, 32, "%04d%02d%02dT%02d%02d%02d", t->year, t->month, t->day, t->hour,
		 t->minute, t->second);
}

/* "YYYYMMDDTHHMMSSZ" of an instant. */
static void ics_utc(int64_t ms, char out[32])
{
	int64_t secs = floor_div(ms, 1000), days = floor_div(secs, DAY_S);
	int64_t sod = secs - days * DAY_S;
	int y, m, d;

	date_from_days(days, &y, &m, &d);
	snprintf(out, 32, "%04d%02d%02dT%02d%02d%02dZ", y, m, d, (int)(sod / 3600),
		 (int)(sod / 60 % 60), (int)(sod % 60));
}

/*
 * Emit libical's VTIMEZONE for the zone under our TZID. libical's copy
 * holds the zone's whole history (back to 1847 for London); clients need
 * the rules only from the first exported session on, so it is trimmed
 * there, keeping the open-ended rules that cover every later year.
 */
static int ics_vtimezone(struct buf *b, struct buf *line, const struct plan *p, const char *tzid,
			 int64_t from_ms)
{
	icalcomponent *src = icaltimezone_get_component(p->zone); /* libical's */
	icalcomponent *vtz = src ? icalcomponent_new_clone(src) : NULL;
	icalproperty *id = vtz ? icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY) : NULL;

	if (!id) {
		if (vtz)
			icalcomponent_free(vtz);
		log_error("sched_vtimezone", "tz=%s", tzid);
		return SCHED_EICAL;
	}
	int64_t cut = (floor_div(from_ms, DAY_MS) - 7) * DAY_S;
	icaltimezone_truncate_vtimezone(
	    vtz, icaltime_from_timet_with_zone((time_t)cut, 0, icaltimezone_get_utc_timezone()),
	    icaltime_null_time(), 1);
	icalproperty_set_tzid(id, tzid);
	char *text = icalcomponent_as_ical_string_r(vtz);
	icalcomponent_free(vtz);
	if (!text)
		return SCHED_EICAL;

	/* Unfold libical's lines and fold them again by our rule. */
	buf_reset(line);
	for (const char *q = text; *q; q++) {
		if (*q == '\r')
			continue;
		if (*q != '\n') {
			buf_append(line, q, 1);
			continue;
		}
		if (q[1] == ' ' || q[1] == '\t') {
			q++; /* a continuation */
			continue;
		}
		if (line->len)
			ics_emit(b, line->data, line->len);
		buf_reset(line);
	}
	if (line->len)
		ics_emit(b, line->data, line->len);
	icalmemory_free_buffer(text);
	return 0;
}

static void ics_event(struct buf *b, struct buf *line, const struct plan *p,
		      const struct sched_occurrence *o, int64_t group_id, const char *name,
		      const char *tzid, const char *stamp)
{
	struct icaltimetype start = utc_to_local(p->zone, floor_div(o->start_ms, 1000));
	struct icaltimetype end = utc_to_local(p->zone, floor_div(o->end_ms, 1000));
	char s[32], e[32];
	char *desc;

	ics_wall(&start, s);
	ics_wall(&end, e);
	ics_prop(b, line, "BEGIN:VEVENT");
	/* The local date names the session: one a week, and it survives a time change. */
	ics_prop(b, line, "UID:group-%" PRId64 "-session-%.8s@hearth", group_id, s);
	ics_prop(b, line, "DTSTAMP:%s", stamp);
	ics_prop(b, line, "DTSTART;TZID=%s:%s", tzid, s);
	ics_prop(b, line, "DTEND;TZID=%s:%s", tzid, e);
	ics_text_prop(b, line, "SUMMARY", name);
	desc = xasprintf("Cycle %d, week %d of %d. Doors open %d minutes before the start.",
			 o->cycle, o->week, p->len_weeks, SCHED_DOORS_OPEN_MIN);
	ics_text_prop(b, line, "DESCRIPTION", desc);
	free(desc);
	ics_prop(b, line, "STATUS:CONFIRMED");
	ics_prop(b, line, "TRANSP:OPAQUE");
	ics_prop(b, line, "END:VEVENT");
}

/* Under ical_lock. */
static int ics_build(struct buf *b, const struct plan *p, const struct sched_slot *s,
		     int64_t group_id, const char *name, const struct sched_occurrence *occ, int n,
		     int64_t from_ms, int64_t now_ms)
{
	struct buf line;
	char stamp[32];
	int rc;

	buf_init(&line, 0);
	ics_utc(now_ms < SCHED_MIN_MS	? SCHED_MIN_MS
		: now_ms > SCHED_MAX_MS ? SCHED_MAX_MS
					: now_ms,
		stamp);
	ics_prop(b, &line, "BEGIN:VCALENDAR");
	ics_prop(b, &line, "PRODID:-//Hearth//EN");
	ics_prop(b, &line, "VERSION:2.0");
	ics_prop(b, &line, "CALSCALE:GREGORIAN");
	ics_prop(b, &line, "METHOD:PUBLISH");
	ics_text_prop(b, &line, "X-WR-CALNAME", name);
	ics_prop(b, &line, "X-WR-TIMEZONE:%s", s->tz);
	rc = ics_vtimezone(b, &line, p, s->tz, n > 0 ? occ[0].start_ms : from_ms);
	if (rc == 0) {
		for (int i = 0; i < n; i++)
			ics_event(b, &line, p, &occ[i], group_id, name, s->tz, stamp);
		ics_prop(b, &line, "END:VCALENDAR");
	}
	buf_free(&line);
	return rc;
}

int sched_ics(const struct sched_slot *s, int64_t group_id, const char *group_name, int64_t from_ms,
	      int64_t to_ms, int64_t now_ms, char **out, size_t *len)
{
	struct plan p;
	struct sched_occurrence *occ;
	struct buf b;
	int rc, n;

	if (!group_name || !out || !len)
		return SCHED_EINVAL;
	size_t name_len = strnlen(group_name, SCHED_NAME_MAX + 1);
	if (name_len > SCHED_NAME_MAX || !utf8_valid(group_name, name_len))
		return SCHED_EINVAL;
	if (from_ms < SCHED_MIN_MS)
		from_ms = SCHED_MIN_MS;
	if (from_ms > SCHED_MAX_MS)
		from_ms = SCHED_MAX_MS;

	occ = xmalloc(sizeof *occ * SCHED_ICS_MAX_EVENTS);
	buf_init(&b, 0);
	pthread_mutex_lock(&ical_lock);
	rc = plan_make(s, NULL, &p);
	if (rc == 0) {
		n = expand_locked(&p, from_ms, to_ms, occ, SCHED_ICS_MAX_EVENTS);
		rc =
		    n < 0 ? n : ics_build(&b, &p, s, group_id, group_name, occ, n, from_ms, now_ms);
	}
	pthread_mutex_unlock(&ical_lock);
	free(occ);
	if (rc < 0) {
		buf_free(&b);
		return rc;
	}
	*out = buf_steal(&b, len);
	return 0;
}
