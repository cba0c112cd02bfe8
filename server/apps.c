/*
 * apps.c — applications, the waitlist and seat offers in the store, and
 * the periodic work that moves them along (see apps.h).
 *
 * Screening content (answers, GP contact, notes) exists in clear only in
 * the memory of the job that seals or opens it; plaintext buffers are
 * wiped before they are freed.
 */
#include "apps.h"

#include <openssl/crypto.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "clock.h"
#include "groups_int.h"
#include "log.h"
#include "util.h"

#define APPS_LIST_MAX 500
#define TICK_BATCH 256 /* rows of one kind handled per tick; the rest wait for the next */

static const char *const age_bands[] = {"18-24", "25-34", "35-44", "45-54",
					"55-64", "65-74", "75+"};

int apps_age_band_ok(const char *s)
{
	for (size_t i = 0; s && i < ARRAY_LEN(age_bands); i++)
		if (!strcmp(s, age_bands[i]))
			return 1;
	return 0;
}

static void wipe_free(char *s, size_t n)
{
	if (s) {
		OPENSSL_cleanse(s, n);
		free(s);
	}
}

/* ---- sealed cells ---- */

static const char *seal_sql(const char *column)
{
	if (!strcmp(column, "answers"))
		return "UPDATE applications SET answers = ? WHERE id = ?";
	if (!strcmp(column, "gp_contact"))
		return "UPDATE applications SET gp_contact = ? WHERE id = ?";
	return "UPDATE applications SET notes = ? WHERE id = ?";
}

/* Seal text (len bytes) into applications.column of row id. */
static int seal(struct store_tx *tx, const struct apps_ctx *ctx, const char *column, int64_t id,
		const char *text, size_t len)
{
	unsigned char *blob = NULL;
	size_t bloblen = 0;
	sqlite3_stmt *st;
	int rc =
	    crypto_field_encrypt(ctx->key, "applications", column, id, text, len, &blob, &bloblen);

	if (rc) {
		log_error("apps_seal", "application=%lld column=%s err=\"%s\"", (long long)id,
			  column, crypto_strerror(rc));
		return STORE_EIO;
	}
	st = store_stmt(tx, seal_sql(column));
	if (!st) {
		free(blob);
		return STORE_EIO;
	}
	sqlite3_bind_blob(st, 1, blob, (int)bloblen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	rc = groups__exec(tx, st, "apps_seal");
	free(blob);
	return rc;
}

/* Seal a JSON value (taken) into a cell. */
static int seal_json(struct store_tx *tx, const struct apps_ctx *ctx, const char *column,
		     int64_t id, json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	int rc;

	json_decref(v);
	if (!text)
		return STORE_EIO;
	rc = seal(tx, ctx, column, id, text, strlen(text));
	wipe_free(text, strlen(text));
	return rc;
}

/*
 * Open column `col` of st (a blob sealed for applications.column, row id)
 * as JSON (as_json) or a string. NULL cell → JSON null. On a tag failure
 * the reason is logged (ids only) and *rc is STORE_EIO.
 */
static json_t *open_cell(const struct apps_ctx *ctx, sqlite3_stmt *st, int col, const char *column,
			 int64_t id, int as_json, int *rc)
{
	const void *blob = sqlite3_column_blob(st, col);
	size_t bloblen = (size_t)sqlite3_column_bytes(st, col), len = 0;
	char *text = NULL;
	json_t *v;
	int crc;

	if (!blob)
		return json_null();
	crc =
	    crypto_field_decrypt(ctx->key, "applications", column, id, blob, bloblen, &text, &len);
	if (crc) {
		log_error("apps_open_cell", "application=%lld column=%s err=\"%s\"", (long long)id,
			  column, crypto_strerror(crc));
		*rc = STORE_EIO;
		return json_null();
	}
	v = as_json ? json_loadb(text, len, 0, NULL) : json_stringn(text, len);
	wipe_free(text, len);
	return v ? v : json_null();
}

/* ---- checking an application ---- */

static int text_ok(json_t *v, size_t min, size_t max)
{
	const char *s = json_string_value(v);
	size_t n;

	if (!s)
		return 0;
	n = json_string_length(v);
	if (n > max * 4 || strlen(s) != n)
		return 0;
	n = utf8_len(s, n);
	return n >= min && n <= max;
}

static int check_body(json_t *body, size_t nquestions, struct groups_why *why)
{
	json_t *answers = json_object_get(body, "answers"), *gp = json_object_get(body, "gp"), *v;
	static const char *const gp_keys[] = {"name", "practice", "phone"};
	const char *key;
	size_t i;

	json_object_foreach(body, key, v)
	{
		if (strcmp(key, "answers") && strcmp(key, "age_band") && strcmp(key, "gp"))
			return groups_refuse(why, 400, "unknown_field",
					     "An application has answers, age_band and gp only.",
					     STORE_EINVAL);
	}
	if (!json_is_array(answers) || json_array_size(answers) != nquestions)
		return groups_refuse(why, 400, "bad_answers",
				     "Please answer each of the group's screening questions, "
				     "in order.",
				     STORE_EINVAL);
	json_array_foreach(answers, i, v)
	{
		if (!text_ok(v, 0, APPS_ANSWER_MAX))
			return groups_refuse(why, 400, "bad_answers",
					     "Each answer is text of at most 4000 characters.",
					     STORE_EINVAL);
	}
	if (!apps_age_band_ok(json_string_value(json_object_get(body, "age_band"))))
		return groups_refuse(why, 400, "bad_age_band",
				     "age_band must be one of 18-24, 25-34, 35-44, 45-54, 55-64, "
				     "65-74 or 75+.",
				     STORE_EINVAL);
	if (!json_is_object(gp) || json_object_size(gp) != ARRAY_LEN(gp_keys))
		goto bad_gp;
	for (i = 0; i < ARRAY_LEN(gp_keys); i++)
		if (!text_ok(json_object_get(gp, gp_keys[i]), 1, APPS_GP_FIELD_MAX))
			goto bad_gp;
	return 0;
bad_gp:
	return groups_refuse(why, 400, "bad_gp",
			     "Please give your GP's name, practice and phone number "
			     "(each at most 200 characters).",
			     STORE_EINVAL);
}

static int group_questions(struct store_tx *tx, int64_t group_id, json_t **questions, char *name,
			   size_t namelen)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT questions, name FROM groups WHERE id = ?");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	if ((rc = groups__step_row(tx, st, "apps_questions")))
		return rc;
	*questions = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	snprintf(name, namelen, "%s", (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	if (!json_is_array(*questions)) {
		json_decref(*questions);
		*questions = json_array();
	}
	return 0;
}

/* 409 when user_id already has a pending application or waitlist place in group_id. */
static int check_not_pending(struct store_tx *tx, int64_t group_id, int64_t user_id,
			     struct groups_why *why)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT EXISTS (SELECT 1 FROM applications WHERE group_id = ?1 AND user_id = ?2"
		" AND status = 'pending'), EXISTS (SELECT 1 FROM waitlist WHERE group_id = ?1"
		" AND user_id = ?2 AND state IN ('waiting', 'offered'))");
	int rc, pending = 0, waiting = 0;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	sqlite3_bind_int64(st, 2, user_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		pending = sqlite3_column_int(st, 0);
		waiting = sqlite3_column_int(st, 1);
		rc = 0;
	} else {
		rc = store_check(tx, rc, "apps_pending");
	}
	sqlite3_reset(st);
	if (rc)
		return rc;
	if (pending)
		return groups_refuse(why, 409, "application_pending",
				     "You have already applied to this group; a facilitator will "
				     "be in touch.",
				     STORE_ECONFLICT);
	if (waiting)
		return groups_refuse(why, 409, "already_waitlisted",
				     "You are already on this group's waitlist.", STORE_ECONFLICT);
	return 0;
}

/* Mail every facilitator of group_id. */
static int mail_facilitators(struct store_tx *tx, int64_t group_id, const char *kind,
			     const char *subject, const char *body)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT user_id FROM group_facilitators WHERE"
					  " group_id = ? ORDER BY user_id");
	int64_t ids[GROUPS_FACILITATORS_MAX];
	int n = 0, rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < (int)ARRAY_LEN(ids))
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_check(tx, rc, "apps_facilitators");
	for (int i = 0; i < n; i++)
		if ((rc = groups__mail(tx, ids[i], kind, subject, body)))
			return rc;
	return 0;
}

