/*
 * boards.c — the message boards' rules and SQL (see boards.h): places and
 * who may do what in them, folders, topics, posts and their history,
 * pictures, follows, flags, blocks, the dashboard, the digest and erasure.
 *
 * Everything here runs inside store jobs. Rendering happens here too, not
 * on the loop thread, because a quote's source lives in the database; its
 * cost is bounded by MD_MAX_INPUT and by the posting rate limit.
 */
#include "boards.h"

#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "log.h"
#include "mail.h"
#include "markdown.h"
#include "util.h"

static const char *const default_folders[] = {"Introductions", "Between sessions",
					      "Practical matters"};

#define DASH_MAX 200	 /* rows per dashboard list */
#define DIGEST_TOPICS 20 /* topics named in one digest mail */

/* ---- small helpers ---- */

static int step_done(struct store_tx *tx, sqlite3_stmt *st, const char *what)
{
	int rc = store_check(tx, sqlite3_step(st), what);

	sqlite3_reset(st);
	return rc;
}

/*
 * Step st to the one row it looks up: 0 with st on that row (the caller
 * reads it, then resets st), or STORE_ENOTFOUND for no row or another error,
 * st already reset.
 */
static int step_row(struct store_tx *tx, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 0;
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_ENOTFOUND : store_check(tx, rc, what);
}

/* A statement that returns one integer (or def when it returns no row). */
static int query_int64(struct store_tx *tx, sqlite3_stmt *st, int64_t def, int64_t *out,
		       const char *what)
{
	int rc = sqlite3_step(st);

	*out = def;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*out = sqlite3_column_int64(st, 0);
	rc = store_check(tx, rc, what);
	sqlite3_reset(st);
	return rc;
}

/*
 * Bind what the statements that read a place's topics or posts take: ?1
 * the folder, topic or post, ?2 the caller, ?3 whether they moderate (what
 * is held is shown to its author and the moderators only).
 */
static void bind_reader(sqlite3_stmt *st, int64_t id, const struct board_who *who, int moderate)
{
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, who->id);
	sqlite3_bind_int(st, 3, moderate);
}

/* Bind a place's group: NULL for the site boards, so "group_id IS ?" matches them. */
static void bind_group(sqlite3_stmt *st, int idx, int64_t group_id)
{
	if (group_id > 0)
		sqlite3_bind_int64(st, idx, group_id);
	else
		sqlite3_bind_null(st, idx);
}

static json_t *json_id_or_null(int64_t v)
{
	return v > 0 ? json_integer(v) : json_null();
}

static json_t *col_int_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL
		   ? json_null()
		   : json_integer(sqlite3_column_int64(st, col));
}

static json_t *person_json(sqlite3_stmt *st, int id_col, int name_col)
{
	return json_pack("{s:I,s:s?}", "id", (json_int_t)sqlite3_column_int64(st, id_col), "name",
			 (const char *)sqlite3_column_text(st, name_col));
}

static int audit_ids(struct store_tx *tx, int64_t actor, const char *action, const char *type,
		     int64_t target, const char *key, int64_t value)
{
	char detail[96];

	snprintf(detail, sizeof detail, "{\"%s\":%lld}", key, (long long)value);
	return audit_append(tx, actor, action, type, target, detail);
}

static int is_staff(const struct board_who *who)
{
	return who->role == ACCT_FACILITATOR || who->role == ACCT_MANAGER;
}

const char *board_kind_name(int kind)
{
	switch (kind) {
	case BOARD_CONVERSATIONS:
		return "conversations";
	case BOARD_SPECIALIST:
		return "specialist";
	default:
		return "group";
	}
}

static int kind_parse(const char *s)
{
	if (s && !strcmp(s, "conversations"))
		return BOARD_CONVERSATIONS;
	if (s && !strcmp(s, "specialist"))
		return BOARD_SPECIALIST;
	return BOARD_GROUP;
}

/* ---- pure checks ---- */

static int has_control(const char *s, size_t n, int allow_newlines)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (allow_newlines && (c == '\n' || c == '\r' || c == '\t'))
			continue;
		if (c < 0x20 || c == 0x7f)
			return 1;
	}
	return 0;
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

int board_check_subject(const char *s, char *out, size_t outlen, struct groups_why *why)
{
	const char *end;
	size_t n, cps;

	if (!s)
		return groups_refuse(why, 400, "bad_subject", "Please give the topic a subject.",
				     -1);
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	n = (size_t)(end - s);
	cps = utf8_valid(s, n) ? utf8_len(s, n) : 0;
	if (cps < BOARD_SUBJECT_MIN || cps > BOARD_SUBJECT_MAX || has_control(s, n, 0) ||
	    n + 1 > outlen)
		return groups_refuse(why, 400, "bad_subject",
				     "A subject is 3 to 120 characters of plain text.", -1);
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int board_check_body(const char *s, struct groups_why *why)
{
	size_t n = s ? strlen(s) : 0;

	if (!s || blank(s))
		return groups_refuse(why, 400, "empty_body", "Please write something first.", -1);
	if (n > MD_MAX_INPUT)
		return groups_refuse(why, 400, "too_long", "That post is too long.", -1);
	if (!utf8_valid(s, n))
		return groups_refuse(why, 400, "bad_body", "That text is not valid UTF-8.", -1);
	return 0;
}

int board_check_folder_name(const char *s, struct groups_why *why)
{
	size_t n = s ? strlen(s) : 0;

	if (!s || blank(s) || !utf8_valid(s, n) || utf8_len(s, n) > BOARD_FOLDER_NAME_MAX ||
	    has_control(s, n, 0))
		return groups_refuse(why, 400, "bad_name",
				     "A folder name is 1 to 60 characters of plain text.", -1);
	return 0;
}

int board_check_reason(const char *s, struct groups_why *why)
{
	size_t n = s ? strlen(s) : 0;

	if (!s || blank(s) || !utf8_valid(s, n) || utf8_len(s, n) > BOARD_REASON_MAX ||
	    has_control(s, n, 1))
		return groups_refuse(why, 400, "bad_reason",
				     "Please say briefly (up to 500 characters) what is wrong.",
				     -1);
	return 0;
}

/* ---- places ---- */

static int is_blocked(struct store_tx *tx, int64_t scope, int64_t user_id, int *blocked)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT 1 FROM board_blocks WHERE scope = ? AND"
					  " user_id = ?");
	int rc;

	*blocked = 0;
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, scope);
	sqlite3_bind_int64(st, 2, user_id);
	rc = sqlite3_step(st);
	*blocked = rc == SQLITE_ROW;
	rc = store_check(tx, rc, "board_blocked");
	sqlite3_reset(st);
	return rc;
}

int board_place_group(struct store_tx *tx, int64_t group_id, const struct board_who *who,
		      struct board_place *at)
{
	int access, rc = groups_access(tx, group_id, who->id, who->now, &access);

	memset(at, 0, sizeof *at);
	if (rc)
		return rc;
	if (access == GROUP_NONE)
		return STORE_ENOTFOUND;
	at->group_id = group_id;
	at->kind = BOARD_GROUP;
	at->moderate = access == GROUP_FACILITATOR;
	return at->moderate ? 0 : is_blocked(tx, group_id, who->id, &at->blocked);
}

int board_place_site(struct store_tx *tx, const struct board_who *who, struct board_place *at)
{
	memset(at, 0, sizeof *at);
	at->moderate = is_staff(who);
	return at->moderate ? 0 : is_blocked(tx, 0, who->id, &at->blocked);
}

int board_place_folder(struct store_tx *tx, int64_t folder_id, const struct board_who *who,
		       struct board_place *at)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT group_id, kind FROM board_folders WHERE id = ?");
	int64_t group_id;
	int kind, rc;

	memset(at, 0, sizeof *at);
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, folder_id);
	if ((rc = step_row(tx, st, "board_folder")))
		return rc;
	group_id = sqlite3_column_int64(st, 0);
	kind = kind_parse((const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	if (group_id > 0) {
		rc = board_place_group(tx, group_id, who, at);
	} else {
		rc = board_place_site(tx, who, at);
		at->kind = kind;
	}
	at->folder_id = folder_id;
	return rc;
}

int board_topic_get(struct store_tx *tx, int64_t topic_id, const struct board_who *who,
		    struct board_topic *t)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT folder_id, author_id, first_post_id, locked,"
					  " pinned, held, subject FROM board_topics"
					  " WHERE id = ? AND deleted_at IS NULL");
	int64_t folder_id;
	int rc;

	memset(t, 0, sizeof *t);
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, topic_id);
	if ((rc = step_row(tx, st, "board_topic")))
		return rc;
	t->id = topic_id;
	folder_id = sqlite3_column_int64(st, 0);
	t->author_id = sqlite3_column_int64(st, 1);
	t->first_post_id = sqlite3_column_int64(st, 2);
	t->locked = sqlite3_column_int(st, 3);
	t->pinned = sqlite3_column_int(st, 4);
	t->held = sqlite3_column_int(st, 5);
	snprintf(t->subject, sizeof t->subject, "%s", (const char *)sqlite3_column_text(st, 6));
	sqlite3_reset(st);
	if ((rc = board_place_folder(tx, folder_id, who, &t->at)))
		return rc;
	if (t->held && t->author_id != who->id && !t->at.moderate)
		return STORE_ENOTFOUND;
	return 0;
}

