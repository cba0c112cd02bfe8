/*
 * reports.c — reports to the online manager (see reports.h): making one
 * (only about what the reporter can see), the manager's queue with the
 * content quoted (every read audited), resolving, and the reporter's own
 * list.
 */
#include "reports.h"

#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "boards.h"
#include "clock.h"
#include "conv.h"
#include "groups.h"
#include "http.h"
#include "live.h"
#include "mail.h"
#include "proto.h"
#include "server.h"
#include "util.h"

static const char *const kinds[] = {"confidentiality_concern", "harassment", "safety", "spam",
				    "other"};

enum about { ABOUT_USER, ABOUT_POST, ABOUT_LIVE, ABOUT_DM };
static const char *const abouts[] = {"user", "post", "live_message", "conversation_message"};

static int index_of(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, list[i]))
			return (int)i;
	return -1;
}

/* One per report being made: the request as checked, then what the job found. */
struct new_report {
	int kind, about;
	char *reason;
	int64_t user, post, session, seq, message, conversation; /* as given; 0 when absent */
	/* found by the job */
	int64_t subject, group;
	char *quoted;
	int64_t id;
	int64_t managers[64]; /* told on the loop thread */
	size_t nman;
};

static void new_report_free(void *p)
{
	struct new_report *r = p;

	free(r->reason);
	free(r->quoted);
	free(r);
}

static const char not_there[] = "We could not find that. It may have been removed.";

static char *col_dup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? xstrdup(s) : NULL;
}

/* ---- what the reporter can see ---- */

static int find_user(struct store_tx *tx, struct http_req *req, struct new_report *r)
{
	sqlite3_stmt *st =
	    store_stmt(tx, "SELECT 1 FROM users u WHERE u.id = ?1"
			   " AND u.erased_at IS NULL AND (" GROUPS_SHARE_SQL(
			       "?1", "?2") " OR EXISTS (SELECT 1 FROM conversation_participants a"
					   " JOIN conversation_participants b"
					   " ON b.conversation_id = a.conversation_id"
					   " WHERE a.user_id = ?1 AND b.user_id = ?2))");
	int found;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, r->user);
	sqlite3_bind_int64(st, 2, req->user.id);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!found)
		return http_job_fail(req, 404, "not_found", not_there);
	r->subject = r->user;
	return 0;
}

static int find_live(struct store_tx *tx, struct http_req *req, struct new_report *r)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT s.group_id, m.author_id, m.text, m.ts"
					  " FROM messages m JOIN sessions s ON s.id = m.session_id"
					  " WHERE m.session_id = ? AND m.seq = ?");
	int64_t ts = 0;
	int access = GROUP_NONE, rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, r->session);
	sqlite3_bind_int64(st, 2, r->seq);
	if (sqlite3_step(st) == SQLITE_ROW) {
		r->group = sqlite3_column_int64(st, 0);
		r->subject = sqlite3_column_int64(st, 1);
		r->quoted = col_dup(st, 2); /* NULL once redacted */
		ts = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	if (!r->group)
		return http_job_fail(req, 404, "not_found", not_there);
	/* the transcript rule: members when it was said, facilitators now */
	rc = groups_access(tx, r->group, req->user.id, ts, &access);
	if (rc && rc != STORE_ENOTFOUND)
		return rc;
	if (access == GROUP_NONE)
		return http_job_fail(req, 404, "not_found", not_there);
	return 0;
}

static int find_dm(struct store_tx *tx, struct http_req *req, struct new_report *r)
{
	sqlite3_stmt *st =
	    store_stmt(tx, "SELECT m.conversation_id, m.author_id, m.text"
			   " FROM conversation_messages m WHERE m.id = ?1 AND NOT " CONV_HIDDEN_SQL(
			       "?2", "m.author_id", "m.ts"));
	int64_t conv = 0, group;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, r->message);
	sqlite3_bind_int64(st, 2, req->user.id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		conv = sqlite3_column_int64(st, 0);
		r->subject = sqlite3_column_int64(st, 1);
		r->quoted = col_dup(st, 2);
	}
	sqlite3_reset(st);
	if (!conv || (r->conversation && r->conversation != conv))
		return http_job_fail(req, 404, "not_found", not_there);
	group = conv__group_for(tx, conv, req->user.id, NULL);
	if (group < 0)
		return (int)group;
	if (group == 0)
		return http_job_fail(req, 404, "not_found", not_there);
	r->conversation = conv;
	r->group = group;
	return 0;
}

