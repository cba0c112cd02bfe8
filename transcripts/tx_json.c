/*
 * tx_json.c — the canonical JSON form of a transcript (FORMAT.md), its
 * strict parser, and the SHA-256 seal over the canonical bytes.
 *
 * Canonical means one model has exactly one byte string: jansson sorts the
 * keys and prints compactly; we print every field every time (booleans
 * included) except the few documented as "present only when", and the
 * parser refuses anything the encoder would not have produced, so that
 * parse-then-encode reproduces the input bytes.
 */
#include "tx_int.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_NAME "hearth-transcript"
#define FORMAT_VERSION 1

#define CANON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS)

static const char *role_name(enum tx_role r)
{
	return r == TX_ROLE_FACILITATOR ? "facilitator" : "member";
}

/* ---- encoding ---------------------------------------------------------------- */

/*
 * Object builders that latch failure: json_pack would do, but its error
 * path does not tell OOM from a bad string, and we want TX_ENOMEM exact.
 */
static void put(json_t *o, const char *k, json_t *v, int *err)
{
	if (!v || json_object_set_new(o, k, v) != 0) {
		if (!*err)
			*err = TX_ENOMEM;
	}
}

static json_t *enc_person(const struct tx_person *p, int *err)
{
	json_t *o = json_object();
	if (!o) {
		*err = TX_ENOMEM;
		return NULL;
	}
	put(o, "id", json_integer(p->id), err);
	put(o, "role", json_string(role_name(p->role)), err);
	put(o, "erased", json_boolean(p->erased), err);
	/* The erased substitution lives in the JSON too, so a reader needs no rule. */
	put(o, "name", json_string(tx__display_name(p)), err);
	return o;
}

static json_t *enc_attendance(const struct tx_attendance *a, int *err)
{
	json_t *o = json_object(), *arr = json_array();
	if (!o || !arr) {
		json_decref(o);
		json_decref(arr);
		*err = TX_ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < a->n_intervals; i++) {
		json_t *iv = json_object();
		if (!iv || json_array_append_new(arr, iv) != 0) {
			*err = TX_ENOMEM;
			continue;
		}
		put(iv, "from", json_integer(a->intervals[i].from_ms), err);
		put(iv, "to", json_integer(a->intervals[i].to_ms), err);
	}
	put(o, "user", json_integer(a->user_id), err);
	put(o, "intervals", arr, err);
	return o;
}

static json_t *enc_entry(const struct tx_entry *e, int *err)
{
	json_t *o = json_object();
	if (!o) {
		*err = TX_ENOMEM;
		return NULL;
	}
	put(o, "type", json_string(tx__entry_name(e->type)), err);
	put(o, "at", json_integer(e->at_ms), err);
	switch (e->type) {
	case TX_ENTRY_MESSAGE:
	case TX_ENTRY_ANNOUNCEMENT:
		put(o, "seq", json_integer(e->seq), err);
		put(o, "author", json_integer(e->user_id), err);
		put(o, "redacted", json_boolean(e->redacted), err);
		put(o, "highlighted", json_boolean(e->highlighted), err);
		/* As with erased names: the placeholder is written, so a naive reader is right. */
		put(o, "text", json_string(e->text ? e->text : TX_REDACTED_TEXT), err);
		break;
	case TX_ENTRY_HIGHLIGHT:
		put(o, "user", json_integer(e->user_id), err);
		put(o, "seq", json_integer(e->seq), err);
		break;
	case TX_ENTRY_EXTENDED:
		put(o, "user", json_integer(e->user_id), err);
		put(o, "minutes", json_integer(e->minutes), err);
		break;
	case TX_ENTRY_OPENED:
	case TX_ENTRY_CLOSED:
		if (e->user_id)
			put(o, "user", json_integer(e->user_id), err);
		break;
	default:
		put(o, "user", json_integer(e->user_id), err);
		break;
	}
	return o;
}

