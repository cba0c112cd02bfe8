/*
 * report.c — the figures as JSON (for bench/run and for keeping) and as a
 * short table, and `compare`: two reports side by side with their ratio.
 *
 * Times in reports are milliseconds; rates are per second of the measured
 * window (scheduled times in [t0, t1)); "per CPU-second" divides a count
 * by the server's user + system CPU time over that window.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"

static const char *const scenario_names[] = {"steady", "ramp", "burst", "idle", "resume-storm"};

static double ms(int64_t us)
{
	return (double)us / 1000.0;
}

/* Round for humans reading the JSON: 3 decimals. */
static json_t *real3(double v)
{
	return json_real((double)(int64_t)(v * 1000.0 + (v < 0 ? -0.5 : 0.5)) / 1000.0);
}

static json_t *hist_json(const struct hist *h)
{
	return json_pack(
	    "{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "n", (json_int_t)h->total, "p50",
	    real3(ms(hist_quantile(h, 0.50))), "p95", real3(ms(hist_quantile(h, 0.95))), "p99",
	    real3(ms(hist_quantile(h, 0.99))), "p999", real3(ms(hist_quantile(h, 0.999))), "max",
	    real3(ms(h->total ? h->max : 0)), "mean", real3(hist_mean(h) / 1000.0), "min",
	    real3(ms(h->total ? h->min : 0)));
}

static double per(double n, double d)
{
	return d > 0 ? n / d : 0;
}

static json_t *server_json(const struct gen_window *w)
{
	double cpu = w->srv_cpu0 >= 0 && w->srv_cpu1 >= 0 ? w->srv_cpu1 - w->srv_cpu0 : -1;
	double wall = (double)(w->wall1 - w->wall0) / 1e6;
	json_t *o = json_object();

	if (cpu >= 0) {
		json_object_set_new(o, "cpu_s", real3(cpu));
		json_object_set_new(o, "cores_used", real3(per(cpu, wall)));
		json_object_set_new(o, "acked_per_cpu_s", real3(per((double)w->acked, cpu)));
		json_object_set_new(o, "deliveries_per_cpu_s",
				    real3(per((double)w->delivered, cpu)));
	}
	if (w->rss_before >= 0)
		json_object_set_new(o, "rss_kib_before", json_integer(w->rss_before));
	if (w->rss_connected >= 0)
		json_object_set_new(o, "rss_kib_connected", json_integer(w->rss_connected));
	if (w->rss_after >= 0)
		json_object_set_new(o, "rss_kib_after", json_integer(w->rss_after));
	if (w->rss_before >= 0 && w->rss_connected >= 0 && w->conns > 0)
		json_object_set_new(o, "rss_kib_per_connection",
				    real3((double)(w->rss_connected - w->rss_before) / w->conns));
	return o;
}

/* Share of the window during which some task was kept waiting: the
 * machine's own contention, which no figure here can correct for. */
static double pressure(int64_t a, int64_t b, const struct gen_window *w)
{
	return a >= 0 && b >= a && w->wall1 > w->wall0
		   ? 100.0 * (double)(b - a) / (double)(w->wall1 - w->wall0)
		   : -1;
}

static json_t *machine_json(const struct gen_window *w)
{
	return json_pack("{s:o,s:o,s:o}", "load1", real3(w->load1), "cpu_pressure_pct",
			 real3(pressure(w->psi_cpu0, w->psi_cpu1, w)), "io_pressure_pct",
			 real3(pressure(w->psi_io0, w->psi_io1, w)));
}