int apps_submit(struct store_tx *tx, const struct apps_ctx *ctx, int64_t group_id, int64_t user_id,
		json_t *body, int64_t now, int64_t *id, struct groups_why *why)
{
	json_t *questions = NULL, *pairs, *q;
	char name[512], *text;
	sqlite3_stmt *st;
	size_t i;
	int rc = group_questions(tx, group_id, &questions, name, sizeof name);

	if (rc)
		return rc;
	if ((rc = check_body(body, json_array_size(questions), why)) ||
	    (rc = groups__check_can_join(tx, group_id, user_id, why)) ||
	    (rc = check_not_pending(tx, group_id, user_id, why)))
		goto out;
	st = store_stmt(tx, "INSERT INTO applications (group_id, user_id, age_band, created_at,"
			    " updated_at) VALUES (?, ?, ?, ?, ?)");
	if (!st) {
		rc = STORE_EIO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, group_id);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_text(st, 3, json_string_value(json_object_get(body, "age_band")), -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now);
	if ((rc = groups__exec(tx, st, "apps_insert")))
		goto out;
	*id = sqlite3_last_insert_rowid(store_db(tx));
	/* each answer keeps its question: the group's questions may be edited later */
	pairs = json_array();
	json_array_foreach(questions, i, q)
	{
		json_array_append_new(
		    pairs, json_pack("{s:O,s:O}", "question", q, "answer",
				     json_array_get(json_object_get(body, "answers"), i)));
	}
	if ((rc = seal_json(tx, ctx, "answers", *id, pairs)) ||
	    (rc = seal_json(tx, ctx, "gp_contact", *id,
			    json_deep_copy(json_object_get(body, "gp")))))
		goto out;
	rc = groups__audit(tx, user_id, "application_submit", "application", *id,
			   json_pack("{s:I}", "group", (json_int_t)group_id));
	if (rc)
		goto out;
	text = xasprintf("Thank you for applying to join \"%s\".\n\nA facilitator of the group "
			 "will read your application and reply to you in Hearth. You can see "
			 "its status at any time under My applications.\n",
			 name);
	rc = groups__mail(tx, user_id, "application_received", "We have your application", text);
	free(text);
	if (rc == 0) {
		text =
		    xasprintf("A new application to \"%s\" is waiting for you in Hearth.\n", name);
		rc = mail_facilitators(tx, group_id, "application_waiting", "A new application",
				       text);
		free(text);
	}
out:
	json_decref(questions);
	return rc;
}

/* ---- reading applications ---- */

#define APP_COLS                                                                                   \
	"a.id, a.group_id, g.name, a.user_id, " ACCT_NAME_SQL(                                     \
	    "u") ", a.status, a.age_band,"                                                         \
		 " a.message, a.created_at, a.updated_at, a.decided_at, a.decided_by,"             \
		 " a.screening_purged_at IS NOT NULL"

