/*
 * acct.c — account rules and store jobs (see acct.h).
 */
#include "acct.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "util.h"

static const char *const role_names[] = {"member", "facilitator", "manager"};

const char *acct_role_name(int role)
{
	return role >= 0 && role <= ACCT_MANAGER ? role_names[role] : "member";
}

int acct_role_parse(const char *s)
{
	for (int i = 0; s && i <= ACCT_MANAGER; i++)
		if (!strcmp(s, role_names[i]))
			return i;
	return -1;
}

/* ---- validation ---- */

#define FAIL(c, m)             \
	do {                   \
		*code = (c);   \
		*msg = (m);    \
		return -1;     \
	} while (0)

void acct_norm_username(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

int acct_check_username(const char *s, const char **code, const char **msg)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 3 || n > 32)
		FAIL("bad_username", "A username is 3 to 32 characters long.");
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
		    !strchr("_.-", s[i]))
			FAIL("bad_username",
			     "A username uses only letters a-z, digits, '_', '.' and '-'.");
	if (!strncmp(s, "former-", 7))
		FAIL("bad_username", "That username is reserved.");
	return 0;
}

/* A few passwords so common that length alone does not make them safe. */
static const char *const common_passwords[] = {
	"1234567890", "12345678910", "0123456789", "password123", "password1234",
	"qwertyuiop", "1qaz2wsx3edc", "iloveyou123", "passw0rd123", "abcdefghij",
	"letmein1234", "welcome123", "0987654321", "1111111111", "aaaaaaaaaa",
};

int acct_check_password(const char *pw, const char *username, const char **code,
			const char **msg)
{
	size_t n = pw ? strlen(pw) : 0;

	if (n > ACCT_PASSWORD_MAX)
		FAIL("password_too_long", "A password can be at most 1024 bytes long.");
	if (!pw || !utf8_valid(pw, n) || utf8_len(pw, n) < ACCT_PASSWORD_MIN)
		FAIL("weak_password", "Please choose a password of at least 10 characters.");
	if (username && !strcasecmp(pw, username))
		FAIL("weak_password", "Your password must not be your username.");
	for (size_t i = 0; i < ARRAY_LEN(common_passwords); i++)
		if (!strcasecmp(pw, common_passwords[i]))
			FAIL("weak_password", "That password is too easy to guess.");
	return 0;
}

int acct_check_email(const char *s, const char **code, const char **msg)
{
	const char *at, *dot;
	size_t n = s ? strlen(s) : 0;

	if (n < 3 || n > 254 || !utf8_valid(s, n))
		FAIL("bad_email", "Please give a valid e-mail address.");
	at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@') || at - s > 64)
		FAIL("bad_email", "Please give a valid e-mail address.");
	dot = strrchr(at, '.');
	if (!dot || dot == at + 1 || !dot[1] || strstr(at, ".."))
		FAIL("bad_email", "Please give a valid e-mail address.");
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || strchr("<>()[]\\,;:\"", *p))
			FAIL("bad_email", "Please give a valid e-mail address.");
	return 0;
}

/* Printable text of 1..max code points: no control characters, not blank. */
static int plain_text(const char *s, size_t max, int allow_empty)
{
	size_t n = s ? strlen(s) : 0;
	int blank = 1;

	if (!s || !utf8_valid(s, n) || utf8_len(s, n) > max)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p != ' ')
			blank = 0;
	}
	return allow_empty || !blank;
}

int acct_check_display_name(const char *s, const char **code, const char **msg)
{
	if (!plain_text(s, 64, 0))
		FAIL("bad_display_name", "A display name is 1 to 64 characters of plain text.");
	if (!strcasecmp(s, "Former member"))
		FAIL("bad_display_name", "That name is reserved.");
	return 0;
}

int acct_check_signature(const char *s, const char **code, const char **msg)
{
	if (!plain_text(s, 300, 1))
		FAIL("bad_signature", "A signature is at most 300 characters of plain text.");
	return 0;
}

/* ---- store jobs ---- */

int acct_insert(struct store_tx *tx, struct acct_new *u)
{
	sqlite3_stmt *st = store_stmt(tx, "INSERT INTO users (username, display_name, email,"
					  " password_hash, role, created_at)"
					  " VALUES (?, ?, ?, ?, ?, ?)");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_text(st, 1, u->username, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, u->display_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, u->email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, u->password_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, acct_role_name(u->role), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, clock_now_ms());
	rc = store_check(tx, sqlite3_step(st), "acct_insert");
	sqlite3_reset(st);
	if (rc == 0)
		u->id = sqlite3_last_insert_rowid(store_db(tx));
	return rc;
}

int acct_find(struct store_tx *tx, const char *username, int64_t *id, int *role, char *hash,
	      size_t hashlen)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT id, role, coalesce(password_hash, '')"
					  " FROM users WHERE username = ? AND erased_at IS NULL");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*role = acct_role_parse((const char *)sqlite3_column_text(st, 1));
		snprintf(hash, hashlen, "%s", (const char *)sqlite3_column_text(st, 2));
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? STORE_ENOTFOUND : store_check(tx, rc, "acct_find");
	}
	sqlite3_reset(st);
	return rc;
}

int acct_set_password_hash(struct store_tx *tx, int64_t id, const char *hash)
{
	sqlite3_stmt *st = store_stmt(tx, "UPDATE users SET password_hash = ? WHERE id = ?"
					  " AND erased_at IS NULL");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	rc = store_check(tx, sqlite3_step(st), "acct_set_password");
	sqlite3_reset(st);
	if (rc == 0 && sqlite3_changes(store_db(tx)) == 0)
		rc = STORE_ENOTFOUND;
	return rc;
}

