/*
 * acct_cli.c — `hearth user add|passwd|role`: account administration
 * from the command line, on the data folder directly (safe while the
 * server runs: SQLite's WAL lets both write, one at a time).
 *
 * Passwords come from --password-file FILE (its first line) or, when it
 * is not given, from the first line of standard input; never from argv,
 * where other users of the machine could read them.
 */
#include "acct_cli.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "cli.h"
#include "crypto.h"
#include "util.h"

/* Read the first line of path (or stdin when NULL) into out. 0 or -1. */
static int read_password(const char *path, char *out, size_t outlen)
{
	FILE *f = path ? fopen(path, "r") : stdin;
	size_t n;

	if (!f) {
		fprintf(stderr, "hearth: cannot read %s\n", path);
		return -1;
	}
	if (!fgets(out, (int)outlen, f)) {
		fprintf(stderr, "hearth: no password given%s\n",
			path ? "" : " (on standard input, or use --password-file)");
		if (path)
			fclose(f);
		return -1;
	}
	if (path)
		fclose(f);
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return 0;
}

struct cli_user {
	const char *username, *email, *display_name;
	int role;
	char hash[256];
	int64_t id;
	const char *why;
};

static int add_fn(struct store_tx *tx, void *arg)
{
	struct cli_user *u = arg;
	struct acct_new n = {u->username, u->display_name, u->email, u->hash, u->role, 0};
	int rc = acct_insert(tx, &n);

	if (rc == STORE_ECONFLICT)
		u->why = "that username is taken";
	if (rc == 0) {
		u->id = n.id;
		rc = audit_append(tx, AUDIT_SYSTEM, "user_add_cli", "user", n.id, NULL);
	}
	return rc;
}

static int find_fn(struct store_tx *tx, void *arg)
{
	struct cli_user *u = arg;
	char hash[8];
	int role;

	return acct_find(tx, u->username, &u->id, &role, hash, sizeof hash);
}

