/*
 * apps.h — applications to join a group, the waitlist, seat offers, and the
 * periodic work that moves them along (offer expiry, offering free seats,
 * session reminders, the end of an extended cycle).
 *
 * Tables (migration 3): applications, waitlist, offers, extension_requests,
 * session_reminders. An application's screening answers, GP contact and
 * the facilitators' notes are sealed with AES-256-GCM for their own cell
 * (crypto_field_encrypt with table "applications", the column, the row id):
 * the database file never holds them in clear, and they are never logged
 * or put in the audit log. Only the group's facilitators read them; each
 * reading is audited ("screening_read").
 *
 * Status of an application: pending → approved | waitlisted | referred |
 * withdrawn; waitlisted → approved (a seat accepted) | withdrawn.
 * A waitlist entry is waiting → offered → joined | declined | lapsed, or
 * removed (withdrawn, erased). Entries are served in the order they were
 * added. An offer holds a seat for [groups] offer_hours; it counts against
 * capacity while open.
 *
 * Mail (mail_enqueue, same transaction): application received, decision,
 * seat offered, reminder before each session (once per session and member,
 * remembered in session_reminders).
 */
#ifndef HEARTH_APPS_H
#define HEARTH_APPS_H

#include <jansson.h>
#include <stdint.h>

#include "crypto.h"
#include "groups.h"
#include "store.h"

#define APPS_ANSWER_MAX 4000 /* code points per answer */
#define APPS_GP_FIELD_MAX 200
#define APPS_MESSAGE_MAX 4000
#define APPS_NOTES_MAX 20000

/* What store jobs of this module need; one per server, read-only once made. */
struct apps_ctx {
	const struct crypto_fieldkey *key;
	int offer_hours;
	int reminder_hours;
};

/* 1 when s is one of the age bands applications accept ("18-24" … "75+"). */
int apps_age_band_ok(const char *s);

/*
 * Apply to group_id as user_id with body {answers: [..], age_band,
 * gp: {name, practice, phone}}: checked against the group's questions,
 * refused 409 already_member / already_in_group / application_pending /
 * already_waitlisted, stored sealed, audited, mailed. *id gets the
 * application's id. STORE_ENOTFOUND when the group does not exist.
 */
int apps_submit(struct store_tx *tx, const struct apps_ctx *ctx, int64_t group_id, int64_t user_id,
		json_t *body, int64_t now, int64_t *id, struct groups_why *why);

/*
 * An application as the viewer may see it, in *out (new reference):
 * a facilitator of its group gets everything, decrypted, and the reading
 * is audited; the applicant gets status and message only. Anyone else:
 * STORE_ENOTFOUND, except a manager, who gets STORE_EFORBIDDEN with why
 * (screening content is the facilitators' only).
 */
int apps_open(struct store_tx *tx, const struct apps_ctx *ctx, int64_t app_id, int64_t viewer,
	      int viewer_role, json_t **out, struct groups_why *why);

/* Applications the viewer may list (metadata only): the groups they facilitate, or all for a
 * manager. */
int apps_list(struct store_tx *tx, int64_t viewer, int viewer_role, const char *status,
	      int64_t group_id, json_t **out);

/* The viewer's own applications with status, message, waitlist place and open offer. */
int apps_list_mine(struct store_tx *tx, int64_t user_id, int64_t now, json_t **out);
/* The viewer's open offers. */
int apps_offers_mine(struct store_tx *tx, int64_t user_id, json_t **out);

/* Replace the facilitators' notes (sealed). Facilitators of the group only (else 404). */
int apps_set_notes(struct store_tx *tx, const struct apps_ctx *ctx, int64_t app_id, int64_t actor,
		   const char *notes, int64_t now, struct groups_why *why);

enum apps_decision { APPS_APPROVE, APPS_WAITLIST, APPS_REFER };
/*
 * Decide a pending application (facilitators of its group only, else
 * STORE_ENOTFOUND). approve: a member now, or on the waitlist when the
 * group is full or past its intake cutoff; waitlist: on the waitlist;
 * refer: closed with the message (required). *out gets the new state
 * {id, status, membership_id?, waitlist_position?}. *joined_user is set
 * to the applicant when a membership started.
 */
int apps_decide(struct store_tx *tx, const struct apps_ctx *ctx, int64_t app_id, int64_t actor,
		enum apps_decision d, const char *message, const char *notes, int64_t now,
		json_t **out, int64_t *joined_group, struct groups_why *why);

/* The applicant withdraws a pending or waitlisted application (else STORE_ENOTFOUND / 409). */
int apps_withdraw(struct store_tx *tx, const struct apps_ctx *ctx, int64_t app_id, int64_t user_id,
		  int64_t now, struct groups_why *why);

/*
 * Answer an open offer (its user only, else STORE_ENOTFOUND): accept makes
 * a membership (409 offer_closed when it expired or was answered, 409
 * already_in_group); decline passes the seat to the next in line.
 * *group_id gets the offer's group.
 */
int apps_answer_offer(struct store_tx *tx, const struct apps_ctx *ctx, int64_t offer_id,
		      int64_t user_id, int accept, int64_t now, int64_t *group_id,
		      struct groups_why *why);

/*
 * Offer group_id's free seats to the first eligible waiting entries, if
 * its intake is open: one offer per seat left, mailed and audited.
 * *offered (may be NULL) gets how many were made.
 */
int apps_fill_seats(struct store_tx *tx, const struct apps_ctx *ctx, int64_t group_id, int64_t now,
		    int *offered);

/* The group's waitlist in order (staff view). */
int apps_waitlist_json(struct store_tx *tx, int64_t group_id, json_t **out);

/* What one run of apps_tick did. */
struct apps_tick_stats {
	int expired, offered, reminders, rolled;
};
/*
 * The periodic work, at now: expire lapsed offers, offer free seats in
 * every group with a waitlist, send reminders for sessions starting within
 * reminder_hours, and end extended cycles (groups' extension reset).
 */
int apps_tick(struct store_tx *tx, const struct apps_ctx *ctx, int64_t now,
	      struct apps_tick_stats *st);

/* acct erasure hook: withdraw applications and wipe their sealed fields, leave waitlists. */
int apps_erase_user(struct store_tx *tx, int64_t user_id);

/* Routes of applications and offers (registered by groups_http_init). */
void apps_http_init(struct server *srv, const struct apps_ctx *ctx);

#endif
