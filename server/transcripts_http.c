/*
 * transcripts_http.c — transcripts in the running server:
 *
 *   sealing   each close reported by live_on_closed() seals the session's
 *             transcript in a store job; at start-up, and every few minutes
 *             after, closed sessions still without one are sealed (a crash
 *             between the close and its seal, a seal that could not be
 *             queued). trs_seal() is idempotent, so doing it twice is safe.
 *   GET /api/v1/sessions/{id}/transcript?format=json|md|html|txt
 *             the transcript, rendered from the sealed bytes after checking
 *             them against their seal; json is the sealed bytes themselves
 *   GET /api/v1/groups/{id}/transcripts?limit=N&before=MS
 *             the group's transcripts (date, duration, counts, readable)
 *   GET /api/v1/transcripts/search?q=WORDS&limit=N
 *             full-text search over the transcripts the caller may read
 *
 * Who may read what is decided in transcripts_store.c (its header comment
 * gives the rule and the 403/404 split). Every read and every search is
 * audited in the job that reads; so is a refused read of a session that
 * exists. Rendering (up to megabytes of text) runs on the libuv thread
 * pool, never on the loop or the store thread.
 */
#include "transcripts_http.h"

#include <string.h>

#include "acct.h"
#include "audit.h"
#include "clock.h"
#include "groups.h"
#include "http.h"
#include "live.h"
#include "log.h"
#include "server.h"
#include "transcripts_store.h"
#include "tx.h"
#include "util.h"

#define SWEEP_EVERY_S 300
#define RENDERS_MAX 8 /* renderings in flight; past it, 503 */
#define LIST_DEFAULT 100
#define SEARCH_DEFAULT 20

/* The module's state; loop thread only. */
static struct {
	int sweep_in;	     /* ticks until the next sweep (0: at the next tick) */
	int sweep_busy;	     /* a sweep job is in flight */
	int64_t sweep_after; /* the sweep goes on after this session id */
	int stopping;
	int renders; /* renderings on the thread pool */
} M;

static const char not_found_msg[] = "There is nothing at this address.";

/* ---- sealing ------------------------------------------------------------------ */

/* One per seal job. */
struct seal_job {
	int64_t session_id;
	int sealed;
};

static int seal_fn(struct store_tx *tx, void *arg)
{
	struct seal_job *j = arg;

	return trs_seal(tx, j->session_id, &j->sealed);
}

static void seal_done(int rc, void *arg)
{
	struct seal_job *j = arg;

	if (rc) {
		log_error("transcript_seal_failed", "session=%lld rc=%d", (long long)j->session_id,
			  rc);
		/* the sweep tries again soon, unless the rows themselves are at fault (logged) */
		if (rc != STORE_EINVAL && M.sweep_in > 60)
			M.sweep_in = 60;
	} else if (j->sealed) {
		log_info("transcript_sealed", "session=%lld", (long long)j->session_id);
	}
	free(j);
}

static void seal_later(struct server *srv, int64_t session_id)
{
	struct seal_job *j = xcalloc(1, sizeof *j);

	j->session_id = session_id;
	if (store_submit(srv->store, seal_fn, seal_done, j)) {
		free(j);
		M.sweep_in = 5; /* the store is busy or stopping: the sweep picks it up */
	}
}

static void on_closed(struct server *srv, int64_t session_id)
{
	if (!M.stopping)
		seal_later(srv, session_id);
}

/* One per sweep: closed sessions without a transcript. */
struct sweep_job {
	struct server *srv;
	int64_t after;
	int64_t ids[TRS_SWEEP_BATCH];
	size_t n;
};

static int sweep_fn(struct store_tx *tx, void *arg)
{
	struct sweep_job *j = arg;

	return trs_unsealed(tx, j->after, j->ids, TRS_SWEEP_BATCH, &j->n);
}

static void sweep_done(int rc, void *arg)
{
	struct sweep_job *j = arg;

	M.sweep_busy = 0;
	for (size_t i = 0; rc == 0 && !M.stopping && i < j->n; i++)
		seal_later(j->srv, j->ids[i]);
	if (rc == 0 && j->n == TRS_SWEEP_BATCH) {
		M.sweep_after = j->ids[j->n - 1];
		M.sweep_in = 2; /* more are waiting */
	} else if (rc == 0) {
		M.sweep_after = 0; /* the next sweep starts from the beginning */
	}
	free(j);
}

void trs_http_tick(struct server *srv)
{
	struct sweep_job *j;

	if (M.stopping || M.sweep_busy || --M.sweep_in > 0)
		return;
	M.sweep_in = SWEEP_EVERY_S;
	j = xcalloc(1, sizeof *j);
	j->srv = srv;
	j->after = M.sweep_after;
	if (store_submit(srv->store, sweep_fn, sweep_done, j)) {
		free(j);
		M.sweep_in = 5;
		return;
	}
	M.sweep_busy = 1;
}

/* ---- reading one transcript ------------------------------------------------------ */

