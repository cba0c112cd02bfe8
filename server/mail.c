/*
 * mail.c — the outbox and its sender (see mail.h): enqueueing inside a
 * caller's job, the 1 Hz pick → send → record cycle, SMTP over libcurl,
 * the .eml spool, the erasure hook and the test-only enqueue route.
 *
 * Threads: the state in `M` belongs to the loop thread, except the fields
 * set once in mail_init (from, spool folder, password) that the pool
 * thread reads while a batch is sent, and `abort`, which the loop sets and
 * the pool thread polls. A batch is handed along
 *   loop → store thread (pick) → loop → pool thread (send) → loop →
 *   store thread (mark) → loop
 * and each stage touches it only while it holds it.
 */
#include "mail.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "clock.h"
#include "crypto.h"
#include "http.h"
#include "log.h"
#include "mail_msg.h"
#include "server.h"
#include "util.h"

#define PICK_MAX 20
#define PURGE_EVERY_MS (3600LL * 1000)
#define PASSWORD_MAX 1024
#define ERR_MAX 96

/* One row being delivered. Strings owned. */
struct item {
	int64_t id;
	int64_t created_at;
	int attempts; /* including this one */
	char *to, *kind, *subject, *body;
	int rc;		   /* MAIL_OK or a mail_err, set by the pool thread */
	int permanent;	   /* the row cannot ever be sent (bad address or text) */
	char err[ERR_MAX]; /* for last_error: a code and a reason, never an address */
};

/* One per pick; see the hand-over at the top of the file. */
struct batch {
	struct item items[PICK_MAX];
	int n;
	int64_t now;   /* pick time */
	int purge;     /* also delete finished rows past MAIL_KEEP_DONE_MS */
	int64_t depth; /* rows still pending after the pick */
	int dropped;   /* rows whose recipient was erased */
	uv_work_t work;
};

/* The sender: one per process. */
static struct {
	struct server *srv;
	int inited, curl_inited;
	int busy;	  /* a batch is being picked, sent or recorded */
	int stopping;	  /* shutdown has begun */
	atomic_int abort; /* pool thread reads: cut the batch short */
	int smtp;	  /* 1: SMTP, 0: spool */
	char from_name[MAIL_NAME_MAX + 1];
	char from_addr[MAIL_ADDR_MAX + 1];
	char *spool_dir; /* DATA/mail (spool mode) */
	char *password;	 /* SMTP password or NULL; wiped at free */
	int64_t last_purge;
} M;

/* ---- enqueue ------------------------------------------------------------ */