static json_t *app_meta(sqlite3_stmt *st, int with_age)
{
	json_t *o = json_pack("{s:I,s:{s:I,s:s},s:{s:I,s:s},s:s,s:I,s:I}", "id",
			      (json_int_t)sqlite3_column_int64(st, 0), "group", "id",
			      (json_int_t)sqlite3_column_int64(st, 1), "name",
			      (const char *)sqlite3_column_text(st, 2), "applicant", "id",
			      (json_int_t)sqlite3_column_int64(st, 3), "name",
			      (const char *)sqlite3_column_text(st, 4), "status",
			      (const char *)sqlite3_column_text(st, 5), "created_at",
			      (json_int_t)sqlite3_column_int64(st, 8), "updated_at",
			      (json_int_t)sqlite3_column_int64(st, 9));

	if (!o)
		return NULL;
	json_object_set_new(o, "decided_at",
			    sqlite3_column_type(st, 10) == SQLITE_NULL
				? json_null()
				: json_integer(sqlite3_column_int64(st, 10)));
	if (with_age)
		json_object_set_new(o, "age_band",
				    json_string((const char *)sqlite3_column_text(st, 6)));
	return o;
}

int apps_open(struct store_tx *tx, const struct apps_ctx *ctx, int64_t app_id, int64_t viewer,
	      int viewer_role, json_t **out, struct groups_why *why)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT " APP_COLS ", a.answers, a.gp_contact, a.notes"
					  " FROM applications a JOIN groups g ON g.id = a.group_id"
					  " JOIN users u ON u.id = a.user_id WHERE a.id = ?");
	int64_t group_id, applicant;
	int access = GROUP_NONE, rc;
	json_t *o;

	*out = NULL;
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, app_id);
	if ((rc = groups__step_row(tx, st, "apps_open")))
		return rc;
	group_id = sqlite3_column_int64(st, 1);
	applicant = sqlite3_column_int64(st, 3);
	/* the statement stays positioned on its row while access is checked */
	rc = groups_access(tx, group_id, viewer, clock_now_ms(), &access);
	if (rc == 0 && access == GROUP_FACILITATOR) {
		o = app_meta(st, 1);
		json_object_set_new(o, "message",
				    sqlite3_column_type(st, 7) == SQLITE_NULL
					? json_null()
					: json_string((const char *)sqlite3_column_text(st, 7)));
		json_object_set_new(o, "answers",
				    open_cell(ctx, st, 13, "answers", app_id, 1, &rc));
		json_object_set_new(o, "gp", open_cell(ctx, st, 14, "gp_contact", app_id, 1, &rc));
		json_object_set_new(o, "notes", open_cell(ctx, st, 15, "notes", app_id, 0, &rc));
		json_object_set_new(o, "screening_purged",
				    json_boolean(sqlite3_column_int(st, 12)));
		sqlite3_reset(st);
		if (rc == 0)
			rc = groups__audit(tx, viewer, "screening_read", "application", app_id,
					   json_pack("{s:I}", "group", (json_int_t)group_id));
		if (rc)
			json_decref(o);
		else
			*out = o;
		return rc;
	}
	if (rc == 0 && viewer == applicant) {
		o = app_meta(st, 0);
		json_object_set_new(o, "message",
				    sqlite3_column_type(st, 7) == SQLITE_NULL
					? json_null()
					: json_string((const char *)sqlite3_column_text(st, 7)));
		*out = o;
	}
	sqlite3_reset(st);
	if (rc || *out)
		return rc;
	if (viewer_role == ACCT_MANAGER)
		return groups_refuse(why, 403, "screening_private",
				     "Screening answers are read only by the group's "
				     "facilitators.",
				     STORE_EFORBIDDEN);
	return STORE_ENOTFOUND;
}

int apps_list(struct store_tx *tx, int64_t viewer, int viewer_role, const char *status,
	      int64_t group_id, json_t **out)
{
	sqlite3_stmt *st =
	    store_stmt(tx, "SELECT " APP_COLS ", EXISTS (SELECT 1 FROM group_facilitators f"
			   " WHERE f.group_id = a.group_id AND f.user_id = ?1) AS fac"
			   " FROM applications a JOIN groups g ON g.id = a.group_id"
			   " JOIN users u ON u.id = a.user_id"
			   " WHERE (?2 OR fac) AND (?3 IS NULL OR a.status = ?3)"
			   " AND (?4 = 0 OR a.group_id = ?4) ORDER BY a.id DESC LIMIT ?5");
	int rc;

	*out = json_array();
	if (viewer_role < ACCT_FACILITATOR)
		return 0; /* a member is no group's facilitator */
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, viewer);
	sqlite3_bind_int(st, 2, viewer_role == ACCT_MANAGER);
	if (status)
		sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, group_id);
	sqlite3_bind_int(st, 5, APPS_LIST_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* managers see who applied where, not the answers nor the age band */
		json_t *o = app_meta(st, sqlite3_column_int(st, 13));

		if (o)
			json_array_append_new(*out, o);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_check(tx, rc, "apps_list");
}