/* A board post: the boards module decides who may read it (held, deleted,
 * another group's folder all answer as missing). */
static int find_post(struct store_tx *tx, struct http_req *req, struct new_report *r)
{
	struct board_who who = {req->user.id, req->user.role, clock_now_ms()};
	struct board_post p;
	sqlite3_stmt *st;
	int rc = board_post_get(tx, r->post, &who, &p);

	if (rc == STORE_ENOTFOUND || (rc == 0 && p.deleted))
		return http_job_fail(req, 404, "not_found", not_there);
	if (rc)
		return rc;
	st = store_stmt(tx, "SELECT body FROM board_posts WHERE id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, r->post);
	if (sqlite3_step(st) == SQLITE_ROW)
		r->quoted = col_dup(st, 0);
	sqlite3_reset(st);
	r->subject = p.author_id;
	r->group = p.topic.at.group_id; /* 0: a site-wide board */
	return 0;
}

/* ---- making a report ---- */

/* The same reporter's open report about the same thing, or 0. */
static int64_t open_twin(struct store_tx *tx, int64_t reporter, const struct new_report *r)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT id FROM reports WHERE reporter_id = ?1 AND about = ?2 AND status = 'open'"
		" AND coalesce(subject_id, 0) = ?3 AND coalesce(session_id, 0) = ?4"
		" AND coalesce(seq, 0) = ?5 AND coalesce(message_id, 0) = ?6"
		" AND coalesce(post_id, 0) = ?7 LIMIT 1");
	int64_t id = 0;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, reporter);
	sqlite3_bind_text(st, 2, abouts[r->about], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, r->subject);
	sqlite3_bind_int64(st, 4, r->session);
	sqlite3_bind_int64(st, 5, r->seq);
	sqlite3_bind_int64(st, 6, r->message);
	sqlite3_bind_int64(st, 7, r->post);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

static void bind_id_or_null(sqlite3_stmt *st, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static int insert_report(struct store_tx *tx, int64_t reporter, struct new_report *r, int64_t now)
{
	sqlite3_stmt *st =
	    store_stmt(tx, "INSERT INTO reports (reporter_id, kind, about,"
			   " subject_id, group_id, session_id, seq, conversation_id,"
			   " message_id, post_id, quoted, reason, created_at)"
			   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, reporter);
	sqlite3_bind_text(st, 2, kinds[r->kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, abouts[r->about], -1, SQLITE_STATIC);
	bind_id_or_null(st, 4, r->subject);
	bind_id_or_null(st, 5, r->group);
	bind_id_or_null(st, 6, r->session);
	bind_id_or_null(st, 7, r->seq);
	bind_id_or_null(st, 8, r->conversation);
	bind_id_or_null(st, 9, r->message);
	bind_id_or_null(st, 10, r->post);
	if (r->quoted)
		sqlite3_bind_text(st, 11, r->quoted, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, r->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r->id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : store_check(tx, rc, "report_insert");
}

/* Managers hear that a report is waiting, never what it is about. */
static int tell_managers(struct store_tx *tx, struct new_report *r)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT id FROM users WHERE role = 'manager'"
					  " AND erased_at IS NULL ORDER BY id LIMIT 64");
	int rc = 0;

	if (!st)
		return STORE_EIO;
	while (r->nman < ARRAY_LEN(r->managers) && sqlite3_step(st) == SQLITE_ROW)
		r->managers[r->nman++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	for (size_t i = 0; rc == 0 && i < r->nman; i++)
		rc = mail_enqueue(tx, r->managers[i], "report_waiting", "A new report is waiting",
				  "Someone has made a report to the online manager in Hearth.\n"
				  "Sign in to Hearth to read it.\n");
	return rc;
}

static int load_mine(struct store_tx *tx, struct http_req *req, int64_t id);

static int too_many_today(struct store_tx *tx, int64_t reporter, int64_t now)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT count(*) >= ? FROM reports WHERE reporter_id = ?"
					  " AND created_at > ?");
	int over;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int(st, 1, REPORTS_PER_DAY);
	sqlite3_bind_int64(st, 2, reporter);
	sqlite3_bind_int64(st, 3, now - 24 * 3600000LL);
	over = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return over;
}

