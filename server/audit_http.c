/*
 * audit_http.c — GET /api/v1/audit: the manager reads the audit log.
 *
 *   ?actor=ID (0: the system)  &action=NAME  &target_type=NAME  &target_id=ID
 *   &since=MS &until=MS (inclusive, ms since the epoch)
 *   &before_id=ID &limit=N (1..200, default 50): newest first; the next
 *   page is ?before_id=<next_before_id>, which is null on the last page.
 *
 * Answer: {"entries":[{"id","ts","actor":{"id","name"}|null,"action",
 * "target_type","target_id","detail":{…}}], "next_before_id": ID|null}.
 *
 * Only managers may read it (403 for everyone else), and every reading is
 * itself a row of the log ("audit_read", with the filters used), written
 * in the same transaction as the read.
 */
#include "audit_http.h"

#include <stddef.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "http.h"
#include "server.h"
#include "util.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 200
#define NAME_MAX_LEN 64

/* One per request, in req->state: the filters, checked on the loop thread. */
struct audit_query {
	int64_t actor, target_id, since, until, before_id;
	int has_actor, has_target_id, has_since, has_until, has_before_id;
	int limit;
	char action[NAME_MAX_LEN + 1], target_type[NAME_MAX_LEN + 1];
};

/* Action and type names are snake_case codes; nothing else can match one. */
static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '.' || *s == '-'))
			return 0;
	return 1;
}

static int parse_query(struct http_req *req, struct audit_query *q, const char **bad)
{
	static const struct {
		const char *name;
		size_t has, val;
		int64_t min;
	} ints[] = {
	    {"actor", offsetof(struct audit_query, has_actor), offsetof(struct audit_query, actor),
	     0},
	    {"target_id", offsetof(struct audit_query, has_target_id),
	     offsetof(struct audit_query, target_id), 0},
	    {"since", offsetof(struct audit_query, has_since), offsetof(struct audit_query, since),
	     0},
	    {"until", offsetof(struct audit_query, has_until), offsetof(struct audit_query, until),
	     0},
	    {"before_id", offsetof(struct audit_query, has_before_id),
	     offsetof(struct audit_query, before_id), 1},
	};
	const char *v;
	int64_t limit = LIMIT_DEFAULT;

	for (size_t i = 0; i < ARRAY_LEN(ints); i++) {
		int rc = http_query_int(req, ints[i].name, ints[i].min, INT64_MAX / 2,
					(int64_t *)((char *)q + ints[i].val));

		if (rc < 0) {
			*bad = ints[i].name;
			return -1;
		}
		*(int *)((char *)q + ints[i].has) = rc;
	}
	if (http_query_int(req, "limit", 1, LIMIT_MAX, &limit) < 0) {
		*bad = "limit";
		return -1;
	}
	q->limit = (int)limit;
	v = http_query(req, "action");
	if (v && !name_ok(v)) {
		*bad = "action";
		return -1;
	}
	snprintf(q->action, sizeof q->action, "%s", v ? v : "");
	v = http_query(req, "target_type");
	if (v && !name_ok(v)) {
		*bad = "target_type";
		return -1;
	}
	snprintf(q->target_type, sizeof q->target_type, "%s", v ? v : "");
	return 0;
}

/* The SELECT for these filters. Built per request (not a cached statement)
 * so that SQLite can use the actor and action indexes for what is given. */
static char *build_sql(const struct audit_query *q)
{
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "SELECT a.id, a.ts, a.actor_id, " ACCT_NAME_SQL(
			 "u") ", a.action,"
			      " a.target_type, a.target_id, a.detail"
			      " FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id WHERE 1");
	if (q->has_actor)
		buf_puts(&b, q->actor ? " AND a.actor_id = :actor" : " AND a.actor_id IS NULL");
	if (q->action[0])
		buf_puts(&b, " AND a.action = :action");
	if (q->target_type[0])
		buf_puts(&b, " AND a.target_type = :target_type");
	if (q->has_target_id)
		buf_puts(&b, " AND a.target_id = :target_id");
	if (q->has_since)
		buf_puts(&b, " AND a.ts >= :since");
	if (q->has_until)
		buf_puts(&b, " AND a.ts <= :until");
	if (q->has_before_id)
		buf_puts(&b, " AND a.id < :before_id");
	buf_puts(&b, " ORDER BY a.id DESC LIMIT :limit");
	return buf_steal(&b, NULL);
}

static void bind_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, v);
}

