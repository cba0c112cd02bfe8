/*
 * groups_http.c — the groups routes: creating, listing and editing groups,
 * their sessions and calendar, members, waitlist and extension; the
 * module's start-up (field key, hooks) and its periodic tick.
 *
 * Who sees what: the list of groups (name, slot, next session, seats
 * left, whether it takes members) is open to anyone logged in. A group's
 * sessions and members are for its members, its facilitators and
 * managers; its calendar for members and facilitators; its waitlist for
 * facilitators and managers. Screening content lives in apps_http.c and
 * is for the group's facilitators alone.
 */
#include <string.h>

#include "acct.h"
#include "apps.h"
#include "clock.h"
#include "crypto.h"
#include "groups.h"
#include "groups_int.h"
#include "http.h"
#include "log.h"
#include "server.h"
#include "util.h"

#define TICK_EVERY_MS 5000
#define SESSIONS_MAX 200
#define SESSIONS_SPAN_MAX_MS (INT64_C(400) * 86400000)
#define DAY_MS INT64_C(86400000)

/* The module's state: one per process, made by groups_http_init on the loop thread. */
static struct {
	struct crypto_fieldkey key; /* read by store jobs; written only at init and free */
	struct apps_ctx ctx;
	int key_loaded;
	int tick_busy;	      /* a tick job is queued or running (loop thread) */
	int64_t last_tick_ms; /* monotonic */
	int stopping;
	struct apps_tick_stats tick_stats; /* the tick job's; read after it completed */
} mod;

static const char not_member_msg[] = "Only the group's members and facilitators can see this.";

/* ---- shared pieces ---- */

static int is_manager(const struct http_req *req)
{
	return req->user.role == ACCT_MANAGER;
}

/* req->state for routes that tell other modules about a change after it committed. */
struct change {
	int64_t group_id, user_id;
	int emit;
	enum groups_event ev;
	char *body; /* calendar text */
	size_t len;
};

static void change_free(void *p)
{
	struct change *c = p;

	free(c->body);
	free(c);
}

static struct change *change_state(struct http_req *req)
{
	struct change *c = xcalloc(1, sizeof *c);

	req->state = c;
	req->state_free = change_free;
	return c;
}

static void emit_then(struct http_req *req, int rc)
{
	struct change *c = req->state;

	if (rc == 0 && c && c->emit)
		groups_emit(req->srv, c->group_id, c->user_id, c->ev);
	http_reply_job(req, rc);
}

int groups__job_fail(struct http_req *req, const struct groups_why *why, int rc)
{
	if (rc && why->code)
		return http_job_fail(req, why->status, why->code, why->msg);
	return rc;
}

/* 1 after answering 404 when the route's group id is not one; a route on a group starts so. */
static int bad_group(struct http_req *req)
{
	if (http_param_id(req, 0) >= 0)
		return 0;
	http_error(req, 404, "not_found", "There is no such group.");
	return 1;
}

/* 0 with *access (group exists), STORE_ENOTFOUND, or an error. */
static int access_now(struct store_tx *tx, struct http_req *req, int64_t gid, int *access)
{
	return groups_access(tx, gid, req->user.id, clock_now_ms(), access);
}

static void hhmm(int minute, char out[6])
{
	unsigned m = (unsigned)minute % (24 * 60);

	snprintf(out, 6, "%02u:%02u", m / 60, m % 60);
}

static json_t *occurrence_json(const struct sched_slot *s, const struct sched_occurrence *o)
{
	char date[11], t[6], local[20];

	groups_occurrence_date(s, o, date, NULL);
	hhmm(s->start_minute, t);
	snprintf(local, sizeof local, "%sT%s", date, t);
	return json_pack("{s:I,s:I,s:I,s:s,s:i,s:i}", "starts_at", (json_int_t)o->start_ms,
			 "ends_at", (json_int_t)o->end_ms, "doors_open_at",
			 (json_int_t)sched_doors_open_ms(o), "local_start", local, "cycle",
			 o->cycle, "week", o->week);
}

