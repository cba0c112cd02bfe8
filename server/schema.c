/*
 * schema.c — every migration, in version order (see schema.h).
 */
#include "schema.h"

#include "util.h"

static const struct migration migrations[] = {
	{1, "core",
	 /* settings: small key/value facts about this installation */
	 "CREATE TABLE settings ("
	 "  key TEXT PRIMARY KEY,"
	 "  value TEXT NOT NULL);"
	 /* audit_log: append-only; each row's hash covers the previous row's
	  * hash, so a deleted or edited row breaks the chain (hearth verify audit) */
	 "CREATE TABLE audit_log ("
	 "  id INTEGER PRIMARY KEY,"
	 "  ts INTEGER NOT NULL,"          /* ms since epoch */
	 "  actor_id INTEGER,"             /* NULL: the system */
	 "  action TEXT NOT NULL,"
	 "  target_type TEXT,"
	 "  target_id INTEGER,"
	 "  detail TEXT NOT NULL DEFAULT '{}'," /* JSON, ids and codes only */
	 "  prev_hash TEXT NOT NULL,"
	 "  hash TEXT NOT NULL);"
	 "CREATE INDEX audit_log_actor ON audit_log(actor_id, ts);"
	 "CREATE INDEX audit_log_action ON audit_log(action, ts);"
	 "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	 "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
	 "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	 "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"},
	{2, "accounts",
	 "CREATE TABLE users ("
	 "  id INTEGER PRIMARY KEY,"
	 "  username TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	 "  display_name TEXT,"             /* NULL once erased */
	 "  email TEXT,"                    /* NULL once erased */
	 "  password_hash TEXT,"            /* $scrypt$…; NULL once erased */
	 "  role TEXT NOT NULL DEFAULT 'member'"
	 "    CHECK (role IN ('member', 'facilitator', 'manager')),"
	 "  signature TEXT NOT NULL DEFAULT '',"
	 "  research_consent INTEGER NOT NULL DEFAULT 0,"
	 "  digest_opt_out INTEGER NOT NULL DEFAULT 0,"
	 "  avatar BLOB,"
	 "  avatar_type TEXT,"
	 "  created_at INTEGER NOT NULL,"   /* ms */
	 "  last_active INTEGER,"
	 "  erased_at INTEGER);"
	 /* a log-in: only the SHA-256 of its token is kept */
	 "CREATE TABLE auth_sessions ("
	 "  id INTEGER PRIMARY KEY,"
	 "  user_id INTEGER NOT NULL REFERENCES users(id),"
	 "  token_hash TEXT NOT NULL UNIQUE,"
	 "  created_at INTEGER NOT NULL,"
	 "  last_seen INTEGER NOT NULL,"
	 "  expires_at INTEGER NOT NULL,"
	 "  remember INTEGER NOT NULL DEFAULT 0);"
	 "CREATE INDEX auth_sessions_user ON auth_sessions(user_id);"},
};

const struct migration *schema_migrations(size_t *n)
{
	*n = ARRAY_LEN(migrations);
	return migrations;
}
