/*
 * tx.h — the transcript of one live session: its model, the canonical JSON
 * form and its seal, the four export writers and the research export.
 *
 * The server builds a struct tx_transcript from SQLite rows when a session
 * closes, encodes it with tx_to_json_canonical(), seals those bytes with
 * tx_seal() and stores only the bytes and the seal. Any later rendering
 * starts from the stored bytes: tx_from_json() gives the model back exactly
 * (canonical -> model -> canonical is byte-identical), and tx_write() renders
 * it as JSON, Markdown, HTML or plain text. transcripts/FORMAT.md documents
 * the canonical JSON and the research export field by field.
 *
 * Pure C over jansson and libcrypto. No function here keeps global state, so
 * every call is safe from any thread as long as the objects it is given are
 * not changed concurrently. Times are UTC milliseconds since the epoch;
 * rendering to local time uses the UTC offset the caller puts in the model
 * (tz_offset_min), never the process's TZ.
 *
 * Errors: 0 or a negative enum tx_err; tx_strerror() names it. Out of memory
 * is reported as TX_ENOMEM and leaves every output untouched.
 */
#ifndef HEARTH_TX_H
#define HEARTH_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tx_err {
	TX_OK = 0,
	TX_ENOMEM = -1,	 /* out of memory */
	TX_EINVAL = -2,	 /* the model breaks a rule listed below */
	TX_EPARSE = -3,	 /* not canonical transcript JSON (syntax, schema or bounds) */
	TX_ETOOBIG = -4, /* past one of the TX_MAX_* caps */
	TX_ESEAL = -5,	 /* the bytes do not match the seal */
	TX_ECRYPTO = -6, /* the digest could not be computed */
	TX_EEMPTY = -7,	 /* research export: no consenting author, nothing to export */
};

const char *tx_strerror(int err);

/* Caps, checked by tx_validate() and by tx_from_json() before allocating. */
#define TX_MAX_PEOPLE 512
#define TX_MAX_INTERVALS 1024 /* per attendee */
#define TX_MAX_ENTRIES 200000
#define TX_MAX_TEXT_BYTES 16000 /* a 4000-character message in 4-byte UTF-8 */
#define TX_MAX_NAME_BYTES 256	/* display names, usernames, e-mails, group name */
#define TX_MAX_TZ_BYTES 64
#define TX_MAX_OFFSET_MIN (18 * 60)
#define TX_MAX_EXTEND_MIN 60
#define TX_MAX_JSON_BYTES (64u * 1024 * 1024)

/* What every format prints for a person whose account was erased. */
#define TX_ERASED_NAME "Former member"
/* What every format prints in place of a redacted message. */
#define TX_REDACTED_TEXT "[removed by facilitator]"

enum tx_role {
	TX_ROLE_MEMBER,
	TX_ROLE_FACILITATOR,
};

/*
 * One person the transcript mentions: every facilitator of the group,
 * everyone who attended or wrote, and (at the server's choice) the other
 * members of the group at the time, whose names the research export must
 * also scrub. The group's facilitators are the people with
 * role TX_ROLE_FACILITATOR.
 *
 * Sealed fields: id, role, erased, name. An erased person has name == NULL:
 * the model never holds an erased person's old name, and every writer
 * prints TX_ERASED_NAME for them.
 *
 * Research-only fields: username, email and research_consent are not part
 * of the canonical JSON (a transcript members can download must not carry
 * their e-mail addresses, and consent can be withdrawn after the session).
 * The server fills them from the accounts table just before
 * tx_research_line(); everywhere else they are ignored.
 */
struct tx_person {
	int64_t id; /* > 0, unique within the transcript */
	enum tx_role role;
	bool erased;
	char *name; /* display name, owned; NULL iff erased */
	char *username;
	char *email;
	bool research_consent;
};

struct tx_interval {
	int64_t from_ms, to_ms; /* 0 < from_ms <= to_ms */
};

/* When one person was in the room; a person may join and leave many times. */
struct tx_attendance {
	int64_t user_id;	       /* a person of the transcript, at most one row each */
	struct tx_interval *intervals; /* owned, in order, n_intervals >= 1 */
	size_t n_intervals, cap_intervals;
};