static json_t *facilitators_json(struct store_tx *tx, int64_t gid, int *rc)
{
	sqlite3_stmt *st =
	    store_stmt(tx, "SELECT u.id, " ACCT_NAME_SQL(
			       "u") " FROM"
				    " group_facilitators f JOIN users u ON u.id = f.user_id"
				    " WHERE f.group_id = ? ORDER BY u.id");
	json_t *a = json_array();
	int src;

	if (!st) {
		*rc = STORE_EIO;
		return a;
	}
	sqlite3_bind_int64(st, 1, gid);
	while ((src = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:I,s:s?}", "id",
						   (json_int_t)sqlite3_column_int64(st, 0), "name",
						   (const char *)sqlite3_column_text(st, 1)));
	sqlite3_reset(st);
	if (src != SQLITE_DONE)
		*rc = store_check(tx, src, "group_facilitators_json");
	return a;
}

static const char *access_name(int access)
{
	return access == GROUP_FACILITATOR ? "facilitator"
	       : access == GROUP_MEMBER	   ? "member"
					   : NULL;
}

static int64_t extension_requests(struct store_tx *tx, int64_t gid, int64_t cycle)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT count(*) FROM extension_requests"
					  " WHERE group_id = ? AND cycle = ?");
	int64_t n = 0;

	if (st) {
		sqlite3_bind_int64(st, 1, gid);
		sqlite3_bind_int64(st, 2, cycle);
		groups__step_int64(tx, st, &n, "extension_requests");
	}
	return n;
}

/*
 * Group gid as req's user may see it. The summary is what the list shows
 * to everyone; `detail` adds the questions and the cycle; members and
 * staff get their group's running figures.
 */
static int group_json(struct store_tx *tx, struct http_req *req, int64_t gid, int detail,
		      json_t **out)
{
	int64_t now = clock_now_ms(), absolute;
	struct groups_spec g;
	struct groups_seats seats;
	struct sched_occurrence next;
	struct sched_cycle cyc;
	int access, allowed, staff, rc;
	char t[6];
	json_t *o;

	groups_spec_init(&g);
	if ((rc = groups_load(tx, gid, &g)) || (rc = access_now(tx, req, gid, &access)) ||
	    (rc = groups_seats(tx, gid, &g.slot, g.capacity, now, &seats))) {
		groups_spec_free(&g);
		return rc;
	}
	staff = access == GROUP_FACILITATOR || is_manager(req);
	hhmm(g.slot.start_minute, t);
	o = json_pack(
	    "{s:I,s:s,s:s,s:s,s:i,s:s,s:i,s:s,s:s,s:i,s:i,s:b,s:b,s:s?}", "id", (json_int_t)gid,
	    "name", g.name, "category", groups_category_name(g.category), "description",
	    g.description, "capacity", g.capacity, "timezone", g.slot.tz, "weekday", g.slot.weekday,
	    "weekday_name", groups__weekday_name(g.slot.weekday), "start_time", t, "duration_min",
	    g.slot.duration_min, "seats_left", seats.seats_left, "intake_open", seats.intake_open,
	    "taking_members", seats.intake_open && seats.seats_left - seats.waiting > 0, "my_role",
	    access_name(access));
	json_object_set_new(o, "next_session",
			    sched_next(&g.slot, now, &next) == 0 ? occurrence_json(&g.slot, &next)
								 : json_null());
	json_object_set_new(o, "facilitators", facilitators_json(tx, gid, &rc));
	if (detail) {
		json_object_set(o, "screening_questions", g.questions);
		json_object_set_new(
		    o, "cycle",
		    json_pack("{s:s,s:i,s:i,s:i,s:i,s:b}", "start", g.slot.cycle_start, "weeks",
			      g.slot.cycle_weeks, "extension_weeks", g.slot.extension_weeks,
			      "intake_close_weeks", g.slot.intake_close_weeks, "hiatus_weeks",
			      g.slot.hiatus_weeks, "extension_allowed", g.extension_allowed));
		if (rc == 0 &&
		    groups__current_cycle(tx, gid, now, &g.slot, &cyc, &absolute, &allowed) == 0)
			json_object_set_new(json_object_get(o, "cycle"), "current",
					    json_pack("{s:I,s:I,s:I,s:I,s:b}", "number",
						      (json_int_t)absolute, "starts_at",
						      (json_int_t)cyc.start_ms, "ends_at",
						      (json_int_t)cyc.end_ms, "intake_closes_at",
						      (json_int_t)cyc.intake_close_ms,
						      "in_progress", cyc.start_ms <= now));
		if (access != GROUP_NONE || staff)
			json_object_set_new(o, "checkins_enabled",
					    json_boolean(g.checkins_enabled));
		if (staff) {
			json_object_set_new(o, "members_count", json_integer(seats.active));
			json_object_set_new(o, "waitlist_length", json_integer(seats.waiting));
			json_object_set_new(o, "offers_open", json_integer(seats.offered));
			if (json_object_get(o, "cycle") &&
			    json_object_get(json_object_get(o, "cycle"), "current"))
				json_object_set_new(
				    o, "extension_requests",
				    json_integer(extension_requests(tx, gid, absolute)));
		}
	}
	groups_spec_free(&g);
	if (rc || !o) {
		json_decref(o);
		return rc ? rc : STORE_EIO;
	}
	*out = o;
	return 0;
}

