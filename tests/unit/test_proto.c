/*
 * test_proto.c — the wire codec (protocol/): every client frame decoded,
 * every refusal the contract names, every server frame encoded and read
 * back with jansson, and the error table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define HEAD 16 /* like LWS_PRE */

/* ---- decoding: helpers ---- */

static void decode_ok(const char *json, struct proto_frame *f)
{
	struct proto_error err;
	int rc = proto_decode(json, strlen(json), f, &err);

	if (rc != PROTO_OK)
		fail_msg("%s: %s (field '%s')", json, proto_error_code(rc), err.field);
	assert_int_equal(err.code, 0);
}

static int decode_str(const char *json, struct proto_frame *f, struct proto_error *err)
{
	return proto_decode(json, strlen(json), f, err);
}

/* Build {"type":"say","session":1,"client_id":"c","text":"<n copies of unit>"}. */
static char *say_with_text(const char *unit, size_t n, size_t *len)
{
	static const char pre[] = "{\"type\":\"say\",\"session\":1,\"client_id\":\"c\",\"text\":\"";
	static const char post[] = "\"}";
	size_t ul = strlen(unit), total = sizeof(pre) - 1 + ul * n + sizeof(post) - 1;
	char *s = malloc(total + 1), *p = s;

	assert_non_null(s);
	memcpy(p, pre, sizeof(pre) - 1);
	p += sizeof(pre) - 1;
	for (size_t i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, post, sizeof(post));
	*len = total;
	return s;
}

/* ---- decoding: good frames ---- */

static void decode_join_leave_ping(void **state)
{
	struct proto_frame f;

	(void)state;
	decode_ok("{\"type\":\"join\",\"session\":42}", &f);
	assert_int_equal(f.type, PROTO_IN_JOIN);
	assert_int_equal(f.join.session, 42);
	assert_string_equal(f.ref, "");
	proto_frame_free(&f);

	decode_ok(" {\"session\": 9007199254740992, \"type\": \"leave\"} ", &f);
	assert_int_equal(f.type, PROTO_IN_LEAVE);
	assert_true(f.leave.session == PROTO_ID_MAX);
	proto_frame_free(&f);

	decode_ok("{\"type\":\"ping\",\"ref\":\"p-1_Z\"}", &f);
	assert_int_equal(f.type, PROTO_IN_PING);
	assert_string_equal(f.ref, "p-1_Z");
	proto_frame_free(&f);
}

static void decode_say(void **state)
{
	struct proto_frame f;

	(void)state;
	decode_ok("{\"type\":\"say\",\"session\":7,\"client_id\":\"c-123_abc\","
		  "\"text\":\"Hello \\u00e9\\n\\tthere [[{{\",\"ref\":\"r9\"}",
		  &f);
	assert_int_equal(f.type, PROTO_IN_SAY);
	assert_int_equal(f.say.session, 7);
	assert_string_equal(f.say.client_id, "c-123_abc");
	assert_string_equal(f.say.text.ptr, "Hello \xc3\xa9\n\tthere [[{{");
	assert_int_equal(f.say.text.len, strlen("Hello \xc3\xa9\n\tthere [[{{"));
	assert_int_equal(f.say.text.chars, 19);
	assert_string_equal(f.ref, "r9");
	proto_frame_free(&f);
	assert_null(f.say.text.ptr);
	proto_frame_free(&f); /* twice is harmless */

	/* a surrogate pair escape becomes one 4-byte code point */
	decode_ok(
	    "{\"type\":\"say\",\"session\":1,\"client_id\":\"x\",\"text\":\"\\ud83d\\ude00\"}", &f);
	assert_string_equal(f.say.text.ptr, "\xf0\x9f\x98\x80");
	assert_int_equal(f.say.text.chars, 1);
	proto_frame_free(&f);

	/* 64-byte client_id is the most allowed */
	decode_ok("{\"type\":\"say\",\"session\":1,\"client_id\":"
		  "\"0123456789012345678901234567890123456789012345678901234567890123\","
		  "\"text\":\" x \"}",
		  &f);
	assert_int_equal(strlen(f.say.client_id), 64);
	assert_string_equal(f.say.text.ptr, " x ");
	proto_frame_free(&f);
}

static void decode_typing_resume(void **state)
{
	struct proto_frame f;

	(void)state;
	decode_ok("{\"type\":\"typing\",\"session\":3,\"on\":true}", &f);
	assert_int_equal(f.type, PROTO_IN_TYPING);
	assert_int_equal(f.typing.session, 3);
	assert_true(f.typing.on);
	proto_frame_free(&f);
	decode_ok("{\"type\":\"typing\",\"session\":3,\"on\":false}", &f);
	assert_false(f.typing.on);
	proto_frame_free(&f);

	decode_ok("{\"type\":\"resume\",\"session\":3,\"since_seq\":0}", &f);
	assert_int_equal(f.type, PROTO_IN_RESUME);
	assert_int_equal(f.resume.since_seq, 0);
	proto_frame_free(&f);
	decode_ok("{\"type\":\"resume\",\"session\":3,\"since_seq\":1234}", &f);
	assert_int_equal(f.resume.since_seq, 1234);
	proto_frame_free(&f);
}

static void decode_mod_actions(void **state)
{
	static const struct {
		const char *json;
		enum proto_mod_action action;
		int64_t user, seq;
		int minutes;
		const char *text;
	} cases[] = {
	    {"{\"type\":\"mod\",\"session\":5,\"action\":\"mute\",\"user\":11}", PROTO_MOD_MUTE, 11,
	     0, 0, NULL},
	    {"{\"type\":\"mod\",\"session\":5,\"action\":\"unmute\",\"user\":11}", PROTO_MOD_UNMUTE,
	     11, 0, 0, NULL},
	    {"{\"type\":\"mod\",\"session\":5,\"action\":\"remove\",\"user\":12}", PROTO_MOD_REMOVE,
	     12, 0, 0, NULL},
	    {"{\"type\":\"mod\",\"session\":5,\"action\":\"redact\",\"seq\":3}", PROTO_MOD_REDACT,
	     0, 3, 0, NULL},
	    {"{\"type\":\"mod\",\"session\":5,\"action\":\"highlight\",\"seq\":4}",
	     PROTO_MOD_HIGHLIGHT, 0, 4, 0, NULL},
	    {"{\"type\":\"mod\",\"session\":5,\"action\":\"announce\",\"text\":\"Ten minutes "
	     "left.\"}",
	     PROTO_MOD_ANNOUNCE, 0, 0, 0, "Ten minutes left."},
	    {"{\"type\":\"mod\",\"session\":5,\"action\":\"pause\"}", PROTO_MOD_PAUSE, 0, 0, 0,
	     NULL},
	    {"{\"type\":\"mod\",\"session\":5,\"action\":\"resume_room\"}", PROTO_MOD_RESUME_ROOM,
	     0, 0, 0, NULL},
	    {"{\"type\":\"mod\",\"session\":5,\"action\":\"extend\",\"minutes\":1}",
	     PROTO_MOD_EXTEND, 0, 0, 1, NULL},
	    {"{\"type\":\"mod\",\"session\":5,\"action\":\"extend\",\"minutes\":15}",
	     PROTO_MOD_EXTEND, 0, 0, 15, NULL},
	    {"{\"type\":\"mod\",\"session\":5,\"action\":\"end\",\"ref\":\"e\"}", PROTO_MOD_END, 0,
	     0, 0, NULL},
	};

	(void)state;
	for (size_t i = 0; i < N_OF(cases); i++) {
		struct proto_frame f;

		decode_ok(cases[i].json, &f);
		assert_int_equal(f.type, PROTO_IN_MOD);
		assert_int_equal(f.mod.session, 5);
		assert_int_equal(f.mod.action, cases[i].action);
		assert_string_equal(proto_mod_action_name(f.mod.action),
				    proto_mod_action_name(cases[i].action));
		assert_int_equal(f.mod.user, cases[i].user);
		assert_int_equal(f.mod.seq, cases[i].seq);
		assert_int_equal(f.mod.minutes, cases[i].minutes);
		if (cases[i].text)
			assert_string_equal(f.mod.text.ptr, cases[i].text);
		else
			assert_null(f.mod.text.ptr);
		proto_frame_free(&f);
	}
}