static void bind_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static json_t *row_json(sqlite3_stmt *st)
{
	const char *detail = (const char *)sqlite3_column_text(st, 7);
	json_t *d = detail ? json_loads(detail, JSON_REJECT_DUPLICATES, NULL) : NULL;
	json_t *actor = json_null();

	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		actor = json_pack("{s:I,s:s?}", "id", (json_int_t)sqlite3_column_int64(st, 2),
				  "name", (const char *)sqlite3_column_text(st, 3));
	return json_pack(
	    "{s:I,s:I,s:o,s:s,s:s?,s:o,s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0), "ts",
	    (json_int_t)sqlite3_column_int64(st, 1), "actor", actor, "action",
	    (const char *)sqlite3_column_text(st, 4), "target_type",
	    (const char *)sqlite3_column_text(st, 5), "target_id",
	    sqlite3_column_type(st, 6) == SQLITE_NULL ? json_null()
						      : json_integer(sqlite3_column_int64(st, 6)),
	    "detail", d ? d : json_object());
}

/* The filters as given, for the audit row of this reading. */
static char *filters_json(const struct audit_query *q)
{
	json_t *f = json_object();
	char *text;

	if (q->has_actor)
		json_object_set_new(f, "actor", json_integer(q->actor));
	if (q->action[0])
		json_object_set_new(f, "action", json_string(q->action));
	if (q->target_type[0])
		json_object_set_new(f, "target_type", json_string(q->target_type));
	if (q->has_target_id)
		json_object_set_new(f, "target_id", json_integer(q->target_id));
	if (q->has_since)
		json_object_set_new(f, "since", json_integer(q->since));
	if (q->has_until)
		json_object_set_new(f, "until", json_integer(q->until));
	if (q->has_before_id)
		json_object_set_new(f, "before_id", json_integer(q->before_id));
	json_object_set_new(f, "limit", json_integer(q->limit));
	text = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(f);
	return text;
}

static int list_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	const struct audit_query *q = req->state;
	char *sql = build_sql(q), *filters;
	sqlite3_stmt *st = NULL;
	json_t *entries;
	int64_t last_id = 0;
	int n = 0, rc;

	rc = sqlite3_prepare_v2(store_db(tx), sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return store_check(tx, rc, "audit_list");
	if (q->has_actor && q->actor)
		bind_int(st, ":actor", q->actor);
	bind_text(st, ":action", q->action);
	bind_text(st, ":target_type", q->target_type);
	bind_int(st, ":target_id", q->target_id);
	bind_int(st, ":since", q->since);
	bind_int(st, ":until", q->until);
	bind_int(st, ":before_id", q->before_id);
	bind_int(st, ":limit", q->limit);
	entries = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		last_id = sqlite3_column_int64(st, 0);
		json_array_append_new(entries, row_json(st));
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(entries);
		return store_check(tx, rc, "audit_list");
	}
	filters = filters_json(q);
	rc = audit_append(tx, req->user.id, "audit_read", NULL, 0, filters);
	free(filters);
	if (rc) {
		json_decref(entries);
		return rc;
	}
	/* a full page may have more after it; a short one is the last */
	req->out = json_pack("{s:o,s:o}", "entries", entries, "next_before_id",
			     n == q->limit && last_id > 1 ? json_integer(last_id) : json_null());
	return 0;
}

static void route_audit(struct http_req *req)
{
	struct audit_query *q;
	const char *bad = NULL;
	char msg[120];

	if (req->user.role != ACCT_MANAGER) {
		http_error(req, 403, "not_allowed",
			   "Only the online manager can read the audit log.");
		return;
	}
	q = xcalloc(1, sizeof *q);
	req->state = q;
	req->state_free = free;
	if (parse_query(req, q, &bad)) {
		if (!strcmp(bad, "action") || !strcmp(bad, "target_type"))
			snprintf(msg, sizeof msg,
				 "The filter %s must be a code such as login_failed.", bad);
		else
			snprintf(msg, sizeof msg, "The filter %s must be a whole number%s.", bad,
				 strcmp(bad, "limit") ? "" : " from 1 to 200");
		http_error(req, 400, "bad_field", msg);
		return;
	}
	http_run(req, list_fn, NULL);
}

static const struct http_route routes[] = {
    {HTTP_GET, "/api/v1/audit", route_audit, HTTP_ROUTE_AUTH},
};

void audit_http_init(struct server *srv)
{
	(void)srv;
	http_routes_add(routes, ARRAY_LEN(routes));
}
