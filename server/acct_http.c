/*
 * acct_http.c — the accounts routes and the authentication hook:
 * register, log in/out, profile, password, erasure, roles, avatars and
 * the directory of staff accounts.
 *
 * Password work (hashing, verifying) never runs on the loop: each such
 * route is a chain  store job → thread-pool hash → store job, with the
 * request's own state in req->state. A password is kept only as long as
 * the chain runs and wiped when the request is freed.
 */
#include "acct_http.h"

#include <openssl/crypto.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "authcache.h"
#include "clock.h"
#include "crypto.h"
#include "groups.h"
#include "http.h"
#include "lockout.h"
#include "log.h"
#include "media.h"
#include "server.h"
#include "util.h"

#define COOKIE_PLAIN "hearth_session"
#define COOKIE_TLS "__Host-hearth_session"
#define AVATAR_MAX (128 * 1024)
#define TOUCH_MS 60000 /* last_seen is written at most once a minute */

static struct lockout *fails; /* loop thread only */

/* One per password-handling request, in req->state. */
struct pw_state {
	char username[72];
	char *password;     /* the one given; wiped when freed */
	char *new_password; /* password change */
	int remember;
	int64_t uid;
	int role;
	char hash[256];     /* stored hash, read by the first job */
	char new_hash[256]; /* computed on the pool */
	int ok;             /* password verified */
	int hash_rc;
	char token[CRYPTO_TOKEN_LEN + 1];
	char token_hash[65];
	int64_t session_id;
	/* register */
	char *email, *display_name;
};

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static void pw_state_free(void *p)
{
	struct pw_state *s = p;

	wipe_free(s->password);
	wipe_free(s->new_password);
	free(s->email);
	free(s->display_name);
	OPENSSL_cleanse(s->token, sizeof s->token);
	free(s);
}

static struct pw_state *pw_state(struct http_req *req)
{
	struct pw_state *s = xcalloc(1, sizeof *s);

	req->state = s;
	req->state_free = pw_state_free;
	return s;
}

static const char *cookie_name(const struct http_req *req)
{
	return req->tls ? COOKIE_TLS : COOKIE_PLAIN;
}

static void set_cookie(struct http_req *req, const char *token, int64_t max_age_s)
{
	char v[256];

	if (max_age_s > 0)
		snprintf(v, sizeof v, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
			 cookie_name(req), token, (long long)max_age_s, req->tls ? "; Secure" : "");
	else if (max_age_s == 0) /* a browser-session cookie */
		snprintf(v, sizeof v, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
			 cookie_name(req), token, req->tls ? "; Secure" : "");
	else /* clear it */
		snprintf(v, sizeof v, "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
			 cookie_name(req), req->tls ? "; Secure" : "");
	http_add_header(req, "Set-Cookie", v);
}

/* The user as the API shows it to themself (store thread). */
static json_t *me_json(struct store_tx *tx, int64_t uid)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT id, username, display_name, email, role,"
					  " signature, research_consent, digest_opt_out,"
					  " avatar IS NOT NULL, created_at FROM users"
					  " WHERE id = ? AND erased_at IS NULL");
	json_t *o = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, uid);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:I}", "id",
			      (json_int_t)sqlite3_column_int64(st, 0), "username",
			      sqlite3_column_text(st, 1), "display_name",
			      sqlite3_column_text(st, 2), "email", sqlite3_column_text(st, 3),
			      "role", sqlite3_column_text(st, 4), "signature",
			      sqlite3_column_text(st, 5), "research_consent",
			      sqlite3_column_int(st, 6), "digest_opt_out",
			      sqlite3_column_int(st, 7), "has_avatar", sqlite3_column_int(st, 8),
			      "created_at", (json_int_t)sqlite3_column_int64(st, 9));
	sqlite3_reset(st);
	return o;
}

static int audit_ip(struct store_tx *tx, int64_t actor, const char *action, int64_t target,
		    const char *ip)
{
	json_t *d = json_pack("{s:s}", "ip", ip);
	char *text = json_dumps(d, JSON_COMPACT);
	int rc = audit_append(tx, actor, action, "user", target, text);

	free(text);
	json_decref(d);
	return rc;
}

/* A string member bounded to max bytes; NULL if absent, not a string or too long. */
static const char *str_field(struct http_req *req, const char *key, size_t max)
{
	const char *v = http_json_str(req, key);

	return v && strlen(v) <= max ? v : NULL;
}

/*
 * Copy a username a client gave into out, lower-cased as usernames are
 * stored. Returns 0; or -1 when it does not fit, with out set to "" — a
 * name the username rule refuses by its length, as it does the long one.
 */