static void decode_checkin_dm(void **state)
{
	struct proto_frame f;

	(void)state;
	decode_ok("{\"type\":\"checkin\",\"session\":2,\"phase\":\"join\",\"score\":0}", &f);
	assert_int_equal(f.type, PROTO_IN_CHECKIN);
	assert_int_equal(f.checkin.phase, PROTO_PHASE_JOIN);
	assert_int_equal(f.checkin.score, 0);
	proto_frame_free(&f);
	decode_ok("{\"type\":\"checkin\",\"session\":2,\"phase\":\"close\",\"score\":10}", &f);
	assert_int_equal(f.checkin.phase, PROTO_PHASE_CLOSE);
	assert_int_equal(f.checkin.score, 10);
	proto_frame_free(&f);

	decode_ok("{\"type\":\"dm_send\",\"conversation\":8,\"client_id\":\"d1\","
		  "\"text\":\"Thinking of you \xf0\x9f\x92\x99\"}",
		  &f);
	assert_int_equal(f.type, PROTO_IN_DM_SEND);
	assert_int_equal(f.dm_send.conversation, 8);
	assert_string_equal(f.dm_send.client_id, "d1");
	assert_string_equal(f.dm_send.text.ptr, "Thinking of you \xf0\x9f\x92\x99");
	assert_int_equal(f.dm_send.text.chars, 17);
	proto_frame_free(&f);

	decode_ok("{\"type\":\"dm_read\",\"conversation\":8,\"up_to\":120}", &f);
	assert_int_equal(f.type, PROTO_IN_DM_READ);
	assert_int_equal(f.dm_read.conversation, 8);
	assert_int_equal(f.dm_read.up_to, 120);
	proto_frame_free(&f);
}

/* ---- decoding: refusals ---- */

#define SAY_PRE "{\"type\":\"say\",\"session\":1,\"client_id\":\"c\",\"text\":"
#define MOD_PRE "{\"type\":\"mod\",\"session\":1,"

