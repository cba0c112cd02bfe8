/*
 * boards.h — message boards: topic folders, topics, posts, pictures,
 * follows, flags, blocks, the facilitators' dashboard and the daily
 * digest; the SQL behind the routes of boards_http.c.
 *
 * Where things live (migration 6): every group has topic folders
 * (board_folders.group_id set; three defaults made the first time they are
 * listed), and there are two site-wide boards seeded by the migration
 * (group_id NULL): "Conversations", which every logged-in user reads and
 * posts in, and "Ask a specialist", where anyone asks and only
 * facilitators (or the asker) reply.
 *
 * Who may do what ("a place" = a folder's group or the site boards):
 *   read      group: its active members and facilitators (groups_access);
 *             site: everyone logged in. Managers get no group content.
 *   moderate  group: its facilitators; site: any facilitator or manager.
 *   post      readers not blocked in that place; a locked topic takes
 *             posts from moderators only.
 * A held post (a link outside the allow-list) is seen only by its author
 * and the place's moderators until approved; a topic whose first post is
 * held is itself held. Anything the caller may not read — another group's
 * folder, a deleted topic, someone else's held post — is reported exactly
 * as a missing one: STORE_ENOTFOUND, which the routes answer 404.
 *
 * Every function taking a struct store_tx runs inside a store job and
 * returns 0 or a negative store_err; refusals the user should read also
 * fill a struct groups_why (status, code, sentence). JSON results are new
 * references owned by the caller.
 */
#ifndef HEARTH_BOARDS_H
#define HEARTH_BOARDS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "groups.h"
#include "store.h"

struct server;

enum board_kind { BOARD_GROUP = 0, BOARD_CONVERSATIONS, BOARD_SPECIALIST };

#define BOARD_SUBJECT_MIN 3	   /* code points, after trimming */
#define BOARD_SUBJECT_MAX 120	   /* code points */
#define BOARD_BODY_MAX (16 * 1024) /* bytes a person may type; a quote may add as much */
#define BOARD_FOLDER_NAME_MAX 60   /* code points */
#define BOARD_FOLDERS_MAX 30	   /* per group */
#define BOARD_REASON_MAX 500	   /* code points of a flag's reason */
#define BOARD_PER_PAGE 20
#define BOARD_PER_PAGE_MAX 100
#define BOARD_PAGE_MAX 100000
#define BOARD_PICTURE_MAX (128 * 1024)	     /* bytes per picture */
#define BOARD_PICTURES_POST_MAX (192 * 1024) /* bytes of pictures per post */
#define BOARD_PICTURES_PER_POST 1
#define BOARD_DUP_WINDOW_MS (10 * 60 * 1000) /* the same body again within this is refused */
#define BOARD_QUIET_DAYS 7		     /* members not posting this long are listed */
#define BOARD_DAY_MS INT64_C(86400000)

/* The caller of a job: who, their account role (enum acct_role), and "now". */
struct board_who {
	int64_t id;
	int role;
	int64_t now;
};

/* A place on the boards and the caller's rights in it. */
struct board_place {
	int64_t folder_id; /* 0 when the place was found from a group */
	int64_t group_id;  /* 0: the site-wide boards */
	enum board_kind kind;
	int moderate; /* the caller moderates this place */
	int blocked;  /* the caller may not post here */
};

/* A topic the caller may see, with its place. */
struct board_topic {
	struct board_place at;
	int64_t id, author_id, first_post_id;
	int locked, pinned, held;
	char subject[BOARD_SUBJECT_MAX * 4 + 1];
};

/* A post the caller may see, with its topic. */
struct board_post {
	struct board_topic topic;
	int64_t id, author_id;
	int held, deleted;
};

/* ---- pure checks (any thread) ---- */

/*
 * Validation of what a person types. Each returns 0, or -1 with why (400)
 * filled. A subject is trimmed into out (at least BOARD_SUBJECT_MAX*4+1
 * bytes); bodies are checked as given (not blank, valid UTF-8, at most
 * MD_MAX_INPUT bytes — the caller caps new text at BOARD_BODY_MAX first).
 */
int board_check_subject(const char *s, char *out, size_t outlen, struct groups_why *why);
int board_check_body(const char *s, struct groups_why *why);
int board_check_folder_name(const char *s, struct groups_why *why);
int board_check_reason(const char *s, struct groups_why *why);

/* "group" | "conversations" | "specialist". */
const char *board_kind_name(int kind);

/* ---- finding things (store thread) ---- */

