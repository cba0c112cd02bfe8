/*
 * transcripts_store.c — the SQL of sealed transcripts (see transcripts_store.h):
 * building a model from a closed session's rows, sealing it once, the
 * reading rule, listing and search, re-sealing at erasure, verification.
 *
 * Who may read a transcript, and what the others are told. DESIGN.md:
 * "Transcripts of a session are readable by those who were members when
 * it took place", and objects of another group must answer exactly as
 * objects that do not exist. So:
 *   - readers: the group's current facilitators, and anyone whose
 *     membership of the group contains the session's opening (what
 *     groups_access() says at that instant) or began while it ran;
 *   - 403 not_member: people with a relation to the group who are not
 *     readers — members who joined after the session, former members of
 *     other periods — and managers, who see in listings that a transcript
 *     exists but never its words;
 *   - 404 not_found, the same answer as for a session that does not exist:
 *     everyone else (members of other groups, people with no group), so
 *     that ids cannot be probed for other groups' sessions.
 */
#include "transcripts_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acct.h"
#include "audit.h"
#include "clock.h"
#include "groups.h"
#include "log.h"
#include "schedule.h"
#include "tx.h"
#include "util.h"

#define SEQ_BITS 20 /* transcript_fts rowid = session_id << SEQ_BITS | seq */
#define SEQ_LIMIT (INT64_C(1) << SEQ_BITS)
#define SNIPPET_TOKENS "16" /* words of context around the matches */
/* the snippet's match markers: char(1) and char(2) in the SQL; fts_text() keeps them out */
#define MARK_OPEN "\x01"
#define MARK_CLOSE "\x02"

static int step_done(struct store_tx *tx, sqlite3_stmt *st, const char *what)
{
	int rc = store_check(tx, sqlite3_step(st), what);

	sqlite3_reset(st);
	return rc;
}

/* A copy of s cut to at most max bytes without splitting a UTF-8 character. */
static char *utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return xstrndup(s, n);
}

/* "YYYY-MM-DD" of t_ms at offset_min east of UTC. */
static void local_date(int64_t t_ms, int offset_min, char out[11])
{
	time_t s = (time_t)(t_ms / 1000 + (int64_t)offset_min * 60);
	struct tm tm;

	if (!gmtime_r(&s, &tm))
		memset(&tm, 0, sizeof tm);
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u);
}

/* ---- building ------------------------------------------------------------ */

/* Someone the transcript names, and whether they acted as a facilitator. */
struct who {
	int64_t id;
	int facilitator;
};

/* A system line waiting to be merged with the messages, in time order. */
struct ev {
	int64_t at, user, arg;
	enum tx_entry_type type;
	size_t order; /* insertion order: keeps equal times stable */
};

/* One per trs_build call; store thread. */
struct build {
	struct store_tx *tx;
	int64_t session_id, group_id;
	int64_t opened, closed, opened_by, closed_by, max_seq;
	struct tx_transcript *t;
	struct who *who;
	size_t n_who, cap_who;
	struct ev *ev;
	size_t n_ev, cap_ev;
	int err; /* first tx_* error */
};

static void note(struct build *b, int64_t id, int facilitator)
{
	if (id <= 0)
		return;
	for (size_t i = 0; i < b->n_who; i++)
		if (b->who[i].id == id) {
			b->who[i].facilitator |= facilitator;
			return;
		}
	if (b->n_who == b->cap_who) {
		b->cap_who = b->cap_who ? b->cap_who * 2 : 16;
		b->who = xrealloc(b->who, b->cap_who * sizeof *b->who);
	}
	b->who[b->n_who++] = (struct who){id, facilitator};
}

static void add_ev(struct build *b, enum tx_entry_type type, int64_t at, int64_t user, int64_t arg)
{
	if (b->n_ev == b->cap_ev) {
		b->cap_ev = b->cap_ev ? b->cap_ev * 2 : 32;
		b->ev = xrealloc(b->ev, b->cap_ev * sizeof *b->ev);
	}
	b->ev[b->n_ev] = (struct ev){at, user, arg, type, b->n_ev};
	b->n_ev++;
}

static void tx_ok(struct build *b, int rc)
{
	if (rc && !b->err)
		b->err = rc;
}

/*
 * The session and its group: times, name and zone. The scheduled end is
 * the slot's, without the extensions (they are entries of their own).
 */
