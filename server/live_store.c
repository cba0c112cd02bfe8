/*
 * live_store.c — SQL of live sessions (see live_store.h).
 *
 * seq is assigned here, on the store thread, inside the transaction that
 * stores the message (UPDATE sessions SET last_seq = last_seq + 1 …
 * RETURNING): if a batch fails to commit, its seqs are rolled back with
 * it and the next batch hands out the same numbers again, so there is
 * never a gap.
 */
#include "live_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "clock.h"
#include "groups.h"
#include "proto.h"
#include "schedule.h"
#include "util.h"

#define DOORS_MS (10 * 60 * 1000)
#define DUPLICATE_MS (10 * 60 * 1000)
#define EXTEND_MAX_MIN 15

static int step_done(struct store_tx *tx, sqlite3_stmt *st, const char *what)
{
	int rc = store_check(tx, sqlite3_step(st), what);

	sqlite3_reset(st);
	return rc;
}

static int add_event(struct store_tx *tx, int64_t session, const char *kind, int64_t actor,
		     int64_t user, int64_t seq, int minutes)
{
	sqlite3_stmt *st = store_stmt(tx, "INSERT INTO session_events (session_id, ts, kind,"
					  " actor_id, user_id, seq, minutes)"
					  " VALUES (?, ?, ?, ?, ?, ?, ?)");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, session);
	sqlite3_bind_int64(st, 2, clock_now_ms());
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	if (actor)
		sqlite3_bind_int64(st, 4, actor);
	if (user)
		sqlite3_bind_int64(st, 5, user);
	if (seq)
		sqlite3_bind_int64(st, 6, seq);
	if (minutes)
		sqlite3_bind_int(st, 7, minutes);
	return step_done(tx, st, "session_event");
}

static int state_of(const char *s)
{
	return !strcmp(s, "open") ? LJ_OPEN : !strcmp(s, "closed") ? LJ_CLOSED : LJ_SCHEDULED;
}

/* A member's check-in score on joining this session, or -1 if none yet. */
static int join_score(struct store_tx *tx, int64_t session, int64_t user, int *score)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT score FROM checkins WHERE session_id = ?"
					  " AND user_id = ? AND phase = 'join'");

	*score = -1;
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, session);
	sqlite3_bind_int64(st, 2, user);
	if (sqlite3_step(st) == SQLITE_ROW)
		*score = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return 0;
}

/* ---- join ---- */

/* The room's standing from session_events: who is muted or removed, and a pause. */
static int load_standing(struct store_tx *tx, struct lj_join *j)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT kind, coalesce(user_id, 0) FROM session_events"
					  " WHERE session_id = ? ORDER BY id");
	size_t cap_m = 0, cap_r = 0;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->session_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		int64_t u = sqlite3_column_int64(st, 1);

		if (!strcmp(k, "pause") || !strcmp(k, "resume_room")) {
			j->paused = k[0] == 'p';
		} else if (!strcmp(k, "mute")) {
			if (j->nmuted == cap_m) {
				cap_m = cap_m ? cap_m * 2 : 8;
				j->muted_users = xrealloc(j->muted_users, cap_m * sizeof(int64_t));
			}
			j->muted_users[j->nmuted++] = u;
		} else if (!strcmp(k, "unmute")) {
			for (size_t i = 0; i < j->nmuted; i++)
				if (j->muted_users[i] == u)
					j->muted_users[i--] = j->muted_users[--j->nmuted];
		} else if (!strcmp(k, "remove")) {
			if (j->nremoved == cap_r) {
				cap_r = cap_r ? cap_r * 2 : 8;
				j->removed_users = xrealloc(j->removed_users, cap_r * sizeof(int64_t));
			}
			j->removed_users[j->nremoved++] = u;
		}
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < j->nmuted; i++)
		j->muted |= j->muted_users[i] == j->user_id;
	for (size_t i = 0; i < j->nremoved; i++)
		j->removed |= j->removed_users[i] == j->user_id;
	return 0;
}

static int load_turns(struct store_tx *tx, struct lj_join *j)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT author_id, count(*) FROM messages"
					  " WHERE session_id = ? AND kind = 'message'"
					  " GROUP BY author_id");
	size_t cap = 0;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->session_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (j->nturns == cap) {
			cap = cap ? cap * 2 : 16;
			j->turns = xrealloc(j->turns, cap * sizeof *j->turns);
		}
		j->turns[j->nturns].user = sqlite3_column_int64(st, 0);
		j->turns[j->nturns++].n = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return 0;
}

