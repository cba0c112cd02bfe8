/*
 * boards_http.c — the message boards' routes, the checks run on what
 * people post (rate limit, profanity, crisis phrases, links), telling
 * people about replies and alerts, and the daily digest's timer.
 *
 * Routes (all need a log-in; the rules are in boards.h):
 *   GET    /api/v1/boards                        the site-wide boards
 *   GET    /api/v1/groups/{id}/folders           a group's topic folders
 *   POST   /api/v1/groups/{id}/folders           {name}            facilitators
 *   PATCH  /api/v1/folders/{id}                  {name?, position?} facilitators
 *   GET    /api/v1/folders/{id}/topics           ?page=&per_page=
 *   POST   /api/v1/folders/{id}/topics           {subject, body}
 *   GET    /api/v1/topics/{id}                   the topic and a page of posts
 *   PATCH  /api/v1/topics/{id}                   {locked?, pinned?, folder_id?} moderators
 *   DELETE /api/v1/topics/{id}                   moderators
 *   POST   /api/v1/topics/{id}/posts             {body, quote?: {post, text?}}
 *   PUT|DELETE /api/v1/topics/{id}/follow
 *   GET|PATCH|DELETE /api/v1/posts/{id}          PATCH {body}: the author edits
 *   GET    /api/v1/posts/{id}/history            moderators
 *   POST   /api/v1/posts/{id}/flag               {reason}
 *   POST   /api/v1/posts/{id}/approve            moderators: a held post
 *   PUT|GET|DELETE /api/v1/posts/{id}/picture    PUT: the picture's bytes as the body
 *   POST   /api/v1/flags/{id}/resolve            moderators
 *   POST   /api/v1/preview                       {body} → {html, needs_review}
 *   GET    /api/v1/groups/{id}/board-dashboard   the group's facilitators
 *   GET    /api/v1/boards/dashboard              facilitators and managers (site boards)
 *   PUT|DELETE /api/v1/groups/{id}/board-blocks/{uid}   facilitators
 *   PUT|DELETE /api/v1/boards/blocks/{uid}       facilitators and managers (site boards)
 *   POST   /api/v1/test/boards/tick              --testing: run the digest pass now
 *
 * Anything the caller may not read answers 404 not_found with the same
 * body as a missing object; 403 is only for places they can read.
 */
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "boards.h"
#include "clock.h"
#include "http.h"
#include "live.h"
#include "log.h"
#include "mail.h"
#include "markdown.h"
#include "media.h"
#include "posting.h"
#include "ratelimit.h"
#include "server.h"
#include "textfilter.h"
#include "util.h"

#define DIGEST_EVERY_MS (5 * 60 * 1000) /* how often the digest pass looks for who is due */
#define DIGEST_BATCH 200		/* members per digest job */
#define TELL_MAX 500			/* followers or alert recipients told at once */
#define SUBJECT_IN_MAX 2048		/* bytes of a subject looked at */

static const char default_crisis_text[] =
    "You don't have to face this alone. If you are in danger now, call 999 (or your local"
    " emergency number). Samaritans are there any time on 116 123.";

/*
 * The module's state: one per process, loop thread only. The crisis and
 * profanity lists are the ones every place people write shares
 * (posting.h); the link allow-list is the boards' own.
 */
static struct {
	struct server *srv;
	struct tf_list *allowed;
	struct ratelimit posts; /* [boards] burst, posts_per_minute; clock_now_ms */
	int64_t last_digest_ms; /* monotonic */
	int digest_busy;
	int stopping;
} mod;


struct bstate;

/*
 * What a route does with the object its {id} names, in the job, once
 * object_job has loaded it into the state: 0, or an answer (refusals the
 * user should read fill why).
 */
typedef int (*board_op)(struct store_tx *tx, struct http_req *req, struct bstate *s,
			struct groups_why *why);

/* Which object a route's {id} names, and so which of bstate's at, t, p it fills. */
enum board_obj { OBJ_GROUP, OBJ_FOLDER, OBJ_TOPIC, OBJ_POST };

/* One per board request, in req->state; the job fills the lower half. */
struct bstate {
	struct board_who who;
	enum board_obj obj;
	board_op op;
	int page, per_page;
	/* posting */
	struct board_new_post np;
	char subject[BOARD_SUBJECT_MAX * 4 + 1];
	char *body;	  /* masked */
	char *quote_text; /* owned */
	/* moderation and folders */
	int locked, pinned, on;
	int64_t folder_id, position, target;
	char *text; /* a folder name or a flag's reason; owned */
	/* pictures */
	struct media_info pic;
	char mime[40];
	char *data;
	size_t len;
	/* the route's object, loaded by object_job */
	struct board_place at;
	struct board_topic t;
	struct board_post p;
	/* after the job: whom to tell */
	struct board_topic topic;
	int64_t *followers, *alert_to;
	size_t nfollowers, nalert;
	int notify; /* followers get a board_reply */
	int took_token; /* a posting token was taken: given back if the post is refused */
};

