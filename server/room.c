/*
 * room.c — live session rooms: who is present, the fan-out ring, posting,
 * resume, facilitator controls, check-ins, and the session's clock.
 *
 * Fan-out: a committed message is encoded once into a refcounted frame
 * and put in the room's ring; every joined connection keeps its own ring
 * position (sess->tail) and writes one frame per writable callback, so a
 * slow reader never holds up the others. A reader that falls further
 * behind than the ring holds is closed with 4003 and resumes from SQLite.
 * Frames for some people only (acks, alerts, turn counts) go on each
 * connection's own queue instead.
 *
 * Nothing reaches the ring before its store job has committed: the store
 * hands completions back in commit order, so seq order is ring order.
 */
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "clock.h"
#include "groups.h"
#include "live.h"
#include "live_store.h"
#include "log.h"
#include "posting.h"
#include "server.h"
#include "textfilter.h"
#include "util.h"

#define REPLAY_CHUNK 200
#define CLOSING_MS (5 * 60 * 1000)
#define TYPING_MIN_MS 1000
#define STALE_CHECK_S 5
#define TURNS_EVERY_MS 1000 /* turn counts go out at most this often */

/* One per person in a room (all their connections together). */
struct occupant {
	struct occupant *next;
	int64_t user_id;
	char name[200];
	int facilitator;
	int conns;
	enum proto_presence state;
	int64_t away_since, last_active, last_typing;
	int muted, removed, in_room; /* in_room: has an open attendance stay */
	int64_t turns;
	int join_score; /* -1 until given */
	int close_prompted;
};

/* One per open session that someone joined; see live.h. */
struct room {
	struct room *next;
	struct server *srv;
	int64_t session_id, group_id;
	int state; /* PROTO_SESSION_OPEN, CLOSING or CLOSED */
	int64_t ends_at;
	int paused, capacity, checkins;
	int64_t last_seq;
	int64_t turns_sent_at; /* monotonic ms */
	int turns_dirty;       /* counts changed since they were last sent */
	struct sess *conns;
	struct occupant *occ;
	struct frame **ring;
	uint64_t start, end; /* positions of the oldest and the next frame */
	size_t cap;
	int jobs;     /* store jobs in flight that point here */
	int closing;  /* the close job was submitted */
	int finished; /* closed and told: freed once jobs is 0 */
};

static struct room *rooms;

#define MAX_CLOSE_HOOKS 8
static live_closed_fn close_hooks[MAX_CLOSE_HOOKS];
static size_t n_close_hooks;

void live_on_closed(live_closed_fn fn)
{
	if (n_close_hooks < MAX_CLOSE_HOOKS)
		close_hooks[n_close_hooks++] = fn;
}

static void live_emit_closed(struct server *srv, int64_t session_id)
{
	for (size_t i = 0; i < n_close_hooks; i++)
		close_hooks[i](srv, session_id);
}
static int stale_countdown; /* ticks until the next planning/stale pass (0: at once) */


/* ---- the ring ---- */

static struct room *room_find(int64_t session_id)
{
	for (struct room *r = rooms; r; r = r->next)
		if (r->session_id == session_id)
			return r;
	return NULL;
}

struct frame *room_ring_at(struct room *r, uint64_t pos, int *culled)
{
	*culled = pos < r->start;
	if (*culled || pos >= r->end)
		return NULL;
	return r->ring[pos % r->cap];
}

uint64_t room_ring_end(const struct room *r)
{
	return r->end;
}

/* Put a frame (reference taken) in the ring and wake every reader. */
static void publish(struct room *r, struct frame *f)
{
	if (!f)
		return;
	if (r->end - r->start == r->cap) {
		frame_unref(r->ring[r->start % r->cap]);
		r->start++;
	}
	r->ring[r->end % r->cap] = frame_ref(f);
	r->end++;
	for (struct sess *s = r->conns; s; s = s->next_in_room)
		sess_want_write(s);
}

static void publish_out(struct room *r, const struct proto_out *o, int64_t exclude_user)
{
	struct frame *f = frame_encode(o);

	if (f) {
		f->exclude_user = exclude_user;
		publish(r, f);
		frame_unref(f);
	}
}

/* Send to every connection of the room for which pick(occupant) is true. */
static void send_to(struct room *r, const struct proto_out *o,
		    int (*pick)(const struct occupant *, int64_t), int64_t arg)
{
	struct frame *f = frame_encode(o);

	for (struct sess *s = r->conns; f && s; s = s->next_in_room)
		for (struct occupant *p = r->occ; p; p = p->next)
			if (p->user_id == s->user_id && pick(p, arg))
				sess_send(s, f);
	frame_unref(f);
}

static int is_facilitator(const struct occupant *p, int64_t unused)
{
	(void)unused;
	return p->facilitator;
}

static int is_member(const struct occupant *p, int64_t unused)
{
	(void)unused;
	return !p->facilitator;
}

static int is_user_or_facilitator(const struct occupant *p, int64_t uid)
{
	return p->user_id == uid || p->facilitator;
}

