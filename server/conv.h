/*
 * conv.h — private conversations: messages between people who share a
 * group, delivered live over /ws (dm_send, dm_read) and through
 * /api/v1/conversations, with unread counts, blocks, and a mail to
 * participants who are offline (at most one per conversation an hour,
 * never with the text).
 *
 * Rules:
 *   - A conversation belongs to one group (migration 7: conversations.
 *     group_id). Everyone in it was an active member or a facilitator of
 *     that group when added, and reads or writes only while that is still
 *     true (CONV_ACCESS_SQL) and they have not left. Anything else answers
 *     exactly as a conversation that does not exist.
 *   - Messages are durable before anyone sees them: dm, ack and unread go
 *     out from the store job's completion, after its commit. A client_id is
 *     stored once per (conversation, author); a re-send is acked with the
 *     first id and sends no second dm.
 *   - Blocks hide, they do not refuse: what a blocked person writes while
 *     the block lasts is stored and delivered to the others, but never sent,
 *     listed, counted as unread or mailed to the person who blocked them —
 *     also after the block is lifted. The sender is not told, so a block
 *     cannot provoke the person it protects against.
 *   - A crisis phrase alerts the facilitators of the conversation's group
 *     (alert with text) and the managers (alert without text), never the
 *     other participants, and shows the author the crisis resources. The
 *     alert is audit-logged in the job that stores the message.
 *
 * Threads: conv.c and conv_http.c run on the loop thread; the conv__*_fn
 * jobs (conv_store.c) run on the store thread and touch only their struct.
 */
#ifndef HEARTH_CONV_H
#define HEARTH_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "store.h"

struct server;

#define CONV_PARTICIPANTS_MAX 16 /* people in one conversation, its creator included */
#define CONV_PAGE_DEFAULT 50	 /* messages per page */
#define CONV_PAGE_MAX 200
#define CONV_LIST_MAX 200		/* conversations listed at most */
#define CONV_NOTIFY_MS (60 * 60 * 1000) /* one "new message" mail per conversation per hour */
#define CONV_DUPLICATE_MS (10 * 60 * 1000)
#define CONV_CREATE_PER_HOUR 30 /* conversations one person may start in an hour */

/* SQL: user u may use conversations of group g now (u, g: SQL expressions).
 * The same rule as groups_access at "now": an active membership, or a
 * facilitator row whose account still has a staff role. */
#define CONV_ACCESS_SQL(u, g)                                                                      \
	"(EXISTS (SELECT 1 FROM memberships am WHERE am.user_id = (" u ")"                         \
	" AND am.group_id = (" g ") AND am.ended_at IS NULL) OR EXISTS (SELECT 1"                  \
	" FROM group_facilitators af JOIN users au ON au.id = af.user_id"                          \
	" WHERE af.user_id = (" u ") AND af.group_id = (" g ")"                                    \
	" AND au.erased_at IS NULL AND au.role IN ('facilitator', 'manager')))"

/* SQL: viewer had blocked author at time ts (a message viewer never sees). */
#define CONV_HIDDEN_SQL(viewer, author, ts)                                                        \
	"EXISTS (SELECT 1 FROM user_blocks hb WHERE hb.blocker_id = (" viewer ")"                  \
	" AND hb.blocked_id = (" author ") AND hb.created_at <= (" ts ")"                          \
	" AND (hb.ended_at IS NULL OR hb.ended_at > (" ts ")))"

/* ---- the module's life (conv.c) ---- */

/* Build the crisis and profanity lists from [live], install the dm handler
 * on /ws, register the routes, the erasure hook and the group-event hook. */
void conv_init(struct server *srv);
/* Once a second: forget full token buckets. */
void conv_tick(struct server *srv);
/* After the loop has ended: free the buckets and lists. */
void conv_free(struct server *srv);

/* ---- module internals ---- */

/* One participant who is to receive a new message. */
struct conv_rcpt {
	int64_t user_id;
	int64_t unread; /* their unread count after the message */
	int hidden;	/* they have blocked the author: nothing is sent to them */
};

/*
 * Store one message (dm_send, or POST .../messages). In: conversation_id,
 * author_id, client_id, text (owned, already masked), crisis. A refusal
 * sets err (PROTO_ENOT_FOUND, PROTO_EDUPLICATE) and writes nothing; a
 * client_id already used sets dup with the first id and ts (and text, so a
 * re-send is answered with what was stored). Otherwise fills id, ts,
 * author_name, the recipients (current participants with access, author
 * included) and, for a crisis, who is alerted.
 */
struct conv_send {
	int64_t conversation_id, author_id;
	char client_id[PROTO_CLIENT_ID_MAX + 1];
	char *text; /* owned */
	size_t len;
	int crisis;
	/* out */
	int err;
	int dup;
	int64_t id, ts, group_id;
	char author_name[200];
	struct conv_rcpt *rcpt; /* owned */
	size_t nrcpt;
	int64_t *facilitators; /* owned: alerted with the text */
	size_t nfac;
	int64_t *managers; /* owned: alerted without the text */
	size_t nman;
};
int conv__send_fn(struct store_tx *tx, void *arg);
/* Free what j owns, and j. */
void conv__send_free(struct conv_send *j);

/* Mark read up to up_to (never backwards); err PROTO_ENOT_FOUND when the
 * conversation or the message is not there for user_id. up_to 0: all. */
struct conv_read {
	int64_t conversation_id, user_id;
	int64_t up_to; /* in: read up to this message (0: all); out: the read mark now */
	int err;
	int64_t unread; /* out */
};
int conv__read_fn(struct store_tx *tx, void *arg);

/* Queue "new message" mails for users who had no connection (one an hour
 * per conversation, and only while the message is still unread). */
struct conv_notify {
	int64_t conversation_id, message_id;
	int64_t *users; /* owned */
	size_t n;
};
int conv__notify_fn(struct store_tx *tx, void *arg);

/* Participants of group_id who left it lose its conversations. */
struct conv_left {
	int64_t group_id, user_id;
};
int conv__left_group_fn(struct store_tx *tx, void *arg);

/* acct erasure hook: leave every conversation, drop the person's blocks. */
int conv__erase_user(struct store_tx *tx, int64_t user_id);

/* The unread count of user_id in a conversation (store thread); <0 on error. */
int64_t conv__unread(struct store_tx *tx, int64_t conversation_id, int64_t user_id,
		     int64_t last_read_id);
/* The group of a conversation user_id may use now, or 0 (store thread); <0 on error. */
int64_t conv__group_for(struct store_tx *tx, int64_t conversation_id, int64_t user_id,
			int64_t *last_read_id);

/*
 * Mask and check a text to post, take a rate-limit token, and fill a new
 * conv_send (loop thread). Returns 0 with *out, or PROTO_ERATE_LIMITED.
 */
int conv__prepare(int64_t author_id, int64_t conversation_id, const char *client_id,
		  const char *text, size_t len, struct conv_send **out);
/*
 * A message was stored (loop thread): dm to every connection of every
 * recipient not hiding the author, unread to the others, the crisis alert
 * and resources, and the mail job for recipients with no connection.
 * Nothing is sent for a dup.
 */
void conv__deliver(struct server *srv, const struct conv_send *j);
/* Send an unread frame to every connection of user_id. */
void conv__send_unread(int64_t user_id, int64_t conversation_id, int64_t count);

/* Routes (conv_http.c). */
void conv__http_init(struct server *srv);

#endif
