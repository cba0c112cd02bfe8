/*
 * metrics.c — Prometheus text exposition of struct metrics and the store's
 * counters. Names follow the hearth_<area>_<what>[_total] convention.
 */
#include "metrics.h"

#include "store.h"

void metrics_http_status(struct metrics *m, int status)
{
	int cls = status / 100;

	if (cls >= 1 && cls <= 5)
		m->http_requests[cls]++;
}

static void gauge(struct buf *b, const char *name, const char *help, int64_t v)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name,
		   (long long)v);
}

static void counter(struct buf *b, const char *name, const char *help, uint64_t v)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
		   (unsigned long long)v);
}

void metrics_render(const struct metrics *m, const struct store *st, int64_t uptime_ms,
		    struct buf *b)
{
	static const char *const le[] = {"1", "3", "7", "15", "63", "255", "1023", "+Inf"};
	struct store_stats ss;
	uint64_t cum = 0;
	int rooms, present;

	gauge(b, "hearth_uptime_seconds", "Seconds since the server started.", uptime_ms / 1000);
	gauge(b, "hearth_http_connections_open", "HTTP connections open now.", m->http_open);
	gauge(b, "hearth_ws_connections_open", "WebSocket connections open now.", m->ws_open);
	buf_puts(b, "# HELP hearth_http_requests_total HTTP requests answered, by status class.\n"
		    "# TYPE hearth_http_requests_total counter\n");
	for (int c = 1; c <= 5; c++)
		buf_printf(b, "hearth_http_requests_total{class=\"%dxx\"} %llu\n", c,
			   (unsigned long long)m->http_requests[c]);
	counter(b, "hearth_http_bodies_refused_total", "Request bodies refused as too large.",
		m->http_body_refused);
	counter(b, "hearth_connections_refused_per_ip_total",
		"Connections refused by the per-address cap.", m->conns_refused_per_ip);
	counter(b, "hearth_ws_frames_in_total", "WebSocket frames received.", m->ws_frames_in);
	counter(b, "hearth_ws_frames_out_total", "WebSocket frames sent.", m->ws_frames_out);
	counter(b, "hearth_ws_bad_frames_total", "WebSocket frames refused.", m->ws_bad_frames);
	gauge(b, "hearth_mail_queue_depth", "Mails waiting to be sent.", m->mail_queue_depth);
	counter(b, "hearth_mail_sent_total", "Mails delivered or spooled.", m->mail_sent);
	counter(b, "hearth_mail_failed_total", "Mail delivery attempts that failed.", m->mail_failed);
	counter(b, "hearth_mail_gave_up_total", "Mails abandoned after the last attempt.",
		m->mail_gave_up);
	counter(b, "hearth_mail_dropped_total", "Mails dropped because the recipient was erased.",
		m->mail_dropped);
	room_counts(&rooms, &present);
	gauge(b, "hearth_live_rooms_open", "Live session rooms open now.", rooms);
	gauge(b, "hearth_live_members_present",
	      "People in live rooms now with at least one live connection.", present);
	counter(b, "hearth_live_messages_total",
		"Live messages stored and delivered (rate() gives messages per second).",
		m->live_messages);
	if (!st)
		return;
	store_get_stats(st, &ss);
	counter(b, "hearth_store_commits_total", "Transactions committed by the store thread.",
		ss.commits);
	counter(b, "hearth_store_failed_commits_total", "Batches whose commit failed.",
		ss.failed_commits);
	counter(b, "hearth_store_jobs_total", "Store jobs completed.", ss.jobs);
	gauge(b, "hearth_store_queue_depth", "Store jobs waiting now.", (int64_t)ss.queue_depth);
	counter(b, "hearth_store_commit_seconds_total_us",
		"Microseconds spent in COMMIT (fsync included).", ss.commit_us_sum);
	gauge(b, "hearth_store_schema_version", "Schema version of the database.",
	      ss.schema_version);
	buf_puts(b, "# HELP hearth_store_batch_size Jobs per committed transaction.\n"
		    "# TYPE hearth_store_batch_size histogram\n");
	for (int i = 0; i < 8; i++) {
		cum += ss.batch_buckets[i];
		buf_printf(b, "hearth_store_batch_size_bucket{le=\"%s\"} %llu\n", le[i],
			   (unsigned long long)cum);
	}
	buf_printf(b, "hearth_store_batch_size_sum %llu\nhearth_store_batch_size_count %llu\n",
		   (unsigned long long)ss.batch_sum, (unsigned long long)ss.commits);
}