int mail_enqueue(struct store_tx *tx, int64_t user_id, const char *kind, const char *subject,
		 const char *body_text)
{
	sqlite3_stmt *st;
	int64_t now = clock_now_ms();
	size_t slen = subject ? strlen(subject) : 0, blen = body_text ? strlen(body_text) : 0;
	int rc;

	if (user_id <= 0 || !mail_kind_valid(kind) || slen == 0 || slen > MAIL_SUBJECT_MAX ||
	    !utf8_valid(subject, slen) || !body_text || blen > MAIL_BODY_MAX ||
	    !utf8_valid(body_text, blen)) {
		log_warn("mail_refused", "kind=%s user=%lld",
			 kind && mail_kind_valid(kind) ? kind : "?", (long long)user_id);
		return STORE_EINVAL;
	}
	st = store_stmt(tx, "INSERT INTO mail_outbox (user_id, kind, subject, body, created_at,"
			    " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, subject, (int)slen, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, body_text, (int)blen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, now);
	rc = store_check(tx, sqlite3_step(st), "mail_enqueue");
	sqlite3_reset(st);
	return rc;
}

/* Erasure: the user's queued and past mails go with their other personal data. */
static int on_erase(struct store_tx *tx, int64_t user_id)
{
	sqlite3_stmt *st = store_stmt(tx, "DELETE FROM mail_outbox WHERE user_id = ?");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	rc = store_check(tx, sqlite3_step(st), "mail_erase");
	sqlite3_reset(st);
	return rc;
}

/* ---- batch life ----------------------------------------------------------- */

static void batch_free(struct batch *b)
{
	for (int i = 0; i < b->n; i++) {
		free(b->items[i].to);
		free(b->items[i].kind);
		free(b->items[i].subject);
		free(b->items[i].body);
	}
	free(b);
}

/* The batch is over (recorded, empty, or abandoned at shutdown). */
static void batch_end(struct batch *b)
{
	batch_free(b);
	M.busy = 0;
}

static int exec_id(struct store_tx *tx, const char *sql, int64_t id, const char *what)
{
	sqlite3_stmt *st = store_stmt(tx, sql);
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = store_check(tx, sqlite3_step(st), what);
	sqlite3_reset(st);
	return rc;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return xstrdup(s ? s : "");
}

/*
 * Store thread: read the due rows with their recipient's current address,
 * drop those whose recipient is gone, and count an attempt on the others
 * before anything is sent — so a mail that crashes the process cannot be
 * retried forever.
 */
static int pick_fn(struct store_tx *tx, void *arg)
{
	struct batch *b = arg;
	int64_t drop[PICK_MAX];
	int ndrop = 0, rc = 0;
	sqlite3_stmt *st;

	if (b->purge && (rc = mail_purge_done(tx, b->now, NULL)))
		return rc;
	st = store_stmt(tx, "SELECT o.id, o.attempts, o.created_at, o.kind, o.subject, o.body,"
			    " u.email, u.erased_at IS NOT NULL FROM mail_outbox o"
			    " LEFT JOIN users u ON u.id = o.user_id"
			    " WHERE o.next_attempt_at IS NOT NULL AND o.next_attempt_at <= ?"
			    " AND o.sent_at IS NULL ORDER BY o.next_attempt_at, o.id LIMIT ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, b->now);
	sqlite3_bind_int(st, 2, PICK_MAX);
	while (b->n + ndrop < PICK_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct item *it = &b->items[b->n];

		if (sqlite3_column_type(st, 6) == SQLITE_NULL || sqlite3_column_int(st, 7)) {
			drop[ndrop++] = sqlite3_column_int64(st, 0);
			continue;
		}
		it->id = sqlite3_column_int64(st, 0);
		it->attempts = sqlite3_column_int(st, 1) + 1;
		it->created_at = sqlite3_column_int64(st, 2);
		it->kind = col_dup(st, 3);
		it->subject = col_dup(st, 4);
		it->body = col_dup(st, 5);
		it->to = col_dup(st, 6);
		b->n++;
	}
	rc = store_check(tx, rc, "mail_pick");
	sqlite3_reset(st);
	for (int i = 0; rc == 0 && i < ndrop; i++)
		rc = exec_id(
		    tx,
		    "UPDATE mail_outbox SET next_attempt_at = NULL, subject = '', body = '',"
		    " last_error = 'recipient erased' WHERE id = ?",
		    drop[i], "mail_drop");
	for (int i = 0; rc == 0 && i < b->n; i++)
		rc = exec_id(tx, "UPDATE mail_outbox SET attempts = attempts + 1 WHERE id = ?",
			     b->items[i].id, "mail_claim");
	b->dropped = ndrop;
	if (rc)
		return rc;
	st = store_stmt(tx, "SELECT count(*) FROM mail_outbox WHERE next_attempt_at IS NOT NULL");
	if (!st)
		return STORE_EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		b->depth = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

/* Store thread: record each row's outcome. */
static int mark_fn(struct store_tx *tx, void *arg)
{
	struct batch *b = arg;
	int64_t now = clock_now_ms();
	int rc = 0;

	for (int i = 0; rc == 0 && i < b->n; i++) {
		struct item *it = &b->items[i];
		int64_t wait = it->permanent ? -1 : mail_backoff_ms(it->attempts);
		sqlite3_stmt *st;

		if (it->rc == MAIL_OK) {
			st = store_stmt(tx,
					"UPDATE mail_outbox SET sent_at = ?2,"
					" next_attempt_at = NULL, last_error = NULL WHERE id = ?1");
			if (!st)
				return STORE_EIO;
			sqlite3_bind_int64(st, 2, now);
		} else {
			/* NULL next_attempt_at (wait < 0, left unbound) gives the row up */
			st = store_stmt(tx, "UPDATE mail_outbox SET next_attempt_at = ?2,"
					    " last_error = ?3 WHERE id = ?1");
			if (!st)
				return STORE_EIO;
			if (wait >= 0)
				sqlite3_bind_int64(st, 2, now + wait);
			sqlite3_bind_text(st, 3, it->err, -1, SQLITE_STATIC);
		}
		sqlite3_bind_int64(st, 1, it->id);
		rc = store_check(tx, sqlite3_step(st), "mail_mark");
		sqlite3_reset(st);
	}
	return rc;
}

/* ---- delivery (pool thread) ------------------------------------------------ */

struct upload {
	const char *p;
	size_t left;
};

static size_t upload_read(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb < u->left ? size * nmemb : u->left;

	memcpy(dst, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* Called by curl about once a second and on progress: a nonzero answer aborts. */
static int upload_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)arg;
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return atomic_load(&M.abort);
}

/* One easy handle per batch, so the batch shares one SMTP connection. */
static CURL *smtp_open(const struct config *cfg)
{
	CURL *c = curl_easy_init();
	char from[MAIL_ADDR_MAX + 3];

	if (!c)
		return NULL;
	snprintf(from, sizeof from, "<%s>", M.from_addr);
	curl_easy_setopt(c, CURLOPT_URL, cfg->mail_smtp_url);
	/* a mistyped URL must not turn into file:// or http:// */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* we are not the main thread */
	curl_easy_setopt(c, CURLOPT_USE_SSL,
			 strcmp(cfg->mail_smtp_tls, "require") ? (long)CURLUSESSL_TRY
							       : (long)CURLUSESSL_ALL);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (cfg->mail_smtp_user[0])
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->mail_smtp_user);
	if (M.password)
		curl_easy_setopt(c, CURLOPT_PASSWORD, M.password);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, upload_progress);
	return c;
}

/* Failures that say the server itself is unreachable or refuses us, not this one mail. */
static int smtp_unreachable(CURLcode cc)
{
	return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
	       cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_SSL_CONNECT_ERROR ||
	       cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_USE_SSL_FAILED ||
	       cc == CURLE_LOGIN_DENIED || cc == CURLE_ABORTED_BY_CALLBACK;
}

/*
 * Send one message. Only curl's own description and the SMTP reply code go
 * into err: the server's reply text often quotes the recipient's address.
 */
static CURLcode smtp_send(CURL *c, struct item *it, const struct buf *msg)
{
	struct upload up = {msg->data, msg->len};
	struct curl_slist *rcpt;
	char to[MAIL_ADDR_MAX + 3];
	long code = 0;
	CURLcode cc;

	snprintf(to, sizeof to, "<%s>", it->to);
	rcpt = curl_slist_append(NULL, to);
	if (!rcpt) {
		snprintf(it->err, sizeof it->err, "smtp: out of memory");
		return CURLE_OUT_OF_MEMORY;
	}
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code)
			snprintf(it->err, sizeof it->err, "smtp %ld: %s", code,
				 curl_easy_strerror(cc));
		else
			snprintf(it->err, sizeof it->err, "smtp: %s", curl_easy_strerror(cc));
	}
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	return cc;
}

