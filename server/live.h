/*
 * live.h — live sessions over WebSocket: what ws.c (the transport),
 * room.c (rooms: presence, fan-out, moderation, time) and live_store.c
 * (their SQL) share. Everything here is loop-thread only, except the
 * job structs, which a store job reads and fills while it runs.
 *
 * Lifetimes:
 *   struct frame — one encoded server frame, refcounted: the room's ring
 *                  and each connection's own queue hold references.
 *   struct sess  — one per WebSocket connection: made at
 *                  LWS_CALLBACK_ESTABLISHED, freed at LWS_CALLBACK_CLOSED.
 *   struct room  — one per open session with someone in it (or recently):
 *                  made at the first join, freed after the session closed
 *                  and everyone was told.
 *   struct occupant — one per person in a room (all their connections).
 */
#ifndef HEARTH_LIVE_H
#define HEARTH_LIVE_H

#include <stdint.h>

#include "proto.h"
#include "store.h"

struct server;
struct lws;
struct lws_protocols;
struct room;

/* ---- frames ---- */

struct frame {
	int refs;
	int64_t seq;          /* a msg frame's seq, else 0 */
	int64_t exclude_user; /* not sent to this user's connections (presence, typing) */
	size_t len;
	char *buf; /* LWS_PRE bytes of headroom, then len bytes of JSON */
};

/* Encode; NULL if the encoder refused (logged). The frame starts with one reference. */
struct frame *frame_encode(const struct proto_out *o);
struct frame *frame_ref(struct frame *f);
void frame_unref(struct frame *f);

/* A connection's own FIFO of frames. */
struct fq_node {
	struct fq_node *next;
	struct frame *f;
};
struct frameq {
	struct fq_node *head, *tail;
	size_t len;
};

/* ---- connections ---- */

struct sess {
	struct lws *wsi;
	struct server *srv;
	struct sess *next_all, *prev_all; /* every connection of the server */
	int64_t user_id, auth_session_id;
	int role; /* enum acct_role */
	char name[200];
	char token_hash[65];
	char ip[64];
	int verified;      /* SQLite confirmed the log-in session; frames flow */
	int closing;       /* a close was asked for; nothing more is read */
	int close_code;
	char close_reason[64];
	int close_sent;    /* the close frame is out; waiting for the peer's reply */
	int bad_in_row;    /* codec refusals in a row (20 → close 1008) */
	char *rx;          /* fragments of the frame being received */
	size_t rx_len;
	int rx_overflow;   /* this frame passed the cap: drop it, answer frame_too_large */
	struct frameq q;   /* this connection's own frames, sent before the room's */
	int64_t last_touch_ms; /* last time the log-in session was marked active */
	int64_t last_rx_ms;    /* monotonic: the peer's last frame or pong (keep-alive) */
	int ping_due;          /* write a WebSocket ping at the next writable */
	int pinged;            /* pinged since the peer last sent anything */
	int dead_peer;         /* silent too long: lws was told to drop it */

	/* the room this connection follows (at most one) */
	struct room *room;
	struct sess *next_in_room;
	uint64_t tail;         /* next ring position to send */
	int replaying;         /* a resume is being read from SQLite */
	int64_t replay_next;   /* next seq to fetch */
	int64_t replay_upto;   /* last seq of the replay */
	int64_t skip_upto;     /* ring msg frames at or below this seq are not sent */
	int64_t removed_from;  /* a session this person was removed from (say → removed) */
	int jobs;              /* store jobs in flight that point at this sess */
	int dead;              /* lws closed it; freed when jobs reaches 0 */
};

/* Queue a frame (takes a reference) on one connection and ask for writable. */
void sess_send(struct sess *s, struct frame *f);
/* Encode and queue an error frame. */
void sess_error(struct sess *s, int code, const char *ref, const char *field);
/* Close with a code and reason (after what is queued is sent). */
void sess_close(struct sess *s, int code, const char *reason);
/* Ask lws for a writable callback. */
void sess_want_write(struct sess *s);

/* The server's connections, for account events (log-out closes sockets). */
struct sess *ws_first(void);
/* Encode o once and queue it on every verified connection of user_id; returns how many. */
int ws_send_user(int64_t user_id, const struct proto_out *o);

/*
 * Private conversations (conv.c) handle dm_send and dm_read frames from
 * verified connections; f is borrowed. Until a handler is installed with
 * ws_set_dm_handler(), those frames are answered not_found.
 */
typedef void (*ws_dm_handler)(struct sess *s, const struct proto_frame *f);
void ws_set_dm_handler(ws_dm_handler fn);

/* ---- rooms (room.c) ---- */

/* Handle a decoded session frame from a verified connection; f is borrowed. */
void room_frame(struct sess *s, const struct proto_frame *f);
/* The connection is gone (or left): update presence. */
void room_detach(struct sess *s, int leaving);
/* Ring access for the writer: the frame at position pos, or NULL; *culled when pos fell off. */
struct frame *room_ring_at(struct room *r, uint64_t pos, int *culled);
uint64_t room_ring_end(const struct room *r);
/* A connection's replay step finished: continue or end it. */
void room_replay_more(struct sess *s);
void room_tick(struct server *srv);
void room_shutdown(struct server *srv);
void room_free_all(void);
/* Rights changed for a user (role change, removal from a group): leave their rooms. */
void room_evict_user(int64_t user_id);
/* Close every connection following a room of group_id (its facilitators changed). */
void room_close_group(int64_t group_id, int code, const char *reason);

/* ---- the lws protocol (ws.c) ---- */

extern const struct lws_protocols ws_protocol;
void ws_init(struct server *srv);
void ws_tick(struct server *srv);
void ws_shutdown(struct server *srv);
void ws_free(struct server *srv);
/* A store job pointing at s finished: 1 if s is gone (freed now), else 0. */
int sess_job_done(struct sess *s);

/*
 * Called on the loop thread once a session's close has committed (ended by
 * its facilitator, at its scheduled end, or found past its end after a
 * restart) — e.g. to seal its transcript.
 */
typedef void (*live_closed_fn)(struct server *srv, int64_t session_id);
void live_on_closed(live_closed_fn fn);

/* ---- HTTP routes of live sessions (room.c) ---- */
void live_http_init(struct server *srv);

#endif