static int create_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct new_report *r = req->state;
	int64_t now = clock_now_ms(), twin;
	char detail[96];
	int rc;

	rc = r->about == ABOUT_USER   ? find_user(tx, req, r)
	     : r->about == ABOUT_LIVE ? find_live(tx, req, r)
	     : r->about == ABOUT_DM   ? find_dm(tx, req, r)
				      : find_post(tx, req, r);
	if (rc)
		return rc;
	if (r->about != ABOUT_USER && r->subject == req->user.id)
		return http_job_fail(
		    req, 400, "own_content",
		    "That is your own message. You can ask a facilitator for help.");
	twin = open_twin(tx, req->user.id, r);
	if (twin < 0)
		return (int)twin;
	if (twin) /* already waiting: the same report, not a second one */
		return load_mine(tx, req, twin);
	if ((rc = too_many_today(tx, req->user.id, now)))
		return rc < 0 ? rc
			      : http_job_fail(req, 429, "too_many_reports",
					      "You have made many reports today. If someone is in"
					      " danger, please call the emergency services.");
	if ((rc = insert_report(tx, req->user.id, r, now)))
		return rc;
	snprintf(detail, sizeof detail, "{\"about\":\"%s\",\"kind\":\"%s\"}", abouts[r->about],
		 kinds[r->kind]);
	if ((rc = audit_append(tx, req->user.id, "report_created", "report", r->id, detail)) ||
	    (rc = tell_managers(tx, r)) || (rc = load_mine(tx, req, r->id)))
		return rc;
	req->out_status = 201;
	return 0;
}

static void notify_user(int64_t user_id, const char *kind, int64_t report)
{
	struct proto_out o = {.type = PROTO_OUT_NOTIFICATION};
	struct proto_field f = {"report", NULL, report};

	o.notification.kind = kind;
	o.notification.fields = &f;
	o.notification.n_fields = 1;
	ws_send_user(user_id, &o);
}

static void create_then(struct http_req *req, int rc)
{
	struct new_report *r = req->state;

	if (rc == 0 && req->out_status == 201)
		for (size_t i = 0; i < r->nman; i++)
			notify_user(r->managers[i], "report", r->id);
	http_reply_job(req, rc);
}

/* A positive id member, 0 when absent, -1 when present but not an id. */
static int64_t id_member(json_t *body, const char *key)
{
	json_t *v = json_object_get(body, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > PROTO_ID_MAX)
		return -1;
	return json_integer_value(v);
}

/* The target fields each kind of report needs, and allows. */
static int check_target(struct http_req *req, struct new_report *r)
{
	static const char *const keys[] = {"user", "post",    "session",
					   "seq",  "message", "conversation"};
	int64_t *dst[] = {&r->user, &r->post, &r->session, &r->seq, &r->message, &r->conversation};
	static const unsigned need[] = {1 << 0, 1 << 1, 1 << 2 | 1 << 3, 1 << 4};
	static const unsigned allow[] = {1 << 0, 1 << 1, 1 << 2 | 1 << 3, 1 << 4 | 1 << 5};
	unsigned have = 0;

	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		*dst[i] = id_member(req->json, keys[i]);
		if (*dst[i] < 0) {
			http_error(req, 400, "bad_field", "A target must be given as an id.");
			return -1;
		}
		if (*dst[i])
			have |= 1u << i;
	}
	if ((have & need[r->about]) != need[r->about] || (have & ~allow[r->about])) {
		http_error(req, 400, "bad_field",
			   "Please say what you are reporting: user; post; session and seq;"
			   " or message.");
		return -1;
	}
	return 0;
}

static void route_create(struct http_req *req)
{
	static const char *const known[] = {"about",   "kind", "reason",  "user",	 "post",
					    "session", "seq",  "message", "conversation"};
	const char *reason = http_json_str(req, "reason"), *key;
	struct new_report *r;
	json_t *v;
	int rc;

	json_object_foreach(req->json, key, v)
	{
		if (index_of(key, known, ARRAY_LEN(known)) < 0) {
			http_error(req, 400, "unknown_field",
				   "That request had a field we do not know.");
			return;
		}
	}
	r = xcalloc(1, sizeof *r);
	req->state = r;
	req->state_free = new_report_free;
	r->about = index_of(http_json_str(req, "about"), abouts, ARRAY_LEN(abouts));
	r->kind = index_of(http_json_str(req, "kind"), kinds, ARRAY_LEN(kinds));
	if (r->about < 0) {
		http_error(req, 400, "bad_field",
			   "about must be user, post, live_message or conversation_message.");
		return;
	}
	if (r->kind < 0) {
		http_error(
		    req, 400, "bad_kind",
		    "kind must be confidentiality_concern, harassment, safety, spam or other.");
		return;
	}
	if (!reason) {
		http_error(req, 400, "missing_field", "Please tell us what happened.");
		return;
	}
	rc = proto_check_text(reason, strlen(reason), REPORTS_TEXT_MAX, NULL);
	if (rc) {
		http_error(req, 400, rc == PROTO_ETEXT_TOO_LONG ? "reason_too_long" : "bad_reason",
			   rc == PROTO_ETEXT_TOO_LONG ? "A report can be up to 2000 characters."
						      : "Please tell us what happened, in words.");
		return;
	}
	if (check_target(req, r))
		return;
	if (r->about == ABOUT_USER && r->user == req->user.id) {
		http_error(req, 400, "bad_field", "You cannot report yourself.");
		return;
	}
	r->reason = xstrdup(reason);
	http_run(req, create_fn, create_then);
}