static struct occupant *occ_find(struct room *r, int64_t user_id)
{
	for (struct occupant *p = r->occ; p; p = p->next)
		if (p->user_id == user_id)
			return p;
	return NULL;
}

/* ---- state broadcasts ---- */

static void send_presence(struct room *r, struct occupant *p)
{
	struct proto_out o = {.type = PROTO_OUT_PRESENCE};

	o.presence.session = r->session_id;
	o.presence.user.id = p->user_id;
	o.presence.user.name = p->name;
	o.presence.state = p->state;
	publish_out(r, &o, p->user_id);
}

static void send_state(struct room *r)
{
	struct proto_out o = {.type = PROTO_OUT_SESSION_STATE};

	o.session_state.session = r->session_id;
	o.session_state.state = (enum proto_session_state)r->state;
	o.session_state.ends_at = r->ends_at;
	o.session_state.paused = r->paused;
	publish_out(r, &o, 0);
}

static void send_turns(struct room *r)
{
	struct proto_out o = {.type = PROTO_OUT_TURNS};
	struct proto_turn t[64];
	size_t n = 0;

	for (struct occupant *p = r->occ; p && n < ARRAY_LEN(t); p = p->next)
		if (!p->facilitator) {
			t[n].user = p->user_id;
			t[n++].n = p->turns;
		}
	o.turns.session = r->session_id;
	o.turns.counts = t;
	o.turns.n_counts = n;
	send_to(r, &o, is_facilitator, 0);
	r->turns_sent_at = clock_mono_ms();
	r->turns_dirty = 0;
}

/*
 * A count changed. The facilitators see it at once if they have not been
 * told for a second, else from the next tick: at most one `turns` a second
 * however busy the room, where one per message was a tenth of every frame
 * written (bench/README.md, P2).
 */
static void turns_changed(struct room *r)
{
	if (clock_mono_ms() - r->turns_sent_at >= TURNS_EVERY_MS)
		send_turns(r);
	else
		r->turns_dirty = 1;
}

static void send_checkin_prompt(struct room *r, struct sess *only, enum proto_phase phase)
{
	struct proto_out o = {.type = PROTO_OUT_CHECKIN_PROMPT};
	struct frame *f;

	o.checkin_prompt.session = r->session_id;
	o.checkin_prompt.phase = phase;
	if (!only) {
		send_to(r, &o, is_member, 0);
		return;
	}
	f = frame_encode(&o);
	sess_send(only, f);
	frame_unref(f);
}

static void send_alert(struct room *r, enum proto_alert_kind kind, struct occupant *who,
		       int64_t seq, const char *text, size_t len)
{
	struct proto_out o = {.type = PROTO_OUT_ALERT};

	o.alert.session = r->session_id;
	o.alert.kind = kind;
	o.alert.user.id = who->user_id;
	o.alert.user.name = who->name;
	o.alert.seq = seq;
	o.alert.text = text;
	o.alert.text_len = len;
	send_to(r, &o, is_facilitator, 0);
}

/*
 * ---- jobs: a room (and perhaps a sess) stays alive while they run ----
 *
 * Job contexts (join_ctx, say_ctx, …) embed the live_store job struct as
 * their FIRST member and pass the context itself as the job's argument:
 * the store job sees its struct, the completion sees the whole context.
 */

static void room_maybe_free(struct room *r);

static int submit(struct room *r, struct sess *s, store_fn fn, store_done_fn done, void *arg)
{
	struct server *srv = s ? s->srv : NULL;

	(void)r;
	if (!srv)
		return -1;
	if (store_submit(srv->store, fn, done, arg))
		return -1;
	if (r)
		r->jobs++;
	if (s)
		s->jobs++;
	return 0;
}

/* Finish a job: 1 if the sess is still usable. */
static int job_end(struct room *r, struct sess *s)
{
	int alive = 1;

	if (s)
		alive = !sess_job_done(s);
	if (r) {
		r->jobs--;
		room_maybe_free(r);
	}
	return alive;
}

/* ---- attendance ---- */

static void attend_done(int rc, void *arg)
{
	(void)rc;
	free(arg);
}

static void attend(struct room *r, int64_t user_id, int join)
{
	struct lj_attend *j = xcalloc(1, sizeof *j);

	j->session_id = r->session_id;
	j->user_id = user_id;
	j->join = join;
	if (store_submit(r->srv->store, lj_attend_fn, attend_done, j))
		free(j);
}

/* ---- joining and leaving ---- */

static void occ_arrive(struct room *r, struct occupant *p)
{
	p->conns++;
	p->last_active = clock_now_ms();
	if (p->conns == 1) {
		p->state = PROTO_PRESENT;
		send_presence(r, p);
		if (!p->in_room) {
			p->in_room = 1;
			attend(r, p->user_id, 1);
		}
	}
}

static void occ_gone(struct room *r, struct occupant *p)
{
	p->state = PROTO_LEFT;
	send_presence(r, p);
	if (p->in_room) {
		p->in_room = 0;
		attend(r, p->user_id, 0);
	}
}