static int passwd_fn(struct store_tx *tx, void *arg)
{
	struct cli_user *u = arg;
	sqlite3_stmt *st;
	int rc = acct_set_password_hash(tx, u->id, u->hash);

	if (rc)
		return rc;
	st = store_stmt(tx, "DELETE FROM auth_sessions WHERE user_id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, u->id);
	rc = store_check(tx, sqlite3_step(st), "cli_passwd");
	sqlite3_reset(st);
	return rc ? rc : audit_append(tx, AUDIT_SYSTEM, "password_change_cli", "user", u->id, NULL);
}

static int role_fn(struct store_tx *tx, void *arg)
{
	struct cli_user *u = arg;
	int rc = acct_change_role(tx, AUDIT_SYSTEM, u->id, u->role);

	if (rc == STORE_ECONFLICT)
		u->why = "Hearth must keep at least one manager";
	return rc;
}

static int hash_password(const struct config *cfg, const char *file, const char *username,
			 char *out, size_t outlen)
{
	char pw[ACCT_PASSWORD_MAX + 2];
	const char *code, *msg;
	int rc;

	if (read_password(file, pw, sizeof pw))
		return -1;
	if (acct_check_password(pw, username, &code, &msg)) {
		fprintf(stderr, "hearth: %s\n", msg);
		OPENSSL_cleanse(pw, sizeof pw);
		return -1;
	}
	rc = crypto_password_hash_params(pw, strlen(pw), cfg->scrypt_ln, 8, 1, out, outlen);
	OPENSSL_cleanse(pw, sizeof pw);
	if (rc) {
		fprintf(stderr, "hearth: cannot hash the password: %s\n", crypto_strerror(rc));
		return -1;
	}
	return 0;
}

static int user_add(struct config *cfg, struct store *st, const char **pos, int npos,
		    const char **own)
{
	struct cli_user u = {0};
	char uname[65];
	const char *code, *msg;
	int rc;

	if (npos != 1) {
		fprintf(stderr, "usage: hearth user add USERNAME --role ROLE [--password-file F]"
				" [--email E] [--display-name NAME]\n");
		return CLI_USAGE;
	}
	snprintf(uname, sizeof uname, "%s", pos[0]);
	acct_norm_username(uname);
	u.username = uname;
	u.role = own[0] ? acct_role_parse(own[0]) : ACCT_MEMBER;
	u.email = own[2] ? own[2] : "";
	u.display_name = own[3] ? own[3] : uname;
	if (u.role < 0) {
		fprintf(stderr, "hearth: --role must be member, facilitator or manager\n");
		return CLI_USAGE;
	}
	if (acct_check_username(uname, &code, &msg) ||
	    (own[2] && acct_check_email(u.email, &code, &msg)) ||
	    acct_check_display_name(u.display_name, &code, &msg)) {
		fprintf(stderr, "hearth: %s\n", msg);
		return CLI_USAGE;
	}
	if (hash_password(cfg, own[1], uname, u.hash, sizeof u.hash))
		return CLI_FAIL;
	rc = store_run(st, add_fn, &u);
	if (rc) {
		fprintf(stderr, "hearth: cannot add %s: %s\n", uname,
			u.why ? u.why : store_strerror(rc));
		return CLI_FAIL;
	}
	printf("added %s (id %lld, %s)\n", uname, (long long)u.id, acct_role_name(u.role));
	return CLI_OK;
}

static int find_user(struct store *st, struct cli_user *u, const char *name, char *buf,
		     size_t buflen)
{
	snprintf(buf, buflen, "%s", name);
	acct_norm_username(buf);
	u->username = buf;
	if (store_run_read(st, find_fn, u)) {
		fprintf(stderr, "hearth: there is no user %s\n", buf);
		return -1;
	}
	return 0;
}

static int user_passwd(struct config *cfg, struct store *st, const char **pos, int npos,
		       const char **own)
{
	struct cli_user u = {0};
	char uname[65];

	if (npos != 1) {
		fprintf(stderr, "usage: hearth user passwd USERNAME [--password-file F]\n");
		return CLI_USAGE;
	}
	if (find_user(st, &u, pos[0], uname, sizeof uname))
		return CLI_FAIL;
	if (hash_password(cfg, own[1], uname, u.hash, sizeof u.hash))
		return CLI_FAIL;
	if (store_run(st, passwd_fn, &u)) {
		fprintf(stderr, "hearth: cannot change the password\n");
		return CLI_FAIL;
	}
	printf("password changed for %s; their sessions were ended\n", uname);
	return CLI_OK;
}

static int user_role(struct store *st, const char **pos, int npos)
{
	struct cli_user u = {0};
	char uname[65];
	int rc;

	if (npos != 2 || acct_role_parse(pos[1]) < 0) {
		fprintf(stderr, "usage: hearth user role USERNAME member|facilitator|manager\n");
		return CLI_USAGE;
	}
	if (find_user(st, &u, pos[0], uname, sizeof uname))
		return CLI_FAIL;
	u.role = acct_role_parse(pos[1]);
	rc = store_run(st, role_fn, &u);
	if (rc) {
		fprintf(stderr, "hearth: cannot change the role: %s\n",
			u.why ? u.why : store_strerror(rc));
		return CLI_FAIL;
	}
	printf("%s is now %s\n", uname, acct_role_name(u.role));
	return CLI_OK;
}

int acct_cli(int argc, char **argv)
{
	static const char *const own_flags[] = {"role", "password-file", "email", "display-name",
						NULL};
	const char *own[5], *pos[4];
	struct config cfg;
	struct store *st;
	int npos, rc;

	if (argc < 3) {
		fprintf(stderr, "usage: hearth user add|passwd|role …\n");
		return CLI_USAGE;
	}
	config_defaults(&cfg);
	rc = cli_parse(argc, argv, 3, &cfg, pos, &npos, 3, own_flags, own);
	if (rc) {
		config_free(&cfg);
		return rc;
	}
	st = cli_open_store(&cfg);
	if (!st) {
		config_free(&cfg);
		return CLI_FAIL;
	}
	if (!strcmp(argv[2], "add"))
		rc = user_add(&cfg, st, pos, npos, own);
	else if (!strcmp(argv[2], "passwd"))
		rc = user_passwd(&cfg, st, pos, npos, own);
	else if (!strcmp(argv[2], "role"))
		rc = user_role(st, pos, npos);
	else {
		fprintf(stderr, "hearth: unknown user command '%s'\n", argv[2]);
		rc = CLI_USAGE;
	}
	store_free(st);
	config_free(&cfg);
	return rc;
}
