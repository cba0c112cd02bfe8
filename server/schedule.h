/*
 * schedule.h — when a group meets: its weekly slot and cycles expanded into
 * sessions (occurrences), whether it is taking members, and the iCalendar
 * export of its sessions.
 *
 * A group meets once a week, at a local wall-clock time in its own IANA
 * time zone, for a cycle of 12 or 15 weeks (plus 12 if the extension was
 * granted), then pauses for `hiatus_weeks`, then the next cycle starts; the
 * pattern repeats forever. Each cycle's sessions are the occurrences of
 * "FREQ=WEEKLY;BYDAY=..;COUNT=n" expanded by libical on the group's wall
 * clock, each then placed in the group's zone (libical's tz data), so a
 * 19:00 Europe/London group meets at 19:00 local on both sides of a
 * daylight-saving change (18:00 UTC in summer, 19:00 UTC in winter).
 *
 * Local times that do not exist or occur twice (the hour skipped or
 * repeated by a DST change) are read as RFC 5545 §3.3.5 says: a skipped
 * time with the offset in force before the gap (01:30 on the spring-forward
 * night in London is 02:30 BST), a repeated time as its first occurrence.
 *
 * Pure functions: no SQLite, no network, no clock (callers pass "now").
 * The only I/O is libical reading a zone's file under /usr/share/zoneinfo
 * the first time that zone is used (Debian's libical uses the system
 * tzdata; package `tzdata` must be installed).
 *
 * Threads: libical's table of built-in zones is process-global and not
 * thread-safe, so every function here serialises its libical work on one
 * module mutex and may be called from any thread. No other module may use
 * libical's time zones directly.
 *
 * At exit the server calls sched_cleanup() (tests do too, so that ASan's
 * leak check sees libical's zone cache released).
 *
 * All instants are milliseconds since the Unix epoch (UTC). Occurrences are
 * produced only between SCHED_MIN_MS and SCHED_MAX_MS (2000–2199).
 */
#ifndef HEARTH_SCHEDULE_H
#define HEARTH_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

enum sched_err {
	SCHED_OK = 0,
	SCHED_EINVAL = -1, /* a slot field or an argument is out of range */
	SCHED_ETZ = -2,	   /* the time zone name is not one libical knows */
	SCHED_ENONE = -3,  /* no occurrence (only beyond SCHED_MAX_MS) */
	SCHED_EICAL = -4   /* libical failed unexpectedly (logged) */
};
const char *sched_strerror(int err);

#define SCHED_MIN_MS INT64_C(946684800000)  /* 2000-01-01T00:00:00Z */
#define SCHED_MAX_MS INT64_C(7258118400000) /* 2200-01-01T00:00:00Z */

#define SCHED_DOORS_OPEN_MIN 10	  /* doors open this long before the start */
#define SCHED_DURATION_DEFAULT 60 /* minutes */
#define SCHED_DURATION_MAX 240	  /* minutes */
#define SCHED_HIATUS_MAX 52	  /* weeks */
#define SCHED_NAME_MAX 1024	  /* bytes of a group name sched_ics accepts */
#define SCHED_ICS_MAX_EVENTS 520  /* ten years of weekly sessions */

/*
 * A group's weekly slot and cycle, as stored with the group. Strings are
 * NUL-terminated inside their arrays.
 *
 * The cycle's weeks are counted from cycle_start (any weekday): the session
 * of week w is on the first `weekday` on or after cycle_start + 7(w-1) days.
 * `extension_weeks` lengthens every cycle described by this slot; the group
 * module resets it when a new cycle begins, if the extension was for one.
 */
struct sched_slot {
	char tz[64];		/* IANA name, e.g. "Europe/London"; "UTC" is allowed */
	int weekday;		/* 1=Monday … 7=Sunday (ISO 8601) */
	int start_minute;	/* local start, minutes after midnight (19:00 → 1140) */
	int duration_min;	/* 1..SCHED_DURATION_MAX, default 60 */
	char cycle_start[11];	/* local date "YYYY-MM-DD" (years 2000–2199) */
	int cycle_weeks;	/* 12 or 15 */
	int extension_weeks;	/* 0 or 12 */
	int intake_close_weeks; /* 0 (never closes) .. cycle_weeks - 1 */
	int hiatus_weeks;	/* 0..SCHED_HIATUS_MAX weeks without sessions between cycles */
};