int board_post_get(struct store_tx *tx, int64_t post_id, const struct board_who *who,
		   struct board_post *p)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT topic_id, author_id, held, deleted_at IS NOT NULL"
					  " FROM board_posts WHERE id = ?");
	int64_t topic_id;
	int rc;

	memset(p, 0, sizeof *p);
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, post_id);
	if ((rc = step_row(tx, st, "board_post")))
		return rc;
	p->id = post_id;
	topic_id = sqlite3_column_int64(st, 0);
	p->author_id = sqlite3_column_int64(st, 1);
	p->held = sqlite3_column_int(st, 2);
	p->deleted = sqlite3_column_int(st, 3);
	sqlite3_reset(st);
	if ((rc = board_topic_get(tx, topic_id, who, &p->topic)))
		return rc;
	if (p->held && p->author_id != who->id && !p->topic.at.moderate)
		return STORE_ENOTFOUND;
	return 0;
}

static int refuse_blocked(struct groups_why *why)
{
	return groups_refuse(why, 403, "blocked",
			     "You cannot post on these boards at the moment. Please speak to a"
			     " facilitator.",
			     STORE_EFORBIDDEN);
}

int board_may_reply(const struct board_topic *t, const struct board_who *who,
		    struct groups_why *why)
{
	if (t->at.blocked)
		return refuse_blocked(why);
	if (t->locked && !t->at.moderate)
		return groups_refuse(why, 409, "topic_locked",
				     "This topic is locked, so no more replies can be added.",
				     STORE_ECONFLICT);
	if (t->at.kind == BOARD_SPECIALIST && !is_staff(who) && who->id != t->author_id)
		return groups_refuse(why, 403, "specialists_only",
				     "Only facilitators answer questions on this board.",
				     STORE_EFORBIDDEN);
	return 0;
}

/* ---- folders ---- */

static int ensure_default_folders(struct store_tx *tx, int64_t group_id, int64_t now)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT count(*) FROM board_folders WHERE group_id = ?");
	int64_t n;
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	if ((rc = query_int64(tx, st, 0, &n, "board_folders_count")) || n > 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < ARRAY_LEN(default_folders); i++) {
		st = store_stmt(tx, "INSERT INTO board_folders (group_id, kind, name, position,"
				    " created_at, updated_at) VALUES (?, 'group', ?, ?, ?, ?)");
		if (!st)
			return STORE_EIO;
		sqlite3_bind_int64(st, 1, group_id);
		sqlite3_bind_text(st, 2, default_folders[i], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, (int)i + 1);
		sqlite3_bind_int64(st, 4, now);
		sqlite3_bind_int64(st, 5, now);
		rc = step_done(tx, st, "board_folders_default");
	}
	return rc;
}

int board_folders_list(struct store_tx *tx, const struct board_place *at,
		       const struct board_who *who, json_t **out)
{
	sqlite3_stmt *st;
	json_t *list;
	int rc;

	*out = NULL;
	if (at->group_id > 0 && (rc = ensure_default_folders(tx, at->group_id, who->now)))
		return rc;
	st = store_stmt(
	    tx, "SELECT f.id, f.name, f.kind, f.position, v.visited_at,"
		" (SELECT count(*) FROM board_topics t WHERE t.folder_id = f.id"
		"  AND t.deleted_at IS NULL AND (t.held = 0 OR t.author_id = ?2 OR ?3)),"
		" (SELECT count(*) FROM board_topics t WHERE t.folder_id = f.id"
		"  AND t.deleted_at IS NULL AND t.held = 0 AND EXISTS (SELECT 1 FROM board_posts p"
		"  WHERE p.topic_id = t.id AND p.held = 0 AND p.deleted_at IS NULL"
		"  AND p.author_id != ?2 AND p.published_at > coalesce(v.visited_at, -1)))"
		" FROM board_folders f LEFT JOIN board_visits v ON v.folder_id = f.id"
		" AND v.user_id = ?2 WHERE f.group_id IS ?1 ORDER BY f.position, f.id");
	if (!st)
		return STORE_EIO;
	bind_group(st, 1, at->group_id);
	sqlite3_bind_int64(st, 2, who->id);
	sqlite3_bind_int(st, 3, at->moderate);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(
		    list, json_pack("{s:I,s:s,s:s,s:I,s:o,s:I,s:I}", "id",
				    (json_int_t)sqlite3_column_int64(st, 0), "name",
				    (const char *)sqlite3_column_text(st, 1), "kind",
				    (const char *)sqlite3_column_text(st, 2), "position",
				    (json_int_t)sqlite3_column_int64(st, 3), "last_visit_at",
				    col_int_or_null(st, 4), "topics",
				    (json_int_t)sqlite3_column_int64(st, 5), "new_topics",
				    (json_int_t)sqlite3_column_int64(st, 6)));
	rc = store_check(tx, rc, "board_folders_list");
	sqlite3_reset(st);
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = json_pack("{s:o,s:o,s:b,s:b}", "group_id", json_id_or_null(at->group_id), "folders",
			 list, "can_moderate", at->moderate, "blocked", at->blocked);
	return 0;
}

static json_t *folder_json(struct store_tx *tx, int64_t id)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT id, group_id, kind, name, position FROM"
					  " board_folders WHERE id = ?");
	json_t *o = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = json_pack("{s:I,s:o,s:s,s:s,s:I}", "id",
			      (json_int_t)sqlite3_column_int64(st, 0), "group_id",
			      col_int_or_null(st, 1), "kind",
			      (const char *)sqlite3_column_text(st, 2), "name",
			      (const char *)sqlite3_column_text(st, 3), "position",
			      (json_int_t)sqlite3_column_int64(st, 4));
	sqlite3_reset(st);
	return o;
}

int board_folder_add(struct store_tx *tx, const struct board_place *at, const struct board_who *who,
		     const char *name, json_t **out, struct groups_why *why)
{
	sqlite3_stmt *st;
	int64_t n, id;
	int rc;

	*out = NULL;
	if ((rc = ensure_default_folders(tx, at->group_id, who->now)))
		return rc;
	st = store_stmt(tx, "SELECT count(*) FROM board_folders WHERE group_id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, at->group_id);
	if ((rc = query_int64(tx, st, 0, &n, "board_folders_count")))
		return rc;
	if (n >= BOARD_FOLDERS_MAX)
		return groups_refuse(why, 409, "too_many_folders",
				     "A group can have at most 30 folders.", STORE_ECONFLICT);
	st = store_stmt(tx, "INSERT INTO board_folders (group_id, kind, name, position,"
			    " created_at, updated_at) SELECT ?1, 'group', ?2,"
			    " coalesce(max(position), 0) + 1, ?3, ?3 FROM board_folders"
			    " WHERE group_id = ?1");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, at->group_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, who->now);
	if ((rc = step_done(tx, st, "board_folder_add")))
		return rc;
	id = sqlite3_last_insert_rowid(store_db(tx));
	if ((rc = audit_ids(tx, who->id, "board_folder_add", "board_folder", id, "group",
			    at->group_id)))
		return rc;
	*out = folder_json(tx, id);
	return *out ? 0 : STORE_EIO;
}

int board_folder_update(struct store_tx *tx, const struct board_place *at,
			const struct board_who *who, const char *name, int64_t position,
			json_t **out)
{
	sqlite3_stmt *st = store_stmt(tx, "UPDATE board_folders SET name = coalesce(?2, name),"
					  " position = CASE WHEN ?3 >= 0 THEN ?3 ELSE position END,"
					  " updated_at = ?4 WHERE id = ?1");
	int rc;

	*out = NULL;
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, at->folder_id);
	if (name)
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, position);
	sqlite3_bind_int64(st, 4, who->now);
	if ((rc = step_done(tx, st, "board_folder_update")))
		return rc;
	if ((rc = audit_ids(tx, who->id, "board_folder_update", "board_folder", at->folder_id,
			    "group", at->group_id)))
		return rc;
	*out = folder_json(tx, at->folder_id);
	return *out ? 0 : STORE_EIO;
}

/* ---- reading topics and posts ---- */

/* ?2 the caller, ?3 whether they moderate, ?4 their last visit (new = posts by others since). */
#define TOPIC_SELECT                                                                               \
	"SELECT t.id, t.folder_id, t.subject, t.author_id, " ACCT_NAME_SQL(                        \
	    "u") ", t.created_at,"                                                                 \
		 " t.last_post_at, t.locked, t.pinned, t.held,"                                    \
		 " (SELECT count(*) FROM board_posts p WHERE p.topic_id = t.id AND p.held = 0"     \
		 "  AND p.deleted_at IS NULL),"                                                    \
		 " EXISTS (SELECT 1 FROM board_follows b WHERE b.topic_id = t.id AND b.user_id = " \
		 "?2),"                                                                            \
		 " EXISTS (SELECT 1 FROM board_posts p WHERE p.topic_id = t.id AND p.held = 0"     \
		 "  AND p.deleted_at IS NULL AND p.author_id != ?2 AND p.published_at > ?4)"       \
		 " FROM board_topics t JOIN users u ON u.id = t.author_id"

