/*
 * bench_cli.c — `hearth bench-setup`: N full rooms for the benchmark.
 *
 * Each room is a patient group with a facilitator and 8 members (every
 * member in exactly one group, as the one-group rule wants) and one
 * ad-hoc session that is open now. The session row is inserted directly
 * in state 'open', as a facilitator's "open now" would leave it. All the
 * accounts share one random password, printed with their usernames in a
 * JSON manifest (standard output, or --out FILE made with mode 0600) for
 * bench/hearth-bench to log in with.
 *
 * Password hashes use the real cost (scrypt N = 2^17) unless --fast-hash
 * is given: then N = 2^10, the lowest cost verify accepts, so that 900
 * log-ins take seconds rather than minutes. That flag is for benchmark
 * data folders only; a server meant for people must never hold such
 * hashes (and bench/run starts its server with a matching low cost under
 * --testing, so that log-ins do not rehash them).
 *
 * Everything is written in one transaction, audited as bench_setup: a
 * failure leaves the data folder as it was.
 */
#include "bench_cli.h"

#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "audit.h"
#include "cli.h"
#include "clock.h"
#include "crypto.h"
#include "groups.h"
#include "util.h"

#define BENCH_ROOMS_MAX 10000
#define BENCH_MEMBERS 8 /* a full group */
#define BENCH_PEOPLE (BENCH_MEMBERS + 1)
#define BENCH_FAST_LN 10	 /* the lowest scrypt cost verify accepts */
#define BENCH_MINUTES_DEFAULT 60 /* as doc/hearth.1 says */
#define BENCH_HASH_THREADS 4

static const char usage_text[] =
    "usage: hearth bench-setup --rooms N [--fast-hash] [--minutes M] [--out FILE]"
    " [--data DIR]\n";

/* One account to create; [room * BENCH_PEOPLE] is the room's facilitator. */
struct bench_user {
	char username[33];
	char hash[CRYPTO_PW_ENCODED_MAX];
	int64_t id;
};

struct bench_room {
	int64_t group, session;
};

/* One per run of the command. */
struct bench_setup {
	int rooms, ln, minutes;
	char tag[7];
	char password[32];
	struct bench_user *users;
	struct bench_room *room;
	/* the hashing threads share these */
	pthread_mutex_t lock;
	size_t next_hash;
	int hash_failed;
	/* why the transaction failed, for the message */
	struct groups_why why;
	const char *step;
};

static size_t n_users(const struct bench_setup *b)
{
	return (size_t)b->rooms * BENCH_PEOPLE;
}

/* ---- password hashes, computed before the transaction ---- */

static void *hash_thread(void *arg)
{
	struct bench_setup *b = arg;

	for (;;) {
		size_t i;
		int rc;

		pthread_mutex_lock(&b->lock);
		i = b->next_hash++;
		pthread_mutex_unlock(&b->lock);
		if (i >= n_users(b))
			return NULL;
		rc = crypto_password_hash_params(b->password, strlen(b->password), b->ln, 8, 1,
						 b->users[i].hash, sizeof b->users[i].hash);
		if (rc) {
			pthread_mutex_lock(&b->lock);
			b->hash_failed = rc;
			pthread_mutex_unlock(&b->lock);
			return NULL;
		}
	}
}

/* Hash every account's password on a few threads (each real hash takes ~128 MiB). */
static int hash_all(struct bench_setup *b)
{
	pthread_t t[BENCH_HASH_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n = BENCH_HASH_THREADS, started = 0;

	if (cpus >= 1 && cpus < n)
		n = (int)cpus;

	pthread_mutex_init(&b->lock, NULL);
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[started], NULL, hash_thread, b) == 0)
			started++;
	if (started == 0)
		hash_thread(b);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_destroy(&b->lock);
	if (b->hash_failed) {
		fprintf(stderr, "hearth: cannot hash the password: %s\n",
			crypto_strerror(b->hash_failed));
		return -1;
	}
	return 0;
}

/* ---- the transaction ---- */

static int add_user(struct store_tx *tx, struct bench_user *u, int role, const char *display)
{
	char email[64];
	struct acct_new n = {u->username, display, email, u->hash, role, 0};
	int rc;

	snprintf(email, sizeof email, "%s@bench.invalid", u->username);
	rc = acct_insert(tx, &n);
	u->id = n.id;
	return rc;
}

/* The cycle starts in three months, so no reminder mail or planned session
 * falls inside a benchmark run. */
