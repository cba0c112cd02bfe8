/*
 * test_schedule.c — weekly slots, cycles, intake and the .ics export
 * (server/schedule.c), checked against instants worked out by hand from
 * the published DST dates, and the export parsed back with libical.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libical/ical.h>

#include "schedule.h"
#include "util.h"

#define MIN_MS INT64_C(60000)
#define DAY_MS INT64_C(86400000)
#define WEEK_MS (7 * DAY_MS)

static int64_t utc_ms(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {
	    .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
	return (int64_t)timegm(&tm) * 1000;
}

static struct sched_slot slot(const char *tz, int weekday, int minute, const char *start, int weeks,
			      int hiatus)
{
	struct sched_slot s = {.weekday = weekday,
			       .start_minute = minute,
			       .duration_min = SCHED_DURATION_DEFAULT,
			       .cycle_weeks = weeks,
			       .hiatus_weeks = hiatus};

	snprintf(s.tz, sizeof s.tz, "%s", tz);
	snprintf(s.cycle_start, sizeof s.cycle_start, "%s", start);
	return s;
}

/* The wall-clock hour*60+minute of an instant in a zone, by libical directly. */
static int local_minute(const char *tz, int64_t ms)
{
	icaltimezone *z = icaltimezone_get_builtin_timezone(tz);
	assert_non_null(z);
	struct icaltimetype t = icaltime_from_timet_with_zone((time_t)(ms / 1000), 0, z);
	return t.hour * 60 + t.minute;
}

/* ---- DST: the local time holds, the UTC instant moves ---- */

struct dst_case {
	const char *tz, *cycle_start;
	int weekday, minute, week;
	int y, mo, d, h, mi; /* expected UTC start of that week's session */
	int exists;	     /* 0: the local time is skipped that day */
};

static const struct dst_case dst_cases[] = {
    /* London, Thursday 19:00: BST until 25 Oct 2026, GMT until 28 Mar 2027 */
    {"Europe/London", "2026-10-05", 4, 1140, 3, 2026, 10, 22, 18, 0, 1},
    {"Europe/London", "2026-10-05", 4, 1140, 4, 2026, 10, 29, 19, 0, 1},
    {"Europe/London", "2027-03-01", 4, 1140, 4, 2027, 3, 25, 19, 0, 1},
    {"Europe/London", "2027-03-01", 4, 1140, 5, 2027, 4, 1, 18, 0, 1},
    /* New York, Tuesday 18:30: EDT until 1 Nov 2026, EST until 14 Mar 2027 */
    {"America/New_York", "2026-10-05", 2, 1110, 4, 2026, 10, 27, 22, 30, 1},
    {"America/New_York", "2026-10-05", 2, 1110, 5, 2026, 11, 3, 23, 30, 1},
    {"America/New_York", "2027-03-01", 2, 1110, 2, 2027, 3, 9, 23, 30, 1},
    {"America/New_York", "2027-03-01", 2, 1110, 3, 2027, 3, 16, 22, 30, 1},
    /* Sydney, Wednesday 10:00: AEST, then AEDT from 4 Oct 2026 (the UTC date is the day before) */
    {"Australia/Sydney", "2026-09-21", 3, 600, 2, 2026, 9, 30, 0, 0, 1},
    {"Australia/Sydney", "2026-09-21", 3, 600, 3, 2026, 10, 6, 23, 0, 1},
    /* Kolkata has no DST: 19:00 IST is 13:30 UTC all year */
    {"Asia/Kolkata", "2026-10-05", 4, 1140, 1, 2026, 10, 8, 13, 30, 1},
    {"Asia/Kolkata", "2027-03-01", 4, 1140, 5, 2027, 4, 1, 13, 30, 1},
    /* Sunday 01:30 London: skipped on 28 Mar 2027, so 02:30 BST (RFC 5545 §3.3.5) */
    {"Europe/London", "2027-03-22", 7, 90, 1, 2027, 3, 28, 1, 30, 0},
    {"Europe/London", "2027-03-22", 7, 90, 2, 2027, 4, 4, 0, 30, 1},
    /* ... and repeated on 25 Oct 2026: the first one, 01:30 BST */
    {"Europe/London", "2026-10-19", 7, 90, 1, 2026, 10, 25, 0, 30, 1},
    {"Europe/London", "2026-10-19", 7, 90, 2, 2026, 11, 1, 1, 30, 1},
    /* Sunday 02:30 New York is skipped on 14 Mar 2027: 03:30 EDT */
    {"America/New_York", "2027-03-08", 7, 150, 1, 2027, 3, 14, 7, 30, 0},
    /* "UTC" is accepted and means UTC */
    {"UTC", "2026-10-05", 1, 0, 2, 2026, 10, 12, 0, 0, 1},
};