static int load_session(struct build *b)
{
	sqlite3_stmt *st = store_stmt(
	    b->tx, "SELECT s.group_id, s.state, s.adhoc, s.starts_at, s.ends_at - s.extended_min"
		   " * 60000, coalesce(s.opened_at, s.starts_at), s.closed_at, s.opened_by,"
		   " s.closed_by, g.name, g.tz FROM sessions s JOIN groups g ON g.id = s.group_id"
		   " WHERE s.id = ?");
	const char *tz;
	char *name;
	int offset = 0;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, b->session_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return STORE_ENOTFOUND;
	}
	if (strcmp((const char *)sqlite3_column_text(st, 1), "closed")) {
		sqlite3_reset(st);
		return STORE_ECONFLICT;
	}
	b->group_id = sqlite3_column_int64(st, 0);
	b->t->session_id = b->session_id;
	if (!sqlite3_column_int(st, 2)) {
		b->t->scheduled_start_ms = sqlite3_column_int64(st, 3);
		b->t->scheduled_end_ms = sqlite3_column_int64(st, 4);
	}
	b->opened = sqlite3_column_int64(st, 5);
	b->closed = sqlite3_column_type(st, 6) == SQLITE_NULL ? clock_now_ms()
							      : sqlite3_column_int64(st, 6);
	if (b->closed < b->opened)
		b->closed = b->opened; /* a clock moved back; never a negative duration */
	b->t->opened_ms = b->opened;
	b->t->closed_ms = b->closed;
	b->opened_by = sqlite3_column_int64(st, 7);
	b->closed_by = sqlite3_column_int64(st, 8);
	/* the group's name as it is at the close, cut to what the format allows */
	name = utf8_cut((const char *)sqlite3_column_text(st, 9), TX_MAX_NAME_BYTES);
	tx_ok(b, tx_set_group(b->t, b->group_id, name));
	free(name);
	tz = (const char *)sqlite3_column_text(st, 10);
	if (sched_utc_offset_min(tz, b->opened, &offset))
		log_error("transcript_zone", "session=%lld tz=%s", (long long)b->session_id, tz);
	tx_ok(b, tx_set_zone(b->t, tz, offset));
	sqlite3_reset(st);
	return 0;
}

/* Everyone the transcript will name, and who acted as a facilitator. */
static int collect_people(struct build *b)
{
	sqlite3_stmt *st;

	st = store_stmt(b->tx, "SELECT f.user_id FROM group_facilitators f JOIN users u"
			       " ON u.id = f.user_id WHERE f.group_id = ?"
			       " AND u.role IN ('facilitator', 'manager') ORDER BY f.user_id");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, b->group_id);
	while (sqlite3_step(st) == SQLITE_ROW)
		note(b, sqlite3_column_int64(st, 0), 1);
	sqlite3_reset(st);
	note(b, b->opened_by, 1);
	note(b, b->closed_by, 1);
	st = store_stmt(b->tx,
			"SELECT user_id, 0 FROM attendance WHERE session_id = ?1"
			" UNION ALL SELECT author_id, kind = 'announcement' FROM messages"
			" WHERE session_id = ?1"
			" UNION ALL SELECT actor_id, 1 FROM session_events WHERE session_id = ?1"
			" AND kind IN ('highlight', 'remove', 'extend') AND actor_id IS NOT NULL"
			" UNION ALL SELECT user_id, 0 FROM session_events WHERE session_id = ?1"
			" AND kind = 'remove' AND user_id IS NOT NULL");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, b->session_id);
	while (sqlite3_step(st) == SQLITE_ROW)
		note(b, sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1));
	sqlite3_reset(st);
	return 0;
}

/* Add each noted person with their name now (NULL, i.e. "Former member", when erased). */
static int add_people(struct build *b)
{
	sqlite3_stmt *st = store_stmt(b->tx, "SELECT erased_at IS NOT NULL,"
					     " coalesce(nullif(display_name, ''), username)"
					     " FROM users WHERE id = ?");

	if (!st)
		return STORE_EIO;
	for (size_t i = 0; i < b->n_who && !b->err; i++) {
		char *name = NULL;

		sqlite3_bind_int64(st, 1, b->who[i].id);
		if (sqlite3_step(st) == SQLITE_ROW && !sqlite3_column_int(st, 0))
			name =
			    utf8_cut((const char *)sqlite3_column_text(st, 1), TX_MAX_NAME_BYTES);
		sqlite3_reset(st);
		tx_ok(b, tx_add_person(b->t, b->who[i].id,
				       b->who[i].facilitator ? TX_ROLE_FACILITATOR : TX_ROLE_MEMBER,
				       name && *name ? name : NULL));
		free(name);
	}
	return 0;
}

/*
 * Attendance: stays per person in order, overlapping ones merged (a
 * restart can leave a stay open while the person comes back), each
 * giving a joined line, and a left line unless it lasted to the close.
 */
static int load_attendance(struct build *b)
{
	sqlite3_stmt *st = store_stmt(b->tx, "SELECT user_id, joined_at, coalesce(left_at, ?2)"
					     " FROM attendance WHERE session_id = ?1"
					     " ORDER BY user_id, joined_at, id");
	int64_t user = 0, from = 0, to = 0;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, b->session_id);
	sqlite3_bind_int64(st, 2, b->closed);
	for (;;) {
		int row = sqlite3_step(st) == SQLITE_ROW;
		int64_t u = row ? sqlite3_column_int64(st, 0) : 0;
		int64_t f = row ? sqlite3_column_int64(st, 1) : 0;
		int64_t e = row ? sqlite3_column_int64(st, 2) : 0;

		if (row) {
			f = f < 1 ? 1 : f;
			e = e < f ? f : e;
		}
		if (user && row && u == user && f <= to) {
			to = e > to ? e : to;
			continue;
		}
		if (user) {
			tx_ok(b, tx_add_presence(b->t, user, from, to));
			add_ev(b, TX_ENTRY_JOINED, from, user, 0);
			if (to < b->closed)
				add_ev(b, TX_ENTRY_LEFT, to, user, 0);
		}
		if (!row)
			break;
		user = u, from = f, to = e;
	}
	sqlite3_reset(st);
	return 0;
}

