/*
 * proto.h — Hearth's WebSocket wire protocol (subprotocol "hearth.v1"):
 * the C side of protocol/PROTOCOL.md.
 *
 * This module owns three things and nothing else:
 *   - decoding and validating one client frame (JSON text) into a
 *     struct proto_frame, refusing anything the contract does not allow;
 *   - encoding one server frame from a struct proto_out into JSON text in a
 *     fresh buffer with headroom reserved for the transport (LWS_PRE);
 *   - the table of error codes with their wire names and default messages.
 *
 * It does no I/O, keeps no state between calls, and depends on jansson
 * only, so it is unit-tested and fuzzed on its own. Every function is safe
 * to call from any thread.
 *
 * Conventions: functions return PROTO_OK (0) or a negative enum proto_err.
 * Out of memory is reported as PROTO_ENOMEM (this library never aborts);
 * a caller breaking a documented precondition gets PROTO_EINVAL.
 * Strings handed to the encoder are borrowed for the duration of the call
 * only and must be valid UTF-8.
 */
#ifndef HEARTH_PROTO_H
#define HEARTH_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_SUBPROTOCOL "hearth.v1"

/* Limits of the contract. A client frame larger than PROTO_MAX_FRAME bytes
 * is refused unread; nesting deeper than PROTO_MAX_DEPTH (the top-level
 * object is depth 1) is refused before jansson sees it. */
#define PROTO_MAX_FRAME 16384
#define PROTO_MAX_DEPTH 8
#define PROTO_TEXT_MAX 4000		/* Unicode code points in say/announce/dm text */
#define PROTO_CLIENT_ID_MAX 64		/* bytes of [A-Za-z0-9_-] */
#define PROTO_REF_MAX 64		/* bytes of [A-Za-z0-9_-] */
#define PROTO_ID_MAX 9007199254740992LL /* 2^53: largest id a JavaScript number holds exactly */
#define PROTO_EXTEND_MAX 15		/* minutes a facilitator may extend by */
#define PROTO_SCORE_MAX 10		/* check-in scores are 0..10 */
#define PROTO_FIELD_MAX 32		/* bytes of a field name kept in struct proto_error */

/*
 * Error codes. Values -1 .. PROTO_E__END+1 are wire codes: each has a
 * snake_case name (proto_error_code) and a calm default message
 * (proto_error_message), listed in the one table in proto.c and explained in
 * PROTOCOL.md. To add a code: add it here just above PROTO_E__END, add its
 * row to the table in proto.c, and document it in PROTOCOL.md.
 *
 * PROTO_ENOMEM and PROTO_EINVAL are local to this process (a failed
 * allocation, a caller's mistake); if one ever has to be told to a client it
 * goes on the wire as "internal".
 */
enum proto_err {
	PROTO_OK = 0,
	/* the frame itself */
	PROTO_EBAD_JSON = -1,
	PROTO_EFRAME_TOO_LARGE = -2,
	PROTO_EUNKNOWN_TYPE = -3,
	PROTO_EMISSING_FIELD = -4,
	PROTO_EBAD_FIELD = -5,
	PROTO_EUNKNOWN_FIELD = -6,
	PROTO_ETEXT_TOO_LONG = -7,
	PROTO_ETEXT_EMPTY = -8,
	PROTO_EBAD_TEXT = -9,
	/* decided by the server */
	PROTO_ENOT_LOGGED_IN = -10,
	PROTO_ENOT_MEMBER = -11,
	PROTO_ESESSION_NOT_OPEN = -12,
	PROTO_ESESSION_FULL = -13,
	PROTO_ENOT_JOINED = -14,
	PROTO_ERATE_LIMITED = -15,
	PROTO_EMUTED = -16,
	PROTO_EREMOVED = -17,
	PROTO_ENOT_FACILITATOR = -18,
	PROTO_ENOT_FOUND = -19,
	PROTO_EDUPLICATE = -20,
	PROTO_ECLOSED = -21,
	PROTO_EOVERLOADED = -22,
	PROTO_EINTERNAL = -23,
	PROTO_EPAUSED = -24,
	PROTO_E__END = -25, /* one past the last wire code; not a code */

	/* local only */
	PROTO_ENOMEM = -100,
	PROTO_EINVAL = -101,
};

/* The snake_case wire code for err ("bad_json", ...). Local and unknown
 * values give "internal". Never NULL; the string is static. */
const char *proto_error_code(int err);

/* The default user-facing message for err: calm, plain English, fit to show
 * to someone who is ill or grieving. Local and unknown values give the
 * message of "internal". Never NULL; static. */
const char *proto_error_message(int err);

/* A short technical description of err for logs ("text too long",
 * "out of memory"). Never NULL; static. */
const char *proto_strerror(int err);