static json_t *window_json(const struct gen_window *w)
{
	double secs = (double)(w->t1 - w->t0) / 1e6;
	double wall = (double)(w->wall1 - w->wall0) / 1e6;
	json_t *o = json_pack(
	    "{s:i,s:i,s:i,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "rooms",
	    w->rooms, "connections", w->conns, "connections_held", w->held, "duration_s",
	    real3(secs), "sent", (json_int_t)w->sent, "acked", (json_int_t)w->acked, "delivered",
	    (json_int_t)w->delivered, "expected_deliveries", (json_int_t)w->expected, "duplicates",
	    (json_int_t)w->dup, "other_frames", (json_int_t)w->other_frames, "errors",
	    (json_int_t)w->errors, "acked_per_s", real3(per((double)w->acked, secs)),
	    "deliveries_per_s", real3(per((double)w->delivered, secs)), "e2e_ms",
	    hist_json(&w->e2e), "ack_ms", hist_json(&w->ack), "send_lag_ms", hist_json(&w->lag),
	    "server", server_json(w));

	{
		json_t *tl = json_array();
		int64_t n = (w->t1 - w->t0 + 999999) / 1000000;

		for (int64_t i = 0; i < n && i < GEN_SECONDS_MAX; i++)
			json_array_append_new(tl, real3(ms(w->second_max[i])));
		json_object_set_new(o, "e2e_max_ms_by_second", tl);
	}
	json_object_set_new(o, "machine", machine_json(w));
	json_object_set_new(o, "generator",
			    json_pack("{s:o}", "cpu_s", real3(w->gen_cpu1 - w->gen_cpu0)));
	if (w->have_store)
		json_object_set_new(o, "store",
				    json_pack("{s:I,s:I,s:o,s:o,s:o,s:o}", "commits",
					      (json_int_t)w->commits, "jobs", (json_int_t)w->jobs,
					      "jobs_per_commit", real3(per(w->jobs, w->commits)),
					      "mean_commit_ms",
					      real3(per(w->commit_us, w->commits) / 1000.0),
					      "commits_per_s", real3(per(w->commits, wall)),
					      "frames_out_per_s", real3(per(w->frames_out, wall))));
	return o;
}

static json_t *errors_json(const struct gen *g)
{
	json_t *codes = json_object();

	for (int i = 0; i < g->errs.kinds; i++)
		json_object_set_new(codes, g->errs.code[i], json_integer((json_int_t)g->errs.n[i]));
	return json_pack("{s:o,s:I,s:I,s:I,s:I,s:I}", "frames_by_code", codes, "connect_failures",
			 (json_int_t)g->connect_failures, "disconnects", (json_int_t)g->disconnects,
			 "seq_gaps", (json_int_t)g->seq_gaps, "generator_backlog",
			 (json_int_t)g->gen_backlog, "queue_full", (json_int_t)g->queue_full);
}

static json_t *report_json(const struct gen *g)
{
	char date[32];
	time_t now = time(NULL);
	struct tm tm;
	json_t *o;

	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:i}}", "tool", "hearth-bench", "target",
		      g->o.target == TGT_HEARTH ? "hearth" : "baseline", "label", g->o.label,
		      "scenario", scenario_names[g->o.scenario], "date", date, "host", "cpus",
		      (int)sysconf(_SC_NPROCESSORS_ONLN));
	json_object_set_new(o, "params",
			    json_pack("{s:i,s:i,s:o,s:o,s:i,s:i}", "rooms", g->o.rooms,
				      "interval_ms", g->o.interval_ms, "warmup_s",
				      real3(g->o.warmup_s), "duration_s", real3(g->o.duration_s),
				      "text_len", g->o.text_len, "server_pid", (int)g->o.pid));
	if (g->disk_p50 >= 0)
		json_object_set_new(o, "disk",
				    json_pack("{s:s,s:{s:o,s:o,s:o}}", "fs", g->fs_type,
					      "fdatasync_ms", "p50", real3(ms(g->disk_p50)), "p99",
					      real3(ms(g->disk_p99)), "max",
					      real3(ms(g->disk_max))));
	json_object_set_new(o, "connect_ms", hist_json(&g->conn));
	json_object_set_new(o, "errors", errors_json(g));
	if (g->o.scenario == SC_RAMP) {
		json_t *steps = json_array();

		for (int i = 0; i < g->nsteps; i++)
			json_array_append_new(steps, window_json(&g->steps[i]));
		json_object_set_new(o, "ramp",
				    json_pack("{s:o,s:i,s:i,s:o}", "threshold_ms",
					      real3(g->o.threshold_ms), "held_rooms", g->held_rooms,
					      "crossed_rooms", g->crossed_rooms, "steps", steps));
	} else {
		json_object_set_new(o, "result", window_json(&g->w));
	}
	if (g->o.scenario == SC_STORM)
		json_object_set_new(o, "storm",
				    json_pack("{s:i,s:i,s:o}", "dropped", g->w.conns, "resumed",
					      g->resumed, "resume_ms", hist_json(&g->resume)));
	return o;
}