int lj_join_fn(struct store_tx *tx, void *arg)
{
	struct lj_join *j = arg;
	int64_t now = clock_now_ms();
	sqlite3_stmt *st;
	int state, rc;

	j->join_score = -1;
	st = store_stmt(tx, "SELECT group_id, state, starts_at, ends_at, extended_min, last_seq"
			    " FROM sessions WHERE id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->session_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		j->err = PROTO_ENOT_FOUND;
		return 0;
	}
	j->group_id = sqlite3_column_int64(st, 0);
	state = state_of((const char *)sqlite3_column_text(st, 1));
	j->starts_at = sqlite3_column_int64(st, 2);
	j->ends_at = sqlite3_column_int64(st, 3);
	j->extended_min = sqlite3_column_int(st, 4);
	j->last_seq = sqlite3_column_int64(st, 5);
	sqlite3_reset(st);

	rc = groups_access(tx, j->group_id, j->user_id, now, &j->access);
	if (rc == STORE_ENOTFOUND || (rc == 0 && j->access == GROUP_NONE)) {
		/* never belonging answers like nothing being there */
		j->err = rc == 0 && groups_ever_member(tx, j->group_id, j->user_id) ? PROTO_ENOT_MEMBER
									    : PROTO_ENOT_FOUND;
		return 0;
	}
	if (rc)
		return rc;
	if (state == LJ_CLOSED || (state == LJ_SCHEDULED && now >= j->ends_at)) {
		j->err = PROTO_ECLOSED;
		return 0;
	}
	if (state == LJ_SCHEDULED) {
		if (now < j->starts_at - DOORS_MS) {
			j->err = PROTO_ESESSION_NOT_OPEN;
			return 0;
		}
		/* the doors have opened: the first to arrive opens the session */
		st = store_stmt(tx, "UPDATE sessions SET state = 'open', opened_at = ?"
				    " WHERE id = ? AND state = 'scheduled'");
		if (!st)
			return STORE_EIO;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, j->session_id);
		if ((rc = step_done(tx, st, "open_session")))
			return rc;
	}
	rc = groups_get_slot(tx, j->group_id, NULL, NULL, 0, &j->capacity, &j->checkins);
	if (rc)
		return rc;
	if ((rc = load_standing(tx, j)) || (rc = load_turns(tx, j)))
		return rc;
	if (j->removed) {
		j->err = PROTO_EREMOVED;
		return 0;
	}
	return join_score(tx, j->session_id, j->user_id, &j->join_score);
}

void lj_join_clear(struct lj_join *j)
{
	free(j->turns);
	free(j->muted_users);
	free(j->removed_users);
	j->turns = NULL;
	j->muted_users = j->removed_users = NULL;
	j->nturns = j->nmuted = j->nremoved = 0;
}

/* ---- say ---- */

