/*
 * transcripts_cli.c — transcripts from the command line, on the data folder
 * directly (safe while the server runs):
 *
 *   hearth export transcript SESSION_ID [--format json|md|html|txt] [--out FILE]
 *       one transcript, checked against its seal, to standard output or FILE
 *   hearth export research --out FILE [--group ID] [--since YYYY-MM-DD]
 *       JSON Lines of anonymised transcripts (transcripts/FORMAT.md)
 *   hearth verify transcripts
 *       recompute every seal: exit 0 "N transcripts intact", or 1 naming
 *       each transcript that does not verify
 *
 * Both exports are audit-logged (the operator of the machine is the actor:
 * AUDIT_SYSTEM). Files are written with mode 0600 under a temporary name and
 * renamed into place, so a failed export leaves no partial file behind.
 * `verify` is one command with ops_cli.c: this file takes `verify
 * transcripts` and hands every other `verify` to ops_cli_verify().
 */
#include "transcripts_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "ops_cli.h"
#include "store.h"
#include "transcripts_store.h"
#include "tx.h"
#include "util.h"

/* ---- files ---------------------------------------------------------------- */

/* An output file being written as PATH.tmp, then renamed to PATH. */
struct outfile {
	const char *path; /* NULL: standard output */
	char *tmp;
	int fd;
};

static int out_open(struct outfile *o, const char *path)
{
	o->path = path;
	o->tmp = NULL;
	o->fd = 1;
	if (!path)
		return 0;
	o->tmp = xasprintf("%s.tmp", path);
	o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (o->fd < 0) {
		fprintf(stderr, "hearth: cannot write %s: %s\n", o->tmp, strerror(errno));
		free(o->tmp);
		return -1;
	}
	return 0;
}

/* Finish (ok) or abandon the file. 0, or -1 after saying why. */
static int out_close(struct outfile *o, int ok)
{
	int rc = 0;

	if (!o->path)
		return ok ? 0 : -1;
	if (ok && fsync(o->fd)) {
		fprintf(stderr, "hearth: cannot write %s: %s\n", o->tmp, strerror(errno));
		ok = 0;
	}
	close(o->fd);
	if (ok && rename(o->tmp, o->path)) {
		fprintf(stderr, "hearth: cannot create %s: %s\n", o->path, strerror(errno));
		ok = 0;
	}
	if (!ok) {
		unlink(o->tmp);
		rc = -1;
	}
	free(o->tmp);
	return rc;
}

static int out_write(struct outfile *o, const char *p, size_t n)
{
	if (write_all(o->fd, p, n) == 0)
		return 0;
	fprintf(stderr, "hearth: cannot write %s: %s\n", o->path ? o->tmp : "standard output",
		strerror(errno));
	return -1;
}

/* ---- export transcript -------------------------------------------------------- */

struct one {
	int64_t session_id;
	int format;
	struct trs_row row;
};

static int one_fn(struct store_tx *tx, void *arg)
{
	struct one *o = arg;
	char detail[64];
	int rc = trs_load(tx, o->session_id, &o->row);

	if (rc)
		return rc;
	snprintf(detail, sizeof detail, "{\"format\":\"%s\",\"via\":\"cli\"}",
		 tx_format_ext((enum tx_format)o->format));
	return audit_append(tx, AUDIT_SYSTEM, "transcript_export", "transcript", o->session_id,
			    detail);
}

/* Render o's row into *out (malloc'd). 0 or -1 after saying why. */
static int render_one(struct one *o, char **out, size_t *len)
{
	struct tx_transcript *t = NULL;
	int err;

	if (tx_verify(o->row.canon, o->row.len, o->row.seal)) {
		fprintf(stderr,
			"hearth: the transcript of session %lld does not match its seal; "
			"see hearth verify transcripts\n",
			(long long)o->session_id);
		return -1;
	}
	if (o->format == TX_JSON) {
		*out = o->row.canon;
		*len = o->row.len;
		o->row.canon = NULL;
		return 0;
	}
	err = tx_from_json(o->row.canon, o->row.len, &t);
	if (!err)
		err = tx_write(t, (enum tx_format)o->format, out, len);
	tx_transcript_free(t);
	if (err)
		fprintf(stderr, "hearth: cannot render the transcript: %s\n", tx_strerror(err));
	return err ? -1 : 0;
}