static json_t *enc_list(const void *base, size_t n, size_t sz, json_t *(*enc)(const void *, int *),
			int *err)
{
	json_t *arr = json_array();
	if (!arr) {
		*err = TX_ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < n && !*err; i++) {
		json_t *v = enc((const char *)base + i * sz, err);
		if (!v || json_array_append_new(arr, v) != 0)
			*err = TX_ENOMEM;
	}
	return arr;
}

static json_t *enc_person_v(const void *p, int *err)
{
	return enc_person(p, err);
}
static json_t *enc_attendance_v(const void *p, int *err)
{
	return enc_attendance(p, err);
}
static json_t *enc_entry_v(const void *p, int *err)
{
	return enc_entry(p, err);
}

static json_t *enc_transcript(const struct tx_transcript *t, int *err)
{
	json_t *root = json_object(), *session = json_object(), *group = json_object(),
	       *zone = json_object(), *sched;
	if (!root || !session || !group || !zone) {
		json_decref(session);
		json_decref(group);
		json_decref(zone);
		*err = TX_ENOMEM;
		return root;
	}
	put(root, "format", json_string(FORMAT_NAME), err);
	put(root, "version", json_integer(FORMAT_VERSION), err);

	put(session, "id", json_integer(t->session_id), err);
	put(session, "opened", json_integer(t->opened_ms), err);
	put(session, "closed", json_integer(t->closed_ms), err);
	if (t->scheduled_start_ms) {
		sched = json_object();
		if (sched) {
			put(sched, "start", json_integer(t->scheduled_start_ms), err);
			put(sched, "end", json_integer(t->scheduled_end_ms), err);
		}
	} else {
		sched = json_null();
	}
	put(session, "scheduled", sched, err);
	put(root, "session", session, err);

	put(group, "id", json_integer(t->group_id), err);
	put(group, "name", json_string(t->group_name), err);
	put(root, "group", group, err);

	put(zone, "name", json_string(t->tz_name), err);
	put(zone, "offset_min", json_integer(t->tz_offset_min), err);
	put(root, "time_zone", zone, err);

	put(root, "people", enc_list(t->people, t->n_people, sizeof(*t->people), enc_person_v, err),
	    err);
	put(root, "attendance",
	    enc_list(t->attendance, t->n_attendance, sizeof(*t->attendance), enc_attendance_v, err),
	    err);
	put(root, "entries",
	    enc_list(t->entries, t->n_entries, sizeof(*t->entries), enc_entry_v, err), err);
	return root;
}

int tx_to_json_canonical(const struct tx_transcript *t, char **out, size_t *len)
{
	int err = tx_validate(t);
	if (err)
		return err;
	json_t *root = enc_transcript(t, &err);
	if (!root)
		return TX_ENOMEM;
	char *s = err ? NULL : json_dumps(root, CANON_FLAGS);
	json_decref(root);
	if (err)
		return err;
	if (!s)
		return TX_ENOMEM;
	*out = s;
	*len = strlen(s);
	return 0;
}

/* ---- decoding ---------------------------------------------------------------- */

/* Refuse keys the encoder never writes: they could not survive a round trip. */
static int only_keys(json_t *o, const char *const *allowed, size_t n)
{
	const char *k;
	json_t *v;
	if (!json_is_object(o))
		return TX_EPARSE;
	json_object_foreach(o, k, v)
	{
		size_t i = 0;
		while (i < n && strcmp(k, allowed[i]) != 0)
			i++;
		if (i == n)
			return TX_EPARSE;
	}
	return 0;
}
#define ONLY_KEYS(o, ...)                                                                          \
	only_keys((o), (const char *const[]){__VA_ARGS__},                                         \
		  sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static int get_int(json_t *o, const char *k, int64_t min, int64_t max, int64_t *out)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v))
		return TX_EPARSE;
	json_int_t i = json_integer_value(v);
	if (i < min || i > max)
		return TX_EPARSE;
	*out = (int64_t)i;
	return 0;
}