static json_t *topic_row_json(sqlite3_stmt *st, int64_t group_id)
{
	int64_t posts = sqlite3_column_int64(st, 10);

	return json_pack(
	    "{s:I,s:I,s:o,s:s,s:o,s:I,s:I,s:b,s:b,s:b,s:I,s:b,s:b}", "id",
	    (json_int_t)sqlite3_column_int64(st, 0), "folder_id",
	    (json_int_t)sqlite3_column_int64(st, 1), "group_id", json_id_or_null(group_id),
	    "subject", (const char *)sqlite3_column_text(st, 2), "author", person_json(st, 3, 4),
	    "created_at", (json_int_t)sqlite3_column_int64(st, 5), "last_post_at",
	    (json_int_t)sqlite3_column_int64(st, 6), "locked", sqlite3_column_int(st, 7), "pinned",
	    sqlite3_column_int(st, 8), "held", sqlite3_column_int(st, 9), "replies",
	    (json_int_t)(posts > 0 ? posts - 1 : 0), "following", sqlite3_column_int(st, 11), "new",
	    sqlite3_column_int(st, 12));
}

static int visit_get(struct store_tx *tx, int64_t user_id, int64_t folder_id, int64_t *at)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT visited_at FROM board_visits WHERE user_id = ?"
					  " AND folder_id = ?");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, folder_id);
	return query_int64(tx, st, -1, at, "board_visit");
}

static int visit_set(struct store_tx *tx, int64_t user_id, int64_t folder_id, int64_t now)
{
	sqlite3_stmt *st =
	    store_stmt(tx, "INSERT INTO board_visits (user_id, folder_id,"
			   " visited_at) VALUES (?1, ?2, ?3) ON CONFLICT (user_id,"
			   " folder_id) DO UPDATE SET visited_at = excluded.visited_at");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, folder_id);
	sqlite3_bind_int64(st, 3, now);
	return step_done(tx, st, "board_visit_set");
}

int board_topics_page(struct store_tx *tx, const struct board_place *at,
		      const struct board_who *who, int page, int per_page, json_t **out)
{
	sqlite3_stmt *st;
	int64_t visit, total;
	json_t *list;
	int rc;

	*out = NULL;
	if ((rc = visit_get(tx, who->id, at->folder_id, &visit)))
		return rc;
	st = store_stmt(tx, "SELECT count(*) FROM board_topics t WHERE t.folder_id = ?1"
			    " AND t.deleted_at IS NULL AND (t.held = 0 OR t.author_id = ?2 OR ?3)");
	if (!st)
		return STORE_EIO;
	bind_reader(st, at->folder_id, who, at->moderate);
	if ((rc = query_int64(tx, st, 0, &total, "board_topics_count")))
		return rc;
	st = store_stmt(tx, TOPIC_SELECT " WHERE t.folder_id = ?1 AND t.deleted_at IS NULL"
					 " AND (t.held = 0 OR t.author_id = ?2 OR ?3)"
					 " ORDER BY t.pinned DESC, t.last_post_at DESC, t.id DESC"
					 " LIMIT ?5 OFFSET ?6");
	if (!st)
		return STORE_EIO;
	bind_reader(st, at->folder_id, who, at->moderate);
	sqlite3_bind_int64(st, 4, visit);
	sqlite3_bind_int(st, 5, per_page);
	sqlite3_bind_int64(st, 6, (int64_t)(page - 1) * per_page);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, topic_row_json(st, at->group_id));
	rc = store_check(tx, rc, "board_topics_page");
	sqlite3_reset(st);
	if (rc == 0)
		rc = visit_set(tx, who->id, at->folder_id, who->now);
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = json_pack("{s:o,s:I,s:o,s:i,s:i,s:I,s:o,s:b,s:b}", "folder",
			 folder_json(tx, at->folder_id), "folder_id", (json_int_t)at->folder_id,
			 "topics", list, "page", page, "per_page", per_page, "total",
			 (json_int_t)total, "last_visit_at",
			 visit >= 0 ? json_integer(visit) : json_null(), "can_moderate",
			 at->moderate, "blocked", at->blocked);
	return *out ? 0 : STORE_EIO;
}

/* ?1 the topic or post, ?2 the caller, ?3 whether they moderate. */
#define POST_SELECT                                                                                \
	"SELECT p.id, p.topic_id, p.author_id, " ACCT_NAME_SQL(                                    \
	    "u") ","                                                                               \
		 " CASE WHEN u.erased_at IS NULL THEN u.signature END, p.body, p.html, "           \
		 "p.quote_of,"                                                                     \
		 " p.created_at, p.edited_at, p.edit_count, p.held, p.deleted_at IS NOT NULL,"     \
		 " (SELECT count(*) FROM board_pictures x WHERE x.post_id = p.id)"                 \
		 " FROM board_posts p JOIN users u ON u.id = p.author_id"

static json_t *post_row_json(sqlite3_stmt *st, int64_t me)
{
	int64_t id = sqlite3_column_int64(st, 0);
	const char *sig = (const char *)sqlite3_column_text(st, 4);
	json_t *o = json_pack("{s:I,s:I,s:o,s:b,s:I,s:o,s:b}", "id", (json_int_t)id, "topic_id",
			      (json_int_t)sqlite3_column_int64(st, 1), "author",
			      person_json(st, 2, 3), "mine", sqlite3_column_int64(st, 2) == me,
			      "created_at", (json_int_t)sqlite3_column_int64(st, 8), "quote_of",
			      col_int_or_null(st, 7), "deleted", sqlite3_column_int(st, 12));
	char url[64];

	if (sqlite3_column_int(st, 12)) {
		/* a tombstone: where a post was, without its words */
		json_object_set_new(o, "body", json_null());
		json_object_set_new(o, "html", json_null());
		return o;
	}
	snprintf(url, sizeof url, "/api/v1/posts/%lld/picture", (long long)id);
	json_object_set_new(o, "body", json_string((const char *)sqlite3_column_text(st, 5)));
	json_object_set_new(o, "html", json_string((const char *)sqlite3_column_text(st, 6)));
	json_object_set_new(o, "signature", sig && *sig ? json_string(sig) : json_null());
	json_object_set_new(o, "edited", json_boolean(sqlite3_column_int(st, 10) > 0));
	json_object_set_new(o, "edited_at", col_int_or_null(st, 9));
	json_object_set_new(o, "held", json_boolean(sqlite3_column_int(st, 11)));
	json_object_set_new(o, "picture",
			    sqlite3_column_int(st, 13) > 0 ? json_string(url) : json_null());
	return o;
}

int board_post_json(struct store_tx *tx, int64_t post_id, const struct board_who *who, json_t **out)
{
	struct board_post p;
	sqlite3_stmt *st;
	int rc = board_post_get(tx, post_id, who, &p);

	*out = NULL;
	if (rc)
		return rc;
	st = store_stmt(tx, POST_SELECT " WHERE p.id = ?1 AND (p.held = 0 OR p.author_id = ?2"
					" OR ?3)");
	if (!st)
		return STORE_EIO;
	bind_reader(st, post_id, who, p.topic.at.moderate);
	if ((rc = step_row(tx, st, "board_post_json")))
		return rc;
	*out = post_row_json(st, who->id);
	sqlite3_reset(st);
	return 0;
}

int board_topic_show(struct store_tx *tx, const struct board_topic *t, const struct board_who *who,
		     int page, int per_page, json_t **out)
{
	sqlite3_stmt *st = store_stmt(tx, TOPIC_SELECT " WHERE t.id = ?1");
	json_t *topic = NULL, *posts;
	int64_t total;
	int rc;

	*out = NULL;
	if (!st)
		return STORE_EIO;
	bind_reader(st, t->id, who, t->at.moderate);
	sqlite3_bind_int64(st, 4, INT64_MAX); /* "new" belongs to folder listings */
	if (sqlite3_step(st) == SQLITE_ROW)
		topic = topic_row_json(st, t->at.group_id);
	sqlite3_reset(st);
	if (!topic)
		return STORE_EIO;
	st = store_stmt(tx, "SELECT count(*) FROM board_posts p WHERE p.topic_id = ?1"
			    " AND (p.held = 0 OR p.author_id = ?2 OR ?3)");
	if (!st) {
		json_decref(topic);
		return STORE_EIO;
	}
	bind_reader(st, t->id, who, t->at.moderate);
	if ((rc = query_int64(tx, st, 0, &total, "board_posts_count"))) {
		json_decref(topic);
		return rc;
	}
	st = store_stmt(tx,
			POST_SELECT " WHERE p.topic_id = ?1 AND (p.held = 0"
				    " OR p.author_id = ?2 OR ?3) ORDER BY p.id LIMIT ?4 OFFSET ?5");
	if (!st) {
		json_decref(topic);
		return STORE_EIO;
	}
	bind_reader(st, t->id, who, t->at.moderate);
	sqlite3_bind_int(st, 4, per_page);
	sqlite3_bind_int64(st, 5, (int64_t)(page - 1) * per_page);
	posts = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(posts, post_row_json(st, who->id));
	rc = store_check(tx, rc, "board_topic_posts");
	sqlite3_reset(st);
	if (rc) {
		json_decref(topic);
		json_decref(posts);
		return rc;
	}
	json_object_set_new(topic, "kind", json_string(board_kind_name(t->at.kind)));
	*out = json_pack("{s:o,s:o,s:i,s:i,s:I,s:b,s:b}", "topic", topic, "posts", posts, "page",
			 page, "per_page", per_page, "total", (json_int_t)total, "can_moderate",
			 t->at.moderate, "blocked", t->at.blocked);
	return 0;
}

