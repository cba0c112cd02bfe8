/*
 * gen.h — the load generator's state: its options, its rooms and client
 * connections, and what it counts. Everything runs on one libuv loop
 * thread (libwebsockets' client on a foreign loop); only the log-in
 * threads run beside it, while it waits for them (before it starts, or
 * between ramp steps when nothing is being sent), and the thread-pool job
 * that reads /metrics.
 *
 * Lifetimes:
 *   struct gen    — one per process, made in main().
 *   struct groom  — one per room (a Hearth session, or a baseline room);
 *                   lives as long as the gen.
 *   struct client — one per simulated person (one WebSocket at a time);
 *                   lives as long as the gen; its wsi comes and goes.
 *   struct outf   — one queued frame; freed once written or at close.
 */
#ifndef BENCH_GEN_H
#define BENCH_GEN_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "hist.h"

struct lws;
struct lws_context;

enum gen_target { TGT_HEARTH, TGT_BASELINE };
enum gen_scenario { SC_STEADY, SC_RAMP, SC_BURST, SC_IDLE, SC_STORM };

#define GEN_PEOPLE 9 /* per room: a facilitator (slot 0) and 8 members */
#define GEN_PEND_MAX 64
#define GEN_SEQ_WIN 4096 /* seqs a client can hold ahead of its contiguous run */
#define GEN_QUEUE_MAX 256
#define GEN_CLIENT_ID_MAX 64

/* Options, from defaults, then a scenario .ini, then flags. */
struct gen_opts {
	enum gen_target target;
	enum gen_scenario scenario;
	char host[64];
	int port;
	char origin[128];
	char manifest[1024];
	char data_dir[1024]; /* for the flush floor; "" skips it */
	char json_out[1024];
	char label[64];
	pid_t pid; /* the server; 0: found by port */
	int rooms;
	int interval_ms; /* between a member's messages */
	double warmup_s, duration_s, drain_s;
	int text_len;
	int connect_concurrency;
	/* ramp */
	int start_rooms, max_rooms;
	double threshold_ms;
	int refine; /* ramp: bisection steps between the last held and the first crossed */
	/* resume-storm: seconds into the measured window */
	double storm_at_s;
	int fsync_iters;
	int quiet;
};

struct outf {
	struct outf *next;
	int64_t sched; /* a say's scheduled time (µs), else -1 */
	size_t len;
	unsigned char buf[]; /* LWS_PRE bytes of headroom, then len bytes */
};

struct pending {
	int64_t n, sched;
};

enum cstate { CS_IDLE, CS_CONNECTING, CS_OPEN, CS_JOINING, CS_JOINED };

struct client {
	struct gen *g;
	struct lws *wsi;
	int idx, room, slot; /* slot 0: facilitator */
	int64_t user_id;
	char username[40], password[64];
	char cookie[96];
	enum cstate state;
	int want_drop; /* storm: drop the socket at the next writable */
	int retire;    /* ramp: close for good at the next writable */
	int rejoining; /* the join after a drop: resume and re-send */
	int counted;   /* its connect time was recorded */
	int in_pump;   /* counted in gen.connecting until joined */
	struct outf *qh, *qt;
	int qlen;
	char *rx;
	size_t rx_len, rx_cap;
	/* sending (members) */
	int sending; /* in the schedule's heap */
	int64_t next_sched;
	int64_t n_next;
	struct pending pend[GEN_PEND_MAX];
	int npend;
	/* receiving: seqs held (Hearth) */
	int64_t have;			  /* every seq up to this is held */
	uint64_t ahead[GEN_SEQ_WIN / 64]; /* bit k: seq have + 1 + k held */
	int64_t resume_target;
	int64_t t_start, t_drop;
};

struct groom {
	int64_t session; /* Hearth session id; baseline room number */
	int64_t last_seq;
	int joined; /* clients joined now */
};

#define GEN_SECONDS_MAX 3600

/* Figures of one measured window (a ramp has one per step). */
struct gen_window {
	int rooms, conns, held; /* rooms driven, connections meant, joined at the end */
	uint64_t errors;	/* errors of every kind during this window */
	int64_t t0, t1;		/* scheduled times in [t0, t1) are measured */
	uint64_t sent, acked, delivered, expected, dup, other_frames;
	uint64_t err_frames, late_acks;
	struct hist e2e, ack, lag;
	/* worst end-to-end latency of the messages scheduled in each second (µs) */
	int64_t second_max[GEN_SECONDS_MAX];
	double srv_cpu0, srv_cpu1, gen_cpu0, gen_cpu1;
	int64_t rss_before, rss_connected, rss_after;
	int64_t wall0, wall1;
	/* how busy the machine was: µs some task waited for CPU / I/O, load */
	int64_t psi_cpu0, psi_cpu1, psi_io0, psi_io1;
	double load1;
	/* Hearth's store counters across the window */
	double commits, jobs, commit_us, frames_out;
	int have_store;
};

