/*
 * lockout.h — failed-attempt lockout for log-ins, per account and per
 * address: after `max` failures within `window_ms`, attempts are refused
 * for a delay that doubles with each further failure (30 s, 1 min, 2 min…
 * up to 15 min). Loop thread only; time from clock.h so tests can move it.
 */
#ifndef HEARTH_LOCKOUT_H
#define HEARTH_LOCKOUT_H

#include <stdint.h>

struct lockout;

struct lockout *lockout_new(int max, int64_t window_ms);
void lockout_free(struct lockout *l);
/* 0 if key may try now; otherwise the milliseconds until it may. */
int64_t lockout_wait_ms(struct lockout *l, const char *key);
void lockout_fail(struct lockout *l, const char *key);
void lockout_clear(struct lockout *l, const char *key);
/* Forget entries that no longer matter (call now and then). */
void lockout_prune(struct lockout *l);

#endif