static const struct bad_case {
	const char *json;
	int code;
	const char *field;
} bad_cases[] = {
    /* not a JSON object */
    {"", PROTO_EBAD_JSON, ""},
    {"{", PROTO_EBAD_JSON, ""},
    {"null", PROTO_EBAD_JSON, ""},
    {"42", PROTO_EBAD_JSON, ""},
    {"\"ping\"", PROTO_EBAD_JSON, ""},
    {"[{\"type\":\"ping\"}]", PROTO_EBAD_JSON, ""},
    {"{\"type\":\"ping\"} {}", PROTO_EBAD_JSON, ""},
    {"{\"type\":\"ping\",}", PROTO_EBAD_JSON, ""},
    {"{'type':'ping'}", PROTO_EBAD_JSON, ""},
    /* duplicate keys, at the top and nested */
    {"{\"type\":\"join\",\"session\":1,\"session\":2}", PROTO_EBAD_JSON, ""},
    {"{\"type\":\"ping\",\"type\":\"ping\"}", PROTO_EBAD_JSON, ""},
    {"{\"type\":\"join\",\"session\":{\"a\":1,\"a\":1}}", PROTO_EBAD_JSON, ""},
    /* nesting: 8 levels reach the field check, 9 do not reach jansson */
    {"{\"type\":\"join\",\"session\":[[[[[[[1]]]]]]]}", PROTO_EBAD_FIELD, "session"},
    {"{\"type\":\"join\",\"session\":[[[[[[[[1]]]]]]]]}", PROTO_EBAD_JSON, ""},
    {"{\"type\":\"join\",\"session\":[[[[[[[[", PROTO_EBAD_JSON, ""},
    {"{\"type\":\"join\",\"x\":\"]]]]]]]]]]\",\"session\":[[[[[[[[1]]]]]]]]}", PROTO_EBAD_JSON, ""},
    /* invalid UTF-8 and bad escapes */
    {SAY_PRE "\"\xff\"}", PROTO_EBAD_JSON, ""},
    {SAY_PRE "\"\xc0\xaf\"}", PROTO_EBAD_JSON, ""},
    {SAY_PRE "\"\xed\xa0\x80\"}", PROTO_EBAD_JSON, ""},
    {SAY_PRE "\"\xf4\x90\x80\x80\"}", PROTO_EBAD_JSON, ""},
    {SAY_PRE "\"ab\xe2\x82\"}", PROTO_EBAD_JSON, ""},
    {SAY_PRE "\"\\ud800\"}", PROTO_EBAD_JSON, ""},
    {SAY_PRE "\"\\x41\"}", PROTO_EBAD_JSON, ""},
    {"{\"type\":\"ping\",\"\xc3\":1}", PROTO_EBAD_JSON, ""},
    {"{\"type\":\"ping\",\"a\\u0000b\":1}", PROTO_EBAD_JSON, ""},
    /* ref */
    {"{\"type\":\"ping\",\"ref\":\"\"}", PROTO_EBAD_FIELD, "ref"},
    {"{\"type\":\"ping\",\"ref\":7}", PROTO_EBAD_FIELD, "ref"},
    {"{\"type\":\"nope\",\"ref\":\"\"}", PROTO_EBAD_FIELD, "ref"},
    {"{\"ref\":\"a.b\"}", PROTO_EBAD_FIELD, "ref"},
    {"{\"type\":\"ping\",\"ref\":\"a b\"}", PROTO_EBAD_FIELD, "ref"},
    {"{\"type\":\"ping\",\"ref\":"
     "\"01234567890123456789012345678901234567890123456789012345678901234\"}",
     PROTO_EBAD_FIELD, "ref"},
    /* type */
    {"{}", PROTO_EMISSING_FIELD, "type"},
    {"{\"session\":1}", PROTO_EMISSING_FIELD, "type"},
    {"{\"type\":1}", PROTO_EBAD_FIELD, "type"},
    {"{\"type\":null}", PROTO_EBAD_FIELD, "type"},
    {"{\"type\":\"shout\"}", PROTO_EUNKNOWN_TYPE, "type"},
    {"{\"type\":\"\"}", PROTO_EUNKNOWN_TYPE, "type"},
    {"{\"type\":\"PING\"}", PROTO_EUNKNOWN_TYPE, "type"},
    {"{\"type\":\"ping\\u0000\"}", PROTO_EUNKNOWN_TYPE, "type"},
    {"{\"type\":\"msg\"}", PROTO_EUNKNOWN_TYPE, "type"},
    /* unknown fields */
    {"{\"type\":\"ping\",\"sesion\":1}", PROTO_EUNKNOWN_FIELD, "sesion"},
    {"{\"type\":\"join\",\"session\":1,\"text\":\"hi\"}", PROTO_EUNKNOWN_FIELD, "text"},
    {"{\"type\":\"join\",\"Session\":1}", PROTO_EUNKNOWN_FIELD, "Session"},
    {"{\"type\":\"ping\",\"\\u00e9t\\u00e9\":1}", PROTO_EUNKNOWN_FIELD, "??t??"},
    {"{\"type\":\"typing\",\"session\":1,\"on\":true,\"user\":3}", PROTO_EUNKNOWN_FIELD, "user"},
    /* join / leave */
    {"{\"type\":\"join\"}", PROTO_EMISSING_FIELD, "session"},
    {"{\"type\":\"leave\"}", PROTO_EMISSING_FIELD, "session"},
    {"{\"type\":\"join\",\"session\":\"1\"}", PROTO_EBAD_FIELD, "session"},
    {"{\"type\":\"join\",\"session\":0}", PROTO_EBAD_FIELD, "session"},
    {"{\"type\":\"join\",\"session\":-1}", PROTO_EBAD_FIELD, "session"},
    {"{\"type\":\"join\",\"session\":1.5}", PROTO_EBAD_FIELD, "session"},
    {"{\"type\":\"join\",\"session\":1.0}", PROTO_EBAD_FIELD, "session"},
    {"{\"type\":\"join\",\"session\":1e3}", PROTO_EBAD_FIELD, "session"},
    {"{\"type\":\"join\",\"session\":9007199254740993}", PROTO_EBAD_FIELD, "session"},
    {"{\"type\":\"join\",\"session\":true}", PROTO_EBAD_FIELD, "session"},
    {"{\"type\":\"join\",\"session\":null}", PROTO_EBAD_FIELD, "session"},
    {"{\"type\":\"join\",\"session\":[1]}", PROTO_EBAD_FIELD, "session"},
    {"{\"type\":\"leave\",\"session\":{}}", PROTO_EBAD_FIELD, "session"},
    {"{\"type\":\"join\",\"session\":99999999999999999999999}", PROTO_EBAD_JSON, ""},
    /* say */
    {"{\"type\":\"say\",\"client_id\":\"c\",\"text\":\"hi\"}", PROTO_EMISSING_FIELD, "session"},
    {"{\"type\":\"say\",\"session\":1,\"text\":\"hi\"}", PROTO_EMISSING_FIELD, "client_id"},
    {"{\"type\":\"say\",\"session\":1,\"client_id\":\"c\"}", PROTO_EMISSING_FIELD, "text"},
    {"{\"type\":\"say\",\"session\":1,\"client_id\":\"\",\"text\":\"hi\"}", PROTO_EBAD_FIELD,
     "client_id"},
    {"{\"type\":\"say\",\"session\":1,\"client_id\":"
     "\"01234567890123456789012345678901234567890123456789012345678901234\","
     "\"text\":\"hi\"}",
     PROTO_EBAD_FIELD, "client_id"},
    {"{\"type\":\"say\",\"session\":1,\"client_id\":\"a b\",\"text\":\"hi\"}", PROTO_EBAD_FIELD,
     "client_id"},
    {"{\"type\":\"say\",\"session\":1,\"client_id\":\"a.b\",\"text\":\"hi\"}", PROTO_EBAD_FIELD,
     "client_id"},
    {"{\"type\":\"say\",\"session\":1,\"client_id\":\"caf\\u00e9\",\"text\":\"hi\"}",
     PROTO_EBAD_FIELD, "client_id"},
    {"{\"type\":\"say\",\"session\":1,\"client_id\":\"a\\u0000\",\"text\":\"hi\"}",
     PROTO_EBAD_FIELD, "client_id"},
    {"{\"type\":\"say\",\"session\":1,\"client_id\":12,\"text\":\"hi\"}", PROTO_EBAD_FIELD,
     "client_id"},
    {SAY_PRE "5}", PROTO_EBAD_FIELD, "text"},
    {SAY_PRE "null}", PROTO_EBAD_FIELD, "text"},
    {SAY_PRE "[\"hi\"]}", PROTO_EBAD_FIELD, "text"},
    {SAY_PRE "\"\"}", PROTO_ETEXT_EMPTY, "text"},
    {SAY_PRE "\" \"}", PROTO_ETEXT_EMPTY, "text"},
    {SAY_PRE "\" \\n\\t \\n\"}", PROTO_ETEXT_EMPTY, "text"},
    {SAY_PRE "\"\\u00a0\\u200b\\u3000\\u2028\\ufeff\"}", PROTO_ETEXT_EMPTY, "text"},
    {SAY_PRE "\"\xe3\x85\xa4\"}", PROTO_ETEXT_EMPTY, "text"},
    {SAY_PRE "\"line\\r\\nbreak\"}", PROTO_EBAD_TEXT, "text"},
    {SAY_PRE "\"nul\\u0000\"}", PROTO_EBAD_TEXT, "text"},
    {SAY_PRE "\"bell\\u0007\"}", PROTO_EBAD_TEXT, "text"},
    {SAY_PRE "\"esc\\u001b[31m\"}", PROTO_EBAD_TEXT, "text"},
    {SAY_PRE "\"del\\u007f\"}", PROTO_EBAD_TEXT, "text"},
    {SAY_PRE "\"c1\\u0080\"}", PROTO_EBAD_TEXT, "text"},
    {SAY_PRE "\"nel\\u0085\"}", PROTO_EBAD_TEXT, "text"},
    {SAY_PRE "\"c1\xc2\x9f\"}", PROTO_EBAD_TEXT, "text"},
    {SAY_PRE "\"\\f\"}", PROTO_EBAD_TEXT, "text"},
    {SAY_PRE "\"hi\",\"seq\":1}", PROTO_EUNKNOWN_FIELD, "seq"},
    /* typing */
    {"{\"type\":\"typing\",\"session\":1}", PROTO_EMISSING_FIELD, "on"},
    {"{\"type\":\"typing\",\"on\":true}", PROTO_EMISSING_FIELD, "session"},
    {"{\"type\":\"typing\",\"session\":1,\"on\":1}", PROTO_EBAD_FIELD, "on"},
    {"{\"type\":\"typing\",\"session\":1,\"on\":\"true\"}", PROTO_EBAD_FIELD, "on"},
    {"{\"type\":\"typing\",\"session\":1,\"on\":null}", PROTO_EBAD_FIELD, "on"},
    /* resume */
    {"{\"type\":\"resume\",\"session\":1}", PROTO_EMISSING_FIELD, "since_seq"},
    {"{\"type\":\"resume\",\"since_seq\":1}", PROTO_EMISSING_FIELD, "session"},
    {"{\"type\":\"resume\",\"session\":1,\"since_seq\":-1}", PROTO_EBAD_FIELD, "since_seq"},
    {"{\"type\":\"resume\",\"session\":1,\"since_seq\":\"3\"}", PROTO_EBAD_FIELD, "since_seq"},
    {"{\"type\":\"resume\",\"session\":1,\"since_seq\":2.5}", PROTO_EBAD_FIELD, "since_seq"},
    /* mod */
    {"{\"type\":\"mod\",\"action\":\"end\"}", PROTO_EMISSING_FIELD, "session"},
    {MOD_PRE "\"user\":3}", PROTO_EMISSING_FIELD, "action"},
    {MOD_PRE "\"action\":\"ban\"}", PROTO_EBAD_FIELD, "action"},
    {MOD_PRE "\"action\":\"\"}", PROTO_EBAD_FIELD, "action"},
    {MOD_PRE "\"action\":\"resume\"}", PROTO_EBAD_FIELD, "action"},
    {MOD_PRE "\"action\":\"MUTE\",\"user\":3}", PROTO_EBAD_FIELD, "action"},
    {MOD_PRE "\"action\":3}", PROTO_EBAD_FIELD, "action"},
    {MOD_PRE "\"action\":\"end\",\"reason\":\"x\"}", PROTO_EUNKNOWN_FIELD, "reason"},
    {MOD_PRE "\"action\":\"mute\"}", PROTO_EMISSING_FIELD, "user"},
    {MOD_PRE "\"action\":\"unmute\"}", PROTO_EMISSING_FIELD, "user"},
    {MOD_PRE "\"action\":\"remove\"}", PROTO_EMISSING_FIELD, "user"},
    {MOD_PRE "\"action\":\"mute\",\"user\":0}", PROTO_EBAD_FIELD, "user"},
    {MOD_PRE "\"action\":\"remove\",\"user\":\"7\"}", PROTO_EBAD_FIELD, "user"},
    {MOD_PRE "\"action\":\"mute\",\"seq\":3}", PROTO_EUNKNOWN_FIELD, "seq"},
    {MOD_PRE "\"action\":\"redact\"}", PROTO_EMISSING_FIELD, "seq"},
    {MOD_PRE "\"action\":\"highlight\"}", PROTO_EMISSING_FIELD, "seq"},
    {MOD_PRE "\"action\":\"redact\",\"seq\":0}", PROTO_EBAD_FIELD, "seq"},
    {MOD_PRE "\"action\":\"highlight\",\"seq\":-4}", PROTO_EBAD_FIELD, "seq"},
    {MOD_PRE "\"action\":\"highlight\",\"seq\":4,\"user\":2}", PROTO_EUNKNOWN_FIELD, "user"},
    {MOD_PRE "\"action\":\"announce\"}", PROTO_EMISSING_FIELD, "text"},
    {MOD_PRE "\"action\":\"announce\",\"text\":\"\"}", PROTO_ETEXT_EMPTY, "text"},
    {MOD_PRE "\"action\":\"announce\",\"text\":\"a\\rb\"}", PROTO_EBAD_TEXT, "text"},
    {MOD_PRE "\"action\":\"announce\",\"text\":1}", PROTO_EBAD_FIELD, "text"},
    {MOD_PRE "\"action\":\"extend\"}", PROTO_EMISSING_FIELD, "minutes"},
    {MOD_PRE "\"action\":\"extend\",\"minutes\":0}", PROTO_EBAD_FIELD, "minutes"},
    {MOD_PRE "\"action\":\"extend\",\"minutes\":16}", PROTO_EBAD_FIELD, "minutes"},
    {MOD_PRE "\"action\":\"extend\",\"minutes\":\"5\"}", PROTO_EBAD_FIELD, "minutes"},
    {MOD_PRE "\"action\":\"pause\",\"minutes\":5}", PROTO_EUNKNOWN_FIELD, "minutes"},
    {MOD_PRE "\"action\":\"resume_room\",\"user\":5}", PROTO_EUNKNOWN_FIELD, "user"},
    {MOD_PRE "\"action\":\"end\",\"text\":\"bye\"}", PROTO_EUNKNOWN_FIELD, "text"},
    /* checkin */
    {"{\"type\":\"checkin\",\"session\":1,\"score\":3}", PROTO_EMISSING_FIELD, "phase"},
    {"{\"type\":\"checkin\",\"session\":1,\"phase\":\"join\"}", PROTO_EMISSING_FIELD, "score"},
    {"{\"type\":\"checkin\",\"phase\":\"join\",\"score\":3}", PROTO_EMISSING_FIELD, "session"},
    {"{\"type\":\"checkin\",\"session\":1,\"phase\":\"open\",\"score\":3}", PROTO_EBAD_FIELD,
     "phase"},
    {"{\"type\":\"checkin\",\"session\":1,\"phase\":1,\"score\":3}", PROTO_EBAD_FIELD, "phase"},
    {"{\"type\":\"checkin\",\"session\":1,\"phase\":\"join\",\"score\":11}", PROTO_EBAD_FIELD,
     "score"},
    {"{\"type\":\"checkin\",\"session\":1,\"phase\":\"close\",\"score\":-1}", PROTO_EBAD_FIELD,
     "score"},
    {"{\"type\":\"checkin\",\"session\":1,\"phase\":\"close\",\"score\":5.0}", PROTO_EBAD_FIELD,
     "score"},
    /* dm_send / dm_read */
    {"{\"type\":\"dm_send\",\"client_id\":\"c\",\"text\":\"hi\"}", PROTO_EMISSING_FIELD,
     "conversation"},
    {"{\"type\":\"dm_send\",\"conversation\":1,\"text\":\"hi\"}", PROTO_EMISSING_FIELD,
     "client_id"},
    {"{\"type\":\"dm_send\",\"conversation\":1,\"client_id\":\"c\"}", PROTO_EMISSING_FIELD, "text"},
    {"{\"type\":\"dm_send\",\"conversation\":0,\"client_id\":\"c\",\"text\":\"hi\"}",
     PROTO_EBAD_FIELD, "conversation"},
    {"{\"type\":\"dm_send\",\"conversation\":1,\"client_id\":\"c!\",\"text\":\"hi\"}",
     PROTO_EBAD_FIELD, "client_id"},
    {"{\"type\":\"dm_send\",\"conversation\":1,\"client_id\":\"c\",\"text\":\"\\t\"}",
     PROTO_ETEXT_EMPTY, "text"},
    {"{\"type\":\"dm_send\",\"session\":1,\"client_id\":\"c\",\"text\":\"hi\"}",
     PROTO_EUNKNOWN_FIELD, "session"},
    {"{\"type\":\"dm_read\",\"conversation\":1}", PROTO_EMISSING_FIELD, "up_to"},
    {"{\"type\":\"dm_read\",\"up_to\":1}", PROTO_EMISSING_FIELD, "conversation"},
    {"{\"type\":\"dm_read\",\"conversation\":1,\"up_to\":0}", PROTO_EBAD_FIELD, "up_to"},
    /* ping */
    {"{\"type\":\"ping\",\"session\":1}", PROTO_EUNKNOWN_FIELD, "session"},
};