/* ---- list, create, show, edit ---- */

enum which_groups { ALL_GROUPS, MY_GROUPS, MY_FORMER_GROUPS };

/*
 * Former groups: a membership of them ended and the caller is neither a
 * member again nor a facilitator. They stay listed so that a member who
 * left can still find the transcripts of the sessions they were in.
 */
static int list_groups(struct store_tx *tx, struct http_req *req, enum which_groups which)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT g.id FROM groups g WHERE ?1 = 0"
		" OR (?1 = 1 AND (EXISTS (SELECT 1 FROM memberships m"
		"  WHERE m.group_id = g.id AND m.user_id = ?2 AND m.ended_at IS NULL)"
		"  OR EXISTS (SELECT 1 FROM group_facilitators f WHERE f.group_id = g.id"
		"  AND f.user_id = ?2)))"
		" OR (?1 = 2 AND EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = g.id"
		"  AND m.user_id = ?2 AND m.ended_at IS NOT NULL)"
		"  AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = g.id"
		"  AND m.user_id = ?2 AND m.ended_at IS NULL)"
		"  AND NOT EXISTS (SELECT 1 FROM group_facilitators f WHERE f.group_id = g.id"
		"  AND f.user_id = ?2))"
		" ORDER BY g.name COLLATE NOCASE, g.id LIMIT 500");
	int64_t *ids;
	int n = 0, rc;
	json_t *a;

	if (!st)
		return STORE_EIO;
	ids = xmalloc(sizeof *ids * 500);
	sqlite3_bind_int(st, 1, (int)which);
	sqlite3_bind_int64(st, 2, req->user.id);
	while (n < 500 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	a = json_array();
	rc = 0;
	for (int i = 0; rc == 0 && i < n; i++) {
		json_t *o = NULL;

		rc = group_json(tx, req, ids[i], 0, &o);
		if (rc == 0 && which == MY_FORMER_GROUPS)
			json_object_set_new(o, "my_role", json_string("former"));
		if (rc == 0)
			json_array_append_new(a, o);
	}
	free(ids);
	if (rc) {
		json_decref(a);
		return rc;
	}
	req->out = json_pack("{s:o}", "groups", a);
	return 0;
}

static int list_fn(struct store_tx *tx, void *arg)
{
	return list_groups(tx, arg, ALL_GROUPS);
}

static int list_mine_fn(struct store_tx *tx, void *arg)
{
	return list_groups(tx, arg, MY_GROUPS);
}

static int list_former_fn(struct store_tx *tx, void *arg)
{
	return list_groups(tx, arg, MY_FORMER_GROUPS);
}

static void route_list(struct http_req *req)
{
	http_run(req, list_fn, NULL);
}

/* The caller's own groups (as member or facilitator), shaped like the list;
 * with ?former=1 the groups they have left instead. */
static void route_my_groups(struct http_req *req)
{
	const char *former = http_query(req, "former");

	if (former && strcmp(former, "0") && strcmp(former, "1")) {
		http_error(req, 400, "bad_field", "former must be 0 or 1.");
		return;
	}
	http_run(req, former && !strcmp(former, "1") ? list_former_fn : list_mine_fn, NULL);
}

static int create_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct groups_spec g;
	struct groups_why why = {0};
	int64_t id;
	int rc;

	groups_spec_init(&g);
	if (groups_spec_apply(&g, req->json, 1, &why)) {
		groups_spec_free(&g);
		return http_job_fail(req, why.status, why.code, why.msg);
	}
	rc = groups_insert(tx, &g, req->user.id, &id, &why);
	groups_spec_free(&g);
	if (rc)
		return groups__job_fail(req, &why, rc);
	rc = group_json(tx, req, id, 1, &req->out);
	req->out_status = 201;
	return rc;
}

