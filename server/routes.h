/*
 * routes.h — where the domain modules are wired into the server: their
 * HTTP route tables, WebSocket protocols, periodic work and shutdown.
 * One line per module in routes.c; nothing else in the server knows the
 * list of modules.
 */
#ifndef HEARTH_ROUTES_H
#define HEARTH_ROUTES_H

#include <stddef.h>

struct server;
struct lws_protocols;

/* Register every module's routes and start its state; 0 or -1 with err. */
int routes_init(struct server *srv, char *err, size_t errlen);
/* Fill up to max lws protocols (after "http"); returns how many. */
size_t routes_ws_protocols(struct lws_protocols *out, size_t max);
/* Once a second on the loop thread (schedules, time-outs, housekeeping). */
void routes_tick(struct server *srv);
/* Shutdown has begun: say goodbye to clients, stop timers. */
void routes_shutdown(struct server *srv);
/* Free module state after the loop has ended. */
void routes_free(struct server *srv);

#endif