static void decode_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_OF(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct proto_frame f;
		struct proto_error err;
		int rc = proto_decode(c->json, strlen(c->json), &f, &err);

		if (rc != c->code || strcmp(err.field, c->field) != 0)
			fail_msg("case %zu %s: got %s field '%s', want %s field '%s'", i, c->json,
				 proto_error_code(rc), err.field, proto_error_code(c->code),
				 c->field);
		assert_int_equal(err.code, rc);
		assert_int_equal(f.type, PROTO_IN_NONE);
		proto_frame_free(&f);
	}
}

static void refusal_keeps_ref_and_type(void **state)
{
	static const char json[] =
	    "{\"ref\":\"abc-1\",\"type\":\"say\",\"session\":0,\"client_id\":\"c\","
	    "\"text\":\"hi\"}";
	struct proto_frame f;
	struct proto_error err;

	(void)state;
	assert_int_equal(proto_decode(json, strlen(json), &f, &err), PROTO_EBAD_FIELD);
	assert_string_equal(err.ref, "abc-1");
	assert_string_equal(err.field, "session");
	assert_int_equal(err.type, PROTO_IN_SAY);

	/* ref is read even when the type is unknown */
	assert_int_equal(decode_str("{\"type\":\"nope\",\"ref\":\"r2\"}", &f, &err),
			 PROTO_EUNKNOWN_TYPE);
	assert_string_equal(err.ref, "r2");
	assert_int_equal(err.type, PROTO_IN_NONE);

	/* an invalid ref is not echoed */
	assert_int_equal(decode_str("{\"type\":\"ping\",\"ref\":\"a b\"}", &f, &err),
			 PROTO_EBAD_FIELD);
	assert_string_equal(err.ref, "");

	/* a failure after the text was copied frees it (ASan checks) */
	assert_int_equal(
	    decode_str(MOD_PRE "\"action\":\"announce\",\"text\":\"x\",\"user\":1}", &f, &err),
	    PROTO_EUNKNOWN_FIELD);

	/* err may be NULL; buf need not be NUL-terminated */
	assert_int_equal(proto_decode("{\"type\":\"ping\"}xxxx", 15, &f, NULL), PROTO_OK);
	assert_int_equal(f.type, PROTO_IN_PING);
	assert_int_equal(proto_decode(NULL, 0, &f, &err), PROTO_EBAD_JSON);
	assert_int_equal(proto_decode(NULL, 3, &f, &err), PROTO_EINVAL);
	assert_int_equal(proto_decode("{}", 2, NULL, &err), PROTO_EINVAL);
}

static void refusal_error_field_is_short_and_printable(void **state)
{
	char json[200];
	struct proto_frame f;
	struct proto_error err;

	(void)state;
	snprintf(json, sizeof(json), "{\"type\":\"ping\",\"%s\":1}",
		 "a_very_long_key_name_that_goes_on_and_on_and_on_and_on_forever");
	assert_int_equal(proto_decode(json, strlen(json), &f, &err), PROTO_EUNKNOWN_FIELD);
	assert_int_equal(strlen(err.field), PROTO_FIELD_MAX - 1);
	assert_memory_equal(err.field, "a_very_long_key_name_that_goes_", PROTO_FIELD_MAX - 1);
	snprintf(json, sizeof(json), "{\"type\":\"ping\",\"%s\":1}", "q\\\"<\\n>");
	assert_int_equal(proto_decode(json, strlen(json), &f, &err), PROTO_EUNKNOWN_FIELD);
	assert_string_equal(err.field, "q\"<?>");
}