/* Durably write the message as DATA/mail/<UTC time>-<id>.eml; 0 or MAIL_EIO with err. */
static int spool_write(struct item *it, const struct buf *msg, int64_t now)
{
	char tmp[4096], fin[4096], stamp[32], ebuf[64];
	time_t t = (time_t)(now / 1000);
	struct tm tm;
	const char *step = "open";
	int fd, dfd, e;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	/* a dot name: readers of the folder look for *.eml and never see a half file */
	snprintf(tmp, sizeof tmp, "%s/.%lld.tmp", M.spool_dir, (long long)it->id);
	snprintf(fin, sizeof fin, "%s/%s-%lld.eml", M.spool_dir, stamp, (long long)it->id);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		goto fail;
	step = "write";
	if (write_all(fd, msg->data, msg->len))
		goto fail_close;
	step = "fsync";
	if (fsync(fd))
		goto fail_close;
	if (close(fd)) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	step = "rename";
	if (rename(tmp, fin))
		goto fail;
	/* the rename itself is durable only once the folder is synced */
	dfd = open(M.spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail_close:
	e = errno;
	close(fd);
	errno = e;
fail:
	e = errno;
	unlink(tmp);
	snprintf(it->err, sizeof it->err, "spool %s: %s", step, strerror_r(e, ebuf, sizeof ebuf));
	return MAIL_EIO;
}

/* Build one row's message into msg; 0, or an error recorded in it (never retried). */
static int build(struct item *it, struct buf *msg, int64_t now)
{
	char msgid[96];
	struct mail_msg m;
	int rc;

	/* the same id on every attempt, so a receiver can spot a duplicate */
	snprintf(msgid, sizeof msgid, "hearth.%lld.%lld", (long long)it->id,
		 (long long)it->created_at);
	m.from_name = M.from_name;
	m.from_addr = M.from_addr;
	m.to = it->to;
	m.subject = it->subject;
	m.body = it->body;
	m.kind = it->kind;
	m.msgid = msgid;
	m.date_ms = now;
	rc = mail_msg_build(&m, msg);
	if (rc) {
		it->permanent = 1;
		snprintf(it->err, sizeof it->err, "%s", mail_strerror(rc));
	}
	return rc;
}

static void work_cb(uv_work_t *w)
{
	struct batch *b = w->data;
	const struct config *cfg = &M.srv->cfg;
	CURL *c = NULL;
	CURLcode down = CURLE_OK; /* set once the server proved unreachable */
	char down_err[ERR_MAX] = "";
	struct buf msg;

	buf_init(&msg, 0);
	if (M.smtp && !(c = smtp_open(cfg))) {
		snprintf(down_err, sizeof down_err, "smtp: cannot start curl");
		down = CURLE_FAILED_INIT;
	}
	for (int i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		int64_t now = clock_now_ms();

		if (atomic_load(&M.abort)) {
			it->rc = MAIL_ESEND;
			snprintf(it->err, sizeof it->err, "interrupted by shutdown");
			continue;
		}
		buf_reset(&msg);
		if ((it->rc = build(it, &msg, now)))
			continue;
		if (!M.smtp) {
			it->rc = spool_write(it, &msg, now);
			continue;
		}
		it->rc = MAIL_ESEND;
		if (down != CURLE_OK) {
			/* do not wait out the same time-out for every row of the batch */
			snprintf(it->err, sizeof it->err, "%s", down_err);
			continue;
		}
		down = smtp_send(c, it, &msg);
		if (down == CURLE_OK)
			it->rc = MAIL_OK;
		else if (smtp_unreachable(down))
			snprintf(down_err, sizeof down_err, "%s", it->err);
		else
			down = CURLE_OK; /* this mail only: go on with the next */
	}
	if (c)
		curl_easy_cleanup(c);
	buf_free(&msg);
}

/* ---- the cycle (loop thread) ---------------------------------------------- */

static void mark_done(int rc, void *arg)
{
	struct batch *b = arg;
	struct metrics *mt = &M.srv->metrics;

	if (rc) {
		/* nothing recorded: the rows are picked again (their attempt already counted) */
		log_error("mail_mark_failed", "rows=%d rc=%d", b->n, rc);
		batch_end(b);
		return;
	}
	for (int i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];

		if (it->rc == MAIL_OK) {
			mt->mail_sent++;
			mt->mail_queue_depth--;
			log_info("mail_sent", "id=%lld kind=%s attempt=%d via=%s",
				 (long long)it->id, it->kind, it->attempts,
				 M.smtp ? "smtp" : "spool");
			continue;
		}
		mt->mail_failed++;
		if (it->permanent || mail_backoff_ms(it->attempts) < 0) {
			mt->mail_gave_up++;
			mt->mail_queue_depth--;
			log_error("mail_gave_up", "id=%lld kind=%s attempt=%d error=\"%s\"",
				  (long long)it->id, it->kind, it->attempts, it->err);
		} else {
			log_warn("mail_failed", "id=%lld kind=%s attempt=%d error=\"%s\"",
				 (long long)it->id, it->kind, it->attempts, it->err);
		}
	}
	if (mt->mail_queue_depth < 0)
		mt->mail_queue_depth = 0;
	batch_end(b);
}