/* Highlights, removals and extensions; other moderation is not part of the record. */
static int load_events(struct build *b)
{
	sqlite3_stmt *st = store_stmt(b->tx, "SELECT ts, kind, coalesce(actor_id, 0),"
					     " coalesce(user_id, 0), coalesce(seq, 0),"
					     " coalesce(minutes, 0) FROM session_events"
					     " WHERE session_id = ? ORDER BY id");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, b->session_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t at = sqlite3_column_int64(st, 0), actor = sqlite3_column_int64(st, 2);
		int64_t user = sqlite3_column_int64(st, 3), seq = sqlite3_column_int64(st, 4);
		int64_t minutes = sqlite3_column_int64(st, 5);
		const char *kind = (const char *)sqlite3_column_text(st, 1);

		if (at < 1)
			continue;
		if (!strcmp(kind, "highlight") && actor && seq >= 1 && seq <= b->max_seq)
			add_ev(b, TX_ENTRY_HIGHLIGHT, at, actor, seq);
		else if (!strcmp(kind, "remove") && user)
			add_ev(b, TX_ENTRY_REMOVED, at, user, 0);
		else if (!strcmp(kind, "extend") && actor && minutes >= 1 &&
			 minutes <= TX_MAX_EXTEND_MIN)
			add_ev(b, TX_ENTRY_EXTENDED, at, actor, minutes);
	}
	sqlite3_reset(st);
	return 0;
}

static int cmp_ev(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}

/*
 * The entries: "opened" first, then messages in seq order with the
 * system lines merged in by time (a line at the same instant as a message
 * goes first), then "closed". Messages keep seq order whatever their
 * timestamps say, because seq is the one order everybody saw.
 */
static int load_entries(struct build *b)
{
	sqlite3_stmt *st = store_stmt(b->tx, "SELECT seq, author_id, kind, text, ts, highlighted"
					     " FROM messages WHERE session_id = ? ORDER BY seq");
	size_t k = 0;

	if (!st)
		return STORE_EIO;
	if (b->n_ev)
		qsort(b->ev, b->n_ev, sizeof *b->ev, cmp_ev);
	tx_ok(b, tx_add_event(b->t, TX_ENTRY_OPENED, b->opened, b->opened_by, 0));
	sqlite3_bind_int64(st, 1, b->session_id);
	while (!b->err && sqlite3_step(st) == SQLITE_ROW) {
		int64_t at = sqlite3_column_int64(st, 4);
		const char *text = (const char *)sqlite3_column_text(st, 3);

		for (; k < b->n_ev && b->ev[k].at <= at; k++)
			tx_ok(b, tx_add_event(b->t, b->ev[k].type, b->ev[k].at, b->ev[k].user,
					      b->ev[k].arg));
		tx_ok(b, tx_add_message(
			     b->t, sqlite3_column_int64(st, 0), at < 1 ? 1 : at,
			     sqlite3_column_int64(st, 1), text, sqlite3_column_int(st, 5) != 0,
			     !strcmp((const char *)sqlite3_column_text(st, 2), "announcement")));
	}
	sqlite3_reset(st);
	for (; k < b->n_ev; k++)
		tx_ok(b,
		      tx_add_event(b->t, b->ev[k].type, b->ev[k].at, b->ev[k].user, b->ev[k].arg));
	tx_ok(b, tx_add_event(b->t, TX_ENTRY_CLOSED, b->closed, b->closed_by, 0));
	return 0;
}

static int load_max_seq(struct build *b)
{
	sqlite3_stmt *st = store_stmt(b->tx, "SELECT coalesce(max(seq), 0) FROM messages"
					     " WHERE session_id = ?");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, b->session_id);
	b->max_seq = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return 0;
}

int trs_build(struct store_tx *tx, int64_t session_id, struct tx_transcript **out)
{
	struct build b = {.tx = tx, .session_id = session_id};
	int rc;

	b.t = tx_transcript_new();
	if (!b.t)
		return STORE_EIO;
	rc = load_session(&b);
	if (!rc)
		rc = load_max_seq(&b);
	if (!rc)
		rc = collect_people(&b);
	if (!rc)
		rc = add_people(&b);
	if (!rc)
		rc = load_attendance(&b);
	if (!rc)
		rc = load_events(&b);
	if (!rc)
		rc = load_entries(&b);
	if (!rc && !b.err)
		b.err = tx_validate(b.t);
	if (!rc && b.err) {
		log_error("transcript_build_failed", "session=%lld err=\"%s\"",
			  (long long)session_id, tx_strerror(b.err));
		rc = STORE_EINVAL;
	}
	free(b.who);
	free(b.ev);
	if (rc) {
		tx_transcript_free(b.t);
		return rc;
	}
	*out = b.t;
	return 0;
}

/* ---- the search rows --------------------------------------------------------- */

/* Control characters become U+FFFD, so the snippet markers cannot occur in the text. */
static char *fts_text(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F)
			buf_puts(&b, "\xEF\xBF\xBD");
		else
			buf_append(&b, s, 1);
	}
	return buf_steal(&b, NULL);
}

static const char *shown_name(const struct tx_person *p)
{
	return !p || p->erased || !p->name ? TX_ERASED_NAME : p->name;
}

