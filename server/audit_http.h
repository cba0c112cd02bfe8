/*
 * audit_http.h — GET /api/v1/audit: the audit log for the manager (see audit_http.c).
 */
#ifndef HEARTH_AUDIT_HTTP_H
#define HEARTH_AUDIT_HTTP_H

struct server;

/* Register the route. */
void audit_http_init(struct server *srv);

#endif
