/*
 * http.h — HTTP requests and responses, the route table, and the one
 * error shape of DESIGN.md: {"error":{"code":"snake_case","message":"…"}}.
 *
 * Life of a request (loop thread only):
 *   lws delivers the headers → a struct http_req is made → the body is
 *   read (capped at [server] max_body, 413 past it) → the route's handler
 *   runs. The handler answers now or later (after a store job or thread
 *   pool work) with exactly one http_reply*() / http_error() call. If the
 *   client goes away first, the request is "orphaned": req->wsi becomes
 *   NULL, the handler's work still completes, and its reply frees the
 *   request without sending anything. So a handler may always reply, and
 *   must reply exactly once.
 */
#ifndef HEARTH_HTTP_H
#define HEARTH_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "util.h"

struct server;
struct lws;
struct lws_protocols;

enum http_method { HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE, HTTP_OTHER };

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_QUERY 16

/* The logged-in user of a request, filled by the auth hook (accounts). */
struct http_user {
	int64_t id;
	int64_t session_id; /* the row of the log-in session */
	int role;           /* enum acct_role */
	char username[40];
};

/* One per HTTP request; see the life cycle above. */
struct http_req {
	struct server *srv;
	struct lws *wsi; /* NULL once the client has gone */
	enum http_method method;
	char path[512];
	char *params[HTTP_MAX_PARAMS]; /* {x} segments of the matched route, owned */
	int nparams;
	char *query[HTTP_MAX_QUERY]; /* "name=value", URL-decoded, owned */
	int nquery;
	char origin[256];
	char ip[64];
	char *cookie;     /* the Cookie header, owned; NULL if none */
	char *user_agent; /* owned; NULL if none */
	int tls;
	struct buf body;  /* the request body as received */
	int64_t content_length;
	json_t *json;     /* the body parsed as a JSON object (JSON routes), owned */
	const struct http_route *route;
	int dispatched; /* the route has been run (lws may also report an empty body complete) */
	struct http_user user; /* valid when has_user */
	int has_user;
	void (*auth_next)(struct http_req *); /* the route handler, while the auth hook runs */

	/* the answer */
	int replied;
	int status;
	char *ctype;
	struct buf resp;
	struct buf headers; /* extra "Name: value\r\n" lines */
	int close_after;
	size_t sent;
	int headers_sent;

	/* results of a store job run with http_run() (written by the store thread
	 * while the job runs, read on the loop thread after it completed) */
	int out_status;    /* default 200 */
	json_t *out;       /* body to answer with; owned */
	int err_status;    /* set by http_job_fail() */
	const char *err_code;
	char err_msg[200];
	void (*then)(struct http_req *req, int rc);

	/* a handler's own state across async steps; freed with the request */
	void *state;
	void (*state_free)(void *);
	int64_t t0_ms;
};

typedef void (*http_handler)(struct http_req *req);

enum http_route_flags {
	HTTP_ROUTE_AUTH = 1 << 0,    /* needs a logged-in user (401 otherwise) */
	HTTP_ROUTE_RAW = 1 << 1,     /* body is not JSON (e.g. an image) */
	HTTP_ROUTE_TESTING = 1 << 2, /* exists only under --testing */
};

struct http_route {
	enum http_method method;
	const char *pattern; /* "/api/v1/users/{id}/role": {x} matches one non-empty segment */
	http_handler handler;
	unsigned flags;
};

/*
 * Resolves the request's session cookie; on success fills req->user,
 * sets has_user and calls next(req); otherwise answers 401 itself.
 * Installed by the accounts module with http_set_auth(); without one,
 * HTTP_ROUTE_AUTH routes answer 401.
 */
typedef void (*http_auth_fn)(struct http_req *req, http_handler next);
void http_set_auth(http_auth_fn fn);

/* The lws protocol entry for HTTP (first in the protocol list). */
extern const struct lws_protocols http_protocol;

/* Answer with a body (copied). */
void http_reply(struct http_req *req, int status, const char *ctype, const void *body,
		size_t len);
/* Answer with a JSON value; takes the reference (like json_object_set_new). */
void http_reply_json(struct http_req *req, int status, json_t *body);
/* Answer with the error shape. */
void http_error(struct http_req *req, int status, const char *code, const char *message);
/* Answer 204 No Content. */
void http_reply_empty(struct http_req *req);
/* Add a response header (before replying). */
void http_add_header(struct http_req *req, const char *name, const char *value);

/* The route parameter i as a positive id; -1 if it is not one. */
int64_t http_param_id(const struct http_req *req, int i);
/* A query argument's value (URL-decoded), or NULL. Borrowed from req. */
const char *http_query(const struct http_req *req, const char *name);
/* Query argument `name` as an integer in [min, max] into *out: 0 when absent
 * (*out unchanged), 1 when present and good, -1 when present and bad. */
int http_query_int(const struct http_req *req, const char *name, int64_t min, int64_t max,
		   int64_t *out);
/* The value of cookie `name` copied into out (NUL-terminated); 0, or -1 if absent/too long. */
int http_cookie(const struct http_req *req, const char *name, char *out, size_t outlen);

/* JSON body helpers: a string member (NULL if absent or not a string). */
const char *http_json_str(const struct http_req *req, const char *key);

/*
 * Run fn(tx, req) on the store thread. When it completes: if `then` is
 * given, then(req, rc) runs on the loop thread (and must reply, now or
 * later); otherwise the request is answered: with req->out (status
 * req->out_status, default 200) when rc is 0, or else with the error set
 * by http_job_fail(), or one derived from rc (404 not_found, 409 conflict,
 * 403 not_allowed, 400 bad_request, 503 overloaded, 500 internal).
 * If the store cannot take the job, answers 503 at once.
 */
void http_run(struct http_req *req, store_fn fn, void (*then)(struct http_req *req, int rc));
/* In a job: record the error to answer with; returns STORE_EINVAL so the job's writes roll back. */
int http_job_fail(struct http_req *req, int status, const char *code, const char *message);
/* Answer with the outcome of a finished job (what http_run does when `then` is NULL). */
void http_reply_job(struct http_req *req, int rc);
/* Answer 204 when the job succeeded, else as http_reply_job (a `then` for jobs with no body). */
void http_reply_job_empty(struct http_req *req, int rc);

/* Register a table of routes (kept by pointer; call at start-up only). */
void http_routes_add(const struct http_route *routes, size_t n);
/* Forget every table (at shutdown). */
void http_routes_clear(void);

/*
 * Called once at start: the core routes (/healthz, /metrics, test
 * controls), and the /metrics token from [server] metrics_token_file if
 * one is set. 0, or -1 with err.
 */
int http_core_init(struct server *srv, char *err, size_t errlen);
/* Wipe the metrics token (at shutdown). */
void http_core_free(struct server *srv);


#endif
