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

enum key_type { K_STR, K_INT, K_BOOL, K_LISTEN, K_SYNC, K_LEVEL, K_OPTSTR /* may be empty */ };

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
	{"server", "trusted_proxies", K_STR, OFF(trusted_proxies), 0, 0,
	 "comma-separated addresses of reverse proxies whose X-Forwarded-For is believed"},
	{"server", "metrics_token_file", K_OPTSTR, OFF(metrics_token_file), 0, 0,
	 "file holding a bearer token for /metrics (unset: /metrics answers this machine only)"},
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
	{"groups", "offer_hours", K_INT, OFF(groups_offer_hours), 1, 24 * 30,
	 "hours a waitlisted member has to accept a seat before it passes on"},
	{"groups", "reminder_hours", K_INT, OFF(groups_reminder_hours), 1, 24 * 7,
	 "hours before a session that members are reminded by mail"},
	{"live", "rate_burst", K_INT, OFF(rate_burst), 1, 1000, "messages one person may send at once"},
	{"live", "rate_per_min", K_INT, OFF(rate_per_min), 1, 60000,
	 "messages per minute after the burst"},
	{"live", "away_grace_s", K_INT, OFF(away_grace_s), 0, 3600,
	 "seconds a dropped connection shows as away before left"},
	{"live", "keepalive_s", K_INT, OFF(keepalive_s), 1, 3600,
	 "seconds of silence before a WebSocket is pinged (hung up after twice that)"},
	{"live", "idle_min", K_INT, OFF(idle_min), 1, 240, "minutes without activity before idle"},
	{"live", "ring_frames", K_INT, OFF(ring_frames), 16, 1 << 20,
	 "frames a room buffers for slow readers (past it they reconnect and resume)"},
	{"live", "checkin_drop", K_INT, OFF(checkin_drop), 1, 10,
	 "fall between join and close check-in that alerts facilitators"},
	{"live", "crisis_phrases", K_STR, OFF(crisis_phrases), 0, 0,
	 "comma-separated crisis phrases (empty: built-in list)"},
	{"live", "profanity", K_STR, OFF(profanity), 0, 0,
	 "comma-separated words to mask (empty: built-in list)"},
	{"live", "crisis_text", K_STR, OFF(crisis_text), 0, 0, "text of the crisis resources card"},
	{"backup", "keep", K_INT, OFF(backup_keep), 1, 1000,
	 "scheduled backups kept in DATA/backups (oldest deleted first)"},
	{"backup", "interval_hours", K_INT, OFF(backup_interval_hours), 0, 24 * 366,
	 "hours between scheduled backups (0: none)"},
	{"mail", "smtp_url", K_OPTSTR, OFF(mail_smtp_url), 0, 0,
	 "smtp://HOST:PORT or smtps://HOST:PORT; empty: write mail to DATA/mail"},
	{"mail", "from", K_STR, OFF(mail_from), 0, 0, "sender, e.g. Hearth <no-reply@example.org>"},
	{"mail", "smtp_user", K_OPTSTR, OFF(mail_smtp_user), 0, 0, "SMTP log-in name (optional)"},
	{"mail", "smtp_password_file", K_OPTSTR, OFF(mail_smtp_password_file), 0, 0,
	 "file holding the SMTP password (mode 0600)"},
	{"mail", "smtp_tls", K_STR, OFF(mail_smtp_tls), 0, 0,
	 "try (STARTTLS when offered) or require (refuse to send in clear)"},
	{"boards", "posts_per_minute", K_INT, OFF(boards_posts_per_minute), 1, 6000,
	 "board posts per minute one person may make after the burst"},
	{"boards", "burst", K_INT, OFF(boards_burst), 1, 1000,
	 "board posts one person may make at once"},
	{"boards", "unanswered_days", K_INT, OFF(boards_unanswered_days), 1, 365,
	 "days without a reply before a topic shows as unanswered"},
	{"boards", "allowed_domains", K_OPTSTR, OFF(boards_allowed_domains), 0, 0,
	 "comma-separated link domains posted without review (empty: built-in list)"},
	{"tls", "cert", K_OPTSTR, OFF(tls_cert), 0, 0,
	 "PEM certificate file (with its chain): serve HTTPS and WSS (needs key)"},
	{"tls", "key", K_OPTSTR, OFF(tls_key), 0, 0, "PEM private key file of the certificate"},
	{"tls", "self_signed", K_BOOL, OFF(tls_self_signed), 0, 1,
	 "make a self-signed certificate in DATA/tls for development; never in production"},
	{"retention", "screening_years", K_INT, OFF(retention_screening_years), 1, 50,
	 "years after a membership ends (or an application closes) that GP details, screening"
	 " answers and notes are kept"},
};

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->listen_addr = xstrdup("127.0.0.1");
	c->listen_port = 8080;
	c->data_dir = xstrdup("./var");
	c->web_root = xstrdup(HEARTH_WEB_ROOT);
	c->metrics_token_file = xstrdup("");
	c->trusted_proxies = xstrdup("");
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
	c->rate_burst = 5;
	c->rate_per_min = 60;
	c->away_grace_s = 120;
	c->idle_min = 5;
	c->keepalive_s = 30;
	c->ring_frames = 1024;
	c->checkin_drop = 3;
	c->crisis_phrases = xstrdup("");
	c->profanity = xstrdup("");
	c->crisis_text = xstrdup(
		"You matter, and you do not have to face this alone. If you are in danger now, "
		"call 999. Samaritans are there day and night on 116 123 (free). For urgent help "
		"that is not an emergency, call NHS 111. Your facilitator has been told and will "
		"be in touch.");
	c->groups_offer_hours = 72;
	c->groups_reminder_hours = 24;
	c->backup_keep = 7;
	c->backup_interval_hours = 24;
	c->mail_smtp_url = xstrdup("");
	c->mail_from = xstrdup("Hearth <no-reply@localhost>");
	c->mail_smtp_user = xstrdup("");
	c->mail_smtp_password_file = xstrdup("");
	c->mail_smtp_tls = xstrdup("try");
	c->boards_posts_per_minute = 6;
	c->boards_burst = 10;
	c->boards_unanswered_days = 2;
	c->boards_allowed_domains = xstrdup("");
	c->tls_cert = xstrdup("");
	c->tls_key = xstrdup("");
	c->retention_screening_years = 2;
}

