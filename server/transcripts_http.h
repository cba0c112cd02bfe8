/*
 * transcripts_http.h — the transcripts module in the server (see
 * transcripts_http.c): sealing at every close and at start-up, the
 * routes, and the erasure hook.
 */
#ifndef HEARTH_TRANSCRIPTS_HTTP_H
#define HEARTH_TRANSCRIPTS_HTTP_H

struct server;

/*
 * Register the routes, the live close hook (seal the session) and the
 * account erasure hook (re-seal transcripts without the person). Hooks are
 * registered once per process.
 */
void trs_http_init(struct server *srv);
/* Once a second: the first tick, then every few minutes, seal closed sessions left unsealed. */
void trs_http_tick(struct server *srv);
/* Stop starting new work. */
void trs_http_shutdown(struct server *srv);

#endif