static void after_work(uv_work_t *w, int status)
{
	struct batch *b = w->data;

	(void)status; /* never cancelled: work_cb has run */
	/* at shutdown the store refuses: what was not recorded is retried at the next start */
	if (store_submit(M.srv->store, mark_fn, mark_done, b))
		batch_end(b);
}

static void pick_done(int rc, void *arg)
{
	struct batch *b = arg;
	struct metrics *mt = &M.srv->metrics;

	if (rc) {
		log_error("mail_pick_failed", "rc=%d", rc);
		batch_end(b);
		return;
	}
	mt->mail_queue_depth = b->depth;
	mt->mail_dropped += (uint64_t)b->dropped;
	if (b->dropped)
		log_info("mail_dropped", "rows=%d reason=recipient_erased", b->dropped);
	if (b->n == 0 || M.stopping) {
		batch_end(b);
		return;
	}
	b->work.data = b;
	if (uv_queue_work(&M.srv->loop, &b->work, work_cb, after_work)) {
		log_error("mail_queue_work_failed", "rows=%d", b->n);
		batch_end(b);
	}
}

void mail_tick(struct server *srv)
{
	struct batch *b;

	if (!M.inited || M.stopping || M.busy)
		return;
	b = xcalloc(1, sizeof *b);
	b->now = clock_now_ms();
	if (b->now - M.last_purge >= PURGE_EVERY_MS) {
		b->purge = 1;
		M.last_purge = b->now;
	}
	if (store_submit(srv->store, pick_fn, pick_done, b)) {
		free(b); /* busy store: try again next tick */
		return;
	}
	M.busy = 1;
}