static void far_date(char out[11])
{
	time_t t = time(NULL) + 91 * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static int add_group(struct store_tx *tx, struct bench_setup *b, int r, int64_t facilitator,
		     int64_t *gid)
{
	struct groups_spec g;
	char name[64], date[11];
	json_t *o;
	int rc;

	snprintf(name, sizeof name, "Bench %s room %d", b->tag, r + 1);
	far_date(date);
	o = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:i}", "name", name, "category", "patient",
		      "timezone", "Europe/London", "weekday", 2, "start_time", "19:00",
		      "cycle_start", date, "capacity", BENCH_MEMBERS);
	if (!o)
		return STORE_EIO;
	groups_spec_init(&g);
	rc = groups_spec_apply(&g, o, 1, &b->why) ? STORE_EINVAL : 0;
	json_decref(o);
	if (rc == 0) {
		g.facilitators[0] = facilitator;
		g.nfacilitators = 1;
		rc = groups_insert(tx, &g, AUDIT_SYSTEM, gid, &b->why);
	}
	groups_spec_free(&g);
	return rc;
}

static int open_session(struct store_tx *tx, const struct bench_setup *b, int64_t gid,
			int64_t facilitator, int64_t *sid)
{
	int64_t now = clock_now_ms();
	sqlite3_stmt *st = store_stmt(tx, "INSERT INTO sessions (group_id, starts_at, ends_at,"
					  " adhoc, state, opened_at, opened_by)"
					  " VALUES (?, ?, ?, 1, 'open', ?, ?) RETURNING id");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, now + (int64_t)b->minutes * 60000);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, facilitator);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return store_check(tx, rc, "bench_session");
	}
	*sid = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return audit_append(tx, facilitator, "session_opened", "session", *sid, NULL);
}

static int setup_room(struct store_tx *tx, struct bench_setup *b, int r)
{
	struct bench_user *u = &b->users[(size_t)r * BENCH_PEOPLE];
	int64_t now = clock_now_ms();
	char display[64];
	int rc;

	b->step = "accounts";
	snprintf(display, sizeof display, "Bench facilitator %d", r + 1);
	if ((rc = add_user(tx, &u[0], ACCT_FACILITATOR, display)))
		return rc;
	for (int m = 1; m <= BENCH_MEMBERS; m++) {
		snprintf(display, sizeof display, "Bench member %d.%d", r + 1, m);
		if ((rc = add_user(tx, &u[m], ACCT_MEMBER, display)))
			return rc;
	}
	b->step = "group";
	if ((rc = add_group(tx, b, r, u[0].id, &b->room[r].group)))
		return rc;
	b->step = "memberships";
	for (int m = 1; m <= BENCH_MEMBERS; m++)
		if ((rc =
			 groups_join(tx, b->room[r].group, u[m].id, 0, now, AUDIT_SYSTEM, &b->why)))
			return rc;
	b->step = "session";
	return open_session(tx, b, b->room[r].group, u[0].id, &b->room[r].session);
}

static int setup_fn(struct store_tx *tx, void *arg)
{
	struct bench_setup *b = arg;
	char detail[96];
	int rc;

	for (int r = 0; r < b->rooms; r++)
		if ((rc = setup_room(tx, b, r)))
			return rc;
	b->step = "audit";
	snprintf(detail, sizeof detail, "{\"rooms\":%d,\"fast_hash\":%s}", b->rooms,
		 b->ln < CRYPTO_SCRYPT_LN ? "true" : "false");
	return audit_append(tx, AUDIT_SYSTEM, "bench_setup", NULL, 0, detail);
}

/* ---- the manifest ---- */

static json_t *manifest(const struct bench_setup *b)
{
	json_t *rooms = json_array();
	static const char *const roles[] = {"facilitator", "member"};

	for (int r = 0; r < b->rooms; r++) {
		json_t *users = json_array();

		for (int k = 0; k < BENCH_PEOPLE; k++) {
			const struct bench_user *u =
			    &b->users[(size_t)r * BENCH_PEOPLE + (size_t)k];

			json_array_append_new(users, json_pack("{s:I,s:s,s:s,s:s}", "id",
							       (json_int_t)u->id, "username",
							       u->username, "password", b->password,
							       "role", roles[k > 0]));
		}
		json_array_append_new(
		    rooms, json_pack("{s:I,s:I,s:o}", "group", (json_int_t)b->room[r].group,
				     "session", (json_int_t)b->room[r].session, "users", users));
	}
	return json_pack("{s:s,s:s,s:b,s:i,s:o}", "format", "hearth-bench-manifest/1", "tag",
			 b->tag, "fast_hash", b->ln < CRYPTO_SCRYPT_LN, "minutes", b->minutes,
			 "rooms", rooms);
}