/* ---- writing posts ---- */

static int duplicate_check(struct store_tx *tx, const struct board_who *who, const char *body,
			   struct groups_why *why)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT 1 FROM board_posts WHERE author_id = ?"
					  " AND created_at > ? AND deleted_at IS NULL"
					  " AND body = ? LIMIT 1");
	int rc, dup;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, who->id);
	sqlite3_bind_int64(st, 2, who->now - BOARD_DUP_WINDOW_MS);
	sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	dup = rc == SQLITE_ROW;
	rc = store_check(tx, rc, "board_duplicate");
	sqlite3_reset(st);
	if (rc == 0 && dup)
		return groups_refuse(why, 409, "duplicate_post",
				     "You posted exactly this a few minutes ago, so it was not"
				     " posted again.",
				     STORE_ECONFLICT);
	return rc;
}

static int bad_quote(struct groups_why *why)
{
	return groups_refuse(why, 400, "bad_quote",
			     "That quote could not be found in an earlier post of this topic.",
			     STORE_EINVAL);
}

/*
 * The body to store: the quote (if any) built from the quoted post's own
 * source, then the author's text. *body is new (free()).
 */
static int compose(struct store_tx *tx, const struct board_topic *t, const struct board_who *who,
		   const struct board_new_post *np, char **body, struct groups_why *why)
{
	sqlite3_stmt *st;
	const char *src, *name, *part;
	char *quote = NULL;
	int rc;

	*body = NULL;
	if (!np->quote_post) {
		*body = xstrdup(np->body);
		return 0;
	}
	st = store_stmt(tx, "SELECT p.body, " ACCT_NAME_SQL(
				"u") " FROM board_posts p"
				     " JOIN users u ON u.id = p.author_id WHERE p.id = ?1"
				     " AND p.topic_id = ?2 AND p.deleted_at IS NULL"
				     " AND (p.held = 0 OR p.author_id = ?3 OR ?4)");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, np->quote_post);
	sqlite3_bind_int64(st, 2, t->id);
	sqlite3_bind_int64(st, 3, who->id);
	sqlite3_bind_int(st, 4, t->at.moderate);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? bad_quote(why) : store_check(tx, rc, "board_quote");
	}
	src = (const char *)sqlite3_column_text(st, 0);
	name = (const char *)sqlite3_column_text(st, 1);
	part = np->quote_text ? np->quote_text : src;
	/* only words that really are in the post may be put in its author's mouth */
	if (!*part || (np->quote_text && !strstr(src, np->quote_text))) {
		sqlite3_reset(st);
		return bad_quote(why);
	}
	rc = md_quote(part, strlen(part), name, np->quote_post, &quote);
	sqlite3_reset(st);
	if (rc)
		return bad_quote(why);
	*body = xasprintf("%s%s", quote, np->body);
	free(quote);
	if (strlen(*body) > MD_MAX_INPUT) {
		free(*body);
		*body = NULL;
		return groups_refuse(why, 400, "too_long",
				     "That post is too long with its quote. Please quote less.",
				     STORE_EINVAL);
	}
	return 0;
}

static int render(const char *body, char **html, struct groups_why *why)
{
	if (md_render(body, strlen(body), html, NULL) == MD_OK)
		return 0;
	return groups_refuse(why, 400, "bad_body", "That text could not be formatted.",
			     STORE_EINVAL);
}

static int follow_set(struct store_tx *tx, int64_t user_id, int64_t topic_id, int64_t now)
{
	sqlite3_stmt *st = store_stmt(tx, "INSERT OR IGNORE INTO board_follows (user_id, topic_id,"
					  " created_at) VALUES (?, ?, ?)");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, topic_id);
	sqlite3_bind_int64(st, 3, now);
	return step_done(tx, st, "board_follow");
}

static int touch_topic(struct store_tx *tx, int64_t topic_id, int64_t now)
{
	sqlite3_stmt *st = store_stmt(tx, "UPDATE board_topics SET last_post_at ="
					  " max(last_post_at, ?2) WHERE id = ?1");

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, topic_id);
	sqlite3_bind_int64(st, 2, now);
	return step_done(tx, st, "board_touch_topic");
}

/* Insert the post (quote, render, duplicate check) into topic_id; the author follows. */
static int insert_post(struct store_tx *tx, const struct board_topic *t, int64_t topic_id,
		       const struct board_who *who, struct board_new_post *np,
		       struct groups_why *why)
{
	sqlite3_stmt *st;
	char *body = NULL, *html = NULL;
	int rc;

	np->held = !np->links_ok && !t->at.moderate;
	if ((rc = compose(tx, t, who, np, &body, why)))
		return rc;
	if ((rc = duplicate_check(tx, who, body, why)) || (rc = render(body, &html, why)))
		goto done;
	st = store_stmt(tx, "INSERT INTO board_posts (topic_id, author_id, body, html, quote_of,"
			    " created_at, published_at, held) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st) {
		rc = STORE_EIO;
		goto done;
	}
	sqlite3_bind_int64(st, 1, topic_id);
	sqlite3_bind_int64(st, 2, who->id);
	sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, html, -1, SQLITE_STATIC);
	if (np->quote_post)
		sqlite3_bind_int64(st, 5, np->quote_post);
	sqlite3_bind_int64(st, 6, who->now);
	if (!np->held)
		sqlite3_bind_int64(st, 7, who->now);
	sqlite3_bind_int(st, 8, np->held);
	if ((rc = step_done(tx, st, "board_post_insert")))
		goto done;
	np->post_id = sqlite3_last_insert_rowid(store_db(tx));
	np->topic_id = topic_id;
	rc = follow_set(tx, who->id, topic_id, who->now);
done:
	free(body);
	free(html);
	return rc;
}

int board_topic_create(struct store_tx *tx, const struct board_place *at,
		       const struct board_who *who, struct board_new_post *np,
		       struct groups_why *why)
{
	struct board_topic t = {.at = *at};
	sqlite3_stmt *st;
	int64_t topic_id;
	int rc;

	if (at->blocked)
		return refuse_blocked(why);
	np->quote_post = 0; /* nothing earlier to quote */
	st = store_stmt(tx, "INSERT INTO board_topics (folder_id, author_id, subject, created_at,"
			    " last_post_at, held) VALUES (?, ?, ?, ?, ?, ?)");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, at->folder_id);
	sqlite3_bind_int64(st, 2, who->id);
	sqlite3_bind_text(st, 3, np->subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, who->now);
	sqlite3_bind_int64(st, 5, who->now);
	sqlite3_bind_int(st, 6, !np->links_ok && !at->moderate);
	if ((rc = step_done(tx, st, "board_topic_insert")))
		return rc;
	topic_id = sqlite3_last_insert_rowid(store_db(tx));
	t.id = topic_id;
	if ((rc = insert_post(tx, &t, topic_id, who, np, why)))
		return rc;
	st = store_stmt(tx, "UPDATE board_topics SET first_post_id = ? WHERE id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, np->post_id);
	sqlite3_bind_int64(st, 2, topic_id);
	return step_done(tx, st, "board_topic_first");
}

int board_reply(struct store_tx *tx, const struct board_topic *t, const struct board_who *who,
		struct board_new_post *np, struct groups_why *why)
{
	int rc = board_may_reply(t, who, why);

	if (rc || (rc = insert_post(tx, t, t->id, who, np, why)))
		return rc;
	return np->held ? 0 : touch_topic(tx, t->id, who->now);
}

int board_post_edit(struct store_tx *tx, const struct board_post *p, const struct board_who *who,
		    struct board_new_post *np, struct groups_why *why)
{
	sqlite3_stmt *st;
	char *html = NULL;
	int rc;

