/*
 * log.c — the structured stderr logger. One fprintf per line under a mutex,
 * so lines from the store thread and the loop never interleave.
 */
#include "log.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level lvl)
{
	min_level = lvl;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, level_names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

void log_event(enum log_level lvl, const char *event, const char *fmt, ...)
{
	char line[1024], stamp[32];
	struct timeval tv;
	struct tm tm;
	va_list ap;
	int n;

	if (lvl < min_level)
		return;
	/* wall time on purpose: logs are read against other systems' clocks */
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof line, "%s.%03dZ level=%s event=%s", stamp,
		     (int)(tv.tv_usec / 1000), level_names[lvl], event);
	if (fmt && *fmt && n > 0 && (size_t)n < sizeof line - 1) {
		line[n++] = ' ';
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_lock(&log_lock);
	fputs(line, stderr);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

static void lws_emit(int level, const char *line)
{
	char msg[256];
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (n >= sizeof msg)
		n = sizeof msg - 1;
	for (size_t i = 0; i < n; i++)
		msg[i] = line[i] == '"' ? '\'' : line[i];
	msg[n] = '\0';
	log_event(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "lws", "msg=\"%s\"", msg);
}

void log_hook_lws(void)
{
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_emit);
}