/* Replace session t's search rows with its words and authors as in t. */
static int fts_rebuild(struct store_tx *tx, const struct tx_transcript *t)
{
	sqlite3_stmt *st = store_stmt(tx, "DELETE FROM transcript_fts WHERE rowid BETWEEN ? AND ?");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, t->session_id << SEQ_BITS);
	sqlite3_bind_int64(st, 2, (t->session_id << SEQ_BITS) + SEQ_LIMIT - 1);
	if ((rc = step_done(tx, st, "fts_delete")))
		return rc;
	st = store_stmt(tx, "INSERT INTO transcript_fts (rowid, text, author, at)"
			    " VALUES (?, ?, ?, ?)");
	if (!st)
		return STORE_EIO;
	for (size_t i = 0; rc == 0 && i < t->n_entries; i++) {
		const struct tx_entry *e = &t->entries[i];
		char *text;

		if ((e->type != TX_ENTRY_MESSAGE && e->type != TX_ENTRY_ANNOUNCEMENT) || !e->text ||
		    e->seq >= SEQ_LIMIT)
			continue;
		text = fts_text(e->text);
		sqlite3_bind_int64(st, 1, (t->session_id << SEQ_BITS) + e->seq);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, shown_name(tx_find_person(t, e->user_id)), -1,
				  SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 4, e->at_ms);
		rc = step_done(tx, st, "fts_insert");
		free(text);
	}
	return rc;
}

/* ---- sealing ------------------------------------------------------------------------ */

static size_t count_messages(const struct tx_transcript *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n_entries; i++)
		n += t->entries[i].type == TX_ENTRY_MESSAGE ||
		     t->entries[i].type == TX_ENTRY_ANNOUNCEMENT;
	return n;
}

static int exists(struct store_tx *tx, int64_t session_id, int *found)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT 1 FROM transcripts WHERE session_id = ?");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, session_id);
	*found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return 0;
}

static int insert_row(struct store_tx *tx, const struct tx_transcript *t, const char *canon,
		      size_t len, const char *seal)
{
	sqlite3_stmt *st = store_stmt(tx, "INSERT INTO transcripts (session_id, group_id, canon,"
					  " seal, sealed_at, opened_at, closed_at, local_date,"
					  " duration_s, message_count, attendance_count)"
					  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	char date[11];

	if (!st)
		return STORE_EIO;
	local_date(t->opened_ms, t->tz_offset_min, date);
	sqlite3_bind_int64(st, 1, t->session_id);
	sqlite3_bind_int64(st, 2, t->group_id);
	sqlite3_bind_text(st, 3, canon, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, seal, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, clock_now_ms());
	sqlite3_bind_int64(st, 6, t->opened_ms);
	sqlite3_bind_int64(st, 7, t->closed_ms);
	sqlite3_bind_text(st, 8, date, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 9, (t->closed_ms - t->opened_ms) / 1000);
	sqlite3_bind_int64(st, 10, (int64_t)count_messages(t));
	sqlite3_bind_int64(st, 11, (int64_t)t->n_attendance);
	return step_done(tx, st, "transcript_insert");
}

static int insert_people(struct store_tx *tx, const struct tx_transcript *t)
{
	sqlite3_stmt *st = store_stmt(tx, "INSERT OR IGNORE INTO transcript_people"
					  " (user_id, session_id) VALUES (?, ?)");
	int rc = 0;

	if (!st)
		return STORE_EIO;
	for (size_t i = 0; rc == 0 && i < t->n_people; i++) {
		sqlite3_bind_int64(st, 1, t->people[i].id);
		sqlite3_bind_int64(st, 2, t->session_id);
		rc = step_done(tx, st, "transcript_people");
	}
	return rc;
}

int trs_seal(struct store_tx *tx, int64_t session_id, int *sealed)
{
	struct tx_transcript *t = NULL;
	char *canon = NULL, seal[65], detail[160];
	size_t len;
	int found, rc, err;

	*sealed = 0;
	if ((rc = exists(tx, session_id, &found)) || found)
		return rc;
	rc = trs_build(tx, session_id, &t);
	if (rc == STORE_ENOTFOUND || rc == STORE_ECONFLICT)
		return 0; /* nothing to seal (yet) */
	if (rc)
		return rc;
	err = tx_to_json_canonical(t, &canon, &len);
	if (!err)
		err = tx_seal(canon, len, seal);
	if (err) {
		log_error("transcript_seal_failed", "session=%lld err=\"%s\"",
			  (long long)session_id, tx_strerror(err));
		rc = STORE_EIO;
		goto done;
	}
	rc = insert_row(tx, t, canon, len, seal);
	if (!rc)
		rc = insert_people(tx, t);
	if (!rc)
		rc = fts_rebuild(tx, t);
	if (!rc) {
		/* verify compares every stored seal with the last one written here */
		snprintf(detail, sizeof detail, "{\"seal\":\"%s\",\"messages\":%zu}", seal,
			 count_messages(t));
		rc = audit_append(tx, AUDIT_SYSTEM, "transcript_sealed", "transcript", session_id,
				  detail);
	}
	*sealed = rc == 0;
done:
	free(canon);
	tx_transcript_free(t);
	return rc;
}

int trs_unsealed(struct store_tx *tx, int64_t after_id, int64_t *ids, size_t max, size_t *n)
{
	sqlite3_stmt *st =
	    store_stmt(tx, "SELECT s.id FROM sessions s WHERE s.state = 'closed'"
			   " AND s.id > ? AND NOT EXISTS (SELECT 1 FROM transcripts t"
			   " WHERE t.session_id = s.id) ORDER BY s.id LIMIT ?");

	*n = 0;
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while (*n < max && sqlite3_step(st) == SQLITE_ROW)
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

/* ---- reading ---------------------------------------------------------------------------- */

int trs_may_read(struct store_tx *tx, int64_t session_id, int64_t user_id, int role, int *verdict,
		 int *sealed, int64_t *group_id)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT s.group_id, coalesce(t.opened_at, s.opened_at, s.starts_at),"
		" coalesce(t.closed_at, s.closed_at, ?2), t.session_id IS NOT NULL"
		" FROM sessions s LEFT JOIN transcripts t ON t.session_id = s.id WHERE s.id = ?1");
	int64_t opened, closed;
	int access, rc, member_then = 0, ever = 0;

	*verdict = TRS_NOT_FOUND;
	*sealed = 0;
	*group_id = 0;
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, session_id);
	sqlite3_bind_int64(st, 2, clock_now_ms());
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return 0;
	}
	*group_id = sqlite3_column_int64(st, 0);
	opened = sqlite3_column_int64(st, 1);
	closed = sqlite3_column_int64(st, 2);
	*sealed = sqlite3_column_int(st, 3);
	sqlite3_reset(st);

	rc = groups_access(tx, *group_id, user_id, opened, &access);
	if (rc == STORE_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (access != GROUP_NONE) {
		*verdict = TRS_READ;
		return 0;
	}
	/* the same overlap as TRS_READABLE_SQL, and whether there is any relation at all */
	st = store_stmt(tx,
			"SELECT EXISTS (SELECT 1 FROM memberships WHERE group_id = ?1"
			" AND user_id = ?2 AND (started_at <= ?3 OR started_at < ?4)"
			" AND (ended_at IS NULL OR ended_at > ?3)),"
			" EXISTS (SELECT 1 FROM memberships WHERE group_id = ?1 AND user_id = ?2)");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, *group_id);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, opened);
	sqlite3_bind_int64(st, 4, closed);
	if (sqlite3_step(st) == SQLITE_ROW) {
		member_then = sqlite3_column_int(st, 0);
		ever = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	if (member_then)
		*verdict = TRS_READ;
	else if (ever || role == ACCT_MANAGER)
		*verdict = TRS_NOT_MEMBER;
	return 0;
}

