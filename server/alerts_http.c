/*
 * alerts_http.c — GET /api/v1/alerts: the history of the safety alerts the
 * caller may see, newest first, so that a facilitator who reloads, or was
 * away when it happened, still finds an alert. Live delivery (the `alert`
 * frame, the `board_alert` notification) is untouched; this only reads.
 *
 *   ?before_id=ID &limit=N (1..200, default 50); the next page is
 *   ?before_id=<next_before_id>, which is null on the last page.
 *
 * Answer: {"alerts":[{"id","at","kind","where", …, "group":{"id","name"}?,
 * "user":{"id","name"}, "text"?}], "next_before_id": ID|null}, where "…" is
 * "session" (+ "seq" for a crisis), "conversation" (+ "message"), or
 * "topic" + "post" for a board.
 *
 * The source is the audit log, whose rows already record every alert:
 *   crisis_alert  session       actor: the author; detail {"seq"}
 *   crisis_alert  conversation  actor: the author; detail {"message"}
 *   crisis_alert  board_post    actor: the author; detail {"group","topic"}
 *                               (group 0: a site-wide board)
 *   checkin_drop  session       actor: the member (a detail "user" wins;
 *                               the scores are never logged)
 * The group is never taken from the detail where a table holds it (the
 * session's, the conversation's), only for board posts, whose topic may
 * have moved since.
 *
 * Who sees what follows the live audience (protocol/PROTOCOL.md, "alert",
 * "notification", "Who receives what"):
 *   - members: 403, whatever their past.
 *   - a facilitator: the alerts of the groups they facilitate now.
 *   - the manager: every alert (live, those of sessions reach only the
 *     facilitators in the room; the history shows them to the manager too,
 *     as metadata, like every other alert).
 *   - the text: of a crisis in a session or a conversation only (a board
 *     alert never carries it), only to someone who facilitates the group
 *     now (so the manager reads it only for a group they facilitate, as
 *     live), and never once the message was redacted or its author erased:
 *     it is read from the message's row as it is now, not from the log,
 *     which holds no text.
 *   - nobody is shown the alert raised by their own conversation message or
 *     board post (live they are not told either); in a session they are.
 */
#include "alerts_http.h"

#include <stdint.h>
#include <string.h>

#include "acct.h"
#include "http.h"
#include "server.h"
#include "util.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 200

/* One per request, in req->state: the caller and the page, set on the loop thread. */
struct alerts_query {
	int64_t user_id;
	int64_t before_id; /* INT64_MAX when not given */
	int limit;
	int manager;
};

#define USER_NAME ACCT_NAME_SQL("u") /* "Former member" once erased */

/*
 * ?1 the caller, ?2 1 for the manager, ?3 before_id, ?4 limit.
 * `a` rebuilds what each alert row is about; `v` adds whether the caller
 * facilitates its group now. The text is looked up only where it may be shown.
 */
static const char list_sql[] =
    "WITH a AS (SELECT id, ts, action, target_type, target_id,"
    "  coalesce(json_extract(d, '$.user'), actor_id) AS who,"
    "  json_extract(d, '$.seq') AS seq, json_extract(d, '$.message') AS message,"
    "  json_extract(d, '$.topic') AS topic,"
    "  CASE target_type"
    "   WHEN 'session' THEN (SELECT s.group_id FROM sessions s WHERE s.id = target_id)"
    "   WHEN 'conversation' THEN (SELECT c.group_id FROM conversations c WHERE c.id = target_id)"
    "   ELSE nullif(json_extract(d, '$.group'), 0) END AS grp"
    "  FROM (SELECT id, ts, action, target_type, target_id, actor_id,"
    "   CASE WHEN json_valid(detail) THEN detail ELSE '{}' END AS d FROM audit_log"
    "   WHERE id < ?3 AND ((action = 'crisis_alert'"
    "    AND target_type IN ('session', 'conversation', 'board_post'))"
    "    OR (action = 'checkin_drop' AND target_type = 'session')))),"
    " v AS (SELECT a.*, EXISTS (SELECT 1 FROM group_facilitators gf"
    "  WHERE gf.group_id = a.grp AND gf.user_id = ?1) AS fac FROM a)"
    " SELECT v.id, v.ts, v.action, v.target_type, v.target_id, v.seq, v.message, v.topic,"
    "  g.id, g.name, v.who, " USER_NAME ","
    "  CASE WHEN v.fac AND v.action = 'crisis_alert' AND u.erased_at IS NULL THEN"
    "   CASE v.target_type"
    "    WHEN 'session' THEN (SELECT m.text FROM messages m WHERE m.session_id = v.target_id"
    "     AND m.seq = v.seq AND m.author_id = v.who AND m.redacted_at IS NULL)"
    "    WHEN 'conversation' THEN (SELECT cm.text FROM conversation_messages cm"
    "     WHERE cm.id = v.message AND cm.conversation_id = v.target_id"
    "     AND cm.author_id = v.who) END END"
    " FROM v LEFT JOIN groups g ON g.id = v.grp LEFT JOIN users u ON u.id = v.who"
    " WHERE (?2 OR v.fac) AND NOT (v.target_type != 'session' AND v.who IS ?1)"
    " ORDER BY v.id DESC LIMIT ?4";