static int norm_username(const char *in, char *out, size_t outlen)
{
	if (strlen(in) >= outlen) {
		out[0] = '\0';
		return -1;
	}
	snprintf(out, outlen, "%s", in);
	acct_norm_username(out);
	return 0;
}

/* ---- authentication hook ---- */

static int auth_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;
	struct acct_session as;
	int64_t now = clock_now_ms();
	int rc = acct_session_lookup(tx, s->token_hash, now,
				     (int64_t)req->srv->cfg.idle_timeout_min * 60000, &as);

	if (rc == STORE_ENOTFOUND)
		return http_job_fail(req, 401, "not_logged_in", "Please sign in first.");
	if (rc == STORE_EFORBIDDEN) {
		/* rc 0 with the error set: the deletion of the row must commit */
		http_job_fail(req, 401, "session_expired",
			      "Your session has ended. Please sign in again.");
		req->out_status = 401;
		return 0;
	}
	if (rc)
		return rc;
	req->user.session_id = as.session_id;
	req->user.id = as.user_id;
	req->user.role = as.role;
	snprintf(req->user.username, sizeof req->user.username, "%s", as.username);
	if (now - as.last_seen < TOUCH_MS)
		return 0;
	return acct_session_touch(tx, as.session_id, as.user_id, now);
}

static void auth_then(struct http_req *req, int rc)
{
	http_handler next = req->auth_next;
	struct pw_state *s = req->state;

	if (rc == 0 && req->out_status != 401)
		authcache_add(s->token_hash, req->user.id, req->user.session_id);

	/* the route's own state starts fresh */
	if (req->state_free && req->state)
		req->state_free(req->state);
	req->state = NULL;
	req->state_free = NULL;
	if (rc == 0 && req->out_status == 401) {
		req->out_status = 0;
		set_cookie(req, "", -1);
		http_error(req, 401, req->err_code, req->err_msg);
		return;
	}
	if (rc) {
		http_reply_job(req, rc);
		return;
	}
	req->out_status = 0;
	req->has_user = 1;
	next(req);
}

static void authenticate(struct http_req *req, http_handler next)
{
	char token[CRYPTO_TOKEN_LEN + 8];
	struct pw_state *s;

	if (http_cookie(req, cookie_name(req), token, sizeof token) ||
	    strlen(token) != CRYPTO_TOKEN_LEN) {
		http_error(req, 401, "not_logged_in", "Please sign in first.");
		return;
	}
	s = pw_state(req);
	crypto_token_hash(token, s->token_hash);
	OPENSSL_cleanse(token, sizeof token);
	req->auth_next = next;
	http_run(req, auth_fn, auth_then);
}

/* ---- register ---- */

static int reg_check_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;
	char hash[8];
	int rc = acct_find(tx, s->username, &s->uid, &s->role, hash, sizeof hash);

	if (rc == 0)
		return http_job_fail(req, 409, "username_taken",
				     "That username is already in use. Please choose another.");
	return rc == STORE_ENOTFOUND ? 0 : rc;
}

static int reg_insert_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;
	struct acct_new u = {s->username, s->display_name, s->email, s->new_hash, ACCT_MEMBER, 0};
	int rc = acct_insert(tx, &u);

	if (rc == STORE_ECONFLICT)
		return http_job_fail(req, 409, "username_taken",
				     "That username is already in use. Please choose another.");
	if (rc == 0)
		rc = audit_ip(tx, u.id, "register", u.id, req->ip);
	if (rc == 0) {
		req->out = me_json(tx, u.id);
		req->out_status = 201;
	}
	return rc;
}

static void hash_new_work(void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;

	s->hash_rc = crypto_password_hash_params(s->new_password, strlen(s->new_password),
						 req->srv->cfg.scrypt_ln, 8, 1, s->new_hash,
						 sizeof s->new_hash);
}

static void reg_hashed(int ok, void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;

	if (!ok || s->hash_rc) {
		http_error(req, 500, "internal", "Something went wrong on our side.");
		return;
	}
	http_run(req, reg_insert_fn, NULL);
}

static void reg_checked(struct http_req *req, int rc)
{
	if (rc) {
		http_reply_job(req, rc);
		return;
	}
	pool_submit(&req->srv->hash_pool, hash_new_work, reg_hashed, req);
}