void room_detach(struct sess *s, int leaving)
{
	struct room *r = s->room;
	struct occupant *p;

	if (!r)
		return;
	for (struct sess **ps = &r->conns; *ps; ps = &(*ps)->next_in_room)
		if (*ps == s) {
			*ps = s->next_in_room;
			break;
		}
	s->room = NULL;
	s->next_in_room = NULL;
	s->replaying = 0;
	p = occ_find(r, s->user_id);
	if (p && --p->conns == 0 && r->state != PROTO_SESSION_CLOSED) {
		if (leaving) {
			occ_gone(r, p);
		} else {
			/* a dropped connection: away for a grace period, then left */
			p->state = PROTO_AWAY;
			p->away_since = clock_now_ms();
			send_presence(r, p);
		}
	}
	room_maybe_free(r);
}

static struct room *room_new(struct server *srv, const struct lj_join *j)
{
	struct room *r = xcalloc(1, sizeof *r);

	r->srv = srv;
	r->session_id = j->session_id;
	r->group_id = j->group_id;
	r->ends_at = j->ends_at;
	r->state = clock_now_ms() >= j->ends_at - CLOSING_MS ? PROTO_SESSION_CLOSING
							     : PROTO_SESSION_OPEN;
	r->paused = j->paused;
	r->capacity = j->capacity;
	r->checkins = j->checkins;
	r->last_seq = j->last_seq;
	r->cap = (size_t)srv->cfg.ring_frames;
	r->ring = xcalloc(r->cap, sizeof *r->ring);
	for (size_t i = 0; i < j->nturns; i++) {
		struct occupant *p = xcalloc(1, sizeof *p);

		p->user_id = j->turns[i].user;
		p->turns = j->turns[i].n;
		p->state = PROTO_LEFT;
		p->join_score = -1;
		p->next = r->occ;
		r->occ = p;
	}
	r->next = rooms;
	rooms = r;
	return r;
}

static struct occupant *occ_get(struct room *r, int64_t user_id)
{
	struct occupant *p = occ_find(r, user_id);

	if (!p) {
		p = xcalloc(1, sizeof *p);
		p->user_id = user_id;
		p->state = PROTO_LEFT;
		p->join_score = -1;
		p->next = r->occ;
		r->occ = p;
	}
	return p;
}

static void send_joined(struct room *r, struct sess *s, int facilitator)
{
	struct proto_out o = {.type = PROTO_OUT_JOINED};
	struct proto_member m[64];
	size_t n = 0;
	struct frame *f;

	for (struct occupant *p = r->occ; p && n < ARRAY_LEN(m); p = p->next)
		if (p->conns > 0 || p->state == PROTO_AWAY) {
			m[n].id = p->user_id;
			m[n].name = p->name;
			m[n].role = p->facilitator ? PROTO_ROLE_FACILITATOR : PROTO_ROLE_MEMBER;
			m[n++].state = p->state == PROTO_LEFT ? PROTO_AWAY : p->state;
		}
	o.joined.session = r->session_id;
	o.joined.group = r->group_id;
	o.joined.state = (enum proto_session_state)r->state;
	o.joined.ends_at = r->ends_at;
	o.joined.last_seq = r->last_seq;
	o.joined.you_id = s->user_id;
	o.joined.you_role = facilitator ? PROTO_ROLE_FACILITATOR : PROTO_ROLE_MEMBER;
	o.joined.members = m;
	o.joined.n_members = n;
	f = frame_encode(&o);
	sess_send(s, f);
	frame_unref(f);
	if (r->paused) { /* the pause is news to the joiner only */
		struct proto_out st = {.type = PROTO_OUT_SESSION_STATE};

		st.session_state.session = r->session_id;
		st.session_state.state = (enum proto_session_state)r->state;
		st.session_state.ends_at = r->ends_at;
		st.session_state.paused = 1;
		f = frame_encode(&st);
		sess_send(s, f);
		frame_unref(f);
	}
}

struct join_ctx {
	struct lj_join j;
	struct sess *s;
	char ref[PROTO_REF_MAX + 1];
};

static int members_present(struct room *r, int64_t except)
{
	int n = 0;

	for (struct occupant *p = r->occ; p; p = p->next)
		if (!p->facilitator && p->user_id != except &&
		    (p->conns > 0 || p->state == PROTO_AWAY))
			n++;
	return n;
}

