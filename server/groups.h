/*
 * groups.h — support groups: their settings and weekly schedule, who
 * facilitates them, who belongs to them (memberships, with their history),
 * and the rules the other modules use to decide who may see a group's
 * content.
 *
 * Tables (migration 3): groups, group_facilitators (group_id, user_id),
 * memberships (id, group_id, user_id, started_at, ended_at NULL while
 * active, ended_reason). A membership row is never deleted: its interval
 * [started_at, ended_at) decides which transcripts its member may read.
 * Facilitators are current only (group_facilitators has no history), and
 * count as facilitators only while their account's role is facilitator or
 * manager, so a demotion ends their rights in every group at once.
 *
 * Every store function here runs inside a store job (on the store thread,
 * or under store_run for the CLI) and returns 0 or a negative store_err.
 * Functions that refuse an action for a reason the user should read also
 * fill a struct groups_why; the caller turns it into the HTTP error.
 */
#ifndef HEARTH_GROUPS_H
#define HEARTH_GROUPS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "schedule.h"
#include "store.h"

struct server;

enum group_access { GROUP_NONE = 0, GROUP_MEMBER = 1, GROUP_FACILITATOR = 2 };

enum group_category { GROUP_PATIENT = 0, GROUP_CAREGIVER, GROUP_BEREAVED, GROUP_WORKSHOP };

#define GROUPS_NAME_MAX 100  /* code points */
#define GROUPS_DESC_MAX 4000 /* code points */
#define GROUPS_CAPACITY_DEFAULT 8
#define GROUPS_CAPACITY_MAX 50 /* workshops may be larger than the 8 of a group */
#define GROUPS_QUESTIONS_MAX 20
#define GROUPS_QUESTION_MAX 500 /* code points per screening question */
#define GROUPS_FACILITATORS_MAX 8

/*
 * An SQL boolean expression: true when users a and b (SQL expressions,
 * e.g. "u.id" or "?2"; each is evaluated twice) are now both in one group,
 * each as an active member or a facilitator of it. Uses the indexes on
 * memberships(user_id) and group_facilitators(user_id).
 */
#define GROUPS_SHARE_SQL(a, b)                                                                     \
	"EXISTS (SELECT 1 FROM (SELECT group_id FROM memberships WHERE user_id = (" a ")"          \
	" AND ended_at IS NULL UNION SELECT group_id FROM group_facilitators"                      \
	" WHERE user_id = (" a ")) AS gs_a WHERE gs_a.group_id IN (SELECT group_id"                \
	" FROM memberships WHERE user_id = (" b ") AND ended_at IS NULL UNION"                     \
	" SELECT group_id FROM group_facilitators WHERE user_id = (" b ")))"

/* A refusal the user should read: HTTP status, snake_case code, a calm sentence (static). */
struct groups_why {
	int status;
	const char *code;
	const char *msg;
};
/* Fill why (if not NULL) and return err: `return groups_refuse(why, 409, "x", "…",
 * STORE_ECONFLICT);` */
int groups_refuse(struct groups_why *why, int status, const char *code, const char *msg, int err);

const char *groups_category_name(int category);
/* "patient" | "caregiver" | "bereaved" | "workshop" → enum; -1 otherwise (NULL too). */
int groups_category_parse(const char *s);

/* ---- access, for every module ------------------------------------------ */

/*
 * The access user_id has to group_id at time at_ms: GROUP_FACILITATOR if
 * listed in group_facilitators (now) with a staff role, else GROUP_MEMBER
 * if one of their memberships contains at_ms (started_at <= at_ms and
 * ended_at NULL or later), else GROUP_NONE. Returns 0 with *access set,
 * STORE_ENOTFOUND if the group does not exist, or another store_err.
 */
int groups_access(struct store_tx *tx, int64_t group_id, int64_t user_id, int64_t at_ms,
		  int *access);

/* 1 when user_id has ever had a membership of group_id (ended or not); 0 if
 * never, or if it cannot be read. */
int groups_ever_member(struct store_tx *tx, int64_t group_id, int64_t user_id);

/*
 * The group's schedule, name (copied, truncated to namelen), capacity and
 * whether live check-ins are on. Any output pointer may be NULL. 0,
 * STORE_ENOTFOUND or another store_err.
 */
int groups_get_slot(struct store_tx *tx, int64_t group_id, struct sched_slot *slot, char *name,
		    size_t namelen, int *capacity, int *checkins);

/* ---- group settings (managers) ----------------------------------------- */

/* A group's settings, as a manager gives them. */
struct groups_spec {
	char *name;	   /* owned */
	char *description; /* owned */
	int category;	   /* enum group_category */
	int capacity;
	int checkins_enabled;
	int extension_allowed; /* members may ask for the 12-week extension */
	json_t *questions;     /* array of strings; owned */
	int64_t facilitators[GROUPS_FACILITATORS_MAX];
	int nfacilitators;
	struct sched_slot slot;
};

/* Defaults (capacity 8, 60 minutes, 12 weeks, no questions); no name, zone or date yet. */
void groups_spec_init(struct groups_spec *g);
void groups_spec_free(struct groups_spec *g);