static int export_transcript(struct config *cfg, const char *id, const char *format,
			     const char *path)
{
	struct one o = {0};
	struct outfile f;
	struct store *st;
	char *text = NULL;
	size_t len = 0;
	int rc;

	o.format = format ? tx_format_parse(format) : TX_JSON;
	if (parse_int64(id, 1, INT64_MAX / 2, &o.session_id) || o.format < 0) {
		fprintf(stderr, "usage: hearth export transcript SESSION_ID "
				"[--format json|md|html|txt] [--out FILE]\n");
		return CLI_USAGE;
	}
	st = cli_open_existing_store(cfg);
	if (!st)
		return CLI_FAIL;
	rc = store_run(st, one_fn, &o);
	store_free(st);
	if (rc == STORE_ENOTFOUND) {
		fprintf(stderr,
			"hearth: session %lld has no sealed transcript (no such session, "
			"or it has not closed)\n",
			(long long)o.session_id);
		return CLI_FAIL;
	}
	if (rc) {
		fprintf(stderr, "hearth: cannot read the transcript: %s\n", store_strerror(rc));
		return CLI_FAIL;
	}
	rc = render_one(&o, &text, &len);
	trs_row_free(&o.row);
	if (rc == 0 && out_open(&f, path) == 0)
		rc = out_close(&f, out_write(&f, text, len) == 0);
	else
		rc = -1;
	free(text);
	return rc ? CLI_FAIL : CLI_OK;
}

/* ---- export research ------------------------------------------------------------ */

/* One per research export; its pages are read in store jobs, written between them. */
struct research {
	struct trs_page page;
	struct tx_pseudonyms *ps;
	struct buf lines; /* this page's lines */
	int64_t written;  /* lines written */
	int64_t empty;	  /* transcripts without words of a consenting author */
	int64_t damaged;  /* transcripts not matching their seal, left out */
};

static int research_one(struct store_tx *tx, struct research *r, const struct trs_row *row)
{
	struct tx_transcript *t = NULL;
	char **names = NULL, *line = NULL;
	size_t len;
	int rc, err;

	if (tx_verify(row->canon, row->len, row->seal) || tx_from_json(row->canon, row->len, &t)) {
		r->damaged++; /* verify transcripts names it; nothing unsealed leaves */
		return 0;
	}
	rc = trs_fill_contacts(tx, t);
	if (!rc)
		rc = trs_group_names(tx, row->group_id, &names);
	if (!rc) {
		struct tx_research_opts opts = {r->ps, (const char *const *)names};

		err = tx_research_line(t, &opts, &line, &len);
		if (err == TX_EEMPTY) {
			r->empty++;
		} else if (err) {
			fprintf(stderr, "hearth: session %lld: %s\n", (long long)row->session_id,
				tx_strerror(err));
			rc = STORE_EIO;
		} else {
			buf_append(&r->lines, line, len);
			r->written++;
		}
	}
	free(line);
	trs_names_free(names);
	tx_transcript_free(t);
	return rc;
}

static int research_page_fn(struct store_tx *tx, void *arg)
{
	struct research *r = arg;
	int rc = trs_page(tx, &r->page);

	for (size_t i = 0; rc == 0 && i < r->page.n; i++)
		rc = research_one(tx, r, &r->page.rows[i]);
	return rc;
}

struct research_audit {
	const struct research *r;
	int64_t group;
	const char *since;
};

static int research_audit_fn(struct store_tx *tx, void *arg)
{
	struct research_audit *a = arg;
	char detail[192];

	snprintf(detail, sizeof detail,
		 "{\"lines\":%lld,\"skipped_no_consent\":%lld,\"skipped_damaged\":%lld,"
		 "\"group\":%lld,\"since\":\"%s\"}",
		 (long long)a->r->written, (long long)a->r->empty, (long long)a->r->damaged,
		 (long long)a->group, a->since);
	return audit_append(tx, AUDIT_SYSTEM, "research_export", NULL, 0, detail);
}

