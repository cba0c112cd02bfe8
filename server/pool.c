/*
 * pool.c — a bounded front for uv_queue_work (see pool.h).
 */
#include "pool.h"

#include <stdlib.h>

#include "util.h"

struct pool_job {
	uv_work_t req;
	struct pool *pool;
	pool_work_fn work;
	pool_after_fn after;
	void *arg;
	struct pool_job *next;
};

static void start(struct pool *p, struct pool_job *j);

void pool_init(struct pool *p, uv_loop_t *loop, int limit)
{
	p->loop = loop;
	p->limit = limit > 0 ? limit : 1;
	p->running = 0;
	p->head = p->tail = NULL;
	p->waiting = 0;
}

static void on_work(uv_work_t *w)
{
	struct pool_job *j = w->data;

	j->work(j->arg);
}

static void on_after(uv_work_t *w, int status)
{
	struct pool_job *j = w->data;
	struct pool *p = j->pool;

	p->running--;
	j->after(status == 0, j->arg);
	free(j);
	if (p->head && p->running < p->limit) {
		struct pool_job *n = p->head;

		p->head = n->next;
		if (!p->head)
			p->tail = NULL;
		p->waiting--;
		start(p, n);
	}
}

static void start(struct pool *p, struct pool_job *j)
{
	p->running++;
	j->req.data = j;
	if (uv_queue_work(p->loop, &j->req, on_work, on_after)) {
		p->running--;
		j->after(0, j->arg);
		free(j);
	}
}

void pool_submit(struct pool *p, pool_work_fn work, pool_after_fn after, void *arg)
{
	struct pool_job *j = xcalloc(1, sizeof *j);

	j->pool = p;
	j->work = work;
	j->after = after;
	j->arg = arg;
	if (p->running < p->limit) {
		start(p, j);
		return;
	}
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->waiting++;
}

void pool_cancel_waiting(struct pool *p)
{
	while (p->head) {
		struct pool_job *j = p->head;

		p->head = j->next;
		p->waiting--;
		j->after(0, j->arg);
		free(j);
	}
	p->tail = NULL;
}