static int get_bool(json_t *o, const char *k, bool *out)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_boolean(v))
		return TX_EPARSE;
	*out = json_is_true(v);
	return 0;
}

/* A copy of string member k, at most max bytes; jansson has already checked UTF-8. */
static int get_str(json_t *o, const char *k, size_t max, char **out)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_string(v))
		return TX_EPARSE;
	if (json_string_length(v) > max)
		return TX_ETOOBIG;
	char *s = strdup(json_string_value(v));
	if (!s)
		return TX_ENOMEM;
	free(*out);
	*out = s;
	return 0;
}

static const int64_t MS_MAX = ((int64_t)1 << 53) - 1;

static int dec_person(json_t *o, struct tx_transcript *t)
{
	int64_t id;
	bool erased;
	char *name = NULL, *role = NULL;
	int err = ONLY_KEYS(o, "id", "role", "erased", "name");
	if (!err)
		err = get_int(o, "id", 1, MS_MAX, &id);
	if (!err)
		err = get_bool(o, "erased", &erased);
	if (!err)
		err = get_str(o, "role", 16, &role);
	if (!err)
		err = get_str(o, "name", TX_MAX_NAME_BYTES, &name);
	if (!err && strcmp(role, "member") != 0 && strcmp(role, "facilitator") != 0)
		err = TX_EPARSE;
	/* An erased person's name is the fixed text and nothing else. */
	if (!err && erased && strcmp(name, TX_ERASED_NAME) != 0)
		err = TX_EPARSE;
	if (!err)
		err = tx_add_person(
		    t, id, strcmp(role, "facilitator") == 0 ? TX_ROLE_FACILITATOR : TX_ROLE_MEMBER,
		    erased ? NULL : name);
	free(name);
	free(role);
	return err;
}

static int dec_attendance(json_t *o, struct tx_transcript *t)
{
	int64_t user;
	json_t *arr = json_object_get(o, "intervals");
	int err = ONLY_KEYS(o, "user", "intervals");
	if (!err)
		err = get_int(o, "user", 1, MS_MAX, &user);
	if (!err && (!json_is_array(arr) || json_array_size(arr) == 0))
		err = TX_EPARSE;
	if (!err && json_array_size(arr) > TX_MAX_INTERVALS)
		err = TX_ETOOBIG;
	for (size_t i = 0; !err && i < t->n_attendance; i++)
		if (t->attendance[i].user_id == user)
			err = TX_EPARSE;
	for (size_t i = 0; !err && i < json_array_size(arr); i++) {
		json_t *iv = json_array_get(arr, i);
		int64_t from, to;
		err = ONLY_KEYS(iv, "from", "to");
		if (!err)
			err = get_int(iv, "from", 1, MS_MAX, &from);
		if (!err)
			err = get_int(iv, "to", 1, MS_MAX, &to);
		if (!err)
			err = tx_add_presence(t, user, from, to);
	}
	return err;
}

static int entry_type(json_t *o, enum tx_entry_type *type)
{
	const char *s = json_string_value(json_object_get(o, "type"));
	for (int i = 0; s && i <= TX_ENTRY_EXTENDED; i++)
		if (strcmp(s, tx__entry_name((enum tx_entry_type)i)) == 0) {
			*type = (enum tx_entry_type)i;
			return 0;
		}
	return TX_EPARSE;
}

