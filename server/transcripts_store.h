/*
 * transcripts_store.h — sealed transcripts in SQLite (migration 5): building
 * a session's transcript from its rows and sealing it, who may read it,
 * loading, listing, full-text search, re-sealing at an account's erasure,
 * and checking every seal.
 *
 * Tables: transcripts (one row per closed session: the canonical JSON of
 * transcripts/FORMAT.md, its SHA-256 "seal" and listing metadata),
 * transcript_people (who each transcript names) and transcript_fts (FTS5,
 * one row per message that was not redacted, rowid = session_id * 2^20 +
 * seq, holding its text and its author's name as sealed).
 *
 * Every seal that is written — at the close, and again at an erasure — is
 * also written to the audit log (action transcript_sealed or
 * transcript_resealed, target "transcript" = the session id, detail
 * {"seal": hex, …}). trs_verify_all() checks each row against both: its
 * bytes must hash to its seal, and its seal must be the last one the audit
 * log recorded for it, so an edit that also recomputes the seal is found.
 *
 * Every function with a store_tx runs inside a store job (store thread, or
 * store_run in the CLI) and returns 0 or a negative store_err.
 */
#ifndef HEARTH_TRANSCRIPTS_STORE_H
#define HEARTH_TRANSCRIPTS_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct tx_transcript;

#define TRS_QUERY_MAX 200  /* bytes of a search query */
#define TRS_QUERY_WORDS 8  /* words of a search query that count */
#define TRS_SEARCH_MAX 50  /* results of one search */
#define TRS_LIST_MAX 500   /* rows of one listing */
#define TRS_SWEEP_BATCH 32 /* unsealed sessions found per sweep */

/*
 * The rule for reading a transcript, as an SQL boolean over a transcripts
 * row alias `t` (columns group_id, opened_at, closed_at) and a user id
 * expression `u` (evaluated more than once): the user is now a facilitator
 * of the group (with a staff role, not erased), or one of their
 * memberships of the group overlaps the session — it contains the
 * session's opening, as groups_access(…, opened_at) decides, or began
 * while the session ran. trs_may_read() applies the same rule to one
 * session; listing and search filter with this macro.
 */
#define TRS_READABLE_SQL(t, u)                                                                     \
	"(EXISTS (SELECT 1 FROM group_facilitators trf JOIN users tru ON tru.id = trf.user_id"     \
	" WHERE trf.group_id = " t ".group_id AND trf.user_id = (" u ")"                           \
	" AND tru.erased_at IS NULL AND tru.role IN ('facilitator', 'manager'))"                   \
	" OR EXISTS (SELECT 1 FROM memberships trm WHERE trm.group_id = " t ".group_id"            \
	" AND trm.user_id = (" u ") AND (trm.started_at <= " t ".opened_at"                        \
	" OR trm.started_at < " t ".closed_at)"                                                    \
	" AND (trm.ended_at IS NULL OR trm.ended_at > " t ".opened_at)))"

/* ---- building and sealing ---------------------------------------------- */

/*
 * Build the transcript of session_id from its rows (sessions, groups,
 * group_facilitators, users, attendance, messages, session_events) into a
 * new model (*out, freed with tx_transcript_free). The session must be
 * closed: STORE_ENOTFOUND when it does not exist, STORE_ECONFLICT when it
 * is not closed, STORE_EINVAL (logged) when the rows cannot make a valid
 * transcript.
 */
int trs_build(struct store_tx *tx, int64_t session_id, struct tx_transcript **out);

/*
 * Seal session_id's transcript once: build it, store its canonical JSON,
 * seal, metadata, people and search rows, and audit the seal. Idempotent:
 * when a transcript exists nothing changes and *sealed is 0; when the
 * session is not closed (or does not exist) nothing changes, *sealed is 0
 * and the result is 0 too. *sealed is 1 when this call sealed it.
 */
int trs_seal(struct store_tx *tx, int64_t session_id, int *sealed);

/*
 * Up to max closed sessions without a transcript whose id is above
 * after_id, in id order, into ids (*n of them). Sweeping with the last id
 * found as the next after_id gets past sessions that cannot be sealed.
 */
int trs_unsealed(struct store_tx *tx, int64_t after_id, int64_t *ids, size_t max, size_t *n);

/* ---- reading ------------------------------------------------------------ */

enum trs_verdict {
	TRS_READ = 0,	    /* may read it */
	TRS_NOT_MEMBER = 1, /* related to the group (a member at another time, a manager): 403 */
	TRS_NOT_FOUND = 2,  /* no such session, or no relation to its group: 404 */
};

/*
 * May user_id (with account role `role`, enum acct_role) read session
 * session_id's transcript? *verdict gets the answer (see the rule above
 * TRS_READABLE_SQL and the comment in transcripts_store.c on 403 vs 404);
 * *sealed is 1 when the transcript exists. *group_id gets the session's
 * group (0 when there is no such session).
 */
