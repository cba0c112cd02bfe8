/*
 * demo.c — `hearth serve --demo`: so that a newcomer sees a live room
 * within a minute. On a data folder with no accounts yet, it creates a
 * manager, a facilitator and three members with fresh random passwords, a
 * group they belong to, and a session open now for two hours, then prints
 * the log-ins. On a folder that already has accounts it does nothing
 * (the demo never touches real data).
 *
 * Runs once at start-up, before the loop, on the starting thread.
 */
#include "demo.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "clock.h"
#include "crypto.h"
#include "groups.h"
#include "log.h"
#include "server.h"
#include "tls.h"
#include "util.h"

#define DEMO_PEOPLE 5

struct demo_person {
	const char *username, *display_name;
	int role;
	char password[24];
	char hash[CRYPTO_PW_ENCODED_MAX];
	int64_t id;
};

struct demo {
	struct demo_person p[DEMO_PEOPLE];
	int fresh; /* the folder had no accounts */
	int64_t group_id, session_id;
};

static int has_accounts(struct store_tx *tx, void *arg)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT count(*) FROM users");
	struct demo *d = arg;

	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return STORE_EIO;
	d->fresh = sqlite3_column_int(st, 0) == 0;
	sqlite3_reset(st);
	return 0;
}

static int seed(struct store_tx *tx, void *arg)
{
	struct demo *d = arg;
	struct groups_spec g;
	struct groups_why why = {0};
	json_t *patch;
	sqlite3_stmt *st;
	int64_t now = clock_now_ms();
	char today[11];
	time_t t = (time_t)(now / 1000);
	struct tm tm;
	int rc = 0;

	for (int i = 0; i < DEMO_PEOPLE && rc == 0; i++) {
		struct acct_new n = {d->p[i].username, d->p[i].display_name, "", d->p[i].hash,
				     d->p[i].role, 0};

		rc = acct_insert(tx, &n);
		d->p[i].id = n.id;
	}
	if (rc)
		return rc;
	gmtime_r(&t, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	groups_spec_init(&g);
	patch = json_pack("{s:s,s:s,s:s,s:[I],s:s,s:i,s:s,s:s,s:b}", "name",
			  "Thursday evening group (demo)", "category", "patient", "description",
			  "A demonstration group: everything here is made up.", "facilitators",
			  (json_int_t)d->p[1].id, "timezone", "Europe/London", "weekday", 4,
			  "start_time", "19:00", "cycle_start", today, "checkins_enabled", 1);
	if (groups_spec_apply(&g, patch, 1, &why) ||
	    (rc = groups_insert(tx, &g, d->p[0].id, &d->group_id, &why)) != 0) {
		log_error("demo_group_failed", "why=\"%s\"", why.msg ? why.msg : "");
		rc = rc ? rc : STORE_EINVAL;
	}
	json_decref(patch);
	groups_spec_free(&g);
	for (int i = 2; rc == 0 && i < DEMO_PEOPLE; i++)
		rc = groups_join(tx, d->group_id, d->p[i].id, 0, now, d->p[1].id, &why);
	if (rc)
		return rc;
	st = store_stmt(tx, "INSERT INTO sessions (group_id, starts_at, ends_at, adhoc, state,"
			    " opened_at, opened_by) VALUES (?1, ?2, ?2 + 7200000, 1, 'open', ?2, ?3)");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, d->group_id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, d->p[1].id);
	rc = store_check(tx, sqlite3_step(st), "demo_session");
	sqlite3_reset(st);
	d->session_id = sqlite3_last_insert_rowid(store_db(tx));
	return rc ? rc : audit_append(tx, AUDIT_SYSTEM, "demo_seeded", "group", d->group_id, NULL);
}

int demo_seed(struct server *srv)
{
	static const struct {
		const char *username, *name;
		int role;
	} who[DEMO_PEOPLE] = {
		{"demo-manager", "Morgan (manager)", ACCT_MANAGER},
		{"demo-facilitator", "Dr Fern Ellis", ACCT_FACILITATOR},
		{"demo-ana", "Ana", ACCT_MEMBER},
		{"demo-ben", "Ben", ACCT_MEMBER},
		{"demo-cleo", "Cleo", ACCT_MEMBER},
	};
	struct demo d = {0};
	int rc;

	if (store_run(srv->store, has_accounts, &d))
		return -1;
	if (!d.fresh) {
		log_warn("demo_skipped", "msg=\"the data folder already has accounts\"");
		return 0;
	}
	for (int i = 0; i < DEMO_PEOPLE; i++) {
		d.p[i].username = who[i].username;
		d.p[i].display_name = who[i].name;
		d.p[i].role = who[i].role;
		crypto_random_hex(8, d.p[i].password); /* 16 hex characters */
		if (crypto_password_hash_params(d.p[i].password, strlen(d.p[i].password),
						srv->cfg.scrypt_ln, 8, 1, d.p[i].hash,
						sizeof d.p[i].hash))
			return -1;
	}
	rc = store_run(srv->store, seed, &d);
	if (rc) {
		fprintf(stderr, "hearth: cannot seed the demo: %s\n", store_strerror(rc));
		return -1;
	}
	printf("\nHearth demo — a group with a session open now (for two hours).\n"
	       "Open %s://%s:%d/ and sign in as any of these (passwords are new each time):\n\n",
	       tls_enabled(&srv->cfg) ? "https" : "http", srv->cfg.listen_addr, srv->port);
	for (int i = 0; i < DEMO_PEOPLE; i++) {
		printf("  %-18s %-18s %s\n", d.p[i].username, d.p[i].password,
		       acct_role_name(d.p[i].role));
		OPENSSL_cleanse(d.p[i].password, sizeof d.p[i].password);
	}
	printf("\n  group %lld, live session %lld\n\n", (long long)d.group_id,
	       (long long)d.session_id);
	fflush(stdout);
	return 0;
}
