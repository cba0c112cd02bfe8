/*
 * http.c — the HTTP side of libwebsockets: reading requests, routing,
 * writing responses, static files, and the core routes.
 *
 * Per connection lws keeps a `struct http_pss` (pointer to the request in
 * flight). Responses are written from LWS_CALLBACK_HTTP_WRITEABLE: the
 * headers first, then the body in chunks of at most HTTP_CHUNK bytes, one
 * lws_write per callback, so a large body never blocks the loop or grows
 * lws' own buffers.
 */
#include "http.h"

#include <libwebsockets.h>
#include <string.h>

#include "assets.h"
#include "proto.h"
#include "backup_sched.h"
#include "clock.h"
#include "crypto.h"
#include "hearth_build.h"
#include "log.h"
#include "server.h"

#define HTTP_CHUNK 16384
#define HTTP_MAX_JSON_DEPTH 16

/* One per HTTP connection, allocated by lws; loop thread only. */
struct http_pss {
	struct http_req *req;
};

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
			  "img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; "
			  "object-src 'none'; base-uri 'none'; form-action 'self'; "
			  "frame-ancestors 'none'";

static http_auth_fn auth_hook;

struct route_table {
	const struct http_route *v;
	size_t n;
};
static struct route_table tables[32];
static size_t ntables;

void http_set_auth(http_auth_fn fn)
{
	auth_hook = fn;
}

void http_routes_add(const struct http_route *routes, size_t n)
{
	if (ntables == ARRAY_LEN(tables)) {
		log_error("too_many_route_tables", NULL);
		abort();
	}
	tables[ntables].v = routes;
	tables[ntables].n = n;
	ntables++;
}

void http_routes_clear(void)
{
	ntables = 0;
	auth_hook = NULL;
}

/* ---- requests ---- */

static void req_free(struct http_req *req)
{
	for (int i = 0; i < req->nparams; i++)
		free(req->params[i]);
	for (int i = 0; i < req->nquery; i++)
		free(req->query[i]);
	if (req->state_free && req->state)
		req->state_free(req->state);
	free(req->cookie);
	free(req->user_agent);
	free(req->ctype);
	json_decref(req->json);
	json_decref(req->out);
	buf_free(&req->body);
	buf_free(&req->resp);
	buf_free(&req->headers);
	free(req);
}

static char *copy_header(struct lws *wsi, enum lws_token_indexes h, int max)
{
	int n = lws_hdr_total_length(wsi, h);
	char *v;

	if (n <= 0 || n > max)
		return NULL;
	v = xmalloc((size_t)n + 1);
	if (lws_hdr_copy(wsi, v, n + 1, h) < 0) {
		free(v);
		return NULL;
	}
	return v;
}

static enum http_method method_of(int m)
{
	switch (m) {
	case LWSHUMETH_GET:
		return HTTP_GET;
	case LWSHUMETH_POST:
		return HTTP_POST;
	case LWSHUMETH_PUT:
		return HTTP_PUT;
	case LWSHUMETH_PATCH:
		return HTTP_PATCH;
	case LWSHUMETH_DELETE:
		return HTTP_DELETE;
	default:
		return HTTP_OTHER;
	}
}

static struct http_req *req_new(struct server *srv, struct lws *wsi, const char *path)
{
	struct http_req *req = xcalloc(1, sizeof *req);
	char *uri;
	int urilen, m;
	char frag[1024], *cl;
	int64_t n;