void trs_row_free(struct trs_row *r)
{
	free(r->canon);
	r->canon = NULL;
}

int trs_load(struct store_tx *tx, int64_t session_id, struct trs_row *r)
{
	sqlite3_stmt *st =
	    store_stmt(tx, "SELECT group_id, opened_at, closed_at, sealed_at, canon,"
			   " seal, local_date FROM transcripts WHERE session_id = ?");

	memset(r, 0, sizeof *r);
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, session_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return STORE_ENOTFOUND;
	}
	r->session_id = session_id;
	r->group_id = sqlite3_column_int64(st, 0);
	r->opened_at = sqlite3_column_int64(st, 1);
	r->closed_at = sqlite3_column_int64(st, 2);
	r->sealed_at = sqlite3_column_int64(st, 3);
	r->len = (size_t)sqlite3_column_bytes(st, 4);
	r->canon = xstrndup((const char *)sqlite3_column_text(st, 4), r->len);
	snprintf(r->seal, sizeof r->seal, "%s", (const char *)sqlite3_column_text(st, 5));
	snprintf(r->local_date, sizeof r->local_date, "%s",
		 (const char *)sqlite3_column_text(st, 6));
	sqlite3_reset(st);
	return 0;
}

int trs_list(struct store_tx *tx, int64_t group_id, int64_t user_id, int only_readable,
	     int64_t before, int limit, json_t **out)
{
	sqlite3_stmt *st = store_stmt(
	    tx,
	    "SELECT t.session_id, t.local_date, t.opened_at, t.closed_at, t.duration_s,"
	    " t.message_count, t.attendance_count, s.adhoc, " TRS_READABLE_SQL(
		"t", "?2") " FROM transcripts t JOIN sessions s ON s.id = t.session_id"
			   " WHERE t.group_id = ?1 AND (?3 = 0 OR t.opened_at < ?3)"
			   " AND (?4 = 0 OR " TRS_READABLE_SQL(
			       "t", "?2") ")"
					  " ORDER BY t.opened_at DESC, t.session_id DESC LIMIT ?5");
	json_t *arr = json_array();

	if (!st) {
		json_decref(arr);
		return STORE_EIO;
	}
	sqlite3_bind_int64(st, 1, group_id);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, before);
	sqlite3_bind_int(st, 4, only_readable);
	sqlite3_bind_int(st, 5, limit < 1 || limit > TRS_LIST_MAX ? TRS_LIST_MAX : limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t dur = sqlite3_column_int64(st, 4);

		json_array_append_new(
		    arr,
		    json_pack("{s:I,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:b}", "session_id",
			      (json_int_t)sqlite3_column_int64(st, 0), "date",
			      (const char *)sqlite3_column_text(st, 1), "opened_at",
			      (json_int_t)sqlite3_column_int64(st, 2), "closed_at",
			      (json_int_t)sqlite3_column_int64(st, 3), "duration_s",
			      (json_int_t)dur, "duration_min", (json_int_t)((dur + 30) / 60),
			      "message_count", (json_int_t)sqlite3_column_int64(st, 5),
			      "attendance_count", (json_int_t)sqlite3_column_int64(st, 6), "adhoc",
			      sqlite3_column_int(st, 7), "readable", sqlite3_column_int(st, 8)));
	}
	sqlite3_reset(st);
	*out = arr;
	return 0;
}

