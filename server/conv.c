/*
 * conv.c — private conversations on the loop thread: the dm_send and
 * dm_read frames of /ws, the rate limit, delivery of stored messages (dm,
 * unread, crisis alert and resources, the offline mail job), and the
 * module's hooks. The rules are in conv.h; the SQL in conv_store.c; the
 * routes in conv_http.c.
 *
 * Delivery happens only in a store job's completion, which runs after the
 * batch holding the message committed; completions come back in commit
 * order, so each participant receives a conversation's dm frames in id
 * order whichever path (WebSocket or HTTP) stored them.
 */
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "clock.h"
#include "conv.h"
#include "groups.h"
#include "live.h"
#include "log.h"
#include "server.h"
#include "posting.h"
#include "textfilter.h"
#include "util.h"

int conv__prepare(int64_t author_id, int64_t conversation_id, const char *client_id,
		  const char *text, size_t len, struct conv_send **out)
{
	struct conv_send *j;

	*out = NULL;
	if (!posting_take(author_id))
		return PROTO_ERATE_LIMITED;
	j = xcalloc(1, sizeof *j);
	j->conversation_id = conversation_id;
	j->author_id = author_id;
	snprintf(j->client_id, sizeof j->client_id, "%s", client_id);
	/* the crisis check reads what was typed; what is stored is masked */
	j->crisis = tf_match(posting_crisis(), text, len, NULL);
	j->text = tf_mask(posting_profanity(), text, len, NULL);
	j->len = strlen(j->text);
	*out = j;
	return 0;
}

/* ---- delivery ---- */

/* Queue f on every open connection of user_id; how many there were. */
static int send_frame_user(int64_t user_id, struct frame *f)
{
	int n = 0;

	for (struct sess *s = ws_first(); f && s; s = s->next_all)
		if (s->user_id == user_id && s->verified && !s->closing) {
			sess_send(s, f);
			n++;
		}
	return n;
}

void conv__send_unread(int64_t user_id, int64_t conversation_id, int64_t count)
{
	struct proto_out o = {.type = PROTO_OUT_UNREAD};

	o.unread.conversation = conversation_id;
	o.unread.count = count;
	ws_send_user(user_id, &o);
}

static void send_crisis(struct server *srv, const struct conv_send *j)
{
	struct proto_out o = {.type = PROTO_OUT_ALERT};
	struct frame *f;

	o.alert.conversation = j->conversation_id;
	o.alert.kind = PROTO_ALERT_CRISIS;
	o.alert.user.id = j->author_id;
	o.alert.user.name = j->author_name;
	o.alert.text = j->text;
	o.alert.text_len = j->len;
	f = frame_encode(&o);
	for (size_t i = 0; i < j->nfac; i++)
		send_frame_user(j->facilitators[i], f);
	frame_unref(f);
	/* managers learn that someone needs help, never what was said */
	o.alert.text = NULL;
	o.alert.text_len = 0;
	f = frame_encode(&o);
	for (size_t i = 0; i < j->nman; i++)
		send_frame_user(j->managers[i], f);
	frame_unref(f);

	memset(&o, 0, sizeof o);
	o.type = PROTO_OUT_CRISIS_RESOURCES;
	o.crisis_resources.text = srv->cfg.crisis_text;
	o.crisis_resources.text_len = strlen(srv->cfg.crisis_text);
	ws_send_user(j->author_id, &o);
	log_warn("crisis_alert", "conversation=%lld user=%lld message=%lld",
		 (long long)j->conversation_id, (long long)j->author_id, (long long)j->id);
}

static void notify_done(int rc, void *arg)
{
	struct conv_notify *j = arg;

	if (rc)
		log_error("conv_notify_failed", "conversation=%lld err=%s",
			  (long long)j->conversation_id, store_strerror(rc));
	free(j->users);
	free(j);
}

void conv__deliver(struct server *srv, const struct conv_send *j)
{
	struct proto_out o = {.type = PROTO_OUT_DM};
	struct conv_notify *nj;
	struct frame *f;

	if (j->dup)
		return;
	o.dm.conversation = j->conversation_id;
	o.dm.id = j->id;
	o.dm.author.id = j->author_id;
	o.dm.author.name = j->author_name;
	o.dm.text = j->text;
	o.dm.text_len = j->len;
	o.dm.ts = j->ts;
	o.dm.client_id = j->client_id;
	f = frame_encode(&o);
	nj = xcalloc(1, sizeof *nj);
	nj->conversation_id = j->conversation_id;
	nj->message_id = j->id;
	nj->users = xcalloc(j->nrcpt + 1, sizeof *nj->users);
	for (size_t i = 0; i < j->nrcpt; i++) {
		const struct conv_rcpt *r = &j->rcpt[i];
		int n;

		if (r->hidden)
			continue;
		n = send_frame_user(r->user_id, f);
		if (r->user_id == j->author_id)
			continue;
		conv__send_unread(r->user_id, j->conversation_id, r->unread);
		if (n == 0)
			nj->users[nj->n++] = r->user_id;
	}
	frame_unref(f);
	if (j->crisis)
		send_crisis(srv, j);
	if (nj->n && store_submit(srv->store, conv__notify_fn, notify_done, nj) == 0)
		return;
	if (nj->n) /* the message is safe; only its mail is lost */
		log_warn("conv_notify_dropped", "conversation=%lld", (long long)j->conversation_id);
	free(nj->users);
	free(nj);
}