	req->srv = srv;
	req->wsi = wsi;
	req->t0_ms = clock_mono_ms();
	buf_init(&req->body, 0);
	buf_init(&req->resp, LWS_PRE);
	buf_init(&req->headers, 0);
	m = lws_http_get_uri_and_method(wsi, &uri, &urilen);
	req->method = method_of(m);
	snprintf(req->path, sizeof req->path, "%s", path && *path ? path : "/");
	for (int i = 0; req->nquery < HTTP_MAX_QUERY; i++) {
		if (lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) < 0)
			break;
		req->query[req->nquery++] = xstrdup(frag);
	}
	if (lws_hdr_copy(wsi, req->origin, sizeof req->origin, WSI_TOKEN_ORIGIN) < 0)
		req->origin[0] = '\0';
	server_client_ip(srv, wsi, req->ip, sizeof req->ip);
	req->cookie = copy_header(wsi, WSI_TOKEN_HTTP_COOKIE, 8192);
	req->user_agent = copy_header(wsi, WSI_TOKEN_HTTP_USER_AGENT, 512);
	req->tls = lws_is_ssl(wsi);
	req->content_length = -1;
	cl = copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, 20);
	if (cl && parse_int64(cl, 0, INT64_MAX, &n) == 0)
		req->content_length = n;
	free(cl);
	return req;
}

/* ---- answers ---- */

static void finish(struct http_req *req)
{
	req->replied = 1;
	metrics_http_status(&req->srv->metrics, req->status);
	if (req->status >= 500 || req->srv->cfg.testing)
		log_info("http", "method=%d path=%s status=%d ms=%lld", req->method, req->path,
			 req->status, (long long)(clock_mono_ms() - req->t0_ms));
	if (!req->wsi) { /* the client went away while we worked */
		req_free(req);
		return;
	}
	lws_callback_on_writable(req->wsi);
}

void http_add_header(struct http_req *req, const char *name, const char *value)
{
	buf_printf(&req->headers, "%s: %s\r\n", name, value);
}

void http_reply(struct http_req *req, int status, const char *ctype, const void *body,
		size_t len)
{
	if (req->replied) {
		log_error("http_double_reply", "path=%s", req->path);
		return;
	}
	req->status = status;
	free(req->ctype);
	req->ctype = xstrdup(ctype ? ctype : "application/octet-stream");
	buf_reset(&req->resp);
	if (len)
		buf_append(&req->resp, body, len);
	finish(req);
}

void http_reply_empty(struct http_req *req)
{
	http_reply(req, 204, "text/plain", NULL, 0);
}

void http_reply_json(struct http_req *req, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);

	json_decref(body);
	if (!text) {
		http_error(req, 500, "internal", "Something went wrong on our side.");
		return;
	}
	http_reply(req, status, "application/json", text, strlen(text));
	free(text);
}

void http_error(struct http_req *req, int status, const char *code, const char *message)
{
	json_t *e = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);

	http_reply_json(req, status, e);
}

/* ---- store jobs for requests ---- */

int http_job_fail(struct http_req *req, int status, const char *code, const char *message)
{
	req->err_status = status;
	req->err_code = code;
	snprintf(req->err_msg, sizeof req->err_msg, "%s", message);
	return STORE_EINVAL;
}

void http_reply_job(struct http_req *req, int rc)
{
	json_t *out;

	if (rc == 0) {
		out = req->out ? req->out : json_object();
		req->out = NULL;
		http_reply_json(req, req->out_status ? req->out_status : 200, out);
		return;
	}
	if (req->err_code) {
		http_error(req, req->err_status, req->err_code, req->err_msg);
		return;
	}
	switch (rc) {
	case STORE_ENOTFOUND:
		http_error(req, 404, "not_found", "There is nothing at this address.");
		break;
	case STORE_ECONFLICT:
		http_error(req, 409, "conflict", "That conflicts with what is already there.");
		break;
	case STORE_EFORBIDDEN:
		http_error(req, 403, "not_allowed", "You are not allowed to do that.");
		break;
	case STORE_EINVAL:
		http_error(req, 400, "bad_request", "The request is not valid.");
		break;
	case STORE_EBUSY:
	case STORE_ESTOPPED:
		http_add_header(req, "Retry-After", "5");
		http_error(req, 503, "overloaded", "Hearth is very busy; please try again shortly.");
		break;
	default:
		http_error(req, 500, "internal", "Something went wrong on our side.");
	}
}