static void route_create(struct http_req *req)
{
	if (!is_manager(req)) {
		http_error(req, 403, "not_allowed", "Only a manager can set up groups.");
		return;
	}
	http_run(req, create_fn, NULL);
}

static int show_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;

	return group_json(tx, req, http_param_id(req, 0), 1, &req->out);
}

static void route_show(struct http_req *req)
{
	if (bad_group(req))
		return;
	http_run(req, show_fn, NULL);
}

/* Keys a group's facilitators may change themselves; the rest are the manager's. */
static int facilitator_may_patch(json_t *patch)
{
	static const char *const ok[] = {"description", "screening_questions", "checkins_enabled"};
	const char *key;
	json_t *v;

	json_object_foreach(patch, key, v)
	{
		size_t i;

		for (i = 0; i < ARRAY_LEN(ok) && strcmp(key, ok[i]); i++)
			;
		if (i == ARRAY_LEN(ok))
			return 0;
	}
	return 1;
}

static int patch_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct change *c = req->state;
	int64_t gid = http_param_id(req, 0);
	struct groups_spec g;
	struct groups_why why = {0};
	int access, rc = access_now(tx, req, gid, &access);

	if (rc)
		return rc;
	if (!is_manager(req) && !(access == GROUP_FACILITATOR && facilitator_may_patch(req->json)))
		return http_job_fail(req, 403, "not_allowed",
				     access == GROUP_FACILITATOR
					 ? "Facilitators can change the description, screening "
					   "questions and check-ins; the rest is the manager's."
					 : "Only a manager can change a group's settings.");
	groups_spec_init(&g);
	if ((rc = groups_load(tx, gid, &g)) == 0 && groups_spec_apply(&g, req->json, 0, &why))
		rc = STORE_EINVAL;
	if (rc == 0)
		rc = groups_update(tx, gid, &g, req->user.id, req->json, &why);
	groups_spec_free(&g);
	/* more capacity may free seats for those waiting */
	if (rc == 0)
		rc = apps_fill_seats(tx, &mod.ctx, gid, clock_now_ms(), NULL);
	if (rc)
		return groups__job_fail(req, &why, rc);
	c->group_id = gid;
	c->emit = json_object_get(req->json, "facilitators") != NULL;
	c->ev = GROUPS_EV_STAFF;
	return group_json(tx, req, gid, 1, &req->out);
}

static void route_patch(struct http_req *req)
{
	if (bad_group(req))
		return;
	change_state(req);
	http_run(req, patch_fn, emit_then);
}

/* ---- sessions and calendar ---- */

static int64_t query_ms(const struct http_req *req, const char *name, int64_t dflt)
{
	const char *v = http_query(req, name);
	int64_t n;

	if (!v || parse_int64(v, SCHED_MIN_MS, SCHED_MAX_MS, &n))
		return dflt;
	return n;
}

static int sessions_table(struct store_tx *tx)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
					  " AND name = 'sessions'");
	int64_t one = 0;

	return st && groups__step_int64(tx, st, &one, "sessions_table") == 0 && one;
}

/*
 * The state of one occurrence: the live module's row when it has one
 * (scheduled | open | closed); otherwise by the clock.
 */
static json_t *session_state(struct store_tx *tx, int have_table, int64_t gid,
			     const struct sched_occurrence *o, int64_t now, json_t *j)
{
	sqlite3_stmt *st = have_table ? store_stmt(tx, "SELECT id, state FROM sessions"
						       " WHERE group_id = ? AND starts_at = ?")
				      : NULL;

	if (st) {
		sqlite3_bind_int64(st, 1, gid);
		sqlite3_bind_int64(st, 2, o->start_ms);
		if (sqlite3_step(st) == SQLITE_ROW) {
			json_object_set_new(j, "session_id",
					    json_integer(sqlite3_column_int64(st, 0)));
			json_object_set_new(j, "state",
					    json_string((const char *)sqlite3_column_text(st, 1)));
			sqlite3_reset(st);
			return j;
		}
		sqlite3_reset(st);
	}
	json_object_set_new(j, "session_id", json_null());
	json_object_set_new(j, "state",
			    json_string(now < sched_doors_open_ms(o) ? "scheduled"
					: now < o->end_ms	     ? "open"
								     : "closed"));
	return j;
}