/* The role of a live user, or STORE_ENOTFOUND. */
static int role_of(struct store_tx *tx, int64_t id, int *role)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT role FROM users WHERE id = ?"
					  " AND erased_at IS NULL");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*role = acct_role_parse((const char *)sqlite3_column_text(st, 0));
	rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? STORE_ENOTFOUND : STORE_EIO;
	sqlite3_reset(st);
	return rc;
}

int acct_set_role(struct store_tx *tx, int64_t id, int role)
{
	sqlite3_stmt *st;
	int rc, prev, managers_left;

	rc = role_of(tx, id, &prev);
	if (rc)
		return rc;
	st = store_stmt(tx, "UPDATE users SET role = ? WHERE id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_text(st, 1, acct_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	rc = store_check(tx, sqlite3_step(st), "acct_set_role");
	sqlite3_reset(st);
	if (rc || prev != ACCT_MANAGER || role == ACCT_MANAGER)
		return rc;
	/* the charity must always keep someone who can manage it */
	st = store_stmt(tx, "SELECT count(*) FROM users WHERE role = 'manager'"
			    " AND erased_at IS NULL");
	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return STORE_EIO;
	managers_left = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return managers_left ? 0 : STORE_ECONFLICT;
}

int acct_change_role(struct store_tx *tx, int64_t actor, int64_t id, int role)
{
	char detail[64];
	int rc = acct_set_role(tx, id, role);

	if (rc)
		return rc;
	snprintf(detail, sizeof detail, "{\"to\":\"%s\"}", acct_role_name(role));
	return audit_append(tx, actor, "role_change", "user", id, detail);
}

#define MAX_HOOKS 16
static acct_erase_hook erase_hooks[MAX_HOOKS];
static size_t n_erase_hooks;
static acct_event_fn event_hooks[MAX_HOOKS];
static size_t n_event_hooks;

void acct_on_erase(acct_erase_hook fn)
{
	if (n_erase_hooks < MAX_HOOKS)
		erase_hooks[n_erase_hooks++] = fn;
}

void acct_on_event(acct_event_fn fn)
{
	if (n_event_hooks < MAX_HOOKS)
		event_hooks[n_event_hooks++] = fn;
}

void acct_emit(struct server *srv, int64_t user_id, int64_t session_id, int64_t keep_session,
	       enum acct_event ev)
{
	for (size_t i = 0; i < n_event_hooks; i++)
		event_hooks[i](srv, user_id, session_id, keep_session, ev);
}

int acct_erase(struct store_tx *tx, int64_t id)
{
	sqlite3_stmt *st;
	int rc;

	st = store_stmt(tx, "UPDATE users SET username = 'former-' || id, display_name = NULL,"
			    " email = NULL, password_hash = NULL, signature = '', avatar = NULL,"
			    " avatar_type = NULL, research_consent = 0, erased_at = ?"
			    " WHERE id = ? AND erased_at IS NULL");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, clock_now_ms());
	sqlite3_bind_int64(st, 2, id);
	rc = store_check(tx, sqlite3_step(st), "acct_erase");
	sqlite3_reset(st);
	if (rc)
		return rc;
	if (sqlite3_changes(store_db(tx)) == 0)
		return STORE_ENOTFOUND;
	st = store_stmt(tx, "DELETE FROM auth_sessions WHERE user_id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = store_check(tx, sqlite3_step(st), "acct_erase_sessions");
	sqlite3_reset(st);
	for (size_t i = 0; rc == 0 && i < n_erase_hooks; i++)
		rc = erase_hooks[i](tx, id);
	return rc;
}

int acct_session_lookup(struct store_tx *tx, const char *token_hash, int64_t now,
			int64_t idle_ms, struct acct_session *out)
{
	sqlite3_stmt *st;
	int rc;

	st = store_stmt(tx, "SELECT s.id, s.user_id, s.last_seen, s.expires_at, s.remember,"
			    " u.role, u.username, u.display_name FROM auth_sessions s"
			    " JOIN users u ON u.id = s.user_id"
			    " WHERE s.token_hash = ? AND u.erased_at IS NULL");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? STORE_ENOTFOUND : store_check(tx, rc, "session_lookup");
	}
	out->session_id = sqlite3_column_int64(st, 0);
	out->user_id = sqlite3_column_int64(st, 1);
	out->last_seen = sqlite3_column_int64(st, 2);
	out->expires_at = sqlite3_column_int64(st, 3);
	out->remember = sqlite3_column_int(st, 4);
	out->role = acct_role_parse((const char *)sqlite3_column_text(st, 5));
	snprintf(out->username, sizeof out->username, "%s", (const char *)sqlite3_column_text(st, 6));
	snprintf(out->display_name, sizeof out->display_name, "%s",
		 (const char *)sqlite3_column_text(st, 7));
	sqlite3_reset(st);
	if (now < out->expires_at && (out->remember || now - out->last_seen <= idle_ms))
		return 0;
	/* an expired session is removed, not merely refused */
	st = store_stmt(tx, "DELETE FROM auth_sessions WHERE id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, out->session_id);
	rc = store_check(tx, sqlite3_step(st), "session_expire");
	sqlite3_reset(st);
	return rc ? rc : STORE_EFORBIDDEN;
}

int acct_session_touch(struct store_tx *tx, int64_t session_id, int64_t user_id, int64_t now)
{
	sqlite3_stmt *st = store_stmt(tx, "UPDATE auth_sessions SET last_seen = ? WHERE id = ?");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, session_id);
	rc = store_check(tx, sqlite3_step(st), "touch_session");
	sqlite3_reset(st);
	if (rc)
		return rc;
	st = store_stmt(tx, "UPDATE users SET last_active = ? WHERE id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, user_id);
	rc = store_check(tx, sqlite3_step(st), "touch_user");
	sqlite3_reset(st);
	return rc;
}