static void join_done(int rc, void *arg)
{
	struct join_ctx *c = arg;
	struct sess *s = c->s;
	struct room *r;
	struct occupant *p;
	int facilitator = c->j.access == GROUP_FACILITATOR;

	if (!job_end(NULL, s))
		goto out;
	if (rc || c->j.err) {
		sess_error(s, rc ? (rc == STORE_EBUSY ? PROTO_EOVERLOADED : PROTO_EINTERNAL) : c->j.err,
			   c->ref, "session");
		goto out;
	}
	r = room_find(c->j.session_id);
	if (r && (r->finished || r->closing)) {
		sess_error(s, PROTO_ECLOSED, c->ref, "session");
		goto out;
	}
	if (!r)
		r = room_new(s->srv, &c->j);
	p = occ_get(r, s->user_id);
	if (p->removed) {
		sess_error(s, PROTO_EREMOVED, c->ref, "session");
		goto out;
	}
	if (!facilitator && p->conns == 0 && p->state != PROTO_AWAY &&
	    members_present(r, s->user_id) >= r->capacity) {
		sess_error(s, PROTO_ESESSION_FULL, c->ref, "session");
		room_maybe_free(r);
		goto out;
	}
	if (s->room && s->room != r)
		room_detach(s, 1);
	snprintf(p->name, sizeof p->name, "%s", s->name);
	p->facilitator = facilitator;
	if (c->j.join_score >= 0)
		p->join_score = c->j.join_score;
	for (size_t i = 0; i < c->j.nmuted; i++)
		if (c->j.muted_users[i] == s->user_id)
			p->muted = 1;
	if (s->room != r) {
		s->room = r;
		s->next_in_room = r->conns;
		r->conns = s;
		s->tail = r->end;
		s->skip_upto = r->last_seq;
		occ_arrive(r, p);
	}
	send_joined(r, s, facilitator);
	if (facilitator) {
		send_turns(r);
	} else if (r->checkins) {
		if (p->join_score < 0)
			send_checkin_prompt(r, s, PROTO_PHASE_JOIN);
		if (r->state == PROTO_SESSION_CLOSING && !p->close_prompted) {
			p->close_prompted = 1; /* arrived late: asked now */
			send_checkin_prompt(r, s, PROTO_PHASE_CLOSE);
		}
	}
out:
	lj_join_clear(&c->j);
	free(c);
}

static void do_join(struct sess *s, const struct proto_frame *f)
{
	struct join_ctx *c = xcalloc(1, sizeof *c);

	c->s = s;
	c->j.session_id = f->join.session;
	c->j.user_id = s->user_id;
	snprintf(c->ref, sizeof c->ref, "%s", f->ref);
	if (submit(NULL, s, lj_join_fn, join_done, c)) {
		sess_error(s, PROTO_EOVERLOADED, f->ref, NULL);
		free(c);
	}
}

/* ---- posting ---- */

struct say_ctx {
	struct lj_say j;
	struct sess *s;
	struct room *r;
	char ref[PROTO_REF_MAX + 1];
	char name[200];
};

static void send_ack(struct sess *s, const char *client_id, int64_t session, int64_t seq)
{
	struct proto_out o = {.type = PROTO_OUT_ACK};
	struct frame *f;

	o.ack.client_id = client_id;
	o.ack.session = session;
	o.ack.seq = seq;
	f = frame_encode(&o);
	sess_send(s, f);
	frame_unref(f);
}

static void say_done(int rc, void *arg)
{
	struct say_ctx *c = arg;
	struct room *r = c->r;
	int alive = !sess_job_done(c->s);
	struct occupant *p;

	r->jobs--;
	if (rc || c->j.err) {
		posting_refund(c->j.author_id); /* a refusal changes nothing */
		if (alive)
			sess_error(c->s, rc ? (rc == STORE_EBUSY ? PROTO_EOVERLOADED : PROTO_EINTERNAL)
					    : c->j.err, c->ref, c->j.err == PROTO_EDUPLICATE ? "text" : NULL);
		goto out;
	}
	if (!c->j.dup) {
		struct proto_out o = {.type = PROTO_OUT_MSG};

		if (c->j.seq != r->last_seq + 1)
			log_error("live_seq_order", "session=%lld seq=%lld last=%lld",
				  (long long)r->session_id, (long long)c->j.seq,
				  (long long)r->last_seq);
		r->last_seq = c->j.seq;
		r->srv->metrics.live_messages++;
		o.msg.session = r->session_id;
		o.msg.seq = c->j.seq;
		o.msg.author.id = c->j.author_id;
		o.msg.author.name = c->name;
		o.msg.text = c->j.text;
		o.msg.text_len = c->j.len;
		o.msg.ts = c->j.ts;
		o.msg.client_id = c->j.client_id;
		o.msg.kind = c->j.announcement ? PROTO_KIND_ANNOUNCEMENT : PROTO_KIND_MESSAGE;
		publish_out(r, &o, 0);
		p = occ_find(r, c->j.author_id);
		if (p && !c->j.announcement) {
			p->turns++;
			turns_changed(r);
		}
		if (p && c->j.crisis) {
			struct proto_out cr = {.type = PROTO_OUT_CRISIS_RESOURCES};

			send_alert(r, PROTO_ALERT_CRISIS, p, c->j.seq, c->j.text, c->j.len);
			cr.crisis_resources.text = r->srv->cfg.crisis_text;
			cr.crisis_resources.text_len = strlen(r->srv->cfg.crisis_text);
			ws_send_user(p->user_id, &cr); /* every connection: the phone too */
			log_warn("crisis_alert", "session=%lld user=%lld seq=%lld",
				 (long long)r->session_id, (long long)p->user_id,
				 (long long)c->j.seq);
		}
	}
	if (alive)
		send_ack(c->s, c->j.client_id, r->session_id, c->j.seq);
out:
	room_maybe_free(r);
	free(c->j.text);
	free(c);
}

