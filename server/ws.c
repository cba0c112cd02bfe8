/*
 * ws.c — the WebSocket endpoint /ws (subprotocol hearth.v1): admission at
 * the upgrade, assembling and decoding frames, the per-connection send
 * queue, closing, and account events (rights end with the log-in session).
 *
 * Admission happens in LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION, never in
 * HTTP_CONFIRM_UPGRADE (lws 4.1 has a use-after-free there on malformed
 * Upgrade headers): exact Origin, a log-in token the auth cache knows,
 * and the per-address cap. The connection then stays silent — reading is
 * switched off — until SQLite confirms the log-in session; only then is
 * `welcome` sent and frames read. So a refused or stale session never sees
 * a frame.
 */
#include <libwebsockets.h>
#include <string.h>

#include "acct.h"
#include "authcache.h"
#include "clock.h"
#include "crypto.h"
#include "groups.h"
#include "hearth_build.h"
#include "live.h"
#include "log.h"
#include "server.h"
#include "util.h"

#define BAD_FRAMES_MAX 20
#define RX_HARD_MAX (1 << 20) /* past this a single message closes the socket (1009) */
#define QUEUE_MAX 1024        /* a connection's own queue; past it the client is too slow */
#define TOUCH_MS 60000
/* lws-write.h keeps value 4 for the close opcode ("handled by lws_close_reason"),
 * which lws 4.1 under a foreign libuv loop fails to send; see on_writable(). */
#define WS_WRITE_CLOSE ((enum lws_write_protocol)4)

/* lws' per-connection memory: only a pointer to our own struct sess,
 * which may outlive lws' (a store job can still point at it). */
struct ws_pss {
	struct sess *s;
	char token_hash[65];
	int64_t user_id, session_id;
	char ip[64]; /* the client's address, as admitted */
};

static struct sess *all_head;
static ws_dm_handler dm_handler;

void ws_set_dm_handler(ws_dm_handler fn)
{
	dm_handler = fn;
}

/* open WebSockets per address (the Debian lws has no per-peer limit) */
struct ip_count {
	struct ip_count *next;
	char ip[64];
	int n;
};
static struct ip_count *ip_counts;

static struct ip_count *ip_find(const char *ip, int create)
{
	struct ip_count *c;

	for (c = ip_counts; c; c = c->next)
		if (!strcmp(c->ip, ip))
			return c;
	if (!create)
		return NULL;
	c = xcalloc(1, sizeof *c);
	snprintf(c->ip, sizeof c->ip, "%s", ip);
	c->next = ip_counts;
	ip_counts = c;
	return c;
}

static void ip_release(const char *ip)
{
	for (struct ip_count **pc = &ip_counts; *pc; pc = &(*pc)->next)
		if (!strcmp((*pc)->ip, ip)) {
			if (--(*pc)->n <= 0) {
				struct ip_count *c = *pc;

				*pc = c->next;
				free(c);
			}
			return;
		}
}

/* ---- frames ---- */

struct frame *frame_encode(const struct proto_out *o)
{
	struct frame *f;
	char *buf;
	size_t len;
	int rc = proto_encode(o, LWS_PRE, &buf, &len);

	if (rc) {
		log_error("ws_encode_failed", "type=%s err=%s", proto_out_type_name(o->type),
			  proto_strerror(rc));
		return NULL;
	}
	f = xcalloc(1, sizeof *f);
	f->refs = 1;
	f->buf = buf;
	f->len = len;
	if (o->type == PROTO_OUT_MSG)
		f->seq = o->msg.seq;
	return f;
}

struct frame *frame_ref(struct frame *f)
{
	f->refs++;
	return f;
}

void frame_unref(struct frame *f)
{
	if (f && --f->refs == 0) {
		free(f->buf);
		free(f);
	}
}

static void q_clear(struct frameq *q)
{
	while (q->head) {
		struct fq_node *n = q->head;

		q->head = n->next;
		frame_unref(n->f);
		free(n);
	}
	q->tail = NULL;
	q->len = 0;
}