int apps_list_mine(struct store_tx *tx, int64_t user_id, int64_t now, json_t **out)
{
	sqlite3_stmt *st =
	    store_stmt(tx, "SELECT a.id, a.group_id, g.name, a.status, a.message, a.created_at,"
			   " a.decided_at, w.id, w.state, (SELECT count(*) FROM waitlist w2 WHERE"
			   " w2.group_id = a.group_id AND w2.state IN ('waiting', 'offered')"
			   " AND w2.id <= w.id), o.id, o.expires_at"
			   " FROM applications a JOIN groups g ON g.id = a.group_id"
			   " LEFT JOIN waitlist w ON w.application_id = a.id"
			   "  AND w.state IN ('waiting', 'offered')"
			   " LEFT JOIN offers o ON o.waitlist_id = w.id AND o.state = 'open'"
			   " WHERE a.user_id = ? ORDER BY a.id DESC LIMIT 100");
	int rc;

	(void)now;
	*out = json_array();
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_pack("{s:I,s:{s:I,s:s},s:s,s:I}", "id",
				      (json_int_t)sqlite3_column_int64(st, 0), "group", "id",
				      (json_int_t)sqlite3_column_int64(st, 1), "name",
				      (const char *)sqlite3_column_text(st, 2), "status",
				      (const char *)sqlite3_column_text(st, 3), "created_at",
				      (json_int_t)sqlite3_column_int64(st, 5));

		if (!o)
			continue;
		json_object_set_new(o, "message",
				    sqlite3_column_type(st, 4) == SQLITE_NULL
					? json_null()
					: json_string((const char *)sqlite3_column_text(st, 4)));
		json_object_set_new(o, "decided_at",
				    sqlite3_column_type(st, 6) == SQLITE_NULL
					? json_null()
					: json_integer(sqlite3_column_int64(st, 6)));
		json_object_set_new(o, "waitlist",
				    sqlite3_column_type(st, 7) == SQLITE_NULL
					? json_null()
					: json_pack("{s:i,s:s}", "position",
						    sqlite3_column_int(st, 9), "state",
						    (const char *)sqlite3_column_text(st, 8)));
		json_object_set_new(
		    o, "offer",
		    sqlite3_column_type(st, 10) == SQLITE_NULL
			? json_null()
			: json_pack("{s:I,s:I}", "id", (json_int_t)sqlite3_column_int64(st, 10),
				    "expires_at", (json_int_t)sqlite3_column_int64(st, 11)));
		json_array_append_new(*out, o);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_check(tx, rc, "apps_mine");
}

int apps_offers_mine(struct store_tx *tx, int64_t user_id, json_t **out)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT o.id, o.group_id, g.name, o.created_at,"
					  " o.expires_at FROM offers o JOIN groups g"
					  " ON g.id = o.group_id WHERE o.user_id = ?"
					  " AND o.state = 'open' ORDER BY o.id");
	int rc;

	*out = json_array();
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(
		    *out, json_pack("{s:I,s:{s:I,s:s},s:I,s:I}", "id",
				    (json_int_t)sqlite3_column_int64(st, 0), "group", "id",
				    (json_int_t)sqlite3_column_int64(st, 1), "name",
				    (const char *)sqlite3_column_text(st, 2), "created_at",
				    (json_int_t)sqlite3_column_int64(st, 3), "expires_at",
				    (json_int_t)sqlite3_column_int64(st, 4)));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_check(tx, rc, "apps_offers");
}

/* ---- deciding ---- */

/* The application's group, applicant and status, if actor facilitates its group; else ENOTFOUND. */
static int load_for_staff(struct store_tx *tx, int64_t app_id, int64_t actor, int64_t *group_id,
			  int64_t *user_id, char *status, size_t statuslen)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT group_id, user_id, status FROM applications"
					  " WHERE id = ?");
	int rc, access;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, app_id);
	if ((rc = groups__step_row(tx, st, "apps_load")))
		return rc;
	*group_id = sqlite3_column_int64(st, 0);
	*user_id = sqlite3_column_int64(st, 1);
	snprintf(status, statuslen, "%s", (const char *)sqlite3_column_text(st, 2));
	sqlite3_reset(st);
	if ((rc = groups_access(tx, *group_id, actor, clock_now_ms(), &access)))
		return rc;
	/* to anyone else, an application of another group does not exist */
	return access == GROUP_FACILITATOR ? 0 : STORE_ENOTFOUND;
}

int apps_set_notes(struct store_tx *tx, const struct apps_ctx *ctx, int64_t app_id, int64_t actor,
		   const char *notes, int64_t now, struct groups_why *why)
{
	int64_t group_id, user_id;
	char status[16];
	sqlite3_stmt *st;
	int rc = load_for_staff(tx, app_id, actor, &group_id, &user_id, status, sizeof status);

	(void)why;
	if (rc || (rc = seal(tx, ctx, "notes", app_id, notes, strlen(notes))))
		return rc;
	st = store_stmt(tx, "UPDATE applications SET updated_at = ? WHERE id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, app_id);
	if ((rc = groups__exec(tx, st, "apps_notes")))
		return rc;
	return groups__audit(tx, actor, "application_notes", "application", app_id,
			     json_pack("{s:I}", "group", (json_int_t)group_id));
}

/* Put an approved applicant on the waitlist; *position gets their place (1 = next). */
static int waitlist_add(struct store_tx *tx, int64_t group_id, int64_t user_id, int64_t app_id,
			int64_t now, int *position)
{
	sqlite3_stmt *st = store_stmt(tx, "INSERT INTO waitlist (group_id, user_id, application_id,"
					  " added_at, updated_at) VALUES (?, ?, ?, ?, ?)");
	int64_t wid, pos;
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, app_id);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now);
	if ((rc = groups__exec(tx, st, "waitlist_add")))
		return rc;
	wid = sqlite3_last_insert_rowid(store_db(tx));
	st = store_stmt(tx, "SELECT count(*) FROM waitlist WHERE group_id = ?"
			    " AND state IN ('waiting', 'offered') AND id <= ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	sqlite3_bind_int64(st, 2, wid);
	rc = groups__step_int64(tx, st, &pos, "waitlist_pos");
	*position = (int)pos;
	return rc;
}