/* ---- search ------------------------------------------------------------------------------ */

/* Letters and digits of any script: ASCII alphanumerics and every byte of a non-ASCII character. */
static int word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

int trs_fts_query(const char *q, char *out, size_t outlen)
{
	size_t n = q ? strlen(q) : 0, o = 0;
	int words = 0;

	if (!q || n > TRS_QUERY_MAX || !utf8_valid(q, n) || outlen < 1)
		return -1;
	/*
	 * A quoted string holds no operator, so a word can be anything the
	 * tokenizer will split further ("café", "o'brien" → "o" "brien"):
	 * FTS5 syntax and column filters never reach the parser.
	 */
	for (size_t i = 0; i < n && words < TRS_QUERY_WORDS;) {
		size_t j = i;

		while (j < n && word_byte((unsigned char)q[j]))
			j++;
		if (j == i) {
			i++;
			continue;
		}
		if (o + (j - i) + 5 >= outlen)
			break;
		if (words)
			out[o++] = ' ';
		out[o++] = '"';
		memcpy(out + o, q + i, j - i);
		o += j - i;
		out[o++] = '"';
		words++;
		i = j;
	}
	if (words)
		out[o++] = '*'; /* the last word may be unfinished */
	out[o] = '\0';
	return words;
}

/* UTF-16 code units of the n bytes of UTF-8 at s. */
static int64_t utf16_units(const char *s, size_t n)
{
	int64_t u = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c & 0xC0) != 0x80)
			u += c >= 0xF0 ? 2 : 1;
	}
	return u;
}

/* A snippet with its markers taken out: {text, matches: [{start, length}]}. */
static json_t *snippet_json(const char *marked)
{
	struct buf b;
	json_t *matches = json_array(), *o;
	int64_t start = -1;

	buf_init(&b, 0);
	for (const char *p = marked; *p; p++) {
		if (*p == MARK_OPEN[0]) {
			start = utf16_units(b.data ? b.data : "", b.len);
		} else if (*p == MARK_CLOSE[0]) {
			int64_t end = utf16_units(b.data ? b.data : "", b.len);

			if (start >= 0 && end > start)
				json_array_append_new(
				    matches, json_pack("{s:I,s:I}", "start", (json_int_t)start,
						       "length", (json_int_t)(end - start)));
			start = -1;
		} else {
			buf_append(&b, p, 1);
		}
	}
	o = json_pack("{s:s,s:o}", "text", b.data ? b.data : "", "matches", matches);
	buf_free(&b);
	return o;
}

int trs_search(struct store_tx *tx, int64_t user_id, const char *fts_query, int limit, json_t **out,
	       json_t **sessions)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT transcript_fts.rowid, transcript_fts.author,"
		" snippet(transcript_fts, 0, char(1), char(2), '…', " SNIPPET_TOKENS "),"
		" t.session_id, t.group_id, g.name, t.local_date, transcript_fts.at"
		" FROM transcript_fts JOIN transcripts t"
		" ON t.session_id = (transcript_fts.rowid >> 20)"
		" JOIN groups g ON g.id = t.group_id"
		" WHERE transcript_fts MATCH ?1 AND " TRS_READABLE_SQL(
		    "t", "?2") " ORDER BY transcript_fts.rank, transcript_fts.rowid LIMIT ?3");
	json_t *arr, *ids;
	int rc;

	if (!st)
		return STORE_EIO;
	arr = json_array();
	ids = json_array();
	sqlite3_bind_text(st, 1, fts_query, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int(st, 3, limit < 1 || limit > TRS_SEARCH_MAX ? TRS_SEARCH_MAX : limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t rowid = sqlite3_column_int64(st, 0), sid = sqlite3_column_int64(st, 3);
		size_t k;

		json_array_append_new(
		    arr,
		    json_pack("{s:I,s:I,s:s,s:s,s:I,s:I,s:s,s:o}", "session_id", (json_int_t)sid,
			      "group_id", (json_int_t)sqlite3_column_int64(st, 4), "group_name",
			      (const char *)sqlite3_column_text(st, 5), "date",
			      (const char *)sqlite3_column_text(st, 6), "seq",
			      (json_int_t)(rowid & (SEQ_LIMIT - 1)), "at",
			      (json_int_t)sqlite3_column_int64(st, 7), "author",
			      (const char *)sqlite3_column_text(st, 1), "snippet",
			      snippet_json((const char *)sqlite3_column_text(st, 2))));
		for (k = 0; k < json_array_size(ids); k++)
			if (json_integer_value(json_array_get(ids, k)) == sid)
				break;
		if (k == json_array_size(ids))
			json_array_append_new(ids, json_integer(sid));
	}
	rc = store_check(tx, rc, "transcript_search");
	sqlite3_reset(st);
	if (rc) {
		json_decref(arr);
		json_decref(ids);
		return rc;
	}
	*out = arr;
	*sessions = ids;
	return 0;
}

