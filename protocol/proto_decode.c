/*
 * proto_decode.c — client frame -> struct proto_frame: every check the
 * contract makes of a frame before the server acts on it.
 *
 * The frames are described by tables (which keys a type has, of what kind,
 * where each lands in struct proto_frame), so one ladder of checks serves
 * every type and a new frame is a new table row, not new code.
 */
#include "proto.h"
#include "proto_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* What a field holds, and so how it is checked. */
enum fkind {
	F_ID,	     /* int64_t, 1..PROTO_ID_MAX */
	F_COUNT,     /* int64_t, 0..PROTO_ID_MAX */
	F_BOOL,	     /* bool */
	F_CLIENT_ID, /* char[PROTO_CLIENT_ID_MAX + 1] */
	F_TEXT,	     /* struct proto_text */
	F_MINUTES,   /* int, 1..PROTO_EXTEND_MAX */
	F_SCORE,     /* int, 0..PROTO_SCORE_MAX */
	F_PHASE,     /* enum proto_phase */
	F_ACTION,    /* enum proto_mod_action */
};

struct fspec {
	const char *key; /* NULL ends a list */
	enum fkind kind;
	size_t off; /* of the value in struct proto_frame */
};

#define FIELD(key, kind, member)                                                                   \
	{                                                                                          \
		key, kind, offsetof(struct proto_frame, member)                                    \
	}
#define MAX_FIELDS 4 /* per frame; the array below keeps one zeroed entry to end each list */

/* Required fields of each client frame, in the order they are checked. */
static const struct tspec {
	enum proto_in_type type;
	struct fspec fields[MAX_FIELDS + 1];
} frames[] = {
    {PROTO_IN_JOIN, {FIELD("session", F_ID, join.session)}},
    {PROTO_IN_LEAVE, {FIELD("session", F_ID, leave.session)}},
    {PROTO_IN_SAY,
     {FIELD("session", F_ID, say.session), FIELD("client_id", F_CLIENT_ID, say.client_id),
      FIELD("text", F_TEXT, say.text)}},
    {PROTO_IN_TYPING, {FIELD("session", F_ID, typing.session), FIELD("on", F_BOOL, typing.on)}},
    {PROTO_IN_RESUME,
     {FIELD("session", F_ID, resume.session), FIELD("since_seq", F_COUNT, resume.since_seq)}},
    {PROTO_IN_MOD, {FIELD("session", F_ID, mod.session), FIELD("action", F_ACTION, mod.action)}},
    {PROTO_IN_CHECKIN,
     {FIELD("session", F_ID, checkin.session), FIELD("phase", F_PHASE, checkin.phase),
      FIELD("score", F_SCORE, checkin.score)}},
    {PROTO_IN_DM_SEND,
     {FIELD("conversation", F_ID, dm_send.conversation),
      FIELD("client_id", F_CLIENT_ID, dm_send.client_id), FIELD("text", F_TEXT, dm_send.text)}},
    {PROTO_IN_DM_READ,
     {FIELD("conversation", F_ID, dm_read.conversation), FIELD("up_to", F_ID, dm_read.up_to)}},
    {PROTO_IN_PING, {{NULL, F_ID, 0}}},
};

/* The field each mod action needs beyond session and action (key NULL:
 * none). A key that belongs to another action is refused. */
static const struct fspec mod_extra[] = {
    [PROTO_MOD_NONE] = {NULL, F_ID, 0},
    [PROTO_MOD_MUTE] = FIELD("user", F_ID, mod.user),
    [PROTO_MOD_UNMUTE] = FIELD("user", F_ID, mod.user),
    [PROTO_MOD_REMOVE] = FIELD("user", F_ID, mod.user),
    [PROTO_MOD_REDACT] = FIELD("seq", F_ID, mod.seq),
    [PROTO_MOD_HIGHLIGHT] = FIELD("seq", F_ID, mod.seq),
    [PROTO_MOD_ANNOUNCE] = FIELD("text", F_TEXT, mod.text),
    [PROTO_MOD_PAUSE] = {NULL, F_ID, 0},
    [PROTO_MOD_RESUME_ROOM] = {NULL, F_ID, 0},
    [PROTO_MOD_EXTEND] = FIELD("minutes", F_MINUTES, mod.minutes),
    [PROTO_MOD_END] = {NULL, F_ID, 0},
};
#define N_ACTIONS (sizeof(mod_extra) / sizeof(mod_extra[0]))

/* Keys that some mod action takes; which one is allowed depends on action. */
static const char *const mod_keys[] = {"user", "seq", "text", "minutes"};

static const char *const phase_names[] = {
    [PROTO_PHASE_JOIN] = "join",
    [PROTO_PHASE_CLOSE] = "close",
};
#define N_PHASES (sizeof(phase_names) / sizeof(phase_names[0]))

