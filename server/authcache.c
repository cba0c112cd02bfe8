/*
 * authcache.c — see authcache.h. A chained hash table keyed by the token
 * hash's first 64 bits; removals by user or session scan the table (they
 * are rare: log-outs and rights changes).
 */
#include "authcache.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store.h"
#include "util.h"

#define BUCKETS 4096

struct entry {
	struct entry *next;
	char hash[65];
	int64_t user_id, session_id;
};

static struct entry *table[BUCKETS];

static size_t bucket(const char *hash)
{
	uint64_t h = 0;

	for (int i = 0; i < 16 && hash[i]; i++)
		h = h * 16 + (uint64_t)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
	return h % BUCKETS;
}

void authcache_add(const char *token_hash, int64_t user_id, int64_t session_id)
{
	size_t b = bucket(token_hash);
	struct entry *e;

	for (e = table[b]; e; e = e->next)
		if (!strcmp(e->hash, token_hash))
			return;
	e = xcalloc(1, sizeof *e);
	snprintf(e->hash, sizeof e->hash, "%s", token_hash);
	e->user_id = user_id;
	e->session_id = session_id;
	e->next = table[b];
	table[b] = e;
}

int authcache_get(const char *token_hash, int64_t *user_id, int64_t *session_id)
{
	for (struct entry *e = table[bucket(token_hash)]; e; e = e->next)
		if (!strcmp(e->hash, token_hash)) {
			*user_id = e->user_id;
			*session_id = e->session_id;
			return 1;
		}
	return 0;
}

/* Remove every entry for which drop(e) is true. */
static void sweep(int (*drop)(const struct entry *, int64_t, int64_t), int64_t a, int64_t b)
{
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct entry **pe = &table[i]; *pe;) {
			struct entry *e = *pe;

			if (drop(e, a, b)) {
				*pe = e->next;
				free(e);
			} else {
				pe = &e->next;
			}
		}
}

static int is_session(const struct entry *e, int64_t sid, int64_t unused)
{
	(void)unused;
	return e->session_id == sid;
}

static int is_user_but(const struct entry *e, int64_t uid, int64_t keep)
{
	return e->user_id == uid && e->session_id != keep;
}

static int always(const struct entry *e, int64_t a, int64_t b)
{
	(void)e;
	(void)a;
	(void)b;
	return 1;
}

void authcache_drop_session(int64_t session_id)
{
	sweep(is_session, session_id, 0);
}

void authcache_drop_user(int64_t user_id, int64_t keep_session)
{
	sweep(is_user_but, user_id, keep_session);
}

void authcache_free(void)
{
	sweep(always, 0, 0);
}

static int load_fn(struct store_tx *tx, void *arg)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT token_hash, user_id, id FROM auth_sessions"
					  " WHERE expires_at > ?");

	(void)arg;
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, clock_now_ms());
	while (sqlite3_step(st) == SQLITE_ROW)
		authcache_add((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
			      sqlite3_column_int64(st, 2));
	sqlite3_reset(st);
	return 0;
}

int authcache_load(struct store *st)
{
	return store_run(st, load_fn, NULL);
}