/* ---- the table ---- */

static void print_window(const struct gen *g, const struct gen_window *w)
{
	double secs = (double)(w->t1 - w->t0) / 1e6;
	double cpu = w->srv_cpu1 - w->srv_cpu0;
	double wall = (double)(w->wall1 - w->wall0) / 1e6;

	printf("  acked/s %10.1f   deliveries/s %10.1f   errors %llu   held %d/%d\n",
	       per((double)w->acked, secs), per((double)w->delivered, secs),
	       (unsigned long long)w->errors, w->held, w->conns);
	printf("  e2e ms  p50 %7.2f  p95 %7.2f  p99 %7.2f  p99.9 %7.2f  max %7.2f  (n=%llu)\n",
	       ms(hist_quantile(&w->e2e, .5)), ms(hist_quantile(&w->e2e, .95)),
	       ms(hist_quantile(&w->e2e, .99)), ms(hist_quantile(&w->e2e, .999)),
	       ms(w->e2e.total ? w->e2e.max : 0), (unsigned long long)w->e2e.total);
	printf("  ack ms  p50 %7.2f  p99 %7.2f", ms(hist_quantile(&w->ack, .5)),
	       ms(hist_quantile(&w->ack, .99)));
	if (g->disk_p50 >= 0)
		printf("   (disk fdatasync p50 %.2f  p99 %.2f on %s)", ms(g->disk_p50),
		       ms(g->disk_p99), g->fs_type);
	printf("\n  send lag ms p99 %.2f   generator cpu %.2f s   machine: load %.1f, cpu pressure "
	       "%.0f%%, io pressure %.0f%%\n",
	       ms(hist_quantile(&w->lag, .99)), w->gen_cpu1 - w->gen_cpu0, w->load1,
	       pressure(w->psi_cpu0, w->psi_cpu1, w), pressure(w->psi_io0, w->psi_io1, w));
	if (w->srv_cpu0 >= 0 && w->srv_cpu1 >= 0)
		printf(
		    "  server cpu %.2f s (%.2f cores)   acked/cpu-s %.0f   deliveries/cpu-s %.0f\n",
		    cpu, per(cpu, wall), per((double)w->acked, cpu),
		    per((double)w->delivered, cpu));
	if (w->rss_before >= 0 && w->rss_connected >= 0 && w->rss_after >= 0)
		printf("  server rss %.1f MiB idle, %.1f connected, %.1f after  (%.1f KiB per "
		       "connection)\n",
		       w->rss_before / 1024.0, w->rss_connected / 1024.0, w->rss_after / 1024.0,
		       w->conns ? (double)(w->rss_connected - w->rss_before) / w->conns : 0);
	if (w->have_store)
		printf("  store: %.0f commits (%.1f/s), %.1f jobs per commit, commit %.2f ms\n",
		       w->commits, per(w->commits, wall), per(w->jobs, w->commits),
		       per(w->commit_us, w->commits) / 1000.0);
}

