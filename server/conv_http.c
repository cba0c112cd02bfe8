/*
 * conv_http.c — the HTTP routes of private conversations and blocks:
 *   GET  /api/v1/conversations                    mine, newest first, with unread counts
 *   POST /api/v1/conversations                    {participants: [ids], group?}
 *   GET  /api/v1/conversations/{id}
 *   GET  /api/v1/conversations/{id}/messages      ?before=ID&limit=N (oldest first)
 *   POST /api/v1/conversations/{id}/messages      {client_id, text}
 *   POST /api/v1/conversations/{id}/read          {up_to?} (absent: everything)
 *   POST /api/v1/conversations/{id}/leave
 *   GET  /api/v1/blocks, POST /api/v1/blocks {user}, DELETE /api/v1/blocks/{id}
 *
 * A conversation the caller is not in (or no longer may use) answers 404
 * exactly like one that does not exist. Posting here is the same as
 * dm_send: same checks, same rate limit, same live delivery.
 */
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "clock.h"
#include "conv.h"
#include "groups.h"
#include "http.h"
#include "posting.h"
#include "server.h"
#include "util.h"

static const char no_conv[] = "We could not find that conversation.";

static int step_done(struct store_tx *tx, sqlite3_stmt *st, const char *what)
{
	int rc = store_check(tx, sqlite3_step(st), what);

	sqlite3_reset(st);
	return rc;
}

static json_t *person(sqlite3_stmt *st, int id_col, int name_col)
{
	return json_pack("{s:I,s:s}", "id", (json_int_t)sqlite3_column_int64(st, id_col), "name",
			 (const char *)sqlite3_column_text(st, name_col));
}

/* ---- a conversation as its participants see it ---- */

static json_t *participants_json(struct store_tx *tx, int64_t id)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT p.user_id, " ACCT_NAME_SQL(
		    "u") ", u.role != 'member' FROM conversation_participants p"
			 " JOIN conversations c ON c.id = p.conversation_id"
			 " JOIN users u ON u.id = p.user_id"
			 " WHERE p.conversation_id = ? AND p.left_at IS NULL AND " CONV_ACCESS_SQL(
			     "p.user_id", "c.group_id") " ORDER BY p.joined_at, p.user_id");
	json_t *a = json_array();

	if (!st)
		return a;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *p = person(st, 0, 1);

		/* staff: a facilitator or manager (who cannot be blocked) */
		json_object_set_new(p, "staff", json_boolean(sqlite3_column_int(st, 2)));
		json_array_append_new(a, p);
	}
	sqlite3_reset(st);
	return a;
}

static json_t *message_json(sqlite3_stmt *st, int64_t conversation)
{
	/* columns: id, author_id, author name, text, ts, client_id */
	return json_pack("{s:I,s:I,s:o,s:s,s:I,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			 "conversation", (json_int_t)conversation, "author", person(st, 1, 2),
			 "text", (const char *)sqlite3_column_text(st, 3), "ts",
			 (json_int_t)sqlite3_column_int64(st, 4), "client_id",
			 (const char *)sqlite3_column_text(st, 5));
}

#define MSG_COLS "m.id, m.author_id, " ACCT_NAME_SQL("u") ", m.text, m.ts, m.client_id"

static json_t *last_message_json(struct store_tx *tx, int64_t id, int64_t viewer)
{
	sqlite3_stmt *st =
	    store_stmt(tx, "SELECT " MSG_COLS " FROM conversation_messages m"
			   " JOIN users u ON u.id = m.author_id"
			   " WHERE m.conversation_id = ?1 AND NOT " CONV_HIDDEN_SQL(
			       "?2", "m.author_id", "m.ts") " ORDER BY m.id DESC LIMIT 1");
	json_t *o = json_null();

	if (!st)
		return o;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, viewer);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = message_json(st, id);
	sqlite3_reset(st);
	return o;
}