/* The wire code named `code` ("not_found" -> PROTO_ENOT_FOUND), or
 * PROTO_EINVAL when no code has that name. */
int proto_error_from_code(const char *code);

/* ------------------------------------------------------------------------
 * Decoding client frames
 * ------------------------------------------------------------------------ */

enum proto_in_type {
	PROTO_IN_NONE = 0, /* not decoded */
	PROTO_IN_JOIN,
	PROTO_IN_LEAVE,
	PROTO_IN_SAY,
	PROTO_IN_TYPING,
	PROTO_IN_RESUME,
	PROTO_IN_MOD,
	PROTO_IN_CHECKIN,
	PROTO_IN_DM_SEND,
	PROTO_IN_DM_READ,
	PROTO_IN_PING,
};

enum proto_mod_action {
	PROTO_MOD_NONE = 0,
	PROTO_MOD_MUTE,	       /* needs user */
	PROTO_MOD_UNMUTE,      /* needs user */
	PROTO_MOD_REMOVE,      /* needs user */
	PROTO_MOD_REDACT,      /* needs seq */
	PROTO_MOD_HIGHLIGHT,   /* needs seq */
	PROTO_MOD_ANNOUNCE,    /* needs text */
	PROTO_MOD_PAUSE,       /* nothing more */
	PROTO_MOD_RESUME_ROOM, /* nothing more */
	PROTO_MOD_EXTEND,      /* needs minutes */
	PROTO_MOD_END,	       /* nothing more */
};

enum proto_phase {
	PROTO_PHASE_JOIN = 0,
	PROTO_PHASE_CLOSE,
};

/*
 * A validated text (say, announce, dm_send): owned by the frame it is in.
 * `ptr` holds `len` bytes of valid UTF-8 followed by a NUL that is not
 * counted (the text itself never contains NUL); `chars` is its number of
 * code points, 1..PROTO_TEXT_MAX.
 */
struct proto_text {
	char *ptr;
	size_t len;
	size_t chars;
};

/*
 * One decoded client frame: a tagged union on `type`. Only the member named
 * after `type` is meaningful. Ids are 1..PROTO_ID_MAX. Bounded strings
 * (client_id, ref) are NUL-terminated in fixed arrays; texts are owned
 * pointers, released by proto_frame_free().
 */
struct proto_frame {
	enum proto_in_type type;
	char ref[PROTO_REF_MAX + 1]; /* "" when the frame carried no ref */
	union {
		struct {
			int64_t session;
		} join, leave;
		struct {
			int64_t session;
			char client_id[PROTO_CLIENT_ID_MAX + 1];
			struct proto_text text;
		} say;
		struct {
			int64_t session;
			bool on;
		} typing;
		struct {
			int64_t session;
			int64_t since_seq; /* 0..PROTO_ID_MAX */
		} resume;
		struct {
			int64_t session;
			enum proto_mod_action action;
			int64_t user;		/* mute, unmute, remove; else 0 */
			int64_t seq;		/* redact, highlight; else 0 */
			int minutes;		/* extend: 1..PROTO_EXTEND_MAX; else 0 */
			struct proto_text text; /* announce; else {NULL, 0, 0} */
		} mod;
		struct {
			int64_t session;
			enum proto_phase phase;
			int score; /* 0..PROTO_SCORE_MAX */
		} checkin;
		struct {
			int64_t conversation;
			char client_id[PROTO_CLIENT_ID_MAX + 1];
			struct proto_text text;
		} dm_send;
		struct {
			int64_t conversation;
			int64_t up_to; /* a message id */
		} dm_read;
	};
};

/*
 * Why a frame was refused. `code` is the same negative value proto_decode
 * returned. `field` names the offending top-level key ("session", "text",
 * or for unknown_field the key as sent, with bytes outside printable ASCII
 * replaced by '?' and cut to PROTO_FIELD_MAX - 1 bytes), "" when the frame
 * as a whole is at fault. `ref` is the frame's ref when one could be read
 * and was valid, else "" — echo it in the error frame. `type` is the
 * frame's type when it was recognised, else PROTO_IN_NONE.
 */
struct proto_error {
	int code;
	enum proto_in_type type;
	char field[PROTO_FIELD_MAX];
	char ref[PROTO_REF_MAX + 1];
};

/*
 * Decode and validate one client frame of `len` bytes at `buf` (need not be
 * NUL-terminated; may hold any bytes at all).
 *
 * On success returns PROTO_OK and fills *out, which then owns its texts:
 * release them with proto_frame_free(). On failure returns a negative
 * proto_err, fills *err (if err is not NULL), and leaves *out holding
 * nothing that needs freeing (calling proto_frame_free on it is harmless).
 * The first problem found is the one reported, checked in this order:
 * size, nesting depth, JSON syntax/UTF-8/duplicate keys, top-level object,
 * ref, type, unknown keys, then each field in the order PROTOCOL.md lists
 * them. Out of memory gives PROTO_ENOMEM.
 */