static void print_table(const struct gen *g)
{
	printf("%s %s: %d rooms (%d connections), a message every %d ms per member, "
	       "%.0f s measured after %.0f s\n",
	       g->o.target == TGT_HEARTH ? "hearth" : "baseline", scenario_names[g->o.scenario],
	       g->o.scenario == SC_RAMP ? g->rooms_active : g->o.rooms,
	       (g->o.scenario == SC_RAMP ? g->rooms_active : g->o.rooms) * GEN_PEOPLE,
	       g->o.interval_ms, g->o.duration_s, g->o.warmup_s);
	if (g->o.scenario == SC_RAMP) {
		for (int i = 0; i < g->nsteps; i++) {
			printf(" step %d: %d rooms\n", i + 1, g->steps[i].rooms);
			print_window(g, &g->steps[i]);
		}
		if (g->held_rooms)
			printf("  ramp: p99 stayed under %g ms up to %d rooms", g->o.threshold_ms,
			       g->held_rooms);
		else
			printf("  ramp: p99 passed %g ms (or something failed) at every step",
			       g->o.threshold_ms);
		if (g->crossed_rooms && g->held_rooms)
			printf("; crossed it (or failed) at %d rooms\n", g->crossed_rooms);
		else
			printf("%s\n", g->held_rooms ? " (the largest step tried)" : "");
	} else {
		print_window(g, &g->w);
	}
	printf("  connect+join ms p50 %.1f  p99 %.1f  max %.1f\n", ms(hist_quantile(&g->conn, .5)),
	       ms(hist_quantile(&g->conn, .99)), ms(g->conn.max));
	if (g->o.scenario == SC_STORM)
		printf(
		    "  storm: %d of %d resumed; drop → resumed ms p50 %.1f  p99 %.1f  max %.1f\n",
		    g->resumed, g->w.conns, ms(hist_quantile(&g->resume, .5)),
		    ms(hist_quantile(&g->resume, .99)), ms(g->resume.max));
	for (int i = 0; i < g->errs.kinds; i++)
		printf("  error frames %s: %llu\n", g->errs.code[i],
		       (unsigned long long)g->errs.n[i]);
	if (g->connect_failures || g->disconnects || g->seq_gaps || g->gen_backlog || g->queue_full)
		printf("  connect failures %llu, disconnects %llu, seq gaps %llu, generator "
		       "backlog %llu, queue full %llu\n",
		       (unsigned long long)g->connect_failures, (unsigned long long)g->disconnects,
		       (unsigned long long)g->seq_gaps, (unsigned long long)g->gen_backlog,
		       (unsigned long long)g->queue_full);
	fflush(stdout);
}

int rep_write(struct gen *g)
{
	json_t *o = report_json(g);
	int rc = 0;

	if (!g->o.quiet || !g->o.json_out[0])
		print_table(g);
	if (g->o.json_out[0] && o && json_dump_file(o, g->o.json_out, JSON_INDENT(1))) {
		fprintf(stderr, "hearth-bench: cannot write %s\n", g->o.json_out);
		rc = -1;
	}
	json_decref(o);
	return rc;
}

/* ---- compare ---- */

/* The number at a dotted path ("result.e2e_ms.p99"); 1 if found. */
static int path_num(json_t *o, const char *path, double *out)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof buf, "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = json_object_get(o, k);
	if (!json_is_number(o))
		return 0;
	*out = json_number_value(o);
	return 1;
}