/* Conversation id as viewer sees it, or NULL when they may not (or on error). */
static json_t *conv_json(struct store_tx *tx, int64_t id, int64_t viewer)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT c.id, c.group_id, g.name, c.created_by,"
		" c.created_at, c.last_message_at, p.last_read_id"
		" FROM conversations c JOIN groups g ON g.id = c.group_id"
		" JOIN conversation_participants p"
		" ON p.conversation_id = c.id AND p.user_id = ?2"
		" WHERE c.id = ?1 AND p.left_at IS NULL AND " CONV_ACCESS_SQL("?2", "c.group_id"));
	json_t *o = NULL;
	int64_t last_read = 0, unread;

	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, viewer);
	if (sqlite3_step(st) == SQLITE_ROW) {
		o = json_pack("{s:I,s:{s:I,s:s},s:I,s:I,s:I}", "id",
			      (json_int_t)sqlite3_column_int64(st, 0), "group", "id",
			      (json_int_t)sqlite3_column_int64(st, 1), "name",
			      (const char *)sqlite3_column_text(st, 2), "created_by",
			      (json_int_t)sqlite3_column_int64(st, 3), "created_at",
			      (json_int_t)sqlite3_column_int64(st, 4), "last_read_id",
			      (json_int_t)sqlite3_column_int64(st, 6));
		if (sqlite3_column_type(st, 5) == SQLITE_NULL)
			json_object_set_new(o, "last_message_at", json_null());
		else
			json_object_set_new(o, "last_message_at",
					    json_integer(sqlite3_column_int64(st, 5)));
		last_read = sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
	if (!o)
		return NULL;
	unread = conv__unread(tx, id, viewer, last_read);
	json_object_set_new(o, "unread", json_integer(unread < 0 ? 0 : unread));
	json_object_set_new(o, "participants", participants_json(tx, id));
	json_object_set_new(o, "last_message", last_message_json(tx, id, viewer));
	return o;
}

static int conv_not_found(struct http_req *req)
{
	return http_job_fail(req, 404, "not_found", no_conv);
}

/* ---- list and get ---- */

static int list_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT c.id FROM conversation_participants p"
		" JOIN conversations c ON c.id = p.conversation_id"
		" WHERE p.user_id = ?1 AND p.left_at IS NULL AND " CONV_ACCESS_SQL(
		    "?1", "c.group_id") " ORDER BY coalesce(c.last_message_at, c.created_at) DESC,"
					" c.id DESC LIMIT ?2");
	int64_t ids[CONV_LIST_MAX];
	size_t n = 0;
	json_t *a;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, req->user.id);
	sqlite3_bind_int(st, 2, CONV_LIST_MAX);
	while (n < CONV_LIST_MAX && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = conv_json(tx, ids[i], req->user.id);

		if (o)
			json_array_append_new(a, o);
	}
	req->out = json_pack("{s:o}", "conversations", a);
	return 0;
}

static void route_list(struct http_req *req)
{
	http_run(req, list_fn, NULL);
}

static int get_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;

	req->out = conv_json(tx, http_param_id(req, 0), req->user.id);
	return req->out ? 0 : conv_not_found(req);
}

static void route_get(struct http_req *req)
{
	if (http_param_id(req, 0) < 0)
		http_error(req, 404, "not_found", no_conv);
	else
		http_run(req, get_fn, NULL);
}

/* ---- create ---- */

struct create_state {
	int64_t ids[CONV_PARTICIPANTS_MAX]; /* the others, without the creator */
	size_t n;
	int64_t group; /* asked for, or 0 */
};

/* 1 when user may use conversations of group now, 0 if not, <0 on error. */
static int has_access(struct store_tx *tx, int64_t user, int64_t group)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT " CONV_ACCESS_SQL("?1", "?2"));
	int ok;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user);
	sqlite3_bind_int64(st, 2, group);
	ok = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : STORE_EIO;
	sqlite3_reset(st);
	return ok;
}

/* The first group of the creator that every participant is in; 0 if none. */
static int64_t pick_group(struct store_tx *tx, int64_t creator, const struct create_state *c)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT group_id FROM memberships WHERE user_id = ?1"
					  " AND ended_at IS NULL UNION SELECT group_id"
					  " FROM group_facilitators WHERE user_id = ?1"
					  " ORDER BY 1 LIMIT 64");
	int64_t groups[64];
	size_t ng = 0;

	if (!st)
		return STORE_EIO;
	if (c->group) {
		groups[ng++] = c->group;
	} else {
		sqlite3_bind_int64(st, 1, creator);
		while (ng < ARRAY_LEN(groups) && sqlite3_step(st) == SQLITE_ROW)
			groups[ng++] = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	for (size_t g = 0; g < ng; g++) {
		int ok = has_access(tx, creator, groups[g]);

		for (size_t i = 0; ok > 0 && i < c->n; i++)
			ok = has_access(tx, c->ids[i], groups[g]);
		if (ok < 0)
			return ok;
		if (ok)
			return groups[g];
	}
	return 0;
}

