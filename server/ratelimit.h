/*
 * ratelimit.h — token buckets keyed by user id, for every place people
 * write: each key may take `burst` tokens at once, refilled at `per_min`
 * a minute. Lookup is a chained hash (a list scan was 6-14 % of the
 * server's CPU at 100-400 live rooms; bench/README.md, P1). Loop thread
 * only. Times are given by the caller, in ms, from one clock per table.
 */
#ifndef HEARTH_RATELIMIT_H
#define HEARTH_RATELIMIT_H

#include <stdint.h>

#define RL_SLOTS 1024

struct rl_bucket;

struct ratelimit {
	struct rl_bucket *slots[RL_SLOTS];
	double burst, per_ms;
};

void rl_init(struct ratelimit *rl, int burst, int per_min);
/* Take a token for key at now: 0, or the ms until one will be free (nothing taken). */
int64_t rl_take(struct ratelimit *rl, int64_t key, int64_t now);
/* Give back a token taken for something refused after all. */
void rl_refund(struct ratelimit *rl, int64_t key);
/* Forget buckets that have filled up again: they hold nothing a new one would not. */
void rl_prune(struct ratelimit *rl, int64_t now);
void rl_free(struct ratelimit *rl);

#endif
