/*
 * alerts_http.h — GET /api/v1/alerts: the safety alerts a facilitator or
 * the manager may see, read back from the audit log (see alerts_http.c).
 */
#ifndef HEARTH_ALERTS_HTTP_H
#define HEARTH_ALERTS_HTTP_H

struct server;

/* Register the route. */
void alerts_http_init(struct server *srv);

#endif
