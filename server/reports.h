/*
 * reports.h — reports to the online manager: anyone may report a person,
 * a board post, a live message or a private-conversation message they can
 * see; managers (and nobody else) read the queue and resolve each report
 * with a note; the reporter sees that it was handled.
 *
 * Routes (all need a log-in):
 *   POST /api/v1/reports               {about, kind, reason, and the target:
 *                                        user | post | session + seq | message}
 *   GET  /api/v1/me/reports            the caller's own reports and their status
 *   GET  /api/v1/reports               managers: ?status=open|resolved|all&before=&limit=
 *   GET  /api/v1/reports/{id}          managers
 *   POST /api/v1/reports/{id}/resolve  managers: {note, reply?}
 *
 * The reported content is quoted into the report when it is made (what the
 * reporter saw, even if later redacted), so the queue is the one place a
 * manager reads group content: every report shown to a manager writes an
 * audit row ("report_read"). Audit rows hold ids and codes, never text.
 * A target the reporter cannot see answers 404 exactly like one that does
 * not exist: a live message needs the transcript rule (a member when it was
 * said, or a facilitator now), a conversation message a current participant
 * it is not hidden from, a board post whatever board_post_get allows (not
 * deleted), a person someone sharing a group or a conversation with you.
 * Reports outlive an erasure (they are the service's safety record); the
 * erased person shows as "Former member".
 */
#ifndef HEARTH_REPORTS_H
#define HEARTH_REPORTS_H

struct server;

#define REPORTS_TEXT_MAX 2000 /* code points of a reason, note or reply */
#define REPORTS_PER_DAY 20    /* reports one person may make in 24 hours */
#define REPORTS_PAGE_DEFAULT 50
#define REPORTS_PAGE_MAX 100

/* Register the routes. */
void reports_init(struct server *srv);

#endif