/* A two-person conversation in this group that both are still in, or 0. */
static int64_t existing_pair(struct store_tx *tx, int64_t group, int64_t a, int64_t b)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT c.id FROM conversations c WHERE c.group_id = ?1"
		" AND EXISTS (SELECT 1 FROM conversation_participants WHERE conversation_id = c.id"
		" AND user_id = ?2 AND left_at IS NULL)"
		" AND EXISTS (SELECT 1 FROM conversation_participants WHERE conversation_id = c.id"
		" AND user_id = ?3 AND left_at IS NULL)"
		" AND (SELECT count(*) FROM conversation_participants WHERE conversation_id = c.id"
		" AND left_at IS NULL) = 2 ORDER BY c.id LIMIT 1");
	int64_t id = 0;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group);
	sqlite3_bind_int64(st, 2, a);
	sqlite3_bind_int64(st, 3, b);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

static int add_participant(struct store_tx *tx, int64_t conv, int64_t user, int64_t now)
{
	sqlite3_stmt *st = store_stmt(tx, "INSERT INTO conversation_participants (conversation_id,"
					  " user_id, joined_at) VALUES (?, ?, ?)");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, conv);
	sqlite3_bind_int64(st, 2, user);
	sqlite3_bind_int64(st, 3, now);
	return step_done(tx, st, "conv_participant");
}

static int too_many_lately(struct store_tx *tx, int64_t creator, int64_t now)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT count(*) >= ? FROM conversations"
					  " WHERE created_by = ? AND created_at > ?");
	int over;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int(st, 1, CONV_CREATE_PER_HOUR);
	sqlite3_bind_int64(st, 2, creator);
	sqlite3_bind_int64(st, 3, now - 3600000);
	over = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return over;
}

static int create_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct create_state *c = req->state;
	int64_t now = clock_now_ms(), group, id;
	sqlite3_stmt *st;
	char detail[96];
	int rc;

	if ((rc = too_many_lately(tx, req->user.id, now)))
		return rc < 0
			   ? rc
			   : http_job_fail(req, 429, "too_many_conversations",
					   "You have started many conversations in the last hour."
					   " Please wait a little before starting another.");
	group = pick_group(tx, req->user.id, c);
	if (group < 0)
		return (int)group;
	if (group == 0)
		return http_job_fail(
		    req, 403, "not_in_your_group",
		    "You can only start a conversation with people in your group.");
	id = c->n == 1 ? existing_pair(tx, group, req->user.id, c->ids[0]) : 0;
	if (id < 0)
		return (int)id;
	if (id) {
		req->out = conv_json(tx, id, req->user.id);
		return req->out ? 0 : STORE_EIO;
	}
	st = store_stmt(tx, "INSERT INTO conversations (group_id, created_by, created_at)"
			    " VALUES (?, ?, ?) RETURNING id");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group);
	sqlite3_bind_int64(st, 2, req->user.id);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (!id)
		return store_check(tx, rc, "conv_create");
	rc = add_participant(tx, id, req->user.id, now);
	for (size_t i = 0; rc == 0 && i < c->n; i++)
		rc = add_participant(tx, id, c->ids[i], now);
	snprintf(detail, sizeof detail, "{\"group\":%lld,\"participants\":%zu}", (long long)group,
		 c->n + 1);
	if (rc == 0)
		rc = audit_append(tx, req->user.id, "conversation_created", "conversation", id,
				  detail);
	if (rc)
		return rc;
	req->out = conv_json(tx, id, req->user.id);
	req->out_status = 201;
	return req->out ? 0 : STORE_EIO;
}

static int64_t json_id(json_t *v)
{
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > PROTO_ID_MAX)
		return -1;
	return json_integer_value(v);
}

static void route_create(struct http_req *req)
{
	json_t *list = json_object_get(req->json, "participants");
	json_t *group = json_object_get(req->json, "group");
	struct create_state *c;
	size_t i;
	json_t *v;

	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) >= CONV_PARTICIPANTS_MAX) {
		http_error(req, 400, "bad_field",
			   "participants must list 1 to 15 people to talk with.");
		return;
	}
	if (group && json_id(group) < 0) {
		http_error(req, 400, "bad_field", "group must be a group id.");
		return;
	}
	c = xcalloc(1, sizeof *c);
	req->state = c;
	req->state_free = free;
	c->group = group ? json_id(group) : 0;
	json_array_foreach(list, i, v)
	{
		int64_t id = json_id(v);
		size_t k;

		if (id < 0) {
			http_error(req, 400, "bad_field", "participants must be user ids.");
			return;
		}
		for (k = 0; k < c->n && c->ids[k] != id; k++)
			;
		if (id != req->user.id && k == c->n)
			c->ids[c->n++] = id;
	}
	if (c->n == 0) {
		http_error(req, 400, "bad_field", "Please choose someone to talk with.");
		return;
	}
	http_run(req, create_fn, NULL);
}

