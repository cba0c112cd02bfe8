/*
 * posting.c — the shared posting bucket and safety lists (see posting.h).
 */
#include "posting.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "server.h"
#include "textfilter.h"
#include "util.h"

/* One per person who posted lately; refilled at [live] rate_per_min up to rate_burst. */
struct bucket {
	struct bucket *next;
	int64_t user_id;
	double tokens;
	int64_t at; /* monotonic ms of the last refill */
};

/* chained hash by user id: the lookup is on every post (a list scan cost
 * 6-14% of the server's CPU at 100-400 rooms in bench/) */
#define NBUCKETS 4096
static struct bucket *buckets[NBUCKETS];

static struct bucket **chain(int64_t user_id)
{
	return &buckets[(uint64_t)user_id % NBUCKETS];
}
static struct tf_list *crisis_list, *profanity_list;

static void refill(const struct server *srv, struct bucket *b, int64_t now)
{
	b->tokens += (double)(now - b->at) * srv->cfg.rate_per_min / 60000.0;
	if (b->tokens > srv->cfg.rate_burst)
		b->tokens = srv->cfg.rate_burst;
	b->at = now;
}

int posting_take(struct server *srv, int64_t user_id)
{
	int64_t now = clock_mono_ms();
	struct bucket *b;

	for (b = *chain(user_id); b && b->user_id != user_id; b = b->next)
		;
	if (!b) {
		b = xcalloc(1, sizeof *b);
		b->user_id = user_id;
		b->tokens = srv->cfg.rate_burst;
		b->at = now;
		b->next = *chain(user_id);
		*chain(user_id) = b;
	}
	refill(srv, b, now);
	if (b->tokens < 1.0)
		return 0;
	b->tokens -= 1.0;
	return 1;
}

void posting_refund(struct server *srv, int64_t user_id)
{
	for (struct bucket *b = *chain(user_id); b; b = b->next)
		if (b->user_id == user_id) {
			b->tokens += 1.0;
			if (b->tokens > srv->cfg.rate_burst)
				b->tokens = srv->cfg.rate_burst;
			return;
		}
}

void posting_prune(struct server *srv)
{
	int64_t now = clock_mono_ms();

	for (size_t i = 0; i < NBUCKETS; i++)
		for (struct bucket **pb = &buckets[i]; *pb;) {
			struct bucket *b = *pb;

			refill(srv, b, now);
			if (b->tokens >= srv->cfg.rate_burst) {
				*pb = b->next;
				free(b);
			} else {
				pb = &b->next;
			}
		}
}

/* The configured list, or the built-in one. */
static struct tf_list *make_list(const char *text, const char *const *(*defaults)(size_t *))
{
	const char *const *builtin;
	struct tf_list *l = NULL;
	size_t n;

	if (text && *text && tf_list_parse(text, strlen(text), &l) == 0)
		return l;
	builtin = defaults(&n); /* n is set by this call: not in the same expression */
	return tf_list_new(builtin, n);
}

void posting_init(struct server *srv)
{
	crisis_list = make_list(srv->cfg.crisis_phrases, tf_default_crisis_phrases);
	profanity_list = make_list(srv->cfg.profanity, tf_default_profanity);
}

const struct tf_list *posting_crisis(void)
{
	return crisis_list;
}

const struct tf_list *posting_profanity(void)
{
	return profanity_list;
}

void posting_free(void)
{
	for (size_t i = 0; i < NBUCKETS; i++)
		while (buckets[i]) {
			struct bucket *b = buckets[i];

			buckets[i] = b->next;
			free(b);
		}
	tf_list_free(crisis_list);
	tf_list_free(profanity_list);
	crisis_list = profanity_list = NULL;
}
