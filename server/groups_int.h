/*
 * groups_int.h — what the files of the groups module (groups.c, apps.c,
 * groups_http.c, apps_http.c, groups_cli.c) share and nobody else uses.
 */
#ifndef HEARTH_GROUPS_INT_H
#define HEARTH_GROUPS_INT_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

#include "groups.h"
#include "schedule.h"
#include "store.h"

struct http_req;

/* The columns of a group's slot, in the order groups__slot_from_row reads them (alias g). */
#define GROUPS_SLOT_COLS                                                                           \
	"g.tz, g.weekday, g.start_minute, g.duration_min, g.cycle_start, g.cycle_weeks,"           \
	" g.extension_weeks, g.intake_close_weeks, g.hiatus_weeks"

/* Fill s from the nine GROUPS_SLOT_COLS starting at column col. */
void groups__slot_from_row(sqlite3_stmt *st, int col, struct sched_slot *s);

/*
 * Step st to the one row it looks up: 0 with st on that row (the caller
 * reads it, then resets st), or STORE_ENOTFOUND for no row or another error,
 * st already reset.
 */
int groups__step_row(struct store_tx *tx, sqlite3_stmt *st, const char *what);
/* Step st for one integer: 0 with *out, STORE_ENOTFOUND for no row, or an error. Resets st. */
int groups__step_int64(struct store_tx *tx, sqlite3_stmt *st, int64_t *out, const char *what);
/* Step a statement that returns no row; resets it. */
int groups__exec(struct store_tx *tx, sqlite3_stmt *st, const char *what);
/* audit_append with a JSON detail, which it takes (may be NULL). */
int groups__audit(struct store_tx *tx, int64_t actor, const char *action, const char *type,
		  int64_t target, json_t *detail);

/* "YYYY-MM-DD" ⇄ days since 1970-01-01; the parse is 0 or -1. */
int groups__date_days(const char *s, int64_t *days);
void groups__days_date(int64_t days, char out[11]);
const char *groups__weekday_name(int weekday); /* 1 = "Monday" */

int groups__is_workshop(struct store_tx *tx, int64_t group_id, int *workshop);
int groups__is_active_member(struct store_tx *tx, int64_t group_id, int64_t user_id, int *yes);
/* The rules of groups_join without joining: 409 already_member / already_in_group. */
int groups__check_can_join(struct store_tx *tx, int64_t group_id, int64_t user_id,
			   struct groups_why *why);

/*
 * The group's slot and the cycle in progress at now (or the next one),
 * with its number counted from the group's first cycle (*absolute) and
 * whether the extension is offered.
 */
int groups__current_cycle(struct store_tx *tx, int64_t group_id, int64_t now,
			  struct sched_slot *slot, struct sched_cycle *c, int64_t *absolute,
			  int *allowed);
/* End extended cycles that are over (tick). */
int groups__roll_extensions(struct store_tx *tx, int64_t now, int *rolled);

/*
 * The outcome of a route's store job (groups_http.c): a refusal filled in
 * why becomes the answer (http_job_fail); anything else, rc, is returned as
 * it is.
 */
int groups__job_fail(struct http_req *req, const struct groups_why *why, int rc);

/*
 * Queue a mail to user_id in this transaction (mail_enqueue). Mail bodies
 * name the group and times only: never screening content or messages.
 */
int groups__mail(struct store_tx *tx, int64_t user_id, const char *kind, const char *subject,
		 const char *body);

#endif