/* One per transcript request, in req->state. */
struct read_state {
	uv_work_t work;
	struct http_req *req;
	int format; /* enum tx_format */
	int status; /* a refusal to answer with, or 0 */
	const char *code, *msg;
	struct trs_row row;
	char *out; /* the rendering (malloc'd by tx_write), or NULL */
	size_t out_len;
	int err; /* tx_err of the check or the rendering */
};

static void read_state_free(void *p)
{
	struct read_state *s = p;

	trs_row_free(&s->row);
	free(s->out);
	free(s);
}

static void refuse(struct read_state *s, int status, const char *code, const char *msg)
{
	s->status = status;
	s->code = code;
	s->msg = msg;
}

/*
 * Refusals are recorded in s, not failed with http_job_fail(), so that
 * the audit row of a refused read commits.
 */
static int read_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct read_state *s = req->state;
	int64_t id = http_param_id(req, 0), group;
	int verdict, sealed, rc;
	char detail[64];

	rc = trs_may_read(tx, id, req->user.id, req->user.role, &verdict, &sealed, &group);
	if (rc)
		return rc;
	if (verdict != TRS_READ) {
		if (verdict == TRS_NOT_MEMBER)
			refuse(s, 403, "not_member",
			       "Only people who were members of the group at the time of the "
			       "session, and its facilitators, can read its transcript.");
		else
			refuse(s, 404, "not_found", not_found_msg);
		if (!group)
			return 0;
		snprintf(detail, sizeof detail, "{\"status\":%d}", s->status);
		return audit_append(tx, req->user.id, "transcript_read_denied", "transcript", id,
				    detail);
	}
	if (!sealed) {
		refuse(s, 409, "not_sealed",
		       "This session has not closed yet; its transcript is made when it closes.");
		return 0;
	}
	rc = trs_load(tx, id, &s->row);
	if (rc == STORE_ENOTFOUND) {
		refuse(s, 409, "not_sealed", "This transcript is not ready yet.");
		return 0;
	}
	if (rc)
		return rc;
	snprintf(detail, sizeof detail, "{\"format\":\"%s\"}",
		 tx_format_ext((enum tx_format)s->format));
	return audit_append(tx, req->user.id, "transcript_read", "transcript", id, detail);
}

/* Thread pool: check the bytes against the seal, then render them. */
static void render_work(uv_work_t *w)
{
	struct read_state *s = w->data;
	struct tx_transcript *t = NULL;

	s->err = tx_verify(s->row.canon, s->row.len, s->row.seal);
	if (s->err)
		return;
	if (s->format == TX_JSON) {
		/* the export is the sealed bytes: sha256sum of the file is the seal */
		s->out = s->row.canon;
		s->out_len = s->row.len;
		s->row.canon = NULL;
		return;
	}
	s->err = tx_from_json(s->row.canon, s->row.len, &t);
	if (!s->err)
		s->err = tx_write(t, (enum tx_format)s->format, &s->out, &s->out_len);
	tx_transcript_free(t);
}

static void render_after(uv_work_t *w, int status)
{
	struct read_state *s = w->data;
	struct http_req *req = s->req;
	char v[160];

	M.renders--;
	if (status || s->err == TX_ESEAL) {
		if (s->err == TX_ESEAL)
			log_error("transcript_seal_mismatch", "session=%lld",
				  (long long)s->row.session_id);
		http_error(req, 500, status ? "internal" : "transcript_damaged",
			   status ? "Something went wrong on our side."
				  : "This transcript does not match its seal; the managers have "
				    "been told in the server log.");
		return;
	}
	if (s->err) {
		log_error("transcript_render_failed", "session=%lld err=\"%s\"",
			  (long long)s->row.session_id, tx_strerror(s->err));
		http_error(req, 500, "internal", "Something went wrong on our side.");
		return;
	}
	snprintf(v, sizeof v, "%s; filename=\"hearth-transcript-%s-session-%lld.%s\"",
		 s->format == TX_JSON ? "inline" : "attachment", s->row.local_date,
		 (long long)s->row.session_id, tx_format_ext((enum tx_format)s->format));
	http_add_header(req, "Content-Disposition", v);
	http_add_header(req, "X-Transcript-Seal", s->row.seal);
	http_reply(req, 200, tx_format_mime((enum tx_format)s->format), s->out, s->out_len);
}

static void read_then(struct http_req *req, int rc)
{
	struct read_state *s = req->state;

	if (rc) {
		http_reply_job(req, rc);
		return;
	}
	if (s->status) {
		http_error(req, s->status, s->code, s->msg);
		return;
	}
	if (M.renders >= RENDERS_MAX) {
		http_add_header(req, "Retry-After", "2");
		http_error(req, 503, "overloaded",
			   "Hearth is very busy; please try again shortly.");
		return;
	}
	s->req = req;
	s->work.data = s;
	if (uv_queue_work(&req->srv->loop, &s->work, render_work, render_after)) {
		http_error(req, 500, "internal", "Something went wrong on our side.");
		return;
	}
	M.renders++;
}