/* Approve: a seat now if one is free and nobody waits before; else the waitlist. */
static int approve(struct store_tx *tx, int64_t group_id, int64_t user_id, int64_t app_id,
		   int64_t actor, int64_t now, json_t *res, struct groups_why *why)
{
	struct sched_slot slot;
	struct groups_seats seats;
	int capacity, position, rc;

	if ((rc = groups__check_can_join(tx, group_id, user_id, why)) ||
	    (rc = groups_get_slot(tx, group_id, &slot, NULL, 0, &capacity, NULL)) ||
	    (rc = groups_seats(tx, group_id, &slot, capacity, now, &seats)))
		return rc;
	/* those already waiting come first: a seat they are due is not given away */
	if (seats.intake_open && seats.seats_left - seats.waiting > 0) {
		if ((rc = groups_join(tx, group_id, user_id, app_id, now, actor, why)))
			return rc;
		json_object_set_new(res, "status", json_string("approved"));
		json_object_set_new(res, "member", json_true());
		return 0;
	}
	if ((rc = waitlist_add(tx, group_id, user_id, app_id, now, &position)))
		return rc;
	json_object_set_new(res, "status", json_string("waitlisted"));
	json_object_set_new(res, "member", json_false());
	json_object_set_new(res, "waitlist_position", json_integer(position));
	json_object_set_new(res, "reason",
			    json_string(seats.intake_open ? "full" : "intake_closed"));
	return 0;
}

int apps_decide(struct store_tx *tx, const struct apps_ctx *ctx, int64_t app_id, int64_t actor,
		enum apps_decision d, const char *message, const char *notes, int64_t now,
		json_t **out, int64_t *joined_group, struct groups_why *why)
{
	static const char *const names[] = {"approve", "waitlist", "refer"};
	int64_t group_id, user_id;
	char status[16], gname[512], *text;
	sqlite3_stmt *st;
	json_t *res;
	int position,
	    rc = load_for_staff(tx, app_id, actor, &group_id, &user_id, status, sizeof status);

	*out = NULL;
	*joined_group = 0;
	if (rc)
		return rc;
	if (strcmp(status, "pending"))
		return groups_refuse(why, 409, "already_decided",
				     "This application has already been decided.", STORE_ECONFLICT);
	if (d == APPS_REFER && (!message || !*message))
		return groups_refuse(why, 400, "missing_message",
				     "Please write a message to the applicant when referring them.",
				     STORE_EINVAL);
	res = json_pack("{s:I,s:I}", "id", (json_int_t)app_id, "applicant_id", (json_int_t)user_id);
	if (d == APPS_APPROVE)
		rc = approve(tx, group_id, user_id, app_id, actor, now, res, why);
	else if (d == APPS_WAITLIST) {
		rc = waitlist_add(tx, group_id, user_id, app_id, now, &position);
		json_object_set_new(res, "status", json_string("waitlisted"));
		json_object_set_new(res, "member", json_false());
		json_object_set_new(res, "waitlist_position", json_integer(position));
	} else {
		json_object_set_new(res, "status", json_string("referred"));
		json_object_set_new(res, "member", json_false());
	}
	if (rc == 0 && notes)
		rc = seal(tx, ctx, "notes", app_id, notes, strlen(notes));
	st = rc ? NULL
		: store_stmt(tx, "UPDATE applications SET status = ?, message = ?, decided_by = ?,"
				 " decided_at = ?, updated_at = ? WHERE id = ?");
	if (rc == 0 && !st)
		rc = STORE_EIO;
	if (rc == 0) {
		sqlite3_bind_text(st, 1, json_string_value(json_object_get(res, "status")), -1,
				  SQLITE_TRANSIENT);
		if (message && *message)
			sqlite3_bind_text(st, 2, message, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, actor);
		sqlite3_bind_int64(st, 4, now);
		sqlite3_bind_int64(st, 5, now);
		sqlite3_bind_int64(st, 6, app_id);
		rc = groups__exec(tx, st, "apps_decide");
	}
	if (rc == 0)
		rc = groups__audit(tx, actor, "application_decision", "application", app_id,
				   json_pack("{s:s,s:s,s:I}", "decision", names[d], "status",
					     json_string_value(json_object_get(res, "status")),
					     "group", (json_int_t)group_id));
	if (rc == 0)
		rc = groups_get_slot(tx, group_id, NULL, gname, sizeof gname, NULL, NULL);
	if (rc == 0) {
		/* the facilitator's message is read in Hearth, not sent by mail */
		text = xasprintf("There is news about your application to \"%s\".\n\nPlease sign "
				 "in to Hearth and open My applications to read it.\n",
				 gname);
		rc = groups__mail(tx, user_id, "application_decision",
				  "News about your application", text);
		free(text);
	}
	if (rc) {
		json_decref(res);
		return rc;
	}
	if (json_is_true(json_object_get(res, "member")))
		*joined_group = group_id;
	*out = res;
	return 0;
}

/* ---- withdrawing, offers ---- */

/* Close the open offer of waitlist entry wid (if any) as `state`. */
/* Run st, an UPDATE of one kind of row taking (state, now, id); STORE_EIO if st is NULL. */
static int update_state(struct store_tx *tx, sqlite3_stmt *st, const char *state, int64_t now,
			int64_t id, const char *what)
{
	if (!st)
		return STORE_EIO;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, id);
	return groups__exec(tx, st, what);
}

static int close_offer(struct store_tx *tx, int64_t wid, const char *state, int64_t now)
{
	return update_state(tx,
			    store_stmt(tx, "UPDATE offers SET state = ?, answered_at = ?"
					   " WHERE waitlist_id = ? AND state = 'open'"),
			    state, now, wid, "offer_close");
}

static int set_waitlist_state(struct store_tx *tx, int64_t wid, const char *state, int64_t now)
{
	return update_state(tx,
			    store_stmt(tx, "UPDATE waitlist SET state = ?, updated_at = ?"
					   " WHERE id = ?"),
			    state, now, wid, "waitlist_state");
}

static int set_app_status(struct store_tx *tx, int64_t app_id, const char *status, int64_t now)
{
	return update_state(tx,
			    store_stmt(tx, "UPDATE applications SET status = ?, updated_at = ?"
					   " WHERE id = ?"),
			    status, now, app_id, "apps_status");
}