void mail_shutdown(struct server *srv)
{
	(void)srv;
	M.stopping = 1;
	atomic_store(&M.abort, 1);
}

/* ---- test-only route ------------------------------------------------------ */

/* POST /api/v1/test/mail {user_id, subject, body, kind?}: exists only under --testing. */
struct test_mail {
	int64_t user_id;
	char *kind, *subject, *body;
};

static void test_mail_free(void *p)
{
	struct test_mail *t = p;

	free(t->kind);
	free(t->subject);
	free(t->body);
	free(t);
}

static int test_mail_fn(struct store_tx *tx, void *arg)
{
	struct http_req *req = arg;
	struct test_mail *t = req->state;
	sqlite3_stmt *st = store_stmt(tx, "SELECT 1 FROM users WHERE id = ?");
	int found, rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, t->user_id);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!found)
		return http_job_fail(req, 404, "not_found", "There is no such user.");
	rc = mail_enqueue(tx, t->user_id, t->kind, t->subject, t->body);
	if (rc == STORE_EINVAL)
		return http_job_fail(req, 400, "bad_field",
				     "The subject, body or kind is empty, too long or not text.");
	if (rc)
		return rc;
	req->out = json_pack("{s:I}", "id", (json_int_t)sqlite3_last_insert_rowid(store_db(tx)));
	req->out_status = 201;
	return 0;
}

static void route_test_mail(struct http_req *req)
{
	json_t *uid = json_object_get(req->json, "user_id");
	const char *subject = http_json_str(req, "subject");
	const char *body = http_json_str(req, "body");
	const char *kind = http_json_str(req, "kind");
	struct test_mail *t;

	if (!json_is_integer(uid) || json_integer_value(uid) <= 0 || !subject || !body) {
		http_error(req, 400, "missing_field",
			   "Please give a user_id, a subject and a body.");
		return;
	}
	t = xcalloc(1, sizeof *t);
	t->user_id = json_integer_value(uid);
	t->kind = xstrdup(kind ? kind : "test");
	t->subject = xstrdup(subject);
	t->body = xstrdup(body);
	req->state = t;
	req->state_free = test_mail_free;
	http_run(req, test_mail_fn, NULL);
}

static const struct http_route routes[] = {
    {HTTP_POST, "/api/v1/test/mail", route_test_mail, HTTP_ROUTE_TESTING},
};

/* ---- start and stop ----------------------------------------------------- */

/* The SMTP password: first line of a file only we can read. */
static int prepare_spool(const char *data_dir, char *err, size_t errlen)
{
	int rc;

	M.spool_dir = xasprintf("%s/mail", data_dir);
	rc = mkdir_p(M.spool_dir, 0700);
	/* it may predate us with wider rights: mail is personal data */
	if (rc == 0 && chmod(M.spool_dir, 0700))
		rc = -errno;
	if (rc) {
		snprintf(err, errlen, "cannot create the mail folder %s: %s", M.spool_dir,
			 strerror(-rc));
		return -1;
	}
	return 0;
}

int mail_init(struct server *srv, char *err, size_t errlen)
{
	const struct config *cfg = &srv->cfg;

	M.srv = srv;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -1;
	}
	M.curl_inited = 1;
	if (mail_from_parse(cfg->mail_from, M.from_name, M.from_addr)) {
		snprintf(err, errlen, "[mail] from: expected an address or \"Name <address>\"");
		return -1;
	}
	M.smtp = cfg->mail_smtp_url[0] != '\0';
	if (M.smtp && cfg->mail_smtp_password_file[0] &&
	    !(M.password = crypto_secret_read(cfg->mail_smtp_password_file,
					      "[mail] smtp_password_file", PASSWORD_MAX, err,
					      errlen)))
		return -1;
	if (!M.smtp && prepare_spool(cfg->data_dir, err, errlen))
		return -1;
	acct_on_erase(on_erase);
	http_routes_add(routes, ARRAY_LEN(routes));
	M.inited = 1;
	/* the URL is not logged: it may carry a user name */
	log_info("mail_ready", "via=%s tls=%s", M.smtp ? "smtp" : "spool",
		 M.smtp ? cfg->mail_smtp_tls : "none");
	return 0;
}

void mail_free(struct server *srv)
{
	(void)srv;
	crypto_secret_free(M.password);
	free(M.spool_dir);
	if (M.curl_inited)
		curl_global_cleanup();
	memset(&M, 0, sizeof M);
}