static void bstate_free(void *p)
{
	struct bstate *s = p;

	free(s->body);
	free(s->quote_text);
	free(s->text);
	free(s->data);
	free(s->followers);
	free(s->alert_to);
	free(s);
}

static struct bstate *bstate(struct http_req *req)
{
	struct bstate *s = xcalloc(1, sizeof *s);

	req->state = s;
	req->state_free = bstate_free;
	s->who.id = req->user.id;
	s->who.role = req->user.role;
	s->page = 1;
	s->per_page = BOARD_PER_PAGE;
	return s;
}

/* In a job: the caller's time is the job's, not the request's. */
static struct bstate *job_state(struct http_req *req)
{
	struct bstate *s = req->state;

	s->who.now = clock_now_ms();
	return s;
}

static const char nothing_here[] = "There is nothing at this address.";

static void not_found(struct http_req *req)
{
	http_error(req, 404, "not_found", nothing_here);
}

/* A job's outcome: not found (or not readable) is one answer; refusals say why. */
static int fail(struct http_req *req, const struct groups_why *why, int rc)
{
	if (rc == STORE_ENOTFOUND)
		return http_job_fail(req, 404, "not_found", nothing_here);
	if (rc && why->code)
		return http_job_fail(req, why->status, why->code, why->msg);
	return rc;
}

static int refuse_not_moderator(struct http_req *req)
{
	return http_job_fail(req, 403, "not_facilitator",
			     "Only the facilitators of these boards can do this.");
}

static const char *crisis_text(void)
{
	const char *t = mod.srv->cfg.crisis_text;

	return t && *t ? t : default_crisis_text;
}

/* ---- posting limits (loop thread) ---- */

/* Refuse with 429 and Retry-After when user is over the posting rate; 1 if refused. */
static int rate_refused(struct http_req *req)
{
	int64_t wait = rl_take(&mod.posts, req->user.id, clock_now_ms());
	struct bstate *s = req->state;
	char secs[24];

	if (!wait) {
		s->took_token = 1;
		return 0;
	}
	snprintf(secs, sizeof secs, "%lld", (long long)((wait + 999) / 1000));
	http_add_header(req, "Retry-After", secs);
	http_error(req, 429, "rate_limited",
		   "You are posting very quickly. Please wait a moment and try again.");
	return 1;
}


/* 1 when every link of body is on the allow-list (too many links: review them). */
static int links_ok(const char *body)
{
	char **urls = NULL;
	size_t n = 0;
	int ok;

	if (md_links(body, strlen(body), &urls, &n))
		return 0;
	ok = 1;
	for (size_t i = 0; ok && i < n; i++)
		ok = tf_link_allowed(urls[i], mod.allowed);
	md_links_free(urls, n);
	return ok;
}

/* The checks of DESIGN "Moderation and safety", before anything is stored. */
static void screen_body(struct bstate *s, const char *body)
{
	size_t len = strlen(body);
	int masked;

	s->np.crisis = tf_match(posting_crisis(), body, len, NULL);
	s->body = tf_mask(posting_profanity(), body, len, &masked);
	s->np.body = s->body;
	s->np.links_ok = links_ok(s->body);
}

/* ---- query and body helpers ---- */

/* ?page= and ?per_page=; 0, or -1 after answering 400. */
static int parse_paging(struct http_req *req, struct bstate *s)
{
	const char *p = http_query(req, "page"), *pp = http_query(req, "per_page");
	int64_t v;

	if (p) {
		if (parse_int64(p, 1, BOARD_PAGE_MAX, &v))
			goto bad;
		s->page = (int)v;
	}
	if (pp) {
		if (parse_int64(pp, 1, BOARD_PER_PAGE_MAX, &v))
			goto bad;
		s->per_page = (int)v;
	}
	return 0;
bad:
	http_error(req, 400, "bad_page",
		   "page and per_page must be whole numbers (per_page 1-100).");
	return -1;
}

/* The body's string field if check accepts it (borrowed); NULL after answering with why. */
static const char *checked_field(struct http_req *req, const char *field,
				 int (*check)(const char *, struct groups_why *))
{
	const char *v = http_json_str(req, field);
	struct groups_why why = {0};

	if (check(v, &why) == 0)
		return v;
	http_error(req, why.status, why.code, why.msg);
	return NULL;
}

/* As checked_field, but a copy the state will own. */
static char *checked_copy(struct http_req *req, const char *field,
			  int (*check)(const char *, struct groups_why *))
{
	const char *v = checked_field(req, field, check);

	return v ? xstrdup(v) : NULL;
}

/* The body of a new post; NULL after answering 400. */
static const char *new_body(struct http_req *req)
{
	const char *body = http_json_str(req, "body");

	if (body && strlen(body) > BOARD_BODY_MAX) {
		http_error(req, 400, "too_long", "A post can be at most 16 KiB of text.");
		return NULL;
	}
	return checked_field(req, "body", board_check_body);
}