static int dec_message(json_t *o, enum tx_entry_type type, int64_t at, struct tx_transcript *t)
{
	int64_t seq, author;
	bool redacted, highlighted;
	char *text = NULL;
	int err = ONLY_KEYS(o, "type", "at", "seq", "author", "redacted", "highlighted", "text");
	if (!err)
		err = get_int(o, "seq", 1, MS_MAX, &seq);
	if (!err)
		err = get_int(o, "author", 1, MS_MAX, &author);
	if (!err)
		err = get_bool(o, "redacted", &redacted);
	if (!err)
		err = get_bool(o, "highlighted", &highlighted);
	if (!err)
		err = get_str(o, "text", TX_MAX_TEXT_BYTES, &text);
	/* A redacted message's text is the placeholder and nothing else. */
	if (!err && redacted && strcmp(text, TX_REDACTED_TEXT) != 0)
		err = TX_EPARSE;
	if (!err)
		err = tx_add_message(t, seq, at, author, redacted ? NULL : text, highlighted,
				     type == TX_ENTRY_ANNOUNCEMENT);
	free(text);
	return err;
}

static int dec_entry(json_t *o, struct tx_transcript *t)
{
	enum tx_entry_type type;
	int64_t at, user = 0, arg = 0;
	int err = json_is_object(o) ? entry_type(o, &type) : TX_EPARSE;
	if (!err)
		err = get_int(o, "at", 1, MS_MAX, &at);
	if (err)
		return err;
	switch (type) {
	case TX_ENTRY_MESSAGE:
	case TX_ENTRY_ANNOUNCEMENT:
		return dec_message(o, type, at, t);
	case TX_ENTRY_HIGHLIGHT:
		err = ONLY_KEYS(o, "type", "at", "user", "seq");
		if (!err)
			err = get_int(o, "seq", 1, MS_MAX, &arg);
		break;
	case TX_ENTRY_EXTENDED:
		err = ONLY_KEYS(o, "type", "at", "user", "minutes");
		if (!err)
			err = get_int(o, "minutes", 1, TX_MAX_EXTEND_MIN, &arg);
		break;
	default:
		err = ONLY_KEYS(o, "type", "at", "user");
		break;
	}
	bool optional_user = type == TX_ENTRY_OPENED || type == TX_ENTRY_CLOSED;
	if (!err && (!optional_user || json_object_get(o, "user")))
		err = get_int(o, "user", 1, MS_MAX, &user);
	if (!err)
		err = tx_add_event(t, type, at, user, arg);
	return err;
}

static int dec_header(json_t *root, struct tx_transcript *t)
{
	json_t *session = json_object_get(root, "session"), *group = json_object_get(root, "group"),
	       *zone = json_object_get(root, "time_zone"), *sched;
	int64_t version, offset;
	const char *format = json_string_value(json_object_get(root, "format"));
	int err = ONLY_KEYS(root, "format", "version", "session", "group", "time_zone", "people",
			    "attendance", "entries");
	if (!err && (!format || strcmp(format, FORMAT_NAME) != 0))
		err = TX_EPARSE;
	if (!err)
		err = get_int(root, "version", FORMAT_VERSION, FORMAT_VERSION, &version);
	if (!err)
		err = ONLY_KEYS(session, "id", "opened", "closed", "scheduled");
	if (!err)
		err = get_int(session, "id", 1, MS_MAX, &t->session_id);
	if (!err)
		err = get_int(session, "opened", 1, MS_MAX, &t->opened_ms);
	if (!err)
		err = get_int(session, "closed", 1, MS_MAX, &t->closed_ms);
	sched = json_object_get(session, "scheduled");
	if (!err && !json_is_null(sched)) {
		err = ONLY_KEYS(sched, "start", "end");
		if (!err)
			err = get_int(sched, "start", 1, MS_MAX, &t->scheduled_start_ms);
		if (!err)
			err = get_int(sched, "end", 1, MS_MAX, &t->scheduled_end_ms);
	}
	if (!err)
		err = ONLY_KEYS(group, "id", "name");
	if (!err)
		err = get_int(group, "id", 1, MS_MAX, &t->group_id);
	if (!err)
		err = get_str(group, "name", TX_MAX_NAME_BYTES, &t->group_name);
	if (!err)
		err = ONLY_KEYS(zone, "name", "offset_min");
	if (!err)
		err = get_str(zone, "name", TX_MAX_TZ_BYTES, &t->tz_name);
	if (!err)
		err = get_int(zone, "offset_min", -TX_MAX_OFFSET_MIN, TX_MAX_OFFSET_MIN, &offset);
	if (!err)
		t->tz_offset_min = (int)offset;
	return err;
}