enum {
	COL_ID,
	COL_TS,
	COL_ACTION,
	COL_TYPE,
	COL_TARGET,
	COL_SEQ,
	COL_MESSAGE,
	COL_TOPIC,
	COL_GROUP,
	COL_GROUP_NAME,
	COL_USER,
	COL_USER_NAME,
	COL_TEXT
};

static const char *col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

/* Set key to the integer in column col, unless that is NULL. */
static void set_id(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) != SQLITE_NULL)
		json_object_set_new(o, key, json_integer(sqlite3_column_int64(st, col)));
}

static json_t *row_json(sqlite3_stmt *st)
{
	const char *action = col_text(st, COL_ACTION), *type = col_text(st, COL_TYPE);
	int crisis = action && !strcmp(action, "crisis_alert");
	json_t *o = json_pack("{s:I,s:I,s:s}", "id", (json_int_t)sqlite3_column_int64(st, COL_ID),
			      "at", (json_int_t)sqlite3_column_int64(st, COL_TS), "kind",
			      crisis ? "crisis" : "checkin_drop");

	if (type && !strcmp(type, "session")) {
		json_object_set_new(o, "where", json_string("session"));
		set_id(o, "session", st, COL_TARGET);
		if (crisis)
			set_id(o, "seq", st, COL_SEQ);
	} else if (type && !strcmp(type, "conversation")) {
		json_object_set_new(o, "where", json_string("conversation"));
		set_id(o, "conversation", st, COL_TARGET);
		set_id(o, "message", st, COL_MESSAGE);
	} else {
		json_object_set_new(o, "where", json_string("board"));
		set_id(o, "topic", st, COL_TOPIC);
		set_id(o, "post", st, COL_TARGET);
	}
	if (sqlite3_column_type(st, COL_GROUP) != SQLITE_NULL)
		json_object_set_new(o, "group",
				    json_pack("{s:I,s:s?}", "id",
					      (json_int_t)sqlite3_column_int64(st, COL_GROUP),
					      "name", col_text(st, COL_GROUP_NAME)));
	json_object_set_new(o, "user",
			    sqlite3_column_type(st, COL_USER) == SQLITE_NULL
				? json_null()
				: json_pack("{s:I,s:s?}", "id",
					    (json_int_t)sqlite3_column_int64(st, COL_USER), "name",
					    col_text(st, COL_USER_NAME)));
	if (sqlite3_column_type(st, COL_TEXT) != SQLITE_NULL)
		json_object_set_new(o, "text", json_string(col_text(st, COL_TEXT)));
	return o;
}

/* Store thread: one page of alerts into req->out. */
static int list_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	const struct alerts_query *q = req->state;
	sqlite3_stmt *st = store_stmt(tx, list_sql);
	json_t *alerts;
	int64_t last_id = 0;
	int n = 0, rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, q->user_id);
	sqlite3_bind_int(st, 2, q->manager);
	sqlite3_bind_int64(st, 3, q->before_id);
	sqlite3_bind_int(st, 4, q->limit);
	alerts = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		last_id = sqlite3_column_int64(st, COL_ID);
		json_array_append_new(alerts, row_json(st));
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(alerts);
		return store_check(tx, rc, "alerts_list");
	}
	/* a full page may have more after it; a short one is the last */
	req->out = json_pack("{s:o,s:o}", "alerts", alerts, "next_before_id",
			     n == q->limit && last_id > 1 ? json_integer(last_id) : json_null());
	return 0;
}

/* The paging arguments: 0, or -1 with *bad naming the one that is wrong. */
static int parse_query(struct http_req *req, struct alerts_query *q, const char **bad)
{
	int64_t limit = LIMIT_DEFAULT;

	q->before_id = INT64_MAX;
	if (http_query_int(req, "before_id", 1, INT64_MAX / 2, &q->before_id) < 0) {
		*bad = "before_id";
		return -1;
	}
	if (http_query_int(req, "limit", 1, LIMIT_MAX, &limit) < 0) {
		*bad = "limit";
		return -1;
	}
	q->limit = (int)limit;
	return 0;
}

static void route_alerts(struct http_req *req)
{
	struct alerts_query *q;
	const char *bad = NULL;
	char msg[120];

	if (req->user.role != ACCT_FACILITATOR && req->user.role != ACCT_MANAGER) {
		http_error(req, 403, "not_allowed",
			   "Only facilitators and the online manager receive alerts.");
		return;
	}
	q = xcalloc(1, sizeof *q);
	req->state = q;
	req->state_free = free;
	q->user_id = req->user.id;
	q->manager = req->user.role == ACCT_MANAGER;
	if (parse_query(req, q, &bad)) {
		snprintf(msg, sizeof msg, "The value of %s must be a whole number %s.", bad,
			 strcmp(bad, "limit") ? "of 1 or more" : "from 1 to 200");
		http_error(req, 400, "bad_field", msg);
		return;
	}
	http_run(req, list_fn, NULL);
}

static const struct http_route routes[] = {
    {HTTP_GET, "/api/v1/alerts", route_alerts, HTTP_ROUTE_AUTH},
};

void alerts_http_init(struct server *srv)
{
	(void)srv;
	http_routes_add(routes, ARRAY_LEN(routes));
}