int lj_say_fn(struct store_tx *tx, void *arg)
{
	struct lj_say *j = arg;
	int64_t now = clock_now_ms();
	sqlite3_stmt *st;
	int rc;

	st = store_stmt(tx, "SELECT state FROM sessions WHERE id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->session_id);
	rc = sqlite3_step(st) == SQLITE_ROW &&
	     state_of((const char *)sqlite3_column_text(st, 0)) == LJ_OPEN;
	sqlite3_reset(st);
	if (!rc) {
		j->err = PROTO_ECLOSED;
		return 0;
	}
	/* the same client_id again: stored once, answered with the first seq */
	st = store_stmt(tx, "SELECT seq, ts FROM messages WHERE session_id = ? AND author_id = ?"
			    " AND client_id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->session_id);
	sqlite3_bind_int64(st, 2, j->author_id);
	sqlite3_bind_text(st, 3, j->client_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		j->seq = sqlite3_column_int64(st, 0);
		j->ts = sqlite3_column_int64(st, 1);
		j->dup = 1;
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	/* the same words again under a new client_id within ten minutes */
	st = store_stmt(tx, "SELECT 1 FROM messages WHERE session_id = ? AND author_id = ?"
			    " AND text = ? AND ts > ? LIMIT 1");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->session_id);
	sqlite3_bind_int64(st, 2, j->author_id);
	sqlite3_bind_text(st, 3, j->text, (int)j->len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now - DUPLICATE_MS);
	rc = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (rc) {
		j->err = PROTO_EDUPLICATE;
		return 0;
	}
	st = store_stmt(tx, "UPDATE sessions SET last_seq = last_seq + 1 WHERE id = ?"
			    " RETURNING last_seq");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->session_id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return store_check(tx, rc, "next_seq");
	}
	j->seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = store_stmt(tx, "INSERT INTO messages (session_id, seq, author_id, kind, text,"
			    " client_id, ts) VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return STORE_EIO;
	j->ts = now;
	sqlite3_bind_int64(st, 1, j->session_id);
	sqlite3_bind_int64(st, 2, j->seq);
	sqlite3_bind_int64(st, 3, j->author_id);
	sqlite3_bind_text(st, 4, j->announcement ? "announcement" : "message", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, j->text, (int)j->len, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, j->client_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now);
	if ((rc = step_done(tx, st, "insert_message")))
		return rc;
	if (j->crisis) {
		char detail[64];

		snprintf(detail, sizeof detail, "{\"seq\":%lld}", (long long)j->seq);
		rc = audit_append(tx, j->author_id, "crisis_alert", "session", j->session_id,
				  detail);
	}
	return rc;
}

/* ---- resume ---- */

int lj_history_fn(struct store_tx *tx, void *arg)
{
	struct lj_history *h = arg;
	sqlite3_stmt *st = store_stmt(tx, "SELECT m.seq, m.author_id, " ACCT_NAME_SQL("u") ","
					  " m.kind, m.text, m.ts, m.client_id,"
					  " m.redacted_at IS NOT NULL, m.highlighted"
					  " FROM messages m JOIN users u ON u.id = m.author_id"
					  " WHERE m.session_id = ? AND m.seq BETWEEN ? AND ?"
					  " ORDER BY m.seq LIMIT ?");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, h->session_id);
	sqlite3_bind_int64(st, 2, h->from);
	sqlite3_bind_int64(st, 3, h->to);
	sqlite3_bind_int(st, 4, h->limit);
	h->v = xcalloc((size_t)h->limit, sizeof *h->v);
	while (h->n < (size_t)h->limit && sqlite3_step(st) == SQLITE_ROW) {
		struct lj_msg *m = &h->v[h->n++];
		const char *name = (const char *)sqlite3_column_text(st, 2);
		const char *text = (const char *)sqlite3_column_text(st, 4);

		m->seq = sqlite3_column_int64(st, 0);
		m->author_id = sqlite3_column_int64(st, 1);
		m->author_name = xstrdup(name ? name : "");
		m->announcement = !strcmp((const char *)sqlite3_column_text(st, 3), "announcement");
		m->text = text ? xstrdup(text) : NULL;
		m->ts = sqlite3_column_int64(st, 5);
		m->client_id = xstrdup((const char *)sqlite3_column_text(st, 6));
		m->redacted = sqlite3_column_int(st, 7);
		m->highlighted = sqlite3_column_int(st, 8);
	}
	sqlite3_reset(st);
	return 0;
}

void lj_history_clear(struct lj_history *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].author_name);
		free(h->v[i].text);
		free(h->v[i].client_id);
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

/* ---- moderation ---- */

static int mod_message(struct store_tx *tx, struct lj_mod *j, int redact)
{
	sqlite3_stmt *st;
	int rc;

	if (redact)
		st = store_stmt(tx, "UPDATE messages SET text = NULL, redacted_at = ?1,"
				    " redacted_by = ?2 WHERE session_id = ?3 AND seq = ?4");
	else
		st = store_stmt(tx, "UPDATE messages SET highlighted = 1 WHERE session_id = ?3"
				    " AND seq = ?4 AND ?1 > 0 AND ?2 > 0");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, clock_now_ms());
	sqlite3_bind_int64(st, 2, j->actor_id);
	sqlite3_bind_int64(st, 3, j->session_id);
	sqlite3_bind_int64(st, 4, j->seq);
	if ((rc = step_done(tx, st, "mod_message")))
		return rc;
	if (sqlite3_changes(store_db(tx)) == 0) {
		j->err = PROTO_ENOT_FOUND;
		return 0;
	}
	return 0;
}

static int mod_extend(struct store_tx *tx, struct lj_mod *j)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT extended_min FROM sessions WHERE id = ?");
	int used, grant;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->session_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return STORE_EIO;
	}
	used = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	grant = EXTEND_MAX_MIN - used;
	if (grant <= 0) {
		j->err = PROTO_EBAD_FIELD;
		return 0;
	}
	if (j->minutes < grant)
		grant = j->minutes;
	st = store_stmt(tx, "UPDATE sessions SET ends_at = ends_at + ?, extended_min ="
			    " extended_min + ? WHERE id = ? RETURNING ends_at");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, (int64_t)grant * 60000);
	sqlite3_bind_int(st, 2, grant);
	sqlite3_bind_int64(st, 3, j->session_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return STORE_EIO;
	}
	j->ends_at = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	j->applied_minutes = grant;
	return 0;
}

int lj_mod_fn(struct store_tx *tx, void *arg)
{
	struct lj_mod *j = arg;
	const char *name = proto_mod_action_name((enum proto_mod_action)j->action);
	char detail[96];
	int rc = 0;

	switch (j->action) {
	case PROTO_MOD_REDACT:
	case PROTO_MOD_HIGHLIGHT:
		rc = mod_message(tx, j, j->action == PROTO_MOD_REDACT);
		break;
	case PROTO_MOD_EXTEND:
		rc = mod_extend(tx, j);
		break;
	default:
		break;
	}
	if (rc || j->err)
		return rc;
	rc = add_event(tx, j->session_id, name, j->actor_id, j->user, j->seq,
		       j->applied_minutes);
	if (rc)
		return rc;
	snprintf(detail, sizeof detail, "{\"action\":\"%s\",\"user\":%lld,\"seq\":%lld}", name,
		 (long long)j->user, (long long)j->seq);
	return audit_append(tx, j->actor_id, "live_moderation", "session", j->session_id, detail);
}