void http_reply_job_empty(struct http_req *req, int rc)
{
	if (rc)
		http_reply_job(req, rc);
	else
		http_reply_empty(req);
}

static void job_done(int rc, void *arg)
{
	struct http_req *req = arg;

	if (req->then)
		req->then(req, rc);
	else
		http_reply_job(req, rc);
}

void http_run(struct http_req *req, store_fn fn, void (*then)(struct http_req *req, int rc))
{
	int rc;

	req->then = then;
	req->err_code = NULL;
	rc = store_submit(req->srv->store, fn, job_done, req);
	if (rc)
		http_reply_job(req, rc);
}

/* ---- request accessors ---- */

int64_t http_param_id(const struct http_req *req, int i)
{
	int64_t v;

	if (i < 0 || i >= req->nparams || parse_int64(req->params[i], 1, INT64_MAX / 2, &v))
		return -1;
	return v;
}

const char *http_query(const struct http_req *req, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < req->nquery; i++)
		if (!strncmp(req->query[i], name, n) && req->query[i][n] == '=')
			return req->query[i] + n + 1;
	return NULL;
}

int http_query_int(const struct http_req *req, const char *name, int64_t min, int64_t max,
		   int64_t *out)
{
	const char *v = http_query(req, name);

	if (!v)
		return 0;
	return parse_int64(v, min, max, out) ? -1 : 1;
}

int http_cookie(const struct http_req *req, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);
	const char *p = req->cookie;

	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (!strncmp(p, name, n) && p[n] == '=') {
			const char *v = p + n + 1, *end = strchr(v, ';');
			size_t len = end ? (size_t)(end - v) : strlen(v);

			if (len + 1 > outlen)
				return -1;
			memcpy(out, v, len);
			out[len] = '\0';
			return 0;
		}
		p = strchr(p, ';');
	}
	return -1;
}