static void route_register(struct http_req *req)
{
	/* an over-long field is refused by its own rule below, not as missing */
	const char *username = http_json_str(req, "username");
	const char *password = http_json_str(req, "password");
	const char *email = http_json_str(req, "email");
	const char *name = http_json_str(req, "display_name");
	const char *code, *msg;
	struct pw_state *s;
	char uname[65];

	if (!username || !password || !email || !name) {
		http_error(req, 400, "missing_field",
			   "Please give a username, password, e-mail address and display name.");
		return;
	}
	norm_username(username, uname, sizeof uname);
	if (acct_check_username(uname, &code, &msg) ||
	    acct_check_password(password, uname, &code, &msg) ||
	    acct_check_email(email, &code, &msg) || acct_check_display_name(name, &code, &msg)) {
		http_error(req, 400, code, msg);
		return;
	}
	s = pw_state(req);
	snprintf(s->username, sizeof s->username, "%s", uname);
	s->new_password = xstrdup(password);
	s->email = xstrdup(email);
	s->display_name = xstrdup(name);
	http_run(req, reg_check_fn, reg_checked);
}

/* ---- log in ---- */

static const char bad_login[] = "That username and password do not match. Please try again.";

static int login_lookup_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;
	int rc = acct_find(tx, s->username, &s->uid, &s->role, s->hash, sizeof s->hash);

	if (rc == STORE_ENOTFOUND) {
		s->uid = 0;
		return 0;
	}
	return rc;
}

static void verify_work(void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;
	size_t n = strlen(s->password);

	if (!s->uid || !s->hash[0]) {
		/* the same work for an unknown user: no timing oracle */
		crypto_password_dummy_verify(s->password, n);
		s->ok = 0;
		return;
	}
	s->ok = crypto_password_verify(s->password, n, s->hash) == 1;
	if (s->ok && s->new_password) /* password change: hash the new one too */
		s->hash_rc = crypto_password_hash_params(s->new_password,
							 strlen(s->new_password),
							 req->srv->cfg.scrypt_ln, 8, 1, s->new_hash,
							 sizeof s->new_hash);
	else if (s->ok && crypto_password_needs_rehash(s->hash) &&
		 req->srv->cfg.scrypt_ln >= 17) /* parameters were raised since */
		s->hash_rc = crypto_password_hash_params(s->password, n, req->srv->cfg.scrypt_ln,
							 8, 1, s->new_hash, sizeof s->new_hash);
}

static int login_fail_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;

	return audit_ip(tx, s->uid, "login_failed", s->uid, req->ip);
}

static void login_failed_then(struct http_req *req, int rc)
{
	(void)rc; /* the refusal stands even if the audit row could not be written */
	http_error(req, 401, "bad_credentials", bad_login);
}

static int login_session_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;
	int64_t now = clock_now_ms(), life;
	sqlite3_stmt *st;
	int rc;

	life = s->remember ? (int64_t)req->srv->cfg.remember_days * 86400000
			   : (int64_t)req->srv->cfg.session_hours * 3600000;
	st = store_stmt(tx, "INSERT INTO auth_sessions (user_id, token_hash, created_at,"
			    " last_seen, expires_at, remember) VALUES (?, ?, ?, ?, ?, ?)");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, s->uid);
	sqlite3_bind_text(st, 2, s->token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now + life);
	sqlite3_bind_int(st, 6, s->remember);
	rc = store_check(tx, sqlite3_step(st), "login_session");
	sqlite3_reset(st);
	if (rc)
		return rc;
	s->session_id = sqlite3_last_insert_rowid(store_db(tx));
	if (s->new_hash[0] && s->hash_rc == 0 && (rc = acct_set_password_hash(tx, s->uid,
									   s->new_hash)))
		return rc;
	st = store_stmt(tx, "UPDATE users SET last_active = ? WHERE id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, s->uid);
	rc = store_check(tx, sqlite3_step(st), "login_touch");
	sqlite3_reset(st);
	if (rc == 0)
		rc = audit_ip(tx, s->uid, "login", s->uid, req->ip);
	if (rc == 0) {
		req->out = json_pack("{s:o*}", "user", me_json(tx, s->uid));
		if (!req->out)
			rc = STORE_EIO;
	}
	return rc;
}

static void login_done(struct http_req *req, int rc)
{
	struct pw_state *s = req->state;

	if (rc == 0) {
		authcache_add(s->token_hash, s->uid, s->session_id);
		set_cookie(req, s->token,
			   s->remember ? (int64_t)req->srv->cfg.remember_days * 86400 : 0);
	}
	http_reply_job(req, rc);
}