/* Write the manifest to path (mode 0600: it holds passwords) or standard output. */
static int write_manifest(const struct bench_setup *b, const char *path)
{
	json_t *m = manifest(b);
	FILE *f = stdout;
	int fd, rc;

	if (!m)
		return -1;
	if (path) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			fprintf(stderr, "hearth: cannot write %s\n", path);
			if (fd >= 0)
				close(fd);
			json_decref(m);
			return -1;
		}
	}
	rc = json_dumpf(m, f, JSON_COMPACT);
	fputc('\n', f);
	if (path && fclose(f))
		rc = -1;
	else if (!path)
		fflush(f);
	json_decref(m);
	if (rc)
		fprintf(stderr, "hearth: cannot write the manifest\n");
	return rc ? -1 : 0;
}

/* ---- the command ---- */

static int run_setup(struct config *cfg, const char **own, int fast)
{
	struct bench_setup b;
	struct store *st;
	int64_t n;
	int rc = CLI_FAIL;

	memset(&b, 0, sizeof b);
	if (!own[0] || parse_int64(own[0], 1, BENCH_ROOMS_MAX, &n)) {
		fprintf(stderr, "hearth: --rooms must be 1 to %d\n%s", BENCH_ROOMS_MAX, usage_text);
		return CLI_USAGE;
	}
	b.rooms = (int)n;
	b.minutes = BENCH_MINUTES_DEFAULT;
	if (own[2]) {
		if (parse_int64(own[2], 10, 24 * 60, &n)) {
			fprintf(stderr, "hearth: --minutes must be 10 to 1440\n%s", usage_text);
			return CLI_USAGE;
		}
		b.minutes = (int)n;
	}
	b.ln = fast ? BENCH_FAST_LN : CRYPTO_SCRYPT_LN;
	crypto_random_hex(3, b.tag);
	memcpy(b.password, "bench-", 6);
	crypto_random_hex(8, b.password + 6);
	b.users = xcalloc(n_users(&b), sizeof *b.users);
	b.room = xcalloc((size_t)b.rooms, sizeof *b.room);
	for (int r = 0; r < b.rooms; r++) {
		struct bench_user *u = &b.users[(size_t)r * BENCH_PEOPLE];

		snprintf(u[0].username, sizeof u[0].username, "b%s-f%d", b.tag, r + 1);
		for (int m = 1; m <= BENCH_MEMBERS; m++)
			snprintf(u[m].username, sizeof u[m].username, "b%s-m%d-%d", b.tag, r + 1,
				 m);
	}
	if (!fast)
		fprintf(stderr,
			"hearth: hashing %zu passwords at the real cost; this takes a"
			" while (--fast-hash is for benchmark folders)\n",
			n_users(&b));
	if (hash_all(&b))
		goto done;
	st = cli_open_store(cfg);
	if (!st)
		goto done;
	if (store_run(st, setup_fn, &b)) {
		fprintf(stderr, "hearth: cannot set up the rooms (%s): %s\n", b.step ? b.step : "?",
			b.why.msg ? b.why.msg : "database error");
	} else if (write_manifest(&b, own[1]) == 0) {
		fprintf(stderr, "hearth: %d rooms of %d people, sessions open for %d minutes%s\n",
			b.rooms, BENCH_PEOPLE, b.minutes,
			fast ? " (fast hashes: benchmarks only)" : "");
		rc = CLI_OK;
	}
	store_free(st);
done:
	for (size_t i = 0; i < n_users(&b); i++)
		OPENSSL_cleanse(b.users[i].hash, sizeof b.users[i].hash);
	OPENSSL_cleanse(b.password, sizeof b.password);
	free(b.users);
	free(b.room);
	return rc;
}

int bench_cli(int argc, char **argv)
{
	static const char *const own_flags[] = {"rooms", "out", "minutes", NULL};
	const char *own[4], *pos[1];
	char **args = xcalloc((size_t)argc + 1, sizeof *args);
	struct config cfg;
	int nargs = 0, fast = 0, npos, rc;

	/* --fast-hash takes no value, which cli_parse only knows for config switches */
	for (int i = 0; i < argc; i++) {
		if (i >= 2 && !strcmp(argv[i], "--fast-hash"))
			fast = 1;
		else
			args[nargs++] = argv[i];
	}
	config_defaults(&cfg);
	rc = cli_parse(nargs, args, 2, &cfg, pos, &npos, 0, own_flags, own);
	if (rc == CLI_OK)
		rc = run_setup(&cfg, own, fast);
	config_free(&cfg);
	free(args);
	return rc;
}