/* ---- the reporter's view ---- */

#define MINE_COLS                                                                                  \
	"r.id, r.kind, r.about, r.status, r.created_at, r.resolved_at, r.reply, r.subject_id,"     \
	" " ACCT_NAME_SQL("su") ", r.session_id, r.seq, r.conversation_id, r.message_id,"          \
				" r.post_id"
#define MINE_FROM " FROM reports r LEFT JOIN users su ON su.id = r.subject_id"

static void set_id(json_t *o, const char *key, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) != SQLITE_NULL)
		json_object_set_new(o, key, json_integer(sqlite3_column_int64(st, i)));
}

static void set_str(json_t *o, const char *key, sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	json_object_set_new(o, key, s ? json_string(s) : json_null());
}

static void set_person(json_t *o, const char *key, sqlite3_stmt *st, int id_col, int name_col)
{
	if (sqlite3_column_type(st, id_col) == SQLITE_NULL)
		json_object_set_new(o, key, json_null());
	else
		json_object_set_new(o, key,
				    json_pack("{s:I,s:s?}", "id",
					      (json_int_t)sqlite3_column_int64(st, id_col), "name",
					      (const char *)sqlite3_column_text(st, name_col)));
}

static json_t *mine_json(sqlite3_stmt *st)
{
	json_t *o =
	    json_pack("{s:I,s:s,s:s,s:s,s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		      "kind", (const char *)sqlite3_column_text(st, 1), "about",
		      (const char *)sqlite3_column_text(st, 2), "status",
		      (const char *)sqlite3_column_text(st, 3), "created_at",
		      (json_int_t)sqlite3_column_int64(st, 4));

	if (sqlite3_column_type(st, 5) == SQLITE_NULL)
		json_object_set_new(o, "resolved_at", json_null());
	else
		set_id(o, "resolved_at", st, 5);
	set_str(o, "reply", st, 6);
	set_person(o, "person", st, 7, 8);
	set_id(o, "session", st, 9);
	set_id(o, "seq", st, 10);
	set_id(o, "conversation", st, 11);
	set_id(o, "message", st, 12);
	set_id(o, "post", st, 13);
	return o;
}

static int load_mine(struct store_tx *tx, struct http_req *req, int64_t id)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT " MINE_COLS MINE_FROM " WHERE r.id = ?");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		req->out = mine_json(st);
	sqlite3_reset(st);
	return req->out ? 0 : STORE_EIO;
}

static int mine_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	sqlite3_stmt *st = store_stmt(tx, "SELECT " MINE_COLS MINE_FROM " WHERE r.reporter_id = ?"
					  " ORDER BY r.id DESC LIMIT 200");
	json_t *a;

	if (!st)
		return STORE_EIO;
	a = json_array();
	sqlite3_bind_int64(st, 1, req->user.id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, mine_json(st));
	sqlite3_reset(st);
	req->out = json_pack("{s:o}", "reports", a);
	return 0;
}

static void route_mine(struct http_req *req)
{
	http_run(req, mine_fn, NULL);
}

/* ---- the manager's queue ---- */

#define FULL_COLS                                                                                  \
	"r.id, r.kind, r.about, r.status, r.reason, r.created_at, r.reporter_id, " ACCT_NAME_SQL(  \
	    "ru") ", r.subject_id, " ACCT_NAME_SQL("su") ", r.group_id, g.name,"                   \
							 " r.session_id, r.seq, "                  \
							 "r.conversation_id, r.message_id, "       \
							 "r.post_id, r.quoted,"                    \
							 " r.resolved_at, "                        \
							 "r.resolved_by, " ACCT_NAME_SQL(          \
							     "mu") ", r.note, r.reply"
