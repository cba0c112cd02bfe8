/*
 * posting.h — what every place people write shares: one token bucket per
 * person (PROTOCOL.md §9: say, dm_send and announcements draw on the same
 * bucket), and the configured crisis and profanity lists.
 * Loop thread only (the lists are read-only once built and may be read
 * from any thread).
 */
#ifndef HEARTH_POSTING_H
#define HEARTH_POSTING_H

#include <stdint.h>

struct server;
struct tf_list;

/* Build the lists from [live] crisis_phrases / profanity (or the built-in ones). */
void posting_init(struct server *srv);
/* 1 and a token taken when user_id may post now; 0 when their bucket is empty. */
int posting_take(int64_t user_id);
/* Give back the token of a post that was refused after all (refusals change nothing). */
void posting_refund(int64_t user_id);
/* Forget full buckets (call now and then). */
void posting_prune(void);
const struct tf_list *posting_crisis(void);
const struct tf_list *posting_profanity(void);
void posting_free(void);

#endif
