/*
 * clock.c — real time plus a test-only offset (see clock.h).
 */
#include "clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static _Atomic int64_t offset_ms;
static atomic_int shift_allowed;

int64_t clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + atomic_load(&offset_ms);
}

int64_t clock_now(void)
{
	return clock_now_ms() / 1000;
}

int64_t clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_allow_shift(void)
{
	atomic_store(&shift_allowed, 1);
}

int clock_shift(int64_t delta_ms)
{
	if (!atomic_load(&shift_allowed))
		return -1;
	atomic_fetch_add(&offset_ms, delta_ms);
	return 0;
}

int64_t clock_offset_ms(void)
{
	return atomic_load(&offset_ms);
}

void clock_format_iso(int64_t t_ms, char out[32])
{
	time_t s = (time_t)(t_ms / 1000);
	struct tm tm;
	char tmp[24];

	gmtime_r(&s, &tm);
	strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%03dZ", tmp, (int)(t_ms % 1000));
}
