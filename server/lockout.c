/*
 * lockout.c — see lockout.h. A chained hash table of small entries; an
 * entry lives while its window or its lock is current.
 */
#include "lockout.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "util.h"

#define BUCKETS 1024
#define BASE_DELAY_MS 30000
#define MAX_DELAY_MS (15 * 60 * 1000)

struct entry {
	struct entry *next;
	char *key;
	int64_t window_start, locked_until;
	int count, level;
};

struct lockout {
	struct entry *b[BUCKETS];
	int max;
	int64_t window_ms;
};

static size_t hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % BUCKETS;
}

struct lockout *lockout_new(int max, int64_t window_ms)
{
	struct lockout *l = xcalloc(1, sizeof *l);

	l->max = max;
	l->window_ms = window_ms;
	return l;
}

static void entry_free(struct entry *e)
{
	free(e->key);
	free(e);
}

void lockout_free(struct lockout *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct entry *e = l->b[i], *n; e; e = n) {
			n = e->next;
			entry_free(e);
		}
	free(l);
}

static struct entry *find(struct lockout *l, const char *key, int create)
{
	size_t h = hash(key);
	struct entry *e;

	for (e = l->b[h]; e; e = e->next)
		if (!strcmp(e->key, key))
			return e;
	if (!create)
		return NULL;
	e = xcalloc(1, sizeof *e);
	e->key = xstrdup(key);
	e->next = l->b[h];
	l->b[h] = e;
	return e;
}

int64_t lockout_wait_ms(struct lockout *l, const char *key)
{
	struct entry *e = find(l, key, 0);
	int64_t now = clock_now_ms();

	return e && e->locked_until > now ? e->locked_until - now : 0;
}

void lockout_fail(struct lockout *l, const char *key)
{
	struct entry *e = find(l, key, 1);
	int64_t now = clock_now_ms(), delay;

	if (now - e->window_start > l->window_ms) {
		e->window_start = now;
		e->count = 0;
		if (e->locked_until < now - l->window_ms)
			e->level = 0; /* a quiet window forgives earlier locks */
	}
	if (++e->count < l->max)
		return;
	delay = (int64_t)BASE_DELAY_MS << (e->level < 5 ? e->level : 5);
	if (delay > MAX_DELAY_MS)
		delay = MAX_DELAY_MS;
	e->level++;
	e->locked_until = now + delay;
}

void lockout_clear(struct lockout *l, const char *key)
{
	size_t h = hash(key);

	for (struct entry **pe = &l->b[h]; *pe; pe = &(*pe)->next)
		if (!strcmp((*pe)->key, key)) {
			struct entry *e = *pe;

			*pe = e->next;
			entry_free(e);
			return;
		}
}

void lockout_prune(struct lockout *l)
{
	int64_t now = clock_now_ms();

	for (size_t i = 0; i < BUCKETS; i++)
		for (struct entry **pe = &l->b[i]; *pe;) {
			struct entry *e = *pe;

			if (now - e->window_start > l->window_ms &&
			    e->locked_until < now - l->window_ms) {
				*pe = e->next;
				entry_free(e);
			} else {
				pe = &e->next;
			}
		}
}