/* Record the failure in *err and return its code. */
static int fail(struct proto_error *err, int code, const char *field)
{
	size_t k = 0;

	err->code = code;
	/* The name may be a client's unknown key: keep it printable ASCII and
	 * short, so that echoing it can neither break JSON nor flood a log. */
	for (; field && field[k] && k < sizeof(err->field) - 1; k++) {
		unsigned char c = (unsigned char)field[k];
		err->field[k] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	err->field[k] = '\0';
	return code;
}

/*
 * 1 when brackets outside strings nest deeper than max. Run before jansson so
 * that hostile nesting costs one linear scan, never recursion. Where the
 * bytes are valid JSON this depth is exactly jansson's; where they are not,
 * jansson stops at the first fault, which lies no deeper than this scan saw.
 */
int proto_json_too_deep(const char *buf, size_t len, int max)
{
	int depth = 0, in_str = 0;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				return 1;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

/* 1 when the JSON string j spells exactly name. A string with an embedded
 * NUL never matches, which strcmp on json_string_value would miss. */
static int str_is(const json_t *j, const char *name)
{
	size_t n = strlen(name);

	return json_is_string(j) && json_string_length(j) == n &&
	       memcmp(json_string_value(j), name, n) == 0;
}

static int get_int(const json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
	json_int_t i;

	if (!json_is_integer(v))
		return -1;
	i = json_integer_value(v);
	if (i < lo || i > hi)
		return -1;
	*out = (int64_t)i;
	return 0;
}

static int get_text(const json_t *v, struct proto_text *t)
{
	size_t len, chars = 0;
	int rc;

	if (!json_is_string(v))
		return PROTO_EBAD_FIELD;
	len = json_string_length(v);
	rc = proto_check_text(json_string_value(v), len, PROTO_TEXT_MAX, &chars);
	if (rc)
		return rc;
	t->ptr = malloc(len + 1);
	if (!t->ptr)
		return PROTO_ENOMEM;
	memcpy(t->ptr, json_string_value(v), len);
	t->ptr[len] = '\0';
	t->len = len;
	t->chars = chars;
	return PROTO_OK;
}

static int get_phase(const json_t *v, enum proto_phase *out)
{
	for (size_t i = 0; i < N_PHASES; i++) {
		if (str_is(v, phase_names[i])) {
			*out = (enum proto_phase)i;
			return 0;
		}
	}
	return -1;
}

static int get_action(const json_t *v, enum proto_mod_action *out)
{
	for (size_t i = PROTO_MOD_NONE + 1; i < N_ACTIONS; i++) {
		if (str_is(v, proto_mod_action_name((enum proto_mod_action)i))) {
			*out = (enum proto_mod_action)i;
			return 0;
		}
	}
	return -1;
}

/* Check one value against its spec and store it in *f. PROTO_OK, or the
 * code to refuse the frame with. The casts land on members of exactly the
 * type the spec names (see FIELD above). */
static int get_field(const json_t *v, const struct fspec *s, struct proto_frame *f)
{
	void *at = (char *)f + s->off;
	int64_t i = 0;

	switch (s->kind) {
	case F_ID:
		if (get_int(v, 1, PROTO_ID_MAX, &i) < 0)
			return PROTO_EBAD_FIELD;
		*(int64_t *)at = i;
		return PROTO_OK;
	case F_COUNT:
		if (get_int(v, 0, PROTO_ID_MAX, &i) < 0)
			return PROTO_EBAD_FIELD;
		*(int64_t *)at = i;
		return PROTO_OK;
	case F_MINUTES:
		if (get_int(v, 1, PROTO_EXTEND_MAX, &i) < 0)
			return PROTO_EBAD_FIELD;
		*(int *)at = (int)i;
		return PROTO_OK;
	case F_SCORE:
		if (get_int(v, 0, PROTO_SCORE_MAX, &i) < 0)
			return PROTO_EBAD_FIELD;
		*(int *)at = (int)i;
		return PROTO_OK;
	case F_BOOL:
		if (!json_is_boolean(v))
			return PROTO_EBAD_FIELD;
		*(bool *)at = json_is_true(v);
		return PROTO_OK;
	case F_CLIENT_ID:
		if (!json_is_string(v) ||
		    !proto_check_token(json_string_value(v), json_string_length(v),
				       PROTO_CLIENT_ID_MAX))
			return PROTO_EBAD_FIELD;
		memcpy(at, json_string_value(v), json_string_length(v) + 1);
		return PROTO_OK;
	case F_TEXT:
		return get_text(v, at);
	case F_PHASE:
		return get_phase(v, at) < 0 ? PROTO_EBAD_FIELD : PROTO_OK;
	case F_ACTION:
		return get_action(v, at) < 0 ? PROTO_EBAD_FIELD : PROTO_OK;
	}
	return PROTO_EINVAL;
}

/* Read the required field s from root into f. */
static int read_field(const json_t *root, const struct fspec *s, struct proto_frame *f,
		      struct proto_error *err)
{
	const json_t *v = json_object_get(root, s->key);
	int rc;

	if (!v)
		return fail(err, PROTO_EMISSING_FIELD, s->key);
	rc = get_field(v, s, f);
	return rc ? fail(err, rc, s->key) : PROTO_OK;
}

static int read_ref(const json_t *root, struct proto_error *err)
{
	const json_t *v = json_object_get(root, "ref");

	if (!v)
		return PROTO_OK;
	if (!json_is_string(v) ||
	    !proto_check_token(json_string_value(v), json_string_length(v), PROTO_REF_MAX))
		return fail(err, PROTO_EBAD_FIELD, "ref");
	memcpy(err->ref, json_string_value(v), json_string_length(v) + 1);
	return PROTO_OK;
}

static int read_type(const json_t *root, const struct tspec **t, struct proto_error *err)
{
	const json_t *v = json_object_get(root, "type");

	if (!v)
		return fail(err, PROTO_EMISSING_FIELD, "type");
	if (!json_is_string(v))
		return fail(err, PROTO_EBAD_FIELD, "type");
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		if (str_is(v, proto_in_type_name(frames[i].type))) {
			*t = &frames[i];
			err->type = frames[i].type;
			return PROTO_OK;
		}
	}
	return fail(err, PROTO_EUNKNOWN_TYPE, "type");
}

static int key_allowed(const struct tspec *t, const char *key)
{
	if (strcmp(key, "type") == 0 || strcmp(key, "ref") == 0)
		return 1;
	for (const struct fspec *s = t->fields; s->key; s++)
		if (strcmp(key, s->key) == 0)
			return 1;
	if (t->type == PROTO_IN_MOD)
		for (size_t i = 0; i < sizeof(mod_keys) / sizeof(mod_keys[0]); i++)
			if (strcmp(key, mod_keys[i]) == 0)
				return 1;
	return 0;
}

/* Refuse the first key, in the order sent, that this type does not have:
 * a misspelt optional key must not pass silently as absent. */
static int check_keys(json_t *root, const struct tspec *t, struct proto_error *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(root, key, v)
	{
		if (!key_allowed(t, key))
			return fail(err, PROTO_EUNKNOWN_FIELD, key);
	}
	return PROTO_OK;
}

/* The part of mod that depends on the action: the action's own field is
 * required, those of other actions are refused. */
static int read_mod_extra(const json_t *root, struct proto_frame *f, struct proto_error *err)
{
	const struct fspec *extra = &mod_extra[f->mod.action];

	for (size_t i = 0; i < sizeof(mod_keys) / sizeof(mod_keys[0]); i++) {
		if ((!extra->key || strcmp(extra->key, mod_keys[i]) != 0) &&
		    json_object_get(root, mod_keys[i]))
			return fail(err, PROTO_EUNKNOWN_FIELD, mod_keys[i]);
	}
	return extra->key ? read_field(root, extra, f, err) : PROTO_OK;
}

static int decode_object(json_t *root, struct proto_frame *out, struct proto_error *err)
{
	const struct tspec *t = NULL;
	int rc;

	if (!json_is_object(root))
		return fail(err, PROTO_EBAD_JSON, "");
	if ((rc = read_ref(root, err)) || (rc = read_type(root, &t, err)) ||
	    (rc = check_keys(root, t, err)))
		return rc;
	out->type = t->type;
	for (const struct fspec *s = t->fields; s->key; s++)
		if ((rc = read_field(root, s, out, err)))
			return rc;
	if (t->type == PROTO_IN_MOD)
		return read_mod_extra(root, out, err);
	return PROTO_OK;
}

int proto_decode(const char *buf, size_t len, struct proto_frame *out, struct proto_error *err)
{
	struct proto_error scratch;
	json_error_t jerr;
	json_t *root;
	int rc;

	if (!err)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	if (out)
		memset(out, 0, sizeof(*out));
	if (!out || (!buf && len))
		return fail(err, PROTO_EINVAL, "");
	if (len > PROTO_MAX_FRAME)
		return fail(err, PROTO_EFRAME_TOO_LARGE, "");
	if (len == 0 || proto_json_too_deep(buf, len, PROTO_MAX_DEPTH))
		return fail(err, PROTO_EBAD_JSON, "");
	/* NUL is allowed through jansson so that "\u0000" in a text is refused
	 * as bad_text like any other control character, and in a name as
	 * bad_field, rather than as unreadable JSON. */
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!root)
		return fail(err,
			    json_error_code(&jerr) == json_error_out_of_memory ? PROTO_ENOMEM
									       : PROTO_EBAD_JSON,
			    "");
	rc = decode_object(root, out, err);
	json_decref(root);
	if (rc) {
		proto_frame_free(out);
		return rc;
	}
	memcpy(out->ref, err->ref, sizeof(out->ref));
	return PROTO_OK;
}

void proto_frame_free(struct proto_frame *f)
{
	if (!f)
		return;
	if (f->type == PROTO_IN_SAY)
		free(f->say.text.ptr);
	else if (f->type == PROTO_IN_DM_SEND)
		free(f->dm_send.text.ptr);
	else if (f->type == PROTO_IN_MOD)
		free(f->mod.text.ptr);
	memset(f, 0, sizeof(*f));
}