/* ---- frames from /ws ---- */

/* One per dm_send or dm_read in flight; holds a job reference on s. */
struct dm_ctx {
	struct sess *s;
	struct server *srv;
	char ref[PROTO_REF_MAX + 1];
	struct conv_send *send; /* dm_send */
	struct conv_read read;	/* dm_read */
};

static int store_err_code(int rc)
{
	return rc == STORE_EBUSY || rc == STORE_ESTOPPED ? PROTO_EOVERLOADED : PROTO_EINTERNAL;
}

static const char *err_field(int err)
{
	return err == PROTO_EDUPLICATE ? "text" : err == PROTO_ENOT_FOUND ? "conversation" : NULL;
}

static void send_done(int rc, void *arg)
{
	struct dm_ctx *c = arg;
	struct conv_send *j = c->send;
	int alive = !sess_job_done(c->s);

	if (rc || j->err) {
		posting_refund(j->author_id); /* a refusal changes nothing */
		if (alive)
			sess_error(c->s, rc ? store_err_code(rc) : j->err, c->ref,
				   err_field(j->err));
		goto out;
	}
	conv__deliver(c->srv, j);
	if (alive) {
		struct proto_out o = {.type = PROTO_OUT_ACK};
		struct frame *f;

		o.ack.client_id = j->client_id;
		o.ack.dm = true;
		o.ack.conversation = j->conversation_id;
		o.ack.id = j->id;
		f = frame_encode(&o);
		sess_send(c->s, f);
		frame_unref(f);
	}
out:
	conv__send_free(j);
	free(c);
}

static void read_done(int rc, void *arg)
{
	struct dm_ctx *c = arg;
	int alive = !sess_job_done(c->s);

	if (rc || c->read.err) {
		if (alive)
			sess_error(c->s, rc ? store_err_code(rc) : c->read.err, c->ref, NULL);
	} else {
		/* every device of the reader shows the new count */
		conv__send_unread(c->read.user_id, c->read.conversation_id, c->read.unread);
	}
	free(c);
}

static int send_job(struct store_tx *tx, void *arg)
{
	return conv__send_fn(tx, ((struct dm_ctx *)arg)->send);
}

static int read_job(struct store_tx *tx, void *arg)
{
	return conv__read_fn(tx, &((struct dm_ctx *)arg)->read);
}

static void on_dm_frame(struct sess *s, const struct proto_frame *f)
{
	struct dm_ctx *c = xcalloc(1, sizeof *c);
	store_fn fn;
	store_done_fn done;

	c->s = s;
	c->srv = s->srv;
	snprintf(c->ref, sizeof c->ref, "%s", f->ref);
	if (f->type == PROTO_IN_DM_SEND) {
		int rc = conv__prepare(s->user_id, f->dm_send.conversation, f->dm_send.client_id,
				       f->dm_send.text.ptr, f->dm_send.text.len, &c->send);

		if (rc) {
			sess_error(s, rc, f->ref, NULL);
			free(c);
			return;
		}
		fn = send_job;
		done = send_done;
	} else {
		c->read.conversation_id = f->dm_read.conversation;
		c->read.user_id = s->user_id;
		c->read.up_to = f->dm_read.up_to;
		fn = read_job;
		done = read_done;
	}
	if (store_submit(s->srv->store, fn, done, c)) {
		if (c->send)
			posting_refund(s->user_id);
		sess_error(s, PROTO_EOVERLOADED, f->ref, NULL);
		conv__send_free(c->send);
		free(c);
		return;
	}
	s->jobs++;
}

/* ---- hooks ---- */

static void left_done(int rc, void *arg)
{
	(void)rc; /* access is checked at every use anyway; this only makes it final */
	free(arg);
}

static void on_group_event(struct server *srv, int64_t group_id, int64_t user_id,
			   enum groups_event ev)
{
	struct conv_left *j;

	if (ev != GROUPS_EV_LEFT || !user_id)
		return;
	j = xcalloc(1, sizeof *j);
	j->group_id = group_id;
	j->user_id = user_id;
	if (store_submit(srv->store, conv__left_group_fn, left_done, j))
		free(j);
}

void conv_init(struct server *srv)
{
	ws_set_dm_handler(on_dm_frame);
	acct_on_erase(conv__erase_user);
	groups_on_event(on_group_event);
	conv__http_init(srv);
}

void conv_tick(struct server *srv)
{
	(void)srv; /* the posting buckets are pruned by posting.c */
}

void conv_free(struct server *srv)
{
	(void)srv;
}
