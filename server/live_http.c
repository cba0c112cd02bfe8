/*
 * live_http.c — HTTP routes of live sessions:
 *   POST /api/v1/groups/{id}/sessions  a facilitator opens an ad-hoc session now
 *   GET  /api/v1/sessions/{id}         a session's times and state (group only)
 *   POST /api/v1/sessions/{id}/open    a facilitator opens a scheduled session early
 */
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "groups.h"
#include "http.h"
#include "live.h"
#include "live_store.h"
#include "server.h"
#include "util.h"

#define ADHOC_DEFAULT_MIN 60
#define ADHOC_MAX_MIN 180

static json_t *session_json(sqlite3_stmt *st)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:s,s:b,s:I,s:I}", "id",
			 (json_int_t)sqlite3_column_int64(st, 0), "group_id",
			 (json_int_t)sqlite3_column_int64(st, 1), "starts_at",
			 (json_int_t)sqlite3_column_int64(st, 2), "ends_at",
			 (json_int_t)sqlite3_column_int64(st, 3), "state",
			 sqlite3_column_text(st, 4), "adhoc", sqlite3_column_int(st, 5),
			 "extended_min", (json_int_t)sqlite3_column_int(st, 6), "last_seq",
			 (json_int_t)sqlite3_column_int64(st, 7));
}

#define SESSION_COLS "id, group_id, starts_at, ends_at, state, adhoc, extended_min, last_seq"

/* The access the caller has to a group; answers 404 (no existence oracle) when none. */
static int group_access(struct store_tx *tx, struct http_req *req, int64_t group_id, int *access)
{
	int rc = groups_access(tx, group_id, req->user.id, clock_now_ms(), access);

	if (rc == STORE_ENOTFOUND || (rc == 0 && *access == GROUP_NONE))
		return http_job_fail(req, 404, "not_found", "There is nothing at this address.");
	return rc;
}

static int adhoc_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int64_t group = http_param_id(req, 0), now = clock_now_ms(), id;
	json_t *d = json_object_get(req->json, "duration_min");
	int64_t minutes = d ? json_integer_value(d) : ADHOC_DEFAULT_MIN;
	sqlite3_stmt *st;
	int access, rc = group_access(tx, req, group, &access);

	if (rc)
		return rc;
	if (access != GROUP_FACILITATOR)
		return http_job_fail(req, 403, "not_facilitator",
				     "Only the group's facilitator can open a session.");
	st = store_stmt(tx, "SELECT 1 FROM sessions WHERE group_id = ? AND state = 'open'");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group);
	rc = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (rc)
		return http_job_fail(req, 409, "session_open",
				     "This group already has a session open.");
	st = store_stmt(tx, "INSERT INTO sessions (group_id, starts_at, ends_at, adhoc, state,"
			    " opened_at, opened_by) VALUES (?, ?, ?, 1, 'open', ?, ?)"
			    " RETURNING " SESSION_COLS);
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, now + minutes * 60000);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, req->user.id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return STORE_EIO;
	}
	id = sqlite3_column_int64(st, 0);
	req->out = session_json(st);
	sqlite3_reset(st);
	req->out_status = 201;
	return audit_append(tx, req->user.id, "session_opened", "session", id, NULL);
}

static void route_adhoc(struct http_req *req)
{
	json_t *d = json_object_get(req->json, "duration_min");

	if (http_param_id(req, 0) < 0) {
		http_error(req, 404, "not_found", "There is nothing at this address.");
		return;
	}
	if (d && (!json_is_integer(d) || json_integer_value(d) < 5 ||
		  json_integer_value(d) > ADHOC_MAX_MIN)) {
		http_error(req, 400, "bad_field", "duration_min must be 5 to 180 minutes.");
		return;
	}
	http_run(req, adhoc_fn, NULL);
}

/* Load a session the caller may see (by their group), into req->out. */
static int load_visible(struct store_tx *tx, struct http_req *req, int *access)
{
	int64_t id = http_param_id(req, 0);
	sqlite3_stmt *st = store_stmt(tx, "SELECT " SESSION_COLS " FROM sessions WHERE id = ?");
	int64_t group;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return http_job_fail(req, 404, "not_found", "There is nothing at this address.");
	}
	group = sqlite3_column_int64(st, 1);
	req->out = session_json(st);
	sqlite3_reset(st);
	return group_access(tx, req, group, access);
}

static int get_session_fn(struct store_tx *tx, void *arg)
{
	int access;

	return load_visible(tx, arg, &access);
}

static int open_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int access, rc = load_visible(tx, req, &access);
	sqlite3_stmt *st;

	if (rc)
		return rc;
	if (access != GROUP_FACILITATOR)
		return http_job_fail(req, 403, "not_facilitator",
				     "Only the group's facilitator can open a session.");
	st = store_stmt(tx, "UPDATE sessions SET state = 'open', opened_at = ?1, opened_by = ?2"
			    " WHERE id = ?3 AND state = 'scheduled' AND ends_at > ?1");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, clock_now_ms());
	sqlite3_bind_int64(st, 2, req->user.id);
	sqlite3_bind_int64(st, 3, http_param_id(req, 0));
	rc = store_check(tx, sqlite3_step(st), "open_early");
	sqlite3_reset(st);
	if (rc)
		return rc;
	if (sqlite3_changes(store_db(tx)) == 0)
		return http_job_fail(req, 409, "not_scheduled",
				     "Only a session that has not started or ended can be opened.");
	json_object_set_new(req->out, "state", json_string("open"));
	return audit_append(tx, req->user.id, "session_opened", "session", http_param_id(req, 0),
			    NULL);
}

static void route_get(struct http_req *req)
{
	if (http_param_id(req, 0) < 0)
		http_error(req, 404, "not_found", "There is nothing at this address.");
	else
		http_run(req, get_session_fn, NULL);
}

static void route_open(struct http_req *req)
{
	if (http_param_id(req, 0) < 0)
		http_error(req, 404, "not_found", "There is nothing at this address.");
	else
		http_run(req, open_fn, NULL);
}

static const struct http_route routes[] = {
	{HTTP_POST, "/api/v1/groups/{id}/sessions", route_adhoc, HTTP_ROUTE_AUTH},
	{HTTP_GET, "/api/v1/sessions/{id}", route_get, HTTP_ROUTE_AUTH},
	{HTTP_POST, "/api/v1/sessions/{id}/open", route_open, HTTP_ROUTE_AUTH},
};

void live_http_init(struct server *srv)
{
	(void)srv;
	http_routes_add(routes, ARRAY_LEN(routes));
}