static void frame_size_limit(void **state)
{
	static const char head[] = "{\"type\":\"ping\"";
	char *buf = malloc(PROTO_MAX_FRAME + 2);
	struct proto_frame f;
	struct proto_error err;

	(void)state;
	assert_non_null(buf);
	/* exactly PROTO_MAX_FRAME bytes: accepted */
	memset(buf, ' ', PROTO_MAX_FRAME + 1);
	memcpy(buf, head, sizeof(head) - 1);
	buf[PROTO_MAX_FRAME - 1] = '}';
	assert_int_equal(proto_decode(buf, PROTO_MAX_FRAME, &f, &err), PROTO_OK);
	/* one byte more: refused unread */
	buf[PROTO_MAX_FRAME - 1] = ' ';
	buf[PROTO_MAX_FRAME] = '}';
	assert_int_equal(proto_decode(buf, PROTO_MAX_FRAME + 1, &f, &err), PROTO_EFRAME_TOO_LARGE);
	assert_int_equal(err.code, PROTO_EFRAME_TOO_LARGE);
	assert_string_equal(err.field, "");
	free(buf);
}

static void text_length_limit(void **state)
{
	static const struct {
		const char *unit; /* one code point */
		size_t n;
		int code;
	} cases[] = {
	    {"a", PROTO_TEXT_MAX, PROTO_OK},
	    {"a", PROTO_TEXT_MAX + 1, PROTO_ETEXT_TOO_LONG},
	    {"\xc3\xa9", PROTO_TEXT_MAX, PROTO_OK},
	    {"\xe2\x82\xac", PROTO_TEXT_MAX, PROTO_OK},
	    {"\xf0\x9f\x92\x99", PROTO_TEXT_MAX, PROTO_OK},
	    {"\xf0\x9f\x92\x99", PROTO_TEXT_MAX + 1, PROTO_ETEXT_TOO_LONG},
	    {"\\n", PROTO_TEXT_MAX + 1, PROTO_ETEXT_TOO_LONG},
	};

	(void)state;
	for (size_t i = 0; i < N_OF(cases); i++) {
		size_t len;
		char *json = say_with_text(cases[i].unit, cases[i].n, &len);
		struct proto_frame f;
		struct proto_error err;
		int rc;

		assert_true(len <= PROTO_MAX_FRAME);
		rc = proto_decode(json, len, &f, &err);
		if (rc != cases[i].code)
			fail_msg("case %zu: got %s", i, proto_error_code(rc));
		if (rc == PROTO_OK) {
			assert_int_equal(f.say.text.chars, cases[i].n);
			assert_int_equal(f.say.text.len, strlen(cases[i].unit) * cases[i].n);
		} else {
			assert_string_equal(err.field, "text");
		}
		proto_frame_free(&f);
		free(json);
	}
}

static void check_text_and_token(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		int code;
	} cases[] = {
	    {"ok", 2, PROTO_OK},
	    {"", 0, PROTO_ETEXT_EMPTY},
	    {"\xc3", 1, PROTO_EBAD_JSON},
	    {"\xc0\x80", 2, PROTO_EBAD_JSON},
	    {"\xe0\x80\xaf", 3, PROTO_EBAD_JSON},
	    {"\xf0\x80\x80\xaf", 4, PROTO_EBAD_JSON},
	    {"\xed\xbf\xbf", 3, PROTO_EBAD_JSON},
	    {"\xf5\x80\x80\x80", 4, PROTO_EBAD_JSON},
	    {"\x80", 1, PROTO_EBAD_JSON},
	    {"a\x01\xff", 3, PROTO_EBAD_JSON}, /* invalid UTF-8 wins over a control */
	    {"\xef\xbf\xbf", 3, PROTO_OK},     /* U+FFFF is not ours to refuse */
	    {"\xf4\x8f\xbf\xbf", 4, PROTO_OK}, /* U+10FFFF */
	    {"\xee\x80\x80", 3, PROTO_OK},     /* private use */
	    {"a\0b", 3, PROTO_EBAD_TEXT},
	    {"\t\n", 2, PROTO_ETEXT_EMPTY},
	    {"\xe2\x80\x8b\xe2\x80\x8d", 6, PROTO_ETEXT_EMPTY},
	    {"\xe2\xa0\x80", 3, PROTO_ETEXT_EMPTY},
	    {"\xe2\x80\x8b.", 4, PROTO_OK},
	};

	(void)state;
	for (size_t i = 0; i < N_OF(cases); i++) {
		size_t chars = 99;
		int rc = proto_check_text(cases[i].s, cases[i].len, 10, &chars);

		if (rc != cases[i].code)
			fail_msg("case %zu: got %s", i, proto_error_code(rc));
		if (rc == PROTO_OK)
			assert_true(chars >= 1 && chars <= 4);
	}
	assert_int_equal(proto_check_text("abc", 3, 2, NULL), PROTO_ETEXT_TOO_LONG);
	assert_int_equal(proto_check_text("ab", 2, 2, NULL), PROTO_OK);
	assert_int_equal(proto_check_text(NULL, 1, 2, NULL), PROTO_EINVAL);

	assert_true(proto_check_token("Az09_-", 6, 64));
	assert_false(proto_check_token("", 0, 64));
	assert_false(proto_check_token("abc", 3, 2));
	assert_false(proto_check_token("a+b", 3, 64));
	assert_false(proto_check_token("a\0b", 3, 64));
	assert_false(proto_check_token(NULL, 1, 64));
}

/* ---- the error table ---- */

