/*
 * metrics.h — counters for GET /metrics (Prometheus text format).
 * One struct metrics inside struct server; loop thread only (the store
 * keeps its own counters as atomics and is read at render time).
 */
#ifndef HEARTH_METRICS_H
#define HEARTH_METRICS_H

#include <stdint.h>

#include "util.h"

struct store;

struct metrics {
	int64_t http_open;          /* HTTP connections open now */
	int64_t ws_open;            /* WebSocket connections open now */
	uint64_t http_requests[6];  /* by status class: [1]=1xx … [5]=5xx */
	uint64_t http_body_refused; /* bodies over the limit */
	uint64_t ws_frames_in, ws_frames_out, ws_bad_frames;
	uint64_t conns_refused_per_ip;
	/* outgoing mail (server/mail.c) */
	int64_t mail_queue_depth; /* rows waiting to be sent, as of the last look */
	uint64_t mail_sent;       /* delivered (SMTP accepted, or spooled) */
	uint64_t mail_failed;     /* attempts that failed (each is retried or given up) */
	uint64_t mail_gave_up;    /* rows abandoned after the last attempt */
	uint64_t mail_dropped;    /* rows dropped because the recipient was erased */
	/* live sessions (server/room.c) */
	uint64_t live_messages; /* live messages stored (committed and sent out) */
};

/*
 * Live rooms open now and the people in them with at least one live
 * connection (facilitators included). Implemented in room.c, which owns
 * the rooms; loop thread only.
 */
void room_counts(int *rooms, int *present);

/* Count one finished HTTP request by its status. */
void metrics_http_status(struct metrics *m, int status);

/* Append the Prometheus exposition of everything to b. */
void metrics_render(const struct metrics *m, const struct store *st, int64_t uptime_ms,
		    struct buf *b);

#endif