enum tx_entry_type {
	TX_ENTRY_MESSAGE,      /* seq, user_id = author, text or redacted, highlighted */
	TX_ENTRY_ANNOUNCEMENT, /* as a message, posted by a facilitator as an announcement */
	TX_ENTRY_JOINED,       /* user_id joined */
	TX_ENTRY_LEFT,	       /* user_id left */
	TX_ENTRY_REMOVED,      /* user_id was removed from the session by a facilitator */
	TX_ENTRY_HIGHLIGHT,    /* user_id (a facilitator) marked message seq as a common thread */
	TX_ENTRY_OPENED,       /* session opened; user_id who opened it, or 0 for the schedule */
	TX_ENTRY_CLOSED,       /* session closed; user_id who ended it, or 0 for the schedule */
	TX_ENTRY_EXTENDED,     /* user_id extended the session by `minutes` */
};

/*
 * One line of the transcript. Messages and announcements carry their seq,
 * strictly increasing through the entries; redacted is true iff text is NULL
 * (the redacted words are never given to the model). A highlight entry's seq
 * names an earlier-or-later message of the same transcript.
 */
struct tx_entry {
	enum tx_entry_type type;
	int64_t at_ms; /* > 0 */
	int64_t seq;
	int64_t user_id;
	char *text; /* owned */
	bool redacted;
	bool highlighted;
	int64_t minutes; /* TX_ENTRY_EXTENDED: 1 .. TX_MAX_EXTEND_MIN */
};

/*
 * One per transcript being built, rendered or exported. Everything it
 * points to is owned by it and freed by tx_transcript_free(). Fill it with
 * the tx_add_* helpers (or directly, keeping the rules above); the cap_*
 * fields belong to those helpers.
 */
struct tx_transcript {
	int64_t session_id; /* > 0 */
	int64_t group_id;   /* > 0 */
	char *group_name;   /* owned, non-empty */
	char *tz_name;	    /* IANA name, e.g. "Europe/London", owned */
	int tz_offset_min;  /* UTC offset on the session's date, e.g. +60 for BST */
	int64_t scheduled_start_ms, scheduled_end_ms; /* both 0 for an ad-hoc session */
	int64_t opened_ms, closed_ms;		      /* 0 < opened_ms <= closed_ms */

	struct tx_person *people;
	size_t n_people, cap_people;
	struct tx_attendance *attendance;
	size_t n_attendance, cap_attendance;
	struct tx_entry *entries;
	size_t n_entries, cap_entries;
};

/* A new empty transcript (all zero), or NULL when out of memory. */
struct tx_transcript *tx_transcript_new(void);
/* Free t and everything it owns. NULL is a no-op. */
void tx_transcript_free(struct tx_transcript *t);

/* Copy the group's name, and the time zone's name with its UTC offset. */
int tx_set_group(struct tx_transcript *t, int64_t group_id, const char *name);
int tx_set_zone(struct tx_transcript *t, const char *tz_name, int offset_min);

/*
 * Add a person. name is copied; pass NULL for an erased account. Fails with
 * TX_EINVAL when the id is already present; nothing is added on failure.
 */
int tx_add_person(struct tx_transcript *t, int64_t id, enum tx_role role, const char *name);
/* Set the research-only fields of person id (copied; either may be NULL). */
int tx_set_contact(struct tx_transcript *t, int64_t id, const char *username, const char *email,
		   bool research_consent);
/*
 * Erase person id in place: name, username and e-mail freed, erased set,
 * consent cleared. Used when an account is erased after the transcript was
 * sealed; the caller re-encodes and re-seals (see FORMAT.md, "Erasure").
 */
int tx_erase_person(struct tx_transcript *t, int64_t id);
/* Append an attendance interval for user_id (a row is made on first use). */
int tx_add_presence(struct tx_transcript *t, int64_t user_id, int64_t from_ms, int64_t to_ms);
/*
 * Append a message (announcement false) or an announcement. text is copied;
 * NULL means the message was redacted.
 */
int tx_add_message(struct tx_transcript *t, int64_t seq, int64_t at_ms, int64_t author_id,
		   const char *text, bool highlighted, bool announcement);
/*
 * Append a system line: type is one of the non-message types; arg is the
 * highlighted seq for TX_ENTRY_HIGHLIGHT, the minutes for TX_ENTRY_EXTENDED,
 * and ignored otherwise.
 */