static const struct {
	const char *label, *path;
} figures[] = {
    {"messages acked/s", "result.acked_per_s"},
    {"deliveries/s", "result.deliveries_per_s"},
    {"e2e p50 ms", "result.e2e_ms.p50"},
    {"e2e p95 ms", "result.e2e_ms.p95"},
    {"e2e p99 ms", "result.e2e_ms.p99"},
    {"e2e p99.9 ms", "result.e2e_ms.p999"},
    {"e2e max ms", "result.e2e_ms.max"},
    {"ack p50 ms", "result.ack_ms.p50"},
    {"ack p99 ms", "result.ack_ms.p99"},
    {"errors", "result.errors"},
    {"connections held", "result.connections_held"},
    {"server cpu s", "result.server.cpu_s"},
    {"acked per server cpu-s", "result.server.acked_per_cpu_s"},
    {"deliveries per server cpu-s", "result.server.deliveries_per_cpu_s"},
    {"server rss before MiB", "result.server.rss_kib_before"},
    {"server rss after MiB", "result.server.rss_kib_after"},
    {"rss per connection KiB", "result.server.rss_kib_per_connection"},
    {"connect+join p99 ms", "connect_ms.p99"},
    {"storm resume p50 ms", "storm.resume_ms.p50"},
    {"storm resume p99 ms", "storm.resume_ms.p99"},
    {"ramp: rooms held", "ramp.held_rooms"},
    {"ramp: rooms crossed", "ramp.crossed_rooms"},
    {"send lag p99 ms", "result.send_lag_ms.p99"},
    {"machine cpu pressure %", "result.machine.cpu_pressure_pct"},
    {"disk fdatasync p50 ms", "disk.fdatasync_ms.p50"},
    {"disk fdatasync p99 ms", "disk.fdatasync_ms.p99"},
};

static void print_ratio_row(const char *label, int ha, double a, int hb, double b, int mib)
{
	if (mib) {
		a /= 1024.0;
		b /= 1024.0;
	}
	printf("  %-28s", label);
	if (ha)
		printf(" %12.2f", a);
	else
		printf(" %12s", "-");
	if (hb)
		printf(" %12.2f", b);
	else
		printf(" %12s", "-");
	if (ha && hb && b != 0)
		printf(" %9.2fx\n", a / b);
	else
		printf(" %10s\n", "-");
}

static void compare_ramp(json_t *a, json_t *b)
{
	json_t *sa = json_object_get(json_object_get(a, "ramp"), "steps");
	json_t *sb = json_object_get(json_object_get(b, "ramp"), "steps");

	for (size_t i = 0; i < json_array_size(sa); i++) {
		json_t *x = json_array_get(sa, i), *y = NULL;
		double ra, ya = 0, yb = 0;
		char label[64];
		int hb = 0;

		if (!path_num(x, "rooms", &ra))
			continue;
		for (size_t j = 0; j < json_array_size(sb); j++) {
			double rb;

			if (path_num(json_array_get(sb, j), "rooms", &rb) && rb == ra)
				y = json_array_get(sb, j);
		}
		path_num(x, "e2e_ms.p99", &ya);
		if (y)
			hb = path_num(y, "e2e_ms.p99", &yb);
		snprintf(label, sizeof label, "ramp %.0f rooms: e2e p99 ms", ra);
		print_ratio_row(label, 1, ya, hb, yb, 0);
	}
}

int rep_compare(const char *fa, const char *fb)
{
	json_error_t err;
	json_t *a = json_load_file(fa, 0, &err), *b;

	if (!a) {
		fprintf(stderr, "hearth-bench: %s: %s\n", fa, err.text);
		return 1;
	}
	b = json_load_file(fb, 0, &err);
	if (!b) {
		fprintf(stderr, "hearth-bench: %s: %s\n", fb, err.text);
		json_decref(a);
		return 1;
	}
	printf("%s (%s vs %s)\n", json_string_value(json_object_get(a, "scenario")),
	       json_string_value(json_object_get(a, "target")),
	       json_string_value(json_object_get(b, "target")));
	printf("  %-28s %12s %12s %10s\n", "figure",
	       json_string_value(json_object_get(a, "target")),
	       json_string_value(json_object_get(b, "target")), "ratio");
	for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++) {
		double x = 0, y = 0;
		int hx = path_num(a, figures[i].path, &x), hy = path_num(b, figures[i].path, &y);

		if (hx || hy)
			print_ratio_row(figures[i].label, hx, x, hy, y,
					strstr(figures[i].label, "MiB") != NULL);
	}
	compare_ramp(a, b);
	json_decref(a);
	json_decref(b);
	return 0;
}
