/*
 * groups_cli.c — `hearth group add|list`: setting up groups from the
 * command line, on the data folder directly (safe beside a running
 * server: SQLite's WAL lets both write, one at a time).
 *
 * `add` turns its flags into the same JSON settings the HTTP API takes
 * and checks them with groups_spec_apply, so both ways in obey one set of
 * rules. Facilitators are named by username.
 */
#include "groups_cli.h"

#include <stdio.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "cli.h"
#include "clock.h"
#include "groups.h"
#include "groups_int.h"
#include "util.h"

enum {
	F_CATEGORY,
	F_TIMEZONE,
	F_WEEKDAY,
	F_START,
	F_DURATION,
	F_CYCLE_START,
	F_CYCLE_WEEKS,
	F_INTAKE,
	F_HIATUS,
	F_CAPACITY,
	F_DESCRIPTION,
	F_FACILITATORS,
	F_QUESTIONS,
	F_COUNT
};

static const char *const own_flags[] = {
    "category",	      "timezone",    "weekday",	    "start",
    "duration",	      "cycle-start", "cycle-weeks", "intake-close-weeks",
    "hiatus-weeks",   "capacity",    "description", "facilitators",
    "questions-file", NULL};

/* The JSON key each flag sets, and whether its value is a whole number. */
static const struct {
	const char *key;
	int integer;
} flag_keys[F_COUNT] = {
    [F_CATEGORY] = {"category", 0},	  [F_TIMEZONE] = {"timezone", 0},
    [F_WEEKDAY] = {"weekday", 0},	  [F_START] = {"start_time", 0},
    [F_DURATION] = {"duration_min", 1},	  [F_CYCLE_START] = {"cycle_start", 0},
    [F_CYCLE_WEEKS] = {"cycle_weeks", 1}, [F_INTAKE] = {"intake_close_weeks", 1},
    [F_HIATUS] = {"hiatus_weeks", 1},	  [F_CAPACITY] = {"capacity", 1},
    [F_DESCRIPTION] = {"description", 0},
};

static const char add_usage[] =
    "usage: hearth group add NAME --category patient|caregiver|bereaved|workshop\n"
    "         --timezone ZONE --weekday DAY --start HH:MM --cycle-start YYYY-MM-DD\n"
    "         [--duration MIN] [--cycle-weeks 12|15] [--intake-close-weeks N]\n"
    "         [--hiatus-weeks N] [--capacity N] [--description TEXT]\n"
    "         [--facilitators USER,USER] [--questions-file FILE]\n";

struct cli_group {
	struct groups_spec spec;
	char names[GROUPS_FACILITATORS_MAX][65];
	int nnames;
	int64_t id;
	struct groups_why why;
	const char *missing; /* a facilitator username not found */
};

static int add_fn(struct store_tx *tx, void *arg)
{
	struct cli_group *g = arg;
	char hash[8];
	int role;

	g->spec.nfacilitators = 0;
	for (int i = 0; i < g->nnames; i++) {
		int64_t uid;

		if (acct_find(tx, g->names[i], &uid, &role, hash, sizeof hash)) {
			g->missing = g->names[i];
			return STORE_ENOTFOUND;
		}
		g->spec.facilitators[g->spec.nfacilitators++] = uid;
	}
	return groups_insert(tx, &g->spec, AUDIT_SYSTEM, &g->id, &g->why);
}

/* Read one question per non-empty line of path into a JSON array. NULL after printing why. */
static json_t *read_questions(const char *path)
{
	FILE *f = fopen(path, "r");
	json_t *a;
	char line[2048];

	if (!f) {
		fprintf(stderr, "hearth: cannot read %s\n", path);
		return NULL;
	}
	a = json_array();
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0])
			json_array_append_new(a, json_string(line));
	}
	fclose(f);
	return a;
}

/* The flags as a settings object; NULL after printing the problem. */
static json_t *flags_json(const char *name, const char **own, struct cli_group *g)
{
	json_t *o = json_pack("{s:s}", "name", name);
	int64_t n;

	if (!o) {
		fprintf(stderr, "hearth: the name must be UTF-8 text\n");
		return NULL;
	}
	for (int i = 0; i < F_COUNT; i++) {
		if (!own[i] || !flag_keys[i].key)
			continue;
		if (flag_keys[i].integer) {
			if (parse_int64(own[i], 0, 1000, &n)) {
				fprintf(stderr, "hearth: --%s must be a whole number\n",
					own_flags[i]);
				json_decref(o);
				return NULL;
			}
			json_object_set_new(o, flag_keys[i].key, json_integer(n));
		} else {
			json_object_set_new(o, flag_keys[i].key, json_string(own[i]));
		}
	}
	if (own[F_QUESTIONS]) {
		json_t *q = read_questions(own[F_QUESTIONS]);

		if (!q) {
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, "screening_questions", q);
	}
	if (own[F_FACILITATORS]) {
		char *list = xstrdup(own[F_FACILITATORS]), *save = NULL;

		for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (g->nnames == GROUPS_FACILITATORS_MAX) {
				fprintf(stderr, "hearth: at most %d facilitators\n",
					GROUPS_FACILITATORS_MAX);
				free(list);
				json_decref(o);
				return NULL;
			}
			snprintf(g->names[g->nnames], sizeof g->names[0], "%s", t);
			acct_norm_username(g->names[g->nnames++]);
		}
		free(list);
	}
	return o;
}