int tx_add_event(struct tx_transcript *t, enum tx_entry_type type, int64_t at_ms, int64_t user_id,
		 int64_t arg);

/* Look up a person; NULL when absent. Linear; for the server's convenience. */
struct tx_person *tx_find_person(const struct tx_transcript *t, int64_t id);

/*
 * Check every rule stated in this header (ids, references, order, caps,
 * UTF-8). 0, TX_EINVAL, TX_ETOOBIG or TX_ENOMEM. Every encoder and writer
 * calls it first, so a bad model never produces output.
 */
int tx_validate(const struct tx_transcript *t);

/* ---- canonical JSON and the seal ---------------------------------------- */

/*
 * Encode t in the canonical form of FORMAT.md: keys sorted, compact, UTF-8
 * unescaped, integers only, no trailing newline. On success *out is a
 * NUL-terminated malloc'd string the caller frees and *len its length; on
 * failure *out and *len are untouched.
 */
int tx_to_json_canonical(const struct tx_transcript *t, char **out, size_t *len);

/*
 * Parse canonical JSON back into a new model (*out, caller frees with
 * tx_transcript_free). Strict: duplicate keys, unknown keys, floats, wrong
 * types, out-of-range values and anything tx_validate() refuses give
 * TX_EPARSE (or TX_ETOOBIG past a cap); *out is untouched on failure.
 * Re-encoding the result gives bytes equal to canonical input.
 */
int tx_from_json(const char *json, size_t len, struct tx_transcript **out);

/* SHA-256 of the len bytes at canon, as 64 lower-case hex digits + NUL. */
int tx_seal(const char *canon, size_t len, char out_hex[65]);
/* 0 when hex (64 hex digits, either case) is the seal of the bytes, else TX_ESEAL. */
int tx_verify(const char *canon, size_t len, const char *hex);

/* ---- the four writers ------------------------------------------------------ */

enum tx_format {
	TX_JSON, /* the canonical JSON itself: `sha256sum` of the file is the seal */
	TX_MD,
	TX_HTML, /* one self-contained, printable document; no script, no external resource */
	TX_TXT,
};

/*
 * Render t. All four carry the same content: header (group, date, time zone,
 * schedule, facilitators), attendance, then every entry in order with its
 * local time, TX_REDACTED_TEXT for redacted messages, a common-thread marker
 * for highlights, announcements marked, TX_ERASED_NAME for erased people.
 * *out (malloc'd, NUL-terminated) and *len on success; untouched on failure.
 */
int tx_write(const struct tx_transcript *t, enum tx_format fmt, char **out, size_t *len);

/* "json", "md", "html", "txt" -> format; -1 for anything else. */
int tx_format_parse(const char *name);
/* File extension without the dot, and the media type (with charset). */
const char *tx_format_ext(enum tx_format fmt);
const char *tx_format_mime(enum tx_format fmt);

/* ---- research export -------------------------------------------------------- */

/*
 * The pseudonym table of one research export: the same user gets the same
 * pseudonym in every transcript of the export ("Member A" … "Member Z",
 * "Member AA" …; "Facilitator 1" …), and transcripts are numbered 1, 2, … in
 * the order their lines are written. One per export; not thread safe.
 */
struct tx_pseudonyms;
struct tx_pseudonyms *tx_pseudonyms_new(void);
void tx_pseudonyms_free(struct tx_pseudonyms *p);

struct tx_research_opts {
	struct tx_pseudonyms *pseudonyms; /* required; borrowed and updated */
	/*
	 * Optional extra names to scrub from every text (NULL-terminated),
	 * e.g. past members of the group who are not in the transcript.
	 */
	const char *const *extra_names;
};

/*
 * Write one JSON Lines record (canonical JSON + "\n") of t for research:
 * only consenting, non-erased people appear (by pseudonym); their messages
 * are scrubbed of names, usernames, e-mail addresses, phone numbers and
 * links; every other message becomes {"omitted":true,"seq":n}. No group
 * name, ids or absolute times (times are seconds from the opening).
 * TX_EEMPTY when no message of a consenting author exists: nothing is
 * written and the session number is not used. On failure nothing is output
 * and the pseudonym table is left as it was.
 */
int tx_research_line(const struct tx_transcript *t, const struct tx_research_opts *opts, char **out,
		     size_t *len);

#endif
