/*
 * clock.h — the one source of time for the whole server.
 *
 * Every module reads "now" here so that tests can move time (schedules,
 * time-outs, retention) without sleeping. The offset can only be changed
 * when the process was started with --testing (clock_allow_shift()); in
 * production clock_shift() refuses. Safe to call from any thread.
 */
#ifndef HEARTH_CLOCK_H
#define HEARTH_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch, plus the test offset. */
int64_t clock_now_ms(void);
/* Seconds since the epoch, plus the test offset. */
int64_t clock_now(void);
/* Monotonic milliseconds for measuring durations (never shifted). */
int64_t clock_mono_ms(void);

void clock_allow_shift(void);
/* Move the clock by delta_ms; 0, or -1 when shifting is not allowed. */
int clock_shift(int64_t delta_ms);
int64_t clock_offset_ms(void);

/* Format t (ms since epoch) as RFC 3339 UTC with milliseconds into out[32]. */
void clock_format_iso(int64_t t_ms, char out[32]);

#endif
