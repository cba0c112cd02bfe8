/*
 * gen.c — the generator's WebSocket clients: connecting (Cookie and
 * Origin for Hearth), joining, the members' open-loop send schedule,
 * reading what the server sends, and dropping and resuming (storm).
 *
 * Open loop: each member's messages have scheduled times, one interval
 * apart, fixed in advance. A message is queued when its time comes even
 * if the previous one is unanswered, and every latency counts from the
 * scheduled time, never from when the generator got round to sending —
 * so a stall anywhere (server, network, generator) shows up in the
 * figures instead of silently thinning the load (no coordinated omission).
 *
 * One clock: the scheduled time (µs of this process's CLOCK_MONOTONIC)
 * travels inside the client_id ("c<client>-<n>-<µs>"), so a receiver
 * needs no state of the sender's to measure end-to-end latency.
 */
#include "gen.h"

#include <dlfcn.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "sysinfo.h"

#define HEARTH_PROTOCOL "hearth.v1"
#define BASELINE_PROTOCOL "bench.v1"
#define RX_MAX (1 << 20) /* Hearth's frames are at most 16 KiB; more is a fault */

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "hearth-bench: out of memory\n");
		abort();
	}
	return p;
}

/* ---- errors ---- */

void gen_count_error(struct gen *g, const char *code)
{
	struct gen_errs *e = &g->errs;
	int i;

	for (i = 0; i < e->kinds; i++)
		if (!strcmp(e->code[i], code))
			break;
	if (i == e->kinds) {
		if (e->kinds == GEN_ERR_KINDS)
			i = GEN_ERR_KINDS - 1; /* the last slot collects the rest */
		else
			snprintf(e->code[e->kinds++], sizeof e->code[0], "%s", code);
	}
	e->n[i]++;
}

uint64_t gen_error_total(const struct gen *g)
{
	uint64_t n =
	    g->connect_failures + g->disconnects + g->gen_backlog + g->seq_gaps + g->queue_full;

	for (int i = 0; i < g->errs.kinds; i++)
		n += g->errs.n[i];
	if (g->w.expected > g->w.delivered)
		n += g->w.expected - g->w.delivered;
	return n;
}

static void pump(struct gen *g);

/* ---- the send queue ---- */

static void queue_frame(struct client *c, const char *text, size_t len, int64_t sched)
{
	struct outf *f;

	if (c->qlen >= GEN_QUEUE_MAX) {
		c->g->queue_full++;
		return;
	}
	f = xmalloc(sizeof *f + LWS_PRE + len);
	f->next = NULL;
	f->sched = sched;
	f->len = len;
	memcpy(f->buf + LWS_PRE, text, len);
	if (c->qt)
		c->qt->next = f;
	else
		c->qh = f;
	c->qt = f;
	c->qlen++;
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
}

static void queue_clear(struct client *c)
{
	while (c->qh) {
		struct outf *f = c->qh;

		c->qh = f->next;
		free(f);
	}
	c->qt = NULL;
	c->qlen = 0;
}

/* ---- frames we send ---- */

static int in_window(const struct gen *g, int64_t sched)
{
	return g->measuring && sched >= g->w.t0 && sched < g->w.t1;
}

static void send_say(struct client *c, int64_t n, int64_t sched)
{
	struct gen *g = c->g;
	char cid[GEN_CLIENT_ID_MAX + 1], text[4200], frame[4600];
	int len, tl;

	snprintf(cid, sizeof cid, "c%d-%lld-%lld", c->idx, (long long)n, (long long)sched);
	/* unique words per message, or Hearth refuses a repeat as duplicate */
	tl = snprintf(text, sizeof text, "message %lld from %d:", (long long)n, c->idx);
	for (; tl < g->o.text_len && tl < (int)sizeof text - 1; tl++)
		text[tl] = " hearth"[tl % 7];
	text[tl] = '\0';
	if (g->o.target == TGT_HEARTH)
		len = snprintf(frame, sizeof frame,
			       "{\"type\":\"say\",\"session\":%lld,\"client_id\":\"%s\","
			       "\"text\":\"%s\",\"ref\":\"s%lld\"}",
			       (long long)g->rooms[c->room].session, cid, text, (long long)n);
	else
		len = snprintf(frame, sizeof frame, "%s %s", cid, text);
	queue_frame(c, frame, (size_t)len, sched);
}