/* ---- connections ---- */

struct sess *ws_first(void)
{
	return all_head;
}

int ws_send_user(int64_t user_id, const struct proto_out *o)
{
	struct frame *f = NULL;
	int n = 0;

	for (struct sess *s = all_head; s; s = s->next_all) {
		if (s->user_id != user_id || !s->verified || s->closing)
			continue;
		if (!f && !(f = frame_encode(o)))
			return 0;
		sess_send(s, f);
		n++;
	}
	frame_unref(f);
	return n;
}

void sess_want_write(struct sess *s)
{
	if (!s->dead && s->wsi)
		lws_callback_on_writable(s->wsi);
}

void sess_send(struct sess *s, struct frame *f)
{
	struct fq_node *n;

	if (!f || s->dead || s->closing)
		return;
	if (s->q.len >= QUEUE_MAX) {
		sess_close(s, 4003, "too slow; reconnect and resume");
		return;
	}
	n = xcalloc(1, sizeof *n);
	n->f = frame_ref(f);
	if (s->q.tail)
		s->q.tail->next = n;
	else
		s->q.head = n;
	s->q.tail = n;
	s->q.len++;
	sess_want_write(s);
}

void sess_error(struct sess *s, int code, const char *ref, const char *field)
{
	struct proto_out o = {.type = PROTO_OUT_ERROR};
	struct frame *f;

	o.error.code = code;
	o.error.ref = ref && *ref ? ref : NULL;
	o.error.field = field && *field ? field : NULL;
	f = frame_encode(&o);
	sess_send(s, f);
	frame_unref(f);
}

void sess_close(struct sess *s, int code, const char *reason)
{
	if (s->dead || s->closing)
		return;
	s->closing = 1;
	s->close_code = code;
	snprintf(s->close_reason, sizeof s->close_reason, "%s", reason);
	if (code == 4003) /* too slow: what is queued would only delay the close */
		q_clear(&s->q);
	sess_want_write(s);
}

static void sess_free(struct sess *s)
{
	q_clear(&s->q);
	free(s->rx);
	free(s);
}

int sess_job_done(struct sess *s)
{
	s->jobs--;
	if (s->dead && s->jobs == 0) {
		sess_free(s);
		return 1;
	}
	return s->dead;
}

/* ---- verifying the log-in session, then welcome ---- */

struct verify_job {
	struct sess *s;
	int64_t idle_ms;
	struct acct_session as;
	int rc;
};

static int verify_fn(struct store_tx *tx, void *arg)
{
	struct verify_job *j = arg;

	j->rc = acct_session_lookup(tx, j->s->token_hash, clock_now_ms(), j->idle_ms, &j->as);
	if (j->rc == 0)
		j->rc = acct_session_touch(tx, j->as.session_id, j->as.user_id, clock_now_ms());
	/* an expired row was deleted: commit that, refuse the socket */
	return j->rc == STORE_EFORBIDDEN ? 0 : j->rc;
}

static void send_welcome(struct sess *s)
{
	struct proto_out o = {.type = PROTO_OUT_WELCOME};
	struct frame *f;

	o.welcome.id = s->user_id;
	o.welcome.name = s->name;
	o.welcome.role = (enum proto_role)s->role;
	o.welcome.server_time = clock_now_ms();
	o.welcome.version = HEARTH_VERSION;
	f = frame_encode(&o);
	sess_send(s, f);
	frame_unref(f);
}

static void verify_done(int rc, void *arg)
{
	struct verify_job *j = arg;
	struct sess *s = j->s;

	if (!sess_job_done(s)) {
		if (rc || j->rc || j->as.user_id != s->user_id) {
			/* refused before any frame: just close */
			s->closing = 1;
			s->close_code = 4001;
			snprintf(s->close_reason, sizeof s->close_reason, "signed out");
			sess_want_write(s);
		} else {
			s->verified = 1;
			s->role = j->as.role;
			snprintf(s->name, sizeof s->name, "%s", j->as.display_name);
			s->last_touch_ms = clock_now_ms();
			send_welcome(s);
			lws_rx_flow_control(s->wsi, 1);
		}
	}
	free(j);
}

