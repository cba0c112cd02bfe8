/*
 * setup.c — before anything is timed: reading the manifest that
 * `hearth bench-setup` printed (or numbering the baseline's rooms) and
 * logging every Hearth client in over HTTP for its session cookie.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "httpc.h"

#define LOGIN_THREADS 4

static int alloc_rooms(struct gen *g, int rooms)
{
	g->rooms_max = rooms;
	g->nclients = rooms * GEN_PEOPLE;
	g->rooms = calloc((size_t)rooms, sizeof *g->rooms);
	g->c = calloc((size_t)g->nclients, sizeof *g->c);
	if (!g->rooms || !g->c) {
		fprintf(stderr, "hearth-bench: out of memory for %d rooms\n", rooms);
		return -1;
	}
	for (int i = 0; i < g->nclients; i++) {
		g->c[i].g = g;
		g->c[i].idx = i;
		g->c[i].room = i / GEN_PEOPLE;
		g->c[i].slot = i % GEN_PEOPLE;
	}
	return 0;
}

static int copy_str(char *dst, size_t n, json_t *v)
{
	const char *s = json_string_value(v);

	if (!s || strlen(s) >= n)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* Fill room r's clients from the manifest's room object. */
static int load_room(struct gen *g, int r, json_t *room)
{
	json_t *users = json_object_get(room, "users");

	g->rooms[r].session = json_integer_value(json_object_get(room, "session"));
	if (g->rooms[r].session <= 0 || json_array_size(users) != GEN_PEOPLE)
		return -1;
	for (int k = 0; k < GEN_PEOPLE; k++) {
		struct client *c = &g->c[r * GEN_PEOPLE + k];
		json_t *u = json_array_get(users, (size_t)k);
		const char *role = json_string_value(json_object_get(u, "role"));

		/* the manifest lists the facilitator first: slot 0 listens */
		if (!role || strcmp(role, k == 0 ? "facilitator" : "member"))
			return -1;
		c->user_id = json_integer_value(json_object_get(u, "id"));
		if (copy_str(c->username, sizeof c->username, json_object_get(u, "username")) ||
		    copy_str(c->password, sizeof c->password, json_object_get(u, "password")))
			return -1;
	}
	return 0;
}

int gen_load(struct gen *g, int rooms_needed)
{
	json_error_t err;
	json_t *m, *rooms;
	int rc = 0;

	if (g->o.target == TGT_BASELINE) {
		if (alloc_rooms(g, rooms_needed))
			return -1;
		for (int r = 0; r < rooms_needed; r++)
			g->rooms[r].session = r + 1;
		return 0;
	}
	if (!g->o.manifest[0]) {
		fprintf(stderr, "hearth-bench: --manifest FILE is needed for Hearth"
				" (from hearth bench-setup)\n");
		return -1;
	}
	m = json_load_file(g->o.manifest, 0, &err);
	if (!m) {
		fprintf(stderr, "hearth-bench: %s:%d: %s\n", g->o.manifest, err.line, err.text);
		return -1;
	}
	rooms = json_object_get(m, "rooms");
	if ((int)json_array_size(rooms) < rooms_needed) {
		fprintf(stderr,
			"hearth-bench: %s has %zu rooms; %d are needed"
			" (hearth bench-setup --rooms %d)\n",
			g->o.manifest, json_array_size(rooms), rooms_needed, rooms_needed);
		json_decref(m);
		return -1;
	}
	if (alloc_rooms(g, rooms_needed))
		rc = -1;
	for (int r = 0; rc == 0 && r < rooms_needed; r++)
		if (load_room(g, r, json_array_get(rooms, (size_t)r))) {
			fprintf(stderr,
				"hearth-bench: %s: room %d is not as bench-setup writes it\n",
				g->o.manifest, r + 1);
			rc = -1;
		}
	json_decref(m);
	return rc;
}

/* The log-in threads share this. */
struct login_run {
	struct gen *g;
	pthread_mutex_t lock;
	int next, to, failed;
};

static void *login_thread(void *arg)
{
	struct login_run *lr = arg;
	struct gen *g = lr->g;
	char err[512];

	for (;;) {
		struct client *c;
		int i;

		pthread_mutex_lock(&lr->lock);
		i = lr->failed ? lr->to : lr->next++;
		pthread_mutex_unlock(&lr->lock);
		if (i >= lr->to)
			return NULL;
		c = &g->c[i];
		if (httpc_login(g->o.host, g->o.port, g->o.origin, c->username, c->password,
				c->cookie, sizeof c->cookie, err, sizeof err)) {
			pthread_mutex_lock(&lr->lock);
			if (!lr->failed++)
				fprintf(stderr, "hearth-bench: %s\n", err);
			pthread_mutex_unlock(&lr->lock);
			return NULL;
		}
	}
}

int gen_login(struct gen *g, int from, int to)
{
	struct login_run lr = {.g = g, .next = from, .to = to};
	pthread_t t[LOGIN_THREADS];
	int started = 0;

	if (g->o.target != TGT_HEARTH || from >= to)
		return 0;
	pthread_mutex_init(&lr.lock, NULL);
	for (int i = 0; i < LOGIN_THREADS; i++)
		if (pthread_create(&t[started], NULL, login_thread, &lr) == 0)
			started++;
	if (started == 0)
		login_thread(&lr);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_destroy(&lr.lock);
	return lr.failed ? -1 : 0;
}