/* A positive id given in the route; NULL state after answering 404. */
static struct bstate *with_id(struct http_req *req)
{
	if (http_param_id(req, 0) < 0) {
		not_found(req);
		return NULL;
	}
	return bstate(req);
}

/*
 * The job of every route on one group, folder, topic or post: load it as
 * the caller may see it (anything they may not read answers 404 exactly
 * like a missing one), then run the route's op.
 */
static int object_job(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct bstate *s = job_state(req);
	int64_t id = http_param_id(req, 0);
	struct groups_why why = {0};
	int rc;

	switch (s->obj) {
	case OBJ_GROUP:
		rc = board_place_group(tx, id, &s->who, &s->at);
		break;
	case OBJ_FOLDER:
		rc = board_place_folder(tx, id, &s->who, &s->at);
		break;
	case OBJ_TOPIC:
		rc = board_topic_get(tx, id, &s->who, &s->t);
		break;
	default:
		rc = board_post_get(tx, id, &s->who, &s->p);
		break;
	}
	if (rc == 0)
		rc = s->op(tx, req, s, &why);
	return fail(req, &why, rc);
}

/* Run op on the route's obj in a job (s from with_id); then as for http_run. */
static void run_on(struct http_req *req, struct bstate *s, enum board_obj obj, board_op op,
		   void (*then)(struct http_req *req, int rc))
{
	s->obj = obj;
	s->op = op;
	http_run(req, object_job, then);
}

/* ---- telling people (loop thread) ---- */

struct alert_mail {
	int64_t *ids;
	size_t n;
};

static int alert_mail_fn(struct store_tx *tx, void *arg)
{
	struct alert_mail *m = arg;
	int rc = 0;

	/* never the post, nor where: only that there is something to look at */
	for (size_t i = 0; rc == 0 && i < m->n; i++)
		rc = mail_enqueue(tx, m->ids[i], "board_alert",
				  "An alert needs your attention in Hearth",
				  "Hello,\n\nSomething posted on a Hearth message board needs your"
				  " attention. For the privacy of the people involved this e-mail"
				  " says no more.\n\nPlease sign in to Hearth to see the alert.\n");
	return rc;
}

static void alert_mail_done(int rc, void *arg)
{
	struct alert_mail *m = arg;

	if (rc)
		log_error("board_alert_mail_failed", "rc=%d recipients=%zu", rc, m->n);
	free(m->ids);
	free(m);
}

/* Crisis phrase: an alert frame to each recipient online, a mail to the others. */
static void send_alerts(struct http_req *req, struct bstate *s)
{
	struct proto_field f[] = {
	    {"alert", "crisis", 0},
	    {"topic", NULL, s->topic.id},
	    {"post", NULL, s->np.post_id},
	    {"user", NULL, req->user.id},
	    {"group", NULL, s->topic.at.group_id},
	};
	struct proto_out o = {.type = PROTO_OUT_NOTIFICATION};
	struct alert_mail *m;
	size_t offline = 0;

	o.notification.kind = "board_alert";
	o.notification.fields = f;
	o.notification.n_fields = ARRAY_LEN(f) - (s->topic.at.group_id ? 0 : 1);
	m = xcalloc(1, sizeof *m);
	m->ids = xcalloc(s->nalert ? s->nalert : 1, sizeof *m->ids);
	for (size_t i = 0; i < s->nalert; i++)
		if (ws_send_user(s->alert_to[i], &o) == 0)
			m->ids[offline++] = s->alert_to[i];
	log_warn("board_crisis_alert", "post=%lld user=%lld told=%zu mailed=%zu",
		 (long long)s->np.post_id, (long long)req->user.id, s->nalert - offline, offline);
	m->n = offline;
	if (!offline || store_submit(req->srv->store, alert_mail_fn, alert_mail_done, m)) {
		if (offline)
			log_error("board_alert_mail_not_queued", "recipients=%zu", offline);
		free(m->ids);
		free(m);
	}
}

static void send_replies(struct bstate *s)
{
	struct proto_field f[] = {
	    {"topic", NULL, s->topic.id},
	    {"post", NULL, s->np.post_id},
	    {"title", s->topic.subject, 0},
	    {"group", NULL, s->topic.at.group_id},
	};
	struct proto_out o = {.type = PROTO_OUT_NOTIFICATION};

	o.notification.kind = "board_reply";
	o.notification.fields = f;
	o.notification.n_fields = ARRAY_LEN(f) - (s->topic.at.group_id ? 0 : 1);
	for (size_t i = 0; i < s->nfollowers; i++)
		ws_send_user(s->followers[i], &o);
}

