/*
 * baseline.c — `bench-baseline`: the bare broadcast server Hearth is
 * compared with. The same stack (libwebsockets 4.1 on a foreign libuv
 * loop, the same server options and keep-alive) and the same fan-out as
 * Hearth's room.c — a ring of refcounted frames per room, every reader
 * keeping its own position and writing one frame per writable callback,
 * a reader that falls off the ring dropped — but nothing else: no JSON,
 * no SQLite, no log-in, no per-message checks.
 *
 * Protocol "bench.v1", text frames: the first frame a connection sends
 * is "join ROOM" (answered "joined ROOM"); every later frame is published
 * as it is to everyone in the room, the sender included.
 *
 * Usage: bench-baseline [--listen ADDR:PORT] [--ring FRAMES] [--ping SECONDS]
 * It prints "event=listening port=N" on stderr like Hearth, and stops on
 * SIGINT/SIGTERM or when its parent dies.
 */
#include <dlfcn.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <uv.h>

#define FRAME_MAX 16384 /* Hearth's cap on a client frame */
#define OWN_MAX 64

/* One encoded frame, shared by the ring and the readers. */
struct frame {
	int refs;
	size_t len;
	unsigned char buf[]; /* LWS_PRE bytes of headroom, then len bytes */
};

struct room;

/* One per WebSocket connection: made at ESTABLISHED, freed at CLOSED. Loop thread only. */
struct sess {
	struct lws *wsi;
	struct room *room;
	struct sess *next_in_room;
	uint64_t tail;		    /* next ring position to send */
	struct frame *own[OWN_MAX]; /* frames for this connection only ("joined") */
	int own_n;
	char *rx;
	size_t rx_len;
};

/* One per room anyone joined; lives until the process ends. Loop thread only. */
struct room {
	struct room *next;
	long id;
	struct frame **ring;
	uint64_t start, end;
	struct sess *conns;
};

/* One per process. */
static struct {
	uv_loop_t loop;
	uv_signal_t sigint, sigterm;
	uv_timer_t tick;
	struct lws_context *ctx;
	struct room *rooms;
	size_t ring_cap;
	int stopping, destroy_ticks;
} B;

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		abort();
	return p;
}

static struct frame *frame_new(const void *data, size_t len)
{
	struct frame *f = xmalloc(sizeof *f + LWS_PRE + len);

	f->refs = 1;
	f->len = len;
	memcpy(f->buf + LWS_PRE, data, len);
	return f;
}

static void frame_unref(struct frame *f)
{
	if (f && --f->refs == 0)
		free(f);
}

static struct room *room_get(long id)
{
	struct room *r;

	for (r = B.rooms; r; r = r->next)
		if (r->id == id)
			return r;
	r = calloc(1, sizeof *r);
	if (!r || !(r->ring = calloc(B.ring_cap, sizeof *r->ring)))
		abort();
	r->id = id;
	r->next = B.rooms;
	B.rooms = r;
	return r;
}

/* Put f in the room's ring (taking a reference) and wake every reader. */
static void publish(struct room *r, struct frame *f)
{
	if (r->end - r->start == B.ring_cap) {
		frame_unref(r->ring[r->start % B.ring_cap]);
		r->start++;
	}
	f->refs++;
	r->ring[r->end % B.ring_cap] = f;
	r->end++;
	for (struct sess *s = r->conns; s; s = s->next_in_room)
		lws_callback_on_writable(s->wsi);
}

static void detach(struct sess *s)
{
	if (!s->room)
		return;
	for (struct sess **p = &s->room->conns; *p; p = &(*p)->next_in_room)
		if (*p == s) {
			*p = s->next_in_room;
			break;
		}
	s->room = NULL;
}

static void on_frame(struct sess *s, const char *buf, size_t len)
{
	struct frame *f;

	if (!s->room) {
		char reply[48];
		long id;
		int n;

		if (len < 6 || memcmp(buf, "join ", 5) || (id = strtol(buf + 5, NULL, 10)) <= 0 ||
		    s->own_n == OWN_MAX)
			return;
		s->room = room_get(id);
		s->next_in_room = s->room->conns;
		s->room->conns = s;
		s->tail = s->room->end;
		n = snprintf(reply, sizeof reply, "joined %ld", id);
		s->own[s->own_n++] = frame_new(reply, (size_t)n);
		lws_callback_on_writable(s->wsi);
		return;
	}
	f = frame_new(buf, len);
	publish(s->room, f);
	frame_unref(f);
}

static int on_receive(struct sess *s, struct lws *wsi, const char *in, size_t len)
{
	char *p;

	if (s->rx_len + len > FRAME_MAX)
		return -1;
	p = realloc(s->rx, s->rx_len + len + 1);
	if (!p)
		abort();
	s->rx = p;
	memcpy(s->rx + s->rx_len, in, len);
	s->rx_len += len;
	s->rx[s->rx_len] = '\0'; /* "join ROOM" is read with strtol */
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	on_frame(s, s->rx, s->rx_len);
	s->rx_len = 0;
	return 0;
}

/* One frame per callback: this connection's own first, then the ring. */
static int on_writable(struct sess *s)
{
	struct frame *f = NULL;
	int own = 0;

	if (s->own_n) {
		f = s->own[0];
		own = 1;
	} else if (s->room) {
		if (s->tail < s->room->start)
			return -1; /* fell off the ring: too slow */
		if (s->tail < s->room->end)
			f = s->room->ring[s->tail % B.ring_cap];
	}
	if (!f)
		return 0;
	if (lws_write(s->wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_TEXT) < (int)f->len)
		return -1;
	if (own) {
		memmove(s->own, s->own + 1, (size_t)--s->own_n * sizeof *s->own);
		frame_unref(f);
	} else {
		s->tail++;
	}
	if (s->own_n || (s->room && s->tail < s->room->end))
		lws_callback_on_writable(s->wsi);
	return 0;
}

