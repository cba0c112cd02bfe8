/*
 * schema.h — the database schema as numbered migrations.
 *
 * Versions are assigned by area so parallel work does not collide:
 *   1 core (settings, audit log), 2 accounts, 3 groups and applications,
 *   4 live sessions and messages, 5 transcripts, 6 boards,
 *   7 conversations and reports, 8 mail outbox, 9+ later changes.
 * A migration is never edited once merged: add a new one.
 */
#ifndef HEARTH_SCHEMA_H
#define HEARTH_SCHEMA_H

#include <stddef.h>

struct migration {
	int version;
	const char *name;
	const char *sql; /* one or more statements, run in one transaction */
};

/* The migrations in ascending version order; *n gets the count. */
const struct migration *schema_migrations(size_t *n);

#endif