/* The place of group_id for the caller: STORE_ENOTFOUND if no such group or no read access. */
int board_place_group(struct store_tx *tx, int64_t group_id, const struct board_who *who,
		      struct board_place *at);
/* The site-wide boards for the caller: staff moderate them; others may be blocked. */
int board_place_site(struct store_tx *tx, const struct board_who *who, struct board_place *at);
/* The place of a folder: STORE_ENOTFOUND if none or not readable. */
int board_place_folder(struct store_tx *tx, int64_t folder_id, const struct board_who *who,
		       struct board_place *at);
/* A topic: STORE_ENOTFOUND if none, deleted, unreadable, or held and not the caller's. */
int board_topic_get(struct store_tx *tx, int64_t topic_id, const struct board_who *who,
		    struct board_topic *t);
/* A post: STORE_ENOTFOUND as for its topic, or when held and neither the caller's nor moderated. */
int board_post_get(struct store_tx *tx, int64_t post_id, const struct board_who *who,
		   struct board_post *p);

/* May the caller post in topic t? 0, or -1 with why (403 blocked / not_specialist, 409 locked). */
int board_may_reply(const struct board_topic *t, const struct board_who *who,
		    struct groups_why *why);

/* ---- folders ---- */

/*
 * The folders of a place (a group's, made lazily with the defaults, or the
 * site boards when at->group_id is 0), each with its topic count, the
 * topics with posts since the caller's last visit and that visit's time.
 */
int board_folders_list(struct store_tx *tx, const struct board_place *at,
		       const struct board_who *who, json_t **out);
/* A moderator adds a folder to a group (409 too_many_folders past BOARD_FOLDERS_MAX). */
int board_folder_add(struct store_tx *tx, const struct board_place *at, const struct board_who *who,
		     const char *name, json_t **out, struct groups_why *why);
/* Rename (name not NULL) and/or re-order (position >= 0) a group's folder. */
int board_folder_update(struct store_tx *tx, const struct board_place *at,
			const struct board_who *who, const char *name, int64_t position,
			json_t **out);

/* ---- topics and posts ---- */

/*
 * One page of a folder's topics (pinned first, then newest activity), each
 * marked `new` when someone else posted since the caller's last visit,
 * which becomes now.
 */
int board_topics_page(struct store_tx *tx, const struct board_place *at,
		      const struct board_who *who, int page, int per_page, json_t **out);
/* A topic and one page of its posts, oldest first. */
int board_topic_show(struct store_tx *tx, const struct board_topic *t, const struct board_who *who,
		     int page, int per_page, json_t **out);
/* One post as the caller sees it. */
int board_post_json(struct store_tx *tx, int64_t post_id, const struct board_who *who,
		    json_t **out);

/*
 * A new post (and, with subject set, a new topic). The loop thread has
 * already masked body and decided crisis and links_ok from it; the job adds
 * the quote, renders, and decides whether the post is held (links_ok == 0
 * and the author does not moderate the place). All strings are borrowed.
 */
struct board_new_post {
	const char *subject;	/* new topic: its trimmed subject; NULL for a reply */
	const char *body;	/* the author's own text, masked */
	int crisis;		/* body contains a crisis phrase */
	int links_ok;		/* every link of body is on the allow-list */
	int64_t quote_post;	/* 0, or a post of the same topic to quote */
	const char *quote_text; /* part of that post's source; NULL: all of it */
	/* out */
	int64_t topic_id, post_id;
	int held;
};
/* Create a topic with its first post in the place of folder at (409 duplicate_post, 403 blocked).
 */
int board_topic_create(struct store_tx *tx, const struct board_place *at,
		       const struct board_who *who, struct board_new_post *np,
		       struct groups_why *why);
/* Reply in topic t (403/409 as board_may_reply, 409 duplicate_post, 404 quote not found). */
int board_reply(struct store_tx *tx, const struct board_topic *t, const struct board_who *who,
		struct board_new_post *np, struct groups_why *why);
/*
 * The author edits post p: the old version goes to the history, the post
 * is marked edited, and it is held (again) if links_ok is 0 and the author
 * does not moderate. 403 not_author, 409 topic_locked.
 */
int board_post_edit(struct store_tx *tx, const struct board_post *p, const struct board_who *who,
		    struct board_new_post *np, struct groups_why *why);
/* The author or a moderator deletes p: its text, history and pictures go; a tombstone stays. */
int board_post_delete(struct store_tx *tx, const struct board_post *p, const struct board_who *who,
		      struct groups_why *why);