static void login_verified(int ok, void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;
	char key[96];

	if (!ok) {
		http_error(req, 503, "overloaded", "Hearth is very busy; please try again shortly.");
		return;
	}
	if (!s->ok) {
		snprintf(key, sizeof key, "u:%s", s->username);
		lockout_fail(fails, key);
		snprintf(key, sizeof key, "ip:%s", req->ip);
		lockout_fail(fails, key);
		http_run(req, login_fail_fn, login_failed_then);
		return;
	}
	snprintf(key, sizeof key, "u:%s", s->username);
	lockout_clear(fails, key);
	crypto_token_new(s->token);
	crypto_token_hash(s->token, s->token_hash);
	http_run(req, login_session_fn, login_done);
}

static void login_found(struct http_req *req, int rc)
{
	if (rc) {
		http_reply_job(req, rc);
		return;
	}
	pool_submit(&req->srv->hash_pool, verify_work, login_verified, req);
}

/* 0 if neither the account nor the address is locked out; otherwise answers 429. */
static int refuse_if_locked(struct http_req *req, const char *username)
{
	char key[96], secs[24];
	int64_t wait, w2;

	snprintf(key, sizeof key, "u:%s", username);
	wait = lockout_wait_ms(fails, key);
	snprintf(key, sizeof key, "ip:%s", req->ip);
	w2 = lockout_wait_ms(fails, key);
	if (w2 > wait)
		wait = w2;
	if (!wait)
		return 0;
	snprintf(secs, sizeof secs, "%lld", (long long)((wait + 999) / 1000));
	http_add_header(req, "Retry-After", secs);
	http_error(req, 429, "too_many_attempts",
		   "Too many attempts to sign in. Please wait a little and try again.");
	return -1;
}

static void route_login(struct http_req *req)
{
	const char *username = str_field(req, "username", 64);
	const char *password = http_json_str(req, "password");
	json_t *remember = json_object_get(req->json, "remember");
	struct pw_state *s;
	char uname[65];

	if (!username || !password) {
		http_error(req, 400, "missing_field", "Please give your username and password.");
		return;
	}
	if (strlen(password) > ACCT_PASSWORD_MAX) {
		http_error(req, 400, "password_too_long",
			   "A password can be at most 1024 bytes long.");
		return;
	}
	if (remember && !json_is_boolean(remember)) {
		http_error(req, 400, "bad_field", "remember must be true or false.");
		return;
	}
	snprintf(uname, sizeof uname, "%s", username);
	acct_norm_username(uname);
	if (refuse_if_locked(req, uname))
		return;
	s = pw_state(req);
	snprintf(s->username, sizeof s->username, "%s", uname);
	s->password = xstrdup(password);
	s->remember = json_is_true(remember);
	http_run(req, login_lookup_fn, login_found);
}

/* ---- log out, me ---- */

static int logout_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	sqlite3_stmt *st = store_stmt(tx, "DELETE FROM auth_sessions WHERE id = ?");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, req->user.session_id);
	rc = store_check(tx, sqlite3_step(st), "logout");
	sqlite3_reset(st);
	if (rc == 0)
		rc = audit_append(tx, req->user.id, "logout", "user", req->user.id, NULL);
	return rc;
}

static void logout_done(struct http_req *req, int rc)
{
	if (rc) {
		http_reply_job(req, rc);
		return;
	}
	acct_emit(req->srv, req->user.id, req->user.session_id, 0, ACCT_EV_LOGOUT);
	set_cookie(req, "", -1);
	http_reply_empty(req);
}

static void route_logout(struct http_req *req)
{
	http_run(req, logout_fn, logout_done);
}

static int me_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;

	req->out = me_json(tx, req->user.id);
	return req->out ? 0 : STORE_ENOTFOUND;
}

static void route_me(struct http_req *req)
{
	http_run(req, me_fn, NULL);
}

/* PATCH /api/v1/me: the fields present are changed; the others stay. */
static int patch_me_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	static const char *const sql[] = {
		"UPDATE users SET display_name = ?2 WHERE id = ?1",
		"UPDATE users SET email = ?2 WHERE id = ?1",
		"UPDATE users SET signature = ?2 WHERE id = ?1",
		"UPDATE users SET research_consent = ?2 WHERE id = ?1",
		"UPDATE users SET digest_opt_out = ?2 WHERE id = ?1",
	};
	static const char *const keys[] = {"display_name", "email", "signature",
					   "research_consent", "digest_opt_out"};
	json_t *changed = json_array();
	char *detail;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < ARRAY_LEN(keys); i++) {
		json_t *v = json_object_get(req->json, keys[i]);
		sqlite3_stmt *st;

		if (!v)
			continue;
		st = store_stmt(tx, sql[i]);
		if (!st) {
			rc = STORE_EIO;
			break;
		}
		sqlite3_bind_int64(st, 1, req->user.id);
		if (json_is_boolean(v))
			sqlite3_bind_int(st, 2, json_is_true(v));
		else
			sqlite3_bind_text(st, 2, json_string_value(v), -1, SQLITE_STATIC);
		rc = store_check(tx, sqlite3_step(st), "patch_me");
		sqlite3_reset(st);
		json_array_append_new(changed, json_string(keys[i]));
	}
	{
		json_t *d = json_pack("{s:o}", "fields", changed); /* takes changed */

		detail = json_dumps(d, JSON_COMPACT);
		json_decref(d);
	}
	if (rc == 0)
		rc = audit_append(tx, req->user.id, "profile_update", "user", req->user.id, detail);
	free(detail);
	if (rc == 0)
		req->out = me_json(tx, req->user.id);
	return rc;
}