static void test_dst_keeps_local_time(void **state)
{
	struct sched_occurrence occ[8];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(dst_cases); i++) {
		const struct dst_case *c = &dst_cases[i];
		struct sched_slot s = slot(c->tz, c->weekday, c->minute, c->cycle_start, 12, 0);
		int64_t want = utc_ms(c->y, c->mo, c->d, c->h, c->mi);

		print_message("case %zu: %s %s week %d\n", i, c->tz, c->cycle_start, c->week);
		assert_int_equal(sched_validate(&s, NULL), 0);
		assert_int_equal(sched_expand(&s, SCHED_MIN_MS, SCHED_MAX_MS, occ, c->week),
				 c->week);
		const struct sched_occurrence *o = &occ[c->week - 1];
		assert_int_equal(o->cycle, 1);
		assert_int_equal(o->week, c->week);
		assert_int_equal(o->start_ms, want);
		assert_int_equal(o->end_ms, want + 60 * MIN_MS);
		if (c->exists)
			assert_int_equal(local_minute(c->tz, o->start_ms), c->minute);
		else
			assert_int_equal(local_minute(c->tz, o->start_ms), c->minute + 60);
	}
}

/* Across a whole cycle spanning 25 Oct 2026 every session is 19:00 in London. */
static void test_whole_cycle_local(void **state)
{
	struct sched_slot s = slot("Europe/London", 4, 1140, "2026-09-28", 15, 0);
	struct sched_occurrence occ[15];

	(void)state;
	assert_int_equal(sched_expand(&s, SCHED_MIN_MS, SCHED_MAX_MS, occ, 15), 15);
	for (int i = 0; i < 15; i++) {
		assert_int_equal(local_minute("Europe/London", occ[i].start_ms), 1140);
		if (i > 0) {
			int64_t gap = occ[i].start_ms - occ[i - 1].start_ms;
			/* 29 Oct follows the change: a week and an hour */
			assert_int_equal(
			    gap, WEEK_MS + (occ[i].start_ms == utc_ms(2026, 10, 29, 19, 0) ? 3600000
											   : 0));
		}
	}
}

/* ---- cycles, extension, hiatus ---- */

struct cycle_case {
	const char *tz;
	int weeks, extension, hiatus;
};

static const struct cycle_case cycle_cases[] = {
    {"UTC", 12, 0, 0},
    {"UTC", 12, 0, 4},
    {"UTC", 15, 0, 2},
    {"UTC", 12, 12, 3},
    {"UTC", 15, 12, 0},
    {"Europe/London", 12, 0, 6},
    {"Europe/London", 12, 12, 2},
    {"America/New_York", 15, 0, 1},
};

static void test_cycle_lengths(void **state)
{
	struct sched_occurrence occ[100];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cycle_cases); i++) {
		const struct cycle_case *c = &cycle_cases[i];
		struct sched_slot s = slot(c->tz, 3, 17 * 60, "2026-06-01", c->weeks, c->hiatus);
		int len = c->weeks + c->extension;
		int64_t period = (int64_t)(len + c->hiatus) * WEEK_MS;

		print_message("case %zu: %s %d+%d weeks, hiatus %d\n", i, c->tz, c->weeks,
			      c->extension, c->hiatus);
		s.extension_weeks = c->extension;
		int n = sched_expand(&s, SCHED_MIN_MS, SCHED_MAX_MS, occ, 3 * len);
		assert_int_equal(n, 3 * len);
		for (int k = 0; k < 3; k++) {
			for (int w = 0; w < len; w++) {
				const struct sched_occurrence *o = &occ[k * len + w];
				assert_int_equal(o->cycle, k + 1);
				assert_int_equal(o->week, w + 1);
				assert_int_equal(local_minute(c->tz, o->start_ms), 17 * 60);
				/* same weekday and time, whole weeks from the first session
				 * (give or take a DST hour) */
				int64_t off =
				    o->start_ms - occ[0].start_ms - k * period - w * WEEK_MS;
				assert_true(off >= -3600000 && off <= 3600000);
			}
		}
		/* exactly len sessions in cycle 1: none in its hiatus */
		assert_int_equal(sched_expand(&s, occ[len - 1].end_ms, occ[len].start_ms, occ, 100),
				 0);
		/* the cycle as seen from inside its hiatus is the next one */
		struct sched_cycle cy;
		int64_t t = c->hiatus ? occ[len - 1].end_ms + WEEK_MS : occ[len].start_ms;
		assert_int_equal(sched_cycle_at(&s, t, &cy), 0);
		assert_int_equal(cy.cycle, 2);
		assert_true(cy.start_ms <= occ[len].start_ms);
		assert_true(cy.start_ms > occ[len - 1].end_ms);
		assert_true(cy.end_ms > occ[2 * len - 1].end_ms);
		assert_true(c->hiatus ? cy.start_ms > t : cy.start_ms <= t);
	}
}