static void start_verify(struct sess *s)
{
	struct verify_job *j = xcalloc(1, sizeof *j);

	j->s = s;
	j->idle_ms = (int64_t)s->srv->cfg.idle_timeout_min * 60000;
	s->jobs++;
	if (store_submit(s->srv->store, verify_fn, verify_done, j)) {
		s->jobs--;
		free(j);
		sess_close(s, 1011, "overloaded");
	}
}

/* Activity on the socket keeps the log-in session alive, like HTTP requests do. */
struct touch_job {
	struct sess *s;
	int64_t sid, uid;
};

static int touch_fn(struct store_tx *tx, void *arg)
{
	struct touch_job *j = arg;

	return acct_session_touch(tx, j->sid, j->uid, clock_now_ms());
}

static void touch_done(int rc, void *arg)
{
	struct touch_job *j = arg;

	(void)rc;
	sess_job_done(j->s);
	free(j);
}

static void maybe_touch(struct sess *s)
{
	int64_t now = clock_now_ms();
	struct touch_job *j;

	if (now - s->last_touch_ms < TOUCH_MS)
		return;
	s->last_touch_ms = now;
	j = xcalloc(1, sizeof *j);
	j->s = s;
	j->sid = s->auth_session_id;
	j->uid = s->user_id;
	s->jobs++;
	if (store_submit(s->srv->store, touch_fn, touch_done, j)) {
		s->jobs--;
		free(j);
	}
}

/* ---- receiving ---- */

/* A frame the codec refused (or could not be read): answer it, and count it
 * towards the limit of bad frames in a row. */
static void refuse_frame(struct sess *s, int code, const char *ref, const char *field)
{
	s->srv->metrics.ws_bad_frames++;
	sess_error(s, code, ref, field);
	if (++s->bad_in_row >= BAD_FRAMES_MAX)
		sess_close(s, 1008, "too many malformed frames");
}

static void handle_frame(struct sess *s, const char *buf, size_t len)
{
	struct proto_frame f;
	struct proto_error err;
	int rc;

	s->srv->metrics.ws_frames_in++;
	rc = proto_decode(buf, len, &f, &err);
	if (rc) {
		refuse_frame(s, rc == PROTO_ENOMEM ? PROTO_EINTERNAL : rc, err.ref, err.field);
		return;
	}
	s->bad_in_row = 0;
	maybe_touch(s);
	switch (f.type) {
	case PROTO_IN_PING: {
		struct proto_out o = {.type = PROTO_OUT_PONG};
		struct frame *fr = frame_encode(&o);

		sess_send(s, fr);
		frame_unref(fr);
		break;
	}
	case PROTO_IN_DM_SEND:
	case PROTO_IN_DM_READ:
		if (dm_handler)
			dm_handler(s, &f);
		else /* no conversation exists that this person takes part in */
			sess_error(s, PROTO_ENOT_FOUND, f.ref, "conversation");
		break;
	default:
		room_frame(s, &f);
	}
	proto_frame_free(&f);
}

static void on_receive(struct sess *s, struct lws *wsi, const char *in, size_t len)
{
	int final = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);

	if (s->closing || !s->verified)
		return;
	if (lws_frame_is_binary(wsi)) {
		if (final)
			refuse_frame(s, PROTO_EBAD_JSON, NULL, NULL);
		return;
	}
	if (!s->rx_overflow && s->rx_len + len > PROTO_MAX_FRAME) {
		s->rx_overflow = 1;
		free(s->rx);
		s->rx = NULL;
	}
	if (s->rx_overflow) {
		s->rx_len += len;
		if (s->rx_len > RX_HARD_MAX) {
			sess_close(s, 1009, "message too big");
			return;
		}
	} else {
		s->rx = xrealloc(s->rx, s->rx_len + len + 1);
		memcpy(s->rx + s->rx_len, in, len);
		s->rx_len += len;
	}
	if (!final)
		return;
	if (s->rx_overflow) {
		refuse_frame(s, PROTO_EFRAME_TOO_LARGE, NULL, NULL);
	} else {
		handle_frame(s, s->rx, s->rx_len);
	}
	free(s->rx);
	s->rx = NULL;
	s->rx_len = 0;
	s->rx_overflow = 0;
}