/*
 * Sessions a facilitator opened outside the weekly slot (POST
 * /api/v1/groups/{id}/sessions): not occurrences of the schedule, so they
 * are listed apart, or members could not find them.
 */
static json_t *adhoc_json(struct store_tx *tx, int64_t gid, int64_t from, int64_t to)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT id, starts_at, ends_at, state FROM sessions"
					  " WHERE group_id = ? AND adhoc = 1 AND starts_at < ?"
					  " AND ends_at >= ? ORDER BY starts_at");
	json_t *a = json_array();

	if (!st)
		return a;
	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, from);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:I,s:I,s:I,s:s}", "id",
						   (json_int_t)sqlite3_column_int64(st, 0), "starts_at",
						   (json_int_t)sqlite3_column_int64(st, 1), "ends_at",
						   (json_int_t)sqlite3_column_int64(st, 2), "state",
						   sqlite3_column_text(st, 3)));
	sqlite3_reset(st);
	return a;
}

static int sessions_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int64_t gid = http_param_id(req, 0), now = clock_now_ms();
	int64_t from = query_ms(req, "from", now - 28 * DAY_MS);
	int64_t to = query_ms(req, "to", now + 84 * DAY_MS);
	struct sched_occurrence *occ;
	struct sched_slot slot;
	int access, n, have, rc = access_now(tx, req, gid, &access);
	json_t *a;

	if (rc)
		return rc;
	if (access == GROUP_NONE && !is_manager(req))
		return http_job_fail(req, 403, "not_member", not_member_msg);
	if (to - from > SESSIONS_SPAN_MAX_MS)
		return http_job_fail(req, 400, "range_too_long",
				     "Please ask for at most 400 days of sessions at once.");
	if ((rc = groups_get_slot(tx, gid, &slot, NULL, 0, NULL, NULL)))
		return rc;
	occ = xmalloc(sizeof *occ * SESSIONS_MAX);
	n = sched_expand(&slot, from, to, occ, SESSIONS_MAX);
	have = sessions_table(tx);
	a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(
		    a, session_state(tx, have, gid, &occ[i], now, occurrence_json(&slot, &occ[i])));
	free(occ);
	req->out =
	    json_pack("{s:I,s:s,s:I,s:I,s:o,s:o}", "group_id", (json_int_t)gid, "timezone", slot.tz,
		      "from", (json_int_t)from, "to", (json_int_t)to, "sessions", a,
		      "adhoc_sessions", have ? adhoc_json(tx, gid, from, to) : json_array());
	return req->out ? 0 : STORE_EIO;
}

static void route_sessions(struct http_req *req)
{
	if (bad_group(req))
		return;
	http_run(req, sessions_fn, NULL);
}

static int calendar_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct change *c = req->state;
	int64_t gid = http_param_id(req, 0), now = clock_now_ms();
	struct sched_slot slot;
	char name[512];
	int access, rc = access_now(tx, req, gid, &access);

	if (rc)
		return rc;
	/* a calendar lists when the group meets: for those who take part in it */
	if (access == GROUP_NONE)
		return http_job_fail(req, 403, "not_member",
				     "Only the group's members and facilitators can have its "
				     "calendar.");
	if ((rc = groups_get_slot(tx, gid, &slot, name, sizeof name, NULL, NULL)))
		return rc;
	/* libical reads zone files on first use, so this stays off the loop thread */
	rc = sched_ics(&slot, gid, name, now - 31 * DAY_MS, now + 366 * DAY_MS, now, &c->body,
		       &c->len);
	if (rc) {
		log_error("groups_ics", "group=%lld err=\"%s\"", (long long)gid,
			  sched_strerror(rc));
		return STORE_EIO;
	}
	return 0;
}

static void calendar_then(struct http_req *req, int rc)
{
	struct change *c = req->state;
	char disp[80];

	if (rc) {
		http_reply_job(req, rc);
		return;
	}
	snprintf(disp, sizeof disp, "attachment; filename=\"hearth-group-%lld.ics\"",
		 (long long)http_param_id(req, 0));
	http_add_header(req, "Content-Disposition", disp);
	http_reply(req, 200, "text/calendar; charset=utf-8", c->body, c->len);
}

