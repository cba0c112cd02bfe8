/*
 * audit.c — the hash-chained audit log (see audit.h).
 *
 * hash = SHA-256(prev_hash "|" ts "|" actor "|" action "|" target_type "|"
 *                target_id "|" detail), hex. The first row's prev_hash is
 * 64 zeros.
 */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crypto.h"
#include "util.h"

static const char zero_hash[] =
	"0000000000000000000000000000000000000000000000000000000000000000";

static void row_hash(const char *prev, int64_t ts, int64_t actor, const char *action,
		     const char *ttype, int64_t tid, const char *detail, char out[65])
{
	char *text = xasprintf("%s|%lld|%lld|%s|%s|%lld|%s", prev, (long long)ts,
			       (long long)actor, action, ttype ? ttype : "", (long long)tid,
			       detail);

	crypto_sha256_hex(text, strlen(text), out);
	free(text);
}

int audit_append(struct store_tx *tx, int64_t actor_id, const char *action,
		 const char *target_type, int64_t target_id, const char *detail_json)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1");
	char prev[65], hash[65];
	const char *detail = detail_json ? detail_json : "{}";
	int64_t ts = clock_now_ms();
	int rc;

	if (!st)
		return STORE_EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(prev, sizeof prev, "%s", (const char *)sqlite3_column_text(st, 0));
	else
		memcpy(prev, zero_hash, sizeof prev);
	sqlite3_reset(st);
	row_hash(prev, ts, actor_id, action, target_type, target_id, detail, hash);
	st = store_stmt(tx, "INSERT INTO audit_log (ts, actor_id, action, target_type, target_id,"
			    " detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, ts);
	if (actor_id)
		sqlite3_bind_int64(st, 2, actor_id);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	if (target_type)
		sqlite3_bind_text(st, 4, target_type, -1, SQLITE_STATIC);
	if (target_id)
		sqlite3_bind_int64(st, 5, target_id);
	sqlite3_bind_text(st, 6, detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, hash, -1, SQLITE_STATIC);
	rc = store_check(tx, sqlite3_step(st), "audit_append");
	sqlite3_reset(st);
	return rc;
}

int64_t audit_verify(struct store_tx *tx, char *why, size_t whylen)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT id, ts, coalesce(actor_id, 0), action,"
					  " target_type, coalesce(target_id, 0), detail,"
					  " prev_hash, hash FROM audit_log ORDER BY id");
	char prev[65], hash[65];
	int64_t bad = 0;

	if (!st) {
		snprintf(why, whylen, "cannot read the audit log");
		return -1;
	}
	memcpy(prev, zero_hash, sizeof prev);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *row_prev = (const char *)sqlite3_column_text(st, 7);
		const char *row_hash_txt = (const char *)sqlite3_column_text(st, 8);

		row_hash(prev, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
			 (const char *)sqlite3_column_text(st, 3),
			 (const char *)sqlite3_column_text(st, 4), sqlite3_column_int64(st, 5),
			 (const char *)sqlite3_column_text(st, 6), hash);
		if (!row_prev || strcmp(row_prev, prev)) {
			snprintf(why, whylen, "row %lld does not follow the row before it "
					      "(a row was deleted or inserted)", (long long)id);
			bad = id;
			break;
		}
		if (!row_hash_txt || strcmp(row_hash_txt, hash)) {
			snprintf(why, whylen, "row %lld was changed after it was written",
				 (long long)id);
			bad = id;
			break;
		}
		memcpy(prev, hash, sizeof prev);
	}
	sqlite3_reset(st);
	return bad;
}
