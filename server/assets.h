/*
 * assets.h — the web client's static files, read into memory once at
 * start-up so that serving them never touches the disk from the loop.
 * One struct assets per server; read-only after assets_load().
 */
#ifndef HEARTH_ASSETS_H
#define HEARTH_ASSETS_H

#include <stddef.h>

struct asset {
	char *path;  /* URL path, e.g. "/app.js" */
	char *data;
	size_t len;
	const char *mime;
	char etag[20];
};

struct assets;

/* Load every regular file under root (recursively, at most 4 MiB each and
 * 32 MiB in all). 0, or -1 with err filled. */
int assets_load(const char *root, struct assets **out, char *err, size_t errlen);
/* The asset for a URL path ("/" means "/index.html"), or NULL. */
const struct asset *assets_find(const struct assets *a, const char *path);
void assets_free(struct assets *a);

#endif