#define FULL_FROM                                                                                  \
	" FROM reports r JOIN users ru ON ru.id = r.reporter_id"                                   \
	" LEFT JOIN users su ON su.id = r.subject_id LEFT JOIN groups g ON g.id = r.group_id"      \
	" LEFT JOIN users mu ON mu.id = r.resolved_by"

static json_t *full_json(sqlite3_stmt *st)
{
	json_t *o =
	    json_pack("{s:I,s:s,s:s,s:s,s:s,s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		      "kind", (const char *)sqlite3_column_text(st, 1), "about",
		      (const char *)sqlite3_column_text(st, 2), "status",
		      (const char *)sqlite3_column_text(st, 3), "reason",
		      (const char *)sqlite3_column_text(st, 4), "created_at",
		      (json_int_t)sqlite3_column_int64(st, 5));

	set_person(o, "reporter", st, 6, 7);
	set_person(o, "person", st, 8, 9);
	if (sqlite3_column_type(st, 10) == SQLITE_NULL)
		json_object_set_new(o, "group", json_null());
	else
		json_object_set_new(o, "group",
				    json_pack("{s:I,s:s?}", "id",
					      (json_int_t)sqlite3_column_int64(st, 10), "name",
					      (const char *)sqlite3_column_text(st, 11)));
	set_id(o, "session", st, 12);
	set_id(o, "seq", st, 13);
	set_id(o, "conversation", st, 14);
	set_id(o, "message", st, 15);
	set_id(o, "post", st, 16);
	set_str(o, "quoted", st, 17);
	if (sqlite3_column_type(st, 18) == SQLITE_NULL)
		json_object_set_new(o, "resolved_at", json_null());
	else
		set_id(o, "resolved_at", st, 18);
	set_person(o, "resolved_by", st, 19, 20);
	set_str(o, "note", st, 21);
	set_str(o, "reply", st, 22);
	return o;
}

/* Each report a manager is shown is a read of group content: audit it. */
static int audit_read(struct store_tx *tx, int64_t manager, int64_t report)
{
	return audit_append(tx, manager, "report_read", "report", report, NULL);
}

struct queue_state {
	char status[12]; /* open, resolved, all */
	int64_t before;
	int limit;
};

static int queue_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct queue_state *q = req->state;
	sqlite3_stmt *st = store_stmt(tx, "SELECT " FULL_COLS FULL_FROM
					  " WHERE (?1 = 'all' OR r.status = ?1) AND r.id < ?2"
					  " ORDER BY r.id DESC LIMIT ?3");
	int64_t ids[REPORTS_PAGE_MAX + 1];
	size_t n = 0;
	int rc = 0, more = 0;
	json_t *a;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_text(st, 1, q->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, q->before ? q->before : INT64_MAX);
	sqlite3_bind_int(st, 3, q->limit + 1);
	a = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		if ((int)n == q->limit) {
			more = 1;
			break;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
		json_array_append_new(a, full_json(st));
	}
	sqlite3_reset(st);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = audit_read(tx, req->user.id, ids[i]);
	req->out = json_pack("{s:o,s:b}", "reports", a, "has_more", more);
	return rc;
}

static int manager_only(struct http_req *req)
{
	if (req->user.role == ACCT_MANAGER)
		return 0;
	http_error(req, 403, "not_allowed", "Only the online manager can see reports.");
	return -1;
}

static void route_queue(struct http_req *req)
{
	const char *status = http_query(req, "status"), *before = http_query(req, "before"),
		   *limit = http_query(req, "limit");
	struct queue_state *q;
	int64_t v;

	if (manager_only(req))
		return;
	q = xcalloc(1, sizeof *q);
	req->state = q;
	req->state_free = free;
	if (!status)
		status = "open";
	if (strcmp(status, "open") && strcmp(status, "resolved") && strcmp(status, "all")) {
		http_error(req, 400, "bad_field", "status must be open, resolved or all.");
		return;
	}
	snprintf(q->status, sizeof q->status, "%s", status);
	q->limit = REPORTS_PAGE_DEFAULT;
	if (before && parse_int64(before, 1, PROTO_ID_MAX, &q->before)) {
		http_error(req, 400, "bad_field", "before must be a report id.");
		return;
	}
	if (limit) {
		if (parse_int64(limit, 1, REPORTS_PAGE_MAX, &v)) {
			http_error(req, 400, "bad_field", "limit must be 1 to 100.");
			return;
		}
		q->limit = (int)v;
	}
	http_run(req, queue_fn, NULL);
}