#define GEN_STEPS_MAX 16

/* Error codes seen in `error` frames, by name. */
#define GEN_ERR_KINDS 24
struct gen_errs {
	char code[GEN_ERR_KINDS][32];
	uint64_t n[GEN_ERR_KINDS];
	int kinds;
};

struct gen {
	struct gen_opts o;
	uv_loop_t loop;
	struct lws_context *ctx;
	uv_timer_t tick;
	/* the send schedule: a timerfd and a min-heap of members by next_sched */
	int tfd;
	uv_poll_t tpoll;
	struct client **heap;
	int nheap;
	struct client *c;
	int nclients; /* allocated: rooms_max * 9 */
	struct groom *rooms;
	int rooms_max;
	int rooms_active; /* rooms [0, rooms_active) are in play */
	int connecting;	  /* handshakes in flight */
	int next_connect; /* next client index to connect */
	int connect_upto; /* connect clients below this index */
	int joined;	  /* clients joined now */
	uint64_t connect_failures, disconnects, gen_backlog, seq_gaps, queue_full;
	struct gen_errs errs;
	struct hist conn;   /* connect → joined, µs */
	struct hist resume; /* drop → resumed (storm), µs */
	int resumed;
	struct gen_window w;
	int measuring; /* record into w */
	int finished;
	int exit_code;
	int printed;			 /* problems printed so far (the first few only) */
	void (*phase_fn)(struct gen *g); /* called each tick by the scenario */
	int phase;
	int64_t phase_t; /* the phase's own number: teardown ticks, or the ramp's next rooms */
	struct gen_window *steps; /* ramp: one window per step */
	int nsteps;
	int held_rooms, crossed_rooms; /* ramp: largest count under the threshold; first over */
	int logged_in;		       /* clients [0, logged_in) have their cookies */
	int64_t storm_t;	       /* when the storm dropped everyone (0: no storm) */
	int dropped;
	int64_t disk_p50, disk_p99, disk_max; /* the flush floor, µs; -1 if not measured */
	char fs_type[32];
	uint64_t errors_at_start; /* gen_error_total() when this window began */
	int64_t deadline, quiet_until;
	double store_now[5];	  /* the last /metrics reading */
	int store_ok, store_busy; /* a reading arrived; one is in flight */
};

/* ---- connections (gen.c) ---- */

/* Create the lws client context on g->loop. 0 or -1. */
int gen_start_lws(struct gen *g);
/* Begin tearing lws down; the loop ends once it is gone. */
void gen_stop(struct gen *g);
/* Start connecting clients [g->next_connect, upto) within the concurrency cap. */
void gen_connect_upto(struct gen *g, int upto);
/* Create the send schedule on g->loop (after g->c exists). 0 or -1. */
int gen_sched_init(struct gen *g);
/* Schedule the members of rooms [from, to); burst: all on the same instants. */
void gen_start_sending(struct gen *g, int from, int to, int burst);
void gen_stop_sending(struct gen *g);
/* Close the sockets of rooms [from, rooms_active) for good (ramp going down);
 * returns how many are still open. */
int gen_retire_rooms(struct gen *g, int from);
/* Drop every joined socket at once; each reconnects, rejoins and resumes. */
void gen_drop_all(struct gen *g);
/* Deliveries and acks still owed for messages of the window. */
uint64_t gen_outstanding(const struct gen *g);
/* After the window: count seq holes and messages never acknowledged as errors. */
void gen_final_checks(struct gen *g);
void gen_count_error(struct gen *g, const char *code);
uint64_t gen_error_total(const struct gen *g);

/* ---- set-up (setup.c) ---- */

/* Load the manifest (Hearth) or number the rooms (baseline): fills g->c and g->rooms. */
int gen_load(struct gen *g, int rooms_needed);
/* Log clients [from, to) in over HTTP (Hearth), on a few threads. 0 or -1. */
int gen_login(struct gen *g, int from, int to);

/* ---- measuring (scenario.c) ---- */

/* Run the chosen scenario to its end; the figures are left in g. 0, or -1 on set-up failure. */
int gen_run(struct gen *g);

/* ---- reporting (report.c) ---- */

/* Write the JSON report (to o.json_out, if set) and print the table. */
int rep_write(struct gen *g);
/* `hearth-bench compare HEARTH.json BASELINE.json`: both, and their ratio. */
int rep_compare(const char *a, const char *b);

#endif