const char *http_json_str(const struct http_req *req, const char *key)
{
	json_t *v = req->json ? json_object_get(req->json, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- routing ---- */

/* Match pattern against path, capturing {x} segments into req->params. */
static int match(const char *pat, const char *path, struct http_req *req)
{
	req->nparams = 0;
	while (*pat && *path) {
		if (*pat == '{') {
			const char *seg_end = strchr(path, '/');
			size_t n = seg_end ? (size_t)(seg_end - path) : strlen(path);

			if (n == 0 || req->nparams == HTTP_MAX_PARAMS)
				goto no;
			req->params[req->nparams++] = xstrndup(path, n);
			pat = strchr(pat, '}');
			if (!pat)
				goto no;
			pat++;
			path += n;
			continue;
		}
		if (*pat++ != *path++)
			goto no;
	}
	if (!*pat && !*path)
		return 1;
no:
	for (int i = 0; i < req->nparams; i++)
		free(req->params[i]);
	req->nparams = 0;
	return 0;
}

/* The route for this request; *path_known tells 405 from 404. */
static const struct http_route *route_find(struct http_req *req, int *path_known)
{
	*path_known = 0;
	for (size_t t = 0; t < ntables; t++)
		for (size_t i = 0; i < tables[t].n; i++) {
			const struct http_route *r = &tables[t].v[i];

			if ((r->flags & HTTP_ROUTE_TESTING) && !req->srv->cfg.testing)
				continue;
			if (!match(r->pattern, req->path, req))
				continue;
			if (r->method == req->method)
				return r;
			*path_known = 1;
			for (int k = 0; k < req->nparams; k++)
				free(req->params[k]);
			req->nparams = 0;
		}
	return NULL;
}

static int is_state_changing(enum http_method m)
{
	return m == HTTP_POST || m == HTTP_PUT || m == HTTP_PATCH || m == HTTP_DELETE;
}

static void serve_static(struct http_req *req)
{
	const struct asset *a = assets_find(req->srv->assets, req->path);
	const char *slash = strrchr(req->path, '/');

	/* client-side routes (no extension) get the app's page */
	if (!a && slash && !strchr(slash, '.'))
		a = assets_find(req->srv->assets, "/index.html");
	if (!a) {
		http_error(req, 404, "not_found", "There is nothing at this address.");
		return;
	}
	http_add_header(req, "Cache-Control", "no-cache");
	http_add_header(req, "ETag", a->etag);
	http_reply(req, 200, a->mime, a->data, a->len);
}

static void run_handler(struct http_req *req)
{
	req->route->handler(req);
}

/* Everything about the request is known: check and run its route. */
static void dispatch(struct http_req *req)
{
	const struct http_route *r;
	int path_known;

	if (req->dispatched)
		return;
	req->dispatched = 1;
	if (req->method == HTTP_OTHER) {
		http_error(req, 405, "method_not_allowed", "This method is not supported.");
		return;
	}
	if (is_state_changing(req->method) &&
	    !server_origin_allowed(req->srv, req->origin, strlen(req->origin))) {
		http_error(req, 403, "bad_origin",
			   "This request did not come from Hearth's own pages.");
		return;
	}
	r = route_find(req, &path_known);
	if (!r) {
		if (path_known)
			http_error(req, 405, "method_not_allowed",
				   "This address does not accept that method.");
		else if (req->method == HTTP_GET && strncmp(req->path, "/api/", 5))
			serve_static(req);
		else
			http_error(req, 404, "not_found", "There is nothing at this address.");
		return;
	}
	req->route = r;
	if (is_state_changing(req->method) && !(r->flags & HTTP_ROUTE_RAW)) {
		json_error_t jerr;

		if (req->body.len == 0) {
			req->json = json_object();
		} else if (proto_json_too_deep(req->body.data, req->body.len,
					       HTTP_MAX_JSON_DEPTH)) {
			http_error(req, 400, "bad_json", "The request body is nested too deeply.");
			return;
		} else {
			req->json = json_loadb(req->body.data, req->body.len,
					       JSON_REJECT_DUPLICATES, &jerr);
			if (!json_is_object(req->json)) {
				http_error(req, 400, "bad_json",
					   "The request body is not a valid JSON object.");
				return;
			}
		}
	}
	if (r->flags & HTTP_ROUTE_AUTH) {
		if (!auth_hook) {
			http_error(req, 401, "not_logged_in", "Please sign in first.");
			return;
		}
		auth_hook(req, run_handler);
		return;
	}
	r->handler(req);
}

/* ---- writing ---- */

static int add_hdr(struct lws *wsi, const char *name, const char *value, unsigned char **p,
		   unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
					   (const unsigned char *)value, (int)strlen(value), p, end);
}

/* Write the status line and headers; -1 to drop the connection. */
static int write_headers(struct http_req *req)
{
	unsigned char hbuf[LWS_PRE + 6144];
	unsigned char *start = hbuf + LWS_PRE, *p = start, *end = hbuf + sizeof hbuf - 1;
	struct lws *wsi = req->wsi;
	int api = !strncmp(req->path, "/api/", 5);

	if (lws_add_http_header_status(wsi, (unsigned)req->status, &p, end) ||
	    lws_add_http_header_content_length(wsi, req->resp.len, &p, end) ||
	    add_hdr(wsi, "content-type:", req->ctype, &p, end) ||
	    add_hdr(wsi, "content-security-policy:", csp, &p, end) ||
	    add_hdr(wsi, "x-content-type-options:", "nosniff", &p, end) ||
	    add_hdr(wsi, "referrer-policy:", "no-referrer", &p, end) ||
	    add_hdr(wsi, "x-frame-options:", "DENY", &p, end) ||
	    add_hdr(wsi, "cross-origin-opener-policy:", "same-origin", &p, end) ||
	    add_hdr(wsi, "cross-origin-resource-policy:", "same-origin", &p, end))
		return -1;
	if (api && add_hdr(wsi, "cache-control:", "no-store", &p, end))
		return -1;
	if (req->tls && add_hdr(wsi, "strict-transport-security:",
				"max-age=31536000; includeSubDomains", &p, end))
		return -1;
	/* extra headers, one "Name: value\r\n" line each */
	for (char *line = req->headers.data; line && *line;) {
		char *eol = strstr(line, "\r\n"), *colon = strchr(line, ':');
		char name[64], value[1024];
		size_t nl;

		if (!eol || !colon || colon > eol)
			break;
		nl = (size_t)(colon - line) + 1;
		if (nl >= sizeof name || (size_t)(eol - colon) > sizeof value)
			return -1;
		for (size_t i = 0; i < nl; i++)
			name[i] = (char)((line[i] >= 'A' && line[i] <= 'Z') ? line[i] + 32 : line[i]);
		name[nl] = '\0';
		snprintf(value, sizeof value, "%.*s", (int)(eol - colon - 2), colon + 2);
		if (add_hdr(wsi, name, value, &p, end))
			return -1;
		line = eol + 2;
	}
	if (req->close_after && add_hdr(wsi, "connection:", "close", &p, end))
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	req->headers_sent = 1;
	return 0;
}

/* One step of writing the answer; returns what the lws callback returns. */
static int write_step(struct http_pss *pss, struct lws *wsi)
{
	struct http_req *req = pss->req;
	unsigned char chunk[LWS_PRE + HTTP_CHUNK];
	size_t n;
	int final;

	if (!req->headers_sent) {
		if (write_headers(req))
			return -1;
		if (req->resp.len) {
			lws_callback_on_writable(wsi);
			return 0;
		}
		final = 1;
	} else {
		n = req->resp.len - req->sent;
		if (n > HTTP_CHUNK)
			n = HTTP_CHUNK;
		memcpy(chunk + LWS_PRE, req->resp.data + req->sent, n);
		final = req->sent + n == req->resp.len;
		if (lws_write(wsi, chunk + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
		    (int)n)
			return -1;
		req->sent += n;
		if (!final) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	/* the whole answer is out */
	pss->req = NULL;
	if (req->close_after) {
		req_free(req);
		return -1;
	}
	req_free(req);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- the lws callback ---- */

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			 size_t len)
{
	struct http_pss *pss = user;
	struct server *srv = lws_context_user(lws_get_context(wsi));
	struct http_req *req;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* a WebSocket upgrade that named no subprotocol lands here: refuse it */
		return -1;
	case LWS_CALLBACK_HTTP_BIND_PROTOCOL:
		if (pss)
			srv->metrics.http_open++;
		break;
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss)
			srv->metrics.http_open--;
		break;
	case LWS_CALLBACK_HTTP:
		if (pss->req) /* a pipelined request before we answered: refuse */
			return -1;
		req = req_new(srv, wsi, in);
		pss->req = req;
		if (srv->stopping) {
			req->close_after = 1;
			http_error(req, 503, "shutting_down", "Hearth is restarting; try again soon.");
			return 0;
		}
		if (req->content_length > srv->cfg.max_body) {
			srv->metrics.http_body_refused++;
			req->close_after = 1;
			http_error(req, 413, "too_large", "The request body is too large.");
			return 0;
		}
		if (is_state_changing(req->method) && req->content_length > 0)
			return 0; /* wait for LWS_CALLBACK_HTTP_BODY_COMPLETION */
		dispatch(req);
		return 0;
	case LWS_CALLBACK_HTTP_BODY:
		req = pss ? pss->req : NULL;
		if (!req || req->replied)
			return 0;
		if ((int64_t)(req->body.len + len) > srv->cfg.max_body) {
			srv->metrics.http_body_refused++;
			req->close_after = 1;
			http_error(req, 413, "too_large", "The request body is too large.");
			return 0;
		}
		buf_append(&req->body, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		req = pss ? pss->req : NULL;
		if (req && !req->replied)
			dispatch(req);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!pss || !pss->req || !pss->req->replied)
			return 0;
		return write_step(pss, wsi);
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pss && pss->req) {
			req = pss->req;
			pss->req = NULL;
			if (req->replied)
				req_free(req);
			else
				req->wsi = NULL; /* orphaned: freed by its reply */
		}
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const struct lws_protocols http_protocol = {
	"http", http_callback, sizeof(struct http_pss), 0, 0, NULL, 0,
};

/* ---- core routes ---- */

static void route_healthz(struct http_req *req)
{
	struct store_stats ss;
	const char *status = "ok";

	store_get_stats(req->srv->store, &ss);
	/* a queue this deep means writes wait seconds: say so before clients notice */
	if (ss.queue_depth > (uint64_t)req->srv->cfg.queue_max / 2)
		status = "degraded";
	if (backup_sched_overdue(req->srv)) /* no backup for two intervals */
		status = "degraded";
	http_reply_json(req, 200,
			json_pack("{s:s,s:s,s:I,s:I}", "status", status, "version", HEARTH_VERSION,
				  "store_queue", (json_int_t)ss.queue_depth, "schema",
				  (json_int_t)ss.schema_version));
}

/*
 * /metrics carries no personal data, but its live figures tell when groups
 * meet. Without [server] metrics_token_file it answers this machine only
 * (a Prometheus or agent beside Hearth); with one, anyone presenting the
 * token as a bearer credential, from anywhere.
 */
static int metrics_refused(struct http_req *req)
{
	char auth[300];
	const char *tok = req->srv->metrics_token;
	size_t n;

	if (!tok) {
		if (ip_is_loopback(req->ip))
			return 0;
		http_error(req, 403, "not_allowed",
			   "Metrics are served to this machine only; set [server] "
			   "metrics_token_file to read them from elsewhere.");
		return 1;
	}
	n = strlen(tok);
	if (lws_hdr_copy(req->wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION) >= 0 &&
	    !strncmp(auth, "Bearer ", 7) && strlen(auth + 7) == n &&
	    ct_equal(auth + 7, tok, n))
		return 0;
	http_add_header(req, "WWW-Authenticate", "Bearer realm=\"hearth-metrics\"");
	http_error(req, 401, "bad_token", "Metrics need the bearer token from metrics_token_file.");
	return 1;
}

static void route_metrics(struct http_req *req)
{
	struct buf b;

	if (metrics_refused(req))
		return;
	buf_init(&b, 0);
	metrics_render(&req->srv->metrics, req->srv->store, clock_mono_ms() - req->srv->started_ms,
		       &b);
	backup_sched_metrics(req->srv, &b);
	http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
	buf_free(&b);
}

/* POST /api/v1/test/clock {"advance_ms": N}: exists only under --testing. */
static void route_test_clock(struct http_req *req)
{
	json_t *v = json_object_get(req->json, "advance_ms");

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 10LL * 365 * 86400 * 1000) {
		http_error(req, 400, "bad_field", "advance_ms must be a non-negative whole number.");
		return;
	}
	if (clock_shift(json_integer_value(v))) {
		http_error(req, 403, "not_allowed", "The clock can only be moved in testing mode.");
		return;
	}
	http_reply_json(req, 200,
			json_pack("{s:I,s:I}", "now_ms", (json_int_t)clock_now_ms(), "offset_ms",
				  (json_int_t)clock_offset_ms()));
}

static const struct http_route core_routes[] = {
	{HTTP_GET, "/healthz", route_healthz, 0},
	{HTTP_GET, "/metrics", route_metrics, 0},
	{HTTP_POST, "/api/v1/test/clock", route_test_clock, HTTP_ROUTE_TESTING},
};

void http_core_free(struct server *srv)
{
	crypto_secret_free(srv->metrics_token);
	srv->metrics_token = NULL;
}

int http_core_init(struct server *srv, char *err, size_t errlen)
{
	const char *path = srv->cfg.metrics_token_file;

	if (path && *path &&
	    !(srv->metrics_token = crypto_secret_read(path, "[server] metrics_token_file", 256,
							err, errlen)))
		return -1;
	http_routes_add(core_routes, ARRAY_LEN(core_routes));
	return 0;
}
