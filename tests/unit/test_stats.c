/*
 * test_stats.c — small-number suppression (server/stats_table.c): what is
 * hidden in tables we can reason about by hand, and, over many random
 * tables, that every hidden entry stays unknowable — checked with an
 * independent method: the rank of the row and column equations over the
 * hidden entries (an entry is pinned exactly when its column of that
 * system is not a combination of the others).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "util.h"

#define MIN 5

/* A table from a literal of cells (rows × cols, row order); people = value. */
static void table_from(struct stats_table *t, int rows, int cols, const int *cells)
{
	stats_table_init(t, rows, cols);
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++)
			t->value[STATS_AT(t, r, c)] = cells[r * cols + c];
	stats_table_sum(t);
	for (size_t e = 0; e < (size_t)(rows + 1) * (size_t)(cols + 1); e++)
		t->people[e] = t->value[e];
}

static int hidden(const struct stats_table *t, int r, int c)
{
	return t->suppressed[STATS_AT(t, r, c)];
}

/* ---- the independent check: ranks ---- */

static int rank_of(double *m, int rows, int cols)
{
	int rank = 0;

	for (int c = 0; c < cols && rank < rows; c++) {
		int piv = -1;

		for (int r = rank; r < rows; r++)
			if (fabs(m[r * cols + c]) > 1e-9 &&
			    (piv < 0 || fabs(m[r * cols + c]) > fabs(m[piv * cols + c])))
				piv = r;
		if (piv < 0)
			continue;
		for (int k = 0; k < cols; k++) {
			double x = m[rank * cols + k];

			m[rank * cols + k] = m[piv * cols + k];
			m[piv * cols + k] = x;
		}
		for (int r = 0; r < rows; r++) {
			double f;

			if (r == rank || fabs(m[r * cols + c]) < 1e-12)
				continue;
			f = m[r * cols + c] / m[rank * cols + c];
			for (int k = 0; k < cols; k++)
				m[r * cols + k] -= f * m[rank * cols + k];
		}
		rank++;
	}
	return rank;
}

/*
 * The rank of the equations (each row and each column: cells minus total
 * is zero) restricted to the hidden entries, leaving out `skip` (-1: none).
 */
static int hidden_rank(const struct stats_table *t, const size_t *hid, int nh, int skip)
{
	int R = t->rows, C = t->cols, neq = R + 1 + C + 1, ncol = 0, rank;
	double *m = xcalloc((size_t)neq * (size_t)(nh ? nh : 1), sizeof *m);

	for (int j = 0; j < nh; j++) {
		size_t e = hid[j];
		int r = (int)(e / (size_t)(C + 1)), c = (int)(e % (size_t)(C + 1));

		if (j == skip)
			continue;
		/* row r's equation: cells +1, its total (c == C) -1 */
		m[r * nh + ncol] = c == C ? -1 : 1;
		/* column c's equation: cells +1, its total (r == R) -1 */
		m[(R + 1 + c) * nh + ncol] = r == R ? -1 : 1;
		ncol++;
	}
	rank = rank_of(m, neq, nh);
	free(m);
	return rank;
}

/* Every hidden entry can take more than one value given what is shown. */
static void assert_unknowable(const struct stats_table *t)
{
	size_t n = (size_t)(t->rows + 1) * (size_t)(t->cols + 1), hid[512] = {0};
	int nh = 0, full;

	for (size_t e = 0; e < n; e++)
		if (t->suppressed[e]) {
			assert_true(nh < (int)ARRAY_LEN(hid));
			hid[nh++] = e;
		}
	full = hidden_rank(t, hid, nh, -1);
	for (int j = 0; j < nh; j++)
		if (hidden_rank(t, hid, nh, j) != full)
			fail_msg("entry (%zu, %zu) of a %dx%d table can be worked out",
				 hid[j] / (size_t)(t->cols + 1), hid[j] % (size_t)(t->cols + 1),
				 t->rows, t->cols);
}

/* The line rules of stats.h, and no small entry shown. */
static void assert_rules(const struct stats_table *t)
{
	for (int r = 0; r <= t->rows; r++)
		for (int c = 0; c <= t->cols; c++) {
			size_t e = STATS_AT(t, r, c);

			if (t->people[e] > 0 && t->people[e] < MIN)
				assert_true(t->suppressed[e]);
		}
	for (int k = 0; k < 2; k++) {
		int nlines = k == 0 ? t->rows + 1 : t->cols + 1;
		int len = k == 0 ? t->cols + 1 : t->rows + 1;

		for (int l = 0; l < nlines; l++) {
			int h = 0;
			int64_t people = 0;
			size_t total = k == 0 ? STATS_AT(t, l, t->cols) : STATS_AT(t, t->rows, l);

			for (int i = 0; i < len; i++) {
				size_t e = k == 0 ? STATS_AT(t, l, i) : STATS_AT(t, i, l);

				if (!t->suppressed[e])
					continue;
				h++;
				if (e != total)
					people += t->people[e];
			}
			assert_true(h == 0 || h >= 2);
			if (h && !t->suppressed[total])
				assert_true(people >= MIN);
		}
	}
}

/* ---- tables reasoned by hand ---- */