/* After a post was stored: tell followers and alert, then answer (with the crisis card). */
static void posted_then(struct http_req *req, int rc)
{
	struct bstate *s = req->state;

	if (rc) {
		if (s->took_token) /* a refusal (not found, blocked, a duplicate…) changes nothing */
			rl_refund(&mod.posts, req->user.id);
		http_reply_job(req, rc);
		return;
	}
	if (s->notify)
		send_replies(s);
	if (s->nalert)
		send_alerts(req, s);
	if (s->np.crisis && req->out) {
		struct proto_out cr = {.type = PROTO_OUT_CRISIS_RESOURCES};

		cr.crisis_resources.text = crisis_text();
		cr.crisis_resources.text_len = strlen(cr.crisis_resources.text);
		ws_send_user(req->user.id, &cr);
		json_object_set_new(req->out, "crisis_resources", json_string(crisis_text()));
	}
	http_reply_job(req, 0);
}

/* In a job after a post was written: who hears of it, and the answer. */
static int after_post(struct store_tx *tx, struct http_req *req, struct bstate *s, int notify)
{
	json_t *post = NULL;
	int rc = board_topic_get(tx, s->np.topic_id, &s->who, &s->topic);

	if (rc)
		return rc;
	s->notify = notify && !s->np.held;
	if (s->notify && (rc = board_followers(tx, &s->topic, s->who.id, TELL_MAX, &s->followers,
					       &s->nfollowers)))
		return rc;
	if (s->np.crisis && (rc = board_crisis_alert(tx, &s->topic, s->np.post_id, s->who.id,
						     TELL_MAX, &s->alert_to, &s->nalert)))
		return rc;
	if ((rc = board_post_json(tx, s->np.post_id, &s->who, &post)))
		return rc;
	req->out = json_pack("{s:I,s:o,s:b}", "topic_id", (json_int_t)s->np.topic_id, "post", post,
			     "held", s->np.held);
	return req->out ? 0 : STORE_EIO;
}

/* ---- folders ---- */

static int site_folders_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct bstate *s = job_state(req);
	struct board_place at;
	int rc = board_place_site(tx, &s->who, &at);

	return rc ? rc : board_folders_list(tx, &at, &s->who, &req->out);
}

static void route_site_folders(struct http_req *req)
{
	bstate(req);
	http_run(req, site_folders_fn, NULL);
}

static int group_folders_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
			    struct groups_why *why)
{
	(void)why;
	return board_folders_list(tx, &s->at, &s->who, &req->out);
}

static void route_group_folders(struct http_req *req)
{
	struct bstate *s = with_id(req);

	if (s)
		run_on(req, s, OBJ_GROUP, group_folders_op, NULL);
}

static int folder_add_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
			 struct groups_why *why)
{
	int rc;

	if (!s->at.moderate)
		return refuse_not_moderator(req);
	rc = board_folder_add(tx, &s->at, &s->who, s->text, &req->out, why);
	if (rc == 0)
		req->out_status = 201;
	return rc;
}

static void route_folder_add(struct http_req *req)
{
	struct bstate *s = with_id(req);

	if (s && (s->text = checked_copy(req, "name", board_check_folder_name)))
		run_on(req, s, OBJ_GROUP, folder_add_op, NULL);
}

static int folder_update_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
			    struct groups_why *why)
{
	(void)why;
	if (!s->at.moderate)
		return refuse_not_moderator(req);
	if (!s->at.group_id)
		return http_job_fail(req, 403, "fixed_folder",
				     "The site-wide boards cannot be renamed or moved.");
	return board_folder_update(tx, &s->at, &s->who, s->text, s->position, &req->out);
}

static void route_folder_update(struct http_req *req)
{
	json_t *name = json_object_get(req->json, "name");
	json_t *pos = json_object_get(req->json, "position");
	struct groups_why why = {0};
	struct bstate *s;

	if (!(s = with_id(req)))
		return;
	s->position = -1;
	if (name && board_check_folder_name(json_string_value(name), &why)) {
		http_error(req, why.status, why.code, why.msg);
		return;
	}
	if (pos && (!json_is_integer(pos) || json_integer_value(pos) < 0 ||
		    json_integer_value(pos) > 1000)) {
		http_error(req, 400, "bad_position",
			   "position must be a whole number from 0 to 1000.");
		return;
	}
	if (name)
		s->text = xstrdup(json_string_value(name));
	if (pos)
		s->position = json_integer_value(pos);
	run_on(req, s, OBJ_FOLDER, folder_update_op, NULL);
}

/* ---- topics ---- */

static int topics_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
		     struct groups_why *why)
{
	(void)why;
	return board_topics_page(tx, &s->at, &s->who, s->page, s->per_page, &req->out);
}

static void route_topics(struct http_req *req)
{
	struct bstate *s = with_id(req);

	if (s && !parse_paging(req, s))
		run_on(req, s, OBJ_FOLDER, topics_op, NULL);
}

static int new_topic_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
			struct groups_why *why)
{
	int rc = board_topic_create(tx, &s->at, &s->who, &s->np, why);

	if (rc == 0)
		rc = after_post(tx, req, s, 0);
	if (rc == 0)
		req->out_status = 201;
	return rc;
}

