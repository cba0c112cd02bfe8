/*
 * scenario.c — the scenarios as small state machines, advanced by a
 * 20 ms tick on the loop: connect, warm up, measure, drain, report.
 *
 *   steady  rooms × one message per interval per member, spread evenly
 *   burst   the same, but every member sends at the same instants
 *   storm   steady, and a third of the way in every socket drops at once;
 *           each reconnects, rejoins and resumes from its last seq
 *   idle    connections held and joined, nothing said: memory per connection
 *   ramp    steady windows with the rooms doubled each step until p99 passes
 *           the threshold (or errors appear, or the rooms run out)
 *
 * The server's CPU time, memory and store counters are read at the edges
 * of the measured window; the /metrics reading goes through the thread
 * pool so that the loop never waits on it.
 */
#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "httpc.h"
#include "sysinfo.h"

#define TICK_MS 20
#define CONNECT_LIMIT_US (120 * 1000000LL) /* connecting N rooms takes seconds, not minutes */
#define TEARDOWN_TICKS 250

enum {
	PH_CONNECT,
	PH_WAIT_JOINED,
	PH_WARMUP,
	PH_MEASURE,
	PH_DRAIN,
	PH_METRICS, /* waiting for the last /metrics reading */
	PH_SHRINK,  /* ramp: closing the rooms above the next step */
	PH_TEARDOWN,
};

/* ---- /metrics, off the loop ---- */

struct metrics_work {
	uv_work_t w;
	struct gen *g;
	double v[5];
	int ok;
};

static const char *const metric_names[5] = {
    "hearth_store_commits_total",
    "hearth_store_jobs_total",
    "hearth_store_commit_seconds_total_us",
    "hearth_ws_frames_out_total",
    "hearth_ws_frames_in_total",
};

static void metrics_fetch(uv_work_t *w)
{
	struct metrics_work *m = w->data;
	struct httpc_resp r;
	char err[256];

	if (httpc_request(m->g->o.host, m->g->o.port, "GET", "/metrics", NULL, NULL, &r, err,
			  sizeof err))
		return;
	if (r.status == 200) {
		m->ok = 1;
		for (int i = 0; i < 5; i++) {
			size_t n = strlen(metric_names[i]);
			const char *p = r.body;

			/* the sample line: the name at a line start, then a space */
			while ((p = strstr(p, metric_names[i])) &&
			       ((p != r.body && p[-1] != '\n') || p[n] != ' '))
				p += n;
			if (p)
				m->v[i] = strtod(p + n + 1, NULL);
			else
				m->ok = 0;
		}
	}
	httpc_free(&r);
}

static void metrics_done(uv_work_t *w, int status)
{
	struct metrics_work *m = w->data;

	if (status == 0 && m->ok) {
		memcpy(m->g->store_now, m->v, sizeof m->v);
		m->g->store_ok = 1;
	} else {
		m->g->store_ok = 0;
	}
	m->g->store_busy = 0;
	free(m);
}

static void metrics_start(struct gen *g)
{
	struct metrics_work *m;

	g->store_ok = 0;
	if (g->o.target != TGT_HEARTH || !(m = calloc(1, sizeof *m)))
		return;
	m->g = g;
	m->w.data = m;
	g->store_busy = 1;
	if (uv_queue_work(&g->loop, &m->w, metrics_fetch, metrics_done)) {
		g->store_busy = 0;
		free(m);
	}
}

/* ---- the window ---- */

static void window_arm(struct gen *g, int64_t t0, int64_t t1)
{
	struct gen_window *w = &g->w;

	memset(w, 0, sizeof *w);
	hist_reset(&w->e2e);
	hist_reset(&w->ack);
	hist_reset(&w->lag);
	w->rooms = g->rooms_active;
	w->conns = g->rooms_active * GEN_PEOPLE;
	w->t0 = t0;
	w->t1 = t1;
	w->rss_before = -1;
	w->rss_connected = g->o.pid > 0 ? sys_rss_kib(g->o.pid) : -1;
	g->errors_at_start = gen_error_total(g);
	g->measuring = 1;
}