static void test_large_cells_all_shown(void **state)
{
	static const int cells[] = {5, 9, 12, 7, 30, 5};
	struct stats_table t;

	(void)state;
	table_from(&t, 2, 3, cells);
	stats_suppress(&t, MIN);
	for (size_t e = 0; e < 12; e++)
		assert_false(t.suppressed[e]);
	assert_int_equal(t.value[STATS_AT(&t, 2, 3)], 68);
	stats_table_free(&t);
}

static void test_zeros_are_shown(void **state)
{
	static const int cells[] = {0, 6, 0, 8};
	struct stats_table t;

	(void)state;
	table_from(&t, 2, 2, cells);
	stats_suppress(&t, MIN);
	for (size_t e = 0; e < 9; e++)
		assert_false(t.suppressed[e]);
	stats_table_free(&t);
}

/* One small cell is never alone: its row and column lose another entry each. */
static void test_one_small_cell_gets_complements(void **state)
{
	static const int cells[] = {20, 3, 14, 11, 9, 25, 8, 16, 30};
	struct stats_table t;
	int n = 0;

	(void)state;
	table_from(&t, 3, 3, cells);
	stats_suppress(&t, MIN);
	assert_true(hidden(&t, 0, 1));
	for (size_t e = 0; e < 16; e++)
		n += t.suppressed[e];
	assert_true(n >= 4);
	assert_rules(&t);
	assert_unknowable(&t);
	stats_table_free(&t);
}

/*
 * The integration test's table: five members of a patient group aged
 * 45-54, two of a carers' group aged 25-34. The 5 stays visible; the 2,
 * and what would give it away, do not.
 */
static void test_five_shown_two_hidden(void **state)
{
	/* rows: patient, caregiver; columns: 25-34, 45-54, 55-64 */
	static const int cells[] = {0, 5, 0, 2, 0, 0};
	struct stats_table t;
	json_t *j, *cell;

	(void)state;
	table_from(&t, 2, 3, cells);
	stats_suppress(&t, MIN);
	assert_false(hidden(&t, 0, 1));
	assert_true(hidden(&t, 1, 0));
	assert_true(hidden(&t, 1, 3)); /* the carers' total is 2 as well */
	assert_rules(&t);
	assert_unknowable(&t);
	j = stats_table_json(&t, (const char *const[]){"patient", "caregiver"},
			     (const char *const[]){"25-34", "45-54", "55-64"});
	cell = json_array_get(json_array_get(json_object_get(j, "cells"), 0), 1);
	assert_int_equal(json_integer_value(json_object_get(cell, "value")), 5);
	assert_true(json_is_false(json_object_get(cell, "suppressed")));
	cell = json_array_get(json_array_get(json_object_get(j, "cells"), 1), 0);
	assert_true(json_is_null(json_object_get(cell, "value")));
	assert_true(json_is_true(json_object_get(cell, "suppressed")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "rows"), 1)),
			    "caregiver");
	json_decref(j);
	stats_table_free(&t);
}

/* A one-row table (the attendance rates): one small category hides another. */
static void test_one_row(void **state)
{
	static const int cells[] = {12, 3, 9, 0};
	struct stats_table t;

	(void)state;
	table_from(&t, 1, 4, cells);
	stats_suppress(&t, MIN);
	assert_true(hidden(&t, 0, 1));
	assert_true(hidden(&t, 0, 2) || hidden(&t, 0, 0) || hidden(&t, 0, 4));
	assert_false(hidden(&t, 0, 3)); /* a zero */
	assert_rules(&t);
	assert_unknowable(&t);
	stats_table_free(&t);
}

/* Distinct people, not sums, decide: 40 posts by 2 people are hidden. */
static void test_people_not_values_decide(void **state)
{
	static const int cells[] = {40, 12, 9, 30};
	struct stats_table t;

	(void)state;
	table_from(&t, 2, 2, cells);
	t.people[STATS_AT(&t, 0, 0)] = 2;
	stats_suppress(&t, MIN);
	assert_true(hidden(&t, 0, 0));
	assert_rules(&t);
	assert_unknowable(&t);
	stats_table_free(&t);
}

/* ---- many random tables ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 32);
}

static void test_random_tables_never_give_a_hidden_entry_away(void **state)
{
	(void)state;
	for (int round = 0; round < 3000; round++) {
		int rows = 1 + (int)(next_rand() % 6), cols = 1 + (int)(next_rand() % 8);
		int cells[48];
		struct stats_table t;

		for (int i = 0; i < rows * cols; i++) {
			unsigned k = next_rand() % 10;

			/* mostly zeros and small counts, as in a small charity's data */
			cells[i] = k < 3   ? 0
				   : k < 7 ? 1 + (int)(next_rand() % 4)
					   : (int)(next_rand() % 40);
		}
		table_from(&t, rows, cols, cells);
		stats_suppress(&t, MIN);
		assert_rules(&t);
		assert_unknowable(&t);
		stats_table_free(&t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_large_cells_all_shown),
	    cmocka_unit_test(test_zeros_are_shown),
	    cmocka_unit_test(test_one_small_cell_gets_complements),
	    cmocka_unit_test(test_five_shown_two_hidden),
	    cmocka_unit_test(test_one_row),
	    cmocka_unit_test(test_people_not_values_decide),
	    cmocka_unit_test(test_random_tables_never_give_a_hidden_entry_away),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
