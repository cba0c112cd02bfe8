/*
 * audit.h — the append-only audit log: who did what to whom, when.
 *
 * Rows hold ids, action names and small JSON details of ids and codes —
 * never message text, passwords or personal data. Each row's hash covers
 * its fields and the previous row's hash, so deleting or editing a row
 * breaks the chain, which audit_verify() reports.
 */
#ifndef HEARTH_AUDIT_H
#define HEARTH_AUDIT_H

#include <stdint.h>

#include "store.h"

#define AUDIT_SYSTEM 0 /* actor id for the server itself */

/*
 * Append one row inside the caller's store job (so it commits, or rolls
 * back, with the change it records). detail_json may be NULL ("{}").
 * Returns 0 or a negative store_err.
 */
int audit_append(struct store_tx *tx, int64_t actor_id, const char *action,
		 const char *target_type, int64_t target_id, const char *detail_json);

/*
 * Walk the whole chain. Returns 0 when intact; otherwise the id of the
 * first row that does not verify (or -1 on a database error), with a
 * sentence in why.
 */
int64_t audit_verify(struct store_tx *tx, char *why, size_t whylen);

#endif
