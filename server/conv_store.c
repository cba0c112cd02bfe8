/*
 * conv_store.c — the SQL of private conversations (see conv.h): storing
 * a message with its recipients, marking read, unread counts, the
 * "new message" mail, and what happens when someone leaves a group or is
 * erased. Every function here runs on the store thread inside a job.
 */
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "clock.h"
#include "conv.h"
#include "mail.h"
#include "util.h"

static int step_done(struct store_tx *tx, sqlite3_stmt *st, const char *what)
{
	int rc = store_check(tx, sqlite3_step(st), what);

	sqlite3_reset(st);
	return rc;
}

static void push_id(int64_t **v, size_t *n, size_t *cap, int64_t id)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*v = xrealloc(*v, *cap * sizeof **v);
	}
	(*v)[(*n)++] = id;
}

int64_t conv__group_for(struct store_tx *tx, int64_t conversation_id, int64_t user_id,
			int64_t *last_read_id)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT c.group_id, p.last_read_id FROM conversations c"
					  " JOIN conversation_participants p"
					  " ON p.conversation_id = c.id AND p.user_id = ?2"
					  " WHERE c.id = ?1 AND p.left_at IS NULL"
					  " AND " CONV_ACCESS_SQL("?2", "c.group_id"));
	int64_t group = 0;
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, conversation_id);
	sqlite3_bind_int64(st, 2, user_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		group = sqlite3_column_int64(st, 0);
		if (last_read_id)
			*last_read_id = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE) {
		group = store_check(tx, rc, "conv_group_for");
	}
	sqlite3_reset(st);
	return group;
}

int64_t conv__unread(struct store_tx *tx, int64_t conversation_id, int64_t user_id,
		     int64_t last_read_id)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT count(*) FROM conversation_messages m"
		" WHERE m.conversation_id = ?1 AND m.id > ?2"
		" AND m.author_id != ?3 AND NOT " CONV_HIDDEN_SQL("?3", "m.author_id", "m.ts"));
	int64_t n;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, conversation_id);
	sqlite3_bind_int64(st, 2, last_read_id);
	sqlite3_bind_int64(st, 3, user_id);
	n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : STORE_EIO;
	sqlite3_reset(st);
	return n;
}

/* ---- sending ---- */

/* The client_id was used before: answer with what was stored then. */
static int find_resend(struct store_tx *tx, struct conv_send *j)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT id, ts, text FROM conversation_messages"
					  " WHERE conversation_id = ? AND author_id = ?"
					  " AND client_id = ?");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->conversation_id);
	sqlite3_bind_int64(st, 2, j->author_id);
	sqlite3_bind_text(st, 3, j->client_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		j->dup = 1;
		j->id = sqlite3_column_int64(st, 0);
		j->ts = sqlite3_column_int64(st, 1);
		free(j->text);
		j->text = xstrdup((const char *)sqlite3_column_text(st, 2));
		j->len = strlen(j->text);
	}
	sqlite3_reset(st);
	return 0;
}

static int same_text_lately(struct store_tx *tx, const struct conv_send *j, int64_t now)
{
	sqlite3_stmt *st =
	    store_stmt(tx, "SELECT 1 FROM conversation_messages"
			   " WHERE conversation_id = ? AND author_id = ? AND text = ?"
			   " AND ts > ? LIMIT 1");
	int found;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->conversation_id);
	sqlite3_bind_int64(st, 2, j->author_id);
	sqlite3_bind_text(st, 3, j->text, (int)j->len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now - CONV_DUPLICATE_MS);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

static int insert_message(struct store_tx *tx, struct conv_send *j)
{
	sqlite3_stmt *st = store_stmt(tx, "INSERT INTO conversation_messages (conversation_id,"
					  " author_id, text, client_id, ts) VALUES (?, ?, ?, ?, ?)"
					  " RETURNING id");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->conversation_id);
	sqlite3_bind_int64(st, 2, j->author_id);
	sqlite3_bind_text(st, 3, j->text, (int)j->len, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, j->client_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, j->ts);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return store_check(tx, rc, "conv_insert");
	}
	j->id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = store_stmt(tx, "UPDATE conversations SET last_message_at = ? WHERE id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->ts);
	sqlite3_bind_int64(st, 2, j->conversation_id);
	return step_done(tx, st, "conv_touch");
}