/* The first session is the first slot weekday on or after cycle_start. */
static void test_first_session_day(void **state)
{
	struct sched_occurrence o;

	(void)state;
	for (int wd = 1; wd <= 7; wd++) {
		/* 2026-10-08 is a Thursday (4) */
		struct sched_slot s = slot("UTC", wd, 600, "2026-10-08", 12, 0);
		int days = (wd - 4 + 7) % 7;
		assert_int_equal(sched_expand(&s, SCHED_MIN_MS, SCHED_MAX_MS, &o, 1), 1);
		assert_int_equal(o.start_ms, utc_ms(2026, 10, 8, 10, 0) + days * DAY_MS);
		assert_int_equal(o.week, 1);
	}
}

/* ---- the [from, to) window and the arguments ---- */

static void test_window(void **state)
{
	struct sched_slot s = slot("Europe/London", 4, 1140, "2026-10-05", 12, 4);
	struct sched_occurrence all[40], o[4];

	(void)state;
	assert_int_equal(sched_expand(&s, SCHED_MIN_MS, SCHED_MAX_MS, all, 40), 40);
	/* from is inclusive, to exclusive */
	assert_int_equal(sched_expand(&s, all[5].start_ms, all[5].start_ms + 1, o, 4), 1);
	assert_int_equal(o[0].start_ms, all[5].start_ms);
	assert_int_equal(sched_expand(&s, all[5].start_ms + 1, all[6].start_ms, o, 4), 0);
	assert_int_equal(sched_expand(&s, all[5].start_ms, all[6].start_ms, o, 4), 1);
	/* max caps the count, in order */
	assert_int_equal(sched_expand(&s, all[3].start_ms, SCHED_MAX_MS, o, 3), 3);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(&o[i], &all[3 + i], sizeof o[i]);
	/* nothing before the first cycle */
	assert_int_equal(sched_expand(&s, 0, all[0].start_ms, o, 4), 0);
	assert_int_equal(sched_expand(&s, INT64_MIN, all[0].start_ms + 1, o, 4), 1);
	/* empty windows and bad arguments */
	assert_int_equal(sched_expand(&s, all[3].start_ms, all[3].start_ms, o, 4), 0);
	assert_int_equal(sched_expand(&s, all[4].start_ms, all[3].start_ms, o, 4), 0);
	assert_int_equal(sched_expand(&s, SCHED_MIN_MS, SCHED_MAX_MS, o, 0), 0);
	assert_int_equal(sched_expand(&s, SCHED_MIN_MS, SCHED_MAX_MS, o, -1), SCHED_EINVAL);
	assert_int_equal(sched_expand(&s, SCHED_MIN_MS, SCHED_MAX_MS, NULL, 1), SCHED_EINVAL);
	assert_int_equal(sched_expand(NULL, SCHED_MIN_MS, SCHED_MAX_MS, o, 1), SCHED_EINVAL);
	s.weekday = 9;
	assert_int_equal(sched_expand(&s, SCHED_MIN_MS, SCHED_MAX_MS, o, 1), SCHED_EINVAL);
	/* the horizon */
	s.weekday = 4;
	assert_int_equal(sched_expand(&s, SCHED_MAX_MS, INT64_MAX, o, 4), 0);
	/* the last year: 52 weeks, of which 12 in 16 have a session */
	int n = sched_expand(&s, SCHED_MAX_MS - 365 * DAY_MS, INT64_MAX, all, 40);
	assert_true(n >= 36 && n <= 40);
	assert_true(all[n - 1].start_ms < SCHED_MAX_MS);
	assert_true(all[n - 1].start_ms > SCHED_MAX_MS - 5 * WEEK_MS);
}

/*
 * Starting anywhere (the expansion skips whole cycles) gives the same
 * sessions as walking from the first cycle. The rows include sessions late
 * in a cycle's first week with no hiatus, so the last session of a cycle
 * is a day or two before the next cycle starts, and zones far from UTC.
 */
struct walk_case {
	const char *tz, *cycle_start;
	int weekday, minute, weeks, extension, hiatus;
};

static const struct walk_case walk_cases[] = {
    {"UTC", "2026-01-05", 1, 30, 15, 12, 3},
    {"Europe/London", "2026-01-06", 1, 23 * 60 + 30, 12, 0, 0}, /* Tue start, Mon slot */
    {"Pacific/Auckland", "2026-01-05", 7, 30, 12, 0, 0},	/* UTC+12/13 */
    {"Pacific/Kiritimati", "2026-01-07", 2, 10, 12, 12, 0},	/* UTC+14 */
    {"Pacific/Pago_Pago", "2026-01-05", 7, 23 * 60, 15, 0, 1},	/* UTC-11 */
};

static void test_window_matches_full_walk(void **state)
{
	static struct sched_occurrence all[300];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(walk_cases); i++) {
		const struct walk_case *c = &walk_cases[i];
		struct sched_slot s =
		    slot(c->tz, c->weekday, c->minute, c->cycle_start, c->weeks, c->hiatus);
		s.extension_weeks = c->extension;
		print_message("case %zu: %s\n", i, c->tz);
		int n = sched_expand(&s, SCHED_MIN_MS, SCHED_MAX_MS, all, 300);
		assert_int_equal(n, 300);
		int j = 0;
		for (int64_t from = utc_ms(2025, 12, 1, 0, 0); from < all[n - 2].start_ms;
		     from += DAY_MS + 5 * 3600000 + 13 * MIN_MS) {
			struct sched_occurrence o[2];
			while (all[j].start_ms < from)
				j++;
			assert_int_equal(sched_expand(&s, from, SCHED_MAX_MS, o, 2), 2);
			assert_memory_equal(&o[0], &all[j], sizeof o[0]);
			assert_memory_equal(&o[1], &all[j + 1], sizeof o[1]);
		}
	}
}