/* ---- closing, attendance, check-ins ---- */

int lj_close_fn(struct store_tx *tx, void *arg)
{
	struct lj_close *j = arg;
	int64_t now = clock_now_ms();
	sqlite3_stmt *st;
	int rc;

	st = store_stmt(tx, "UPDATE sessions SET state = 'closed', closed_at = ?, closed_by = ?"
			    " WHERE id = ? AND state != 'closed'");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, now);
	if (j->by)
		sqlite3_bind_int64(st, 2, j->by);
	sqlite3_bind_int64(st, 3, j->session_id);
	if ((rc = step_done(tx, st, "close_session")))
		return rc;
	st = store_stmt(tx, "UPDATE attendance SET left_at = ? WHERE session_id = ?"
			    " AND left_at IS NULL");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, j->session_id);
	if ((rc = step_done(tx, st, "close_attendance")))
		return rc;
	return audit_append(tx, j->by, "session_closed", "session", j->session_id, NULL);
}

int lj_attend_fn(struct store_tx *tx, void *arg)
{
	struct lj_attend *j = arg;
	sqlite3_stmt *st;

	if (j->join)
		st = store_stmt(tx, "INSERT INTO attendance (session_id, user_id, joined_at)"
				    " VALUES (?1, ?2, ?3)");
	else
		st = store_stmt(tx, "UPDATE attendance SET left_at = ?3 WHERE session_id = ?1"
				    " AND user_id = ?2 AND left_at IS NULL");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->session_id);
	sqlite3_bind_int64(st, 2, j->user_id);
	sqlite3_bind_int64(st, 3, clock_now_ms());
	return step_done(tx, st, "attendance");
}

int lj_checkin_fn(struct store_tx *tx, void *arg)
{
	struct lj_checkin *j = arg;
	sqlite3_stmt *st;
	int rc;

	st = store_stmt(tx, "INSERT OR REPLACE INTO checkins (session_id, user_id, phase, score,"
			    " ts) VALUES (?, ?, ?, ?, ?)");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->session_id);
	sqlite3_bind_int64(st, 2, j->user_id);
	sqlite3_bind_text(st, 3, j->phase ? "close" : "join", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, j->score);
	sqlite3_bind_int64(st, 5, clock_now_ms());
	if ((rc = step_done(tx, st, "checkin")))
		return rc;
	if ((rc = join_score(tx, j->session_id, j->user_id, &j->join_score)))
		return rc;
	j->dropped = j->phase == PROTO_PHASE_CLOSE && j->join_score >= 0 &&
		     j->join_score - j->score >= j->drop;
	/* every alert is in the audit log (the alert history reads it back);
	 * the scores themselves are health data and stay out of it */
	return j->dropped ? audit_append(tx, j->user_id, "checkin_drop", "session", j->session_id,
					 NULL)
			  : 0;
}

int lj_stale_fn(struct store_tx *tx, void *arg)
{
	struct lj_stale *j = arg;
	sqlite3_stmt *st = store_stmt(tx, "SELECT id FROM sessions WHERE state = 'open'"
					  " AND ends_at <= ? ORDER BY ends_at LIMIT 64");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->now);
	while (j->n < 64 && sqlite3_step(st) == SQLITE_ROW)
		j->ids[j->n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int lj_plan_fn(struct store_tx *tx, void *arg)
{
	struct lj_plan *j = arg;
	sqlite3_stmt *st = store_stmt(tx, "SELECT id FROM groups");
	int64_t ids[256];
	size_t n = 0;
	int rc = 0;

	if (!st)
		return STORE_EIO;
	while (n < ARRAY_LEN(ids) && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct sched_slot slot;
		struct sched_occurrence o;

		if (groups_get_slot(tx, ids[i], &slot, NULL, 0, NULL, NULL) ||
		    sched_next(&slot, j->now, &o))
			continue; /* no usable schedule: nothing to plan */
		st = store_stmt(tx, "INSERT OR IGNORE INTO sessions (group_id, starts_at, ends_at)"
				    " VALUES (?, ?, ?)");
		if (!st)
			return STORE_EIO;
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, o.start_ms);
		sqlite3_bind_int64(st, 3, o.end_ms);
		rc = step_done(tx, st, "plan_session");
		j->made += sqlite3_changes(store_db(tx)) > 0;
	}
	return rc;
}