static void route_transcript(struct http_req *req)
{
	const char *f = http_query(req, "format");
	int format = f ? tx_format_parse(f) : TX_JSON;
	struct read_state *s;

	if (http_param_id(req, 0) < 0) {
		http_error(req, 404, "not_found", not_found_msg);
		return;
	}
	if (format < 0) {
		http_error(req, 400, "bad_format", "format must be json, md, html or txt.");
		return;
	}
	s = xcalloc(1, sizeof *s);
	s->format = format;
	req->state = s;
	req->state_free = read_state_free;
	http_run(req, read_fn, read_then);
}

/* ---- listing -------------------------------------------------------------------------- */

/* Query arguments of the listing and the search, checked on the loop thread. */
struct query_state {
	int64_t limit, before;
	char fts[TRS_QUERY_MAX * 2 + TRS_QUERY_WORDS * 4 + 8];
};

/*
 * Members and facilitators of the group now, and managers, see every row
 * (with `readable` saying whether they may open it); former members see
 * the rows they may open; anyone else gets the answer for no such group.
 */
static int list_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct query_state *q = req->state;
	int64_t group = http_param_id(req, 0);
	int access, only_readable = 0, rc;
	json_t *arr;

	rc = groups_access(tx, group, req->user.id, clock_now_ms(), &access);
	if (rc == STORE_ENOTFOUND)
		return http_job_fail(req, 404, "not_found", not_found_msg);
	if (rc)
		return rc;
	if (access == GROUP_NONE && req->user.role != ACCT_MANAGER) {
		if (!groups_ever_member(tx, group, req->user.id))
			return http_job_fail(req, 404, "not_found", not_found_msg);
		only_readable = 1;
	}
	rc = trs_list(tx, group, req->user.id, only_readable, q->before, (int)q->limit, &arr);
	if (rc)
		return rc;
	req->out = json_pack("{s:I,s:o}", "group_id", (json_int_t)group, "transcripts", arr);
	return 0;
}

static struct query_state *query_state(struct http_req *req)
{
	struct query_state *q = xcalloc(1, sizeof *q);

	req->state = q;
	req->state_free = free;
	return q;
}

static void route_list(struct http_req *req)
{
	struct query_state *q;

	if (http_param_id(req, 0) < 0) {
		http_error(req, 404, "not_found", not_found_msg);
		return;
	}
	q = query_state(req);
	q->limit = LIST_DEFAULT;
	if (http_query_int(req, "limit", 1, TRS_LIST_MAX, &q->limit) < 0 ||
	    http_query_int(req, "before", 1, INT64_MAX / 2, &q->before) < 0) {
		http_error(req, 400, "bad_field",
			   "limit must be 1 to 500 and before a time in ms.");
		return;
	}
	http_run(req, list_fn, NULL);
}

/* ---- search ------------------------------------------------------------------------------ */

static int search_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct query_state *q = req->state;
	json_t *results, *sessions, *d;
	char *detail;
	int rc = trs_search(tx, req->user.id, q->fts, (int)q->limit, &results, &sessions);

	if (rc)
		return rc;
	/* which transcripts were shown, never the words searched for */
	d = json_pack("{s:I,s:o}", "results", (json_int_t)json_array_size(results), "sessions",
		      sessions);
	detail = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	rc = audit_append(tx, req->user.id, "transcript_search", "user", req->user.id, detail);
	free(detail);
	if (rc) {
		json_decref(results);
		return rc;
	}
	req->out = json_pack("{s:o}", "results", results);
	return 0;
}

static void route_search(struct http_req *req)
{
	const char *text = http_query(req, "q");
	struct query_state *q = query_state(req);
	int words;

	q->limit = SEARCH_DEFAULT;
	if (http_query_int(req, "limit", 1, TRS_SEARCH_MAX, &q->limit) < 0) {
		http_error(req, 400, "bad_field", "limit must be 1 to 50.");
		return;
	}
	words = text ? trs_fts_query(text, q->fts, sizeof q->fts) : 0;
	if (words < 0) {
		http_error(req, 400, "bad_query", "Please search for at most 200 characters.");
		return;
	}
	if (words == 0) {
		http_error(req, 400, "empty_query", "Please type a word to search for.");
		return;
	}
	http_run(req, search_fn, NULL);
}

/* ---- the module's life ------------------------------------------------------------------ */

static const struct http_route routes[] = {
    {HTTP_GET, "/api/v1/sessions/{id}/transcript", route_transcript, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/groups/{id}/transcripts", route_list, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/transcripts/search", route_search, HTTP_ROUTE_AUTH},
};

void trs_http_init(struct server *srv)
{
	static int hooked; /* live and acct keep hooks for the process: register once */

	(void)srv;
	memset(&M, 0, sizeof M); /* sweep_in 0: the first tick seals what a crash left */
	if (!hooked) {
		live_on_closed(on_closed);
		acct_on_erase(trs_erase_user);
		hooked = 1;
	}
	http_routes_add(routes, ARRAY_LEN(routes));
}

void trs_http_shutdown(struct server *srv)
{
	(void)srv;
	M.stopping = 1;
}
