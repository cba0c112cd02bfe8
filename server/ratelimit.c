/*
 * ratelimit.c — token buckets keyed by user id (see ratelimit.h).
 */
#include "ratelimit.h"

#include <stdlib.h>

#include "util.h"

struct rl_bucket {
	struct rl_bucket *next;
	int64_t key;
	double tokens;
	int64_t at; /* the time of the last refill */
};

static struct rl_bucket **slot(struct ratelimit *rl, int64_t key)
{
	return &rl->slots[(uint64_t)key % RL_SLOTS];
}

static void refill(const struct ratelimit *rl, struct rl_bucket *b, int64_t now)
{
	if (now <= b->at)
		return; /* a clock set back refills nothing, and takes nothing away */
	b->tokens += (double)(now - b->at) * rl->per_ms;
	if (b->tokens > rl->burst)
		b->tokens = rl->burst;
	b->at = now;
}

void rl_init(struct ratelimit *rl, int burst, int per_min)
{
	for (size_t i = 0; i < RL_SLOTS; i++)
		rl->slots[i] = NULL;
	rl->burst = burst;
	rl->per_ms = per_min / 60000.0;
}

int64_t rl_take(struct ratelimit *rl, int64_t key, int64_t now)
{
	struct rl_bucket *b;

	for (b = *slot(rl, key); b && b->key != key; b = b->next)
		;
	if (!b) {
		b = xcalloc(1, sizeof *b);
		b->key = key;
		b->tokens = rl->burst;
		b->at = now;
		b->next = *slot(rl, key);
		*slot(rl, key) = b;
	}
	refill(rl, b, now);
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return 0;
	}
	return (int64_t)((1.0 - b->tokens) / rl->per_ms) + 1;
}

void rl_refund(struct ratelimit *rl, int64_t key)
{
	for (struct rl_bucket *b = *slot(rl, key); b; b = b->next)
		if (b->key == key) {
			b->tokens += 1.0;
			if (b->tokens > rl->burst)
				b->tokens = rl->burst;
			return;
		}
}

void rl_prune(struct ratelimit *rl, int64_t now)
{
	for (size_t i = 0; i < RL_SLOTS; i++)
		for (struct rl_bucket **pb = &rl->slots[i]; *pb;) {
			struct rl_bucket *b = *pb;

			refill(rl, b, now);
			if (b->tokens >= rl->burst) {
				*pb = b->next;
				free(b);
			} else {
				pb = &b->next;
			}
		}
}

void rl_free(struct ratelimit *rl)
{
	for (size_t i = 0; i < RL_SLOTS; i++)
		while (rl->slots[i]) {
			struct rl_bucket *b = rl->slots[i];

			rl->slots[i] = b->next;
			free(b);
		}
}