/* Strict "YYYY-MM-DD" (the shape only: it is compared with stored local dates). */
static int date_ok(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

static int run_research(struct store *st, struct research *r, struct outfile *f)
{
	int rc;

	do {
		buf_reset(&r->lines);
		rc = store_run(st, research_page_fn, r);
		if (rc) {
			fprintf(stderr, "hearth: cannot read transcripts: %s\n",
				store_strerror(rc));
			return -1;
		}
		if (r->lines.len && out_write(f, r->lines.data, r->lines.len))
			return -1;
	} while (r->page.n == TRS_PAGE);
	return 0;
}

static int export_research(struct config *cfg, const char *path, const char *group,
			   const char *since)
{
	struct research r = {0};
	struct research_audit a = {&r, 0, since ? since : ""};
	struct outfile f;
	struct store *st;
	int rc;

	if (!path || (group && parse_int64(group, 1, INT64_MAX / 2, &a.group)) ||
	    (since && !date_ok(since))) {
		fprintf(stderr, "usage: hearth export research --out FILE [--group ID] "
				"[--since YYYY-MM-DD]\n");
		return CLI_USAGE;
	}
	st = cli_open_existing_store(cfg);
	if (!st)
		return CLI_FAIL;
	if (out_open(&f, path)) {
		store_free(st);
		return CLI_FAIL;
	}
	r.page.group_id = a.group;
	snprintf(r.page.since, sizeof r.page.since, "%s", a.since);
	r.ps = tx_pseudonyms_new();
	buf_init(&r.lines, 0);
	rc = r.ps ? run_research(st, &r, &f) : -1;
	if (rc == 0 && store_run(st, research_audit_fn, &a)) {
		fprintf(stderr, "hearth: cannot write the audit log; nothing exported\n");
		rc = -1;
	}
	rc = out_close(&f, rc == 0) ? -1 : rc;
	trs_page_free(&r.page);
	tx_pseudonyms_free(r.ps);
	buf_free(&r.lines);
	store_free(st);
	if (rc)
		return CLI_FAIL;
	printf("%lld transcripts exported to %s", (long long)r.written, path);
	if (r.empty)
		printf("; %lld without words of a consenting member left out", (long long)r.empty);
	if (r.damaged)
		printf("; %lld not matching their seal left out (see hearth verify transcripts)",
		       (long long)r.damaged);
	printf("\n");
	return CLI_OK;
}

int trs_cli_export(int argc, char **argv)
{
	static const char *const own[] = {"format", "out", "group", "since", NULL};
	const char *vals[4], *pos[2];
	struct config cfg;
	int npos, rc;

	config_defaults(&cfg);
	rc = cli_parse(argc, argv, 2, &cfg, pos, &npos, 2, own, vals);
	if (rc) {
		config_free(&cfg);
		return rc;
	}
	if (npos == 2 && !strcmp(pos[0], "transcript") && !vals[2] && !vals[3]) {
		rc = export_transcript(&cfg, pos[1], vals[0], vals[1]);
	} else if (npos == 1 && !strcmp(pos[0], "research") && !vals[0]) {
		rc = export_research(&cfg, vals[1], vals[2], vals[3]);
	} else {
		fprintf(stderr, "usage: hearth export transcript SESSION_ID [--format "
				"json|md|html|txt] [--out FILE]\n"
				"       hearth export research --out FILE [--group ID] "
				"[--since YYYY-MM-DD]\n");
		rc = CLI_USAGE;
	}
	config_free(&cfg);
	return rc;
}

/* ---- verify transcripts ------------------------------------------------------------ */

struct verify {
	int64_t total, bad;
};

static void print_bad(int64_t session_id, const char *why, void *arg)
{
	(void)arg;
	printf("transcript of session %lld FAILED: %s\n", (long long)session_id, why);
}

static int verify_fn(struct store_tx *tx, void *arg)
{
	struct verify *v = arg;

	return trs_verify_all(tx, print_bad, NULL, &v->total, &v->bad);
}

int trs_cli_verify(int argc, char **argv)
{
	struct config cfg;
	struct verify v = {0};
	struct store *st;
	const char *pos[1];
	int npos, rc;

	config_defaults(&cfg);
	rc = cli_parse(argc, argv, 2, &cfg, pos, &npos, 1, NULL, NULL);
	if (rc) {
		config_free(&cfg);
		return rc;
	}
	if (npos != 1 || strcmp(pos[0], "transcripts")) {
		config_free(&cfg);
		return ops_cli_verify(argc, argv);
	}
	st = cli_open_existing_store(&cfg);
	config_free(&cfg);
	if (!st)
		return CLI_FAIL;
	rc = store_run_read(st, verify_fn, &v);
	store_free(st);
	fflush(stdout);
	if (rc) {
		fprintf(stderr, "hearth: cannot read the transcripts: %s\n", store_strerror(rc));
		return CLI_FAIL;
	}
	if (v.bad) {
		printf("%lld of %lld transcripts do not verify\n", (long long)v.bad,
		       (long long)v.total);
		return CLI_FAIL;
	}
	printf("%lld transcripts intact\n", (long long)v.total);
	return CLI_OK;
}