/* ---- writing: own queue first, then the room's ring ---- */

static int write_one(struct sess *s, struct frame *f)
{
	if (lws_write(s->wsi, (unsigned char *)f->buf + LWS_PRE, f->len, LWS_WRITE_TEXT) <
	    (int)f->len)
		return -1;
	s->srv->metrics.ws_frames_out++;
	return 0;
}

/*
 * Write the next frame this connection is owed: its own queue first, then
 * the room's ring (not while closing or replaying). 1: one was written;
 * 0: none is owed now; -1: the write failed.
 */
static int write_next(struct sess *s)
{
	struct frame *f;
	int culled = 0;

	if (s->q.head) {
		struct fq_node *n = s->q.head;
		int rc;

		s->q.head = n->next;
		if (!s->q.head)
			s->q.tail = NULL;
		s->q.len--;
		f = n->f;
		free(n);
		rc = write_one(s, f);
		frame_unref(f);
		return rc ? -1 : 1;
	}
	if (s->closing || !s->room || s->replaying)
		return 0;
	while ((f = room_ring_at(s->room, s->tail, &culled))) {
		s->tail++;
		if ((f->seq && f->seq <= s->skip_upto) || f->exclude_user == s->user_id)
			continue;
		return write_one(s, f) ? -1 : 1;
	}
	if (culled)
		sess_close(s, 4003, "too slow; reconnect and resume");
	return 0;
}

/*
 * lws 4.1 under libuv drops the connection without a close frame when a
 * callback returns -1 after lws_close_reason(); so the close frame is
 * written here. lws answers the peer's closing reply by itself; dropping
 * the socket at once instead could reset it before the peer read our
 * frame. Five seconds bound a peer that never replies.
 */
static int write_close(struct sess *s)
{
	unsigned char buf[LWS_PRE + 2 + sizeof s->close_reason];
	size_t n = strlen(s->close_reason);

	buf[LWS_PRE] = (unsigned char)(s->close_code >> 8);
	buf[LWS_PRE + 1] = (unsigned char)(s->close_code & 0xff);
	memcpy(buf + LWS_PRE + 2, s->close_reason, n);
	if (lws_write(s->wsi, buf + LWS_PRE, n + 2, WS_WRITE_CLOSE) < 0)
		return -1;
	s->close_sent = 1;
	lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_ACK, 5);
	return 0;
}

/*
 * One writable callback writes up to WRITE_BURST frames, stopping as soon
 * as the kernel takes less than a whole frame (lws then holds the rest and
 * must not be given more). A message makes two or three frames at once for
 * its author and the facilitators; one frame per callback cost each an
 * epoll_ctl to arm POLLOUT, a loop turn and one to disarm it
 * (bench/README.md, P6). The bound keeps one busy connection from holding
 * the loop.
 */
#define WRITE_BURST 8

static int on_writable(struct sess *s)
{
	int rc = 0;

	if (s->closing)
		s->ping_due = 0; /* the close is what is owed now (and no callback spins for a ping) */
	if (s->ping_due && !lws_partial_buffered(s->wsi)) {
		/* not empty: lws 4.1 never reports an empty pong to the callback */
		unsigned char ping[LWS_PRE + 2] = {[LWS_PRE] = 'h', [LWS_PRE + 1] = 'b'};

		s->ping_due = 0;
		if (lws_write(s->wsi, ping + LWS_PRE, 2, LWS_WRITE_PING) < 0)
			return -1;
	}
	for (int i = 0; i < WRITE_BURST && !lws_partial_buffered(s->wsi); i++)
		if ((rc = write_next(s)) <= 0)
			break;
	if (rc < 0)
		return -1;
	if (s->closing && !s->q.head && !s->close_sent && !lws_partial_buffered(s->wsi)) {
		if (write_close(s))
			return -1;
	} else if (s->replaying && !s->q.head) {
		room_replay_more(s);
	}
	if (s->q.head || (s->closing && !s->close_sent) || s->replaying == 2 || s->ping_due ||
	    (s->room && !s->replaying && s->tail < room_ring_end(s->room)))
		sess_want_write(s);
	return 0;
}