static void route_new_topic(struct http_req *req)
{
	const char *subject = http_json_str(req, "subject"), *body;
	struct groups_why why = {0};
	struct bstate *s;

	if (!(s = with_id(req)))
		return;
	if (!subject || strlen(subject) > SUBJECT_IN_MAX ||
	    board_check_subject(subject, s->subject, sizeof s->subject, &why)) {
		http_error(req, 400, "bad_subject",
			   "A subject is 3 to 120 characters of plain text.");
		return;
	}
	if (!(body = new_body(req)) || rate_refused(req))
		return;
	s->np.subject = s->subject;
	screen_body(s, body);
	run_on(req, s, OBJ_FOLDER, new_topic_op, posted_then);
}

static int topic_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
		    struct groups_why *why)
{
	(void)why;
	return board_topic_show(tx, &s->t, &s->who, s->page, s->per_page, &req->out);
}

static void route_topic(struct http_req *req)
{
	struct bstate *s = with_id(req);

	if (s && !parse_paging(req, s))
		run_on(req, s, OBJ_TOPIC, topic_op, NULL);
}

static int topic_update_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
			   struct groups_why *why)
{
	int rc;

	if (!s->t.at.moderate)
		return refuse_not_moderator(req);
	rc = board_topic_update(tx, &s->t, &s->who, s->locked, s->pinned, s->folder_id, why);
	if (rc == 0)
		rc = board_topic_show(tx, &s->t, &s->who, 1, 1, &req->out);
	return rc;
}

static void route_topic_update(struct http_req *req)
{
	json_t *locked = json_object_get(req->json, "locked");
	json_t *pinned = json_object_get(req->json, "pinned");
	json_t *folder = json_object_get(req->json, "folder_id");
	struct bstate *s;

	if (!(s = with_id(req)))
		return;
	if ((locked && !json_is_boolean(locked)) || (pinned && !json_is_boolean(pinned)) ||
	    (folder && (!json_is_integer(folder) || json_integer_value(folder) <= 0))) {
		http_error(req, 400, "bad_field",
			   "locked and pinned are true or false; folder_id is a folder's id.");
		return;
	}
	s->locked = locked ? json_is_true(locked) : -1;
	s->pinned = pinned ? json_is_true(pinned) : -1;
	s->folder_id = folder ? json_integer_value(folder) : 0;
	run_on(req, s, OBJ_TOPIC, topic_update_op, NULL);
}

static int topic_delete_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
			   struct groups_why *why)
{
	(void)why;
	if (!s->t.at.moderate)
		return refuse_not_moderator(req);
	return board_topic_delete(tx, &s->t, &s->who);
}


static void route_topic_delete(struct http_req *req)
{
	struct bstate *s = with_id(req);

	if (s)
		run_on(req, s, OBJ_TOPIC, topic_delete_op, http_reply_job_empty);
}

static int reply_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
		    struct groups_why *why)
{
	int rc = board_reply(tx, &s->t, &s->who, &s->np, why);

	if (rc == 0)
		rc = after_post(tx, req, s, 1);
	if (rc == 0)
		req->out_status = 201;
	return rc;
}

static void route_reply(struct http_req *req)
{
	json_t *quote = json_object_get(req->json, "quote");
	const char *body;
	struct bstate *s;

	if (!(s = with_id(req)))
		return;
	if (quote) {
		json_t *qp = json_object_get(quote, "post"), *qt = json_object_get(quote, "text");

		if (!json_is_object(quote) || !json_is_integer(qp) || json_integer_value(qp) <= 0 ||
		    (qt && (!json_is_string(qt) || json_string_length(qt) > MD_MAX_INPUT))) {
			http_error(req, 400, "bad_quote",
				   "quote is {\"post\": id, \"text\": part of that post}.");
			return;
		}
		s->np.quote_post = json_integer_value(qp);
		if (qt)
			s->quote_text = xstrdup(json_string_value(qt));
		s->np.quote_text = s->quote_text;
	}
	if (!(body = new_body(req)) || rate_refused(req))
		return;
	screen_body(s, body);
	run_on(req, s, OBJ_TOPIC, reply_op, posted_then);
}

static int follow_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
		     struct groups_why *why)
{
	int rc = board_follow(tx, &s->t, &s->who, s->on);

	(void)why;
	if (rc == 0)
		req->out =
		    json_pack("{s:I,s:b}", "topic_id", (json_int_t)s->t.id, "following", s->on);
	return rc;
}

static void route_follow(struct http_req *req)
{
	struct bstate *s = with_id(req);

	if (!s)
		return;
	s->on = req->method == HTTP_PUT;
	run_on(req, s, OBJ_TOPIC, follow_op, NULL);
}

/* ---- posts ---- */

static int post_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct bstate *s = job_state(req);
	struct groups_why why = {0};

	return fail(req, &why, board_post_json(tx, http_param_id(req, 0), &s->who, &req->out));
}

static void route_post(struct http_req *req)
{
	if (with_id(req))
		http_run(req, post_fn, NULL);
}