int proto_decode(const char *buf, size_t len, struct proto_frame *out, struct proto_error *err);

/*
 * 1 when the brackets of buf (len bytes, not trusted to be JSON), outside
 * strings, nest deeper than max; 0 otherwise. A linear scan meant to run
 * before a JSON parser, so that hostile nesting never reaches its
 * recursion. The server uses it for HTTP bodies too.
 */
int proto_json_too_deep(const char *buf, size_t len, int max);

/* Release what *f owns and reset it to type PROTO_IN_NONE. NULL is fine. */
void proto_frame_free(struct proto_frame *f);

/* Wire name of a client frame type ("say"), or "" for PROTO_IN_NONE. */
const char *proto_in_type_name(enum proto_in_type t);

/* Wire name of a mod action ("resume_room"), or "" for PROTO_MOD_NONE. */
const char *proto_mod_action_name(enum proto_mod_action a);

/*
 * Check a text against the rules for say/announce/dm_send: valid UTF-8,
 * 1..max_chars code points, no control characters other than \n and \t
 * (so no NUL, \r, other C0, DEL or C1), not only white space.
 * Returns PROTO_OK and stores the code-point count in *chars (if not NULL),
 * or PROTO_EBAD_JSON (invalid UTF-8), PROTO_ETEXT_EMPTY, PROTO_ETEXT_TOO_LONG
 * or PROTO_EBAD_TEXT — checked in that order, emptiness twice: "" is empty
 * before anything else, all-blank is empty after the other checks.
 */
int proto_check_text(const char *s, size_t len, size_t max_chars, size_t *chars);

/* 1 when s (len bytes) is a valid client_id or ref: 1..max bytes, each one
 * of [A-Za-z0-9_-]; else 0. */
int proto_check_token(const char *s, size_t len, size_t max);

/* ------------------------------------------------------------------------
 * Encoding server frames
 * ------------------------------------------------------------------------ */

enum proto_out_type {
	PROTO_OUT_NONE = 0,
	PROTO_OUT_WELCOME,
	PROTO_OUT_JOINED,
	PROTO_OUT_MSG,
	PROTO_OUT_ACK,
	PROTO_OUT_PRESENCE,
	PROTO_OUT_TYPING,
	PROTO_OUT_SESSION_STATE,
	PROTO_OUT_REDACTED,
	PROTO_OUT_HIGHLIGHT,
	PROTO_OUT_TURNS,
	PROTO_OUT_CHECKIN_PROMPT,
	PROTO_OUT_CHECKIN_SCORE,
	PROTO_OUT_ALERT,
	PROTO_OUT_CRISIS_RESOURCES,
	PROTO_OUT_DM,
	PROTO_OUT_UNREAD,
	PROTO_OUT_NOTIFICATION,
	PROTO_OUT_ERROR,
	PROTO_OUT_PONG,
	PROTO_OUT_MODERATION,
};

enum proto_role {
	PROTO_ROLE_MEMBER = 0,
	PROTO_ROLE_FACILITATOR,
	PROTO_ROLE_MANAGER,
};

/* A person's state in a room; LEFT only in presence frames. */
enum proto_presence {
	PROTO_PRESENT = 0,
	PROTO_IDLE,
	PROTO_AWAY,
	PROTO_LEFT,
};

enum proto_session_state {
	PROTO_SESSION_OPEN = 0,
	PROTO_SESSION_CLOSING,
	PROTO_SESSION_CLOSED,
};

enum proto_msg_kind {
	PROTO_KIND_MESSAGE = 0,
	PROTO_KIND_ANNOUNCEMENT,
};

enum proto_alert_kind {
	PROTO_ALERT_CRISIS = 0,
	PROTO_ALERT_CHECKIN_DROP,
};

/* {id, name}: who wrote or did something. name is NUL-terminated. */
struct proto_person {
	int64_t id;
	const char *name;
};

/* One entry of joined.members. */
struct proto_member {
	int64_t id;
	const char *name;
	enum proto_role role;
	enum proto_presence state; /* PRESENT, IDLE or AWAY */
};

/* One entry of turns.counts: how many messages `user` has posted. */
struct proto_turn {
	int64_t user;
	int64_t n;
};

/* One extra field of a notification: an integer, or a string when str is
 * not NULL. key must be 1..32 bytes of [a-z0-9_] and not "type" or "kind". */
struct proto_field {
	const char *key;
	const char *str;
	int64_t num;
};