/* ---- admission ---- */

static int admit(struct server *srv, struct lws *wsi, struct ws_pss *pss)
{
	char origin[256], cookie[96], ip[64];
	const char *name = lws_is_ssl(wsi) ? "__Host-hearth_session" : "hearth_session";
	struct ip_count *c;
	size_t nl = strlen(name);
	char *all = NULL, *p;
	int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_COOKIE), ok = 0;

	if (srv->stopping)
		return 0;
	if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0 ||
	    !server_origin_allowed(srv, origin, strlen(origin)))
		return 0;
	server_client_ip(srv, wsi, ip, sizeof ip);
	memcpy(pss->ip, ip, sizeof pss->ip);
	c = ip_find(ip, 0);
	if (c && c->n >= srv->cfg.max_conns_per_ip) {
		srv->metrics.conns_refused_per_ip++;
		return 0;
	}
	if (n <= 0 || n > 8192)
		return 0;
	all = xmalloc((size_t)n + 1);
	if (lws_hdr_copy(wsi, all, n + 1, WSI_TOKEN_HTTP_COOKIE) < 0)
		goto done;
	for (p = all; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		if (!strncmp(p, name, nl) && p[nl] == '=') {
			size_t len = strcspn(p + nl + 1, ";");

			if (len == CRYPTO_TOKEN_LEN) {
				memcpy(cookie, p + nl + 1, len);
				cookie[len] = '\0';
				crypto_token_hash(cookie, pss->token_hash);
				ok = authcache_get(pss->token_hash, &pss->user_id, &pss->session_id);
			}
			break;
		}
		p = strchr(p, ';');
	}
done:
	free(all);
	return ok;
}

/* ---- keep-alive ---- */

/*
 * Hearth keeps WebSockets alive itself, from its 1 Hz tick, rather than by
 * lws' retry policy: lws 4.1 keeps one timer per connection in a sorted
 * list, re-armed at every ping and pong, and with thousands of connections
 * that came in together a ping round costs O(n^2) — seconds of stall at
 * 7 200 sockets (bench/README.md, P4). Here a round is one walk of the
 * connection list: silent for keepalive_s, a ping; silent for twice that,
 * hung up.
 */
static void heard_from(struct sess *s)
{
	s->last_rx_ms = clock_mono_ms();
	s->pinged = 0;
}

static void keepalive_round(struct server *srv)
{
	int64_t now = clock_mono_ms(), ping_ms = (int64_t)srv->cfg.keepalive_s * 1000;

	for (struct sess *s = all_head; s; s = s->next_all) {
		int64_t silent = now - s->last_rx_ms;

		if (silent >= 2 * ping_ms) {
			if (!s->dead_peer) {
				s->dead_peer = 1;
				log_info("ws_silent", "user=%lld silent_s=%lld", (long long)s->user_id,
					 (long long)(silent / 1000));
				lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
			}
		} else if (silent >= ping_ms && !s->pinged) {
			s->pinged = 1;
			s->ping_due = 1;
			sess_want_write(s);
		}
	}
}