/* ---- next session and doors ---- */

static void test_next_and_doors(void **state)
{
	/* London, Thursday 19:00, 12 weeks from Mon 5 Oct 2026, 2 weeks' hiatus */
	struct sched_slot s = slot("Europe/London", 4, 1140, "2026-10-05", 12, 2);
	int64_t w1 = utc_ms(2026, 10, 8, 18, 0), w2 = utc_ms(2026, 10, 15, 18, 0);
	int64_t w12 = utc_ms(2026, 12, 24, 19, 0), c2w1 = utc_ms(2027, 1, 14, 19, 0);
	struct {
		int64_t now, start;
		int cycle, week;
	} cases[] = {
	    {utc_ms(2026, 1, 1, 0, 0), w1, 1, 1},
	    {w1 - 10 * MIN_MS, w1, 1, 1},
	    {w1, w1, 1, 1},
	    {w1 + 60 * MIN_MS - 1, w1, 1, 1}, /* in progress */
	    {w1 + 60 * MIN_MS, w2, 1, 2},     /* ended */
	    {w12 + 60 * MIN_MS, c2w1, 2, 1},  /* over the hiatus */
	    {INT64_MIN, w1, 1, 1},
	};
	struct sched_occurrence o;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("case %zu\n", i);
		assert_int_equal(sched_next(&s, cases[i].now, &o), 0);
		assert_int_equal(o.start_ms, cases[i].start);
		assert_int_equal(o.end_ms, cases[i].start + 60 * MIN_MS);
		assert_int_equal(o.cycle, cases[i].cycle);
		assert_int_equal(o.week, cases[i].week);
		assert_int_equal(sched_doors_open_ms(&o), cases[i].start - 10 * MIN_MS);
	}
	assert_int_equal(sched_next(&s, SCHED_MAX_MS, &o), SCHED_ENONE);
	assert_int_equal(sched_next(&s, INT64_MAX, &o), SCHED_ENONE);
	assert_int_equal(sched_next(&s, w1, NULL), SCHED_EINVAL);
	s.duration_min = 90;
	assert_int_equal(sched_next(&s, w1 + 89 * MIN_MS, &o), 0);
	assert_int_equal(o.start_ms, w1);
	assert_int_equal(o.end_ms, w1 + 90 * MIN_MS);
	snprintf(s.tz, sizeof s.tz, "Nowhere/Land");
	assert_int_equal(sched_next(&s, w1, &o), SCHED_ETZ);
}

/* ---- intake ---- */

static void test_intake(void **state)
{
	/*
	 * London, 12 weeks from Mon 5 Apr 2027 (BST), intake closes 2 weeks
	 * before the end, 3 weeks' hiatus. Local midnights are 23:00 UTC.
	 * Cycle 1 ends 28 Jun, closes 14 Jun; cycle 2 runs 19 Jul – 11 Oct.
	 */
	struct sched_slot s = slot("Europe/London", 2, 1140, "2027-04-05", 12, 3);
	int64_t close1 = utc_ms(2027, 6, 13, 23, 0), end1 = utc_ms(2027, 6, 27, 23, 0);
	int64_t start2 = utc_ms(2027, 7, 18, 23, 0), close2 = utc_ms(2027, 9, 26, 23, 0);
	struct {
		int64_t t;
		int open;
	} cases[] = {
	    {utc_ms(2027, 1, 1, 0, 0), 1}, /* before the first cycle */
	    {utc_ms(2027, 4, 4, 23, 0), 1},
	    {close1 - 1, 1},
	    {close1, 0},
	    {end1 - 1, 0},
	    {end1, 1}, /* hiatus: joining cycle 2 */
	    {start2, 1},
	    {close2 - 1, 1},
	    {close2, 0},
	};
	struct sched_cycle c;

	(void)state;
	s.intake_close_weeks = 2;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("case %zu\n", i);
		assert_int_equal(sched_intake_open(&s, cases[i].t), cases[i].open);
	}

	assert_int_equal(sched_cycle_at(&s, utc_ms(2027, 6, 20, 12, 0), &c), 0);
	assert_int_equal(c.cycle, 1);
	assert_int_equal(c.start_ms, utc_ms(2027, 4, 4, 23, 0));
	assert_int_equal(c.end_ms, end1);
	assert_int_equal(c.intake_close_ms, close1);
	assert_int_equal(sched_cycle_at(&s, utc_ms(2027, 7, 1, 12, 0), &c), 0);
	assert_int_equal(c.cycle, 2);
	assert_int_equal(c.start_ms, start2);
	assert_int_equal(c.intake_close_ms, close2);
	assert_int_equal(sched_cycle_at(&s, SCHED_MAX_MS, &c), SCHED_ENONE);

	/* the extension moves the end, and the cutoff with it */
	s.extension_weeks = 12;
	assert_int_equal(sched_intake_open(&s, close1), 1);
	assert_int_equal(sched_intake_open(&s, utc_ms(2027, 9, 5, 23, 0) - 1), 1);
	assert_int_equal(sched_intake_open(&s, utc_ms(2027, 9, 5, 23, 0)), 0);
	assert_int_equal(sched_intake_open(&s, utc_ms(2027, 9, 19, 23, 0)), 1);

	/* closing 0 weeks before the end: never closed */
	s.extension_weeks = 0;
	s.intake_close_weeks = 0;
	assert_int_equal(sched_intake_open(&s, end1 - 1), 1);

	s.cycle_weeks = 13;
	assert_int_equal(sched_intake_open(&s, end1), SCHED_EINVAL);
}

