/*
 * httpc.h — a tiny blocking HTTP/1.1 client for the parts of a benchmark
 * that are not timed: logging in (to get a session cookie) and reading
 * Hearth's /metrics. One request per connection ("Connection: close").
 */
#ifndef BENCH_HTTPC_H
#define BENCH_HTTPC_H

#include <stddef.h>

/* One response; free with httpc_free(). */
struct httpc_resp {
	int status;
	char *headers; /* the header block, NUL-terminated */
	char *body;    /* NUL-terminated */
	size_t body_len;
};

/*
 * Send one request to host:port (an IPv4 address) and read the whole
 * answer, with a 30 s time-out on each read. `extra` holds further header
 * lines, each ending in "\r\n" (may be NULL); body may be NULL. Returns 0
 * with *r filled (the caller frees it), or -1 with errno-style text in
 * err.
 */
int httpc_request(const char *host, int port, const char *method, const char *path,
		  const char *extra, const char *body, struct httpc_resp *r, char *err,
		  size_t errlen);
void httpc_free(struct httpc_resp *r);

/*
 * POST /api/v1/login as username/password with the given Origin; on 200,
 * copies "hearth_session=TOKEN" (ready for a Cookie header) into cookie.
 * Returns 0, or -1 with a reason in err.
 */
int httpc_login(const char *host, int port, const char *origin, const char *username,
		const char *password, char *cookie, size_t cookielen, char *err, size_t errlen);

#endif
