/*
 * stats_table.c — tables of counts with margins, and the suppression of
 * small numbers in them (see stats.h). Pure: no SQLite, no HTTP, so that
 * the unit tests can check it against an independent rank computation.
 *
 * Why these rules. Hiding a cell of 3 is useless if its row total and the
 * other cells of the row are shown: subtraction gives it back. So every
 * row and column (margins included) must hide none or at least two
 * entries. That alone is not enough in two dimensions: the values of the
 * hidden entries are the solutions of the row and column equations, and
 * one of them is pinned exactly when it is a bridge of the graph whose
 * vertices are the rows and columns and whose edges are the hidden
 * entries (with the margins written as a (rows+1) × (cols+1) table, the
 * equations are the incidence matrix of that bipartite graph, up to
 * signs, and its null space is the cycle space). So after the line rule
 * we look for bridges and close a 4-cycle through each.
 */
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "util.h"

enum line_kind { LINE_ROW, LINE_COL };

void stats_table_init(struct stats_table *t, int rows, int cols)
{
	size_t n = (size_t)(rows + 1) * (size_t)(cols + 1);

	t->rows = rows;
	t->cols = cols;
	t->value = xcalloc(n, sizeof *t->value);
	t->people = xcalloc(n, sizeof *t->people);
	t->suppressed = xcalloc(n, sizeof *t->suppressed);
}

void stats_table_free(struct stats_table *t)
{
	free(t->value);
	free(t->people);
	free(t->suppressed);
	memset(t, 0, sizeof *t);
}

void stats_table_sum(struct stats_table *t)
{
	for (int r = 0; r <= t->rows; r++)
		t->value[STATS_AT(t, r, t->cols)] = 0;
	for (int c = 0; c <= t->cols; c++)
		t->value[STATS_AT(t, t->rows, c)] = 0;
	for (int r = 0; r < t->rows; r++)
		for (int c = 0; c < t->cols; c++) {
			int64_t v = t->value[STATS_AT(t, r, c)];

			t->value[STATS_AT(t, r, t->cols)] += v;
			t->value[STATS_AT(t, t->rows, c)] += v;
			t->value[STATS_AT(t, t->rows, t->cols)] += v;
		}
}

/* ---- lines ---- */

/* Entries in a line: a row has cols + 1 (its total last), a column rows + 1. */
static int line_len(const struct stats_table *t, enum line_kind k)
{
	return k == LINE_ROW ? t->cols + 1 : t->rows + 1;
}

static size_t line_entry(const struct stats_table *t, enum line_kind k, int idx, int i)
{
	return k == LINE_ROW ? STATS_AT(t, idx, i) : STATS_AT(t, i, idx);
}

static int hidden_in_line(const struct stats_table *t, enum line_kind k, int idx)
{
	int n = 0;

	for (int i = 0; i < line_len(t, k); i++)
		n += t->suppressed[line_entry(t, k, idx, i)];
	return n;
}

static int is_zero(const struct stats_table *t, size_t e)
{
	return t->value[e] == 0 && t->people[e] == 0;
}

/*
 * Make line (k, idx) safe: none hidden, or at least two, and when its
 * total is shown the hidden cells stand for at least min people. Hides one
 * more entry if needed; 1 if it did.
 */
static int fix_line(struct stats_table *t, enum line_kind k, int idx, int min)
{
	int n = line_len(t, k), hidden = 0, best = -1, best_cost = 0;
	size_t total = line_entry(t, k, idx, n - 1);
	int64_t people = 0, best_people = 0;

	for (int i = 0; i < n; i++) {
		size_t e = line_entry(t, k, idx, i);

		if (!t->suppressed[e])
			continue;
		hidden++;
		if (i < n - 1)
			people += t->people[e];
	}
	if (hidden == 0 || (hidden >= 2 && (t->suppressed[total] || people >= min)))
		return 0;
	for (int i = 0; i < n; i++) {
		size_t e = line_entry(t, k, idx, i);
		/* the other line this entry belongs to: a column for a row, and back */
		int cost;

		if (t->suppressed[e] || is_zero(t, e))
			continue;
		cost = hidden_in_line(t, k == LINE_ROW ? LINE_COL : LINE_ROW, i) ? 0 : 1;
		if (best < 0 || cost < best_cost ||
		    (cost == best_cost && t->people[e] < best_people)) {
			best = i;
			best_cost = cost;
			best_people = t->people[e];
		}
	}
	if (best < 0)
		return 0;
	t->suppressed[line_entry(t, k, idx, best)] = 1;
	return 1;
}

/* ---- bridges ---- */

/*
 * Vertices: rows 0..rows (the last is the column totals), then columns
 * 0..cols at rows + 1 + c. An edge per hidden entry. Tarjan's bridge
 * search; the tables are small (at most a few dozen lines), so recursion
 * is bounded by the number of vertices.
 */
struct bridge_search {
	const struct stats_table *t;
	int *disc, *low;
	int time;
	int found_r, found_c; /* a bridge, or -1 */
};

