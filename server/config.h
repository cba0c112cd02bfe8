/*
 * config.h — the server's settings: defaults, the INI file (inih), and
 * command-line flags, from one table so that every key has a flag.
 *
 * Precedence: defaults < file < flags. A key in section [server] has the
 * flag --KEY (e.g. --listen); any other has --SECTION-KEY with '_' written
 * as '-' (e.g. [store] batch_max is --store-batch-max). `hearth serve
 * --help` prints the table.
 *
 * A bad file or value is reported as "FILE:LINE: [section] key: why" and
 * the caller exits with status 2.
 */
#ifndef HEARTH_CONFIG_H
#define HEARTH_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#define CONFIG_PROXIES_MAX 16 /* [server] trusted_proxies entries at most */

struct config {
	/* [server] */
	char *listen_addr; /* "127.0.0.1" */
	int listen_port;   /* 8080; 0 picks a free port (logged at start) */
	char *data_dir;    /* "./var" */
	char *web_root;    /* static files for / */
	char *origins;     /* comma list; empty: derived from listen */
	char *metrics_token_file; /* "": /metrics for loopback clients only */
	char *trusted_proxies;    /* comma list of proxy addresses; "": none */
	int64_t max_body;  /* bytes of a request body */
	int max_conns_per_ip;
	int testing;       /* enables test-only controls (clock) */
	int demo;          /* seed demo data at start */
	/* [store] */
	char *synchronous; /* FULL or NORMAL */
	int batch_max;     /* jobs per transaction at most */
	int queue_max;     /* queued jobs before callers get "overloaded" */
	/* [log] */
	char *log_level;
	/* [accounts] */
	int idle_timeout_min;   /* a session unused this long ends (not "remember me") */
	int session_hours;      /* absolute lifetime of a session */
	int remember_days;      /* lifetime of a "remember me" session */
	int max_failures;       /* failed log-ins per account or address before 429 */
	int failure_window_min; /* …within this window */
	int hash_concurrency;   /* password hashes running at once */
	int scrypt_ln;          /* log2(N) for new password hashes (17; lower only with --testing) */
	/* [groups] */
	int groups_offer_hours;    /* a seat offer from the waitlist stays open this long */
	int groups_reminder_hours; /* session reminders go out this long before the start */
	/* [live] */
	int rate_burst;        /* say/dm tokens at most */
	int rate_per_min;      /* tokens refilled per minute */
	int away_grace_s;      /* a dropped connection shows "away" this long before "left" */
	int idle_min;          /* no activity this long shows "idle" */
	int keepalive_s;       /* silence before a WebSocket ping; twice this: hung up */
	int ring_frames;       /* frames a room keeps for slow readers */
	int checkin_drop;      /* a fall this big between check-ins raises an alert */
	char *crisis_phrases;  /* comma/newline list; empty: the built-in list */
	char *profanity;       /* comma/newline list; empty: the built-in list */
	char *crisis_text;     /* the crisis resources card */
	/* [backup] */
	int backup_keep;           /* scheduled backups kept in DATA/backups */
	int backup_interval_hours; /* between scheduled backups; 0: none */
	/* [mail] */
	char *mail_smtp_url;           /* "" (default): spool .eml files to DATA/mail */
	char *mail_from;               /* "Hearth <no-reply@localhost>" */
	char *mail_smtp_user;          /* "": no SMTP log-in */
	char *mail_smtp_password_file; /* "": no password */
	char *mail_smtp_tls;           /* "try" or "require" */
	/* [boards] */
	int boards_posts_per_minute; /* board posts refilled per minute (token bucket) */
	int boards_burst;            /* board posts one person may make at once */
	int boards_unanswered_days;  /* a topic with no reply this long shows on the dashboard */
	char *boards_allowed_domains; /* comma/newline list; empty: the built-in list */
	/* [tls] */
	char *tls_cert;      /* PEM certificate (chain) file; "" with tls_key "": no TLS */
	char *tls_key;       /* PEM private key file */
	int tls_self_signed; /* make and use DATA/tls/ (development only) */
	/* [retention] */
	int retention_screening_years; /* GP details, screening answers, notes kept this long */
};

/* Fill c with defaults. */
void config_defaults(struct config *c);

/*
 * Load an INI file over the current values. 0 on success; on failure
 * writes one line to err ("FILE:LINE: ...") and returns -1.
 */
int config_load_file(struct config *c, const char *path, char *err, size_t errlen);

/*
 * Apply one flag ("listen", "store-batch-max", …) with its value.
 * 1 if the flag is a config key and was applied, 0 if it is not a config
 * key, -1 with err filled if the value is bad.
 */
int config_apply_flag(struct config *c, const char *flag, const char *value, char *err,
		      size_t errlen);

/* 1 when flag names a yes/no key, which may be given without a value (--testing). */
int config_flag_is_switch(const char *flag);

/* Checks that need several keys at once; 0 or -1 with err. */
int config_check(const struct config *c, char *err, size_t errlen);

/* Print every key with its flag, default and meaning. */
void config_print_help(FILE *out);

void config_free(struct config *c);

#endif