	if (p->deleted)
		return STORE_ENOTFOUND;
	if (p->author_id != who->id)
		return groups_refuse(why, 403, "not_author", "You can only edit your own posts.",
				     STORE_EFORBIDDEN);
	if (p->topic.at.blocked)
		return refuse_blocked(why);
	if (p->topic.locked && !p->topic.at.moderate)
		return groups_refuse(why, 409, "topic_locked",
				     "This topic is locked, so its posts cannot be changed.",
				     STORE_ECONFLICT);
	if ((rc = render(np->body, &html, why)))
		return rc;
	st = store_stmt(tx,
			"INSERT INTO board_post_history (post_id, body, html, written_at,"
			" replaced_at, editor_id) SELECT id, body, html,"
			" coalesce(edited_at, created_at), ?2, ?3 FROM board_posts WHERE id = ?1");
	if (!st) {
		free(html);
		return STORE_EIO;
	}
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_int64(st, 2, who->now);
	sqlite3_bind_int64(st, 3, who->id);
	if ((rc = step_done(tx, st, "board_history_insert"))) {
		free(html);
		return rc;
	}
	/* a held post stays held until approved, whatever the edit removed */
	np->held = p->held || (!np->links_ok && !p->topic.at.moderate);
	st = store_stmt(tx, "UPDATE board_posts SET body = ?2, html = ?3, edited_at = ?4,"
			    " edit_count = edit_count + 1, held = ?5 WHERE id = ?1");
	if (!st) {
		free(html);
		return STORE_EIO;
	}
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_text(st, 2, np->body, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, html, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, who->now);
	sqlite3_bind_int(st, 5, np->held);
	rc = step_done(tx, st, "board_post_update");
	free(html);
	np->post_id = p->id;
	np->topic_id = p->topic.id;
	return rc;
}

/* Remove the words and pictures of posts: one post (post_id) or every post of topic_id. */
static int wipe_posts(struct store_tx *tx, int64_t post_id, int64_t topic_id, int64_t actor,
		      int64_t now)
{
	static const char *const sql[] = {
	    "DELETE FROM board_post_history WHERE post_id IN (SELECT id FROM board_posts"
	    " WHERE id = ?1 OR topic_id = ?2)",
	    "DELETE FROM board_pictures WHERE post_id IN (SELECT id FROM board_posts"
	    " WHERE id = ?1 OR topic_id = ?2)",
	    "UPDATE board_flags SET resolved_at = ?4, resolved_by = ?3, resolution = 'removed'"
	    " WHERE resolved_at IS NULL AND post_id IN (SELECT id FROM board_posts"
	    " WHERE id = ?1 OR topic_id = ?2)",
	    "UPDATE board_posts SET body = '', html = '', deleted_at = coalesce(deleted_at, ?4),"
	    " deleted_by = coalesce(deleted_by, ?3), held = 0 WHERE id = ?1 OR topic_id = ?2",
	};
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < ARRAY_LEN(sql); i++) {
		sqlite3_stmt *st = store_stmt(tx, sql[i]);

		if (!st)
			return STORE_EIO;
		sqlite3_bind_int64(st, 1, post_id);
		sqlite3_bind_int64(st, 2, topic_id);
		sqlite3_bind_int64(st, 3, actor);
		sqlite3_bind_int64(st, 4, now);
		rc = step_done(tx, st, "board_wipe");
	}
	return rc;
}

static int topic_mark_deleted(struct store_tx *tx, int64_t topic_id, int64_t actor, int64_t now)
{
	sqlite3_stmt *st = store_stmt(tx, "UPDATE board_topics SET deleted_at = ?2, deleted_by = ?3"
					  " WHERE id = ?1");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, topic_id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, actor);
	if ((rc = step_done(tx, st, "board_topic_delete")))
		return rc;
	st = store_stmt(tx, "DELETE FROM board_follows WHERE topic_id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, topic_id);
	return step_done(tx, st, "board_topic_unfollow");
}

int board_post_delete(struct store_tx *tx, const struct board_post *p, const struct board_who *who,
		      struct groups_why *why)
{
	sqlite3_stmt *st;
	int64_t others;
	int rc;

	if (p->deleted)
		return STORE_ENOTFOUND;
	if (p->author_id != who->id && !p->topic.at.moderate)
		return groups_refuse(why, 403, "not_allowed", "You can only delete your own posts.",
				     STORE_EFORBIDDEN);
	if ((rc = wipe_posts(tx, p->id, 0, who->id, who->now)))
		return rc;
	/* a topic whose opening post goes, with nothing after it, goes too */
	if (p->id == p->topic.first_post_id) {
		st = store_stmt(tx, "SELECT count(*) FROM board_posts WHERE topic_id = ?"
				    " AND deleted_at IS NULL");
		if (!st)
			return STORE_EIO;
		sqlite3_bind_int64(st, 1, p->topic.id);
		if ((rc = query_int64(tx, st, 0, &others, "board_topic_rest")))
			return rc;
		if ((others == 0 || p->topic.held) &&
		    (rc = topic_mark_deleted(tx, p->topic.id, who->id, who->now)))
			return rc;
	}
	return audit_ids(tx, who->id,
			 p->author_id == who->id ? "board_post_delete" : "board_post_remove",
			 "board_post", p->id, "topic", p->topic.id);
}

int board_post_history(struct store_tx *tx, const struct board_post *p, json_t **out)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT body, html, written_at, replaced_at, editor_id"
					  " FROM board_post_history WHERE post_id = ? ORDER BY id");
	json_t *list = json_array();
	int rc;

	*out = NULL;
	if (!st) {
		json_decref(list);
		return STORE_EIO;
	}
	sqlite3_bind_int64(st, 1, p->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(
		    list, json_pack("{s:s,s:s,s:I,s:I,s:o}", "body",
				    (const char *)sqlite3_column_text(st, 0), "html",
				    (const char *)sqlite3_column_text(st, 1), "written_at",
				    (json_int_t)sqlite3_column_int64(st, 2), "replaced_at",
				    (json_int_t)sqlite3_column_int64(st, 3), "editor_id",
				    col_int_or_null(st, 4)));
	rc = store_check(tx, rc, "board_history");
	sqlite3_reset(st);
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = json_pack("{s:I,s:o}", "post_id", (json_int_t)p->id, "versions", list);
	return 0;
}

int board_post_approve(struct store_tx *tx, const struct board_post *p, const struct board_who *who,
		       struct groups_why *why)
{
	sqlite3_stmt *st;
	int rc;

	if (p->deleted)
		return STORE_ENOTFOUND;
	if (!p->held)
		return groups_refuse(why, 409, "not_held", "This post is not waiting for approval.",
				     STORE_ECONFLICT);
	st = store_stmt(tx, "UPDATE board_posts SET held = 0, published_at = coalesce(published_at,"
			    " ?2), approved_by = ?3 WHERE id = ?1");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_int64(st, 2, who->now);
	sqlite3_bind_int64(st, 3, who->id);
	if ((rc = step_done(tx, st, "board_approve")))
		return rc;
	st = store_stmt(tx, "UPDATE board_topics SET held = 0 WHERE id = ? AND first_post_id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, p->topic.id);
	sqlite3_bind_int64(st, 2, p->id);
	if ((rc = step_done(tx, st, "board_approve_topic")) ||
	    (rc = touch_topic(tx, p->topic.id, who->now)))
		return rc;
	return audit_ids(tx, who->id, "board_post_approve", "board_post", p->id, "topic",
			 p->topic.id);
}

/* ---- topics: moderation and follows ---- */

int board_topic_update(struct store_tx *tx, const struct board_topic *t,
		       const struct board_who *who, int locked, int pinned, int64_t folder_id,
		       struct groups_why *why)
{
	struct board_place dst;
	sqlite3_stmt *st;
	char detail[128];
	int rc;

	(void)why;
	if (folder_id > 0) {
		/* a topic moves only within its own place: anything else is "no such folder" */
		if ((rc = board_place_folder(tx, folder_id, who, &dst)))
			return rc;
		if (dst.group_id != t->at.group_id || !dst.moderate)
			return STORE_ENOTFOUND;
	}
	st = store_stmt(tx,
			"UPDATE board_topics SET"
			" locked = CASE WHEN ?2 >= 0 THEN ?2 ELSE locked END,"
			" pinned = CASE WHEN ?3 >= 0 THEN ?3 ELSE pinned END,"
			" folder_id = CASE WHEN ?4 > 0 THEN ?4 ELSE folder_id END WHERE id = ?1");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, t->id);
	sqlite3_bind_int(st, 2, locked);
	sqlite3_bind_int(st, 3, pinned);
	sqlite3_bind_int64(st, 4, folder_id);
	if ((rc = step_done(tx, st, "board_topic_update")))
		return rc;
	snprintf(detail, sizeof detail, "{\"locked\":%d,\"pinned\":%d,\"folder\":%lld}", locked,
		 pinned, (long long)folder_id);
	return audit_append(tx, who->id, "board_topic_update", "board_topic", t->id, detail);
}

int board_topic_delete(struct store_tx *tx, const struct board_topic *t,
		       const struct board_who *who)
{
	int rc = wipe_posts(tx, 0, t->id, who->id, who->now);

	if (rc == 0)
		rc = topic_mark_deleted(tx, t->id, who->id, who->now);
	if (rc == 0)
		rc = audit_ids(tx, who->id, "board_topic_delete", "board_topic", t->id, "folder",
			       t->at.folder_id);
	return rc;
}

