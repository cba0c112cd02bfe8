/*
 * live_store.h — the store jobs of live sessions: their inputs and
 * outputs. Each *_fn runs on the store thread and touches only its job
 * struct; `err` is 0 or a proto_err to send to the client (a refusal
 * leaves the database unchanged).
 */
#ifndef HEARTH_LIVE_STORE_H
#define HEARTH_LIVE_STORE_H

#include <stdint.h>

#include "store.h"

enum lj_state { LJ_SCHEDULED = 0, LJ_OPEN = 1, LJ_CLOSED = 2 };

struct lj_turn {
	int64_t user;
	int64_t n;
};

/* join: may this user enter this session now? Also the room's starting state. */
struct lj_join {
	int64_t session_id, user_id;
	int err;
	int64_t group_id, starts_at, ends_at, last_seq;
	int access; /* enum group_access */
	int extended_min, capacity, checkins;
	int removed, muted, paused;  /* this user's standing; the room's pause */
	struct lj_turn *turns;       /* owned; messages per author so far */
	size_t nturns;
	int64_t *muted_users;        /* owned */
	size_t nmuted;
	int64_t *removed_users;      /* owned */
	size_t nremoved;
	int join_score;              /* this user's join check-in, -1 if none */
};
int lj_join_fn(struct store_tx *tx, void *arg);
/* Free what the job filled in (not j itself). */
void lj_join_clear(struct lj_join *j);

/* say and announce: store a message with the next seq, once per client_id. */
struct lj_say {
	int64_t session_id, author_id;
	char client_id[65];
	char *text; /* owned */
	size_t len;
	int announcement;
	int crisis; /* a crisis phrase matched: audit it with the message */
	int err;
	int64_t seq, ts;
	int dup; /* the client_id was already stored: seq is the original */
};
int lj_say_fn(struct store_tx *tx, void *arg);

/* resume: a slice of stored messages. */
struct lj_msg {
	int64_t seq, author_id, ts;
	char *author_name, *text, *client_id; /* owned; text NULL when redacted */
	int announcement, redacted, highlighted;
};
struct lj_history {
	int64_t session_id, from, to; /* seq range, inclusive */
	int limit;
	struct lj_msg *v; /* owned */
	size_t n;
};
int lj_history_fn(struct store_tx *tx, void *arg);
/* Free what the job filled in (not h itself). */
void lj_history_clear(struct lj_history *h);

/* mod: one facilitator action (the proto action numbers). */
struct lj_mod {
	int64_t session_id, actor_id;
	int action;
	int64_t user, seq;
	int minutes;
	int err;
	int64_t ends_at;     /* extend: the new end */
	int applied_minutes; /* extend: what was granted */
};
int lj_mod_fn(struct store_tx *tx, void *arg);

/* close a session: state, end time, open attendance rows. */
struct lj_close {
	int64_t session_id, by;
};
int lj_close_fn(struct store_tx *tx, void *arg);

/* attendance: open (join) or close (left) a stay. */
struct lj_attend {
	int64_t session_id, user_id;
	int join;
};
int lj_attend_fn(struct store_tx *tx, void *arg);

/* check-in score; reports the join score for the drop rule. */
struct lj_checkin {
	int64_t session_id, user_id;
	int phase, score; /* phase: 0 join, 1 close */
	int drop;         /* [live] checkin_drop: a fall this big is an alert */
	int join_score;   /* out: -1 if none */
	int dropped;      /* out: the alert was raised (and audit-logged) */
};
int lj_checkin_fn(struct store_tx *tx, void *arg);

/* Sessions still open past their end with nobody in a room (after a restart). */
struct lj_stale {
	int64_t now;
	int64_t ids[64];
	size_t n;
};
int lj_stale_fn(struct store_tx *tx, void *arg);

/* Make rows for every group's next occurrence (so upcoming sessions have ids). */
struct lj_plan {
	int64_t now;
	int made;
};
int lj_plan_fn(struct store_tx *tx, void *arg);

#endif