static void route_patch_me(struct http_req *req)
{
	const char *key, *code = NULL, *msg = NULL;
	json_t *v;

	json_object_foreach(req->json, key, v)
	{
		int bad = 0;

		if (!strcmp(key, "display_name"))
			bad = !json_is_string(v) ||
			      acct_check_display_name(json_string_value(v), &code, &msg);
		else if (!strcmp(key, "email"))
			bad = !json_is_string(v) || acct_check_email(json_string_value(v), &code, &msg);
		else if (!strcmp(key, "signature"))
			bad = !json_is_string(v) ||
			      acct_check_signature(json_string_value(v), &code, &msg);
		else if (!strcmp(key, "research_consent") || !strcmp(key, "digest_opt_out"))
			bad = !json_is_boolean(v);
		else {
			http_error(req, 400, "unknown_field", "That field cannot be changed here.");
			return;
		}
		if (bad) {
			http_error(req, 400, code ? code : "bad_field",
				   msg ? msg : "A field has the wrong type.");
			return;
		}
	}
	http_run(req, patch_me_fn, NULL);
}

/* ---- password change and erasure: check the password first ---- */

static int load_hash_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;

	s->uid = req->user.id;
	return acct_find(tx, req->user.username, &s->uid, &s->role, s->hash, sizeof s->hash);
}

static int password_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;
	sqlite3_stmt *st;
	int rc = acct_set_password_hash(tx, s->uid, s->new_hash);

	if (rc)
		return rc;
	/* every other log-in of the account ends: it may be the reason for the change */
	st = store_stmt(tx, "DELETE FROM auth_sessions WHERE user_id = ? AND id != ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, s->uid);
	sqlite3_bind_int64(st, 2, req->user.session_id);
	rc = store_check(tx, sqlite3_step(st), "password_sessions");
	sqlite3_reset(st);
	if (rc == 0)
		rc = audit_ip(tx, s->uid, "password_change", s->uid, req->ip);
	return rc;
}

static void password_done(struct http_req *req, int rc)
{
	if (rc) {
		http_reply_job(req, rc);
		return;
	}
	acct_emit(req->srv, req->user.id, 0, req->user.session_id, ACCT_EV_PASSWORD);
	http_reply_empty(req);
}

static int erase_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	int rc = acct_erase(tx, req->user.id);

	if (rc == 0)
		rc = audit_append(tx, req->user.id, "erasure", "user", req->user.id, NULL);
	return rc;
}

static void erase_done(struct http_req *req, int rc)
{
	if (rc) {
		http_reply_job(req, rc);
		return;
	}
	acct_emit(req->srv, req->user.id, 0, 0, ACCT_EV_ERASED);
	set_cookie(req, "", -1);
	http_reply_empty(req);
}

static void checked_then_continue(int ok, void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;

	if (!ok) {
		http_error(req, 503, "overloaded", "Hearth is very busy; please try again shortly.");
		return;
	}
	if (!s->ok) {
		http_error(req, 403, "wrong_password", "That password is not right.");
		return;
	}
	if (s->new_password) {
		if (s->hash_rc) {
			http_error(req, 500, "internal", "Something went wrong on our side.");
			return;
		}
		http_run(req, password_fn, password_done);
	} else {
		http_run(req, erase_fn, erase_done);
	}
}

static void hash_loaded(struct http_req *req, int rc)
{
	if (rc) {
		http_reply_job(req, rc);
		return;
	}
	pool_submit(&req->srv->hash_pool, verify_work, checked_then_continue, req);
}

