/*
 * config.c — one table of keys drives the INI parser, the flags and the
 * help text, so they cannot drift apart.
 */
#include "config.h"

#include <ini.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hearth_build.h"
#include "log.h"
#include "util.h"

enum key_type { K_STR, K_INT, K_BOOL, K_LISTEN, K_SYNC, K_LEVEL };

struct key {
	const char *section, *name;
	enum key_type type;
	size_t off;
	int64_t min, max;
	const char *help;
};

#define OFF(f) offsetof(struct config, f)

static const struct key keys[] = {
	{"server", "listen", K_LISTEN, 0, 0, 0, "ADDR:PORT to listen on (port 0: any free port)"},
	{"server", "data", K_STR, OFF(data_dir), 0, 0, "data folder (database, keys, mail, backups)"},
	{"server", "web_root", K_STR, OFF(web_root), 0, 0, "folder of the web client's files"},
	{"server", "origins", K_STR, OFF(origins), 0, 0,
	 "comma-separated allowed Origins (default: from listen)"},
	{"server", "max_body", K_INT, OFF(max_body), 1024, 64 << 20, "largest request body, bytes"},
	{"server", "max_conns_per_ip", K_INT, OFF(max_conns_per_ip), 1, 100000,
	 "open connections allowed from one address"},
	{"server", "testing", K_BOOL, OFF(testing), 0, 1,
	 "enable test-only controls (moving the clock); never in production"},
	{"server", "demo", K_BOOL, OFF(demo), 0, 1, "seed demo accounts and an open session"},
	{"store", "synchronous", K_SYNC, OFF(synchronous), 0, 0,
	 "SQLite synchronous: FULL (survives power loss) or NORMAL"},
	{"store", "batch_max", K_INT, OFF(batch_max), 1, 100000, "writes per transaction at most"},
	{"store", "queue_max", K_INT, OFF(queue_max), 16, 10000000,
	 "queued writes before requests are refused as overloaded"},
	{"log", "level", K_LEVEL, OFF(log_level), 0, 0, "debug, info, warn or error"},
	{"accounts", "idle_timeout_min", K_INT, OFF(idle_timeout_min), 1, 24 * 60,
	 "minutes of inactivity that end a session"},
	{"accounts", "session_hours", K_INT, OFF(session_hours), 1, 24 * 7,
	 "absolute lifetime of a session, hours"},
	{"accounts", "remember_days", K_INT, OFF(remember_days), 1, 365,
	 "lifetime of a 'remember me' session, days"},
	{"accounts", "max_failures", K_INT, OFF(max_failures), 1, 1000,
	 "failed log-ins (per account or address) before 429"},
	{"accounts", "failure_window_min", K_INT, OFF(failure_window_min), 1, 24 * 60,
	 "window for counting failed log-ins, minutes"},
	{"accounts", "hash_concurrency", K_INT, OFF(hash_concurrency), 1, 4,
	 "password hashes computed at once (each takes ~130 MiB)"},
	{"accounts", "scrypt_ln", K_INT, OFF(scrypt_ln), 10, 20,
	 "scrypt cost log2(N) for new hashes; below 17 only with testing"},
};

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->listen_addr = xstrdup("127.0.0.1");
	c->listen_port = 8080;
	c->data_dir = xstrdup("./var");
	c->web_root = xstrdup(HEARTH_WEB_ROOT);
	c->origins = xstrdup("");
	c->max_body = 1 << 20;
	c->max_conns_per_ip = 64;
	c->synchronous = xstrdup("FULL");
	c->batch_max = 512;
	c->queue_max = 100000;
	c->log_level = xstrdup("info");
	c->idle_timeout_min = 30;
	c->session_hours = 12;
	c->remember_days = 30;
	c->max_failures = 5;
	c->failure_window_min = 15;
	c->hash_concurrency = 2;
	c->scrypt_ln = 17;
}

void config_free(struct config *c)
{
	free(c->listen_addr);
	free(c->data_dir);
	free(c->web_root);
	free(c->origins);
	free(c->synchronous);
	free(c->log_level);
	memset(c, 0, sizeof *c);
}

static int parse_listen(struct config *c, const char *v, const char **why)
{
	const char *colon = strrchr(v, ':');
	int64_t port;

	if (!colon || colon == v) {
		*why = "expected ADDR:PORT";
		return -1;
	}
	if (parse_int64(colon + 1, 0, 65535, &port)) {
		*why = "port must be 0-65535";
		return -1;
	}
	free(c->listen_addr);
	c->listen_addr = xstrndup(v, (size_t)(colon - v));
	c->listen_port = (int)port;
	return 0;
}

