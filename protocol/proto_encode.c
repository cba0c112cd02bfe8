/*
 * proto_encode.c — struct proto_out -> one JSON text frame in a fresh
 * buffer with headroom in front for the transport.
 *
 * Frames are built as jansson trees and dumped compactly; key order is the
 * order of insertion (jansson keeps it), with "type" first, so frames read
 * the same in logs as in PROTOCOL.md. Strings are checked for UTF-8 here,
 * once, so a failure from jansson afterwards can only mean out of memory.
 */
#include "proto.h"
#include "proto_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define HEADROOM_MAX 4096

static const char *const role_names[] = {"member", "facilitator", "manager"};
static const char *const presence_names[] = {"present", "idle", "away", "left"};
static const char *const state_names[] = {"open", "closing", "closed"};
static const char *const kind_names[] = {"message", "announcement"};
static const char *const alert_names[] = {"crisis", "checkin_drop"};
static const char *const phase_names[] = {"join", "close"};
#define NAMES(a) a, (sizeof(a) / sizeof((a)[0]))

/*
 * One encoding in progress. The put_* helpers do nothing once rc is set, so
 * a builder is a straight list of puts with one check at the end; the tree
 * is freed as a whole either way.
 */
struct enc {
	int rc;
};

/* Attach v (a new reference, possibly NULL from a failed allocation) to
 * object o under k. json_object_set_new releases v even when it fails. */
static void put(struct enc *e, json_t *o, const char *k, json_t *v)
{
	if (e->rc || !o) {
		json_decref(v);
		if (!e->rc)
			e->rc = PROTO_ENOMEM;
		return;
	}
	if (!v || json_object_set_new_nocheck(o, k, v) < 0)
		e->rc = PROTO_ENOMEM;
}

static void put_int(struct enc *e, json_t *o, const char *k, int64_t v)
{
	if (!e->rc)
		put(e, o, k, json_integer((json_int_t)v));
}

static void put_bool(struct enc *e, json_t *o, const char *k, bool v)
{
	if (!e->rc)
		put(e, o, k, json_boolean(v));
}

static void put_strn(struct enc *e, json_t *o, const char *k, const char *s, size_t n)
{
	if (e->rc)
		return;
	if ((!s && n) || (s && !proto__utf8_valid(s, n))) {
		e->rc = PROTO_EINVAL;
		return;
	}
	put(e, o, k, json_stringn_nocheck(s ? s : "", n));
}

/* A NUL-terminated string that must be there. */
static void put_str(struct enc *e, json_t *o, const char *k, const char *s)
{
	if (e->rc)
		return;
	if (!s) {
		e->rc = PROTO_EINVAL;
		return;
	}
	put_strn(e, o, k, s, strlen(s));
}

/* A NUL-terminated string left out when NULL or "". */
static void put_opt_str(struct enc *e, json_t *o, const char *k, const char *s)
{
	if (s && *s)
		put_str(e, o, k, s);
}

static void put_opt_int(struct enc *e, json_t *o, const char *k, int64_t v)
{
	if (v)
		put_int(e, o, k, v);
}

/* The wire name of enum value v, from a table of n names. */
static void put_name(struct enc *e, json_t *o, const char *k, int v, const char *const *names,
		     size_t n)
{
	if (e->rc)
		return;
	if (v < 0 || (size_t)v >= n) {
		e->rc = PROTO_EINVAL;
		return;
	}
	put_str(e, o, k, names[v]);
}

/* A time or null when not set. */
static void put_time_or_null(struct enc *e, json_t *o, const char *k, int64_t ms)
{
	if (!e->rc)
		put(e, o, k, ms > 0 ? json_integer((json_int_t)ms) : json_null());
}

/* A new child object of o under k; the returned pointer is borrowed from o. */
static json_t *put_obj(struct enc *e, json_t *o, const char *k)
{
	json_t *c;

	if (e->rc)
		return NULL;
	c = json_object();
	put(e, o, k, c);
	return e->rc ? NULL : c;
}

static json_t *put_arr(struct enc *e, json_t *o, const char *k)
{
	json_t *c;

	if (e->rc)
		return NULL;
	c = json_array();
	put(e, o, k, c);
	return e->rc ? NULL : c;
}