/* ---- research export --------------------------------------------------------------------- */

void trs_page_free(struct trs_page *p)
{
	for (size_t i = 0; i < p->n; i++)
		trs_row_free(&p->rows[i]);
	p->n = 0;
}

int trs_page(struct store_tx *tx, struct trs_page *p)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT session_id, group_id, opened_at, closed_at, sealed_at, canon, seal,"
		" local_date FROM transcripts WHERE (?1 = 0 OR group_id = ?1)"
		" AND local_date >= ?2 AND (opened_at, session_id) > (?3, ?4)"
		" ORDER BY opened_at, session_id LIMIT ?5");

	trs_page_free(p);
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, p->group_id);
	sqlite3_bind_text(st, 2, p->since, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, p->after_opened);
	sqlite3_bind_int64(st, 4, p->after_session);
	sqlite3_bind_int(st, 5, TRS_PAGE);
	while (p->n < TRS_PAGE && sqlite3_step(st) == SQLITE_ROW) {
		struct trs_row *r = &p->rows[p->n++];

		memset(r, 0, sizeof *r);
		r->session_id = sqlite3_column_int64(st, 0);
		r->group_id = sqlite3_column_int64(st, 1);
		r->opened_at = sqlite3_column_int64(st, 2);
		r->closed_at = sqlite3_column_int64(st, 3);
		r->sealed_at = sqlite3_column_int64(st, 4);
		r->len = (size_t)sqlite3_column_bytes(st, 5);
		r->canon = xstrndup((const char *)sqlite3_column_text(st, 5), r->len);
		snprintf(r->seal, sizeof r->seal, "%s", (const char *)sqlite3_column_text(st, 6));
		snprintf(r->local_date, sizeof r->local_date, "%s",
			 (const char *)sqlite3_column_text(st, 7));
		p->after_opened = r->opened_at;
		p->after_session = r->session_id;
	}
	sqlite3_reset(st);
	return 0;
}

int trs_fill_contacts(struct store_tx *tx, struct tx_transcript *t)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT erased_at IS NOT NULL, username, email,"
					  " research_consent FROM users WHERE id = ?");
	int err = 0;

	if (!st)
		return STORE_EIO;
	for (size_t i = 0; !err && i < t->n_people; i++) {
		int64_t id = t->people[i].id;

		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0))
			err = t->people[i].erased ? 0 : tx_erase_person(t, id);
		else
			err = tx_set_contact(t, id, (const char *)sqlite3_column_text(st, 1),
					     (const char *)sqlite3_column_text(st, 2),
					     sqlite3_column_int(st, 3) != 0);
		sqlite3_reset(st);
	}
	return err ? STORE_EIO : 0;
}

int trs_group_names(struct store_tx *tx, int64_t group_id, char ***names)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT display_name, username FROM users WHERE erased_at IS NULL AND id IN"
		" (SELECT user_id FROM memberships WHERE group_id = ?1"
		" UNION SELECT user_id FROM group_facilitators WHERE group_id = ?1"
		" UNION SELECT p.user_id FROM transcript_people p JOIN transcripts t"
		" ON t.session_id = p.session_id WHERE t.group_id = ?1)");
	char **v = NULL;
	size_t n = 0, cap = 0;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < 2; c++) {
			const char *s = (const char *)sqlite3_column_text(st, c);

			if (!s || !*s)
				continue;
			if (n + 2 > cap) {
				cap = cap ? cap * 2 : 32;
				v = xrealloc(v, cap * sizeof *v);
			}
			v[n++] = xstrdup(s);
		}
	}
	sqlite3_reset(st);
	if (!v)
		v = xcalloc(1, sizeof *v);
	v[n] = NULL;
	*names = v;
	return 0;
}