static int one_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int64_t id = http_param_id(req, 0);
	sqlite3_stmt *st = store_stmt(tx, "SELECT " FULL_COLS FULL_FROM " WHERE r.id = ?");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		req->out = full_json(st);
	sqlite3_reset(st);
	if (!req->out)
		return http_job_fail(req, 404, "not_found", "There is no such report.");
	return audit_read(tx, req->user.id, id);
}

static void route_one(struct http_req *req)
{
	if (manager_only(req))
		return;
	if (http_param_id(req, 0) < 0)
		http_error(req, 404, "not_found", "There is no such report.");
	else
		http_run(req, one_fn, NULL);
}

/* ---- resolving ---- */

struct resolve_state {
	char *note, *reply;
	int64_t reporter;
};

static void resolve_state_free(void *p)
{
	struct resolve_state *s = p;

	free(s->note);
	free(s->reply);
	free(s);
}

static int resolve_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct resolve_state *s = req->state;
	int64_t id = http_param_id(req, 0), now = clock_now_ms();
	sqlite3_stmt *st = store_stmt(tx, "SELECT reporter_id, status = 'open' FROM reports"
					  " WHERE id = ?");
	int open = 0, rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->reporter = sqlite3_column_int64(st, 0);
		open = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	if (!s->reporter)
		return http_job_fail(req, 404, "not_found", "There is no such report.");
	if (!open)
		return http_job_fail(req, 409, "already_resolved",
				     "This report has already been resolved.");
	st = store_stmt(tx, "UPDATE reports SET status = 'resolved', resolved_at = ?,"
			    " resolved_by = ?, note = ?, reply = ? WHERE id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, req->user.id);
	sqlite3_bind_text(st, 3, s->note, -1, SQLITE_STATIC);
	if (s->reply)
		sqlite3_bind_text(st, 4, s->reply, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, id);
	rc = store_check(tx, sqlite3_step(st), "report_resolve");
	sqlite3_reset(st);
	if (rc || (rc = audit_append(tx, req->user.id, "report_resolved", "report", id, NULL)))
		return rc;
	rc = mail_enqueue(tx, s->reporter, "report_resolved", "We have looked at your report",
			  "Thank you for telling us. The online manager has looked at your"
			  " report and dealt with it.\nYou can see it in Hearth, under your"
			  " reports.\n");
	if (rc)
		return rc;
	req->out = json_pack("{s:I,s:s,s:I}", "id", (json_int_t)id, "status", "resolved",
			     "resolved_at", (json_int_t)now);
	return 0;
}

static void resolve_then(struct http_req *req, int rc)
{
	struct resolve_state *s = req->state;

	if (rc == 0)
		notify_user(s->reporter, "report_resolved", http_param_id(req, 0));
	http_reply_job(req, rc);
}

/* A text of 1..REPORTS_TEXT_MAX code points, or NULL with the error sent. */
static const char *text_member(struct http_req *req, const char *key, int required)
{
	json_t *v = json_object_get(req->json, key);
	const char *s = json_string_value(v);

	if (!v && !required)
		return "";
	if (!s || proto_check_text(s, strlen(s), REPORTS_TEXT_MAX, NULL)) {
		http_error(req, 400, "bad_field",
			   required ? "Please write a note of up to 2000 characters."
				    : "A reply can be up to 2000 characters.");
		return NULL;
	}
	return s;
}

static void route_resolve(struct http_req *req)
{
	const char *note, *reply;
	struct resolve_state *s;

	if (manager_only(req))
		return;
	if (http_param_id(req, 0) < 0) {
		http_error(req, 404, "not_found", "There is no such report.");
		return;
	}
	if (!(note = text_member(req, "note", 1)) || !(reply = text_member(req, "reply", 0)))
		return;
	s = xcalloc(1, sizeof *s);
	req->state = s;
	req->state_free = resolve_state_free;
	s->note = xstrdup(note);
	s->reply = *reply ? xstrdup(reply) : NULL;
	http_run(req, resolve_fn, resolve_then);
}

static const struct http_route routes[] = {
    {HTTP_POST, "/api/v1/reports", route_create, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/reports", route_queue, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/reports/{id}", route_one, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/reports/{id}/resolve", route_resolve, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/me/reports", route_mine, HTTP_ROUTE_AUTH},
};

void reports_init(struct server *srv)
{
	(void)srv;
	http_routes_add(routes, ARRAY_LEN(routes));
}