/*
 * One server frame to encode: a tagged union on `type`. Every pointer is
 * borrowed for the duration of proto_encode() only; texts are pointer +
 * length (need not be NUL-terminated), names and other strings are
 * NUL-terminated. "Optional" means: left out of the frame when the pointer
 * is NULL or the number is 0, as noted at each field. Times are
 * milliseconds since the Unix epoch.
 */
struct proto_out {
	enum proto_out_type type;
	union {
		struct {
			int64_t id;
			const char *name;
			enum proto_role role;
			int64_t server_time;
			const char *version; /* the server's version string */
		} welcome;
		struct {
			int64_t session;
			int64_t group;
			enum proto_session_state state;
			int64_t ends_at; /* 0: no scheduled end, sent as null */
			int64_t last_seq;
			int64_t you_id;
			enum proto_role you_role;
			const struct proto_member *members;
			size_t n_members;
		} joined;
		struct {
			int64_t session;
			int64_t seq;
			struct proto_person author;
			const char *text; /* ignored when redacted */
			size_t text_len;
			int64_t ts;
			const char *client_id; /* optional */
			enum proto_msg_kind kind;
			bool redacted;	  /* text goes out as null, plus "redacted": true */
			bool highlighted; /* sent as "highlighted": true, only when set */
		} msg;
		struct {
			const char *client_id;
			bool dm; /* false: {session, seq}; true: {conversation, id} */
			int64_t session;
			int64_t seq;
			int64_t conversation;
			int64_t id;
		} ack;
		struct {
			int64_t session;
			struct proto_person user;
			enum proto_presence state;
		} presence;
		struct {
			int64_t session;
			struct proto_person user;
			bool on;
		} typing;
		struct {
			int64_t session;
			enum proto_session_state state;
			int64_t ends_at; /* 0: no scheduled end, sent as null */
			bool paused;	 /* always sent */
		} session_state;
		struct {
			int64_t session;
			int64_t seq;
		} redacted, highlight;
		struct {
			int64_t session;
			const struct proto_turn *counts;
			size_t n_counts;
		} turns;
		struct {
			int64_t session;
			enum proto_phase phase;
		} checkin_prompt;
		struct {
			int64_t session;
			int64_t user;
			enum proto_phase phase;
			int score;
		} checkin_score;
		struct {
			int64_t session;      /* optional (0: left out) */
			int64_t conversation; /* optional (0: left out) */
			enum proto_alert_kind kind;
			struct proto_person user;
			int64_t seq;	  /* optional (0: left out) */
			const char *text; /* optional (NULL: left out) */
			size_t text_len;
		} alert;
		struct {
			const char *text;
			size_t text_len;
		} crisis_resources;
		struct {
			int64_t conversation;
			int64_t id;
			struct proto_person author;
			const char *text;
			size_t text_len;
			int64_t ts;
			const char *client_id; /* optional */
		} dm;
		struct {
			int64_t conversation;
			int64_t count;
		} unread;
		struct {
			const char *kind; /* 1..32 bytes of [a-z0-9_] */
			const struct proto_field *fields;
			size_t n_fields;
		} notification;
		struct {
			int64_t session;
			enum proto_mod_action action; /* MUTE, UNMUTE or REMOVE only */
			struct proto_person user;     /* the member it was done to */
		} moderation;
		struct {
			int code;	     /* a proto_err; local codes go out as internal */
			const char *message; /* optional: NULL sends the default message */
			const char *ref;     /* optional: NULL or "" leaves it out */
			const char *field;   /* optional: NULL or "" leaves it out */
		} error;
	};
};

/*
 * Encode *msg as one JSON text frame into a fresh buffer.
 *
 * On success returns PROTO_OK; *out points to a malloc'd buffer the caller
 * owns and frees with free(*out); its first `headroom` bytes are reserved
 * for the transport (pass LWS_PRE) and left uninitialised, the frame is the
 * `*len` bytes at *out + headroom, followed by a NUL that is not counted.
 * The frame does not depend on who receives it, so one encoding of a `msg`
 * may be written to every member of a room (the transport may write its
 * header into the headroom each time; the frame bytes are never changed).
 *
 * On failure returns PROTO_EINVAL (type or an enum out of range, a string
 * that is not valid UTF-8, a NULL that is not optional, headroom above
 * 4096) or PROTO_ENOMEM, and leaves *out = NULL, *len = 0.
 */
int proto_encode(const struct proto_out *msg, size_t headroom, char **out, size_t *len);

/*
 * Shortcut for an `error` frame: code is a proto_err, message NULL for the
 * default, ref and field NULL or "" to leave them out. Same contract as
 * proto_encode.
 */
int proto_encode_error(int code, const char *message, const char *ref, const char *field,
		       size_t headroom, char **out, size_t *len);

/* Wire name of a server frame type ("session_state"), "" for NONE. */
const char *proto_out_type_name(enum proto_out_type t);

#endif