static int edit_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
		   struct groups_why *why)
{
	int rc = board_post_edit(tx, &s->p, &s->who, &s->np, why);

	return rc ? rc : after_post(tx, req, s, 0);
}

static void route_edit(struct http_req *req)
{
	struct bstate *s = with_id(req);
	const char *body;

	/*
	 * An edit may keep a quote, so the whole rendering limit applies. It
	 * draws on the posting allowance like a new post: each edit is kept in
	 * the history and screened for crisis phrases (an alert each time), so
	 * unlimited edits would flood both.
	 */
	if (s && (body = checked_field(req, "body", board_check_body)) && !rate_refused(req)) {
		screen_body(s, body);
		run_on(req, s, OBJ_POST, edit_op, posted_then);
	}
}

static int post_delete_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
			  struct groups_why *why)
{
	(void)req;
	return board_post_delete(tx, &s->p, &s->who, why);
}

static void route_post_delete(struct http_req *req)
{
	struct bstate *s = with_id(req);

	if (s)
		run_on(req, s, OBJ_POST, post_delete_op, http_reply_job_empty);
}

static int history_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
		      struct groups_why *why)
{
	(void)why;
	if (!s->p.topic.at.moderate)
		return refuse_not_moderator(req);
	return board_post_history(tx, &s->p, &req->out);
}

static void route_history(struct http_req *req)
{
	struct bstate *s = with_id(req);

	if (s)
		run_on(req, s, OBJ_POST, history_op, NULL);
}

static int flag_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
		   struct groups_why *why)
{
	int rc = board_flag(tx, &s->p, &s->who, s->text, &req->out, why);

	if (rc == 0)
		req->out_status = 201;
	return rc;
}

static void route_flag(struct http_req *req)
{
	struct bstate *s = with_id(req);

	if (s && (s->text = checked_copy(req, "reason", board_check_reason)))
		run_on(req, s, OBJ_POST, flag_op, NULL);
}

static int approve_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
		      struct groups_why *why)
{
	const struct board_post *p = &s->p;
	int rc;

	if (!p->topic.at.moderate)
		return refuse_not_moderator(req);
	if ((rc = board_post_approve(tx, p, &s->who, why)))
		return rc;
	/* followers hear of it now, as if it had just been posted */
	s->np.post_id = p->id;
	s->np.topic_id = p->topic.id;
	if ((rc = board_topic_get(tx, p->topic.id, &s->who, &s->topic)) ||
	    (rc = board_followers(tx, &s->topic, p->author_id, TELL_MAX, &s->followers,
				  &s->nfollowers)))
		return rc;
	s->notify = 1;
	return board_post_json(tx, p->id, &s->who, &req->out);
}

static void route_approve(struct http_req *req)
{
	struct bstate *s = with_id(req);

	if (s)
		run_on(req, s, OBJ_POST, approve_op, posted_then);
}

/* ---- pictures ---- */

static int picture_put_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
			  struct groups_why *why)
{
	char url[64];
	int rc = board_picture_put(tx, &s->p, &s->who, req->body.data, req->body.len, s->pic.mime,
				   s->pic.width, s->pic.height, why);

	if (rc)
		return rc;
	snprintf(url, sizeof url, "/api/v1/posts/%lld/picture", (long long)s->p.id);
	req->out = json_pack("{s:I,s:s,s:s,s:I,s:I,s:I}", "post_id", (json_int_t)s->p.id, "picture",
			     url, "type", s->pic.mime, "bytes", (json_int_t)req->body.len, "width",
			     (json_int_t)s->pic.width, "height", (json_int_t)s->pic.height);
	req->out_status = 201;
	return 0;
}

static void route_picture_put(struct http_req *req)
{
	const char *mime = NULL;
	struct bstate *s;
	int rc;

	if (!(s = with_id(req)))
		return;
	/* the bytes decide what it is; the name and Content-Type sent do not */
	rc = media_check(req->body.data, req->body.len, BOARD_PICTURE_MAX, &mime);
	if (rc == MEDIA_OK)
		rc = media_probe(req->body.data, req->body.len, &s->pic);
	if (rc == MEDIA_EEMPTY)
		http_error(req, 400, "empty", "The picture is empty.");
	else if (rc == MEDIA_ETOOBIG)
		http_error(req, 413, "too_large", "A picture can be at most 128 KiB.");
	else if (rc == MEDIA_EDIMENSIONS)
		http_error(req, 413, "too_large", "That picture is too wide or too tall.");
	else if (rc)
		http_error(req, 415, "unsupported_media",
			   "Please use a PNG, JPEG, GIF or WebP picture.");
	else
		run_on(req, s, OBJ_POST, picture_put_op, NULL);
}

static int picture_get_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
			  struct groups_why *why)
{
	(void)req;
	(void)why;
	return board_picture_get(tx, &s->p, &s->data, &s->len, s->mime, sizeof s->mime);
}

