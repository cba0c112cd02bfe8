/*
 * pool.h — CPU-heavy work (password hashing) on the libuv thread pool,
 * at most `limit` jobs at once; the rest wait in a FIFO on the loop thread.
 *
 * scrypt with N=2^17 needs ~130 MiB and ~0.3 s per hash: letting every
 * log-in start one at once would exhaust memory and starve the pool that
 * libuv also uses for file system work. One struct pool per server; loop
 * thread only (the work function itself runs on a pool thread).
 */
#ifndef HEARTH_POOL_H
#define HEARTH_POOL_H

#include <stddef.h>
#include <uv.h>

struct pool_job;
typedef void (*pool_work_fn)(void *arg);       /* pool thread: touches only arg */
typedef void (*pool_after_fn)(int ok, void *arg); /* loop thread; ok=0 if cancelled */

struct pool {
	uv_loop_t *loop;
	int limit, running;
	struct pool_job *head, *tail; /* waiting */
	size_t waiting;
};

void pool_init(struct pool *p, uv_loop_t *loop, int limit);
/* Queue work; `arg` is borrowed until after() runs, exactly once. */
void pool_submit(struct pool *p, pool_work_fn work, pool_after_fn after, void *arg);
/* Run the after() of every job still waiting with ok=0 (shutdown). */
void pool_cancel_waiting(struct pool *p);

#endif