/* Set one key from text; 0 or -1 with *why naming the problem. */
static int set_key(struct config *c, const struct key *k, const char *v, const char **why)
{
	char *base = (char *)c;
	int64_t n;
	enum log_level lvl;

	switch (k->type) {
	case K_LISTEN:
		return parse_listen(c, v, why);
	case K_SYNC:
		if (strcmp(v, "FULL") && strcmp(v, "NORMAL")) {
			*why = "expected FULL or NORMAL";
			return -1;
		}
		break;
	case K_LEVEL:
		if (log_level_parse(v, &lvl)) {
			*why = "expected debug, info, warn or error";
			return -1;
		}
		break;
	case K_STR:
		if (!*v && strcmp(k->name, "origins")) {
			*why = "must not be empty";
			return -1;
		}
		break;
	case K_INT:
		if (parse_int64(v, k->min, k->max, &n)) {
			*why = "not a whole number in the allowed range";
			return -1;
		}
		if (k->off == OFF(max_body))
			*(int64_t *)(base + k->off) = n;
		else
			*(int *)(base + k->off) = (int)n;
		return 0;
	case K_BOOL:
		if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on"))
			*(int *)(base + k->off) = 1;
		else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") ||
			 !strcmp(v, "off"))
			*(int *)(base + k->off) = 0;
		else {
			*why = "expected true or false";
			return -1;
		}
		return 0;
	}
	free(*(char **)(base + k->off));
	*(char **)(base + k->off) = xstrdup(v);
	return 0;
}

static const struct key *find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

struct load_ctx {
	struct config *c;
	const char *path;
	char *err;
	size_t errlen;
	int failed;
	FILE *f;
	int lineno; /* lines read so far: the line the handler is called for */
};

/*
 * Debian's libinih is built without INI_HANDLER_LINENO, so the handler is
 * not told its line. We read the lines ourselves (fgets semantics, as
 * ini_parse_stream expects) and count them.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct load_ctx *lc = stream;
	char *r = fgets(str, num, lc->f);

	if (r)
		lc->lineno++;
	return r;
}

static int on_ini_line(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = user;
	int lineno = lc->lineno;
	const struct key *k;
	const char *why = NULL;

	if (lc->failed)
		return 0;
	k = find_key(section, name);
	if (!k)
		why = "unknown key";
	else if (set_key(lc->c, k, value, &why) == 0)
		return 1;
	snprintf(lc->err, lc->errlen, "%s:%d: [%s] %s: %s", lc->path, lineno, section, name, why);
	lc->failed = 1;
	return 0;
}

int config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
	struct load_ctx lc = {c, path, err, errlen, 0, NULL, 0};
	int rc;

	lc.f = fopen(path, "r");
	if (!lc.f) {
		snprintf(err, errlen, "%s: cannot open the file", path);
		return -1;
	}
	rc = ini_parse_stream(read_line, &lc, on_ini_line, &lc);
	fclose(lc.f);
	if (lc.failed)
		return -1;
	if (rc > 0) {
		snprintf(err, errlen, "%s:%d: not a valid line (expected [section] or key = value)",
			 path, rc);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot read the file", path);
		return -1;
	}
	return 0;
}

/* The flag for a key: server keys bare, others section-key, '_' as '-'. */
static void flag_name(const struct key *k, char *out, size_t n)
{
	if (!strcmp(k->section, "server"))
		snprintf(out, n, "%s", k->name);
	else
		snprintf(out, n, "%s-%s", k->section, k->name);
	for (char *p = out; *p; p++)
		if (*p == '_')
			*p = '-';
}

int config_apply_flag(struct config *c, const char *flag, const char *value, char *err,
		      size_t errlen)
{
	char name[64];
	const char *why = NULL;

	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		flag_name(&keys[i], name, sizeof name);
		if (strcmp(name, flag))
			continue;
		if (set_key(c, &keys[i], value, &why) == 0)
			return 1;
		snprintf(err, errlen, "--%s %s: %s", name, value, why);
		return -1;
	}
	return 0;
}

int config_flag_is_switch(const char *flag)
{
	char name[64];

	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		flag_name(&keys[i], name, sizeof name);
		if (!strcmp(name, flag))
			return keys[i].type == K_BOOL;
	}
	return 0;
}

int config_check(const struct config *c, char *err, size_t errlen)
{
	if (c->scrypt_ln < 17 && !c->testing) {
		snprintf(err, errlen, "[accounts] scrypt_ln below 17 is allowed only with testing");
		return -1;
	}
	if (c->batch_max > c->queue_max) {
		snprintf(err, errlen, "[store] batch_max must not exceed queue_max");
		return -1;
	}
	return 0;
}

void config_print_help(FILE *out)
{
	char name[64];

	fprintf(out, "Settings (INI file key, and the flag that overrides it):\n");
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		flag_name(&keys[i], name, sizeof name);
		fprintf(out, "  [%s] %-18s --%-20s %s\n", keys[i].section, keys[i].name, name,
			keys[i].help);
	}
}