struct pss {
	struct sess *s;
};

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct pss *pss = user;
	struct sess *s = pss ? pss->s : NULL;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		s = calloc(1, sizeof *s);
		if (!s)
			return -1;
		s->wsi = wsi;
		pss->s = s;
		break;
	case LWS_CALLBACK_RECEIVE:
		if (s)
			return on_receive(s, wsi, in, len);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (s)
			return on_writable(s);
		break;
	case LWS_CALLBACK_CLOSED:
		if (!s)
			break;
		detach(s);
		while (s->own_n)
			frame_unref(s->own[--s->own_n]);
		free(s->rx);
		free(s);
		pss->s = NULL;
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
    {"http-only", lws_callback_http_dummy, 0, 0, 0, NULL, 0},
    {"bench.v1", callback, sizeof(struct pss), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* The same keep-alive as Hearth: ping after 30 s of silence, hang up after 60 s. */
static lws_retry_bo_t keepalive = {
    .secs_since_valid_ping = 30,
    .secs_since_valid_hangup = 60,
};

static void free_rooms(void)
{
	while (B.rooms) {
		struct room *r = B.rooms;

		B.rooms = r->next;
		for (uint64_t i = r->start; i < r->end; i++)
			frame_unref(r->ring[i % B.ring_cap]);
		free(r->ring);
		free(r);
	}
}

static void count_foreign(uv_handle_t *h, void *arg)
{
	int *n = arg;

	if (!uv_is_closing(h) && h != (uv_handle_t *)&B.tick && h != (uv_handle_t *)&B.sigint &&
	    h != (uv_handle_t *)&B.sigterm)
		(*n)++;
}

/* Shutdown as Hearth does it: lws under a foreign loop needs a second destroy. */
static void on_tick(uv_timer_t *t)
{
	int n = 0;

	(void)t;
	if (B.ctx) {
		uv_walk(&B.loop, count_foreign, &n);
		if (n == 0 || ++B.destroy_ticks > 250)
			lws_context_destroy(B.ctx);
		return;
	}
	uv_close((uv_handle_t *)&B.sigint, NULL);
	uv_close((uv_handle_t *)&B.sigterm, NULL);
	uv_close((uv_handle_t *)&B.tick, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
	(void)h;
	(void)signum;
	if (B.stopping)
		return;
	B.stopping = 1;
	lws_context_destroy(B.ctx);
	uv_timer_start(&B.tick, on_tick, 20, 20);
}

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	void *loops[1] = {&B.loop};
	const char *addr = "127.0.0.1";
	char host[64];
	int port = 0;

	B.ring_cap = 1024;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--listen") && i + 1 < argc) {
			const char *colon = strrchr(argv[++i], ':');

			if (!colon || (size_t)(colon - argv[i]) >= sizeof host) {
				fprintf(stderr, "bench-baseline: --listen ADDR:PORT\n");
				return 2;
			}
			snprintf(host, sizeof host, "%.*s", (int)(colon - argv[i]), argv[i]);
			addr = host;
			port = atoi(colon + 1);
		} else if (!strcmp(argv[i], "--ping") && i + 1 < argc) {
			/* seconds of silence before a ping (hang-up at twice that) */
			keepalive.secs_since_valid_ping = (uint16_t)strtoul(argv[++i], NULL, 10);
			keepalive.secs_since_valid_hangup =
			    (uint16_t)(2 * keepalive.secs_since_valid_ping);
		} else if (!strcmp(argv[i], "--ring") && i + 1 < argc) {
			B.ring_cap = (size_t)strtoul(argv[++i], NULL, 10);
			if (B.ring_cap < 16)
				B.ring_cap = 16;
		} else {
			fprintf(stderr, "usage: bench-baseline [--listen ADDR:PORT] [--ring FRAMES]"
					" [--ping SECONDS]\n");
			return 2;
		}
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive bench/run */
	signal(SIGPIPE, SIG_IGN);
	lws_set_log_level(LLL_ERR, NULL);
	uv_loop_init(&B.loop);
	memset(&info, 0, sizeof info);
	info.port = port;
	info.iface = addr;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8 |
		       LWS_SERVER_OPTION_DISABLE_IPV6;
	info.foreign_loops = loops;
	info.pcontext = &B.ctx;
	info.timeout_secs = 10;
	info.retry_and_idle_policy = &keepalive;
	info.vhost_name = "baseline";
	/* lws 4.1 may unload its libuv plugin while a close callback inside it
	 * is still queued (many sockets closing at shutdown): keep it mapped */
	dlopen("libwebsockets-evlib_uv.so", RTLD_NOW | RTLD_NODELETE);
	B.ctx = lws_create_context(&info);
	if (!B.ctx) {
		fprintf(stderr, "bench-baseline: cannot listen on %s:%d\n", addr, port);
		return 1;
	}
	uv_signal_init(&B.loop, &B.sigint);
	uv_signal_init(&B.loop, &B.sigterm);
	uv_signal_start(&B.sigint, on_signal, SIGINT);
	uv_signal_start(&B.sigterm, on_signal, SIGTERM);
	uv_timer_init(&B.loop, &B.tick);
	fprintf(stderr, "level=info event=listening addr=%s port=%d\n", addr,
		lws_get_vhost_listen_port(lws_get_vhost_by_name(B.ctx, "baseline")));
	uv_run(&B.loop, UV_RUN_DEFAULT);
	free_rooms();
	return uv_loop_close(&B.loop) ? 1 : 0;
}