/* One session of a group. end_ms - start_ms is the slot's duration. */
struct sched_occurrence {
	int64_t start_ms, end_ms; /* UTC */
	int cycle;		  /* 1 for the cycle starting at cycle_start, then 2, 3 … */
	int week;		  /* 1 .. cycle_weeks + extension_weeks */
};

/*
 * One cycle of a group, as instants (local midnights converted to UTC).
 * Sessions fall in [start_ms, end_ms); members are not taken in
 * [intake_close_ms, end_ms); the hiatus is [end_ms, next cycle's start_ms).
 */
struct sched_cycle {
	int cycle; /* 1, 2, 3 … */
	int64_t start_ms, end_ms, intake_close_ms;
};

/*
 * Check every field of s, including that libical knows the time zone.
 * Returns 0, SCHED_EINVAL or SCHED_ETZ; on error, if why is not NULL, *why
 * is a static sentence naming the field, fit to show to a manager.
 */
int sched_validate(const struct sched_slot *s, const char **why);

/*
 * Write to out the occurrences whose start is in [from_ms, to_ms), in
 * order, at most max of them. Returns how many were written (0 if none,
 * if max is 0 or if from_ms >= to_ms), or a negative sched_err when s is
 * invalid (see sched_validate) or max < 0, or out is NULL with max > 0.
 */
int sched_expand(const struct sched_slot *s, int64_t from_ms, int64_t to_ms,
		 struct sched_occurrence *out, int max);

/*
 * The next session not yet ended at now_ms (it may be in progress: its
 * start <= now_ms < its end). Returns 0 with *out filled, SCHED_ENONE if
 * there is none before SCHED_MAX_MS, or another negative sched_err.
 */
int sched_next(const struct sched_slot *s, int64_t now_ms, struct sched_occurrence *out);

/*
 * The cycle in progress at t_ms or, in a hiatus or before the first cycle,
 * the one that starts next. Returns 0 with *out filled, SCHED_ENONE past
 * the horizon, or another negative sched_err.
 */
int sched_cycle_at(const struct sched_slot *s, int64_t t_ms, struct sched_cycle *out);

/*
 * Whether the group takes new members at now_ms: 1 or 0, or a negative
 * sched_err. Intake is closed only in the last intake_close_weeks weeks of
 * each cycle (whose end includes the extension); it is open before the first
 * cycle and in a hiatus (joining the cycle that comes next). A closed
 * intake waitlists approved members for the next cycle.
 */
int sched_intake_open(const struct sched_slot *s, int64_t now_ms);

/* When members may enter the session: SCHED_DOORS_OPEN_MIN before its start. */
int64_t sched_doors_open_ms(const struct sched_occurrence *o);

/*
 * The group's sessions in [from_ms, to_ms) as an iCalendar object
 * (RFC 5545): one VCALENDAR (PRODID -//Hearth//EN, VERSION 2.0, CALSCALE
 * GREGORIAN, METHOD PUBLISH) holding the group's VTIMEZONE (from libical's
 * zone data, TZID set to the IANA name, trimmed to the exported years) and
 * one VEVENT per session, at most SCHED_ICS_MAX_EVENTS (the earliest).
 * Each VEVENT has a UID stable for the group and the session's local date,
 * DTSTAMP (now_ms), DTSTART/DTEND in local time with TZID, and SUMMARY the
 * group name. No personal data. Text is escaped as RFC 5545 requires,
 * control characters other than newlines are dropped, lines end in CRLF
 * and are folded at 75 octets without splitting a UTF-8 character.
 *
 * group_name must be valid UTF-8 of at most SCHED_NAME_MAX bytes. On
 * success returns 0 and *out is a NUL-terminated string of *len bytes that
 * the caller frees with free(). On failure returns a negative sched_err
 * and leaves *out and *len untouched.
 */
int sched_ics(const struct sched_slot *s, int64_t group_id, const char *group_name, int64_t from_ms,
	      int64_t to_ms, int64_t now_ms, char **out, size_t *len);

/*
 * The UTC offset of zone tz at the instant at_ms, in minutes east of UTC
 * (+60 for British Summer Time, -300 for New York in winter), into *offset.
 * Returns 0, SCHED_ETZ for a zone libical does not know, or SCHED_EINVAL
 * (NULL argument, or at_ms outside SCHED_MIN_MS..SCHED_MAX_MS).
 */
int sched_utc_offset_min(const char *tz, int64_t at_ms, int *offset);

/* Release libical's zone cache. Call once at exit, when no thread uses this module. */
void sched_cleanup(void);

#endif