/* ---- validation ---- */

struct validate_case {
	const char *tz;
	int weekday, minute, duration;
	const char *date;
	int weeks, extension, close, hiatus;
	int rc;
};

#define OK_SLOT "Europe/London", 4, 1140, 60, "2026-10-05", 12, 0, 3, 2

static const struct validate_case validate_cases[] = {
    {OK_SLOT, 0},
    {"America/Argentina/Buenos_Aires", 4, 1140, 60, "2026-10-05", 12, 0, 3, 2, 0},
    {"Etc/GMT+5", 4, 1140, 60, "2026-10-05", 12, 0, 3, 2, 0},
    {"UTC", 7, 0, 1, "2000-01-01", 15, 12, 14, 52, 0},
    {"Asia/Kolkata", 1, 1439, 240, "2028-02-29", 15, 0, 0, 0, 0},
    {"Mars/Olympus_Mons", 4, 1140, 60, "2026-10-05", 12, 0, 3, 2, SCHED_ETZ},
    {"europe/london", 4, 1140, 60, "2026-10-05", 12, 0, 3, 2, SCHED_ETZ},
    {"Europe/London/", 4, 1140, 60, "2026-10-05", 12, 0, 3, 2, SCHED_ETZ},
    {"../../../etc/passwd", 4, 1140, 60, "2026-10-05", 12, 0, 3, 2, SCHED_ETZ},
    {"/usr/share/zoneinfo/UTC", 4, 1140, 60, "2026-10-05", 12, 0, 3, 2, SCHED_ETZ},
    {"Europe", 4, 1140, 60, "2026-10-05", 12, 0, 3, 2, SCHED_ETZ},
    {"Europe/London x", 4, 1140, 60, "2026-10-05", 12, 0, 3, 2, SCHED_ETZ},
    {"", 4, 1140, 60, "2026-10-05", 12, 0, 3, 2, SCHED_ETZ},
    {"Europe/London", 0, 1140, 60, "2026-10-05", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 8, 1140, 60, "2026-10-05", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, -1, 60, "2026-10-05", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1440, 60, "2026-10-05", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 0, "2026-10-05", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 241, "2026-10-05", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, -60, "2026-10-05", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026-10-05", 13, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026-10-05", 0, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026-10-05", 12, 6, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026-10-05", 12, 0, 12, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026-10-05", 12, 0, -1, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026-10-05", 12, 0, 3, -1, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026-10-05", 12, 0, 3, 53, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026-13-01", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026-00-10", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026-02-29", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026-04-31", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026-10-00", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026-1-05", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026/10/05", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "05-10-2026", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2026-1O-05", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "+026-10-05", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "1999-12-31", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "2200-01-01", 12, 0, 3, 2, SCHED_EINVAL},
    {"Europe/London", 4, 1140, 60, "", 12, 0, 3, 2, SCHED_EINVAL},
};

static void test_validate(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(validate_cases); i++) {
		const struct validate_case *c = &validate_cases[i];
		struct sched_slot s =
		    slot(c->tz, c->weekday, c->minute, c->date, c->weeks, c->hiatus);
		const char *why = NULL;

		s.duration_min = c->duration;
		s.extension_weeks = c->extension;
		s.intake_close_weeks = c->close;
		print_message("case %zu: %s %s\n", i, c->tz, c->date);
		assert_int_equal(sched_validate(&s, &why), c->rc);
		if (c->rc != 0) {
			assert_non_null(why);
			assert_true(strlen(why) > 0);
			assert_int_equal(sched_validate(&s, NULL), c->rc);
		}
	}
}