/* ---- messages ---- */

struct page_state {
	int64_t before; /* 0: from the newest */
	int limit;
};

static int messages_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct page_state *p = req->state;
	int64_t conv = http_param_id(req, 0), group = conv__group_for(tx, conv, req->user.id, NULL);
	sqlite3_stmt *st;
	json_t *a;
	int n = 0, more = 0;

	if (group < 0)
		return (int)group;
	if (group == 0)
		return conv_not_found(req);
	st = store_stmt(tx, "SELECT " MSG_COLS " FROM conversation_messages m"
			    " JOIN users u ON u.id = m.author_id"
			    " WHERE m.conversation_id = ?1 AND m.id < ?2 AND NOT " CONV_HIDDEN_SQL(
				"?3", "m.author_id", "m.ts") " ORDER BY m.id DESC LIMIT ?4");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, conv);
	sqlite3_bind_int64(st, 2, p->before ? p->before : INT64_MAX);
	sqlite3_bind_int64(st, 3, req->user.id);
	sqlite3_bind_int(st, 4, p->limit + 1);
	a = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n++ == p->limit) {
			more = 1;
			break;
		}
		json_array_insert_new(a, 0, message_json(st, conv));
	}
	sqlite3_reset(st);
	req->out = json_pack("{s:o,s:b}", "messages", a, "has_more", more);
	return 0;
}

static void route_messages(struct http_req *req)
{
	const char *before = http_query(req, "before"), *limit = http_query(req, "limit");
	struct page_state *p;
	int64_t v;

	if (http_param_id(req, 0) < 0) {
		http_error(req, 404, "not_found", no_conv);
		return;
	}
	p = xcalloc(1, sizeof *p);
	req->state = p;
	req->state_free = free;
	p->limit = CONV_PAGE_DEFAULT;
	if (before) {
		if (parse_int64(before, 1, PROTO_ID_MAX, &v)) {
			http_error(req, 400, "bad_field", "before must be a message id.");
			return;
		}
		p->before = v;
	}
	if (limit) {
		if (parse_int64(limit, 1, CONV_PAGE_MAX, &v)) {
			http_error(req, 400, "bad_field", "limit must be 1 to 200.");
			return;
		}
		p->limit = (int)v;
	}
	http_run(req, messages_fn, NULL);
}

static void send_state_free(void *p)
{
	conv__send_free(p);
}

static int post_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct conv_send *j = req->state;
	int rc = conv__send_fn(tx, j);

	if (rc)
		return rc;
	if (j->err == PROTO_ENOT_FOUND)
		return conv_not_found(req);
	if (j->err == PROTO_EDUPLICATE)
		return http_job_fail(req, 409, "duplicate", proto_error_message(PROTO_EDUPLICATE));
	req->out = json_pack("{s:I,s:I,s:{s:I,s:s},s:s%,s:I,s:s}", "id", (json_int_t)j->id,
			     "conversation", (json_int_t)j->conversation_id, "author", "id",
			     (json_int_t)j->author_id, "name", j->author_name, "text", j->text,
			     j->len, "ts", (json_int_t)j->ts, "client_id", j->client_id);
	req->out_status = j->dup ? 200 : 201;
	return req->out ? 0 : STORE_EIO;
}

static void post_then(struct http_req *req, int rc)
{
	struct conv_send *j = req->state;

	if (rc)
		posting_refund(j->author_id); /* a refusal changes nothing */
	if (rc == 0) {
		conv__deliver(req->srv, j);
		if (j->crisis && !j->dup)
			json_object_set_new(req->out, "crisis_resources",
					    json_string(req->srv->cfg.crisis_text));
	}
	http_reply_job(req, rc);
}