/* Append a new object to array a; borrowed like put_obj. */
static json_t *append_obj(struct enc *e, json_t *a)
{
	json_t *c;

	if (e->rc)
		return NULL;
	c = json_object();
	if (!c || json_array_append_new(a, c) < 0) {
		e->rc = PROTO_ENOMEM;
		return NULL;
	}
	return c;
}

static void put_person(struct enc *e, json_t *o, const char *k, const struct proto_person *p)
{
	json_t *c = put_obj(e, o, k);

	put_int(e, c, "id", p->id);
	put_str(e, c, "name", p->name);
}

/* A text that must be there (pointer + length). */
static void put_text(struct enc *e, json_t *o, const char *k, const char *s, size_t n)
{
	if (!e->rc && !s)
		e->rc = PROTO_EINVAL;
	put_strn(e, o, k, s, n);
}

/* A notification key or kind: 1..32 bytes of [a-z0-9_]. */
static int plain_key(const char *k)
{
	size_t n = k ? strlen(k) : 0;

	if (n == 0 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return 1;
}

static void build_welcome(struct enc *e, json_t *o, const struct proto_out *m)
{
	json_t *u = put_obj(e, o, "user");

	put_int(e, u, "id", m->welcome.id);
	put_str(e, u, "name", m->welcome.name);
	put_name(e, u, "role", (int)m->welcome.role, NAMES(role_names));
	put_int(e, o, "server_time", m->welcome.server_time);
	put_str(e, o, "version", m->welcome.version);
	put_str(e, o, "protocol", PROTO_SUBPROTOCOL);
}

static void build_joined(struct enc *e, json_t *o, const struct proto_out *m)
{
	json_t *you, *list;

	put_int(e, o, "session", m->joined.session);
	put_int(e, o, "group", m->joined.group);
	put_name(e, o, "state", (int)m->joined.state, NAMES(state_names));
	put_time_or_null(e, o, "ends_at", m->joined.ends_at);
	put_int(e, o, "last_seq", m->joined.last_seq);
	you = put_obj(e, o, "you");
	put_int(e, you, "id", m->joined.you_id);
	put_name(e, you, "role", (int)m->joined.you_role, NAMES(role_names));
	list = put_arr(e, o, "members");
	if (!e->rc && m->joined.n_members && !m->joined.members)
		e->rc = PROTO_EINVAL;
	for (size_t i = 0; !e->rc && i < m->joined.n_members; i++) {
		const struct proto_member *p = &m->joined.members[i];
		json_t *c = append_obj(e, list);

		/* "left" is an event, not a state one can be in while listed */
		if (!e->rc && p->state == PROTO_LEFT)
			e->rc = PROTO_EINVAL;
		put_int(e, c, "id", p->id);
		put_str(e, c, "name", p->name);
		put_name(e, c, "role", (int)p->role, NAMES(role_names));
		put_name(e, c, "state", (int)p->state, NAMES(presence_names));
	}
}

static void build_msg(struct enc *e, json_t *o, const struct proto_out *m)
{
	put_int(e, o, "session", m->msg.session);
	put_int(e, o, "seq", m->msg.seq);
	put_person(e, o, "author", &m->msg.author);
	if (m->msg.redacted) {
		if (!e->rc)
			put(e, o, "text", json_null());
	} else {
		put_text(e, o, "text", m->msg.text, m->msg.text_len);
	}
	put_int(e, o, "ts", m->msg.ts);
	put_opt_str(e, o, "client_id", m->msg.client_id);
	put_name(e, o, "kind", (int)m->msg.kind, NAMES(kind_names));
	if (m->msg.redacted)
		put_bool(e, o, "redacted", true);
	if (m->msg.highlighted)
		put_bool(e, o, "highlighted", true);
}

static void build_ack(struct enc *e, json_t *o, const struct proto_out *m)
{
	put_str(e, o, "client_id", m->ack.client_id);
	if (m->ack.dm) {
		put_int(e, o, "id", m->ack.id);
		put_int(e, o, "conversation", m->ack.conversation);
	} else {
		put_int(e, o, "seq", m->ack.seq);
		put_int(e, o, "session", m->ack.session);
	}
}

static void build_alert(struct enc *e, json_t *o, const struct proto_out *m)
{
	put_opt_int(e, o, "session", m->alert.session);
	put_opt_int(e, o, "conversation", m->alert.conversation);
	put_name(e, o, "kind", (int)m->alert.kind, NAMES(alert_names));
	put_person(e, o, "user", &m->alert.user);
	put_opt_int(e, o, "seq", m->alert.seq);
	if (m->alert.text)
		put_strn(e, o, "text", m->alert.text, m->alert.text_len);
}

static void build_dm(struct enc *e, json_t *o, const struct proto_out *m)
{
	put_int(e, o, "conversation", m->dm.conversation);
	put_int(e, o, "id", m->dm.id);
	put_person(e, o, "author", &m->dm.author);
	put_text(e, o, "text", m->dm.text, m->dm.text_len);
	put_int(e, o, "ts", m->dm.ts);
	put_opt_str(e, o, "client_id", m->dm.client_id);
}

static void build_turns(struct enc *e, json_t *o, const struct proto_out *m)
{
	json_t *list;

	put_int(e, o, "session", m->turns.session);
	list = put_arr(e, o, "counts");
	if (!e->rc && m->turns.n_counts && !m->turns.counts)
		e->rc = PROTO_EINVAL;
	for (size_t i = 0; !e->rc && i < m->turns.n_counts; i++) {
		json_t *c = append_obj(e, list);

		put_int(e, c, "user", m->turns.counts[i].user);
		put_int(e, c, "n", m->turns.counts[i].n);
	}
}

static void build_notification(struct enc *e, json_t *o, const struct proto_out *m)
{
	if (!plain_key(m->notification.kind) ||
	    (m->notification.n_fields && !m->notification.fields)) {
		e->rc = PROTO_EINVAL;
		return;
	}
	put_str(e, o, "kind", m->notification.kind);
	for (size_t i = 0; !e->rc && i < m->notification.n_fields; i++) {
		const struct proto_field *f = &m->notification.fields[i];

		/* A field may not overwrite type, kind or an earlier field. */
		if (!plain_key(f->key) || json_object_get(o, f->key)) {
			e->rc = PROTO_EINVAL;
			return;
		}
		if (f->str)
			put_str(e, o, f->key, f->str);
		else
			put_int(e, o, f->key, f->num);
	}
}

static void build_moderation(struct enc *e, json_t *o, const struct proto_out *m)
{
	enum proto_mod_action a = m->moderation.action;

	/* only the actions done to a person are told to that person */
	if (a != PROTO_MOD_MUTE && a != PROTO_MOD_UNMUTE && a != PROTO_MOD_REMOVE) {
		e->rc = PROTO_EINVAL;
		return;
	}
	put_int(e, o, "session", m->moderation.session);
	put_str(e, o, "action", proto_mod_action_name(a));
	put_person(e, o, "user", &m->moderation.user);
}

static void build_error(struct enc *e, json_t *o, const struct proto_out *m)
{
	const char *msg = m->error.message ? m->error.message : proto_error_message(m->error.code);

	put_str(e, o, "code", proto_error_code(m->error.code));
	put_str(e, o, "message", msg);
	put_opt_str(e, o, "ref", m->error.ref);
	put_opt_str(e, o, "field", m->error.field);
}

/* The fields of *m after "type". */
static void build(struct enc *e, json_t *o, const struct proto_out *m)
{
	switch (m->type) {
	case PROTO_OUT_WELCOME:
		build_welcome(e, o, m);
		break;
	case PROTO_OUT_JOINED:
		build_joined(e, o, m);
		break;
	case PROTO_OUT_MSG:
		build_msg(e, o, m);
		break;
	case PROTO_OUT_ACK:
		build_ack(e, o, m);
		break;
	case PROTO_OUT_PRESENCE:
		put_int(e, o, "session", m->presence.session);
		put_person(e, o, "user", &m->presence.user);
		put_name(e, o, "state", (int)m->presence.state, NAMES(presence_names));
		break;
	case PROTO_OUT_TYPING:
		put_int(e, o, "session", m->typing.session);
		put_person(e, o, "user", &m->typing.user);
		put_bool(e, o, "on", m->typing.on);
		break;
	case PROTO_OUT_SESSION_STATE:
		put_int(e, o, "session", m->session_state.session);
		put_name(e, o, "state", (int)m->session_state.state, NAMES(state_names));
		put_time_or_null(e, o, "ends_at", m->session_state.ends_at);
		put_bool(e, o, "paused", m->session_state.paused);
		break;
	case PROTO_OUT_REDACTED:
		put_int(e, o, "session", m->redacted.session);
		put_int(e, o, "seq", m->redacted.seq);
		break;
	case PROTO_OUT_HIGHLIGHT:
		put_int(e, o, "session", m->highlight.session);
		put_int(e, o, "seq", m->highlight.seq);
		break;
	case PROTO_OUT_TURNS:
		build_turns(e, o, m);
		break;
	case PROTO_OUT_CHECKIN_PROMPT:
		put_int(e, o, "session", m->checkin_prompt.session);
		put_name(e, o, "phase", (int)m->checkin_prompt.phase, NAMES(phase_names));
		break;
	case PROTO_OUT_CHECKIN_SCORE:
		put_int(e, o, "session", m->checkin_score.session);
		put_int(e, o, "user", m->checkin_score.user);
		put_name(e, o, "phase", (int)m->checkin_score.phase, NAMES(phase_names));
		put_int(e, o, "score", m->checkin_score.score);
		break;
	case PROTO_OUT_ALERT:
		build_alert(e, o, m);
		break;
	case PROTO_OUT_CRISIS_RESOURCES:
		put_text(e, o, "text", m->crisis_resources.text, m->crisis_resources.text_len);
		break;
	case PROTO_OUT_DM:
		build_dm(e, o, m);
		break;
	case PROTO_OUT_UNREAD:
		put_int(e, o, "conversation", m->unread.conversation);
		put_int(e, o, "count", m->unread.count);
		break;
	case PROTO_OUT_NOTIFICATION:
		build_notification(e, o, m);
		break;
	case PROTO_OUT_ERROR:
		build_error(e, o, m);
		break;
	case PROTO_OUT_PONG:
		break;
	case PROTO_OUT_MODERATION:
		build_moderation(e, o, m);
		break;
	case PROTO_OUT_NONE:
	default:
		e->rc = PROTO_EINVAL;
		break;
	}
}

/* Where json_dump_callback writes: a buffer that starts `used` bytes in
 * (the headroom) and always keeps one byte spare for the final NUL. */
struct sink {
	char *base;
	size_t used, cap;
};

static int sink_write(const char *p, size_t n, void *data)
{
	struct sink *s = data;

	if (n >= s->cap - s->used) {
		size_t cap = s->cap * 2 > s->used + n + 1 ? s->cap * 2 : s->used + n + 1;
		char *nb = realloc(s->base, cap);

		if (!nb)
			return -1;
		s->base = nb;
		s->cap = cap;
	}
	memcpy(s->base + s->used, p, n);
	s->used += n;
	return 0;
}

/* Dump the tree into a fresh buffer behind `headroom` bytes. */
static int dump(const json_t *o, size_t headroom, char **out, size_t *len)
{
	struct sink s = {NULL, headroom, headroom + 256};

	s.base = malloc(s.cap);
	if (!s.base)
		return PROTO_ENOMEM;
	if (json_dump_callback(o, sink_write, &s, JSON_COMPACT) < 0) {
		free(s.base);
		return PROTO_ENOMEM;
	}
	s.base[s.used] = '\0';
	*out = s.base;
	*len = s.used - headroom;
	return PROTO_OK;
}

int proto_encode(const struct proto_out *msg, size_t headroom, char **out, size_t *len)
{
	struct enc e = {PROTO_OK};
	json_t *o;

	if (!out || !len)
		return PROTO_EINVAL;
	*out = NULL;
	*len = 0;
	if (!msg || headroom > HEADROOM_MAX || !*proto_out_type_name(msg->type))
		return PROTO_EINVAL;
	o = json_object();
	put_str(&e, o, "type", proto_out_type_name(msg->type));
	build(&e, o, msg);
	if (!e.rc)
		e.rc = dump(o, headroom, out, len);
	json_decref(o);
	return e.rc;
}

int proto_encode_error(int code, const char *message, const char *ref, const char *field,
		       size_t headroom, char **out, size_t *len)
{
	struct proto_out m = {.type = PROTO_OUT_ERROR};

	m.error.code = code;
	m.error.message = message;
	m.error.ref = ref;
	m.error.field = field;
	return proto_encode(&m, headroom, out, len);
}