/* ---- the callback ---- */

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		       size_t len)
{
	struct ws_pss *pss = user;
	struct server *srv = lws_context_user(lws_get_context(wsi));
	struct sess *s = pss ? pss->s : NULL;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return admit(srv, wsi, pss) ? 0 : -1;
	case LWS_CALLBACK_ESTABLISHED:
		s = xcalloc(1, sizeof *s);
		pss->s = s;
		s->wsi = wsi;
		s->srv = srv;
		s->user_id = pss->user_id;
		s->auth_session_id = pss->session_id;
		memcpy(s->token_hash, pss->token_hash, sizeof s->token_hash);
		memcpy(s->ip, pss->ip, sizeof s->ip);
		ip_find(s->ip, 1)->n++;
		s->next_all = all_head;
		if (all_head)
			all_head->prev_all = s;
		all_head = s;
		srv->metrics.ws_open++;
		s->last_rx_ms = clock_mono_ms();
		lws_rx_flow_control(wsi, 0); /* nothing is read until SQLite agrees */
		start_verify(s);
		break;
	case LWS_CALLBACK_RECEIVE:
		if (s) {
			heard_from(s);
			on_receive(s, wsi, in, len);
		}
		break;
	case LWS_CALLBACK_RECEIVE_PONG:
		if (s)
			heard_from(s);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (s)
			return on_writable(s);
		break;
	case LWS_CALLBACK_CLOSED:
		if (!s)
			break;
		pss->s = NULL;
		srv->metrics.ws_open--;
		ip_release(s->ip);
		room_detach(s, 0);
		if (s->prev_all)
			s->prev_all->next_all = s->next_all;
		else
			all_head = s->next_all;
		if (s->next_all)
			s->next_all->prev_all = s->prev_all;
		s->dead = 1;
		s->wsi = NULL;
		if (s->jobs == 0)
			sess_free(s);
		break;
	default:
		break;
	}
	return 0;
}

const struct lws_protocols ws_protocol = {
	PROTO_SUBPROTOCOL, ws_callback, sizeof(struct ws_pss), 4096, 0, NULL, 0,
};

/* ---- account events: a socket's rights end with its log-in session ---- */

static void on_acct_event(struct server *srv, int64_t user_id, int64_t session_id,
			  int64_t keep_session, enum acct_event ev)
{
	(void)srv;
	for (struct sess *s = all_head; s; s = s->next_all) {
		if (s->user_id != user_id)
			continue;
		if (session_id && s->auth_session_id != session_id)
			continue;
		if (!session_id && s->auth_session_id == keep_session)
			continue;
		if (ev == ACCT_EV_ROLE) {
			sess_close(s, 4002, "rights changed");
		} else {
			sess_error(s, PROTO_ENOT_LOGGED_IN, NULL, NULL);
			sess_close(s, 4001, "signed out");
		}
	}
	if (ev == ACCT_EV_ROLE || ev == ACCT_EV_ERASED)
		room_evict_user(user_id);
}

/* Joining or leaving a group, or a facilitator list change, changes what a
 * connection may follow: the client reconnects and gets its new rights. */
static void on_group_event(struct server *srv, int64_t group_id, int64_t user_id,
			   enum groups_event ev)
{
	(void)srv;
	if (ev == GROUPS_EV_JOINED)
		return; /* more rights: nothing open needs to end */
	if (ev == GROUPS_EV_STAFF) {
		room_close_group(group_id, 4002, "rights changed");
		return;
	}
	room_evict_user(user_id);
	for (struct sess *s = all_head; s; s = s->next_all)
		if (s->user_id == user_id)
			sess_close(s, 4002, "rights changed");
}

void ws_init(struct server *srv)
{
	(void)srv;
	acct_on_event(on_acct_event);
	groups_on_event(on_group_event);
}

void ws_tick(struct server *srv)
{
	keepalive_round(srv);
	room_tick(srv);
}

void ws_shutdown(struct server *srv)
{
	room_shutdown(srv);
	for (struct sess *s = all_head; s; s = s->next_all)
		sess_close(s, 1001, "server restarting");
}

void ws_free(struct server *srv)
{
	(void)srv;
	room_free_all();
	while (ip_counts) {
		struct ip_count *c = ip_counts;

		ip_counts = c->next;
		free(c);
	}
}
