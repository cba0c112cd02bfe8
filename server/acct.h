/*
 * acct.h — accounts: roles, the rules for usernames, passwords, e-mail
 * and names, and the store jobs shared by the HTTP routes and the CLI.
 *
 * Names shown to others always come from ACCT_NAME_SQL, so an erased
 * account reads "Former member" everywhere its words remain.
 */
#ifndef HEARTH_ACCT_H
#define HEARTH_ACCT_H

#include <stdint.h>

#include "store.h"

enum acct_role { ACCT_MEMBER = 0, ACCT_FACILITATOR = 1, ACCT_MANAGER = 2 };

/* SQL expression for the name to show of users row alias `u`. */
#define ACCT_NAME_SQL(u) \
	"CASE WHEN " u ".erased_at IS NOT NULL THEN 'Former member' ELSE " u ".display_name END"

#define ACCT_PASSWORD_MIN 10   /* code points */
#define ACCT_PASSWORD_MAX 1024 /* bytes: refused before hashing */

const char *acct_role_name(int role);
/* "member" | "facilitator" | "manager" → role; -1 otherwise. */
int acct_role_parse(const char *s);

/*
 * Validation. Each returns 0, or -1 with *code (snake_case) and *msg (a
 * sentence for the user) set. acct_norm_username lowercases in place first.
 */
void acct_norm_username(char *s);
int acct_check_username(const char *s, const char **code, const char **msg);
int acct_check_password(const char *pw, const char *username, const char **code,
			const char **msg);
int acct_check_email(const char *s, const char **code, const char **msg);
int acct_check_display_name(const char *s, const char **code, const char **msg);
int acct_check_signature(const char *s, const char **code, const char **msg);

/* A new user row; fields borrowed. */
struct acct_new {
	const char *username, *display_name, *email, *password_hash;
	int role;
	int64_t id; /* out */
};
/* Insert; STORE_ECONFLICT if the username is taken. */
int acct_insert(struct store_tx *tx, struct acct_new *u);
/* Find a live (not erased) user by username; 0 with id/role/hash copied, or STORE_ENOTFOUND. */
int acct_find(struct store_tx *tx, const char *username, int64_t *id, int *role, char *hash,
	      size_t hashlen);
int acct_set_password_hash(struct store_tx *tx, int64_t id, const char *hash);
/* Set a role; STORE_ECONFLICT when it would leave no manager. */
int acct_set_role(struct store_tx *tx, int64_t id, int role);
/*
 * Give live user `id` the role `role` on behalf of `actor` (AUDIT_SYSTEM
 * for the command line) and append the audit row "role_change", in the
 * caller's transaction. 0; STORE_ENOTFOUND for no such live user;
 * STORE_ECONFLICT when it would leave no manager — then the caller must
 * fail its job so the change rolls back. The caller tells the user's
 * sockets (ACCT_EV_ROLE) once the transaction has committed.
 */
int acct_change_role(struct store_tx *tx, int64_t actor, int64_t id, int role);

/*
 * Erase an account: personal data removed (username becomes "former-ID",
 * display name, e-mail, signature, avatar and password cleared), every
 * session ended, and every registered erasure hook run, all in the
 * caller's transaction.
 */
int acct_erase(struct store_tx *tx, int64_t id);
typedef int (*acct_erase_hook)(struct store_tx *tx, int64_t user_id);
/* Modules that hold personal data register here at start-up. */
void acct_on_erase(acct_erase_hook fn);

/* A log-in session as found by its token's hash. */
struct acct_session {
	int64_t session_id, user_id, last_seen, expires_at;
	int remember, role;
	char username[40];
	char display_name[200];
};
/*
 * Look up the log-in session whose token hashes to token_hash (hex) and
 * check it against `now` and the idle limit. Returns 0 with *out filled;
 * STORE_ENOTFOUND for no such session (or an erased user); STORE_EFORBIDDEN
 * when it has expired — then the session row has been deleted, and the
 * caller must let the job commit for that to stick.
 */
int acct_session_lookup(struct store_tx *tx, const char *token_hash, int64_t now,
			int64_t idle_ms, struct acct_session *out);
/* Record activity on a log-in session (at most worth doing once a minute). */
int acct_session_touch(struct store_tx *tx, int64_t session_id, int64_t user_id, int64_t now);

/* Called when a user's rights change (log-out, password or role change,
 * erasure) so open WebSockets can be closed or narrowed. session_id 0
 * means every session of the user except `keep_session`. */
enum acct_event { ACCT_EV_LOGOUT, ACCT_EV_PASSWORD, ACCT_EV_ROLE, ACCT_EV_ERASED };
struct server;
typedef void (*acct_event_fn)(struct server *srv, int64_t user_id, int64_t session_id,
			      int64_t keep_session, enum acct_event ev);
void acct_on_event(acct_event_fn fn);
void acct_emit(struct server *srv, int64_t user_id, int64_t session_id, int64_t keep_session,
	       enum acct_event ev);

#endif
