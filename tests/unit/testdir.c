/*
 * testdir.c — scratch folders for the unit tests (see testdir.h).
 */
#include "testdir.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *testdir_new(const char *name)
{
	const char *base = getenv("HEARTH_TEST_TMP");
	size_t n;
	char *dir;

	if (!base || !*base)
		base = "/tmp";
	n = strlen(base) + strlen(name) + sizeof "/hearth--XXXXXX";
	dir = malloc(n);
	if (!dir || snprintf(dir, n, "%s/hearth-%s-XXXXXX", base, name) >= (int)n || !mkdtemp(dir)) {
		perror(name);
		abort();
	}
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

void testdir_remove(char *dir)
{
	if (!dir)
		return;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}
