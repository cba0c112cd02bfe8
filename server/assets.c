/*
 * assets.c — loads web-client/ into memory (see assets.h). A small,
 * sorted array searched with bsearch: the client is a handful of files.
 */
#include "assets.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define ASSET_MAX_FILE (4u << 20)
#define ASSET_MAX_TOTAL (32u << 20)

struct assets {
	struct asset *v;
	size_t n, cap, total;
};

static const char *mime_for(const char *path)
{
	static const struct {
		const char *ext, *mime;
	} types[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".json", "application/json"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".ico", "image/x-icon"},
		{".txt", "text/plain; charset=utf-8"},
		{".woff2", "font/woff2"},
		{".webmanifest", "application/manifest+json"},
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < ARRAY_LEN(types); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].mime;
	return "application/octet-stream";
}

static int read_whole(const char *file, char **data, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > (off_t)ASSET_MAX_FILE) {
		close(fd);
		return -1;
	}
	*data = xmalloc((size_t)st.st_size + 1);
	n = read(fd, *data, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(*data);
		return -1;
	}
	(*data)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

/* FNV-1a over the bytes: a cheap validator for If-None-Match. */
static void etag_of(const char *d, size_t n, char out[20])
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)d[i];
		h *= 1099511628211ull;
	}
	snprintf(out, 20, "\"%016llx\"", (unsigned long long)h);
}

static int walk(struct assets *a, const char *dir, const char *urlbase, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		snprintf(err, errlen, "cannot read web client folder %s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (e = readdir(d))) {
		char *file, *url;
		struct stat st;

		if (e->d_name[0] == '.')
			continue; /* no dotfiles, no . and .. */
		file = xasprintf("%s/%s", dir, e->d_name);
		url = xasprintf("%s/%s", urlbase, e->d_name);
		if (stat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
			rc = walk(a, file, url, err, errlen);
		} else if (stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
			struct asset *as;

			if (a->n == a->cap) {
				a->cap = a->cap ? a->cap * 2 : 16;
				a->v = xrealloc(a->v, a->cap * sizeof *a->v);
			}
			as = &a->v[a->n];
			if (read_whole(file, &as->data, &as->len)) {
				snprintf(err, errlen, "cannot read %s (or it is over 4 MiB)", file);
				rc = -1;
			} else if ((a->total += as->len) > ASSET_MAX_TOTAL) {
				free(as->data);
				snprintf(err, errlen, "web client folder %s is over 32 MiB", dir);
				rc = -1;
			} else {
				as->path = url;
				url = NULL;
				as->mime = mime_for(as->path);
				etag_of(as->data, as->len, as->etag);
				a->n++;
			}
		}
		free(file);
		free(url);
	}
	closedir(d);
	return rc;
}

static int cmp_asset(const void *x, const void *y)
{
	return strcmp(((const struct asset *)x)->path, ((const struct asset *)y)->path);
}

int assets_load(const char *root, struct assets **out, char *err, size_t errlen)
{
	struct assets *a = xcalloc(1, sizeof *a);

	if (walk(a, root, "", err, errlen)) {
		assets_free(a);
		return -1;
	}
	qsort(a->v, a->n, sizeof *a->v, cmp_asset);
	*out = a;
	return 0;
}

const struct asset *assets_find(const struct assets *a, const char *path)
{
	struct asset key = {.path = (char *)(uintptr_t)path};

	if (!strcmp(path, "/"))
		key.path = "/index.html";
	return bsearch(&key, a->v, a->n, sizeof *a->v, cmp_asset);
}

void assets_free(struct assets *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].path);
		free(a->v[i].data);
	}
	free(a->v);
	free(a);
}