static void route_calendar(struct http_req *req)
{
	if (bad_group(req))
		return;
	change_state(req);
	http_run(req, calendar_fn, calendar_then);
}

/* ---- members ---- */

static int members_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int64_t gid = http_param_id(req, 0);
	const char *h = http_query(req, "history");
	sqlite3_stmt *st;
	int access, staff, history, rc = access_now(tx, req, gid, &access);
	json_t *a;

	if (rc)
		return rc;
	staff = access == GROUP_FACILITATOR || is_manager(req);
	if (access == GROUP_NONE && !staff)
		return http_job_fail(req, 403, "not_member", not_member_msg);
	/* past members are a matter for staff; members see who is in the room now */
	history = staff && h && !strcmp(h, "1");
	st = store_stmt(tx, "SELECT m.id, m.user_id, " ACCT_NAME_SQL(
				"u") ", m.started_at,"
				     " m.ended_at, m.ended_reason FROM memberships m JOIN users u"
				     " ON u.id = m.user_id WHERE m.group_id = ?1"
				     " AND (?2 OR m.ended_at IS NULL) ORDER BY m.started_at, m.id");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int(st, 2, history);
	a = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_pack("{s:I,s:s?}", "id", (json_int_t)sqlite3_column_int64(st, 1),
				      "name", (const char *)sqlite3_column_text(st, 2));

		if (staff) {
			json_object_set_new(o, "membership_id",
					    json_integer(sqlite3_column_int64(st, 0)));
			json_object_set_new(o, "started_at",
					    json_integer(sqlite3_column_int64(st, 3)));
			json_object_set_new(o, "ended_at",
					    sqlite3_column_type(st, 4) == SQLITE_NULL
						? json_null()
						: json_integer(sqlite3_column_int64(st, 4)));
			json_object_set_new(
			    o, "ended_reason",
			    sqlite3_column_type(st, 5) == SQLITE_NULL
				? json_null()
				: json_string((const char *)sqlite3_column_text(st, 5)));
		}
		json_array_append_new(a, o);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		return store_check(tx, rc, "members_list");
	}
	rc = 0;
	req->out = json_pack("{s:I,s:o,s:o}", "group_id", (json_int_t)gid, "members", a,
			     "facilitators", facilitators_json(tx, gid, &rc));
	return rc;
}

static void route_members(struct http_req *req)
{
	if (bad_group(req))
		return;
	http_run(req, members_fn, NULL);
}

/* End uid's membership (reason) and offer the seat; fills c for the event. */
static int end_and_refill(struct store_tx *tx, struct http_req *req, int64_t gid, int64_t uid,
			  const char *reason)
{
	struct change *c = req->state;
	int64_t now = clock_now_ms();
	int rc = groups_end_membership(tx, gid, uid, now, reason, req->user.id);

	if (rc == STORE_ENOTFOUND)
		return http_job_fail(req, 404, "not_a_member",
				     "That person is not a member of this group now.");
	if (rc || (rc = apps_fill_seats(tx, &mod.ctx, gid, now, NULL)))
		return rc;
	c->group_id = gid;
	c->user_id = uid;
	c->ev = GROUPS_EV_LEFT;
	c->emit = 1;
	req->out = json_pack("{s:I,s:I,s:I}", "group_id", (json_int_t)gid, "user_id",
			     (json_int_t)uid, "ended_at", (json_int_t)now);
	return 0;
}

static int end_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int64_t gid = http_param_id(req, 0), uid = http_param_id(req, 1);
	int access, rc = access_now(tx, req, gid, &access);

	if (rc)
		return rc;
	if (access != GROUP_FACILITATOR && !is_manager(req))
		return http_job_fail(req, 403, "not_allowed",
				     "Only the group's facilitators and managers can end a membership.");
	return end_and_refill(tx, req, gid, uid, "ended_by_facilitator");
}

static void route_end(struct http_req *req)
{
	if (http_param_id(req, 0) < 0 || http_param_id(req, 1) < 0) {
		http_error(req, 404, "not_found", "There is nothing at this address.");
		return;
	}
	change_state(req);
	http_run(req, end_fn, emit_then);
}

static int leave_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int64_t gid = http_param_id(req, 0);
	int access, rc = access_now(tx, req, gid, &access);

	if (rc)
		return rc;
	return end_and_refill(tx, req, gid, req->user.id, "left");
}

