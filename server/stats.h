/*
 * stats.h — aggregate statistics for managers (GET /api/v1/stats), with
 * small numbers suppressed so that no person can be picked out.
 *
 * Every figure is a table of counts with its margins: cells, a total per
 * row and per column, and a grand total (margins are sums of cells). Each
 * entry also carries the number of distinct people behind it; an entry
 * backed by 1 to STATS_MIN - 1 people is hidden (primary suppression), and
 * then more entries are hidden until none can be worked out from what is
 * shown (secondary suppression, stats_suppress()). A hidden entry reads
 * {"value": null, "suppressed": true}. Zeros are shown: a zero names
 * nobody.
 *
 * The tables (GET /api/v1/stats?months=N, N 1-24, default 12; managers
 * only, 403 for anyone else):
 *   members      active memberships by group category × age band given
 *                in the application ("unknown" without one); someone in a
 *                group and a workshop counts once in each;
 *   sessions     live sessions held (closed) in the last N months by
 *                category, and the attendance rate: members present at
 *                least once in a session ÷ members of the group when it
 *                opened; the rates are hidden as their member counts are;
 *   board_posts  published board posts per month × category (the group's
 *                category, or the site-wide "conversations" and
 *                "specialist" boards), hidden by distinct authors.
 * Months are calendar months in UTC. Nothing here reads content.
 */
#ifndef HEARTH_STATS_H
#define HEARTH_STATS_H

#include <jansson.h>
#include <stdint.h>

struct server;

#define STATS_MIN 5 /* fewest people an entry shown may stand for */
#define STATS_MONTHS_DEFAULT 12
#define STATS_MONTHS_MAX 24

/*
 * One table: rows × cols cells, and its margins at row index `rows` (the
 * column totals) and column index `cols` (the row totals); entry (rows,
 * cols) is the grand total. Arrays hold (rows + 1) × (cols + 1) entries in
 * row order; STATS_AT gives an entry's index.
 */
struct stats_table {
	int rows, cols;
	int64_t *value;		   /* the count shown */
	int64_t *people;	   /* distinct people behind it (decides suppression) */
	unsigned char *suppressed; /* set by stats_suppress() */
};
#define STATS_AT(t, r, c) ((size_t)(r) * (size_t)((t)->cols + 1) + (size_t)(c))

/* Zeroed table of rows × cols cells (both at least 1). */
void stats_table_init(struct stats_table *t, int rows, int cols);
void stats_table_free(struct stats_table *t);
/* Set the margins' values to the sums of the cells (people are the caller's). */
void stats_table_sum(struct stats_table *t);

/*
 * Decide which entries to hide, so that
 *   - no entry backed by 1 to min - 1 people is shown;
 *   - in every row and column (margins included) hidden entries are none
 *     or at least two, and when the line's total is shown the hidden cells
 *     stand for at least min people together;
 *   - no hidden entry can be worked out exactly from the shown ones with
 *     the row and column sums (in the graph whose edges are the hidden
 *     entries, between their row and their column, none is a bridge).
 * Complements are chosen among non-zero entries, cheapest first (one whose
 * other line already hides something, then the fewest people).
 */
void stats_suppress(struct stats_table *t, int min);

/*
 * The table as JSON: {"rows": [names], "columns": [names], "cells": [[E]],
 * "row_totals": [E], "column_totals": [E], "total": E} where E is
 * {"value": n, "suppressed": false} or {"value": null, "suppressed": true}.
 * New reference.
 */
json_t *stats_table_json(const struct stats_table *t, const char *const *row_names,
			 const char *const *col_names);

/* Register GET /api/v1/stats. */
void stats_init(struct server *srv);

#endif