static void picture_loaded(struct http_req *req, int rc)
{
	struct bstate *s = req->state;

	if (rc) {
		http_reply_job(req, rc);
		return;
	}
	http_add_header(req, "Content-Disposition", "inline");
	http_reply(req, 200, s->mime, s->data, s->len);
}

static void route_picture_get(struct http_req *req)
{
	struct bstate *s = with_id(req);

	if (s)
		run_on(req, s, OBJ_POST, picture_get_op, picture_loaded);
}

static int picture_delete_op(struct store_tx *tx, struct http_req *req, struct bstate *s,
			     struct groups_why *why)
{
	(void)req;
	return board_picture_delete(tx, &s->p, &s->who, why);
}

static void route_picture_delete(struct http_req *req)
{
	struct bstate *s = with_id(req);

	if (s)
		run_on(req, s, OBJ_POST, picture_delete_op, http_reply_job_empty);
}

/* ---- moderation ---- */

static int flag_resolve_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct bstate *s = job_state(req);
	struct groups_why why = {0};

	return fail(req, &why, board_flag_resolve(tx, http_param_id(req, 0), &s->who, &why));
}

static void route_flag_resolve(struct http_req *req)
{
	if (with_id(req))
		http_run(req, flag_resolve_fn, http_reply_job_empty);
}

static void route_preview(struct http_req *req)
{
	const char *body = checked_field(req, "body", board_check_body);
	struct bstate *s;
	char *html = NULL;

	if (!body)
		return;
	/* bounded by MD_MAX_INPUT: cheap enough for the loop, and nothing is stored */
	s = bstate(req);
	screen_body(s, body);
	if (md_render(s->body, strlen(s->body), &html, NULL)) {
		http_error(req, 400, "bad_body", "That text could not be formatted.");
		return;
	}
	http_reply_json(req, 200,
			json_pack("{s:s,s:b}", "html", html, "needs_review", !s->np.links_ok));
	free(html);
}

/* The place for dashboard and block routes: a group (route {id}) or the site boards. */
static int staff_place(struct store_tx *tx, struct http_req *req, struct bstate *s, int group_route,
		       struct board_place *at)
{
	int rc;

	memset(at, 0, sizeof *at);
	if (!group_route) {
		if (s->who.role == ACCT_MEMBER)
			return refuse_not_moderator(req);
		at->moderate = 1;
		return 0;
	}
	rc = board_place_group(tx, http_param_id(req, 0), &s->who, at);
	if (rc == STORE_ENOTFOUND)
		return http_job_fail(req, 404, "not_found", nothing_here);
	if (rc == 0 && !at->moderate)
		return refuse_not_moderator(req);
	return rc;
}

static int dashboard_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct bstate *s = job_state(req);
	struct board_place at;
	int rc = staff_place(tx, req, s, s->target != 0, &at);

	return rc ? rc
		  : board_dashboard(tx, &at, &s->who, req->srv->cfg.boards_unanswered_days,
				    &req->out);
}

static void route_group_dashboard(struct http_req *req)
{
	struct bstate *s = with_id(req);

	if (!s)
		return;
	s->target = http_param_id(req, 0);
	http_run(req, dashboard_fn, NULL);
}

static void route_site_dashboard(struct http_req *req)
{
	bstate(req);
	http_run(req, dashboard_fn, NULL);
}

static int block_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct bstate *s = job_state(req);
	struct board_place at;
	struct groups_why why = {0};
	int group_route = req->nparams == 2;
	int rc = staff_place(tx, req, s, group_route, &at);

	if (rc)
		return rc;
	rc = board_block(tx, &at, &s->who, s->target, s->on);
	if (rc == 0)
		req->out =
		    json_pack("{s:I,s:b}", "user_id", (json_int_t)s->target, "blocked", s->on);
	return fail(req, &why, rc);
}

static void route_block(struct http_req *req)
{
	int64_t id = http_param_id(req, req->nparams - 1);
	struct bstate *s;

	if (id < 0 || (req->nparams == 2 && http_param_id(req, 0) < 0)) {
		not_found(req);
		return;
	}
	s = bstate(req);
	s->target = id;
	s->on = req->method == HTTP_PUT;
	http_run(req, block_fn, NULL);
}

/* ---- the digest ---- */

struct digest_job {
	int64_t now;
	int sent;
};

static int digest_fn(struct store_tx *tx, void *arg)
{
	struct digest_job *d = arg;

	return board_digest_pass(tx, d->now, DIGEST_BATCH, &d->sent);
}

static void digest_done(int rc, void *arg)
{
	struct digest_job *d = arg;

	mod.digest_busy = 0;
	if (rc)
		log_error("board_digest_failed", "rc=%d", rc);
	else if (d->sent)
		log_info("board_digest", "mails=%d", d->sent);
	free(d);
}

static int test_tick_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int sent = 0;
	int rc = board_digest_pass(tx, clock_now_ms(), DIGEST_BATCH, &sent);

	if (rc == 0)
		req->out = json_pack("{s:i}", "digests", sent);
	return rc;
}