static void test_validate_unterminated(void **state)
{
	struct sched_slot s = slot("Europe/London", 4, 1140, "2026-10-05", 12, 0);
	const char *why;

	(void)state;
	memset(s.tz, 'A', sizeof s.tz);
	assert_int_equal(sched_validate(&s, &why), SCHED_ETZ);
	s = slot("Europe/London", 4, 1140, "2026-10-05", 12, 0);
	memset(s.cycle_start, '1', sizeof s.cycle_start);
	assert_int_equal(sched_validate(&s, &why), SCHED_EINVAL);
	assert_int_equal(sched_validate(NULL, &why), SCHED_EINVAL);
	assert_string_equal(sched_strerror(SCHED_ETZ), "unknown time zone");
	assert_string_equal(sched_strerror(12345), "unknown error");
}

/* ---- iCalendar ---- */

/* Every line ends in CRLF, has at most 75 octets and is whole UTF-8. */
static void assert_lines_ok(const char *ics, size_t len)
{
	const char *p = ics, *end = ics + len;

	assert_int_equal(strlen(ics), len);
	assert_true(len > 2);
	while (p < end) {
		const char *eol = strstr(p, "\r\n");
		assert_non_null(eol);
		size_t n = (size_t)(eol - p);
		if (n > 75)
			fail_msg("line of %zu octets: %.*s", n, (int)n, p);
		assert_null(memchr(p, '\n', n));
		assert_null(memchr(p, '\r', n));
		assert_true(utf8_valid(p, n));
		assert_true(n > 0);
		p = eol + 2;
	}
}

static int count_kind(icalcomponent *cal, icalcomponent_kind kind)
{
	int n = 0;
	for (icalcomponent *c = icalcomponent_get_first_component(cal, kind); c;
	     c = icalcomponent_get_next_component(cal, kind))
		n++;
	return n;
}

/*
 * Parse ics back with libical and check it against the expansion: one
 * VTIMEZONE named tz, and VEVENTs whose DTSTART/DTEND, read through that
 * VTIMEZONE (not libical's own zone data), are the sessions' instants.
 */
static void check_ics(const struct sched_slot *s, const char *ics, size_t len,
		      const struct sched_occurrence *occ, int n, const char *summary)
{
	assert_lines_ok(ics, len);
	icalcomponent *cal = icalparser_parse_string(ics);
	assert_non_null(cal);
	assert_int_equal(icalcomponent_isa(cal), ICAL_VCALENDAR_COMPONENT);
	assert_int_equal(count_kind(cal, ICAL_VTIMEZONE_COMPONENT), 1);
	icalcomponent *vtz = icalcomponent_get_first_component(cal, ICAL_VTIMEZONE_COMPONENT);
	icalproperty *tzid = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
	assert_non_null(tzid);
	assert_string_equal(icalproperty_get_tzid(tzid), s->tz);
	assert_int_equal(count_kind(cal, ICAL_VEVENT_COMPONENT), n);

	int i = 0;
	for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); ev;
	     ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT), i++) {
		icalproperty *p = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
		icalparameter *par = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
		assert_non_null(par);
		assert_string_equal(icalparameter_get_tzid(par), s->tz);
		struct icaltimetype st = icalcomponent_get_dtstart(ev);
		struct icaltimetype en = icalcomponent_get_dtend(ev);
		assert_non_null(st.zone);
		assert_string_equal(icaltime_get_tzid(st), s->tz);
		assert_int_equal((int64_t)icaltime_as_timet_with_zone(st, st.zone) * 1000,
				 occ[i].start_ms);
		assert_int_equal((int64_t)icaltime_as_timet_with_zone(en, en.zone) * 1000,
				 occ[i].end_ms);
		assert_int_equal(st.hour * 60 + st.minute, s->start_minute);
		if (summary)
			assert_string_equal(icalcomponent_get_summary(ev), summary);
		assert_non_null(icalcomponent_get_uid(ev));
		assert_int_equal(strncmp(icalcomponent_get_uid(ev), "group-42-session-", 17), 0);
		assert_false(icaltime_is_null_time(icalcomponent_get_dtstamp(ev)));
	}
	icalcomponent_free(cal);
}