static void route_password(struct http_req *req)
{
	const char *old = http_json_str(req, "old_password");
	const char *new = http_json_str(req, "new_password");
	const char *code, *msg;
	struct pw_state *s;

	if (!old || !new) {
		http_error(req, 400, "missing_field", "Please give your old and new passwords.");
		return;
	}
	if (strlen(old) > ACCT_PASSWORD_MAX ||
	    acct_check_password(new, req->user.username, &code, &msg)) {
		http_error(req, 400, strlen(old) > ACCT_PASSWORD_MAX ? "password_too_long" : code,
			   strlen(old) > ACCT_PASSWORD_MAX ? "A password can be at most 1024 bytes."
							   : msg);
		return;
	}
	s = pw_state(req);
	s->password = xstrdup(old);
	s->new_password = xstrdup(new);
	http_run(req, load_hash_fn, hash_loaded);
}

static void route_erase(struct http_req *req)
{
	const char *pw = http_json_str(req, "password");
	struct pw_state *s;

	if (!pw || strlen(pw) > ACCT_PASSWORD_MAX) {
		http_error(req, 400, "missing_field", "Please confirm with your password.");
		return;
	}
	s = pw_state(req);
	s->password = xstrdup(pw);
	http_run(req, load_hash_fn, hash_loaded);
}

/* ---- roles ---- */

/*
 * The role change of both role routes (store thread): s->uid gets s->role,
 * audited as done by the caller. On a refusal the job's error is set and
 * the change rolls back.
 */
static int change_role(struct store_tx *tx, struct http_req *req)
{
	struct pw_state *s = req->state;
	int rc = acct_change_role(tx, req->user.id, s->uid, s->role);

	if (rc == STORE_ECONFLICT)
		return http_job_fail(req, 409, "last_manager",
				     "Hearth must keep at least one manager.");
	if (rc == STORE_ENOTFOUND)
		return http_job_fail(req, 404, "not_found", "There is no such user.");
	return rc;
}

static int role_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;
	int rc = change_role(tx, req);

	if (rc == 0)
		req->out = json_pack("{s:I,s:s}", "id", (json_int_t)s->uid, "role",
				     acct_role_name(s->role));
	return rc;
}

/* After the commit: the person's sockets reconnect with their new rights. */
static void role_done(struct http_req *req, int rc)
{
	struct pw_state *s = req->state;

	if (rc == 0)
		acct_emit(req->srv, s->uid, 0, 0, ACCT_EV_ROLE);
	http_reply_job(req, rc);
}

static void route_role(struct http_req *req)
{
	int64_t id = http_param_id(req, 0);
	int role = acct_role_parse(http_json_str(req, "role"));
	struct pw_state *s;

	if (req->user.role != ACCT_MANAGER) {
		http_error(req, 403, "not_allowed", "Only a manager can change roles.");
		return;
	}
	if (id < 0) {
		http_error(req, 404, "not_found", "There is no such user.");
		return;
	}
	if (role < 0) {
		http_error(req, 400, "bad_role", "role must be member, facilitator or manager.");
		return;
	}
	s = pw_state(req);
	s->uid = id;
	s->role = role;
	http_run(req, role_fn, role_done);
}

/* ---- avatars ---- */

struct avatar_state {
	const char *mime;   /* PUT: the sniffed type (static) */
	char mime_buf[40];  /* GET: the stored type */
	char *data; /* on GET: the image; owned */
	size_t len;
};

static void avatar_state_free(void *p)
{
	struct avatar_state *a = p;

	free(a->data);
	free(a);
}

static int put_avatar_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct avatar_state *a = req->state;
	sqlite3_stmt *st = store_stmt(tx, "UPDATE users SET avatar = ?, avatar_type = ?"
					  " WHERE id = ?");
	int rc;

	if (!st)
		return STORE_EIO;
	if (a->mime) {
		sqlite3_bind_blob(st, 1, req->body.data, (int)req->body.len, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, a->mime, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 3, req->user.id);
	rc = store_check(tx, sqlite3_step(st), "avatar");
	sqlite3_reset(st);
	return rc;
}


static void route_put_avatar(struct http_req *req)
{
	struct avatar_state *a = xcalloc(1, sizeof *a);
	int rc = media_check(req->body.data, req->body.len, AVATAR_MAX, &a->mime);

	req->state = a;
	req->state_free = avatar_state_free;
	if (rc == MEDIA_ETOOBIG) {
		http_error(req, 413, "too_large", "A picture can be at most 128 KiB.");
		return;
	}
	if (rc == MEDIA_EEMPTY) {
		http_error(req, 400, "empty", "The picture is empty.");
		return;
	}
	if (rc) {
		http_error(req, 415, "unsupported_media",
			   "Please use a PNG, JPEG, GIF or WebP picture.");
		return;
	}
	http_run(req, put_avatar_fn, http_reply_job_empty);
}