static void dfs(struct bridge_search *b, int v, int parent_edge)
{
	const struct stats_table *t = b->t;
	int nrow = t->rows + 1, ncol = t->cols + 1;
	int is_row = v < nrow, n = is_row ? ncol : nrow;

	b->disc[v] = b->low[v] = ++b->time;
	for (int i = 0; i < n && b->found_r < 0; i++) {
		int r = is_row ? v : i, c = is_row ? i : v - nrow;
		int edge = (int)STATS_AT(t, r, c), w = is_row ? nrow + c : r;

		if (!t->suppressed[edge] || edge == parent_edge)
			continue;
		if (b->disc[w]) {
			if (b->disc[w] < b->low[v])
				b->low[v] = b->disc[w];
			continue;
		}
		dfs(b, w, edge);
		if (b->low[w] < b->low[v])
			b->low[v] = b->low[w];
		if (b->low[w] > b->disc[v] && b->found_r < 0) {
			b->found_r = r;
			b->found_c = c;
		}
	}
}

/* A hidden entry that is a bridge: 1 with *r, *c, else 0. */
static int find_bridge(const struct stats_table *t, int *r, int *c)
{
	int nv = t->rows + 1 + t->cols + 1;
	struct bridge_search b = {
	    t, xcalloc((size_t)nv, sizeof(int)), xcalloc((size_t)nv, sizeof(int)), 0, -1, -1};

	for (int v = 0; v < nv && b.found_r < 0; v++)
		if (!b.disc[v])
			dfs(&b, v, -1);
	free(b.disc);
	free(b.low);
	*r = b.found_r;
	*c = b.found_c;
	return b.found_r >= 0;
}

/*
 * Put the bridge (r, c) on a 4-cycle by hiding (r, c2), (r2, c) and
 * (r2, c2): the choice hiding the fewest zeros, then the fewest new
 * entries, then the fewest people.
 */
static void close_cycle(struct stats_table *t, int r, int c)
{
	int best_r = -1, best_c = -1;
	int64_t best[3] = {0, 0, 0};

	for (int r2 = 0; r2 <= t->rows; r2++)
		for (int c2 = 0; c2 <= t->cols; c2++) {
			size_t es[3] = {STATS_AT(t, r, c2), STATS_AT(t, r2, c),
					STATS_AT(t, r2, c2)};
			int64_t cost[3] = {0, 0, 0};
			int better = 0;

			if (r2 == r || c2 == c)
				continue;
			for (int i = 0; i < 3; i++) {
				if (t->suppressed[es[i]])
					continue;
				cost[0] += is_zero(t, es[i]);
				cost[1]++;
				cost[2] += t->people[es[i]];
			}
			for (int i = 0; i < 3; i++)
				if (cost[i] != best[i]) {
					better = cost[i] < best[i];
					break;
				}
			if (best_r < 0 || better) {
				best_r = r2;
				best_c = c2;
				memcpy(best, cost, sizeof best);
			}
		}
	if (best_r < 0)
		return; /* a table of one line: nothing can be hidden safely but all of it */
	t->suppressed[STATS_AT(t, r, best_c)] = 1;
	t->suppressed[STATS_AT(t, best_r, c)] = 1;
	t->suppressed[STATS_AT(t, best_r, best_c)] = 1;
}

void stats_suppress(struct stats_table *t, int min)
{
	size_t n = (size_t)(t->rows + 1) * (size_t)(t->cols + 1);
	int changed, r, c;

	for (size_t e = 0; e < n; e++)
		t->suppressed[e] = t->people[e] > 0 && t->people[e] < min;
	/* each pass hides at least one more entry or ends, so this terminates */
	do {
		changed = 0;
		for (int i = 0; i <= t->rows; i++)
			changed |= fix_line(t, LINE_ROW, i, min);
		for (int i = 0; i <= t->cols; i++)
			changed |= fix_line(t, LINE_COL, i, min);
		if (!changed && find_bridge(t, &r, &c)) {
			size_t before = 0, after = 0;

			for (size_t e = 0; e < n; e++)
				before += t->suppressed[e];
			close_cycle(t, r, c);
			for (size_t e = 0; e < n; e++)
				after += t->suppressed[e];
			changed = after > before;
		}
	} while (changed);
}

/* ---- JSON ---- */

static json_t *entry_json(const struct stats_table *t, size_t e)
{
	if (t->suppressed[e])
		return json_pack("{s:n,s:b}", "value", "suppressed", 1);
	return json_pack("{s:I,s:b}", "value", (json_int_t)t->value[e], "suppressed", 0);
}

static json_t *names_json(const char *const *names, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

json_t *stats_table_json(const struct stats_table *t, const char *const *row_names,
			 const char *const *col_names)
{
	json_t *cells = json_array(), *rt = json_array(), *ct = json_array();

	for (int r = 0; r < t->rows; r++) {
		json_t *row = json_array();

		for (int c = 0; c < t->cols; c++)
			json_array_append_new(row, entry_json(t, STATS_AT(t, r, c)));
		json_array_append_new(cells, row);
		json_array_append_new(rt, entry_json(t, STATS_AT(t, r, t->cols)));
	}
	for (int c = 0; c < t->cols; c++)
		json_array_append_new(ct, entry_json(t, STATS_AT(t, t->rows, c)));
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "rows", names_json(row_names, t->rows),
			 "columns", names_json(col_names, t->cols), "cells", cells, "row_totals",
			 rt, "column_totals", ct, "total",
			 entry_json(t, STATS_AT(t, t->rows, t->cols)));
}