/* Moderators: earlier versions of p. */
int board_post_history(struct store_tx *tx, const struct board_post *p, json_t **out);
/* A moderator approves held post p (409 not_held); a held topic's first post frees the topic. */
int board_post_approve(struct store_tx *tx, const struct board_post *p, const struct board_who *who,
		       struct groups_why *why);

/*
 * Moderators change a topic: locked/pinned (-1: unchanged) and folder_id
 * (0: unchanged; another group's folder or a site folder for a group topic
 * is STORE_ENOTFOUND). Audited.
 */
int board_topic_update(struct store_tx *tx, const struct board_topic *t,
		       const struct board_who *who, int locked, int pinned, int64_t folder_id,
		       struct groups_why *why);
/* A moderator deletes topic t with all its posts' text and pictures. Audited. */
int board_topic_delete(struct store_tx *tx, const struct board_topic *t,
		       const struct board_who *who);
/* Follow (on 1) or stop following topic t. */
int board_follow(struct store_tx *tx, const struct board_topic *t, const struct board_who *who,
		 int on);

/* ---- pictures ---- */

/*
 * Attach a picture (already checked by media_probe: mime, width, height) to
 * the caller's post p: 403 not_author, 409 picture_limit (one per post or
 * BOARD_PICTURES_POST_MAX bytes per post).
 */
int board_picture_put(struct store_tx *tx, const struct board_post *p, const struct board_who *who,
		      const void *data, size_t len, const char *mime, uint32_t width,
		      uint32_t height, struct groups_why *why);
/* The post's picture: *data (owned by the caller, free()) and its type; STORE_ENOTFOUND if none. */
int board_picture_get(struct store_tx *tx, const struct board_post *p, char **data, size_t *len,
		      char *mime, size_t mimelen);
/* The author (or a moderator) removes the post's pictures. */
int board_picture_delete(struct store_tx *tx, const struct board_post *p,
			 const struct board_who *who, struct groups_why *why);

/* ---- moderation ---- */

/* Flag p for the moderators (409 already_flagged). Audited without the reason. */
int board_flag(struct store_tx *tx, const struct board_post *p, const struct board_who *who,
	       const char *reason, json_t **out, struct groups_why *why);
/* A moderator resolves flag_id ("dismissed"): STORE_ENOTFOUND if not in a place they moderate. */
int board_flag_resolve(struct store_tx *tx, int64_t flag_id, const struct board_who *who,
		       struct groups_why *why);
/* Block (on 1) or unblock user_id from posting in the place: the group's members only (404). */
int board_block(struct store_tx *tx, const struct board_place *at, const struct board_who *who,
		int64_t user_id, int on);
/*
 * The moderators' view of a place: topics with no reply from anyone but
 * their author for unanswered_days, members who have not posted for
 * BOARD_QUIET_DAYS (groups only), open flags, held posts, blocked people.
 */
int board_dashboard(struct store_tx *tx, const struct board_place *at, const struct board_who *who,
		    int unanswered_days, json_t **out);

/* ---- telling people (ids for the loop thread to reach) ---- */

/*
 * The people following topic t who may still read it, except except_user.
 * *ids is a new array (free()) of *n ids, at most max.
 */
int board_followers(struct store_tx *tx, const struct board_topic *t, int64_t except_user,
		    size_t max, int64_t **ids, size_t *n);
/*
 * A crisis phrase in post_id: writes the audit row and returns who is told
 * — the group's facilitators and every manager (site boards: the managers).
 */
int board_crisis_alert(struct store_tx *tx, const struct board_topic *t, int64_t post_id,
		       int64_t author_id, size_t max, int64_t **ids, size_t *n);

/*
 * The daily digest pass: for up to `max` members whose last digest run is a
 * day old (and who have not opted out), queue one mail naming the topics
 * with new posts in their groups and how many — never post text — and
 * remember the run. *sent gets the number of mails queued.
 */
int board_digest_pass(struct store_tx *tx, int64_t now, int max, int *sent);

/* acct erasure hook: see boards.c for what goes and what stays. */
int board_erase_user(struct store_tx *tx, int64_t user_id);

/* ---- the module's life (boards_http.c) ---- */

void boards_init(struct server *srv);
/* Once a second: the digest pass every few minutes; rate-limit buckets pruned. */
void boards_tick(struct server *srv);
void boards_shutdown(struct server *srv);
void boards_free(struct server *srv);

#endif