static void route_leave(struct http_req *req)
{
	if (bad_group(req))
		return;
	change_state(req);
	http_run(req, leave_fn, emit_then);
}

static int waitlist_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int64_t gid = http_param_id(req, 0);
	int access, rc = access_now(tx, req, gid, &access);
	json_t *a = NULL;

	if (rc)
		return rc;
	if (access != GROUP_FACILITATOR && !is_manager(req))
		return http_job_fail(req, 403, "not_allowed",
				     "Only the group's facilitators and managers can see its "
				     "waitlist.");
	if ((rc = apps_waitlist_json(tx, gid, &a))) {
		json_decref(a);
		return rc;
	}
	req->out = json_pack("{s:I,s:o}", "group_id", (json_int_t)gid, "waitlist", a);
	return 0;
}

static void route_waitlist(struct http_req *req)
{
	if (bad_group(req))
		return;
	http_run(req, waitlist_fn, NULL);
}

/* ---- the 12-week extension ---- */

static int ext_request_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int64_t gid = http_param_id(req, 0), now = clock_now_ms(), absolute;
	struct sched_slot slot;
	struct sched_cycle cyc;
	sqlite3_stmt *st;
	int access, allowed, rc = access_now(tx, req, gid, &access);
	char *text;

	if (rc)
		return rc;
	if (access != GROUP_MEMBER)
		return http_job_fail(req, 403, "not_member",
				     "Only the group's members can ask for an extension.");
	if ((rc = groups__current_cycle(tx, gid, now, &slot, &cyc, &absolute, &allowed)))
		return rc;
	if (!allowed)
		return http_job_fail(req, 409, "extension_not_offered",
				     "This group does not offer the 12-week extension.");
	if (slot.extension_weeks)
		return http_job_fail(req, 409, "already_extended",
				     "This cycle has already been extended.");
	if (cyc.start_ms > now)
		return http_job_fail(req, 409, "not_in_cycle",
				     "The group is between cycles; ask again once it meets.");
	st = store_stmt(tx, "INSERT INTO extension_requests (group_id, cycle, user_id, created_at)"
			    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int64(st, 2, absolute);
	sqlite3_bind_int64(st, 3, req->user.id);
	sqlite3_bind_int64(st, 4, now);
	if ((rc = groups__exec(tx, st, "extension_request")))
		return rc;
	if (sqlite3_changes(store_db(tx)) == 1) {
		rc = groups__audit(tx, req->user.id, "extension_request", "group", gid,
				   json_pack("{s:I}", "cycle", (json_int_t)absolute));
		st = rc ? NULL
			: store_stmt(tx, "SELECT user_id FROM group_facilitators"
					 " WHERE group_id = ?");
		if (rc == 0 && !st)
			rc = STORE_EIO;
		if (rc == 0) {
			int64_t ids[GROUPS_FACILITATORS_MAX];
			int n = 0, src;

			sqlite3_bind_int64(st, 1, gid);
			while ((src = sqlite3_step(st)) == SQLITE_ROW && n < (int)ARRAY_LEN(ids))
				ids[n++] = sqlite3_column_int64(st, 0);
			sqlite3_reset(st);
			text = xasprintf("A member of your group has asked for the 12-week "
					 "extension of this cycle. You can grant it in Hearth.\n");
			for (int i = 0; rc == 0 && i < n; i++)
				rc = groups__mail(tx, ids[i], "extension_requested",
						  "A request for an extension", text);
			free(text);
		}
		if (rc)
			return rc;
	}
	req->out =
	    json_pack("{s:I,s:I,s:I}", "group_id", (json_int_t)gid, "cycle", (json_int_t)absolute,
		      "requests", (json_int_t)extension_requests(tx, gid, absolute));
	return 0;
}

static int ext_grant_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int64_t gid = http_param_id(req, 0);
	struct groups_why why = {0};
	int access, rc = access_now(tx, req, gid, &access);

	if (rc)
		return rc;
	if (access != GROUP_FACILITATOR && !is_manager(req))
		return http_job_fail(req, 403, "not_allowed",
				     "Only the group's facilitators and managers can grant an extension.");
	rc = groups_grant_extension(tx, gid, req->user.id, clock_now_ms(), &why);
	if (rc)
		return groups__job_fail(req, &why, rc);
	return group_json(tx, req, gid, 1, &req->out);
}

