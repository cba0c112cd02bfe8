/*
 * posting.c — the shared posting bucket and safety lists (see posting.h).
 */
#include "posting.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ratelimit.h"
#include "server.h"
#include "textfilter.h"
#include "util.h"

/* say, dm_send and announcements: [live] rate_burst, refilled at rate_per_min */
static struct ratelimit live_rl;
static struct tf_list *crisis_list, *profanity_list;

int posting_take(int64_t user_id)
{
	return rl_take(&live_rl, user_id, clock_mono_ms()) == 0;
}

void posting_refund(int64_t user_id)
{
	rl_refund(&live_rl, user_id);
}

void posting_prune(void)
{
	rl_prune(&live_rl, clock_mono_ms());
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
	rl_init(&live_rl, srv->cfg.rate_burst, srv->cfg.rate_per_min);
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
	rl_free(&live_rl);
	tf_list_free(crisis_list);
	tf_list_free(profanity_list);
	crisis_list = profanity_list = NULL;
}
