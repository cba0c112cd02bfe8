/*
 * authcache.h — which log-in tokens are live, in memory on the loop thread.
 *
 * A WebSocket upgrade must be accepted or refused inside one lws callback,
 * which cannot wait for the store thread. So the loop keeps the set of
 * live token hashes: loaded from auth_sessions at start-up (before the
 * loop runs), added to at log-in and at every authenticated request,
 * removed from at log-out, password change, role change and erasure.
 * The cache only decides the upgrade; the socket then confirms the
 * session against SQLite before it sends its first frame, so a session
 * ended by another process (the CLI) is still caught.
 */
#ifndef HEARTH_AUTHCACHE_H
#define HEARTH_AUTHCACHE_H

#include <stdint.h>

struct store;

/* Load every unexpired session; 0 or a store error. Before the loop runs. */
int authcache_load(struct store *st);
void authcache_add(const char *token_hash, int64_t user_id, int64_t session_id);
/* 1 with *user_id and *session_id when token_hash is live. */
int authcache_get(const char *token_hash, int64_t *user_id, int64_t *session_id);
void authcache_drop_session(int64_t session_id);
/* Drop every session of user_id except keep_session (0: none kept). */
void authcache_drop_user(int64_t user_id, int64_t keep_session);
void authcache_free(void);

#endif