int apps_withdraw(struct store_tx *tx, const struct apps_ctx *ctx, int64_t app_id, int64_t user_id,
		  int64_t now, struct groups_why *why)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT a.group_id, a.status, w.id, w.state FROM"
					  " applications a LEFT JOIN waitlist w ON"
					  " w.application_id = a.id AND w.state IN ('waiting',"
					  " 'offered') WHERE a.id = ? AND a.user_id = ?");
	int64_t group_id, wid = 0;
	int offered = 0, rc;
	char status[16];

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, app_id);
	sqlite3_bind_int64(st, 2, user_id);
	if ((rc = groups__step_row(tx, st, "apps_withdraw")))
		return rc;
	group_id = sqlite3_column_int64(st, 0);
	snprintf(status, sizeof status, "%s", (const char *)sqlite3_column_text(st, 1));
	if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
		wid = sqlite3_column_int64(st, 2);
		offered = !strcmp((const char *)sqlite3_column_text(st, 3), "offered");
	}
	sqlite3_reset(st);
	if (strcmp(status, "pending") && strcmp(status, "waitlisted"))
		return groups_refuse(why, 409, "already_decided",
				     "This application can no longer be withdrawn.",
				     STORE_ECONFLICT);
	if ((rc = set_app_status(tx, app_id, "withdrawn", now)))
		return rc;
	if (wid && ((rc = set_waitlist_state(tx, wid, "removed", now)) ||
		    (rc = close_offer(tx, wid, "withdrawn", now))))
		return rc;
	if ((rc = groups__audit(tx, user_id, "application_withdraw", "application", app_id,
				json_pack("{s:I}", "group", (json_int_t)group_id))))
		return rc;
	return offered ? apps_fill_seats(tx, ctx, group_id, now, NULL) : 0;
}

int apps_answer_offer(struct store_tx *tx, const struct apps_ctx *ctx, int64_t offer_id,
		      int64_t user_id, int accept, int64_t now, int64_t *group_id,
		      struct groups_why *why)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT o.group_id, o.waitlist_id, o.state,"
					  " o.expires_at, w.application_id FROM offers o"
					  " JOIN waitlist w ON w.id = o.waitlist_id"
					  " WHERE o.id = ? AND o.user_id = ?");
	int64_t wid, app_id, expires;
	int open, rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, offer_id);
	sqlite3_bind_int64(st, 2, user_id);
	if ((rc = groups__step_row(tx, st, "offer_load")))
		return rc;
	*group_id = sqlite3_column_int64(st, 0);
	wid = sqlite3_column_int64(st, 1);
	open = !strcmp((const char *)sqlite3_column_text(st, 2), "open");
	expires = sqlite3_column_int64(st, 3);
	app_id = sqlite3_column_int64(st, 4);
	sqlite3_reset(st);
	/* an offer past its time is closed even if the tick has not yet noticed */
	if (!open || expires <= now)
		return groups_refuse(why, 409, "offer_closed",
				     "This offer has closed. If you are still on the waitlist, "
				     "we will write again when a seat opens.",
				     STORE_ECONFLICT);
	if (accept) {
		if ((rc = groups_join(tx, *group_id, user_id, app_id, now, user_id, why)) ||
		    (rc = close_offer(tx, wid, "accepted", now)) ||
		    (rc = set_waitlist_state(tx, wid, "joined", now)) ||
		    (rc = set_app_status(tx, app_id, "approved", now)))
			return rc;
	} else if ((rc = close_offer(tx, wid, "declined", now)) ||
		   (rc = set_waitlist_state(tx, wid, "declined", now)) ||
		   (rc = set_app_status(tx, app_id, "withdrawn", now))) {
		return rc;
	}
	if ((rc = groups__audit(tx, user_id, accept ? "offer_accept" : "offer_decline", "offer",
				offer_id, json_pack("{s:I}", "group", (json_int_t)*group_id))))
		return rc;
	return accept ? 0 : apps_fill_seats(tx, ctx, *group_id, now, NULL);
}

/* The first waiting entry of group_id whose user may join it now; 0 when none. */
static int next_waiting(struct store_tx *tx, int64_t group_id, int workshop, int64_t *wid,
			int64_t *user_id)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT w.id, w.user_id FROM waitlist w JOIN users u ON u.id = w.user_id"
		" WHERE w.group_id = ?1 AND w.state = 'waiting' AND u.erased_at IS NULL"
		" AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = w.user_id"
		"  AND m.group_id = ?1 AND m.ended_at IS NULL)"
		" AND (?2 OR NOT EXISTS (SELECT 1 FROM memberships m JOIN groups g2"
		"  ON g2.id = m.group_id WHERE m.user_id = w.user_id AND m.ended_at IS NULL"
		"  AND g2.category != 'workshop'))"
		" ORDER BY w.id LIMIT 1");
	int rc;

	*wid = 0;
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	sqlite3_bind_int(st, 2, workshop);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*wid = sqlite3_column_int64(st, 0);
		*user_id = sqlite3_column_int64(st, 1);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : store_check(tx, rc, "waitlist_next");
	}
	sqlite3_reset(st);
	return rc;
}

static int make_offer(struct store_tx *tx, const struct apps_ctx *ctx, int64_t group_id,
		      const char *gname, int64_t wid, int64_t user_id, int64_t now)
{
	sqlite3_stmt *st = store_stmt(tx, "INSERT INTO offers (waitlist_id, group_id, user_id,"
					  " created_at, expires_at) VALUES (?, ?, ?, ?, ?)");
	int64_t oid;
	char *text;
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, wid);
	sqlite3_bind_int64(st, 2, group_id);
	sqlite3_bind_int64(st, 3, user_id);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now + (int64_t)ctx->offer_hours * 3600000);
	if ((rc = groups__exec(tx, st, "offer_insert")))
		return rc;
	oid = sqlite3_last_insert_rowid(store_db(tx));
	if ((rc = set_waitlist_state(tx, wid, "offered", now)) ||
	    (rc = groups__audit(tx, AUDIT_SYSTEM, "seat_offered", "offer", oid,
				json_pack("{s:I,s:I}", "group", (json_int_t)group_id, "user",
					  (json_int_t)user_id))))
		return rc;
	text = xasprintf("A seat has opened in \"%s\" and it is yours if you would like it.\n\n"
			 "Please sign in to Hearth within %d hours to accept or decline it; after "
			 "that the seat is offered to the next person waiting.\n",
			 gname, ctx->offer_hours);
	rc = groups__mail(tx, user_id, "seat_offered", "A seat is waiting for you", text);
	free(text);
	return rc;
}

