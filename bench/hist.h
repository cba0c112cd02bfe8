/*
 * hist.h — latency histograms with log-linear buckets (HdrHistogram's
 * idea, written here): values below 256 are counted exactly, larger ones
 * in 128 buckets per power of two, so any recorded value is known within
 * 1/128 (0.8 %) from 1 µs up to hours — fine enough for p99.9.
 *
 * A histogram is a plain struct (about 43 KiB) with no allocation; zero
 * it with hist_reset() (or memset) before use. Not thread-safe: the
 * generator records only on its loop thread.
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 8			     /* 256 exact values, then 128 per octave */
#define HIST_HALF (1 << (HIST_SUB_BITS - 1)) /* 128 */
#define HIST_OCTAVES 40			     /* up to 2^47 µs */
#define HIST_BUCKETS ((1 << HIST_SUB_BITS) + HIST_OCTAVES * HIST_HALF)

struct hist {
	uint64_t count[HIST_BUCKETS];
	uint64_t total;
	int64_t min, max; /* exact; valid when total > 0 */
	double sum;
};

void hist_reset(struct hist *h);
/* Record one value (negative values count as 0; huge ones in the last bucket). */
void hist_record(struct hist *h, int64_t v);
/* Add every count of src into dst. */
void hist_merge(struct hist *dst, const struct hist *src);
/*
 * The value at quantile q (0 < q <= 1): the highest value equivalent to
 * the bucket that holds the ceil(q * total)-th smallest sample, never above
 * the exact max. 0 when empty.
 */
int64_t hist_quantile(const struct hist *h, double q);
double hist_mean(const struct hist *h);

/* Bucket index of v, and the lowest/highest value the bucket holds (for tests). */
int hist_index(int64_t v);
int64_t hist_bucket_low(int i);
int64_t hist_bucket_high(int i);

#endif