/* say, or a facilitator's announcement: the checks, then the store job. */
static void post(struct sess *s, struct room *r, struct occupant *p, const char *ref,
		 const char *client_id, const struct proto_text *text, int announcement)
{
	struct say_ctx *c;
	int masked;

	if (!posting_take(s->user_id)) {
		sess_error(s, PROTO_ERATE_LIMITED, ref, NULL);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->s = s;
	c->r = r;
	snprintf(c->ref, sizeof c->ref, "%s", ref);
	snprintf(c->name, sizeof c->name, "%s", p->name);
	c->j.session_id = r->session_id;
	c->j.author_id = s->user_id;
	c->j.announcement = announcement;
	snprintf(c->j.client_id, sizeof c->j.client_id, "%s", client_id);
	c->j.crisis = tf_match(posting_crisis(), text->ptr, text->len, NULL);
	c->j.text = tf_mask(posting_profanity(), text->ptr, text->len, &masked);
	c->j.len = strlen(c->j.text);
	p->last_active = clock_now_ms();
	if (p->state == PROTO_IDLE) {
		p->state = PROTO_PRESENT;
		send_presence(r, p);
	}
	if (submit(r, s, lj_say_fn, say_done, c)) {
		posting_refund(s->user_id);
		sess_error(s, PROTO_EOVERLOADED, ref, NULL);
		free(c->j.text);
		free(c);
	}
}

/* ---- resume ---- */

struct replay_ctx {
	struct lj_history h; /* first: the store job's argument (see "job contexts" above) */
	struct sess *s;
	struct room *r;
};

static void replay_done(int rc, void *arg)
{
	struct replay_ctx *c = arg;
	struct sess *s = c->s;
	struct lj_history *h = &c->h;

	if (!job_end(c->r, s))
		goto out;
	if (rc) {
		s->replaying = 0;
		sess_error(s, PROTO_EOVERLOADED, NULL, "since_seq");
		goto out;
	}
	for (size_t i = 0; i < h->n; i++) {
		struct lj_msg *m = &h->v[i];
		struct proto_out o = {.type = PROTO_OUT_MSG};
		struct frame *f;

		o.msg.session = h->session_id;
		o.msg.seq = m->seq;
		o.msg.author.id = m->author_id;
		o.msg.author.name = m->author_name;
		o.msg.text = m->text;
		o.msg.text_len = m->text ? strlen(m->text) : 0;
		o.msg.ts = m->ts;
		o.msg.client_id = m->client_id;
		o.msg.kind = m->announcement ? PROTO_KIND_ANNOUNCEMENT : PROTO_KIND_MESSAGE;
		o.msg.redacted = m->redacted;
		o.msg.highlighted = m->highlighted;
		f = frame_encode(&o);
		sess_send(s, f);
		frame_unref(f);
		s->replay_next = m->seq + 1;
	}
	if (h->n < (size_t)h->limit || s->replay_next > s->replay_upto)
		s->replaying = 0; /* done: the ring takes over after replay_upto */
	else
		s->replaying = 2; /* the next chunk once this one is written */
	sess_want_write(s);
out:
	lj_history_clear(h);
	free(c);
}

void room_replay_more(struct sess *s)
{
	struct replay_ctx *c;

	if (s->replaying != 2 || !s->room)
		return;
	s->replaying = 1; /* a chunk in flight */
	c = xcalloc(1, sizeof *c);
	c->s = s;
	c->r = s->room;
	c->h.session_id = s->room->session_id;
	c->h.from = s->replay_next;
	c->h.to = s->replay_upto;
	c->h.limit = REPLAY_CHUNK;
	if (submit(c->r, s, lj_history_fn, replay_done, c)) {
		s->replaying = 0;
		sess_error(s, PROTO_EOVERLOADED, NULL, "since_seq");
		free(c);
	}
}

static void do_resume(struct sess *s, struct room *r, int64_t since)
{
	s->replay_next = since + 1;
	s->replay_upto = r->last_seq;
	/* ring frames up to here are covered by the replay */
	if (s->skip_upto < r->last_seq)
		s->skip_upto = r->last_seq;
	if (s->replay_next > s->replay_upto) {
		s->replaying = 0;
		return;
	}
	s->replaying = 2;
	room_replay_more(s);
}

/* ---- moderation ---- */

struct mod_ctx {
	struct lj_mod j;
	struct sess *s;
	struct room *r;
	char ref[PROTO_REF_MAX + 1];
};

static void close_room(struct room *r, struct server *srv, int64_t by);

static void mod_apply(struct room *r, struct lj_mod *j)
{
	struct occupant *p = occ_find(r, j->user);
	struct proto_out o = {0};

	switch (j->action) {
	case PROTO_MOD_MUTE:
	case PROTO_MOD_UNMUTE:
	case PROTO_MOD_REMOVE:
		if (!p)
			return;
		p->muted = j->action == PROTO_MOD_MUTE ? 1 : j->action == PROTO_MOD_UNMUTE ? 0 : p->muted;
		o.type = PROTO_OUT_MODERATION;
		o.moderation.session = r->session_id;
		o.moderation.action = (enum proto_mod_action)j->action;
		o.moderation.user.id = p->user_id;
		o.moderation.user.name = p->name;
		send_to(r, &o, is_user_or_facilitator, p->user_id);
		if (j->action == PROTO_MOD_REMOVE) {
			p->removed = 1;
			for (struct sess *s = r->conns, *n; s; s = n) {
				n = s->next_in_room;
				if (s->user_id == p->user_id) {
					s->removed_from = r->session_id;
					room_detach(s, 1);
				}
			}
			if (p->state != PROTO_LEFT)
				occ_gone(r, p);
		}
		break;
	case PROTO_MOD_REDACT:
		o.type = PROTO_OUT_REDACTED;
		o.redacted.session = r->session_id;
		o.redacted.seq = j->seq;
		publish_out(r, &o, 0);
		break;
	case PROTO_MOD_HIGHLIGHT:
		o.type = PROTO_OUT_HIGHLIGHT;
		o.highlight.session = r->session_id;
		o.highlight.seq = j->seq;
		publish_out(r, &o, 0);
		break;
	case PROTO_MOD_PAUSE:
	case PROTO_MOD_RESUME_ROOM:
		r->paused = j->action == PROTO_MOD_PAUSE;
		send_state(r);
		break;
	case PROTO_MOD_EXTEND:
		r->ends_at = j->ends_at;
		if (r->state == PROTO_SESSION_CLOSING && r->ends_at - clock_now_ms() > CLOSING_MS)
			r->state = PROTO_SESSION_OPEN;
		send_state(r);
		break;
	default:
		break;
	}
}

static void mod_done(int rc, void *arg)
{
	struct mod_ctx *c = arg;
	struct room *r = c->r;
	int alive = !sess_job_done(c->s);

	r->jobs--;
	if (rc || c->j.err) {
		if (alive)
			sess_error(c->s, rc ? PROTO_EINTERNAL : c->j.err, c->ref,
				   c->j.err == PROTO_EBAD_FIELD ? "minutes" : NULL);
	} else if (!r->finished) {
		mod_apply(r, &c->j);
	}
	room_maybe_free(r);
	free(c);
}

static void do_mod(struct sess *s, struct room *r, struct occupant *me,
		   const struct proto_frame *f)
{
	struct mod_ctx *c;
	struct occupant *target;

	switch (f->mod.action) {
	case PROTO_MOD_ANNOUNCE: {
		/* announcements have no client_id of their own: make a unique one */
		static uint64_t announce_seq;
		char cid[48];

		snprintf(cid, sizeof cid, "announce-%lld-%llu", (long long)clock_now_ms(),
			 (unsigned long long)++announce_seq);
		post(s, r, me, f->ref, cid, &f->mod.text, 1);
		return;
	}
	case PROTO_MOD_END:
		close_room(r, s->srv, s->user_id);
		return;
	case PROTO_MOD_MUTE:
	case PROTO_MOD_UNMUTE:
	case PROTO_MOD_REMOVE:
		/* only members who have been in this room can be moderated */
		target = occ_find(r, f->mod.user);
		if (!target || target->facilitator || !target->name[0]) {
			sess_error(s, PROTO_ENOT_FOUND, f->ref, "user");
			return;
		}
		break;
	default:
		break;
	}
	c = xcalloc(1, sizeof *c);
	c->s = s;
	c->r = r;
	snprintf(c->ref, sizeof c->ref, "%s", f->ref);
	c->j.session_id = r->session_id;
	c->j.actor_id = s->user_id;
	c->j.action = f->mod.action;
	c->j.user = f->mod.user;
	c->j.seq = f->mod.seq;
	c->j.minutes = f->mod.minutes;
	if (submit(r, s, lj_mod_fn, mod_done, c)) {
		sess_error(s, PROTO_EOVERLOADED, f->ref, NULL);
		free(c);
	}
}

/* ---- check-ins ---- */

struct checkin_ctx {
	struct lj_checkin j;
	struct sess *s;
	struct room *r;
};

static void checkin_done(int rc, void *arg)
{
	struct checkin_ctx *c = arg;
	struct room *r = c->r;
	struct occupant *p;
	struct proto_out o = {.type = PROTO_OUT_CHECKIN_SCORE};

	sess_job_done(c->s);
	r->jobs--;
	p = occ_find(r, c->j.user_id);
	if (!rc && p && !r->finished) {
		if (c->j.phase == PROTO_PHASE_JOIN)
			p->join_score = c->j.score;
		o.checkin_score.session = r->session_id;
		o.checkin_score.user = p->user_id;
		o.checkin_score.phase = (enum proto_phase)c->j.phase;
		o.checkin_score.score = c->j.score;
		send_to(r, &o, is_facilitator, 0);
		if (c->j.dropped)
			send_alert(r, PROTO_ALERT_CHECKIN_DROP, p, 0, NULL, 0);
	}
	room_maybe_free(r);
	free(c);
}

static void do_checkin(struct sess *s, struct room *r, const struct proto_frame *f)
{
	struct checkin_ctx *c = xcalloc(1, sizeof *c);

	c->s = s;
	c->r = r;
	c->j.session_id = r->session_id;
	c->j.user_id = s->user_id;
	c->j.phase = f->checkin.phase;
	c->j.score = f->checkin.score;
	c->j.drop = r->srv->cfg.checkin_drop;
	if (submit(r, s, lj_checkin_fn, checkin_done, c)) {
		sess_error(s, PROTO_EOVERLOADED, f->ref, NULL);
		free(c);
	}
}

/* ---- dispatch ---- */

static int64_t frame_session(const struct proto_frame *f)
{
	switch (f->type) {
	case PROTO_IN_JOIN:
		return f->join.session;
	case PROTO_IN_LEAVE:
		return f->leave.session;
	case PROTO_IN_SAY:
		return f->say.session;
	case PROTO_IN_TYPING:
		return f->typing.session;
	case PROTO_IN_RESUME:
		return f->resume.session;
	case PROTO_IN_MOD:
		return f->mod.session;
	case PROTO_IN_CHECKIN:
		return f->checkin.session;
	default:
		return 0;
	}
}

void room_frame(struct sess *s, const struct proto_frame *f)
{
	struct room *r = s->room;
	struct occupant *me;

	if (f->type == PROTO_IN_JOIN) {
		do_join(s, f);
		return;
	}
	if (!r || r->session_id != frame_session(f)) {
		sess_error(s, s->removed_from && s->removed_from == frame_session(f)
				      ? PROTO_EREMOVED : PROTO_ENOT_JOINED, f->ref, "session");
		return;
	}
	me = occ_find(r, s->user_id);
	if (f->type == PROTO_IN_LEAVE) {
		room_detach(s, 1);
		return;
	}
	if (r->state == PROTO_SESSION_CLOSED || r->closing) {
		sess_error(s, PROTO_ECLOSED, f->ref, "session");
		return;
	}
	switch (f->type) {
	case PROTO_IN_SAY:
		if (me->muted)
			sess_error(s, PROTO_EMUTED, f->ref, NULL);
		else if (r->paused && !me->facilitator)
			sess_error(s, PROTO_EPAUSED, f->ref, NULL);
		else
			post(s, r, me, f->ref, f->say.client_id, &f->say.text, 0);
		break;
	case PROTO_IN_TYPING: {
		struct proto_out o = {.type = PROTO_OUT_TYPING};
		int64_t now = clock_mono_ms();

		if (me->muted) {
			sess_error(s, PROTO_EMUTED, f->ref, NULL);
			break;
		}
		if (f->typing.on && now - me->last_typing < TYPING_MIN_MS)
			break; /* faster than once a second: dropped, as documented */
		me->last_typing = now;
		me->last_active = clock_now_ms();
		o.typing.session = r->session_id;
		o.typing.user.id = me->user_id;
		o.typing.user.name = me->name;
		o.typing.on = f->typing.on;
		publish_out(r, &o, me->user_id);
		break;
	}
	case PROTO_IN_RESUME:
		do_resume(s, r, f->resume.since_seq);
		break;
	case PROTO_IN_MOD:
		if (!me->facilitator)
			sess_error(s, PROTO_ENOT_FACILITATOR, f->ref, "action");
		else
			do_mod(s, r, me, f);
		break;
	case PROTO_IN_CHECKIN:
		if (me->facilitator || !r->checkins)
			sess_error(s, PROTO_EBAD_FIELD, f->ref, "phase");
		else
			do_checkin(s, r, f);
		break;
	default:
		sess_error(s, PROTO_EUNKNOWN_TYPE, f->ref, "type");
	}
}

/* ---- closing and freeing ---- */

struct close_ctx {
	struct lj_close j;
	struct room *r;      /* NULL when closing a session nobody is in */
	struct server *srv;
};

static void close_done(int rc, void *arg)
{
	struct close_ctx *c = arg;
	struct room *r = c->r;

	r->jobs--;
	if (rc)
		log_error("live_close_failed", "session=%lld", (long long)r->session_id);
	else
		live_emit_closed(r->srv, r->session_id);
	r->state = PROTO_SESSION_CLOSED;
	send_state(r);
	r->finished = 1;
	/* everyone is told; the connections stay open for other things */
	for (struct occupant *p = r->occ; p; p = p->next)
		p->in_room = 0;
	room_maybe_free(r);
	free(c);
}

static void close_room(struct room *r, struct server *srv, int64_t by)
{
	struct close_ctx *c;

	if (r->closing)
		return;
	r->closing = 1;
	c = xcalloc(1, sizeof *c);
	c->r = r;
	c->j.session_id = r->session_id;
	c->j.by = by;
	if (store_submit(srv->store, lj_close_fn, close_done, c)) {
		r->closing = 0; /* try again on the next tick */
		free(c);
		return;
	}
	r->jobs++;
}

static void room_unlink_free(struct room *r)
{
	for (struct room **pr = &rooms; *pr; pr = &(*pr)->next)
		if (*pr == r) {
			*pr = r->next;
			break;
		}
	for (uint64_t i = r->start; i < r->end; i++)
		frame_unref(r->ring[i % r->cap]);
	while (r->occ) {
		struct occupant *p = r->occ;

		r->occ = p->next;
		free(p);
	}
	free(r->ring);
	free(r);
}

/* A room goes once it is finished (or empty and never used), with no job pointing at it. */
static void room_maybe_free(struct room *r)
{
	if (r->jobs > 0)
		return;
	if (r->finished) {
		/* writers must flush the close first: detach, the ring frames go with the room */
		for (struct sess *s = r->conns, *n; s; s = n) {
			n = s->next_in_room;
			if (s->tail < r->end)
				return; /* still sending; the tick retries */
		}
		while (r->conns) {
			struct sess *s = r->conns;

			r->conns = s->next_in_room;
			s->room = NULL;
			s->next_in_room = NULL;
		}
		room_unlink_free(r);
	}
}

void room_evict_user(int64_t user_id)
{
	for (struct room *r = rooms; r; r = r->next)
		for (struct sess *s = r->conns, *n; s; s = n) {
			n = s->next_in_room;
			if (s->user_id == user_id)
				room_detach(s, 1);
		}
}

void room_close_group(int64_t group_id, int code, const char *reason)
{
	for (struct room *r = rooms; r; r = r->next)
		if (r->group_id == group_id)
			for (struct sess *s = r->conns; s; s = s->next_in_room)
				sess_close(s, code, reason);
}

/* ---- time ---- */

struct stale_ctx {
	struct lj_stale j;
	struct server *srv;
};

static void stale_closed(int rc, void *arg)
{
	struct close_ctx *cc = arg;

	if (!rc)
		live_emit_closed(cc->srv, cc->j.session_id);
	free(cc);
}

static void stale_done(int rc, void *arg)
{
	struct stale_ctx *c = arg;

	for (size_t i = 0; !rc && i < c->j.n; i++) {
		struct close_ctx *cc;

		if (room_find(c->j.ids[i]))
			continue; /* its room closes it */
		cc = xcalloc(1, sizeof *cc);
		cc->srv = c->srv;
		cc->j.session_id = c->j.ids[i];
		if (store_submit(c->srv->store, lj_close_fn, stale_closed, cc))
			free(cc);
	}
	free(c);
}

void room_tick(struct server *srv)
{
	int64_t now = clock_now_ms();

	for (struct room *r = rooms, *next; r; r = next) {
		next = r->next;
		if (r->finished) {
			room_maybe_free(r);
			continue;
		}
		if (!r->closing && now >= r->ends_at) {
			close_room(r, srv, 0);
			continue;
		}
		if (r->state == PROTO_SESSION_OPEN && now >= r->ends_at - CLOSING_MS) {
			r->state = PROTO_SESSION_CLOSING;
			send_state(r);
			if (r->checkins) {
				send_checkin_prompt(r, NULL, PROTO_PHASE_CLOSE);
				for (struct occupant *p = r->occ; p; p = p->next)
					p->close_prompted = 1;
			}
		}
		if (r->turns_dirty)
			send_turns(r);
		for (struct occupant *p = r->occ; p; p = p->next) {
			if (p->state == PROTO_AWAY &&
			    now - p->away_since >= (int64_t)srv->cfg.away_grace_s * 1000)
				occ_gone(r, p);
			else if (p->state == PROTO_PRESENT && p->conns > 0 &&
				 now - p->last_active >= (int64_t)srv->cfg.idle_min * 60000) {
				p->state = PROTO_IDLE;
				send_presence(r, p);
			}
		}
	}
	/* sessions left open past their end by a restart are closed here, and
	 * upcoming ones get their rows */
	if (--stale_countdown <= 0) {
		struct stale_ctx *c = xcalloc(1, sizeof *c);
		struct lj_plan *plan = xcalloc(1, sizeof *plan);

		plan->now = now;
		if (store_submit(srv->store, lj_plan_fn, attend_done, plan))
			free(plan);
		stale_countdown = STALE_CHECK_S;
		c->srv = srv;
		c->j.now = now;
		if (store_submit(srv->store, lj_stale_fn, stale_done, c))
			free(c);
	}
}

void room_shutdown(struct server *srv)
{
	(void)srv;
}

void room_free_all(void)
{
	while (rooms) {
		struct room *r = rooms;

		while (r->conns) {
			struct sess *s = r->conns;

			r->conns = s->next_in_room;
			s->room = NULL;
		}
		room_unlink_free(r);
	}
}

void room_counts(int *nrooms, int *present)
{
	*nrooms = *present = 0;
	for (struct room *r = rooms; r; r = r->next) {
		if (r->finished)
			continue;
		(*nrooms)++;
		for (struct occupant *p = r->occ; p; p = p->next)
			*present += p->conns > 0;
	}
}