void trs_names_free(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

/* ---- erasure ------------------------------------------------------------------------------ */

static int audit_reseal(struct store_tx *tx, int64_t session_id, const char *old_seal,
			const char *new_seal, int64_t user_id)
{
	char detail[256];

	snprintf(detail, sizeof detail,
		 "{\"reason\":\"erasure\",\"user\":%lld,\"old_seal\":\"%s\",\"seal\":\"%s\"}",
		 (long long)user_id, old_seal, new_seal);
	return audit_append(tx, AUDIT_SYSTEM, "transcript_resealed", "transcript", session_id,
			    detail);
}

static int store_rewrite(struct store_tx *tx, int64_t session_id, const char *canon, size_t len,
			 const char *seal)
{
	sqlite3_stmt *st = store_stmt(tx, "UPDATE transcripts SET canon = ?, seal = ?,"
					  " sealed_at = ? WHERE session_id = ?");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_text(st, 1, canon, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, seal, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, clock_now_ms());
	sqlite3_bind_int64(st, 4, session_id);
	return step_done(tx, st, "transcript_rewrite");
}

/* Rewrite one transcript with user_id erased. */
static int erase_in(struct store_tx *tx, int64_t session_id, int64_t user_id)
{
	struct trs_row r;
	struct tx_transcript *t = NULL;
	struct tx_person *p;
	char *canon = NULL, seal[65];
	size_t len;
	int rc = trs_load(tx, session_id, &r), intact, err;

	if (rc)
		return rc == STORE_ENOTFOUND ? 0 : rc;
	intact = tx_verify(r.canon, r.len, r.seal) == 0;
	err = tx_from_json(r.canon, r.len, &t);
	if (err) {
		log_error("transcript_erase_unreadable", "session=%lld err=\"%s\"",
			  (long long)session_id, tx_strerror(err));
		rc = audit_append(tx, AUDIT_SYSTEM, "transcript_erase_failed", "transcript",
				  session_id, "{\"reason\":\"unreadable\"}");
		goto done;
	}
	p = tx_find_person(t, user_id);
	if (!p || p->erased)
		goto done; /* nothing of theirs left to remove */
	err = tx_erase_person(t, user_id);
	if (!err)
		err = tx_to_json_canonical(t, &canon, &len);
	if (!err)
		err = tx_seal(canon, len, seal);
	if (err) {
		rc = STORE_EIO;
		goto done;
	}
	/* a transcript already tampered with keeps its stale seal: the erasure must not hide it */
	if (!intact)
		snprintf(seal, sizeof seal, "%s", r.seal);
	rc = store_rewrite(tx, session_id, canon, len, seal);
	if (!rc)
		rc = fts_rebuild(tx, t);
	if (!rc && intact)
		rc = audit_reseal(tx, session_id, r.seal, seal, user_id);
	else if (!rc)
		rc = audit_append(tx, AUDIT_SYSTEM, "transcript_erase_unsealed", "transcript",
				  session_id, "{\"reason\":\"seal_mismatch\"}");
done:
	free(canon);
	tx_transcript_free(t);
	trs_row_free(&r);
	return rc;
}

int trs_erase_user(struct store_tx *tx, int64_t user_id)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT session_id FROM transcript_people"
					  " WHERE user_id = ? ORDER BY session_id");
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			ids = xrealloc(ids, cap * sizeof *ids);
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = erase_in(tx, ids[i], user_id);
	free(ids);
	return rc;
}

/* ---- verification ------------------------------------------------------------------------- */

/* The seal the audit log last recorded for a transcript. */
struct audited {
	int64_t session_id, order;
	char seal[65];
};

static int cmp_audited(const void *a, const void *b)
{
	const struct audited *x = a, *y = b;

	if (x->session_id != y->session_id)
		return x->session_id < y->session_id ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}

static int load_audited(struct store_tx *tx, struct audited **out, size_t *n)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT target_id, id, json_extract(detail, '$.seal')"
					  " FROM audit_log WHERE action IN ('transcript_sealed',"
					  " 'transcript_resealed') AND target_type = 'transcript'");
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!st)
		return STORE_EIO;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *seal = (const char *)sqlite3_column_text(st, 2);

		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		(*out)[*n].session_id = sqlite3_column_int64(st, 0);
		(*out)[*n].order = sqlite3_column_int64(st, 1);
		snprintf((*out)[*n].seal, sizeof(*out)[*n].seal, "%s", seal ? seal : "");
		(*n)++;
	}
	sqlite3_reset(st);
	if (*n)
		qsort(*out, *n, sizeof **out, cmp_audited);
	return 0;
}

/* The last audited seal of session_id, or NULL. */
static const char *audited_seal(const struct audited *a, size_t n, int64_t session_id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* first entry past session_id */
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid].session_id <= session_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && a[lo - 1].session_id == session_id ? a[lo - 1].seal : NULL;
}

/* Why one transcript does not verify, or NULL when it does. */
static const char *check_one(int64_t session_id, const char *canon, size_t len, const char *seal,
			     const char *audited)
{
	struct tx_transcript *t = NULL;
	char *again = NULL;
	size_t again_len = 0;
	const char *why = NULL;

	if (tx_verify(canon, len, seal))
		return "its text does not match its seal";
	if (!audited)
		return "the audit log has no record of its seal";
	if (strcmp(audited, seal))
		return "its seal differs from the one recorded in the audit log";
	if (tx_from_json(canon, len, &t))
		return "it is not a valid transcript";
	if (t->session_id != session_id)
		why = "it is the transcript of another session";
	else if (tx_to_json_canonical(t, &again, &again_len) || again_len != len ||
		 memcmp(again, canon, len))
		why = "it is not in canonical form";
	free(again);
	tx_transcript_free(t);
	return why;
}

int trs_verify_all(struct store_tx *tx, trs_bad_fn bad, void *arg, int64_t *total, int64_t *bad_n)
{
	sqlite3_stmt *st;
	struct audited *a;
	size_t na;
	int rc = load_audited(tx, &a, &na);

	*total = *bad_n = 0;
	if (rc)
		return rc;
	st = store_stmt(tx, "SELECT session_id, canon, seal FROM transcripts ORDER BY session_id");
	if (!st) {
		free(a);
		return STORE_EIO;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t sid = sqlite3_column_int64(st, 0);
		const char *canon = (const char *)sqlite3_column_text(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		const char *seal = (const char *)sqlite3_column_text(st, 2);
		const char *why = check_one(sid, canon ? canon : "", len, seal ? seal : "",
					    audited_seal(a, na, sid));

		(*total)++;
		if (why) {
			(*bad_n)++;
			bad(sid, why, arg);
		}
	}
	rc = store_check(tx, rc, "transcript_verify");
	sqlite3_reset(st);
	free(a);
	return rc;
}