static void window_open(struct gen *g)
{
	struct gen_window *w = &g->w;

	w->wall0 = sys_now_us();
	w->psi_cpu0 = sys_pressure_us("cpu");
	w->psi_io0 = sys_pressure_us("io");
	w->srv_cpu0 = g->o.pid > 0 ? sys_cpu_s(g->o.pid) : -1;
	w->gen_cpu0 = sys_self_cpu_s();
	metrics_start(g);
}

/* The reading at the start has arrived by now (the window lasts seconds). */
static void window_close(struct gen *g)
{
	struct gen_window *w = &g->w;

	w->wall1 = sys_now_us();
	w->psi_cpu1 = sys_pressure_us("cpu");
	w->psi_io1 = sys_pressure_us("io");
	w->load1 = sys_loadavg();
	w->srv_cpu1 = g->o.pid > 0 ? sys_cpu_s(g->o.pid) : -1;
	w->gen_cpu1 = sys_self_cpu_s();
	w->rss_after = g->o.pid > 0 ? sys_rss_kib(g->o.pid) : -1;
	if (g->store_ok) {
		w->commits = -g->store_now[0];
		w->jobs = -g->store_now[1];
		w->commit_us = -g->store_now[2];
		w->frames_out = -g->store_now[3];
		w->have_store = 1;
	}
	metrics_start(g);
}

/* The window ends: no more sending, and what is still owed has drain_s to come. */
static void start_drain(struct gen *g, int64_t now)
{
	gen_stop_sending(g);
	window_close(g);
	g->deadline = now + (int64_t)(g->o.drain_s * 1e6);
	g->phase = PH_DRAIN;
}

/* After the drain: what was owed and never came is an error. */
static void window_settle(struct gen *g)
{
	struct gen_window *w = &g->w;

	if (w->have_store && g->store_ok) {
		w->commits += g->store_now[0];
		w->jobs += g->store_now[1];
		w->commit_us += g->store_now[2];
		w->frames_out += g->store_now[3];
	} else {
		w->have_store = 0;
	}
	gen_final_checks(g);
	w->held = g->joined;
	w->errors = gen_error_total(g) - g->errors_at_start;
	/* a message sent in the window and never acknowledged nor refused */
	if (w->sent > w->acked + w->err_frames)
		w->errors += w->sent - w->acked - w->err_frames;
	g->measuring = 0;
}

