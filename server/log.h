/*
 * log.h — one line per event on stderr:
 *   2026-11-20T10:00:00.123Z level=info event=listening port=8080
 * Fields are key=value; values with spaces are quoted by the caller's
 * format. Never log message text, passwords, tokens or personal data:
 * ids and counts only.
 */
#ifndef HEARTH_LOG_H
#define HEARTH_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level lvl);
/* Parse "debug|info|warn|error"; 0 on success, -1 otherwise. */
int log_level_parse(const char *s, enum log_level *out);
void log_event(enum log_level lvl, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(ev, ...) log_event(LOG_DEBUG, ev, __VA_ARGS__)
#define log_info(ev, ...) log_event(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_event(LOG_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_event(LOG_ERROR, ev, __VA_ARGS__)

/* Route libwebsockets' own log lines through log_event (warnings and errors only). */
void log_hook_lws(void);

#endif