int apps_fill_seats(struct store_tx *tx, const struct apps_ctx *ctx, int64_t group_id, int64_t now,
		    int *offered)
{
	struct sched_slot slot;
	struct groups_seats seats;
	char gname[512];
	int capacity, workshop, rc;

	if ((rc = groups_get_slot(tx, group_id, &slot, gname, sizeof gname, &capacity, NULL)) ||
	    (rc = groups_seats(tx, group_id, &slot, capacity, now, &seats)) ||
	    (rc = groups__is_workshop(tx, group_id, &workshop)))
		return rc;
	if (!seats.intake_open)
		return 0;
	for (int left = seats.seats_left; left > 0; left--) {
		int64_t wid, user_id;

		if ((rc = next_waiting(tx, group_id, workshop, &wid, &user_id)))
			return rc;
		if (!wid)
			break;
		if ((rc = make_offer(tx, ctx, group_id, gname, wid, user_id, now)))
			return rc;
		if (offered)
			(*offered)++;
	}
	return 0;
}

int apps_waitlist_json(struct store_tx *tx, int64_t group_id, json_t **out)
{
	sqlite3_stmt *st = store_stmt(
	    tx,
	    "SELECT w.id, w.user_id, " ACCT_NAME_SQL(
		"u") ", w.state, w.added_at,"
		     " w.application_id, o.id, o.expires_at FROM waitlist w"
		     " JOIN users u ON u.id = w.user_id"
		     " LEFT JOIN offers o ON o.waitlist_id = w.id AND o.state = 'open'"
		     " WHERE w.group_id = ? AND w.state IN ('waiting', 'offered') ORDER BY w.id");
	int rc, pos = 0;

	*out = json_array();
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_pack("{s:i,s:I,s:{s:I,s:s},s:s,s:I,s:I}", "position", ++pos, "id",
				      (json_int_t)sqlite3_column_int64(st, 0), "user", "id",
				      (json_int_t)sqlite3_column_int64(st, 1), "name",
				      (const char *)sqlite3_column_text(st, 2), "state",
				      (const char *)sqlite3_column_text(st, 3), "added_at",
				      (json_int_t)sqlite3_column_int64(st, 4), "application_id",
				      (json_int_t)sqlite3_column_int64(st, 5));

		if (!o)
			continue;
		json_object_set_new(
		    o, "offer",
		    sqlite3_column_type(st, 6) == SQLITE_NULL
			? json_null()
			: json_pack("{s:I,s:I}", "id", (json_int_t)sqlite3_column_int64(st, 6),
				    "expires_at", (json_int_t)sqlite3_column_int64(st, 7)));
		json_array_append_new(*out, o);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_check(tx, rc, "waitlist_json");
}

/* ---- the tick ---- */

/* Read up to max ids from a statement's first column. */
static int collect(struct store_tx *tx, sqlite3_stmt *st, int64_t *ids, int max, int *n,
		   const char *what)
{
	int rc = SQLITE_DONE;

	*n = 0;
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_check(tx, rc, what);
}

static int expire_offers(struct store_tx *tx, int64_t now, struct apps_tick_stats *stats)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT o.id, o.waitlist_id, w.application_id, o.user_id,"
					  " o.group_id FROM offers o JOIN waitlist w"
					  " ON w.id = o.waitlist_id WHERE o.state = 'open'"
					  " AND o.expires_at <= ? ORDER BY o.id LIMIT ?");
	struct lapsed {
		int64_t offer, wid, app, user, group;
	} *due = xmalloc(sizeof *due * TICK_BATCH);
	int n = 0, rc;

	if (!st) {
		free(due);
		return STORE_EIO;
	}
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, TICK_BATCH);
	while (n < TICK_BATCH && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		due[n] = (struct lapsed){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
					 sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
					 sqlite3_column_int64(st, 4)};
		n++;
	}
	sqlite3_reset(st);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_check(tx, rc, "offers_due");
	for (int i = 0; rc == 0 && i < n; i++) {
		char gname[512], *text;

		/* the place is given up and the application closed: they may apply again */
		if ((rc = close_offer(tx, due[i].wid, "expired", now)) ||
		    (rc = set_waitlist_state(tx, due[i].wid, "lapsed", now)) ||
		    (rc = set_app_status(tx, due[i].app, "withdrawn", now)) ||
		    (rc = groups__audit(tx, AUDIT_SYSTEM, "offer_expired", "offer", due[i].offer,
					json_pack("{s:I}", "group", (json_int_t)due[i].group))) ||
		    (rc = groups_get_slot(tx, due[i].group, NULL, gname, sizeof gname, NULL, NULL)))
			break;
		text =
		    xasprintf("The seat we offered you in \"%s\" was not taken up in time, so it "
			      "has passed to the next person waiting.\n\nIf you would still like "
			      "to join, you are welcome to apply again in Hearth.\n",
			      gname);
		rc = groups__mail(tx, due[i].user, "offer_lapsed", "Your seat offer has closed",
				  text);
		free(text);
		if (rc == 0)
			stats->expired++;
	}
	free(due);
	return rc;
}

