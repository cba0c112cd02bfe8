/*
 * httpc.c — the blocking HTTP client of the set-up phase (see httpc.h).
 */
#include "httpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define RESP_MAX (8 << 20) /* /metrics is a few KiB; anything this big is a fault */

static int connect_to(const char *host, int port, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	struct timeval tv = {30, 0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "not an IPv4 address: %s", host);
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		snprintf(err, errlen, "connect %s:%d: %s", host, port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read until the peer closes, or until Content-Length bytes of body arrived. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap + 1), *hdr_end;
	long want = -1;

	if (!buf)
		return NULL;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb;

			if (cap >= RESP_MAX || !(nb = realloc(buf, cap * 2 + 1))) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		r = recv(fd, buf + n, cap - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		hdr_end = strstr(buf, "\r\n\r\n");
		if (hdr_end && want < 0) {
			const char *cl = strcasestr(buf, "\r\ncontent-length:");

			if (cl && cl < hdr_end)
				want = (hdr_end + 4 - buf) + strtol(cl + 17, NULL, 10);
		}
		if (want >= 0 && (long)n >= want)
			break;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

int httpc_request(const char *host, int port, const char *method, const char *path,
		  const char *extra, const char *body, struct httpc_resp *r, char *err,
		  size_t errlen)
{
	size_t blen = body ? strlen(body) : 0, n;
	char *req, *raw, *split;
	int fd, len;

	memset(r, 0, sizeof *r);
	fd = connect_to(host, port, err, errlen);
	if (fd < 0)
		return -1;
	len = snprintf(NULL, 0,
		       "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n%s"
		       "Content-Length: %zu\r\n\r\n",
		       method, path, host, port, extra ? extra : "", blen);
	req = malloc((size_t)len + blen + 1);
	if (!req) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(req, (size_t)len + 1,
		 "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n%s"
		 "Content-Length: %zu\r\n\r\n",
		 method, path, host, port, extra ? extra : "", blen);
	if (blen)
		memcpy(req + len, body, blen);
	if (send_all(fd, req, (size_t)len + blen)) {
		snprintf(err, errlen, "send: %s", strerror(errno));
		free(req);
		close(fd);
		return -1;
	}
	free(req);
	raw = read_all(fd, &n);
	close(fd);
	if (!raw || strncmp(raw, "HTTP/1.", 7) || !(split = strstr(raw, "\r\n\r\n"))) {
		snprintf(err, errlen, "no HTTP answer from %s:%d", host, port);
		free(raw);
		return -1;
	}
	*split = '\0';
	r->status = atoi(raw + 9);
	r->headers = raw;
	r->body_len = n - (size_t)(split + 4 - raw);
	r->body = malloc(r->body_len + 1);
	if (!r->body) {
		free(raw);
		r->headers = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(r->body, split + 4, r->body_len);
	r->body[r->body_len] = '\0';
	return 0;
}

void httpc_free(struct httpc_resp *r)
{
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof *r);
}

/* Usernames and passwords from the manifest are [a-z0-9._-]: no JSON escaping needed,
 * but refuse anything else rather than send broken JSON. */
static int plain(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

int httpc_login(const char *host, int port, const char *origin, const char *username,
		const char *password, char *cookie, size_t cookielen, char *err, size_t errlen)
{
	struct httpc_resp r;
	char body[512], extra[256];
	const char *c, *end;

	if (!plain(username) || !plain(password) ||
	    (size_t)snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}",
			     username, password) >= sizeof body) {
		snprintf(err, errlen, "unusable credentials for %s", username);
		return -1;
	}
	snprintf(extra, sizeof extra, "Origin: %s\r\nContent-Type: application/json\r\n", origin);
	if (httpc_request(host, port, "POST", "/api/v1/login", extra, body, &r, err, errlen))
		return -1;
	if (r.status != 200) {
		snprintf(err, errlen, "log-in of %s answered %d: %.200s", username, r.status,
			 r.body);
		httpc_free(&r);
		return -1;
	}
	c = strcasestr(r.headers, "\r\nset-cookie:");
	c = c ? strstr(c, "hearth_session=") : NULL;
	end = c ? c + strcspn(c, ";\r\n") : NULL;
	if (!c || (size_t)(end - c) >= cookielen) {
		snprintf(err, errlen, "log-in of %s set no session cookie", username);
		httpc_free(&r);
		return -1;
	}
	memcpy(cookie, c, (size_t)(end - c));
	cookie[end - c] = '\0';
	httpc_free(&r);
	return 0;
}
