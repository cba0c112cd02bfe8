/*
 * mail.h — outgoing mail: the outbox table (mail_outbox, migration 8) and
 * the sender that empties it.
 *
 * A module that wants to tell someone something by mail calls
 * mail_enqueue() inside the store job that makes the change the mail is
 * about, so the mail exists if and only if the change committed. The
 * sender then delivers it at least once:
 *
 *   loop tick (1 Hz) → store job: pick up to 20 due rows (and count an
 *   attempt on each) → uv thread pool: build each message and either send
 *   it with libcurl SMTP ([mail] smtp_url set) or write it to
 *   DATA/mail/<timestamp>-<id>.eml (temp name, fsync, rename) → store job:
 *   mark each row sent, or failed with back-off (1 min, 5 min, 30 min, 2 h,
 *   6 h…; given up after 8 attempts, last_error kept without personal data).
 *
 * Only one batch is in flight at a time, so a row being sent is never
 * picked again. The loop thread never touches SQLite, the network or the
 * disk for mail. On shutdown no new batch starts; the one in flight is cut
 * short and whatever it did not record is sent again at the next start
 * (so a mail may, rarely, arrive twice — never zero times).
 *
 * The recipient address is read from users.email when the row is sent, so
 * a changed address applies to mail already queued. An erased user gets
 * nothing: erasure deletes the user's rows (an acct_on_erase hook), and a
 * row queued for an erased user afterwards is dropped at send time with
 * last_error "recipient erased" and its subject and body cleared.
 *
 * CONFIDENTIALITY — callers' responsibility: a subject or body must never
 * contain the text of a live message, a board post or a private message,
 * nor anything said in a group. Mail leaves our control. Write "You have
 * a new private message in Hearth" and a link, never the message.
 */
#ifndef HEARTH_MAIL_H
#define HEARTH_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct server;

/*
 * Queue a mail to user_id, inside the caller's store job (its transaction
 * commits or rolls back the mail with everything else). kind is a short
 * code of [a-z0-9_] (e.g. "conversation_unread") kept for operators and
 * the X-Hearth-Kind header; subject (non-empty, at most MAIL_SUBJECT_MAX
 * bytes) and body_text (plain text, at most MAIL_BODY_MAX bytes) must be
 * valid UTF-8; a CR or LF in the subject becomes a space. Strings are
 * copied. Returns 0, STORE_EINVAL for input that breaks these rules
 * (nothing written), or another negative store_err from SQLite.
 */
int mail_enqueue(struct store_tx *tx, int64_t user_id, const char *kind, const char *subject,
		 const char *body_text);

/* Sent or given-up mail (outbox rows, spooled copies) is kept this long. */
#define MAIL_KEEP_DONE_MS (30LL * 86400 * 1000)

/*
 * Retention, inside the caller's store job: delete the outbox rows that
 * were sent or given up more than 30 days before now; adds how many to
 * *deleted (may be NULL). The running server also does this hourly.
 */
int mail_purge_done(struct store_tx *tx, int64_t now, int64_t *deleted);

/*
 * Retention for spool mode: remove DATA/mail/<stamp>-<id>.eml files whose
 * stamp (the time they were written) is more than 30 days before now —
 * they hold the recipients' addresses. Adds how many to *removed (may be
 * NULL). Blocking file I/O: the store thread or a command, never the loop.
 * 0, or -1 if the folder could not be read or a file not removed.
 */
int mail_spool_prune(const char *data_dir, int64_t now, int64_t *removed);

/*
 * Start-up (loop thread, before the store thread starts): curl_global_init,
 * check [mail] from, read [mail] smtp_password_file (must not be readable
 * by others), create DATA/mail (0700) in spool mode, register the erasure
 * hook and, under --testing, POST /api/v1/test/mail. 0, or -1 with a
 * sentence in err.
 */
int mail_init(struct server *srv, char *err, size_t errlen);
/* Once a second: start a batch if none is in flight. */
void mail_tick(struct server *srv);
/* Shutdown has begun: start no batch, cut the one in flight short. */
void mail_shutdown(struct server *srv);
/* After the loop has ended: free state, wipe the password, curl_global_cleanup. */
void mail_free(struct server *srv);

#endif