static void route_post(struct http_req *req)
{
	const char *cid = http_json_str(req, "client_id"), *text = http_json_str(req, "text");
	struct conv_send *j;
	int rc;

	if (http_param_id(req, 0) < 0) {
		http_error(req, 404, "not_found", no_conv);
		return;
	}
	if (!cid || !proto_check_token(cid, strlen(cid), PROTO_CLIENT_ID_MAX)) {
		http_error(req, 400, "bad_field",
			   "client_id must be 1 to 64 letters, digits, '-' or '_'.");
		return;
	}
	if (!text) {
		http_error(req, 400, "missing_field", "Please write a message.");
		return;
	}
	rc = proto_check_text(text, strlen(text), PROTO_TEXT_MAX, NULL);
	if (rc) {
		http_error(req, rc == PROTO_ETEXT_TOO_LONG ? 413 : 400, proto_error_code(rc),
			   proto_error_message(rc));
		return;
	}
	rc = conv__prepare(req->user.id, http_param_id(req, 0), cid, text, strlen(text), &j);
	if (rc) {
		http_add_header(req, "Retry-After", "2");
		http_error(req, 429, proto_error_code(rc), proto_error_message(rc));
		return;
	}
	req->state = j;
	req->state_free = send_state_free;
	http_run(req, post_fn, post_then);
}

/* ---- read, leave ---- */

static int read_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct conv_read *j = req->state;
	int rc = conv__read_fn(tx, j);

	if (rc)
		return rc;
	if (j->err)
		return conv_not_found(req);
	req->out = json_pack("{s:I,s:I,s:I}", "conversation", (json_int_t)j->conversation_id,
			     "up_to", (json_int_t)j->up_to, "unread", (json_int_t)j->unread);
	return 0;
}

static void read_then(struct http_req *req, int rc)
{
	struct conv_read *j = req->state;

	if (rc == 0)
		conv__send_unread(j->user_id, j->conversation_id, j->unread);
	http_reply_job(req, rc);
}

static void route_read(struct http_req *req)
{
	json_t *up = json_object_get(req->json, "up_to");
	struct conv_read *j;

	if (http_param_id(req, 0) < 0) {
		http_error(req, 404, "not_found", no_conv);
		return;
	}
	if (up && json_id(up) < 0) {
		http_error(req, 400, "bad_field", "up_to must be a message id.");
		return;
	}
	j = xcalloc(1, sizeof *j);
	req->state = j;
	req->state_free = free;
	j->conversation_id = http_param_id(req, 0);
	j->user_id = req->user.id;
	j->up_to = up ? json_id(up) : 0;
	http_run(req, read_fn, read_then);
}

static int leave_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int64_t conv = http_param_id(req, 0), group = conv__group_for(tx, conv, req->user.id, NULL);
	sqlite3_stmt *st;
	int rc;

	if (group < 0)
		return (int)group;
	if (group == 0)
		return conv_not_found(req);
	st = store_stmt(tx, "UPDATE conversation_participants SET left_at = ?"
			    " WHERE conversation_id = ? AND user_id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, clock_now_ms());
	sqlite3_bind_int64(st, 2, conv);
	sqlite3_bind_int64(st, 3, req->user.id);
	if ((rc = step_done(tx, st, "conv_leave")))
		return rc;
	req->out_status = 204;
	return audit_append(tx, req->user.id, "conversation_left", "conversation", conv, NULL);
}


static void route_leave(struct http_req *req)
{
	if (http_param_id(req, 0) < 0)
		http_error(req, 404, "not_found", no_conv);
	else
		http_run(req, leave_fn, http_reply_job_empty);
}

/* ---- blocks ---- */

static int64_t block_target(struct http_req *req)
{
	return req->nparams ? http_param_id(req, 0) : json_id(json_object_get(req->json, "user"));
}