static void route_ext_request(struct http_req *req)
{
	if (bad_group(req))
		return;
	http_run(req, ext_request_fn, NULL);
}

static void route_ext_grant(struct http_req *req)
{
	if (bad_group(req))
		return;
	http_run(req, ext_grant_fn, NULL);
}

/* ---- the tick ---- */

static int tick_fn(struct store_tx *tx, void *arg)
{
	struct apps_tick_stats *st = arg;

	return apps_tick(tx, &mod.ctx, clock_now_ms(), st);
}

static void tick_done(int rc, void *arg)
{
	struct apps_tick_stats *st = arg;

	mod.tick_busy = 0;
	if (rc)
		log_warn("groups_tick_failed", "err=\"%s\"", store_strerror(rc));
	else if (st->expired || st->offered || st->reminders || st->rolled)
		log_info("groups_tick", "expired=%d offered=%d reminders=%d rolled=%d", st->expired,
			 st->offered, st->reminders, st->rolled);
}

void groups_http_tick(struct server *srv)
{
	int64_t mono = clock_mono_ms();

	if (mod.stopping || mod.tick_busy || mono - mod.last_tick_ms < TICK_EVERY_MS)
		return;
	mod.last_tick_ms = mono;
	mod.tick_busy = 1;
	if (store_submit(srv->store, tick_fn, tick_done, &mod.tick_stats))
		mod.tick_busy = 0; /* busy or stopping: the next tick tries again */
}

/* POST /api/v1/test/groups/tick (--testing): run the periodic work now. */
static int test_tick_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct apps_tick_stats st;
	int rc = apps_tick(tx, &mod.ctx, clock_now_ms(), &st);

	if (rc == 0)
		req->out = json_pack("{s:i,s:i,s:i,s:i}", "expired", st.expired, "offered",
				     st.offered, "reminders", st.reminders, "rolled", st.rolled);
	return rc;
}

static void route_test_tick(struct http_req *req)
{
	http_run(req, test_tick_fn, NULL);
}

/* ---- life ---- */

static const struct http_route routes[] = {
    {HTTP_GET, "/api/v1/groups", route_list, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/groups", route_create, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/me/groups", route_my_groups, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/groups/{id}", route_show, HTTP_ROUTE_AUTH},
    {HTTP_PATCH, "/api/v1/groups/{id}", route_patch, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/groups/{id}/sessions", route_sessions, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/groups/{id}/calendar.ics", route_calendar, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/groups/{id}/members", route_members, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/groups/{id}/members/{uid}/end", route_end, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/groups/{id}/leave", route_leave, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/groups/{id}/waitlist", route_waitlist, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/groups/{id}/extension-request", route_ext_request, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/groups/{id}/extension", route_ext_grant, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/test/groups/tick", route_test_tick, HTTP_ROUTE_TESTING},
};

static int erase_hook(struct store_tx *tx, int64_t user_id)
{
	return groups_erase_user(tx, user_id);
}

int groups_http_init(struct server *srv, char *err, size_t errlen)
{
	static int hooked; /* acct keeps hooks for the process; register once */
	char *path = xasprintf("%s/keys/field.key", srv->cfg.data_dir);
	int rc = crypto_fieldkey_load_or_create(path, &mod.key);

	if (rc) {
		snprintf(err, errlen, "cannot use the field encryption key %s: %s", path,
			 crypto_strerror(rc));
		free(path);
		return -1;
	}
	free(path);
	mod.key_loaded = 1;
	mod.stopping = 0;
	mod.tick_busy = 0;
	mod.last_tick_ms = clock_mono_ms();
	mod.ctx.key = &mod.key;
	mod.ctx.offer_hours = srv->cfg.groups_offer_hours;
	mod.ctx.reminder_hours = srv->cfg.groups_reminder_hours;
	if (!hooked) {
		acct_on_erase(erase_hook);
		hooked = 1;
	}
	http_routes_add(routes, ARRAY_LEN(routes));
	apps_http_init(srv, &mod.ctx);
	return 0;
}

void groups_http_shutdown(struct server *srv)
{
	(void)srv;
	mod.stopping = 1;
}

void groups_http_free(struct server *srv)
{
	(void)srv;
	if (mod.key_loaded)
		crypto_fieldkey_wipe(&mod.key);
	mod.key_loaded = 0;
}
