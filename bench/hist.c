/*
 * hist.c — log-linear latency histograms (see hist.h).
 *
 * Layout: index v for v < 256; above, a value whose top bit is bit e
 * (e >= 8) is shifted right by s = e - 7, leaving 128..255, and lands in
 * octave s: index 256 + (s - 1) * 128 + (v >> s) - 128.
 */
#include "hist.h"

#include <string.h>

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof *h);
}

int hist_index(int64_t v)
{
	int e, s, i;

	if (v < (1 << HIST_SUB_BITS))
		return v < 0 ? 0 : (int)v;
	e = 63 - __builtin_clzll((unsigned long long)v);
	s = e - (HIST_SUB_BITS - 1);
	i = (1 << HIST_SUB_BITS) + (s - 1) * HIST_HALF + (int)(v >> s) - HIST_HALF;
	return i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;
}

int64_t hist_bucket_low(int i)
{
	int s;

	if (i < (1 << HIST_SUB_BITS))
		return i;
	i -= 1 << HIST_SUB_BITS;
	s = i / HIST_HALF + 1;
	return (int64_t)(i % HIST_HALF + HIST_HALF) << s;
}

int64_t hist_bucket_high(int i)
{
	int s;

	if (i < (1 << HIST_SUB_BITS))
		return i;
	s = (i - (1 << HIST_SUB_BITS)) / HIST_HALF + 1;
	return hist_bucket_low(i) + ((int64_t)1 << s) - 1;
}

void hist_record(struct hist *h, int64_t v)
{
	if (v < 0)
		v = 0;
	h->count[hist_index(v)]++;
	if (h->total == 0 || v < h->min)
		h->min = v;
	if (h->total == 0 || v > h->max)
		h->max = v;
	h->total++;
	h->sum += (double)v;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->total == 0)
		return;
	for (int i = 0; i < HIST_BUCKETS; i++)
		dst->count[i] += src->count[i];
	if (dst->total == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->total == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->total += src->total;
	dst->sum += src->sum;
}

int64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t want, seen = 0;

	if (h->total == 0)
		return 0;
	if (q >= 1.0)
		return h->max;
	want = (uint64_t)(q * (double)h->total);
	if ((double)want < q * (double)h->total)
		want++;
	if (want < 1)
		want = 1;
	for (int i = 0; i < HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= want) {
			int64_t v = hist_bucket_high(i);

			return v > h->max ? h->max : v < h->min ? h->min : v;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	return h->total ? h->sum / (double)h->total : 0.0;
}
