/*
 * testdir.h — a scratch folder per unit test, under $HEARTH_TEST_TMP (the
 * build folder, as meson sets it) or /tmp, removed with all it holds.
 */
#ifndef HEARTH_TESTDIR_H
#define HEARTH_TESTDIR_H

/* A new empty folder named hearth-NAME-XXXXXX; the path is owned by the caller. */
char *testdir_new(const char *name);
/* Remove the folder and everything in it, and free the path (NULL is fine). */
void testdir_remove(char *dir);

#endif