int board_follow(struct store_tx *tx, const struct board_topic *t, const struct board_who *who,
		 int on)
{
	sqlite3_stmt *st;

	if (on)
		return follow_set(tx, who->id, t->id, who->now);
	st = store_stmt(tx, "DELETE FROM board_follows WHERE user_id = ? AND topic_id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, who->id);
	sqlite3_bind_int64(st, 2, t->id);
	return step_done(tx, st, "board_unfollow");
}

/* ---- pictures ---- */

int board_picture_put(struct store_tx *tx, const struct board_post *p, const struct board_who *who,
		      const void *data, size_t len, const char *mime, uint32_t width,
		      uint32_t height, struct groups_why *why)
{
	sqlite3_stmt *st;
	int64_t count, bytes;
	int rc;

	if (p->deleted)
		return STORE_ENOTFOUND;
	if (p->author_id != who->id)
		return groups_refuse(why, 403, "not_author",
				     "You can only add a picture to your own post.",
				     STORE_EFORBIDDEN);
	st = store_stmt(tx, "SELECT count(*), coalesce(sum(bytes), 0) FROM board_pictures"
			    " WHERE post_id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, p->id);
	rc = sqlite3_step(st);
	count = sqlite3_column_int64(st, 0);
	bytes = sqlite3_column_int64(st, 1);
	rc = store_check(tx, rc, "board_pictures_sum");
	sqlite3_reset(st);
	if (rc)
		return rc;
	if (count >= BOARD_PICTURES_PER_POST)
		return groups_refuse(why, 409, "picture_limit",
				     "A post can have one picture. Please remove the one it has"
				     " first.",
				     STORE_ECONFLICT);
	if (bytes + (int64_t)len > BOARD_PICTURES_POST_MAX)
		return groups_refuse(why, 413, "too_large",
				     "A post can have at most 192 KiB of pictures.",
				     STORE_ECONFLICT);
	st = store_stmt(tx, "INSERT INTO board_pictures (post_id, mime, bytes, width, height, data,"
			    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_text(st, 2, mime, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)len);
	sqlite3_bind_int64(st, 4, width);
	sqlite3_bind_int64(st, 5, height);
	sqlite3_bind_blob(st, 6, data, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, who->now);
	return step_done(tx, st, "board_picture_insert");
}

int board_picture_get(struct store_tx *tx, const struct board_post *p, char **data, size_t *len,
		      char *mime, size_t mimelen)
{
	sqlite3_stmt *st;
	int rc;

	*data = NULL;
	*len = 0;
	if (p->deleted)
		return STORE_ENOTFOUND;
	st = store_stmt(tx, "SELECT data, mime FROM board_pictures WHERE post_id = ?"
			    " ORDER BY id LIMIT 1");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, p->id);
	if ((rc = step_row(tx, st, "board_picture")))
		return rc;
	*len = (size_t)sqlite3_column_bytes(st, 0);
	*data = xmalloc(*len + 1);
	memcpy(*data, sqlite3_column_blob(st, 0), *len);
	snprintf(mime, mimelen, "%s", (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	return 0;
}

int board_picture_delete(struct store_tx *tx, const struct board_post *p,
			 const struct board_who *who, struct groups_why *why)
{
	sqlite3_stmt *st;

	if (p->deleted)
		return STORE_ENOTFOUND;
	if (p->author_id != who->id && !p->topic.at.moderate)
		return groups_refuse(why, 403, "not_author",
				     "You can only remove pictures from your own posts.",
				     STORE_EFORBIDDEN);
	st = store_stmt(tx, "DELETE FROM board_pictures WHERE post_id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, p->id);
	return step_done(tx, st, "board_picture_delete");
}

/* ---- flags and blocks ---- */

int board_flag(struct store_tx *tx, const struct board_post *p, const struct board_who *who,
	       const char *reason, json_t **out, struct groups_why *why)
{
	sqlite3_stmt *st;
	int64_t id;
	int rc;

	*out = NULL;
	if (p->deleted)
		return STORE_ENOTFOUND;
	st = store_stmt(tx, "INSERT INTO board_flags (post_id, reporter_id, reason, created_at)"
			    " VALUES (?, ?, ?, ?)");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_int64(st, 2, who->id);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, who->now);
	rc = step_done(tx, st, "board_flag");
	if (rc == STORE_ECONFLICT)
		return groups_refuse(why, 409, "already_flagged",
				     "You have already flagged this post. A facilitator will look"
				     " at it.",
				     STORE_ECONFLICT);
	if (rc)
		return rc;
	id = sqlite3_last_insert_rowid(store_db(tx));
	if ((rc = audit_ids(tx, who->id, "board_flag", "board_post", p->id, "flag", id)))
		return rc;
	*out = json_pack("{s:I,s:I,s:I}", "id", (json_int_t)id, "post_id", (json_int_t)p->id,
			 "created_at", (json_int_t)who->now);
	return 0;
}

int board_flag_resolve(struct store_tx *tx, int64_t flag_id, const struct board_who *who,
		       struct groups_why *why)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT post_id FROM board_flags WHERE id = ?"
					  " AND resolved_at IS NULL");
	struct board_post p;
	int64_t post_id;
	int rc;

	(void)why;
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, flag_id);
	if ((rc = query_int64(tx, st, 0, &post_id, "board_flag_find")))
		return rc;
	/* a flag outside the places one moderates does not exist for them */
	if (!post_id || board_post_get(tx, post_id, who, &p) || !p.topic.at.moderate)
		return STORE_ENOTFOUND;
	st = store_stmt(tx, "UPDATE board_flags SET resolved_at = ?2, resolved_by = ?3,"
			    " resolution = 'dismissed' WHERE id = ?1");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, flag_id);
	sqlite3_bind_int64(st, 2, who->now);
	sqlite3_bind_int64(st, 3, who->id);
	if ((rc = step_done(tx, st, "board_flag_resolve")))
		return rc;
	return audit_ids(tx, who->id, "board_flag_resolve", "board_flag", flag_id, "post", post_id);
}

int board_block(struct store_tx *tx, const struct board_place *at, const struct board_who *who,
		int64_t user_id, int on)
{
	sqlite3_stmt *st;
	int64_t found;
	int rc;

	if (at->group_id > 0)
		st = store_stmt(tx, "SELECT 1 FROM memberships WHERE group_id = ?1 AND user_id = ?2"
				    " AND ended_at IS NULL");
	else
		st = store_stmt(tx, "SELECT 1 FROM users WHERE ?1 = 0 AND id = ?2"
				    " AND erased_at IS NULL");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, at->group_id);
	sqlite3_bind_int64(st, 2, user_id);
	if ((rc = query_int64(tx, st, 0, &found, "board_block_target")))
		return rc;
	if (!found)
		return STORE_ENOTFOUND;
	if (on)
		st =
		    store_stmt(tx, "INSERT OR IGNORE INTO board_blocks (scope, user_id, blocked_by,"
				   " created_at) VALUES (?1, ?2, ?3, ?4)");
	else
		st = store_stmt(tx, "DELETE FROM board_blocks WHERE scope = ?1 AND user_id = ?2");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, at->group_id);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, who->id);
	sqlite3_bind_int64(st, 4, who->now);
	if ((rc = step_done(tx, st, "board_block")))
		return rc;
	return audit_ids(tx, who->id, on ? "board_block" : "board_unblock", "user", user_id,
			 "group", at->group_id);
}

/* ---- the dashboard ---- */

/* Run st (bound by the caller) and append build(st) for each row to a new array. */
static int rows_json(struct store_tx *tx, sqlite3_stmt *st, json_t *(*build)(sqlite3_stmt *),
		     json_t **out, const char *what)
{
	json_t *list = json_array();
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, build(st));
	rc = store_check(tx, rc, what);
	sqlite3_reset(st);
	if (rc) {
		json_decref(list);
		list = NULL;
	}
	*out = list;
	return rc;
}

static json_t *unanswered_row(sqlite3_stmt *st)
{
	return json_pack("{s:I,s:I,s:s,s:o,s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			 "folder_id", (json_int_t)sqlite3_column_int64(st, 1), "subject",
			 (const char *)sqlite3_column_text(st, 2), "author", person_json(st, 3, 4),
			 "created_at", (json_int_t)sqlite3_column_int64(st, 5));
}

static json_t *quiet_row(sqlite3_stmt *st)
{
	return json_pack("{s:I,s:s?,s:I,s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			 "name", (const char *)sqlite3_column_text(st, 1), "member_since",
			 (json_int_t)sqlite3_column_int64(st, 2), "last_post_at",
			 col_int_or_null(st, 3));
}