static void route_delete_avatar(struct http_req *req)
{
	req->state = xcalloc(1, sizeof(struct avatar_state)); /* mime NULL: clears it */
	req->state_free = avatar_state_free;
	http_run(req, put_avatar_fn, http_reply_job_empty);
}

static int get_avatar_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct avatar_state *a = req->state;
	int64_t id = http_param_id(req, 0);
	sqlite3_stmt *st;

	/* who may see whose picture: yourself, staff (facilitators, managers), and
	 * those who share a group with you now */
	st = store_stmt(tx, "SELECT avatar, avatar_type FROM users u WHERE u.id = ?1"
			    " AND u.erased_at IS NULL AND u.avatar IS NOT NULL"
			    " AND (?1 = ?2 OR ?3 > 0 OR " GROUPS_SHARE_SQL("?1", "?2") ")");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, req->user.id);
	sqlite3_bind_int(st, 3, req->user.role);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return STORE_ENOTFOUND;
	}
	a->len = (size_t)sqlite3_column_bytes(st, 0);
	a->data = xmalloc(a->len + 1);
	memcpy(a->data, sqlite3_column_blob(st, 0), a->len);
	snprintf(a->mime_buf, sizeof a->mime_buf, "%s", (const char *)sqlite3_column_text(st, 1));
	a->mime = a->mime_buf;
	sqlite3_reset(st);
	return 0;
}

static void avatar_loaded(struct http_req *req, int rc)
{
	struct avatar_state *a = req->state;

	if (rc) {
		http_reply_job(req, rc);
		return;
	}
	http_reply(req, 200, a->mime, a->data, a->len);
}

static void route_get_avatar(struct http_req *req)
{
	if (http_param_id(req, 0) < 0) {
		http_error(req, 404, "not_found", "There is nothing at this address.");
		return;
	}
	req->state = xcalloc(1, sizeof(struct avatar_state));
	req->state_free = avatar_state_free;
	http_run(req, get_avatar_fn, avatar_loaded);
}

/* ---- staff directory ---- */

/* A charity has a handful of staff; the cap only keeps the answer bounded. */
#define STAFF_MAX 1000

/*
 * The staff directory as GET /api/v1/staff shows it: the accounts a
 * manager may name as a group's facilitators (role facilitator or
 * manager, not erased), ordered by display name, each with the groups it
 * facilitates now. Names and roles only: no e-mail, nor any other personal
 * data. With only_id > 0, the entry of that one live account whatever its
 * role (the answer of POST /api/v1/staff). 0 with *out a new array, or a
 * store error.
 */
static int staff_list(struct store_tx *tx, int64_t only_id, json_t **out)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT u.id, u.username, u.display_name, u.role, f.group_id FROM users u"
		" LEFT JOIN group_facilitators f ON f.user_id = u.id"
		" WHERE u.erased_at IS NULL AND (u.id = ?1 OR"
		" (?1 = 0 AND u.role IN ('facilitator', 'manager')))"
		" ORDER BY u.display_name COLLATE NOCASE, u.id, f.group_id");
	json_t *staff, *groups = NULL; /* groups: borrowed from the last account's object */
	int64_t last = 0;
	int n = 0, src;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, only_id);
	staff = json_array();
	/* one row per (account, group): the rows of an account are adjacent */
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);

		if (id != last) {
			json_t *o;

			if (n == STAFF_MAX)
				break;
			groups = json_array();
			o = json_pack("{s:I,s:s,s:s?,s:s,s:o}", "id", (json_int_t)id, "username",
				      (const char *)sqlite3_column_text(st, 1), "name",
				      (const char *)sqlite3_column_text(st, 2), "role",
				      (const char *)sqlite3_column_text(st, 3), "groups",
				      groups); /* takes groups, even on failure */
			if (!o || json_array_append_new(staff, o)) {
				sqlite3_reset(st);
				json_decref(staff);
				return STORE_EIO;
			}
			last = id;
			n++;
		}
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			json_array_append_new(groups, json_integer(sqlite3_column_int64(st, 4)));
	}
	sqlite3_reset(st);
	if (src != SQLITE_ROW && src != SQLITE_DONE) {
		json_decref(staff);
		return store_check(tx, src, "staff");
	}
	*out = staff;
	return 0;
}

static int staff_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	json_t *staff;
	int rc = staff_list(tx, 0, &staff);

	if (rc)
		return rc;
	req->out = json_pack("{s:o}", "staff", staff);
	return req->out ? 0 : STORE_EIO;
}