static void error_table(void **state)
{
	(void)state;
	for (int code = -1; code > PROTO_E__END; code--) {
		const char *name = proto_error_code(code);
		const char *msg = proto_error_message(code);

		assert_non_null(name);
		assert_true(strlen(name) > 0);
		for (const char *p = name; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
		assert_true(strlen(msg) > 10);
		assert_int_equal(msg[strlen(msg) - 1], '.');
		assert_true(msg[0] >= 'A' && msg[0] <= 'Z');
		assert_null(strstr(msg, "ERR"));
		assert_true(strlen(proto_strerror(code)) > 0);
		assert_int_equal(proto_error_from_code(name), code);
		/* no two codes share a name */
		for (int other = code - 1; other > PROTO_E__END; other--)
			assert_string_not_equal(name, proto_error_code(other));
	}
	assert_int_equal(-PROTO_E__END - 1, 24);
	assert_string_equal(proto_error_code(PROTO_EPAUSED), "paused");
	assert_string_equal(proto_error_code(PROTO_EBAD_JSON), "bad_json");
	assert_string_equal(proto_error_code(PROTO_ESESSION_NOT_OPEN), "session_not_open");
	assert_string_equal(proto_error_message(PROTO_ESESSION_NOT_OPEN),
			    "This session has not opened yet.");
	assert_string_equal(proto_error_code(PROTO_EINTERNAL), "internal");
	/* local and unknown codes go out as internal */
	assert_string_equal(proto_error_code(PROTO_ENOMEM), "internal");
	assert_string_equal(proto_error_code(PROTO_EINVAL), "internal");
	assert_string_equal(proto_error_code(PROTO_OK), "internal");
	assert_string_equal(proto_error_code(PROTO_E__END), "internal");
	assert_string_equal(proto_error_code(12345), "internal");
	assert_string_equal(proto_error_message(-999), proto_error_message(PROTO_EINTERNAL));
	assert_string_equal(proto_strerror(PROTO_ENOMEM), "out of memory");
	assert_string_equal(proto_strerror(PROTO_OK), "success");
	assert_string_equal(proto_strerror(-999), "unknown error");
	assert_int_equal(proto_error_from_code("nope"), PROTO_EINVAL);
	assert_int_equal(proto_error_from_code(NULL), PROTO_EINVAL);
	assert_string_equal(proto_in_type_name(PROTO_IN_DM_SEND), "dm_send");
	assert_string_equal(proto_in_type_name((enum proto_in_type)99), "");
	assert_string_equal(proto_mod_action_name(PROTO_MOD_RESUME_ROOM), "resume_room");
	assert_string_equal(proto_out_type_name(PROTO_OUT_SESSION_STATE), "session_state");
	assert_string_equal(proto_out_type_name((enum proto_out_type)99), "");
}

/* ---- encoding ---- */

/* Encode m with headroom HEAD, check the buffer's shape, and parse it. */
static json_t *encode_parse(const struct proto_out *m)
{
	char *buf = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *j;
	int rc = proto_encode(m, HEAD, &buf, &len);

	if (rc != PROTO_OK)
		fail_msg("encode %s: %s", proto_out_type_name(m->type), proto_strerror(rc));
	assert_non_null(buf);
	assert_int_equal(buf[HEAD + len], '\0');
	assert_int_equal(strlen(buf + HEAD), len);
	/* the headroom is ours to scribble on, as lws does */
	memset(buf, 0xa5, HEAD);
	/* "type" comes first, for people reading logs */
	assert_memory_equal(buf + HEAD, "{\"type\":\"", 9);
	j = json_loadb(buf + HEAD, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		fail_msg("re-parse: %s: %s", jerr.text, buf + HEAD);
	assert_string_equal(json_string_value(json_object_get(j, "type")),
			    proto_out_type_name(m->type));
	free(buf);
	return j;
}

/* The object has exactly these keys (a space-separated list). */
static void assert_keys(const json_t *o, const char *keys)
{
	char copy[256];
	size_t n = 0;

	assert_true(json_is_object(o));
	snprintf(copy, sizeof(copy), "%s", keys);
	for (char *k = strtok(copy, " "); k; k = strtok(NULL, " ")) {
		if (!json_object_get(o, k))
			fail_msg("missing key %s", k);
		n++;
	}
	assert_int_equal(json_object_size(o), n);
}

static int64_t get_i(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static const char *get_s(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static void encode_welcome_joined(void **state)
{
	struct proto_out m = {.type = PROTO_OUT_WELCOME};
	struct proto_member members[] = {
	    {1, "Ana", PROTO_ROLE_FACILITATOR, PROTO_PRESENT},
	    {2, "Bo \"B\" \xc3\xa9", PROTO_ROLE_MEMBER, PROTO_IDLE},
	    {3, "Cy", PROTO_ROLE_MEMBER, PROTO_AWAY},
	};
	json_t *j, *a;

	(void)state;
	m.welcome.id = 2;
	m.welcome.name = "Bo";
	m.welcome.role = PROTO_ROLE_MEMBER;
	m.welcome.server_time = 1700000000123;
	m.welcome.version = "0.1.0";
	j = encode_parse(&m);
	assert_keys(j, "type user server_time version protocol");
	assert_keys(json_object_get(j, "user"), "id name role");
	assert_int_equal(get_i(json_object_get(j, "user"), "id"), 2);
	assert_string_equal(get_s(json_object_get(j, "user"), "role"), "member");
	assert_true(get_i(j, "server_time") == 1700000000123);
	assert_string_equal(get_s(j, "version"), "0.1.0");
	assert_string_equal(get_s(j, "protocol"), "hearth.v1");
	json_decref(j);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_OUT_JOINED;
	m.joined.session = 5;
	m.joined.group = 3;
	m.joined.state = PROTO_SESSION_OPEN;
	m.joined.ends_at = 1700003600000;
	m.joined.last_seq = 17;
	m.joined.you_id = 2;
	m.joined.you_role = PROTO_ROLE_MEMBER;
	m.joined.members = members;
	m.joined.n_members = N_OF(members);
	j = encode_parse(&m);
	assert_keys(j, "type session group state ends_at last_seq you members");
	assert_string_equal(get_s(j, "state"), "open");
	assert_true(get_i(j, "ends_at") == 1700003600000);
	assert_int_equal(get_i(j, "last_seq"), 17);
	assert_keys(json_object_get(j, "you"), "id role");
	a = json_object_get(j, "members");
	assert_int_equal(json_array_size(a), 3);
	assert_keys(json_array_get(a, 1), "id name role state");
	assert_string_equal(get_s(json_array_get(a, 0), "role"), "facilitator");
	assert_string_equal(get_s(json_array_get(a, 1), "name"), "Bo \"B\" \xc3\xa9");
	assert_string_equal(get_s(json_array_get(a, 1), "state"), "idle");
	assert_string_equal(get_s(json_array_get(a, 2), "state"), "away");
	json_decref(j);

	/* no members, no end time */
	m.joined.n_members = 0;
	m.joined.members = NULL;
	m.joined.ends_at = 0;
	m.joined.state = PROTO_SESSION_CLOSING;
	j = encode_parse(&m);
	assert_int_equal(json_array_size(json_object_get(j, "members")), 0);
	assert_true(json_is_null(json_object_get(j, "ends_at")));
	assert_string_equal(get_s(j, "state"), "closing");
	json_decref(j);
}

static void encode_msg_variants(void **state)
{
	static const char text[] = "Line one\nline \"two\"\t\xf0\x9f\x92\x99 </script>";
	struct proto_out m = {.type = PROTO_OUT_MSG};
	json_t *j;

	(void)state;
	m.msg.session = 5;
	m.msg.seq = 18;
	m.msg.author = (struct proto_person){2, "Bo"};
	m.msg.text = text;
	m.msg.text_len = sizeof(text) - 1;
	m.msg.ts = 1700000001000;
	m.msg.client_id = "c-1";
	m.msg.kind = PROTO_KIND_MESSAGE;
	j = encode_parse(&m);
	assert_keys(j, "type session seq author text ts client_id kind");
	assert_int_equal(get_i(j, "seq"), 18);
	assert_keys(json_object_get(j, "author"), "id name");
	assert_string_equal(get_s(json_object_get(j, "author"), "name"), "Bo");
	assert_string_equal(get_s(j, "text"), text);
	assert_string_equal(get_s(j, "client_id"), "c-1");
	assert_string_equal(get_s(j, "kind"), "message");
	json_decref(j);

	/* announcement without client_id */
	m.msg.client_id = NULL;
	m.msg.kind = PROTO_KIND_ANNOUNCEMENT;
	j = encode_parse(&m);
	assert_keys(j, "type session seq author text ts kind");
	assert_string_equal(get_s(j, "kind"), "announcement");
	json_decref(j);

	/* redacted: text is null whatever the struct holds */
	m.msg.redacted = true;
	j = encode_parse(&m);
	assert_keys(j, "type session seq author text ts kind redacted");
	assert_true(json_is_null(json_object_get(j, "text")));
	assert_true(json_is_true(json_object_get(j, "redacted")));
	json_decref(j);
	m.msg.text = NULL;
	m.msg.text_len = 0;
	m.msg.highlighted = true;
	j = encode_parse(&m);
	assert_keys(j, "type session seq author text ts kind redacted highlighted");
	assert_true(json_is_true(json_object_get(j, "highlighted")));
	json_decref(j);
	m.msg.highlighted = false;

	/* text is pointer + length: bytes after it are not sent */
	m.msg.redacted = false;
	m.msg.text = "hello world";
	m.msg.text_len = 5;
	j = encode_parse(&m);
	assert_string_equal(get_s(j, "text"), "hello");
	json_decref(j);
}

static void encode_ack_presence_typing_state(void **state)
{
	struct proto_out m = {.type = PROTO_OUT_ACK};
	json_t *j;

	(void)state;
	m.ack.client_id = "c-1";
	m.ack.session = 5;
	m.ack.seq = 18;
	j = encode_parse(&m);
	assert_keys(j, "type client_id seq session");
	assert_int_equal(get_i(j, "seq"), 18);
	assert_int_equal(get_i(j, "session"), 5);
	json_decref(j);
	m.ack.dm = true;
	m.ack.conversation = 9;
	m.ack.id = 400;
	j = encode_parse(&m);
	assert_keys(j, "type client_id id conversation");
	assert_int_equal(get_i(j, "id"), 400);
	assert_int_equal(get_i(j, "conversation"), 9);
	json_decref(j);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_OUT_PRESENCE;
	m.presence.session = 5;
	m.presence.user = (struct proto_person){3, "Cy"};
	m.presence.state = PROTO_LEFT;
	j = encode_parse(&m);
	assert_keys(j, "type session user state");
	assert_string_equal(get_s(j, "state"), "left");
	assert_keys(json_object_get(j, "user"), "id name");
	json_decref(j);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_OUT_TYPING;
	m.typing.session = 5;
	m.typing.user = (struct proto_person){3, "Cy"};
	m.typing.on = true;
	j = encode_parse(&m);
	assert_keys(j, "type session user on");
	assert_true(json_is_true(json_object_get(j, "on")));
	json_decref(j);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_OUT_SESSION_STATE;
	m.session_state.session = 5;
	m.session_state.state = PROTO_SESSION_CLOSED;
	m.session_state.ends_at = 1700003600000;
	j = encode_parse(&m);
	assert_keys(j, "type session state ends_at paused");
	assert_string_equal(get_s(j, "state"), "closed");
	assert_true(json_is_false(json_object_get(j, "paused")));
	json_decref(j);
	m.session_state.paused = true;
	m.session_state.state = PROTO_SESSION_OPEN;
	j = encode_parse(&m);
	assert_true(json_is_true(json_object_get(j, "paused")));
	json_decref(j);
}

static void encode_facilitator_frames(void **state)
{
	static const struct proto_turn counts[] = {{2, 5}, {3, 0}};
	struct proto_out m = {.type = PROTO_OUT_REDACTED};
	json_t *j, *c;

	(void)state;
	m.redacted.session = 5;
	m.redacted.seq = 7;
	j = encode_parse(&m);
	assert_keys(j, "type session seq");
	assert_int_equal(get_i(j, "seq"), 7);
	json_decref(j);
	m.type = PROTO_OUT_HIGHLIGHT;
	j = encode_parse(&m);
	assert_keys(j, "type session seq");
	json_decref(j);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_OUT_TURNS;
	m.turns.session = 5;
	m.turns.counts = counts;
	m.turns.n_counts = 2;
	j = encode_parse(&m);
	assert_keys(j, "type session counts");
	c = json_object_get(j, "counts");
	assert_int_equal(json_array_size(c), 2);
	assert_keys(json_array_get(c, 0), "user n");
	assert_int_equal(get_i(json_array_get(c, 0), "n"), 5);
	assert_int_equal(get_i(json_array_get(c, 1), "user"), 3);
	json_decref(j);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_OUT_CHECKIN_PROMPT;
	m.checkin_prompt.session = 5;
	m.checkin_prompt.phase = PROTO_PHASE_CLOSE;
	j = encode_parse(&m);
	assert_keys(j, "type session phase");
	assert_string_equal(get_s(j, "phase"), "close");
	json_decref(j);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_OUT_CHECKIN_SCORE;
	m.checkin_score.session = 5;
	m.checkin_score.user = 3;
	m.checkin_score.phase = PROTO_PHASE_JOIN;
	m.checkin_score.score = 4;
	j = encode_parse(&m);
	assert_keys(j, "type session user phase score");
	assert_int_equal(get_i(j, "score"), 4);
	assert_string_equal(get_s(j, "phase"), "join");
	json_decref(j);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_OUT_ALERT;
	m.alert.session = 5;
	m.alert.kind = PROTO_ALERT_CRISIS;
	m.alert.user = (struct proto_person){3, "Cy"};
	m.alert.seq = 19;
	m.alert.text = "I want to end my life";
	m.alert.text_len = strlen(m.alert.text);
	j = encode_parse(&m);
	assert_keys(j, "type session kind user seq text");
	assert_string_equal(get_s(j, "kind"), "crisis");
	assert_string_equal(get_s(j, "text"), "I want to end my life");
	json_decref(j);
	/* outside a session: conversation, no seq, no text */
	m.alert.session = 0;
	m.alert.conversation = 8;
	m.alert.seq = 0;
	m.alert.text = NULL;
	m.alert.kind = PROTO_ALERT_CHECKIN_DROP;
	j = encode_parse(&m);
	assert_keys(j, "type conversation kind user");
	assert_string_equal(get_s(j, "kind"), "checkin_drop");
	json_decref(j);
}

static void encode_member_frames(void **state)
{
	static const char card[] = "If you are in danger now, call 999.\nSamaritans: 116 123.";
	struct proto_field fields[] = {
	    {"group", NULL, 3}, {"topic", NULL, 41}, {"post", NULL, 900}, {"title", "Sleep", 0}};
	struct proto_out m = {.type = PROTO_OUT_CRISIS_RESOURCES};
	json_t *j;

	(void)state;
	m.crisis_resources.text = card;
	m.crisis_resources.text_len = sizeof(card) - 1;
	j = encode_parse(&m);
	assert_keys(j, "type text");
	assert_string_equal(get_s(j, "text"), card);
	json_decref(j);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_OUT_DM;
	m.dm.conversation = 8;
	m.dm.id = 401;
	m.dm.author = (struct proto_person){2, "Bo"};
	m.dm.text = "See you Tuesday";
	m.dm.text_len = strlen(m.dm.text);
	m.dm.ts = 1700000002000;
	m.dm.client_id = "d-9";
	j = encode_parse(&m);
	assert_keys(j, "type conversation id author text ts client_id");
	assert_int_equal(get_i(j, "id"), 401);
	json_decref(j);
	m.dm.client_id = NULL;
	j = encode_parse(&m);
	assert_keys(j, "type conversation id author text ts");
	json_decref(j);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_OUT_UNREAD;
	m.unread.conversation = 8;
	m.unread.count = 0;
	j = encode_parse(&m);
	assert_keys(j, "type conversation count");
	assert_int_equal(get_i(j, "count"), 0);
	json_decref(j);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_OUT_NOTIFICATION;
	m.notification.kind = "board_reply";
	m.notification.fields = fields;
	m.notification.n_fields = N_OF(fields);
	j = encode_parse(&m);
	assert_keys(j, "type kind group topic post title");
	assert_string_equal(get_s(j, "kind"), "board_reply");
	assert_int_equal(get_i(j, "post"), 900);
	assert_string_equal(get_s(j, "title"), "Sleep");
	json_decref(j);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_OUT_PONG;
	j = encode_parse(&m);
	assert_keys(j, "type");
	json_decref(j);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_OUT_MODERATION;
	m.moderation.session = 5;
	m.moderation.action = PROTO_MOD_MUTE;
	m.moderation.user = (struct proto_person){3, "Cy"};
	j = encode_parse(&m);
	assert_keys(j, "type session action user");
	assert_string_equal(get_s(j, "action"), "mute");
	assert_int_equal(get_i(json_object_get(j, "user"), "id"), 3);
	json_decref(j);
	m.moderation.action = PROTO_MOD_REMOVE;
	j = encode_parse(&m);
	assert_string_equal(get_s(j, "action"), "remove");
	json_decref(j);
}

static void encode_errors(void **state)
{
	struct proto_out m = {.type = PROTO_OUT_ERROR};
	struct proto_frame f;
	struct proto_error err;
	char *buf;
	size_t len;
	json_t *j;
	json_error_t jerr;

	(void)state;
	m.error.code = PROTO_ESESSION_NOT_OPEN;
	j = encode_parse(&m);
	assert_keys(j, "type code message");
	assert_string_equal(get_s(j, "code"), "session_not_open");
	assert_string_equal(get_s(j, "message"), "This session has not opened yet.");
	json_decref(j);

	m.error.code = PROTO_ENOMEM;
	m.error.message = "Custom words.";
	m.error.ref = "r1";
	m.error.field = "";
	j = encode_parse(&m);
	assert_keys(j, "type code message ref");
	assert_string_equal(get_s(j, "code"), "internal");
	assert_string_equal(get_s(j, "message"), "Custom words.");
	json_decref(j);

	/* the decoder's error goes straight into the shortcut */
	assert_int_equal(decode_str("{\"type\":\"join\",\"ref\":\"x-1\",\"session\":0}", &f, &err),
			 PROTO_EBAD_FIELD);
	assert_int_equal(proto_encode_error(err.code, NULL, err.ref, err.field, 0, &buf, &len),
			 PROTO_OK);
	j = json_loadb(buf, len, 0, &jerr);
	assert_non_null(j);
	assert_keys(j, "type code message ref field");
	assert_string_equal(get_s(j, "code"), "bad_field");
	assert_string_equal(get_s(j, "ref"), "x-1");
	assert_string_equal(get_s(j, "field"), "session");
	assert_string_equal(get_s(j, "message"), proto_error_message(PROTO_EBAD_FIELD));
	json_decref(j);
	free(buf);
}

static void encode_headroom_and_determinism(void **state)
{
	struct proto_out m = {.type = PROTO_OUT_MSG};
	char *a, *b;
	size_t la, lb;

	(void)state;
	m.msg.session = 1;
	m.msg.seq = 1;
	m.msg.author = (struct proto_person){1, "A"};
	m.msg.text = "x";
	m.msg.text_len = 1;
	m.msg.ts = 1;
	assert_int_equal(proto_encode(&m, 0, &a, &la), PROTO_OK);
	assert_int_equal(proto_encode(&m, 4096, &b, &lb), PROTO_OK);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b + 4096, la);
	memset(b, 0, 4096);
	assert_string_equal(a, "{\"type\":\"msg\",\"session\":1,\"seq\":1,\"author\":{\"id\":1,"
			       "\"name\":\"A\"},\"text\":\"x\",\"ts\":1,\"kind\":\"message\"}");
	free(a);
	free(b);

	/* a long frame grows the buffer past its first guess */
	{
		size_t n = 3 * PROTO_TEXT_MAX;
		char *text = malloc(n);

		assert_non_null(text);
		memset(text, '\n', n);
		m.msg.text = text;
		m.msg.text_len = n;
		assert_int_equal(proto_encode(&m, 16, &a, &la), PROTO_OK);
		assert_true(la > 2 * n);
		assert_int_equal(strlen(a + 16), la);
		free(a);
		free(text);
	}
}

static void encode_refuses_bad_structs(void **state)
{
	static const struct proto_field dup[] = {{"post", NULL, 1}, {"post", NULL, 2}};
	static const struct proto_field reserved[] = {{"type", "x", 0}};
	static const struct proto_field badkey[] = {{"Post", NULL, 1}};
	static const struct proto_member left[] = {{1, "A", PROTO_ROLE_MEMBER, PROTO_LEFT}};
	struct proto_out cases[19];
	size_t n = 0;
	char *buf = (char *)1;
	size_t len = 99;

	(void)state;
	memset(cases, 0, sizeof(cases));
	cases[n++].type = PROTO_OUT_NONE;
	cases[n++].type = (enum proto_out_type)77;
	cases[n].type = PROTO_OUT_WELCOME; /* name and version NULL */
	n++;
	cases[n].type = PROTO_OUT_PRESENCE;
	cases[n].presence.user = (struct proto_person){1, "A"};
	cases[n++].presence.state = (enum proto_presence)9;
	cases[n].type = PROTO_OUT_SESSION_STATE;
	cases[n++].session_state.state = (enum proto_session_state) - 1;
	cases[n].type = PROTO_OUT_MSG; /* text NULL, not redacted */
	cases[n++].msg.author = (struct proto_person){1, "A"};
	cases[n].type = PROTO_OUT_MSG;
	cases[n].msg.author = (struct proto_person){1, "A"};
	cases[n].msg.text = "\xff";
	cases[n++].msg.text_len = 1;
	cases[n].type = PROTO_OUT_DM;
	cases[n].dm.author = (struct proto_person){1, "\xc3"};
	cases[n].dm.text = "x";
	cases[n++].dm.text_len = 1;
	cases[n].type = PROTO_OUT_ACK; /* client_id NULL */
	n++;
	cases[n].type = PROTO_OUT_JOINED;
	cases[n].joined.members = left;
	cases[n++].joined.n_members = 1;
	cases[n].type = PROTO_OUT_JOINED;
	cases[n++].joined.n_members = 2; /* members NULL */
	cases[n].type = PROTO_OUT_NOTIFICATION;
	cases[n++].notification.kind = "Bad kind";
	cases[n].type = PROTO_OUT_NOTIFICATION;
	cases[n].notification.kind = "x";
	cases[n].notification.fields = dup;
	cases[n++].notification.n_fields = 2;
	cases[n].type = PROTO_OUT_NOTIFICATION;
	cases[n].notification.kind = "x";
	cases[n].notification.fields = reserved;
	cases[n++].notification.n_fields = 1;
	cases[n].type = PROTO_OUT_NOTIFICATION;
	cases[n].notification.kind = "x";
	cases[n].notification.fields = badkey;
	cases[n++].notification.n_fields = 1;
	cases[n].type = PROTO_OUT_ALERT;
	cases[n].alert.user = (struct proto_person){1, "A"};
	cases[n++].alert.kind = (enum proto_alert_kind)5;
	cases[n].type = PROTO_OUT_CRISIS_RESOURCES; /* text NULL */
	n++;
	cases[n].type = PROTO_OUT_MODERATION; /* not an action done to a person */
	cases[n].moderation.user = (struct proto_person){1, "A"};
	cases[n++].moderation.action = PROTO_MOD_REDACT;
	cases[n].type = PROTO_OUT_ERROR;
	cases[n].error.code = PROTO_EMUTED;
	cases[n++].error.message = "\xe2\x82";
	assert_int_equal(n, N_OF(cases));

	for (size_t i = 0; i < n; i++) {
		int rc = proto_encode(&cases[i], HEAD, &buf, &len);

		if (rc != PROTO_EINVAL)
			fail_msg("case %zu: got %d", i, rc);
		assert_null(buf);
		assert_int_equal(len, 0);
	}
	cases[0].type = PROTO_OUT_PONG;
	assert_int_equal(proto_encode(&cases[0], 4097, &buf, &len), PROTO_EINVAL);
	assert_int_equal(proto_encode(NULL, 0, &buf, &len), PROTO_EINVAL);
	assert_int_equal(proto_encode(&cases[0], 0, NULL, &len), PROTO_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(decode_join_leave_ping),
	    cmocka_unit_test(decode_say),
	    cmocka_unit_test(decode_typing_resume),
	    cmocka_unit_test(decode_mod_actions),
	    cmocka_unit_test(decode_checkin_dm),
	    cmocka_unit_test(decode_refusals),
	    cmocka_unit_test(refusal_keeps_ref_and_type),
	    cmocka_unit_test(refusal_error_field_is_short_and_printable),
	    cmocka_unit_test(frame_size_limit),
	    cmocka_unit_test(text_length_limit),
	    cmocka_unit_test(check_text_and_token),
	    cmocka_unit_test(error_table),
	    cmocka_unit_test(encode_welcome_joined),
	    cmocka_unit_test(encode_msg_variants),
	    cmocka_unit_test(encode_ack_presence_typing_state),
	    cmocka_unit_test(encode_facilitator_frames),
	    cmocka_unit_test(encode_member_frames),
	    cmocka_unit_test(encode_errors),
	    cmocka_unit_test(encode_headroom_and_determinism),
	    cmocka_unit_test(encode_refuses_bad_structs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