static int offer_free_seats(struct store_tx *tx, const struct apps_ctx *ctx, int64_t now,
			    struct apps_tick_stats *stats)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT DISTINCT group_id FROM waitlist"
					  " WHERE state = 'waiting' ORDER BY group_id LIMIT ?");
	int64_t ids[TICK_BATCH];
	int n, rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int(st, 1, TICK_BATCH);
	if ((rc = collect(tx, st, ids, TICK_BATCH, &n, "waitlist_groups")))
		return rc;
	for (int i = 0; i < n; i++)
		if ((rc = apps_fill_seats(tx, ctx, ids[i], now, &stats->offered)))
			return rc;
	return 0;
}

/* Remind each active member of group_id of occurrence o, once. */
static int remind(struct store_tx *tx, int64_t group_id, const char *gname,
		  const struct sched_slot *slot, const struct sched_occurrence *o, int64_t now,
		  struct apps_tick_stats *stats)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "INSERT INTO session_reminders (group_id, starts_at, user_id, sent_at)"
		" SELECT ?1, ?2, m.user_id, ?3 FROM memberships m WHERE m.group_id = ?1"
		" AND m.ended_at IS NULL AND NOT EXISTS (SELECT 1 FROM session_reminders r"
		" WHERE r.group_id = ?1 AND r.starts_at = ?2 AND r.user_id = m.user_id)"
		" RETURNING user_id");
	int64_t users[GROUPS_CAPACITY_MAX * 2];
	const char *weekday;
	char date[11], *text;
	int n, rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	sqlite3_bind_int64(st, 2, o->start_ms);
	sqlite3_bind_int64(st, 3, now);
	/* every row must be stepped for the INSERT to complete */
	n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (n < (int)ARRAY_LEN(users))
			users[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_check(tx, rc, "reminders");
	if (n == 0)
		return 0;
	groups_occurrence_date(slot, o, date, &weekday);
	text = xasprintf("A reminder: \"%s\" meets on %s %s at %02d:%02d (%s time), for %d "
			 "minutes.\n\nThe room opens %d minutes before the start. Sign in to "
			 "Hearth to join.\n",
			 gname, weekday, date, slot->start_minute / 60, slot->start_minute % 60,
			 slot->tz, slot->duration_min, SCHED_DOORS_OPEN_MIN);
	rc = 0;
	for (int i = 0; i < n; i++) {
		if ((rc = groups__mail(tx, users[i], "session_reminder", "Your group meets soon",
				       text)))
			break;
		stats->reminders++;
	}
	free(text);
	return rc;
}

static int send_reminders(struct store_tx *tx, const struct apps_ctx *ctx, int64_t now,
			  struct apps_tick_stats *stats)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT g.id, g.name, " GROUPS_SLOT_COLS " FROM groups g"
					  " WHERE EXISTS (SELECT 1 FROM memberships m WHERE"
					  " m.group_id = g.id AND m.ended_at IS NULL)"
					  " ORDER BY g.id LIMIT ?");
	struct due {
		int64_t id;
		char name[256];
		struct sched_slot slot;
	} *due = xmalloc(sizeof *due * TICK_BATCH);
	int n = 0, rc;

	if (!st) {
		free(due);
		return STORE_EIO;
	}
	sqlite3_bind_int(st, 1, TICK_BATCH);
	while (n < TICK_BATCH && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		due[n].id = sqlite3_column_int64(st, 0);
		snprintf(due[n].name, sizeof due[n].name, "%s",
			 (const char *)sqlite3_column_text(st, 1));
		groups__slot_from_row(st, 2, &due[n].slot);
		n++;
	}
	sqlite3_reset(st);
	rc = 0;
	for (int i = 0; rc == 0 && i < n; i++) {
		struct sched_occurrence occ[2];
		int k = sched_expand(&due[i].slot, now + 1,
				     now + (int64_t)ctx->reminder_hours * 3600000 + 1, occ, 2);

		for (int j = 0; rc == 0 && j < k; j++)
			rc = remind(tx, due[i].id, due[i].name, &due[i].slot, &occ[j], now, stats);
	}
	free(due);
	return rc;
}

int apps_tick(struct store_tx *tx, const struct apps_ctx *ctx, int64_t now,
	      struct apps_tick_stats *st)
{
	int rc;

	memset(st, 0, sizeof *st);
	if ((rc = expire_offers(tx, now, st)) ||
	    (rc = groups__roll_extensions(tx, now, &st->rolled)) ||
	    (rc = offer_free_seats(tx, ctx, now, st)) || (rc = send_reminders(tx, ctx, now, st)))
		return rc;
	return 0;
}

/* ---- erasure ---- */

int apps_erase_user(struct store_tx *tx, int64_t user_id)
{
	static const char *const sql[] = {
	    "UPDATE offers SET state = 'withdrawn', answered_at = ?2 WHERE user_id = ?1"
	    " AND state = 'open'",
	    "UPDATE waitlist SET state = 'removed', updated_at = ?2 WHERE user_id = ?1"
	    " AND state IN ('waiting', 'offered')",
	    "UPDATE applications SET status = 'withdrawn' WHERE user_id = ?1"
	    " AND status IN ('pending', 'waitlisted')",
	    /* the sealed cells and the message go; the row stays for the group's records */
	    "UPDATE applications SET answers = NULL, gp_contact = NULL, notes = NULL,"
	    " message = NULL, screening_purged_at = ?2, updated_at = ?2 WHERE user_id = ?1",
	};
	int64_t now = clock_now_ms();

	for (size_t i = 0; i < ARRAY_LEN(sql); i++) {
		sqlite3_stmt *st = store_stmt(tx, sql[i]);
		int rc;

		if (!st)
			return STORE_EIO;
		sqlite3_bind_int64(st, 1, user_id);
		sqlite3_bind_int64(st, 2, now);
		if ((rc = groups__exec(tx, st, "apps_erase")))
			return rc;
	}
	return 0;
}