static int author_name(struct store_tx *tx, struct conv_send *j)
{
	sqlite3_stmt *st =
	    store_stmt(tx, "SELECT " ACCT_NAME_SQL("u") " FROM users u WHERE u.id = ?");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->author_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(j->author_name, sizeof j->author_name, "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return 0;
}

/* Everyone still in the conversation and its group, with their new unread counts. */
static int load_recipients(struct store_tx *tx, struct conv_send *j)
{
	sqlite3_stmt *st = store_stmt(
	    tx,
	    "SELECT p.user_id, p.last_read_id, " CONV_HIDDEN_SQL(
		"p.user_id", "?2",
		"?3") " FROM conversation_participants p"
		      " JOIN conversations c ON c.id = p.conversation_id"
		      " WHERE p.conversation_id = ?1 AND p.left_at IS NULL AND " CONV_ACCESS_SQL(
			  "p.user_id", "c.group_id") " ORDER BY p.user_id");
	size_t cap = 0;
	int64_t *last = NULL; /* each recipient's last_read_id */

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->conversation_id);
	sqlite3_bind_int64(st, 2, j->author_id);
	sqlite3_bind_int64(st, 3, j->ts);
	while (sqlite3_step(st) == SQLITE_ROW && j->nrcpt < CONV_PARTICIPANTS_MAX) {
		if (j->nrcpt == cap) {
			cap = cap ? cap * 2 : 8;
			j->rcpt = xrealloc(j->rcpt, cap * sizeof *j->rcpt);
			last = xrealloc(last, cap * sizeof *last);
		}
		j->rcpt[j->nrcpt].user_id = sqlite3_column_int64(st, 0);
		last[j->nrcpt] = sqlite3_column_int64(st, 1);
		j->rcpt[j->nrcpt].hidden = sqlite3_column_int(st, 2);
		j->rcpt[j->nrcpt++].unread = 0;
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < j->nrcpt; i++) {
		struct conv_rcpt *r = &j->rcpt[i];

		if (r->user_id == j->author_id || r->hidden)
			continue;
		r->unread = conv__unread(tx, j->conversation_id, r->user_id, last[i]);
		if (r->unread < 0) {
			free(last);
			return (int)r->unread;
		}
	}
	free(last);
	return 0;
}

/* Who hears of a crisis: the group's facilitators (with the text), the managers (without). */
static int load_alerted(struct store_tx *tx, struct conv_send *j)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT f.user_id FROM group_facilitators f"
					  " JOIN users u ON u.id = f.user_id WHERE f.group_id = ?"
					  " AND u.erased_at IS NULL"
					  " AND u.role IN ('facilitator', 'manager') AND u.id != ?"
					  " ORDER BY f.user_id");
	size_t cap = 0;
	char detail[64];

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->group_id);
	sqlite3_bind_int64(st, 2, j->author_id);
	while (sqlite3_step(st) == SQLITE_ROW)
		push_id(&j->facilitators, &j->nfac, &cap, sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	st = store_stmt(tx, "SELECT id FROM users WHERE role = 'manager' AND erased_at IS NULL"
			    " AND id != ?2 AND id NOT IN (SELECT user_id FROM group_facilitators"
			    " WHERE group_id = ?1) ORDER BY id LIMIT 64");
	if (!st)
		return STORE_EIO;
	cap = 0;
	sqlite3_bind_int64(st, 1, j->group_id);
	sqlite3_bind_int64(st, 2, j->author_id);
	while (sqlite3_step(st) == SQLITE_ROW)
		push_id(&j->managers, &j->nman, &cap, sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	snprintf(detail, sizeof detail, "{\"message\":%lld}", (long long)j->id);
	return audit_append(tx, j->author_id, "crisis_alert", "conversation", j->conversation_id,
			    detail);
}

int conv__send_fn(struct store_tx *tx, void *arg)
{
	struct conv_send *j = arg;
	int64_t now = clock_now_ms();
	int rc;

	j->group_id = conv__group_for(tx, j->conversation_id, j->author_id, NULL);
	if (j->group_id < 0)
		return (int)j->group_id;
	if (j->group_id == 0) {
		j->err = PROTO_ENOT_FOUND;
		return 0;
	}
	if ((rc = find_resend(tx, j)) || j->dup)
		return rc ? rc : author_name(tx, j);
	rc = same_text_lately(tx, j, now);
	if (rc) {
		if (rc > 0)
			j->err = PROTO_EDUPLICATE;
		return rc > 0 ? 0 : rc;
	}
	j->ts = now;
	if ((rc = insert_message(tx, j)) || (rc = author_name(tx, j)) ||
	    (rc = load_recipients(tx, j)))
		return rc;
	return j->crisis ? load_alerted(tx, j) : 0;
}

void conv__send_free(struct conv_send *j)
{
	if (!j)
		return;
	free(j->text);
	free(j->rcpt);
	free(j->facilitators);
	free(j->managers);
	free(j);
}

/* ---- reading ---- */

int conv__read_fn(struct store_tx *tx, void *arg)
{
	struct conv_read *j = arg;
	int64_t group, last = 0;
	sqlite3_stmt *st;
	int rc;

	group = conv__group_for(tx, j->conversation_id, j->user_id, &last);
	if (group < 0)
		return (int)group;
	if (group == 0) {
		j->err = PROTO_ENOT_FOUND;
		return 0;
	}
	st = store_stmt(tx, j->up_to ? "SELECT id FROM conversation_messages"
				       " WHERE conversation_id = ?1 AND id = ?2"
				     : "SELECT coalesce(max(id), 0) FROM conversation_messages"
				       " WHERE conversation_id = ?1");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, j->conversation_id);
	if (j->up_to)
		sqlite3_bind_int64(st, 2, j->up_to);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		j->up_to = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		j->err = PROTO_ENOT_FOUND;
		return 0;
	}
	if (j->up_to > last) {
		st = store_stmt(tx, "UPDATE conversation_participants SET last_read_id = ?"
				    " WHERE conversation_id = ? AND user_id = ?");
		if (!st)
			return STORE_EIO;
		sqlite3_bind_int64(st, 1, j->up_to);
		sqlite3_bind_int64(st, 2, j->conversation_id);
		sqlite3_bind_int64(st, 3, j->user_id);
		if ((rc = step_done(tx, st, "conv_read")))
			return rc;
		last = j->up_to;
	}
	j->up_to = last; /* the mark never moves back: say where it is */
	j->unread = conv__unread(tx, j->conversation_id, j->user_id, last);
	return j->unread < 0 ? (int)j->unread : 0;
}