static json_t *flag_row(sqlite3_stmt *st)
{
	return json_pack(
	    "{s:I,s:I,s:I,s:s,s:s,s:o,s:I,s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
	    "post_id", (json_int_t)sqlite3_column_int64(st, 1), "topic_id",
	    (json_int_t)sqlite3_column_int64(st, 2), "subject",
	    (const char *)sqlite3_column_text(st, 3), "reason",
	    (const char *)sqlite3_column_text(st, 4), "reporter", person_json(st, 5, 6),
	    "created_at", (json_int_t)sqlite3_column_int64(st, 7), "author", person_json(st, 8, 9));
}

static json_t *held_row(sqlite3_stmt *st)
{
	return json_pack("{s:I,s:I,s:s,s:o,s:I,s:s,s:s}", "id",
			 (json_int_t)sqlite3_column_int64(st, 0), "topic_id",
			 (json_int_t)sqlite3_column_int64(st, 1), "subject",
			 (const char *)sqlite3_column_text(st, 2), "author", person_json(st, 3, 4),
			 "created_at", (json_int_t)sqlite3_column_int64(st, 5), "body",
			 (const char *)sqlite3_column_text(st, 6), "html",
			 (const char *)sqlite3_column_text(st, 7));
}

static json_t *blocked_row(sqlite3_stmt *st)
{
	return json_pack("{s:I,s:s?,s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0), "name",
			 (const char *)sqlite3_column_text(st, 1), "since",
			 (json_int_t)sqlite3_column_int64(st, 2));
}

#define IN_PLACE                                                                                   \
	" JOIN board_topics t ON t.id = p.topic_id JOIN board_folders f ON f.id = t.folder_id"

int board_dashboard(struct store_tx *tx, const struct board_place *at, const struct board_who *who,
		    int unanswered_days, json_t **out)
{
	json_t *unanswered = NULL, *quiet = NULL, *flags = NULL, *held = NULL, *blocked = NULL;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	st = store_stmt(
	    tx,
	    "SELECT t.id, t.folder_id, t.subject, t.author_id, " ACCT_NAME_SQL(
		"u") ","
		     " t.created_at FROM board_topics t JOIN board_folders f ON f.id = t.folder_id"
		     " JOIN users u ON u.id = t.author_id WHERE f.group_id IS ?1"
		     " AND t.deleted_at IS NULL AND t.held = 0 AND t.created_at <= ?2"
		     " AND NOT EXISTS (SELECT 1 FROM board_posts p WHERE p.topic_id = t.id"
		     " AND p.author_id != t.author_id AND p.held = 0 AND p.deleted_at IS NULL)"
		     " ORDER BY t.created_at LIMIT ?3");
	if (!st)
		return STORE_EIO;
	bind_group(st, 1, at->group_id);
	sqlite3_bind_int64(st, 2, who->now - unanswered_days * BOARD_DAY_MS);
	sqlite3_bind_int(st, 3, DASH_MAX);
	if ((rc = rows_json(tx, st, unanswered_row, &unanswered, "board_dash_unanswered")))
		goto fail;
	st = store_stmt(
	    tx, "SELECT * FROM (SELECT m.user_id, " ACCT_NAME_SQL(
		    "u") " AS name, m.started_at,"
			 " (SELECT max(p.created_at) FROM board_posts p" IN_PLACE
			 " WHERE p.author_id = m.user_id AND f.group_id = ?1) AS last_post"
			 " FROM memberships m JOIN users u ON u.id = m.user_id"
			 " WHERE ?1 IS NOT NULL AND m.group_id = ?1 AND m.ended_at IS NULL)"
			 " WHERE coalesce(last_post, started_at) <= ?2 ORDER BY user_id LIMIT ?3");
	if (!st) {
		rc = STORE_EIO;
		goto fail;
	}
	bind_group(st, 1, at->group_id);
	sqlite3_bind_int64(st, 2, who->now - BOARD_QUIET_DAYS * BOARD_DAY_MS);
	sqlite3_bind_int(st, 3, DASH_MAX);
	if ((rc = rows_json(tx, st, quiet_row, &quiet, "board_dash_quiet")))
		goto fail;
	st = store_stmt(
	    tx,
	    "SELECT fl.id, fl.post_id, p.topic_id, t.subject, fl.reason,"
	    " fl.reporter_id, " ACCT_NAME_SQL("r") ", fl.created_at, p.author_id, " ACCT_NAME_SQL(
		"a") " FROM board_flags fl"
		     " JOIN board_posts p ON p.id = fl.post_id" IN_PLACE
		     " JOIN users r ON r.id = fl.reporter_id JOIN users a ON a.id = p.author_id"
		     " WHERE fl.resolved_at IS NULL AND f.group_id IS ?1"
		     " AND t.deleted_at IS NULL ORDER BY fl.id LIMIT ?2");
	if (!st) {
		rc = STORE_EIO;
		goto fail;
	}
	bind_group(st, 1, at->group_id);
	sqlite3_bind_int(st, 2, DASH_MAX);
	if ((rc = rows_json(tx, st, flag_row, &flags, "board_dash_flags")))
		goto fail;
	st = store_stmt(
	    tx, "SELECT p.id, p.topic_id, t.subject, p.author_id, " ACCT_NAME_SQL(
		    "u") ", p.created_at, p.body, p.html FROM board_posts p" IN_PLACE
			 " JOIN users u ON u.id = p.author_id WHERE p.held = 1"
			 " AND p.deleted_at IS NULL AND t.deleted_at IS NULL AND f.group_id IS ?1"
			 " ORDER BY p.id LIMIT ?2");
	if (!st) {
		rc = STORE_EIO;
		goto fail;
	}
	bind_group(st, 1, at->group_id);
	sqlite3_bind_int(st, 2, DASH_MAX);
	if ((rc = rows_json(tx, st, held_row, &held, "board_dash_held")))
		goto fail;
	st = store_stmt(
	    tx, "SELECT b.user_id, " ACCT_NAME_SQL(
		    "u") ", b.created_at FROM"
			 " board_blocks b JOIN users u ON u.id = b.user_id WHERE b.scope = ?"
			 " ORDER BY b.user_id");
	if (!st) {
		rc = STORE_EIO;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, at->group_id);
	if ((rc = rows_json(tx, st, blocked_row, &blocked, "board_dash_blocked")))
		goto fail;
	*out = json_pack("{s:o,s:i,s:o,s:i,s:o,s:o,s:o,s:o}", "group_id",
			 json_id_or_null(at->group_id), "unanswered_days", unanswered_days,
			 "unanswered", unanswered, "quiet_days", BOARD_QUIET_DAYS, "quiet_members",
			 quiet, "flags", flags, "held", held, "blocked", blocked);
	return 0;
fail:
	json_decref(unanswered);
	json_decref(quiet);
	json_decref(flags);
	json_decref(held);
	json_decref(blocked);
	return rc;
}

/* ---- whom to tell ---- */

static int collect_ids(struct store_tx *tx, sqlite3_stmt *st, size_t max, int64_t **ids, size_t *n,
		       const char *what)
{
	int rc;

	*ids = xcalloc(max ? max : 1, sizeof **ids);
	*n = 0;
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	rc = *n < max ? store_check(tx, rc, what) : 0;
	sqlite3_reset(st);
	return rc;
}

int board_followers(struct store_tx *tx, const struct board_topic *t, int64_t except_user,
		    size_t max, int64_t **ids, size_t *n)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT b.user_id FROM board_follows b JOIN users u ON u.id = b.user_id"
		" WHERE b.topic_id = ?1 AND b.user_id != ?2 AND u.erased_at IS NULL AND (?3 = 0"
		" OR EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = ?3"
		"  AND m.user_id = b.user_id AND m.ended_at IS NULL)"
		" OR (u.role IN ('facilitator', 'manager') AND EXISTS (SELECT 1 FROM"
		"  group_facilitators gf WHERE gf.group_id = ?3 AND gf.user_id = b.user_id)))"
		" ORDER BY b.user_id");

	*ids = NULL;
	*n = 0;
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, t->id);
	sqlite3_bind_int64(st, 2, except_user);
	sqlite3_bind_int64(st, 3, t->at.group_id);
	return collect_ids(tx, st, max, ids, n, "board_followers");
}

int board_crisis_alert(struct store_tx *tx, const struct board_topic *t, int64_t post_id,
		       int64_t author_id, size_t max, int64_t **ids, size_t *n)
{
	sqlite3_stmt *st;
	char detail[96];
	int rc;

	*ids = NULL;
	*n = 0;
	snprintf(detail, sizeof detail, "{\"group\":%lld,\"topic\":%lld}",
		 (long long)t->at.group_id, (long long)t->id);
	if ((rc = audit_append(tx, author_id, "crisis_alert", "board_post", post_id, detail)))
		return rc;
	st = store_stmt(tx, "SELECT u.id FROM users u WHERE u.erased_at IS NULL AND u.id != ?2"
			    " AND (u.role = 'manager' OR (u.role = 'facilitator' AND EXISTS"
			    " (SELECT 1 FROM group_facilitators gf WHERE gf.group_id = ?1"
			    " AND gf.user_id = u.id))) ORDER BY u.id");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, t->at.group_id);
	sqlite3_bind_int64(st, 2, author_id);
	return collect_ids(tx, st, max, ids, n, "board_alert_to");
}

