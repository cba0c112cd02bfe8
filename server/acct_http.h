/*
 * acct_http.h — wiring of the accounts routes (see acct_http.c).
 */
#ifndef HEARTH_ACCT_HTTP_H
#define HEARTH_ACCT_HTTP_H

struct server;

/* Register routes and the authentication hook; start the hashing pool. */
void acct_http_init(struct server *srv);
void acct_http_tick(struct server *srv);
void acct_http_free(struct server *srv);

#endif