/* ---- the "new message" mail ---- */

/* Says that there is something to read, and nothing about what or from whom:
 * mail leaves our control, and even a name could tell which group someone is in. */
static const char notify_subject[] = "You have a new private message in Hearth";
static const char notify_body[] =
    "Hello,\n\n"
    "Someone has sent you a private message in Hearth.\n"
    "Sign in to Hearth to read it.\n\n"
    "We send at most one of these mails an hour for each conversation.\n";

int conv__notify_fn(struct store_tx *tx, void *arg)
{
	struct conv_notify *j = arg;
	int64_t now = clock_now_ms();
	sqlite3_stmt *st;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < j->n; i++) {
		int due;

		st = store_stmt(tx, "SELECT p.last_read_id < ?3 AND (p.notified_at IS NULL"
				    " OR p.notified_at <= ?4) FROM conversation_participants p"
				    " JOIN users u ON u.id = p.user_id"
				    " WHERE p.conversation_id = ?1 AND p.user_id = ?2"
				    " AND p.left_at IS NULL AND u.erased_at IS NULL");
		if (!st)
			return STORE_EIO;
		sqlite3_bind_int64(st, 1, j->conversation_id);
		sqlite3_bind_int64(st, 2, j->users[i]);
		sqlite3_bind_int64(st, 3, j->message_id);
		sqlite3_bind_int64(st, 4, now - CONV_NOTIFY_MS);
		due = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
		sqlite3_reset(st);
		if (!due)
			continue;
		rc = mail_enqueue(tx, j->users[i], "conversation_unread", notify_subject,
				  notify_body);
		if (rc)
			break;
		st = store_stmt(tx, "UPDATE conversation_participants SET notified_at = ?"
				    " WHERE conversation_id = ? AND user_id = ?");
		if (!st)
			return STORE_EIO;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, j->conversation_id);
		sqlite3_bind_int64(st, 3, j->users[i]);
		rc = step_done(tx, st, "conv_notified");
	}
	return rc;
}

/* ---- leaving a group, erasure ---- */

int conv__left_group_fn(struct store_tx *tx, void *arg)
{
	struct conv_left *j = arg;
	sqlite3_stmt *st = store_stmt(tx, "UPDATE conversation_participants SET left_at = ?1"
					  " WHERE user_id = ?2 AND left_at IS NULL"
					  " AND conversation_id IN (SELECT id FROM conversations"
					  " WHERE group_id = ?3)"
					  " AND NOT " CONV_ACCESS_SQL("?2", "?3"));

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, clock_now_ms());
	sqlite3_bind_int64(st, 2, j->user_id);
	sqlite3_bind_int64(st, 3, j->group_id);
	return step_done(tx, st, "conv_left_group");
}

int conv__erase_user(struct store_tx *tx, int64_t user_id)
{
	sqlite3_stmt *st = store_stmt(tx, "UPDATE conversation_participants SET left_at = ?"
					  " WHERE user_id = ? AND left_at IS NULL");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, clock_now_ms());
	sqlite3_bind_int64(st, 2, user_id);
	if ((rc = step_done(tx, st, "conv_erase_leave")))
		return rc;
	/* whom they blocked is about them; blocks against them protect others and stay */
	st = store_stmt(tx, "DELETE FROM user_blocks WHERE blocker_id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	return step_done(tx, st, "conv_erase_blocks");
}