static int group_add(struct store *st, const char **pos, int npos, const char **own)
{
	struct cli_group g;
	json_t *o;
	int rc;

	if (npos != 1) {
		fputs(add_usage, stderr);
		return CLI_USAGE;
	}
	memset(&g, 0, sizeof g);
	groups_spec_init(&g.spec);
	o = flags_json(pos[0], own, &g);
	if (!o) {
		groups_spec_free(&g.spec);
		return CLI_USAGE;
	}
	rc = groups_spec_apply(&g.spec, o, 1, &g.why);
	json_decref(o);
	if (rc) {
		fprintf(stderr, "hearth: %s\n%s", g.why.msg, add_usage);
		groups_spec_free(&g.spec);
		return CLI_USAGE;
	}
	rc = store_run(st, add_fn, &g);
	if (rc) {
		if (g.missing)
			fprintf(stderr, "hearth: there is no user %s\n", g.missing);
		else
			fprintf(stderr, "hearth: cannot add the group: %s\n",
				g.why.msg ? g.why.msg : store_strerror(rc));
		groups_spec_free(&g.spec);
		return CLI_FAIL;
	}
	printf("added group %lld: %s\n", (long long)g.id, g.spec.name);
	groups_spec_free(&g.spec);
	return CLI_OK;
}

static int list_fn(struct store_tx *tx, void *arg)
{
	FILE *out = arg;
	int64_t now = clock_now_ms();
	sqlite3_stmt *st =
	    store_stmt(tx, "SELECT g.id, g.name, g.category, g.capacity, " GROUPS_SLOT_COLS ","
			   " (SELECT count(*) FROM memberships m WHERE m.group_id = g.id"
			   " AND m.ended_at IS NULL),"
			   " (SELECT count(*) FROM waitlist w WHERE w.group_id = g.id"
			   " AND w.state IN ('waiting', 'offered'))"
			   " FROM groups g ORDER BY g.id");
	int rc, n = 0;

	if (!st)
		return STORE_EIO;
	fprintf(out, "%-5s %-30s %-10s %-32s %-8s %-8s %s\n", "ID", "NAME", "CATEGORY",
		"WHEN (LOCAL)", "MEMBERS", "WAITING", "NEXT SESSION (UTC)");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sched_slot s;
		struct sched_occurrence o;
		char when[96], members[16], next[32] = "-";

		groups__slot_from_row(st, 4, &s);
		snprintf(when, sizeof when, "%.3s %02d:%02d %dmin %s",
			 groups__weekday_name(s.weekday), s.start_minute / 60, s.start_minute % 60,
			 s.duration_min, s.tz);
		snprintf(members, sizeof members, "%d/%d", sqlite3_column_int(st, 13),
			 sqlite3_column_int(st, 3));
		if (sched_next(&s, now, &o) == 0)
			clock_format_iso(o.start_ms, next);
		fprintf(out, "%-5lld %-30.30s %-10s %-32.32s %-8s %-8d %s\n",
			(long long)sqlite3_column_int64(st, 0),
			(const char *)sqlite3_column_text(st, 1),
			(const char *)sqlite3_column_text(st, 2), when, members,
			sqlite3_column_int(st, 14), next);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_check(tx, rc, "group_list");
	if (n == 0)
		fprintf(out, "(no groups yet: add one with hearth group add)\n");
	return 0;
}

int groups_cli(int argc, char **argv)
{
	const char *own[F_COUNT + 1], *pos[4];
	struct config cfg;
	struct store *st;
	int npos, rc;

	if (argc < 3 || (strcmp(argv[2], "add") && strcmp(argv[2], "list"))) {
		fprintf(stderr, "usage: hearth group add|list …\n");
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
	if (!strcmp(argv[2], "add")) {
		rc = group_add(st, pos, npos, own);
	} else if (npos) {
		fprintf(stderr, "usage: hearth group list\n");
		rc = CLI_USAGE;
	} else {
		rc = store_run_read(st, list_fn, stdout) ? CLI_FAIL : CLI_OK;
	}
	store_free(st);
	sched_cleanup();
	config_free(&cfg);
	return rc;
}