/*
 * Apply the members present in `patch` (a JSON object) over g, then check
 * the whole result. Keys: name, category, description, capacity,
 * facilitators (array of user ids), screening_questions (array of
 * strings), timezone, weekday (1-7 or "monday"…), start_time ("HH:MM"),
 * duration_min, cycle_start ("YYYY-MM-DD"), cycle_weeks (12|15),
 * intake_close_weeks, hiatus_weeks, extension_allowed, checkins_enabled.
 * Unknown keys are refused. When `creating`, name, category, timezone,
 * weekday, start_time and cycle_start are required. Returns 0, or -1 with
 * why (status 400) filled; g may then be partly changed.
 */
int groups_spec_apply(struct groups_spec *g, json_t *patch, int creating, struct groups_why *why);

/*
 * Insert a group with its facilitators (each must be a live account with
 * role facilitator or manager: else STORE_EINVAL with why) and audit it.
 * *id gets the new group's id.
 */
int groups_insert(struct store_tx *tx, const struct groups_spec *g, int64_t actor, int64_t *id,
		  struct groups_why *why);
/* Load group id into g (after groups_spec_init). 0 or STORE_ENOTFOUND. */
int groups_load(struct store_tx *tx, int64_t id, struct groups_spec *g);
/* Store g over group id (facilitators replaced) and audit which fields changed. */
int groups_update(struct store_tx *tx, int64_t id, const struct groups_spec *g, int64_t actor,
		  json_t *fields, struct groups_why *why);

/* ---- seats and memberships --------------------------------------------- */

struct groups_seats {
	int capacity;
	int active;	 /* active members */
	int offered;	 /* seats held by open waitlist offers */
	int waiting;	 /* waitlist entries not yet offered a seat */
	int seats_left;	 /* capacity - active - offered, at least 0 */
	int intake_open; /* the schedule takes members now */
};
int groups_seats(struct store_tx *tx, int64_t group_id, const struct sched_slot *slot, int capacity,
		 int64_t now, struct groups_seats *out);

/*
 * The id of a group other than except_group, not a workshop, in which
 * user_id is an active member; 0 when none. Negative store_err on failure.
 */
int64_t groups_active_elsewhere(struct store_tx *tx, int64_t user_id, int64_t except_group);

/*
 * Make user_id an active member of group_id from now. Refuses with 409
 * already_member, or 409 already_in_group (a non-workshop group while the
 * user is active in another non-workshop group). Audited.
 */
int groups_join(struct store_tx *tx, int64_t group_id, int64_t user_id, int64_t application_id,
		int64_t now, int64_t actor, struct groups_why *why);

/*
 * End user_id's active membership of group_id at now with reason
 * ("ended_by_facilitator", "left", "erased"). STORE_ENOTFOUND when there
 * is none. Audited. Does not offer the seat: callers run apps_fill_seats.
 */
int groups_end_membership(struct store_tx *tx, int64_t group_id, int64_t user_id, int64_t now,
			  const char *reason, int64_t actor);

/*
 * The local date ("YYYY-MM-DD") and weekday name of an occurrence of slot,
 * for mails: computed from its cycle and week, so it is the group's own
 * calendar day whatever the zone's offset.
 */
void groups_occurrence_date(const struct sched_slot *slot, const struct sched_occurrence *o,
			    char date[11], const char **weekday);

/*
 * Grant the 12-week extension to the cycle in progress (facilitators):
 * 409 extension_not_offered / already_extended / not_in_cycle. Audited.
 */
int groups_grant_extension(struct store_tx *tx, int64_t group_id, int64_t actor, int64_t now,
			   struct groups_why *why);

/* acct erasure hook: memberships end ("erased"), facilitator rows go, applications are wiped. */
int groups_erase_user(struct store_tx *tx, int64_t user_id);

/* ---- changes other modules follow -------------------------------------- */

enum groups_event {
	GROUPS_EV_JOINED, /* user_id became a member of group_id */
	GROUPS_EV_LEFT,	  /* user_id's membership ended: close their group sockets */
	GROUPS_EV_STAFF,  /* group_id's facilitators changed (user_id 0) */
};
typedef void (*groups_event_fn)(struct server *srv, int64_t group_id, int64_t user_id,
				enum groups_event ev);
/* Register at start-up; called on the loop thread after the change committed. */
void groups_on_event(groups_event_fn fn);
void groups_emit(struct server *srv, int64_t group_id, int64_t user_id, enum groups_event ev);

/* ---- the module's life (groups_http.c) --------------------------------- */

/* Load the field key (DATA/keys/field.key), register routes and hooks. 0 or -1 with err. */
int groups_http_init(struct server *srv, char *err, size_t errlen);
/* Once a second: offers that expire, seats to offer, reminders, cycle roll-over. */
void groups_http_tick(struct server *srv);
void groups_http_shutdown(struct server *srv);
/* Wipe the field key. */
void groups_http_free(struct server *srv);

#endif