static void say(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A progress line on stderr (not with --quiet). */
static void say(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	if (g->o.quiet)
		return;
	fputs("hearth-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- teardown: lws under a foreign loop needs a second destroy ---- */

static void count_foreign(uv_handle_t *h, void *arg)
{
	struct gen *g = ((void **)arg)[0];
	int *n = ((void **)arg)[1];

	if (!uv_is_closing(h) && h != (uv_handle_t *)&g->tick)
		(*n)++;
}

static void teardown(struct gen *g)
{
	void *arg[2];
	int n = 0;

	if (g->ctx) {
		arg[0] = g;
		arg[1] = &n;
		uv_walk(&g->loop, count_foreign, arg);
		if (n == 0 || ++g->phase_t > TEARDOWN_TICKS)
			lws_context_destroy(g->ctx);
		if (g->phase_t <= TEARDOWN_TICKS + 5)
			return;
	}
	uv_close((uv_handle_t *)&g->tick, NULL);
}

static void finish(struct gen *g)
{
	if (g->phase == PH_TEARDOWN)
		return;
	g->phase = PH_TEARDOWN;
	g->phase_t = 0;
	gen_stop(g);
}

/* ---- steady, burst, storm, idle ---- */

static void connect_phase(struct gen *g, int64_t now)
{
	int target = g->rooms_active * GEN_PEOPLE;

	if (g->phase == PH_CONNECT) {
		g->deadline = now + CONNECT_LIMIT_US;
		gen_connect_upto(g, target);
		g->phase = PH_WAIT_JOINED;
		return;
	}
	/* all joined, or every attempt over (failures are counted), or too long */
	if (g->joined < target && !(g->next_connect >= target && g->connecting == 0) &&
	    now < g->deadline)
		return;
	if (g->joined < target)
		say(g, "only %d of %d connections joined", g->joined, target);
	else
		say(g, "%d connections joined (%d rooms)", g->joined, g->rooms_active);
	g->phase = PH_WARMUP;
}

static void window_scenario(struct gen *g)
{
	int64_t now = sys_now_us();
	int64_t warm = (int64_t)(g->o.warmup_s * 1e6), len = (int64_t)(g->o.duration_s * 1e6);
	enum gen_scenario sc = g->o.scenario;

	switch (g->phase) {
	case PH_CONNECT:
	case PH_WAIT_JOINED:
		connect_phase(g, now);
		if (g->phase != PH_WARMUP)
			return;
		if (sc == SC_IDLE) {
			warm = 0;
		} else {
			gen_start_sending(g, 0, g->rooms_active, sc == SC_BURST);
		}
		window_arm(g, now + warm, now + warm + len);
		return;
	case PH_WARMUP:
		if (now < g->w.t0)
			return;
		window_open(g);
		g->phase = PH_MEASURE;
		return;
	case PH_MEASURE:
		if (sc == SC_STORM && !g->dropped &&
		    now >= g->w.t0 + (int64_t)(g->o.storm_at_s * 1e6)) {
			g->dropped = 1;
			g->storm_t = now;
			say(g, "storm: dropping %d connections at once", g->joined);
			gen_drop_all(g);
		}
		if (now < g->w.t1)
			return;
		start_drain(g, now);
		return;
	case PH_DRAIN:
		/* everything owed has come (and, after a storm, everyone is back) */
		if (now < g->deadline &&
		    (gen_outstanding(g) > 0 || g->store_busy ||
		     (sc == SC_STORM && g->joined < g->rooms_active * GEN_PEOPLE)))
			return;
		window_settle(g);
		g->phase = PH_METRICS;
		return;
	case PH_METRICS:
	case PH_SHRINK:
		finish(g);
		return;
	case PH_TEARDOWN:
		teardown(g);
		return;
	}
}

/* ---- ramp ---- */

static int step_over(const struct gen *g, const struct gen_window *w)
{
	return (double)hist_quantile(&w->e2e, 0.99) / 1000.0 > g->o.threshold_ms || w->errors > 0 ||
	       w->held < w->conns;
}

/* The rooms of the next step: double until a step fails, then bisect
 * between the largest held and the smallest failed (--refine times). */
static int ramp_next(struct gen *g, const struct gen_window *w)
{
	int mid;

	if (step_over(g, w)) {
		if (!g->crossed_rooms || w->rooms < g->crossed_rooms)
			g->crossed_rooms = w->rooms;
	} else if (w->rooms > g->held_rooms) {
		g->held_rooms = w->rooms;
	}
	if (!g->crossed_rooms)
		return w->rooms * 2 <= g->o.max_rooms && w->rooms * 2 <= g->rooms_max ? w->rooms * 2
										      : 0;
	mid = (g->held_rooms + g->crossed_rooms) / 2;
	if (g->o.refine-- <= 0 || mid <= g->held_rooms || mid >= g->crossed_rooms)
		return 0;
	return mid;
}

static void ramp_step_done(struct gen *g)
{
	struct gen_window *w = &g->steps[g->nsteps++];
	int next;

	*w = g->w;
	fprintf(stderr, "hearth-bench: ramp %d rooms: p99 %.1f ms, %llu errors\n", w->rooms,
		(double)hist_quantile(&w->e2e, 0.99) / 1000.0, (unsigned long long)w->errors);
	next = g->nsteps < GEN_STEPS_MAX ? ramp_next(g, w) : 0;
	if (!next) {
		finish(g);
		return;
	}
	if (next < g->rooms_active) {
		/* going down: close the rooms above, then measure again */
		gen_retire_rooms(g, next);
		g->deadline = sys_now_us() + CONNECT_LIMIT_US;
		g->phase = PH_SHRINK;
		g->phase_t = next;
		return;
	}
	/* going up: log the new rooms in (not timed: nothing is being sent) */
	if (next * GEN_PEOPLE > g->logged_in) {
		if (gen_login(g, g->logged_in, next * GEN_PEOPLE)) {
			g->exit_code = 1;
			finish(g);
			return;
		}
		g->logged_in = next * GEN_PEOPLE;
	}
	g->rooms_active = next;
	g->phase = PH_CONNECT;
}

static void ramp_scenario(struct gen *g)
{
	int64_t now = sys_now_us();
	int64_t warm = (int64_t)(g->o.warmup_s * 1e6), len = (int64_t)(g->o.duration_s * 1e6);

	switch (g->phase) {
	case PH_CONNECT:
	case PH_WAIT_JOINED:
		connect_phase(g, now);
		if (g->phase != PH_WARMUP)
			return;
		gen_start_sending(g, 0, g->rooms_active, 0);
		window_arm(g, now + warm, now + warm + len);
		return;
	case PH_WARMUP:
		if (now >= g->w.t0) {
			window_open(g);
			g->phase = PH_MEASURE;
		}
		return;
	case PH_MEASURE:
		if (now < g->w.t1)
			return;
		start_drain(g, now);
		return;
	case PH_DRAIN:
		if (now < g->deadline && (gen_outstanding(g) > 0 || g->store_busy))
			return;
		window_settle(g);
		g->phase = PH_METRICS;
		return;
	case PH_METRICS:
		if (!g->store_busy)
			ramp_step_done(g);
		return;
	case PH_SHRINK:
		if (!g->quiet_until) {
			if (gen_retire_rooms(g, (int)g->phase_t) > 0 && now < g->deadline)
				return;
			/* a failed step leaves a backlog in the server: let it drain */
			g->quiet_until = now + (int64_t)(g->o.drain_s * 1e6);
		}
		if (now < g->quiet_until)
			return;
		g->quiet_until = 0;
		g->rooms_active = (int)g->phase_t;
		g->phase = PH_CONNECT;
		return;
	case PH_TEARDOWN:
		teardown(g);
		return;
	}
}

static void on_tick(uv_timer_t *t)
{
	struct gen *g = t->data;

	g->phase_fn(g);
}

int gen_run(struct gen *g)
{
	int rooms = g->o.scenario == SC_RAMP ? g->o.max_rooms : g->o.rooms;
	int first = g->o.scenario == SC_RAMP ? g->o.start_rooms : g->o.rooms;
	struct hist disk;
	int64_t rss0;

	if (gen_load(g, rooms))
		return -1;
	if (g->o.scenario == SC_RAMP && g->rooms_max < rooms)
		rooms = g->rooms_max;
	if (first > rooms)
		first = rooms;
	g->disk_p50 = g->disk_p99 = g->disk_max = -1;
	if (g->o.data_dir[0]) {
		hist_reset(&disk);
		sys_fs_type(g->o.data_dir, g->fs_type, sizeof g->fs_type);
		if (sys_fsync_floor(g->o.data_dir, g->o.fsync_iters, &disk) == 0 && disk.total) {
			g->disk_p50 = hist_quantile(&disk, 0.5);
			g->disk_p99 = hist_quantile(&disk, 0.99);
			g->disk_max = disk.max;
		}
	}
	if (g->o.pid <= 0)
		g->o.pid = sys_find_listener(g->o.port);
	rss0 = g->o.pid > 0 ? sys_rss_kib(g->o.pid) : -1;
	if (g->o.target == TGT_HEARTH)
		say(g, "logging %d clients in", first * GEN_PEOPLE);
	if (gen_login(g, 0, first * GEN_PEOPLE))
		return -1;
	g->logged_in = first * GEN_PEOPLE;
	g->rooms_active = first;
	if (g->o.scenario == SC_RAMP) {
		g->steps = calloc(GEN_STEPS_MAX, sizeof *g->steps);
		if (!g->steps)
			return -1;
	}
	g->tfd = -1;
	if (uv_loop_init(&g->loop) || gen_start_lws(g) || gen_sched_init(g)) {
		fprintf(stderr, "hearth-bench: cannot start libwebsockets on libuv\n");
		return -1;
	}
	g->phase_fn = g->o.scenario == SC_RAMP ? ramp_scenario : window_scenario;
	g->phase = PH_CONNECT;
	uv_timer_init(&g->loop, &g->tick);
	g->tick.data = g;
	uv_timer_start(&g->tick, on_tick, TICK_MS, TICK_MS);
	uv_run(&g->loop, UV_RUN_DEFAULT);
	uv_loop_close(&g->loop);
	g->w.rss_before = rss0;
	for (int i = 0; i < g->nsteps; i++)
		g->steps[i].rss_before = rss0;
	return 0;
}