static void route_test_tick(struct http_req *req)
{
	http_run(req, test_tick_fn, NULL);
}

/* ---- life ---- */

static const struct http_route routes[] = {
    {HTTP_GET, "/api/v1/boards", route_site_folders, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/boards/dashboard", route_site_dashboard, HTTP_ROUTE_AUTH},
    {HTTP_PUT, "/api/v1/boards/blocks/{uid}", route_block, HTTP_ROUTE_AUTH},
    {HTTP_DELETE, "/api/v1/boards/blocks/{uid}", route_block, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/groups/{id}/folders", route_group_folders, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/groups/{id}/folders", route_folder_add, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/groups/{id}/board-dashboard", route_group_dashboard, HTTP_ROUTE_AUTH},
    {HTTP_PUT, "/api/v1/groups/{id}/board-blocks/{uid}", route_block, HTTP_ROUTE_AUTH},
    {HTTP_DELETE, "/api/v1/groups/{id}/board-blocks/{uid}", route_block, HTTP_ROUTE_AUTH},
    {HTTP_PATCH, "/api/v1/folders/{id}", route_folder_update, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/folders/{id}/topics", route_topics, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/folders/{id}/topics", route_new_topic, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/topics/{id}", route_topic, HTTP_ROUTE_AUTH},
    {HTTP_PATCH, "/api/v1/topics/{id}", route_topic_update, HTTP_ROUTE_AUTH},
    {HTTP_DELETE, "/api/v1/topics/{id}", route_topic_delete, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/topics/{id}/posts", route_reply, HTTP_ROUTE_AUTH},
    {HTTP_PUT, "/api/v1/topics/{id}/follow", route_follow, HTTP_ROUTE_AUTH},
    {HTTP_DELETE, "/api/v1/topics/{id}/follow", route_follow, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/posts/{id}", route_post, HTTP_ROUTE_AUTH},
    {HTTP_PATCH, "/api/v1/posts/{id}", route_edit, HTTP_ROUTE_AUTH},
    {HTTP_DELETE, "/api/v1/posts/{id}", route_post_delete, HTTP_ROUTE_AUTH},
    {HTTP_GET, "/api/v1/posts/{id}/history", route_history, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/posts/{id}/flag", route_flag, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/posts/{id}/approve", route_approve, HTTP_ROUTE_AUTH},
    {HTTP_PUT, "/api/v1/posts/{id}/picture", route_picture_put, HTTP_ROUTE_AUTH | HTTP_ROUTE_RAW},
    {HTTP_GET, "/api/v1/posts/{id}/picture", route_picture_get, HTTP_ROUTE_AUTH},
    {HTTP_DELETE, "/api/v1/posts/{id}/picture", route_picture_delete, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/flags/{id}/resolve", route_flag_resolve, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/preview", route_preview, HTTP_ROUTE_AUTH},
    {HTTP_POST, "/api/v1/test/boards/tick", route_test_tick, HTTP_ROUTE_TESTING},
};

/* The configured allow-list, or the built-in one. */
static struct tf_list *allow_list(const char *text)
{
	struct tf_list *l = NULL;
	const char *const *v;
	size_t n = 0;

	if (text && *text && tf_list_parse(text, strlen(text), &l) == 0)
		return l;
	if (text && *text)
		log_warn("board_list_default", "reason=\"a configured list could not be read\"");
	/* two statements: the order in which arguments are evaluated is unspecified */
	v = tf_default_allowed_domains(&n);
	return tf_list_new(v, n);
}

void boards_init(struct server *srv)
{
	static int hooked; /* acct keeps hooks for the process; register once */

	mod.srv = srv;
	mod.stopping = 0;
	mod.digest_busy = 0;
	mod.last_digest_ms = clock_mono_ms();
	mod.allowed = allow_list(srv->cfg.boards_allowed_domains);
	rl_init(&mod.posts, srv->cfg.boards_burst, srv->cfg.boards_posts_per_minute);
	if (!hooked) {
		acct_on_erase(board_erase_user);
		hooked = 1;
	}
	http_routes_add(routes, ARRAY_LEN(routes));
}

void boards_tick(struct server *srv)
{
	struct digest_job *d;

	rl_prune(&mod.posts, clock_now_ms());
	if (mod.stopping || mod.digest_busy ||
	    clock_mono_ms() - mod.last_digest_ms < DIGEST_EVERY_MS)
		return;
	mod.last_digest_ms = clock_mono_ms();
	d = xcalloc(1, sizeof *d);
	d->now = clock_now_ms();
	if (store_submit(srv->store, digest_fn, digest_done, d)) {
		free(d);
		return;
	}
	mod.digest_busy = 1;
}

void boards_shutdown(struct server *srv)
{
	(void)srv;
	mod.stopping = 1;
}

void boards_free(struct server *srv)
{
	(void)srv;
	rl_free(&mod.posts);
	tf_list_free(mod.allowed);
	mod.allowed = NULL;
}