static void test_ics_london(void **state)
{
	struct sched_slot s = slot("Europe/London", 4, 1140, "2026-10-05", 12, 2);
	const char *name = "Carers, Thursday; evening\\group\nSecond line";
	int64_t from = utc_ms(2026, 10, 1, 0, 0), to = utc_ms(2027, 1, 1, 0, 0);
	int64_t now = utc_ms(2026, 9, 20, 12, 0);
	struct sched_occurrence occ[20];
	char *ics = NULL;
	size_t len = 0;

	(void)state;
	int n = sched_expand(&s, from, to, occ, 20);
	assert_int_equal(n, 12);
	assert_int_equal(sched_ics(&s, 42, name, from, to, now, &ics, &len), 0);
	check_ics(&s, ics, len, occ, n, name);

	assert_non_null(strstr(ics, "BEGIN:VCALENDAR\r\nPRODID:-//Hearth//EN\r\nVERSION:2.0\r\n"
				    "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n"));
	assert_int_equal(ics[0], 'B');
	assert_string_equal(ics + len - 15, "END:VCALENDAR\r\n");
	assert_non_null(
	    strstr(ics, "\r\nSUMMARY:Carers\\, Thursday\\; evening\\\\group\\nSecond line\r\n"));
	assert_non_null(strstr(ics, "\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n"));
	assert_non_null(strstr(ics, "\r\nDTSTAMP:20260920T120000Z\r\n"));
	/* both sides of 25 Oct: 19:00 local, in the zone */
	assert_non_null(strstr(ics, "\r\nDTSTART;TZID=Europe/London:20261022T190000\r\n"));
	assert_non_null(strstr(ics, "\r\nDTSTART;TZID=Europe/London:20261029T190000\r\n"));
	assert_non_null(strstr(ics, "\r\nDTEND;TZID=Europe/London:20261029T200000\r\n"));
	/* trimmed: none of libical's history before the export */
	assert_null(strstr(ics, "DTSTART:18471201"));

	/* UIDs are stable: a later export with another DTSTAMP names sessions alike */
	char *again = NULL;
	size_t len2;
	assert_int_equal(sched_ics(&s, 42, name, occ[2].start_ms, to, now + DAY_MS, &again, &len2),
			 0);
	const char *uid = strstr(again, "\r\nUID:");
	assert_non_null(uid);
	char line[96];
	size_t ln = (size_t)(strstr(uid + 2, "\r\n") - uid);
	assert_true(ln < sizeof line);
	memcpy(line, uid, ln);
	line[ln] = '\0';
	assert_string_equal(line, "\r\nUID:group-42-session-20261022@hearth");
	assert_non_null(strstr(ics, line));
	free(again);
	free(ics);
}

/* Other zones parse back to the same instants through the exported VTIMEZONE. */
static void test_ics_zones(void **state)
{
	/* DST both hemispheres, none, a 45-minute offset, DST abolished (2019, 2022),
	 * and transitions at midnight */
	static const char *const zones[] = {
	    "America/New_York", "Australia/Sydney",  "Asia/Kolkata", "UTC",
	    "Pacific/Chatham",	"America/Sao_Paulo", "Asia/Tehran",  "America/Santiago",
	    "Europe/Moscow"};
	struct sched_occurrence occ[60];

	(void)state;
	for (size_t z = 0; z < ARRAY_LEN(zones); z++) {
		struct sched_slot s = slot(zones[z], 2, 18 * 60 + 45, "2026-08-03", 15, 1);
		int64_t from = utc_ms(2026, 8, 1, 0, 0), to = utc_ms(2027, 8, 1, 0, 0);
		char *ics = NULL;
		size_t len;

		print_message("zone %s\n", zones[z]);
		int n = sched_expand(&s, from, to, occ, 60);
		assert_true(n > 40);
		assert_int_equal(sched_ics(&s, 42, "Group", from, to, from, &ics, &len), 0);
		check_ics(&s, ics, len, occ, n, "Group");
		free(ics);
	}
}

static void test_ics_folding_and_controls(void **state)
{
	struct sched_slot s = slot("Europe/London", 4, 1140, "2026-10-05", 12, 2);
	struct buf name, want;
	struct sched_occurrence occ[4];
	char *ics = NULL;
	size_t len;

	(void)state;
	buf_init(&name, 0);
	buf_init(&want, 0);
	for (int i = 0; i < 5; i++) {
		/* 2-, 3- and 4-byte characters, so a fold lands inside some of them */
		buf_puts(&name, "Groupe du jeudi — aidants ✿ proches 🌿 é;");
		buf_puts(&want, "Groupe du jeudi — aidants ✿ proches 🌿 é;");
	}
	buf_puts(&name, "a\x01\x7f b\r\nc\rd\te");
	buf_puts(&want, "a b\nc\nd\te");
	int64_t from = utc_ms(2026, 10, 1, 0, 0), to = utc_ms(2026, 10, 30, 0, 0);
	int n = sched_expand(&s, from, to, occ, 4);
	assert_int_equal(n, 4);
	assert_int_equal(sched_ics(&s, 42, name.data, from, to, from, &ics, &len), 0);
	check_ics(&s, ics, len, occ, n, want.data);
	/* some SUMMARY line was folded */
	assert_non_null(strstr(ics, "\r\n "));
	free(ics);
	buf_free(&name);
	buf_free(&want);
}