static int block_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int64_t target = block_target(req), now = clock_now_ms();
	sqlite3_stmt *st;
	json_t *who = NULL;
	int rc, staff = 0;

	/* only someone you could meet here: in a group with you, or in a conversation */
	st = store_stmt(
	    tx, "SELECT u.id, " ACCT_NAME_SQL(
		    "u") ", u.role != 'member' FROM users u WHERE u.id = ?1"
			 " AND u.erased_at IS NULL AND (" GROUPS_SHARE_SQL(
			     "?1", "?2") " OR EXISTS (SELECT 1 FROM conversation_participants a"
					 " JOIN conversation_participants b ON b.conversation_id = "
					 "a.conversation_id"
					 " WHERE a.user_id = ?1 AND b.user_id = ?2))");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, target);
	sqlite3_bind_int64(st, 2, req->user.id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		who = person(st, 0, 1);
		staff = sqlite3_column_int(st, 2);
	}
	sqlite3_reset(st);
	if (!who)
		return http_job_fail(req, 404, "not_found", "We could not find that person.");
	/* a block hides what they write; help must always be able to reach a member */
	if (staff) {
		json_decref(who);
		return http_job_fail(req, 403, "cannot_block_staff",
				     "Facilitators and managers cannot be blocked, so that help can "
				     "always reach you. If something they wrote upset you, please "
				     "report it: a manager will read it.");
	}
	req->out = json_pack("{s:o,s:I}", "user", who, "since", (json_int_t)now);
	st = store_stmt(tx, "INSERT INTO user_blocks (blocker_id, blocked_id, created_at)"
			    " SELECT ?1, ?2, ?3 WHERE NOT EXISTS (SELECT 1 FROM user_blocks"
			    " WHERE blocker_id = ?1 AND blocked_id = ?2 AND ended_at IS NULL)");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, req->user.id);
	sqlite3_bind_int64(st, 2, target);
	sqlite3_bind_int64(st, 3, now);
	if ((rc = step_done(tx, st, "block")))
		return rc;
	if (sqlite3_changes(store_db(tx)) == 0) { /* already blocked: 200, since then */
		st = store_stmt(tx, "SELECT created_at FROM user_blocks WHERE blocker_id = ?"
				    " AND blocked_id = ? AND ended_at IS NULL");
		if (!st)
			return STORE_EIO;
		sqlite3_bind_int64(st, 1, req->user.id);
		sqlite3_bind_int64(st, 2, target);
		if (sqlite3_step(st) == SQLITE_ROW)
			json_object_set_new(req->out, "since",
					    json_integer(sqlite3_column_int64(st, 0)));
		sqlite3_reset(st);
		return 0;
	}
	req->out_status = 201;
	return audit_append(tx, req->user.id, "user_blocked", "user", target, NULL);
}

static void route_block(struct http_req *req)
{
	int64_t target = block_target(req);

	if (target < 0) {
		http_error(req, 400, "bad_field", "user must be a user id.");
		return;
	}
	if (target == req->user.id) {
		http_error(req, 400, "bad_field", "You cannot block yourself.");
		return;
	}
	http_run(req, block_fn, NULL);
}

static int unblock_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int64_t target = http_param_id(req, 0);
	sqlite3_stmt *st = store_stmt(tx, "UPDATE user_blocks SET ended_at = ? WHERE blocker_id = ?"
					  " AND blocked_id = ? AND ended_at IS NULL");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, clock_now_ms());
	sqlite3_bind_int64(st, 2, req->user.id);
	sqlite3_bind_int64(st, 3, target);
	if ((rc = step_done(tx, st, "unblock")))
		return rc;
	if (sqlite3_changes(store_db(tx)) == 0)
		return http_job_fail(req, 404, "not_found", "You have not blocked that person.");
	return audit_append(tx, req->user.id, "user_unblocked", "user", target, NULL);
}

static void route_unblock(struct http_req *req)
{
	if (http_param_id(req, 0) < 0)
		http_error(req, 404, "not_found", "You have not blocked that person.");
	else
		http_run(req, unblock_fn, http_reply_job_empty);
}

static int blocks_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	sqlite3_stmt *st = store_stmt(tx, "SELECT b.blocked_id, " ACCT_NAME_SQL(
					      "u") ","
						   " b.created_at FROM user_blocks b"
						   " JOIN users u ON u.id = b.blocked_id"
						   " WHERE b.blocker_id = ? AND b.ended_at IS NULL"
						   " ORDER BY b.created_at, b.id");
	json_t *a = json_array();

	if (!st) {
		json_decref(a);
		return STORE_EIO;
	}
	sqlite3_bind_int64(st, 1, req->user.id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:o,s:I}", "user", person(st, 0, 1), "since",
						   (json_int_t)sqlite3_column_int64(st, 2)));
	sqlite3_reset(st);
	req->out = json_pack("{s:o}", "blocks", a);
	return 0;
}

static void route_blocks(struct http_req *req)
{
	http_run(req, blocks_fn, NULL);
}

static const struct http_route routes[] = {
    {HTTP_GET, "/api/v1/conversations", route_list, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/conversations", route_create, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/conversations/{id}", route_get, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/conversations/{id}/messages", route_messages, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/conversations/{id}/messages", route_post, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/conversations/{id}/read", route_read, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/conversations/{id}/leave", route_leave, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/blocks", route_blocks, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/blocks", route_block, HTTP_ROUTE_AUTH},
    {HTTP_DELETE, "/api/v1/blocks/{id}", route_unblock, HTTP_ROUTE_AUTH},
};

void conv__http_init(struct server *srv)
{
	(void)srv;
	http_routes_add(routes, ARRAY_LEN(routes));
}