int trs_may_read(struct store_tx *tx, int64_t session_id, int64_t user_id, int role, int *verdict,
		 int *sealed, int64_t *group_id);

/* One stored transcript, copied out of the database. */
struct trs_row {
	int64_t session_id, group_id, opened_at, closed_at, sealed_at;
	char *canon; /* owned, NUL-terminated */
	size_t len;
	char seal[65];
	char local_date[11];
};
void trs_row_free(struct trs_row *r);

/* Load the stored transcript of session_id into *r. 0 or STORE_ENOTFOUND. */
int trs_load(struct store_tx *tx, int64_t session_id, struct trs_row *r);

/*
 * A group's transcripts, newest first, at most limit (≤ TRS_LIST_MAX),
 * opened before `before` (ms; 0 for no bound): a new JSON array of
 * {session_id, date, opened_at, closed_at, duration_s, duration_min,
 * message_count, attendance_count, adhoc, readable} where readable is the
 * rule for user_id. With only_readable, unreadable rows are left out.
 */
int trs_list(struct store_tx *tx, int64_t group_id, int64_t user_id, int only_readable,
	     int64_t before, int limit, json_t **out);

/*
 * Turn what a user typed into an FTS5 query that cannot be a syntax error:
 * words (runs of letters and digits, any script) become quoted strings,
 * ANDed, the last one a prefix ("bluebell" "wo"*); everything else is a
 * separator, so FTS5 operators, column filters and quotes are only
 * separators. At most TRS_QUERY_WORDS words. q must be valid UTF-8 of at
 * most TRS_QUERY_MAX bytes. Returns the number of words (0: nothing to
 * search for), or -1 when q breaks those limits; out gets the query.
 */
int trs_fts_query(const char *q, char *out, size_t outlen);

/*
 * Search the transcripts user_id may read (TRS_READABLE_SQL) with a query
 * made by trs_fts_query: a new JSON array, best match first, of at most
 * limit {session_id, group_id, group_name, date, seq, at, author,
 * snippet: {text, matches: [{start, length}]}}. The snippet is plain text
 * (never HTML); matches are offsets into it in UTF-16 code units (as
 * JavaScript strings index). *sessions gets the distinct session ids
 * found (a JSON array, for the audit log).
 */
int trs_search(struct store_tx *tx, int64_t user_id, const char *fts_query, int limit, json_t **out,
	       json_t **sessions);

/* ---- research export ----------------------------------------------------- */

#define TRS_PAGE 16 /* transcripts per page of the research export */

/*
 * One page of sealed transcripts in (opened_at, session_id) order, for the
 * research export. Set group_id (0: every group) and since ("" or a local
 * date "YYYY-MM-DD": transcripts of that day on) once and zero the rest;
 * each trs_page() call frees the previous rows, fills rows[0..n) with the
 * next ones and moves the cursor on. n < TRS_PAGE means it was the last.
 */
struct trs_page {
	int64_t group_id;
	char since[11];
	int64_t after_opened, after_session; /* cursor */
	struct trs_row rows[TRS_PAGE];
	size_t n;
};
int trs_page(struct store_tx *tx, struct trs_page *p);
void trs_page_free(struct trs_page *p);

/*
 * The research-only fields of every person of t, from the accounts table
 * now: username, e-mail and research consent (tx_set_contact). A person
 * whose account has been erased since is erased in t too.
 */
int trs_fill_contacts(struct store_tx *tx, struct tx_transcript *t);

/*
 * The display names and usernames of everyone who has ever been in group
 * group_id — members past and present, facilitators, people its
 * transcripts name — for the scrubber: a new NULL-terminated array of
 * owned strings (free with trs_names_free). Erased accounts have none.
 */
int trs_group_names(struct store_tx *tx, int64_t group_id, char ***names);
void trs_names_free(char **names);

/* ---- erasure and verification ------------------------------------------ */

/*
 * acct_on_erase hook: in the erasure's transaction, rewrite every
 * transcript naming user_id with that person erased (tx_erase_person),
 * re-seal it, audit the old and new seals (transcript_resealed), and
 * rebuild its search rows. A transcript whose stored bytes no longer
 * match their seal is rewritten but keeps its (stale) seal, so that the
 * earlier tampering is still reported; one that cannot be parsed is left
 * alone and reported in the log and the audit log. Never fails the
 * erasure for a transcript's sake: only database errors are returned.
 */
int trs_erase_user(struct store_tx *tx, int64_t user_id);

/* Called by trs_verify_all for each transcript that does not verify; why is a sentence. */
typedef void (*trs_bad_fn)(int64_t session_id, const char *why, void *arg);

/*
 * Check every stored transcript: its bytes hash to its seal, its seal is
 * the one last written to the audit log for it, and the bytes parse as a
 * canonical transcript of that session. *total gets the number checked,
 * *bad how many failed (each reported through bad()).
 */
int trs_verify_all(struct store_tx *tx, trs_bad_fn bad, void *arg, int64_t *total, int64_t *bad_n);

#endif