void config_free(struct config *c)
{
	free(c->listen_addr);
	free(c->data_dir);
	free(c->web_root);
	free(c->metrics_token_file);
	free(c->trusted_proxies);
	free(c->origins);
	free(c->synchronous);
	free(c->log_level);
	free(c->crisis_phrases);
	free(c->profanity);
	free(c->crisis_text);
	free(c->mail_smtp_url);
	free(c->mail_from);
	free(c->mail_smtp_user);
	free(c->mail_smtp_password_file);
	free(c->mail_smtp_tls);
	free(c->boards_allowed_domains);
	free(c->tls_cert);
	free(c->tls_key);
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
	case K_OPTSTR:
		break;
	case K_STR:
		if (!*v && strcmp(k->name, "origins") && strcmp(k->name, "crisis_phrases") &&
		    strcmp(k->name, "profanity")) {
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

/* Each entry of [server] trusted_proxies must be a numeric IPv4 or IPv6 address. */
static int proxies_check(const char *list, char *err, size_t errlen)
{
	char **items = strlist_split(list, CONFIG_PROXIES_MAX + 1);
	int n = 0, rc = 0;

	for (char **p = items; *p; p++) {
		const char *t = *p;

		if (++n > CONFIG_PROXIES_MAX) {
			snprintf(err, errlen, "[server] trusted_proxies: at most %d addresses",
				 CONFIG_PROXIES_MAX);
			rc = -1;
			break;
		}
		if (!ip_is_numeric(t)) {
			snprintf(err, errlen, "[server] trusted_proxies: %.64s is not an IP address", t);
			rc = -1;
			break;
		}
	}
	strlist_free(items);
	return rc;
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
	if (c->mail_smtp_url[0] && strncmp(c->mail_smtp_url, "smtp://", 7) &&
	    strncmp(c->mail_smtp_url, "smtps://", 8)) {
		snprintf(err, errlen, "[mail] smtp_url must start with smtp:// or smtps://");
		return -1;
	}
	if (strcmp(c->mail_smtp_tls, "try") && strcmp(c->mail_smtp_tls, "require")) {
		snprintf(err, errlen, "[mail] smtp_tls must be try or require");
		return -1;
	}
	if (!c->tls_cert[0] != !c->tls_key[0]) {
		snprintf(err, errlen, "[tls] cert and key must be given together");
		return -1;
	}
	if (c->tls_self_signed && c->tls_cert[0]) {
		snprintf(err, errlen, "[tls] self_signed cannot be used with cert and key");
		return -1;
	}
	if (c->mail_smtp_password_file[0] && !c->mail_smtp_user[0]) {
		snprintf(err, errlen, "[mail] smtp_password_file needs smtp_user");
		return -1;
	}
	if (proxies_check(c->trusted_proxies, err, errlen))
		return -1;
	return 0;
}

/* A key's value in c as text, long strings shortened (for the help). */
static void value_text(const struct config *c, const struct key *k, char *out, size_t n)
{
	const char *base = (const char *)c, *s;

	switch (k->type) {
	case K_LISTEN:
		snprintf(out, n, "%s:%d", c->listen_addr, c->listen_port);
		return;
	case K_INT:
		if (k->off == OFF(max_body))
			snprintf(out, n, "%lld", (long long)*(const int64_t *)(base + k->off));
		else
			snprintf(out, n, "%d", *(const int *)(base + k->off));
		return;
	case K_BOOL:
		snprintf(out, n, "%s", *(const int *)(base + k->off) ? "true" : "false");
		return;
	default:
		s = *(char *const *)(base + k->off);
		if (!s || !*s)
			snprintf(out, n, "%s", "");
		else if (strlen(s) > 28)
			snprintf(out, n, "\"%.24s…\"", s);
		else
			snprintf(out, n, "%s", s);
	}
}

void config_print_help(FILE *out)
{
	struct config d;
	char name[64], def[64], left[128];
	const char *section = "";

	config_defaults(&d);
	fprintf(out, "Settings, by section of the INI file: key = default value, the flag that\n"
		     "overrides it, and what it is for.\n");
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		if (strcmp(section, keys[i].section)) {
			section = keys[i].section;
			fprintf(out, "[%s]\n", section);
		}
		flag_name(&keys[i], name, sizeof name);
		value_text(&d, &keys[i], def, sizeof def);
		snprintf(left, sizeof left, "%s =%s%s", keys[i].name, def[0] ? " " : "", def);
		fprintf(out, "  %-40s --%s\n      %s\n", left, name, keys[i].help);
	}
	config_free(&d);
}