/* ---- the daily digest ---- */

static int digest_one(struct store_tx *tx, int64_t user_id, int64_t since, int64_t now, int *sent)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT t.subject, count(*) FROM board_posts p" IN_PLACE
		" WHERE f.group_id IN (SELECT group_id FROM memberships WHERE user_id = ?1"
		" AND ended_at IS NULL) AND p.published_at > ?2 AND p.published_at <= ?3"
		" AND p.held = 0 AND p.deleted_at IS NULL AND t.deleted_at IS NULL AND t.held = 0"
		" AND p.author_id != ?1 GROUP BY t.id ORDER BY max(p.published_at) DESC LIMIT ?4");
	struct buf body;
	int rc, topics = 0;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int(st, 4, DIGEST_TOPICS + 1);
	buf_init(&body, 0);
	buf_puts(&body, "Hello,\n\nThere are new posts on your group's message boards in Hearth"
			" since your last digest:\n\n");
	/* subjects and counts only: what was said stays in Hearth */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t k = sqlite3_column_int64(st, 1);

		if (++topics > DIGEST_TOPICS) {
			buf_puts(&body, "  - and more topics\n");
			break;
		}
		buf_printf(&body, "  - \"%s\": %lld new post%s\n",
			   (const char *)sqlite3_column_text(st, 0), (long long)k,
			   k == 1 ? "" : "s");
	}
	rc = store_check(tx, rc, "board_digest_topics");
	sqlite3_reset(st);
	if (rc == 0 && topics > 0) {
		buf_puts(&body, "\nSign in to Hearth to read them.\n\nYou get this e-mail at most"
				" once a day. To stop it, turn off the daily digest in your"
				" Hearth settings.\n");
		rc = mail_enqueue(tx, user_id, "board_digest",
				  "New posts on your Hearth group's boards", body.data);
		if (rc == 0)
			(*sent)++;
	}
	buf_free(&body);
	if (rc)
		return rc;
	st = store_stmt(tx,
			"INSERT INTO board_digests (user_id, last_run_at) VALUES (?1, ?2)"
			" ON CONFLICT (user_id) DO UPDATE SET last_run_at = excluded.last_run_at");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, now);
	return step_done(tx, st, "board_digest_mark");
}

int board_digest_pass(struct store_tx *tx, int64_t now, int max, int *sent)
{
	sqlite3_stmt *st = store_stmt(
	    tx,
	    "SELECT DISTINCT m.user_id, d.last_run_at FROM memberships m"
	    " JOIN users u ON u.id = m.user_id LEFT JOIN board_digests d ON d.user_id = m.user_id"
	    " WHERE m.ended_at IS NULL AND u.erased_at IS NULL AND u.digest_opt_out = 0"
	    " AND (d.last_run_at IS NULL OR d.last_run_at <= ?1) ORDER BY m.user_id LIMIT ?2");
	int64_t *ids, *since;
	size_t n = 0;
	int rc;

	*sent = 0;
	if (!st)
		return STORE_EIO;
	if (max <= 0)
		return 0;
	sqlite3_bind_int64(st, 1, now - BOARD_DAY_MS);
	sqlite3_bind_int(st, 2, max);
	ids = xcalloc((size_t)max, sizeof *ids);
	since = xcalloc((size_t)max, sizeof *since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids[n] = sqlite3_column_int64(st, 0);
		/* a first digest covers the last day, not everything ever written */
		since[n++] = sqlite3_column_type(st, 1) == SQLITE_NULL
				 ? now - BOARD_DAY_MS
				 : sqlite3_column_int64(st, 1);
	}
	rc = store_check(tx, rc, "board_digest_due");
	sqlite3_reset(st);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = digest_one(tx, ids[i], since[i], now, sent);
	free(ids);
	free(since);
	return rc;
}

/* ---- erasure ---- */

/*
 * What an erased person leaves on the boards: their published posts stay,
 * because replies and quotes answer them, but read "Former member"
 * (ACCT_NAME_SQL) and lose the signature (acct_erase clears it). Everything
 * else that is theirs goes: the earlier versions of their posts, the
 * pictures they attached (a picture may show them or their home, and
 * cannot be reviewed for that), posts still waiting for approval (nobody
 * else has seen them), and their follows, visits, digest and block rows.
 */
/* One stored text (a post or a past version of one) whose quote heading to rewrite. */
struct quoted_text {
	int64_t id, quote_of;
	char *body;
};

/*
 * A quote's first line, as md_quote() writes it, names the quoted author:
 * "> **Name** wrote ([#post-N](/boards/posts/N)):". After that author's
 * erasure it must read "Former member" like everywhere else. The new
 * heading is made by md_quote() itself so that the two cannot drift apart;
 * the rest of the text, and the words quoted, stay as they are.
 */
static int rewrite_quote_heading(struct quoted_text *q, char **body, char **html)
{
	char *fresh = NULL, *nl, *eol;
	size_t html_len;
	int rc;

	if (strncmp(q->body, "> **", 4) || !(eol = strchr(q->body, '\n')))
		return -1; /* no heading of ours: nothing to rewrite */
	if (md_quote("-", 1, "Former member", q->quote_of, &fresh) != MD_OK)
		return -1;
	nl = strchr(fresh, '\n');
	*body = xasprintf("%.*s%s", (int)(nl ? nl - fresh : (ptrdiff_t)strlen(fresh)), fresh, eol);
	free(fresh);
	rc = md_render(*body, strlen(*body), html, &html_len);
	if (rc != MD_OK) {
		free(*body);
		*body = NULL;
		return -1;
	}
	return 0;
}

/* Rewrite the quote headings in `table` (board_posts or board_post_history) for
 * every text quoting a post of user_id. */
static int rename_quotes_in(struct store_tx *tx, int64_t user_id, int history)
{
	sqlite3_stmt *st;
	struct quoted_text *v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	st = history ? store_stmt(tx, "SELECT h.id, q.quote_of, h.body FROM board_post_history h"
				      " JOIN board_posts q ON q.id = h.post_id JOIN board_posts p"
				      " ON p.id = q.quote_of WHERE p.author_id = ?")
		     : store_stmt(tx, "SELECT q.id, q.quote_of, q.body FROM board_posts q"
				      " JOIN board_posts p ON p.id = q.quote_of"
				      " WHERE p.author_id = ? AND q.author_id != p.author_id");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[n].id = sqlite3_column_int64(st, 0);
		v[n].quote_of = sqlite3_column_int64(st, 1);
		v[n++].body = xstrdup((const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < n; i++) {
		char *body, *html;

		if (rc == 0 && rewrite_quote_heading(&v[i], &body, &html) == 0) {
			st = history ? store_stmt(tx, "UPDATE board_post_history SET body = ?, html = ?"
						      " WHERE id = ?")
				     : store_stmt(tx, "UPDATE board_posts SET body = ?, html = ?"
						      " WHERE id = ?");
			if (!st) {
				rc = STORE_EIO;
			} else {
				sqlite3_bind_text(st, 1, body, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(st, 2, html, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int64(st, 3, v[i].id);
				rc = step_done(tx, st, "board_erase_quote");
			}
			free(body);
			free(html);
		}
		free(v[i].body);
	}
	free(v);
	return rc;
}

int board_erase_user(struct store_tx *tx, int64_t user_id)
{
	static const char *const sql[] = {
	    "DELETE FROM board_post_history WHERE post_id IN (SELECT id FROM board_posts"
	    " WHERE author_id = ?1)",
	    "DELETE FROM board_pictures WHERE post_id IN (SELECT id FROM board_posts"
	    " WHERE author_id = ?1)",
	    "UPDATE board_topics SET deleted_at = ?2 WHERE author_id = ?1 AND held = 1"
	    " AND deleted_at IS NULL",
	    "UPDATE board_posts SET body = '', html = '', deleted_at = ?2, held = 0"
	    " WHERE author_id = ?1 AND held = 1",
	    "DELETE FROM board_follows WHERE user_id = ?1",
	    "DELETE FROM board_visits WHERE user_id = ?1",
	    "DELETE FROM board_digests WHERE user_id = ?1",
	    "DELETE FROM board_blocks WHERE user_id = ?1",
	};
	int64_t now = 0;
	sqlite3_stmt *st = store_stmt(tx, "SELECT erased_at FROM users WHERE id = ?");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	if ((rc = query_int64(tx, st, 0, &now, "board_erase_time")))
		return rc;
	for (size_t i = 0; rc == 0 && i < ARRAY_LEN(sql); i++) {
		st = store_stmt(tx, sql[i]);
		if (!st)
			return STORE_EIO;
		sqlite3_bind_int64(st, 1, user_id);
		sqlite3_bind_int64(st, 2, now);
		rc = step_done(tx, st, "board_erase");
	}
	if (rc == 0)
		rc = rename_quotes_in(tx, user_id, 0);
	if (rc == 0)
		rc = rename_quotes_in(tx, user_id, 1);
	return rc;
}
