/*
 * apps_http.c — the routes of applications and seat offers: applying,
 * the facilitators' screening (list, open, notes, decision), the
 * applicant's own view, withdrawing, and answering an offer.
 *
 * An application is an object of its group: to anyone but the group's
 * facilitators and the applicant it answers exactly as one that does not
 * exist (404), except that a manager, who may list applications, is told
 * plainly (403) that screening content is not theirs to read.
 */
#include <string.h>

#include "acct.h"
#include "apps.h"
#include "clock.h"
#include "groups.h"
#include "groups_int.h"
#include "http.h"
#include "live.h"
#include "server.h"
#include "util.h"

static const struct apps_ctx *ctx; /* groups_http.c's; read-only */

/* A joined member to announce after the commit (req->state). */
struct joined {
	int64_t group_id, user_id;
};

static void joined_free(void *p)
{
	free(p);
}

static struct joined *joined_state(struct http_req *req)
{
	struct joined *j = xcalloc(1, sizeof *j);

	req->state = j;
	req->state_free = joined_free;
	return j;
}

static void joined_then(struct http_req *req, int rc)
{
	struct joined *j = req->state;

	if (rc == 0 && j->group_id)
		groups_emit(req->srv, j->group_id, j->user_id, GROUPS_EV_JOINED);
	http_reply_job(req, rc);
}

/* Answer {key: a}, a list a store function made with rc; on failure drop what it made. */
static int out_list(struct http_req *req, const char *key, json_t *a, int rc)
{
	if (rc) {
		json_decref(a);
		return rc;
	}
	req->out = json_pack("{s:o}", key, a);
	return 0;
}

static int bad_id(struct http_req *req, int i)
{
	if (http_param_id(req, i) > 0)
		return 0;
	http_error(req, 404, "not_found", "There is nothing at this address.");
	return 1;
}

/* ---- applying ---- */

static int submit_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct groups_why why = {0};
	int64_t gid = http_param_id(req, 0), id;
	int rc = apps_submit(tx, ctx, gid, req->user.id, req->json, clock_now_ms(), &id, &why);

	if (rc)
		return groups__job_fail(req, &why, rc);
	req->out = json_pack("{s:I,s:I,s:s}", "id", (json_int_t)id, "group_id", (json_int_t)gid,
			     "status", "pending");
	req->out_status = 201;
	return 0;
}

static void route_submit(struct http_req *req)
{
	if (bad_id(req, 0))
		return;
	if (!json_is_object(req->json)) {
		http_error(req, 400, "bad_request", "Please send a JSON object.");
		return;
	}
	http_run(req, submit_fn, NULL);
}

/* ---- screening ---- */

static int list_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	const char *status = http_query(req, "status"), *g = http_query(req, "group");
	int64_t gid = 0;
	json_t *a = NULL;
	int rc;

	if (g && parse_int64(g, 1, INT64_MAX / 2, &gid))
		return http_job_fail(req, 400, "bad_group", "group must be a group id.");
	rc = apps_list(tx, req->user.id, req->user.role, status, gid, &a);
	return out_list(req, "applications", a, rc);
}

static void route_list(struct http_req *req)
{
	const char *status = http_query(req, "status");

	if (status && strcmp(status, "pending") && strcmp(status, "approved") &&
	    strcmp(status, "waitlisted") && strcmp(status, "referred") &&
	    strcmp(status, "withdrawn")) {
		http_error(req, 400, "bad_status",
			   "status must be pending, approved, waitlisted, referred or withdrawn.");
		return;
	}
	http_run(req, list_fn, NULL);
}

static int open_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct groups_why why = {0};
	int rc = apps_open(tx, ctx, http_param_id(req, 0), req->user.id, req->user.role, &req->out,
			   &why);

	if (rc == STORE_ENOTFOUND)
		return http_job_fail(req, 404, "not_found", "There is no such application.");
	return groups__job_fail(req, &why, rc);
}

static void route_open(struct http_req *req)
{
	if (bad_id(req, 0))
		return;
	http_run(req, open_fn, NULL);
}

static int notes_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct groups_why why = {0};
	int rc = apps_set_notes(tx, ctx, http_param_id(req, 0), req->user.id,
				http_json_str(req, "notes"), clock_now_ms(), &why);

	if (rc == STORE_ENOTFOUND)
		return http_job_fail(req, 404, "not_found", "There is no such application.");
	if (rc == 0)
		req->out =
		    json_pack("{s:I,s:b}", "id", (json_int_t)http_param_id(req, 0), "saved", 1);
	return groups__job_fail(req, &why, rc);
}

/* A string member of at most max code points, or absent; 0 ok, -1 answered 400. */
static int opt_text(struct http_req *req, const char *key, size_t max, const char **out)
{
	json_t *v = json_object_get(req->json, key);
	const char *s;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	s = json_string_value(v);
	if (!s || strlen(s) != json_string_length(v) || utf8_len(s, json_string_length(v)) > max) {
		http_error(req, 400, "bad_field",
			   !strcmp(key, "notes") ? "notes must be text of at most 20000 characters."
						 : "message must be text of at most 4000 "
						   "characters.");
		return -1;
	}
	*out = s;
	return 0;
}

static void route_notes(struct http_req *req)
{
	const char *notes;

	if (bad_id(req, 0) || opt_text(req, "notes", APPS_NOTES_MAX, &notes))
		return;
	if (!notes) {
		http_error(req, 400, "missing_field", "Please give the notes to keep.");
		return;
	}
	http_run(req, notes_fn, NULL);
}

/* req->state of a decision: what was asked and who joined. */
struct decision {
	struct joined joined; /* first: joined_then reads it */
	enum apps_decision d;
	const char *message, *notes; /* borrowed from req->json */
};

