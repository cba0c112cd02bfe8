/*
 * fuzz_proto.c — libFuzzer target for the wire codec: any bytes go to
 * proto_decode(), which must neither crash nor leak, and whose answer must
 * keep the contract's promises:
 *   - a refusal carries a code with a wire name, a printable field name and
 *     a ref that is a valid token, and always encodes as an error frame;
 *   - an accepted frame holds only values the contract allows, and its text
 *     (if any) encodes into a server frame that reads back byte for byte.
 * A broken promise aborts, which the fuzzer reports like a crash.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static int id_ok(int64_t id)
{
	return id >= 1 && id <= PROTO_ID_MAX;
}

/* The oracles below re-state the contract's rules independently of the
 * codec's own checkers, so a bug in a checker cannot hide itself. */
static int token_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n < 1 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
			    s[i]))
			return 0;
	return 1;
}

/* Code points in s (valid UTF-8, as the re-parse below proves), or 0 when
 * one is a control character the text rules refuse. Sets *ascii_blank when
 * every character is an ASCII space, tab or newline. */
static size_t count_allowed(const unsigned char *s, size_t len, int *ascii_blank)
{
	size_t n = 0;

	*ascii_blank = 1;
	for (size_t i = 0; i < len; n++) {
		unsigned c = s[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				return 0;
			if (c != ' ' && c != '\t' && c != '\n')
				*ascii_blank = 0;
			i++;
			continue;
		}
		*ascii_blank = 0;
		/* U+0080..U+009F is C2 80..C2 9F */
		if (c == 0xc2 && i + 1 < len && s[i + 1] <= 0x9f)
			return 0;
		i += c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	}
	return n;
}

/* A text the decoder accepted passes the checker again and survives a trip
 * through the encoder and a JSON parser unchanged. */
static void check_text(const struct proto_text *t)
{
	struct proto_out m = {.type = PROTO_OUT_MSG};
	size_t chars = 0, len = 0;
	char *buf = NULL;
	json_t *j;
	int rc, blank;

	CHECK(t->ptr && t->len > 0 && t->ptr[t->len] == '\0');
	CHECK(strlen(t->ptr) == t->len);
	CHECK(t->chars >= 1 && t->chars <= PROTO_TEXT_MAX);
	CHECK(proto_check_text(t->ptr, t->len, PROTO_TEXT_MAX, &chars) == PROTO_OK);
	CHECK(chars == t->chars);
	CHECK(count_allowed((const unsigned char *)t->ptr, t->len, &blank) == t->chars);
	CHECK(!blank);

	m.msg.session = 1;
	m.msg.seq = 1;
	m.msg.author = (struct proto_person){1, "fuzz"};
	m.msg.text = t->ptr;
	m.msg.text_len = t->len;
	rc = proto_encode(&m, 16, &buf, &len);
	if (rc == PROTO_ENOMEM)
		return;
	CHECK(rc == PROTO_OK);
	j = json_loadb(buf + 16, len, JSON_REJECT_DUPLICATES, NULL);
	CHECK(j != NULL);
	CHECK(json_string_length(json_object_get(j, "text")) == t->len);
	CHECK(memcmp(json_string_value(json_object_get(j, "text")), t->ptr, t->len) == 0);
	json_decref(j);
	free(buf);
}

static void check_frame(const struct proto_frame *f)
{
	CHECK(f->ref[0] == '\0' || token_ok(f->ref, PROTO_REF_MAX));
	switch (f->type) {
	case PROTO_IN_JOIN:
		CHECK(id_ok(f->join.session));
		break;
	case PROTO_IN_LEAVE:
		CHECK(id_ok(f->leave.session));
		break;
	case PROTO_IN_SAY:
		CHECK(id_ok(f->say.session));
		CHECK(token_ok(f->say.client_id, PROTO_CLIENT_ID_MAX));
		check_text(&f->say.text);
		break;
	case PROTO_IN_TYPING:
		CHECK(id_ok(f->typing.session));
		break;
	case PROTO_IN_RESUME:
		CHECK(id_ok(f->resume.session));
		CHECK(f->resume.since_seq >= 0 && f->resume.since_seq <= PROTO_ID_MAX);
		break;
	case PROTO_IN_MOD:
		CHECK(id_ok(f->mod.session));
		CHECK(*proto_mod_action_name(f->mod.action));
		CHECK(f->mod.user == 0 || id_ok(f->mod.user));
		CHECK(f->mod.seq == 0 || id_ok(f->mod.seq));
		CHECK(f->mod.minutes >= 0 && f->mod.minutes <= PROTO_EXTEND_MAX);
		CHECK((f->mod.action == PROTO_MOD_EXTEND) == (f->mod.minutes > 0));
		CHECK((f->mod.action == PROTO_MOD_ANNOUNCE) == (f->mod.text.ptr != NULL));
		if (f->mod.text.ptr)
			check_text(&f->mod.text);
		break;
	case PROTO_IN_CHECKIN:
		CHECK(id_ok(f->checkin.session));
		CHECK(f->checkin.phase == PROTO_PHASE_JOIN ||
		      f->checkin.phase == PROTO_PHASE_CLOSE);
		CHECK(f->checkin.score >= 0 && f->checkin.score <= PROTO_SCORE_MAX);
		break;
	case PROTO_IN_DM_SEND:
		CHECK(id_ok(f->dm_send.conversation));
		CHECK(token_ok(f->dm_send.client_id, PROTO_CLIENT_ID_MAX));
		check_text(&f->dm_send.text);
		break;
	case PROTO_IN_DM_READ:
		CHECK(id_ok(f->dm_read.conversation));
		CHECK(id_ok(f->dm_read.up_to));
		break;
	case PROTO_IN_PING:
		break;
	case PROTO_IN_NONE:
	default:
		CHECK(0);
	}
}

/* Every refusal can be told to the client. */
static void check_error(int rc, const struct proto_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	json_t *j;
	int e;

	CHECK(rc < 0 && err->code == rc);
	CHECK(rc == PROTO_ENOMEM || rc > PROTO_E__END);
	CHECK(strlen(err->field) < PROTO_FIELD_MAX);
	for (const char *p = err->field; *p; p++)
		CHECK(*p >= 0x20 && *p < 0x7f);
	CHECK(err->ref[0] == '\0' || token_ok(err->ref, PROTO_REF_MAX));

	e = proto_encode_error(err->code, NULL, err->ref, err->field, 16, &buf, &len);
	if (e == PROTO_ENOMEM)
		return;
	CHECK(e == PROTO_OK && buf && len > 0);
	j = json_loadb(buf + 16, len, JSON_REJECT_DUPLICATES, NULL);
	CHECK(j != NULL);
	CHECK(strcmp(json_string_value(json_object_get(j, "code")), proto_error_code(rc)) == 0);
	if (err->ref[0])
		CHECK(strcmp(json_string_value(json_object_get(j, "ref")), err->ref) == 0);
	else
		CHECK(json_object_get(j, "ref") == NULL);
	json_decref(j);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_frame f;
	struct proto_error err;
	int rc = proto_decode((const char *)data, size, &f, &err);

	if (rc == PROTO_OK)
		check_frame(&f);
	else
		check_error(rc, &err);
	proto_frame_free(&f);
	return 0;
}
