/*
 * routes.c — the wiring of modules into the server (see routes.h).
 */
#include "routes.h"

#include "acct_http.h"
#include "http.h"
#include "server.h"

int routes_init(struct server *srv, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	http_core_routes();
	/* -- module routes -- */
	acct_http_init(srv);
	return 0;
}

size_t routes_ws_protocols(struct lws_protocols *out, size_t max)
{
	size_t n = 0;

	(void)out;
	(void)max;
	/* -- module protocols -- */
	return n;
}

void routes_tick(struct server *srv)
{
	/* -- module ticks -- */
	acct_http_tick(srv);
}

void routes_shutdown(struct server *srv)
{
	pool_cancel_waiting(&srv->hash_pool);
	/* -- module shutdown -- */
}

void routes_free(struct server *srv)
{
	/* -- module free -- */
	acct_http_free(srv);
}