static void send_join(struct client *c)
{
	char frame[96];
	int len;

	if (c->g->o.target == TGT_HEARTH)
		len = snprintf(frame, sizeof frame,
			       "{\"type\":\"join\",\"session\":%lld,\"ref\":\"j\"}",
			       (long long)c->g->rooms[c->room].session);
	else
		len = snprintf(frame, sizeof frame, "join %lld",
			       (long long)c->g->rooms[c->room].session);
	c->state = CS_JOINING;
	queue_frame(c, frame, (size_t)len, -1);
}

static void send_resume(struct client *c)
{
	char frame[128];
	int len = snprintf(frame, sizeof frame,
			   "{\"type\":\"resume\",\"session\":%lld,\"since_seq\":%lld}",
			   (long long)c->g->rooms[c->room].session, (long long)c->have);

	queue_frame(c, frame, (size_t)len, -1);
}

/* ---- the schedule ----
 *
 * One timerfd (µs precision; libuv's timers only count milliseconds) and
 * a min-heap of the members by their next scheduled time. */

static void heap_swap(struct gen *g, int a, int b)
{
	struct client *t = g->heap[a];

	g->heap[a] = g->heap[b];
	g->heap[b] = t;
}

static void heap_push(struct gen *g, struct client *c)
{
	int i = g->nheap++;

	g->heap[i] = c;
	while (i > 0 && g->heap[(i - 1) / 2]->next_sched > g->heap[i]->next_sched) {
		heap_swap(g, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static struct client *heap_pop(struct gen *g)
{
	struct client *top = g->heap[0];
	int i = 0;

	g->heap[0] = g->heap[--g->nheap];
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;

		if (l < g->nheap && g->heap[l]->next_sched < g->heap[m]->next_sched)
			m = l;
		if (r < g->nheap && g->heap[r]->next_sched < g->heap[m]->next_sched)
			m = r;
		if (m == i)
			return top;
		heap_swap(g, i, m);
		i = m;
	}
}

static void arm(struct gen *g)
{
	struct itimerspec its;
	int64_t t;

	memset(&its, 0, sizeof its);
	if (g->nheap) {
		t = g->heap[0]->next_sched;
		its.it_value.tv_sec = t / 1000000;
		its.it_value.tv_nsec = (t % 1000000) * 1000;
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(g->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Everything due: a member's message is queued at its scheduled time, even
 * if earlier ones are unanswered, and after a stall several go at once. */
static void fire(struct client *c)
{
	struct gen *g = c->g;
	int64_t n = c->n_next++, sched = c->next_sched;

	c->next_sched += (int64_t)g->o.interval_ms * 1000;
	if (in_window(g, sched))
		g->w.sent++;
	if (c->npend == GEN_PEND_MAX) {
		g->gen_backlog++;
		return;
	}
	c->pend[c->npend].n = n;
	c->pend[c->npend++].sched = sched;
	if (c->state == CS_JOINED && !c->want_drop)
		send_say(c, n, sched);
	/* else: re-sent with the others after the rejoin */
}

static void on_timerfd(uv_poll_t *p, int status, int events)
{
	struct gen *g = p->data;
	uint64_t expirations;
	int64_t now = sys_now_us();

	(void)status;
	(void)events;
	if (read(g->tfd, &expirations, sizeof expirations) < 0) {
		/* nothing to read: woken for another reason; the heap decides */
	}
	while (g->nheap && g->heap[0]->next_sched <= now) {
		struct client *c = heap_pop(g);

		fire(c);
		heap_push(g, c);
	}
	arm(g);
}

int gen_sched_init(struct gen *g)
{
	g->heap = calloc((size_t)g->nclients + 1, sizeof *g->heap);
	g->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!g->heap || g->tfd < 0 || uv_poll_init(&g->loop, &g->tpoll, g->tfd))
		return -1;
	g->tpoll.data = g;
	return uv_poll_start(&g->tpoll, UV_READABLE, on_timerfd) ? -1 : 0;
}

void gen_start_sending(struct gen *g, int from, int to, int burst)
{
	int64_t now = sys_now_us(), period = (int64_t)g->o.interval_ms * 1000;

	for (int i = from * GEN_PEOPLE; i < to * GEN_PEOPLE && i < g->nclients; i++) {
		struct client *c = &g->c[i];

		if (c->slot == 0 || c->sending)
			continue; /* facilitators listen */
		/* spread evenly over one interval, or all at once for a burst */
		c->next_sched =
		    now + 100000 + (burst ? 0 : (int64_t)((uint64_t)rand() % (uint64_t)period));
		c->sending = 1;
		heap_push(g, c);
	}
	arm(g);
}

void gen_stop_sending(struct gen *g)
{
	while (g->nheap)
		heap_pop(g)->sending = 0;
	arm(g);
}

uint64_t gen_outstanding(const struct gen *g)
{
	uint64_t owed = 0;
	uint64_t settled = g->w.acked + g->w.err_frames;

	if (g->w.sent > settled)
		owed += g->w.sent - settled;
	if (g->w.expected > g->w.delivered)
		owed += g->w.expected - g->w.delivered;
	return owed;
}

/* ---- what the server sends ---- */

/* The integer after "key": in buf, or -1. */
static int64_t num_after(const char *buf, size_t len, const char *key)
{
	char pat[40];
	const char *p;
	int n = snprintf(pat, sizeof pat, "\"%s\":", key);

	p = memmem(buf, len, pat, (size_t)n);
	return p ? strtoll(p + n, NULL, 10) : -1;
}

/* The string after "key":" in buf into out; 0, or -1 when absent. */
static int str_after(const char *buf, size_t len, const char *key, char *out, size_t outlen)
{
	char pat[40];
	const char *p, *end;
	int n = snprintf(pat, sizeof pat, "\"%s\":\"", key);

	p = memmem(buf, len, pat, (size_t)n);
	if (!p)
		return -1;
	p += n;
	end = memchr(p, '"', len - (size_t)(p - buf));
	if (!end || (size_t)(end - p) >= outlen)
		return -1;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return 0;
}

/* "c<client>-<n>-<sched>" → its parts; 0 or -1. */
static int parse_cid(const char *s, int *author, int64_t *n, int64_t *sched)
{
	char *e;

	if (*s != 'c')
		return -1;
	*author = (int)strtol(s + 1, &e, 10);
	if (*e != '-')
		return -1;
	*n = strtoll(e + 1, &e, 10);
	if (*e != '-')
		return -1;
	*sched = strtoll(e + 1, &e, 10);
	return *e && *e != ' ' ? -1 : 0;
}

/* Note seq as held: 1 if new, 0 if a duplicate. */
static int seq_take(struct client *c, int64_t seq)
{
	int64_t k = seq - c->have - 1;

	if (k < 0)
		return 0;
	if (k == 0 && !(c->ahead[0] & 1)) {
		/* the next one, as nearly always: only the run to shift over costs */
		int any = 0;

		for (int i = 0; i < GEN_SEQ_WIN / 64 && !any; i++)
			any = c->ahead[i] != 0;
		if (!any) {
			c->have++;
			return 1;
		}
	}
	if (k >= GEN_SEQ_WIN) { /* too far ahead: a hole this big is a fault */
		c->g->seq_gaps++;
		return 1;
	}
	if (c->ahead[k / 64] & (1ULL << (k % 64)))
		return 0;
	c->ahead[k / 64] |= 1ULL << (k % 64);
	/* advance over the contiguous run */
	while (c->ahead[0] & 1) {
		for (int i = 0; i < GEN_SEQ_WIN / 64; i++)
			c->ahead[i] = (c->ahead[i] >> 1) |
				      (i + 1 < GEN_SEQ_WIN / 64 ? c->ahead[i + 1] << 63 : 0);
		c->have++;
	}
	return 1;
}

static void check_resumed(struct client *c)
{
	struct gen *g = c->g;

	if (c->rejoining && c->state == CS_JOINED && c->have >= c->resume_target) {
		c->rejoining = 0;
		g->resumed++;
		hist_record(&g->resume, sys_now_us() - c->t_drop);
	}
}

static void room_seq(struct gen *g, int room, int64_t seq)
{
	if (seq > g->rooms[room].last_seq)
		g->rooms[room].last_seq = seq;
}

static void on_msg(struct client *c, int64_t seq, const char *cid)
{
	struct gen *g = c->g;
	int author;
	int64_t n, sched;

	if (seq >= 0) {
		room_seq(g, c->room, seq);
		if (!seq_take(c, seq)) {
			g->w.dup++;
			return;
		}
		check_resumed(c);
	}
	if (parse_cid(cid, &author, &n, &sched) || author == c->idx)
		return; /* our own copy: the ack measures it */
	if (in_window(g, sched)) {
		int64_t lat = sys_now_us() - sched, sec = (sched - g->w.t0) / 1000000;

		g->w.delivered++;
		hist_record(&g->w.e2e, lat);
		if (sec < GEN_SECONDS_MAX && lat > g->w.second_max[sec])
			g->w.second_max[sec] = lat;
	}
}

/* Drop n from the unacknowledged; 1 if it was there. */
static int pend_take(struct client *c, int64_t n)
{
	for (int i = 0; i < c->npend; i++)
		if (c->pend[i].n == n) {
			c->pend[i] = c->pend[--c->npend];
			return 1;
		}
	return 0;
}

static void on_ack(struct client *c, int64_t seq, const char *cid)
{
	struct gen *g = c->g;
	int author;
	int64_t n, sched;

	if (seq >= 0)
		room_seq(g, c->room, seq);
	if (parse_cid(cid, &author, &n, &sched) || author != c->idx || !pend_take(c, n))
		return; /* an ack repeated after a re-send */
	if (in_window(g, sched)) {
		g->w.acked++;
		g->w.expected += GEN_PEOPLE - 1;
		hist_record(&g->w.ack, sys_now_us() - sched);
	}
}

static void on_joined(struct client *c, int64_t last_seq)
{
	struct gen *g = c->g;

	c->state = CS_JOINED;
	g->joined++;
	g->rooms[c->room].joined++;
	if (c->in_pump) {
		c->in_pump = 0;
		g->connecting--;
		pump(g);
	}
	if (!c->counted) {
		c->counted = 1;
		hist_record(&g->conn, sys_now_us() - c->t_start);
	}
	if (last_seq >= 0)
		room_seq(g, c->room, last_seq);
	if (!c->rejoining) {
		/* a first join: what was said before is not ours to count */
		c->have = last_seq > 0 ? last_seq : 0;
		memset(c->ahead, 0, sizeof c->ahead);
		return;
	}
	c->resume_target = last_seq;
	if (g->o.target == TGT_HEARTH && c->have < last_seq)
		send_resume(c);
	/* what was never acknowledged goes again, same client_id (stored once) */
	for (int i = 0; i < c->npend; i++)
		send_say(c, c->pend[i].n, c->pend[i].sched);
	if (g->o.target == TGT_BASELINE)
		c->have = last_seq; /* the baseline keeps no history: nothing to resume */
	check_resumed(c);
}

static void on_error_frame(struct client *c, const char *buf, size_t len)
{
	struct gen *g = c->g;
	char code[32], ref[32];

	if (str_after(buf, len, "code", code, sizeof code))
		snprintf(code, sizeof code, "?");
	gen_count_error(g, code);
	if (!str_after(buf, len, "ref", ref, sizeof ref) && ref[0] == 's') {
		int64_t n = strtoll(ref + 1, NULL, 10);

		for (int i = 0; i < c->npend; i++)
			if (c->pend[i].n == n) {
				if (in_window(g, c->pend[i].sched))
					g->w.err_frames++;
				break;
			}
		pend_take(c, n);
	}
	if (g->printed++ < 5 && !g->o.quiet)
		fprintf(stderr, "hearth-bench: client %d got %.*s\n", c->idx,
			(int)(len > 300 ? 300 : len), buf);
}

static void hearth_frame(struct client *c, const char *buf, size_t len)
{
	struct gen *g = c->g;
	char type[24], cid[GEN_CLIENT_ID_MAX + 1];

	if (str_after(buf, len, "type", type, sizeof type)) {
		gen_count_error(g, "unreadable_frame");
		return;
	}
	if (!strcmp(type, "msg")) {
		if (!str_after(buf, len, "client_id", cid, sizeof cid))
			on_msg(c, num_after(buf, len, "seq"), cid);
	} else if (!strcmp(type, "ack")) {
		if (!str_after(buf, len, "client_id", cid, sizeof cid))
			on_ack(c, num_after(buf, len, "seq"), cid);
	} else if (!strcmp(type, "welcome")) {
		send_join(c);
	} else if (!strcmp(type, "joined")) {
		if (c->state != CS_JOINED)
			on_joined(c, num_after(buf, len, "last_seq"));
	} else if (!strcmp(type, "error")) {
		on_error_frame(c, buf, len);
	} else {
		g->w.other_frames++;
	}
}

static void baseline_frame(struct client *c, const char *buf, size_t len)
{
	char cid[GEN_CLIENT_ID_MAX + 1];
	size_t n = strcspn(buf, " ");
	int author;
	int64_t k, sched;

	if (len >= 7 && !memcmp(buf, "joined ", 7)) {
		if (c->state != CS_JOINED)
			on_joined(c, 0);
		return;
	}
	if (n >= sizeof cid) {
		gen_count_error(c->g, "unreadable_frame");
		return;
	}
	memcpy(cid, buf, n);
	cid[n] = '\0';
	if (parse_cid(cid, &author, &k, &sched)) {
		gen_count_error(c->g, "unreadable_frame");
		return;
	}
	/* the room echoes to everyone: our own copy is the acknowledgement */
	if (author == c->idx)
		on_ack(c, -1, cid);
	else
		on_msg(c, -1, cid);
}

static void on_receive(struct client *c, struct lws *wsi, const char *in, size_t len)
{
	if (c->rx_len + len > RX_MAX) {
		gen_count_error(c->g, "frame_too_large");
		c->rx_len = 0;
		return;
	}
	if (c->rx_len + len + 1 > c->rx_cap) {
		size_t cap = c->rx_cap ? c->rx_cap : 1024;
		char *p;

		while (cap < c->rx_len + len + 1)
			cap *= 2;
		p = realloc(c->rx, cap);
		if (!p)
			abort();
		c->rx = p;
		c->rx_cap = cap;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return;
	c->rx[c->rx_len] = '\0';
	if (c->g->o.target == TGT_HEARTH)
		hearth_frame(c, c->rx, c->rx_len);
	else
		baseline_frame(c, c->rx, c->rx_len);
	c->rx_len = 0;
}

/* ---- connecting ---- */

static void connect_client(struct client *c)
{
	struct gen *g = c->g;
	struct lws_client_connect_info i;
	char host[96];

	memset(&i, 0, sizeof i);
	snprintf(host, sizeof host, "%s:%d", g->o.host, g->o.port);
	i.context = g->ctx;
	i.address = g->o.host;
	i.port = g->o.port;
	i.path = g->o.target == TGT_HEARTH ? "/ws" : "/";
	i.host = host;
	i.origin = g->o.origin;
	i.protocol = g->o.target == TGT_HEARTH ? HEARTH_PROTOCOL : BASELINE_PROTOCOL;
	i.opaque_user_data = c;
	i.pwsi = &c->wsi;
	c->state = CS_CONNECTING;
	c->rx_len = 0;
	if (!c->counted)
		c->t_start = sys_now_us();
	if (!lws_client_connect_via_info(&i) && c->state == CS_CONNECTING) {
		/* refused before any callback said so */
		c->wsi = NULL;
		c->state = CS_IDLE;
		g->connect_failures++;
		if (c->in_pump) {
			c->in_pump = 0;
			g->connecting--;
		}
	}
}

static void pump(struct gen *g)
{
	if (g->finished)
		return;
	while (g->connecting < g->o.connect_concurrency && g->next_connect < g->connect_upto) {
		struct client *c = &g->c[g->next_connect++];

		c->in_pump = 1;
		g->connecting++;
		connect_client(c);
	}
}

void gen_connect_upto(struct gen *g, int upto)
{
	g->connect_upto = upto < g->nclients ? upto : g->nclients;
	pump(g);
}

int gen_retire_rooms(struct gen *g, int from)
{
	int open = 0;

	for (int i = from * GEN_PEOPLE; i < g->rooms_active * GEN_PEOPLE; i++) {
		struct client *c = &g->c[i];

		c->npend = 0;
		c->rejoining = 0;
		if (!c->wsi)
			continue;
		open++;
		if (!c->retire) {
			c->retire = 1;
			lws_callback_on_writable(c->wsi);
		}
	}
	/* nothing below reconnects them now; growing again will */
	if (g->next_connect > from * GEN_PEOPLE)
		g->next_connect = from * GEN_PEOPLE;
	if (g->connect_upto > from * GEN_PEOPLE)
		g->connect_upto = from * GEN_PEOPLE;
	return open;
}

void gen_drop_all(struct gen *g)
{
	int64_t now = sys_now_us();

	for (int i = 0; i < g->rooms_active * GEN_PEOPLE; i++) {
		struct client *c = &g->c[i];

		if (c->state != CS_JOINED || !c->wsi)
			continue;
		c->want_drop = 1;
		c->t_drop = now;
		lws_callback_on_writable(c->wsi);
	}
}

static void on_closed(struct client *c, struct lws *wsi)
{
	struct gen *g = c->g;
	int was_joined = c->state == CS_JOINED;

	/* lws may report one connection's end twice (error, then closed), and a
	 * storm's new connection must not be ended by the old one's report */
	if (c->state == CS_IDLE || (c->wsi && c->wsi != wsi))
		return;
	if (was_joined) {
		g->joined--;
		g->rooms[c->room].joined--;
	}
	if (c->in_pump) {
		c->in_pump = 0;
		g->connecting--;
	}
	c->wsi = NULL;
	c->state = CS_IDLE;
	queue_clear(c);
	if (c->retire) {
		c->retire = 0; /* closed on purpose: ready to connect again later */
	} else if (c->want_drop && !g->finished) {
		c->want_drop = 0;
		c->rejoining = 1;
		connect_client(c);
	} else if (!g->finished) {
		if (was_joined)
			g->disconnects++;
		else
			g->connect_failures++;
	}
	pump(g);
}

static int gen_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			size_t len)
{
	struct client *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;

	(void)user;
	if (!c)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
		unsigned char **p = (unsigned char **)in, *end = *p + len;

		if (c->cookie[0] && lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_COOKIE,
								 (const unsigned char *)c->cookie,
								 (int)strlen(c->cookie), p, end))
			return -1;
		break;
	}
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->state = CS_OPEN;
		if (c->g->o.target == TGT_BASELINE)
			send_join(c); /* Hearth speaks first (welcome) */
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (c->g->printed++ < 5 && !c->g->o.quiet)
			fprintf(stderr, "hearth-bench: client %d: %s\n", c->idx,
				in ? (const char *)in : "connection failed");
		c->want_drop = 0;
		on_closed(c, wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		on_receive(c, wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE: {
		struct outf *f = c->qh;

		if (c->want_drop || c->retire)
			return -1; /* the storm: hang up without a close handshake */
		if (!f)
			break;
		c->qh = f->next;
		if (!c->qh)
			c->qt = NULL;
		c->qlen--;
		if (f->sched >= 0 && in_window(c->g, f->sched))
			hist_record(&c->g->w.lag, sys_now_us() - f->sched);
		if (lws_write(wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_TEXT) < (int)f->len) {
			free(f);
			return -1;
		}
		free(f);
		if (c->qh)
			lws_callback_on_writable(wsi);
		break;
	}
	case LWS_CALLBACK_CLIENT_CLOSED:
		on_closed(c, wsi);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
    {HEARTH_PROTOCOL, gen_callback, 0, 4096, 0, NULL, 0},
    {BASELINE_PROTOCOL, gen_callback, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int gen_start_lws(struct gen *g)
{
	struct lws_context_creation_info info;
	void *loops[1] = {&g->loop};

	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	/* the Origin exactly as given: by default lws 4.1 prepends "http://" */
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6 |
		       LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN;
	info.foreign_loops = loops;
	info.pcontext = &g->ctx;
	info.timeout_secs = 20;
	info.user = g;
	lws_set_log_level(LLL_ERR, NULL);
	/*
	 * lws 4.1 unloads its libuv plugin at the second lws_context_destroy()
	 * even while a close callback inside it is still queued in the loop;
	 * with hundreds of sockets closing at once that callback then jumps
	 * into unmapped memory. Held with RTLD_NODELETE, the code stays.
	 */
	dlopen("libwebsockets-evlib_uv.so", RTLD_NOW | RTLD_NODELETE);
	g->ctx = lws_create_context(&info);
	return g->ctx ? 0 : -1;
}

void gen_final_checks(struct gen *g)
{
	if (g->o.target != TGT_HEARTH)
		return;
	for (int i = 0; i < g->rooms_active * GEN_PEOPLE; i++) {
		struct client *c = &g->c[i];
		int64_t last = g->rooms[c->room].last_seq;

		/* every connection of a room must hold every seq the room reached */
		if (c->state == CS_JOINED && c->have < last)
			g->seq_gaps += (uint64_t)(last - c->have);
	}
}

static void on_poll_closed(uv_handle_t *h)
{
	struct gen *g = h->data;

	close(g->tfd);
	g->tfd = -1;
}

void gen_stop(struct gen *g)
{
	g->finished = 1;
	gen_stop_sending(g);
	for (int i = 0; i < g->nclients; i++)
		queue_clear(&g->c[i]);
	if (g->tfd >= 0 && !uv_is_closing((uv_handle_t *)&g->tpoll))
		uv_close((uv_handle_t *)&g->tpoll, on_poll_closed);
	if (g->ctx)
		lws_context_destroy(g->ctx);
}