static void test_ics_limits_and_errors(void **state)
{
	struct sched_slot s = slot("Europe/London", 4, 1140, "2026-10-05", 12, 2);
	char *ics = (char *)"untouched";
	size_t len = 7;

	(void)state;
	/* an empty window is still a calendar, with its zone */
	assert_int_equal(sched_ics(&s, 42, "G", utc_ms(2026, 12, 26, 0, 0),
				   utc_ms(2027, 1, 10, 0, 0), utc_ms(2026, 1, 1, 0, 0), &ics, &len),
			 0);
	check_ics(&s, ics, len, NULL, 0, NULL);
	free(ics);

	/* at most SCHED_ICS_MAX_EVENTS, the earliest */
	struct sched_occurrence first;
	assert_int_equal(sched_expand(&s, SCHED_MIN_MS, SCHED_MAX_MS, &first, 1), 1);
	assert_int_equal(sched_ics(&s, 42, "G", 0, INT64_MAX, 0, &ics, &len), 0);
	icalcomponent *cal = icalparser_parse_string(ics);
	assert_int_equal(count_kind(cal, ICAL_VEVENT_COMPONENT), SCHED_ICS_MAX_EVENTS);
	assert_non_null(strstr(ics, "UID:group-42-session-20261008@hearth"));
	icalcomponent_free(cal);
	free(ics);

	/* refused: output untouched */
	ics = (char *)"untouched";
	len = 7;
	char big[SCHED_NAME_MAX + 2];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(sched_ics(&s, 42, big, 0, INT64_MAX, 0, &ics, &len), SCHED_EINVAL);
	assert_int_equal(sched_ics(&s, 42, "bad \xff utf-8", 0, INT64_MAX, 0, &ics, &len),
			 SCHED_EINVAL);
	assert_int_equal(sched_ics(&s, 42, NULL, 0, INT64_MAX, 0, &ics, &len), SCHED_EINVAL);
	assert_int_equal(sched_ics(&s, 42, "G", 0, INT64_MAX, 0, NULL, &len), SCHED_EINVAL);
	s.cycle_weeks = 10;
	assert_int_equal(sched_ics(&s, 42, "G", 0, INT64_MAX, 0, &ics, &len), SCHED_EINVAL);
	s.cycle_weeks = 12;
	snprintf(s.tz, sizeof s.tz, "Nowhere/Land");
	assert_int_equal(sched_ics(&s, 42, "G", 0, INT64_MAX, 0, &ics, &len), SCHED_ETZ);
	assert_string_equal(ics, "untouched");
	assert_int_equal(len, 7);

	/* a name of exactly SCHED_NAME_MAX bytes is fine */
	big[SCHED_NAME_MAX] = '\0';
	snprintf(s.tz, sizeof s.tz, "Europe/London");
	assert_int_equal(sched_ics(&s, 42, big, utc_ms(2026, 10, 1, 0, 0),
				   utc_ms(2026, 10, 9, 0, 0), 0, &ics, &len),
			 0);
	assert_lines_ok(ics, len);
	free(ics);
}

/* ---- threads: the module serialises libical, whose zone table is global ---- */

static const char *const thread_zones[] = {"Africa/Nairobi",   "America/Sao_Paulo",
					   "Europe/Berlin",    "Asia/Tokyo",
					   "America/St_Johns", "Australia/Adelaide"};

struct thread_job {
	const char *tz;
	char *ics;
	size_t len;
	int rc;
};

static void *thread_main(void *arg)
{
	struct thread_job *job = arg;

	for (int i = 0; i < 20 && job->rc == 0; i++) {
		struct sched_slot s = slot(job->tz, 5, 600, "2026-03-02", 12, 1);
		free(job->ics);
		job->ics = NULL;
		job->rc = sched_ics(&s, 7, "G", utc_ms(2026, 3, 1, 0, 0), utc_ms(2027, 3, 1, 0, 0),
				    0, &job->ics, &job->len);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct thread_job jobs[ARRAY_LEN(thread_zones)] = {{0}};
	pthread_t th[ARRAY_LEN(thread_zones)];

	(void)state;
	/* zones not loaded yet, so the threads race to load them */
	sched_cleanup();
	for (size_t i = 0; i < ARRAY_LEN(jobs); i++) {
		jobs[i].tz = thread_zones[i];
		assert_int_equal(pthread_create(&th[i], NULL, thread_main, &jobs[i]), 0);
	}
	for (size_t i = 0; i < ARRAY_LEN(jobs); i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (size_t i = 0; i < ARRAY_LEN(jobs); i++) {
		struct sched_slot s = slot(jobs[i].tz, 5, 600, "2026-03-02", 12, 1);
		char *alone = NULL;
		size_t len;
		assert_int_equal(jobs[i].rc, 0);
		assert_int_equal(sched_ics(&s, 7, "G", utc_ms(2026, 3, 1, 0, 0),
					   utc_ms(2027, 3, 1, 0, 0), 0, &alone, &len),
				 0);
		assert_int_equal(len, jobs[i].len);
		assert_memory_equal(alone, jobs[i].ics, len);
		free(alone);
		free(jobs[i].ics);
	}
}

static int teardown_group(void **state)
{
	(void)state;
	sched_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dst_keeps_local_time),
	    cmocka_unit_test(test_whole_cycle_local),
	    cmocka_unit_test(test_cycle_lengths),
	    cmocka_unit_test(test_first_session_day),
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_window_matches_full_walk),
	    cmocka_unit_test(test_next_and_doors),
	    cmocka_unit_test(test_intake),
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_validate_unterminated),
	    cmocka_unit_test(test_ics_london),
	    cmocka_unit_test(test_ics_zones),
	    cmocka_unit_test(test_ics_folding_and_controls),
	    cmocka_unit_test(test_ics_limits_and_errors),
	    cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, teardown_group);
}
