/*
 * server.h — the process: one libuv loop, the libwebsockets context on it,
 * the store, the configuration and the counters.
 *
 * One `struct server` per process, created by main() for `hearth serve`.
 * Every field is owned by the loop thread except where noted; the store
 * thread only ever sees its own jobs' arguments.
 */
#ifndef HEARTH_SERVER_H
#define HEARTH_SERVER_H

#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "metrics.h"
#include "pool.h"
#include "store.h"

struct lws;
struct lws_context;
struct lws_vhost;
struct assets;

struct server {
	uv_loop_t loop;
	struct config cfg;
	struct store *store;
	struct lws_context *lws; /* NULLed by lws itself once fully destroyed */
	struct lws_vhost *vhost;
	struct assets *assets; /* the web client, loaded into memory at start */
	struct metrics metrics;
	struct pool hash_pool; /* password hashing, [accounts] hash_concurrency at once */
	int port;          /* the port actually listened on */
	char **origins;    /* allowed Origin values, NULL-terminated */
	char **proxies;    /* [server] trusted_proxies, NULL-terminated */
	int64_t started_ms;
	char *metrics_token; /* [server] metrics_token_file's secret, or NULL */

	uv_signal_t sigint, sigterm;
	uv_timer_t tick;   /* 1 Hz housekeeping; also watches shutdown progress */
	int stopping;      /* 1 once a signal asked us to stop */
	int exit_code;
	int store_stopped; /* store_stop completed */
	int destroy_ticks; /* shutdown ticks spent waiting for lws */
};

/*
 * Start serving: open the data folder and database, load the web client,
 * create the lws context on the loop. Returns 0, or prints a clear message
 * to stderr and returns the process exit status (1 or 2).
 */
int server_init(struct server *srv);
/* Run the loop until a signal has stopped everything; returns the exit status. */
int server_run(struct server *srv);
/* Free what server_init made (after server_run returned). */
void server_free(struct server *srv);

/*
 * The client's address: the peer's, or — when the peer is one of
 * [server] trusted_proxies — the nearest address in X-Forwarded-For that
 * is not itself a trusted proxy (a client can put anything at the left of
 * that header; only what our proxies appended is believed). Per-address
 * limits, log-in lockouts and audit rows use this.
 */
void server_client_ip(const struct server *srv, struct lws *wsi, char *out, size_t outlen);

/* 1 when origin (len bytes) exactly equals one of the allowed Origins. */
int server_origin_allowed(const struct server *srv, const char *origin, size_t len);

#endif