static int decide_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct decision *d = req->state;
	struct groups_why why = {0};
	int rc = apps_decide(tx, ctx, http_param_id(req, 0), req->user.id, d->d, d->message,
			     d->notes, clock_now_ms(), &req->out, &d->joined.group_id, &why);

	if (rc == STORE_ENOTFOUND)
		return http_job_fail(req, 404, "not_found", "There is no such application.");
	if (rc == 0 && d->joined.group_id)
		d->joined.user_id = json_integer_value(json_object_get(req->out, "applicant_id"));
	return groups__job_fail(req, &why, rc);
}

/* The applicant hears of the decision at once on any open connection
 * (PROTOCOL.md: notification "application"); the message itself stays in
 * Hearth, read through GET /api/v1/me/applications. */
static void decided_then(struct http_req *req, int rc)
{
	json_t *applicant = req->out ? json_object_get(req->out, "applicant_id") : NULL;
	json_t *status = req->out ? json_object_get(req->out, "status") : NULL;

	if (rc == 0 && json_is_integer(applicant) && json_is_string(status)) {
		struct proto_field f[] = {
			{"application", NULL, http_param_id(req, 0)},
			{"status", json_string_value(status), 0},
		};
		struct proto_out o = {.type = PROTO_OUT_NOTIFICATION};

		o.notification.kind = "application";
		o.notification.fields = f;
		o.notification.n_fields = ARRAY_LEN(f);
		ws_send_user(json_integer_value(applicant), &o);
	}
	joined_then(req, rc);
}

static void route_decide(struct http_req *req)
{
	const char *what = http_json_str(req, "decision");
	struct decision *d;

	if (bad_id(req, 0))
		return;
	d = xcalloc(1, sizeof *d);
	req->state = d;
	req->state_free = joined_free;
	if (what && !strcmp(what, "approve"))
		d->d = APPS_APPROVE;
	else if (what && !strcmp(what, "waitlist"))
		d->d = APPS_WAITLIST;
	else if (what && !strcmp(what, "refer"))
		d->d = APPS_REFER;
	else {
		http_error(req, 400, "bad_decision",
			   "decision must be approve, waitlist or refer.");
		return;
	}
	if (opt_text(req, "message", APPS_MESSAGE_MAX, &d->message) ||
	    opt_text(req, "notes", APPS_NOTES_MAX, &d->notes))
		return;
	http_run(req, decide_fn, decided_then);
}

/* ---- the applicant's side ---- */

static int mine_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	json_t *a = NULL;
	int rc = apps_list_mine(tx, req->user.id, clock_now_ms(), &a);

	return out_list(req, "applications", a, rc);
}

static void route_mine(struct http_req *req)
{
	http_run(req, mine_fn, NULL);
}

static int offers_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	json_t *a = NULL;
	int rc = apps_offers_mine(tx, req->user.id, &a);

	return out_list(req, "offers", a, rc);
}

static void route_offers(struct http_req *req)
{
	http_run(req, offers_fn, NULL);
}

static int withdraw_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct groups_why why = {0};
	int rc = apps_withdraw(tx, ctx, http_param_id(req, 0), req->user.id, clock_now_ms(), &why);

	if (rc == STORE_ENOTFOUND)
		return http_job_fail(req, 404, "not_found", "There is no such application.");
	if (rc == 0)
		req->out = json_pack("{s:I,s:s}", "id", (json_int_t)http_param_id(req, 0), "status",
				     "withdrawn");
	return groups__job_fail(req, &why, rc);
}

static void route_withdraw(struct http_req *req)
{
	if (bad_id(req, 0))
		return;
	http_run(req, withdraw_fn, NULL);
}

static int answer(struct store_tx *tx, struct http_req *req, int accept)
{
	struct joined *j = req->state;
	struct groups_why why = {0};
	int64_t gid = 0;
	int rc = apps_answer_offer(tx, ctx, http_param_id(req, 0), req->user.id, accept,
				   clock_now_ms(), &gid, &why);

	if (rc == STORE_ENOTFOUND)
		return http_job_fail(req, 404, "not_found", "There is no such offer.");
	if (rc)
		return groups__job_fail(req, &why, rc);
	if (accept) {
		j->group_id = gid;
		j->user_id = req->user.id;
	}
	req->out = json_pack("{s:I,s:I,s:s}", "id", (json_int_t)http_param_id(req, 0), "group_id",
			     (json_int_t)gid, "state", accept ? "accepted" : "declined");
	return 0;
}

static int accept_fn(struct store_tx *tx, void *arg)
{
	return answer(tx, arg, 1);
}

static int decline_fn(struct store_tx *tx, void *arg)
{
	return answer(tx, arg, 0);
}

static void route_accept(struct http_req *req)
{
	if (bad_id(req, 0))
		return;
	joined_state(req);
	http_run(req, accept_fn, joined_then);
}

static void route_decline(struct http_req *req)
{
	if (bad_id(req, 0))
		return;
	joined_state(req);
	http_run(req, decline_fn, joined_then);
}

static const struct http_route routes[] = {
    {HTTP_POST, "/api/v1/groups/{id}/applications", route_submit, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/applications", route_list, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/applications/{id}", route_open, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/applications/{id}/notes", route_notes, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/applications/{id}/decision", route_decide, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/applications/{id}/withdraw", route_withdraw, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/me/applications", route_mine, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/me/offers", route_offers, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/offers/{id}/accept", route_accept, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/offers/{id}/decline", route_decline, HTTP_ROUTE_AUTH},
};

void apps_http_init(struct server *srv, const struct apps_ctx *c)
{
	(void)srv;
	ctx = c;
	http_routes_add(routes, ARRAY_LEN(routes));
}