static void route_staff(struct http_req *req)
{
	if (req->user.role != ACCT_MANAGER) {
		http_error(req, 403, "not_allowed", "Only a manager can see the list of staff.");
		return;
	}
	http_run(req, staff_fn, NULL);
}

/* POST /api/v1/staff: the account named s->username gets s->role. */
static int staff_role_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct pw_state *s = req->state;
	json_t *one = NULL;
	char hash[8];
	int was;
	int rc = acct_find(tx, s->username, &s->uid, &was, hash, sizeof hash);

	if (rc == STORE_ENOTFOUND)
		return http_job_fail(req, 404, "not_found", "There is no account with that username.");
	if (rc == 0)
		rc = change_role(tx, req);
	if (rc == 0)
		rc = staff_list(tx, s->uid, &one);
	if (rc)
		return rc;
	req->out = json_incref(json_array_get(one, 0));
	json_decref(one);
	return req->out ? 0 : STORE_EIO;
}

static void route_staff_role(struct http_req *req)
{
	const char *username = http_json_str(req, "username");
	int role = acct_role_parse(http_json_str(req, "role"));
	const char *code, *msg;
	struct pw_state *s;
	char uname[65];

	if (req->user.role != ACCT_MANAGER) {
		http_error(req, 403, "not_allowed", "Only a manager can change roles.");
		return;
	}
	if (!username || !*username) {
		http_error(req, 400, "missing_field", "Please give the username of the account.");
		return;
	}
	if (norm_username(username, uname, sizeof uname)) {
		/* longer than any username can be: its rule says why */
		acct_check_username(uname, &code, &msg);
		http_error(req, 400, code, msg);
		return;
	}
	if (role < 0) {
		http_error(req, 400, "bad_role", "role must be member, facilitator or manager.");
		return;
	}
	s = pw_state(req);
	snprintf(s->username, sizeof s->username, "%s", uname);
	s->role = role;
	http_run(req, staff_role_fn, role_done);
}

static const struct http_route routes[] = {
	{HTTP_POST, "/api/v1/register", route_register, 0},
	{HTTP_POST, "/api/v1/login", route_login, 0},
	{HTTP_POST, "/api/v1/logout", route_logout, HTTP_ROUTE_AUTH},
	{HTTP_GET, "/api/v1/me", route_me, HTTP_ROUTE_AUTH},
	{HTTP_PATCH, "/api/v1/me", route_patch_me, HTTP_ROUTE_AUTH},
	{HTTP_DELETE, "/api/v1/me", route_erase, HTTP_ROUTE_AUTH},
	{HTTP_POST, "/api/v1/me/password", route_password, HTTP_ROUTE_AUTH},
	{HTTP_PUT, "/api/v1/me/avatar", route_put_avatar, HTTP_ROUTE_AUTH | HTTP_ROUTE_RAW},
	{HTTP_DELETE, "/api/v1/me/avatar", route_delete_avatar, HTTP_ROUTE_AUTH},
	{HTTP_GET, "/api/v1/users/{id}/avatar", route_get_avatar, HTTP_ROUTE_AUTH},
	{HTTP_PUT, "/api/v1/users/{id}/role", route_role, HTTP_ROUTE_AUTH},
	{HTTP_GET, "/api/v1/staff", route_staff, HTTP_ROUTE_AUTH},
	{HTTP_POST, "/api/v1/staff", route_staff_role, HTTP_ROUTE_AUTH},
};

/* Rights changed: the cache must stop admitting what ended. */
static void on_acct_event(struct server *srv, int64_t user_id, int64_t session_id,
			  int64_t keep_session, enum acct_event ev)
{
	(void)srv;
	(void)ev;
	if (session_id)
		authcache_drop_session(session_id);
	else
		authcache_drop_user(user_id, keep_session);
}

void acct_http_init(struct server *srv)
{
	fails = lockout_new(srv->cfg.max_failures, (int64_t)srv->cfg.failure_window_min * 60000);
	pool_init(&srv->hash_pool, &srv->loop, srv->cfg.hash_concurrency);
	http_set_auth(authenticate);
	acct_on_event(on_acct_event);
	if (authcache_load(srv->store))
		log_error("authcache_load_failed", NULL);
	http_routes_add(routes, ARRAY_LEN(routes));
}

void acct_http_tick(struct server *srv)
{
	(void)srv;
	lockout_prune(fails);
}

void acct_http_free(struct server *srv)
{
	(void)srv;
	lockout_free(fails);
	fails = NULL;
	authcache_free();
}
