/*
 * routes.c — the wiring of modules into the server (see routes.h).
 */
#include "routes.h"

#include <libwebsockets.h>

#include "acct_http.h"
#include "alerts_http.h"
#include "audit_http.h"
#include "conv.h"
#include "backup_sched.h"
#include "boards.h"
#include "groups.h"
#include "http.h"
#include "mail.h"
#include "reports.h"
#include "retention.h"
#include "stats.h"
#include "live.h"
#include "posting.h"
#include "schedule.h"
#include "server.h"
#include "transcripts_http.h"

int routes_init(struct server *srv, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	if (http_core_init(srv, err, errlen))
		return -1;
	posting_init(srv);
	/* -- module routes -- */
	stats_init(srv);
	if (retention_init(srv, err, errlen))
		return -1;
	boards_init(srv);
	conv_init(srv);
	reports_init(srv);
	trs_http_init(srv);
	if (groups_http_init(srv, err, errlen))
		return -1;
	audit_http_init(srv);
	alerts_http_init(srv);
	if (backup_sched_init(srv, err, errlen))
		return -1;
	if (mail_init(srv, err, errlen))
		return -1;
	ws_init(srv);
	live_http_init(srv);
	acct_http_init(srv);
	return 0;
}

size_t routes_ws_protocols(struct lws_protocols *out, size_t max)
{
	size_t n = 0;

	/* -- module protocols -- */
	if (n < max)
		out[n++] = ws_protocol;
	return n;
}

void routes_tick(struct server *srv)
{
	posting_prune();
	/* -- module ticks -- */
	retention_tick(srv);
	boards_tick(srv);
	conv_tick(srv);
	trs_http_tick(srv);
	groups_http_tick(srv);
	backup_sched_tick(srv);
	mail_tick(srv);
	ws_tick(srv);
	acct_http_tick(srv);
}

void routes_shutdown(struct server *srv)
{
	pool_cancel_waiting(&srv->hash_pool);
	/* -- module shutdown -- */
	retention_shutdown(srv);
	boards_shutdown(srv);
	trs_http_shutdown(srv);
	groups_http_shutdown(srv);
	backup_sched_shutdown(srv);
	mail_shutdown(srv);
	ws_shutdown(srv);
}

void routes_free(struct server *srv)
{
	http_core_free(srv);
	/* -- module free -- */
	posting_free();
	boards_free(srv);
	conv_free(srv);
	groups_http_free(srv);
	backup_sched_free(srv);
	mail_free(srv);
	ws_free(srv);
	sched_cleanup();
	acct_http_free(srv);
}