/* Run dec on every element of array member k, refusing more than max. */
static int dec_list(json_t *root, const char *k, size_t max, struct tx_transcript *t,
		    int (*dec)(json_t *, struct tx_transcript *))
{
	json_t *arr = json_object_get(root, k), *v;
	size_t i;
	if (!json_is_array(arr))
		return TX_EPARSE;
	if (json_array_size(arr) > max)
		return TX_ETOOBIG;
	json_array_foreach(arr, i, v)
	{
		int err = dec(v, t);
		if (err)
			return err;
	}
	return 0;
}

static int dec_person_v(json_t *o, struct tx_transcript *t)
{
	return json_is_object(o) ? dec_person(o, t) : TX_EPARSE;
}
static int dec_attendance_v(json_t *o, struct tx_transcript *t)
{
	return json_is_object(o) ? dec_attendance(o, t) : TX_EPARSE;
}

int tx_from_json(const char *json, size_t len, struct tx_transcript **out)
{
	json_error_t jerr;
	json_t *root;
	struct tx_transcript *t;
	int err;

	if (!json)
		return TX_EPARSE;
	if (len > TX_MAX_JSON_BYTES)
		return TX_ETOOBIG;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return json_error_code(&jerr) == json_error_out_of_memory ? TX_ENOMEM : TX_EPARSE;
	t = tx_transcript_new();
	err = t ? 0 : TX_ENOMEM;
	if (!err)
		err = dec_header(root, t);
	if (!err)
		err = dec_list(root, "people", TX_MAX_PEOPLE, t, dec_person_v);
	if (!err)
		err = dec_list(root, "attendance", TX_MAX_PEOPLE, t, dec_attendance_v);
	if (!err)
		err = dec_list(root, "entries", TX_MAX_ENTRIES, t, dec_entry);
	json_decref(root);
	/* Whatever the schema let through must still be a model we would encode. */
	if (!err) {
		err = tx_validate(t);
		if (err == TX_EINVAL)
			err = TX_EPARSE;
	}
	if (err) {
		tx_transcript_free(t);
		/* Builders report a duplicate id as TX_EINVAL: to a reader it is bad input. */
		return err == TX_EINVAL ? TX_EPARSE : err;
	}
	*out = t;
	return 0;
}

/* ---- seal ------------------------------------------------------------------- */

static int digest(const char *canon, size_t len, unsigned char md[32])
{
	unsigned int n = 0;
	if (!EVP_Digest(canon, len, md, &n, EVP_sha256(), NULL) || n != 32)
		return TX_ECRYPTO;
	return 0;
}

int tx_seal(const char *canon, size_t len, char out_hex[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	int err = digest(canon, len, md);
	if (err)
		return err;
	for (size_t i = 0; i < 32; i++) {
		out_hex[2 * i] = hex[md[i] >> 4];
		out_hex[2 * i + 1] = hex[md[i] & 15];
	}
	out_hex[64] = '\0';
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int tx_verify(const char *canon, size_t len, const char *hex)
{
	unsigned char want[32], md[32];
	if (!canon || !hex)
		return TX_ESEAL;
	for (size_t i = 0; i < 32; i++) {
		int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return TX_ESEAL;
		want[i] = (unsigned char)(hi << 4 | lo);
	}
	if (hex[64] != '\0')
		return TX_ESEAL;
	int err = digest(canon, len, md);
	if (err)
		return err;
	return CRYPTO_memcmp(want, md, 32) == 0 ? 0 : TX_ESEAL;
}
