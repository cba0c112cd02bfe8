/*
 * main.c — `hearth-bench`: options (defaults, then a scenario .ini given
 * by --config, then flags), and the sub-commands `compare` and
 * `selftest`. See bench/README.md for what each figure means.
 */
#include <getopt.h>
#include <ini.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen.h"
#include "hist.h"

static const char usage_text[] =
    "usage: hearth-bench --port PORT [--target hearth|baseline] [--manifest FILE]\n"
    "         [--scenario steady|burst|idle|resume-storm|ramp] [--config SCENARIO.ini]\n"
    "         [--rooms N] [--interval-ms MS] [--warmup S] [--duration S] [--drain S]\n"
    "         [--text-len N] [--start-rooms N] [--max-rooms N] [--threshold-ms MS]\n"
    "         [--refine N]\n"
    "         [--storm-at S] [--connect-concurrency N] [--pid PID] [--data DIR]\n"
    "         [--fsync-iters N] [--host ADDR] [--origin URL] [--json FILE] [--label L]\n"
    "         [--quiet]\n"
    "       hearth-bench compare HEARTH.json BASELINE.json\n"
    "       hearth-bench selftest\n";

static const struct option long_opts[] = {
    {"target", required_argument, NULL, 0},
    {"host", required_argument, NULL, 0},
    {"port", required_argument, NULL, 0},
    {"origin", required_argument, NULL, 0},
    {"manifest", required_argument, NULL, 0},
    {"data", required_argument, NULL, 0},
    {"json", required_argument, NULL, 0},
    {"label", required_argument, NULL, 0},
    {"pid", required_argument, NULL, 0},
    {"scenario", required_argument, NULL, 0},
    {"config", required_argument, NULL, 0},
    {"rooms", required_argument, NULL, 0},
    {"interval-ms", required_argument, NULL, 0},
    {"warmup", required_argument, NULL, 0},
    {"duration", required_argument, NULL, 0},
    {"drain", required_argument, NULL, 0},
    {"text-len", required_argument, NULL, 0},
    {"connect-concurrency", required_argument, NULL, 0},
    {"start-rooms", required_argument, NULL, 0},
    {"max-rooms", required_argument, NULL, 0},
    {"threshold-ms", required_argument, NULL, 0},
    {"storm-at", required_argument, NULL, 0},
    {"refine", required_argument, NULL, 0},
    {"fsync-iters", required_argument, NULL, 0},
    {"quiet", no_argument, NULL, 0},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void defaults(struct gen_opts *o)
{
	memset(o, 0, sizeof *o);
	o->target = TGT_HEARTH;
	o->scenario = SC_STEADY;
	snprintf(o->host, sizeof o->host, "127.0.0.1");
	snprintf(o->label, sizeof o->label, "run");
	o->rooms = 100;
	o->interval_ms = 2000;
	o->warmup_s = 5;
	o->duration_s = 30;
	o->drain_s = 5;
	o->text_len = 80;
	o->connect_concurrency = 100;
	o->start_rooms = 50;
	o->max_rooms = 1600;
	o->threshold_ms = 100;
	o->refine = 1;
	o->storm_at_s = -1; /* a third of the window */
	o->fsync_iters = 200;
}

static int num(const char *v, double lo, double hi, double *out)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v || *end || d < lo || d > hi)
		return -1;
	*out = d;
	return 0;
}

static int copy(char *dst, size_t n, const char *v)
{
	if (strlen(v) >= n)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* Apply one option (flag name, '_' and '-' alike). 0, -1 bad value, -2 unknown. */
static int apply(struct gen_opts *o, const char *name, const char *v)
{
	static const char *const scenarios[] = {"steady", "ramp", "burst", "idle", "resume-storm"};
	char key[40];
	double d;

	snprintf(key, sizeof key, "%s", name);
	for (char *p = key; *p; p++)
		if (*p == '_')
			*p = '-';
#define NUM(k, lo, hi, field)                                                                      \
	if (!strcmp(key, k))                                                                       \
		return num(v, lo, hi, &d) ? -1 : ((field) = (__typeof__(field))d, 0);
	NUM("port", 1, 65535, o->port)
	NUM("pid", 1, 1 << 30, o->pid)
	NUM("rooms", 1, 10000, o->rooms)
	NUM("interval-ms", 10, 3600000, o->interval_ms)
	NUM("warmup", 0, 3600, o->warmup_s)
	NUM("duration", 1, 36000, o->duration_s)
	NUM("drain", 0, 600, o->drain_s)
	NUM("text-len", 1, 4000, o->text_len)
	NUM("connect-concurrency", 1, 100000, o->connect_concurrency)
	NUM("start-rooms", 1, 10000, o->start_rooms)
	NUM("max-rooms", 1, 10000, o->max_rooms)
	NUM("threshold-ms", 0.1, 1e6, o->threshold_ms)
	NUM("storm-at", 0, 36000, o->storm_at_s)
	NUM("refine", 0, 8, o->refine)
	NUM("fsync-iters", 0, 100000, o->fsync_iters)
#undef NUM
	if (!strcmp(key, "target")) {
		if (!strcmp(v, "hearth") || !strcmp(v, "baseline")) {
			o->target = !strcmp(v, "hearth") ? TGT_HEARTH : TGT_BASELINE;
			return 0;
		}
		return -1;
	}
	if (!strcmp(key, "scenario")) {
		for (int i = 0; i < 5; i++)
			if (!strcmp(v, scenarios[i])) {
				o->scenario = (enum gen_scenario)i;
				return 0;
			}
		return -1;
	}
	if (!strcmp(key, "quiet")) {
		o->quiet = strcmp(v, "0") && strcmp(v, "false");
		return 0;
	}
	if (!strcmp(key, "host"))
		return copy(o->host, sizeof o->host, v);
	if (!strcmp(key, "origin"))
		return copy(o->origin, sizeof o->origin, v);
	if (!strcmp(key, "manifest"))
		return copy(o->manifest, sizeof o->manifest, v);
	if (!strcmp(key, "data"))
		return copy(o->data_dir, sizeof o->data_dir, v);
	if (!strcmp(key, "json"))
		return copy(o->json_out, sizeof o->json_out, v);
	if (!strcmp(key, "label"))
		return copy(o->label, sizeof o->label, v);
	return -2;
}

static int on_ini_key(void *user, const char *section, const char *name, const char *value)
{
	int rc = apply(user, name, value);

	(void)section;
	if (rc)
		fprintf(stderr, "hearth-bench: scenario file: %s %s\n",
			rc == -2 ? "unknown key" : "bad value for", name);
	return rc == 0;
}

static int parse_args(int argc, char **argv, struct gen_opts *o)
{
	int idx, ch;

	defaults(o);
	/* the .ini first, so that flags win whatever their order */
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--config")) {
			int line = ini_parse(argv[i + 1], on_ini_key, o);

			if (line) {
				fprintf(stderr, "hearth-bench: %s: problem at line %d\n",
					argv[i + 1], line);
				return -1;
			}
		}
	while ((ch = getopt_long(argc, argv, "h", long_opts, &idx)) != -1) {
		const char *name;

		if (ch != 0) {
			fputs(usage_text, ch == 'h' ? stdout : stderr);
			return ch == 'h' ? 1 : -1;
		}
		name = long_opts[idx].name;
		if (!strcmp(name, "config"))
			continue;
		if (apply(o, name, optarg ? optarg : "1")) {
			fprintf(stderr, "hearth-bench: bad value for --%s: %s\n", name,
				optarg ? optarg : "");
			return -1;
		}
	}
	if (optind < argc || !o->port) {
		fputs(usage_text, stderr);
		return -1;
	}
	if (!o->origin[0])
		snprintf(o->origin, sizeof o->origin, "http://%s:%d", o->host, o->port);
	if (o->storm_at_s < 0)
		o->storm_at_s = o->duration_s / 3;
	return 0;
}

/* ---- selftest: the histogram against exact quantiles ---- */

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int selftest(void)
{
	enum { N = 200000 };
	static const double qs[] = {0.5, 0.9, 0.99, 0.999, 1.0};
	static struct hist h;
	int64_t *v = malloc(N * sizeof *v);
	int bad = 0;

	if (!v)
		return 1;
	/* buckets tile the line: each starts right after the last */
	for (int i = 1; i < HIST_BUCKETS; i++)
		if (hist_bucket_low(i) != hist_bucket_high(i - 1) + 1 ||
		    hist_index(hist_bucket_low(i)) != i || hist_index(hist_bucket_high(i)) != i) {
			fprintf(stderr, "selftest: bucket %d is not contiguous\n", i);
			bad++;
			break;
		}
	hist_reset(&h);
	srand(7);
	for (int i = 0; i < N; i++) {
		/* a long tail, like latencies: 100 µs .. ~10 s */
		double u = (rand() + 1.0) / ((double)RAND_MAX + 2.0);

		v[i] = (int64_t)(100.0 / (u * u * u * 0.999 + 0.001));
		hist_record(&h, v[i]);
	}
	qsort(v, N, sizeof *v, cmp64);
	for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
		size_t rank = (size_t)(qs[k] * N + 0.999999);
		int64_t exact = v[(rank ? rank : 1) - 1], got = hist_quantile(&h, qs[k]);

		if (got < exact || (double)(got - exact) > exact / 128.0 + 1) {
			fprintf(stderr, "selftest: q=%.3f exact %lld got %lld\n", qs[k],
				(long long)exact, (long long)got);
			bad++;
		}
	}
	free(v);
	printf("selftest: %s\n", bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct gen g;
	int rc;

	if (argc >= 2 && !strcmp(argv[1], "compare")) {
		if (argc != 4) {
			fputs(usage_text, stderr);
			return 2;
		}
		return rep_compare(argv[2], argv[3]);
	}
	if (argc >= 2 && !strcmp(argv[1], "selftest"))
		return selftest();
	rc = parse_args(argc, argv, &g.o);
	if (rc)
		return rc > 0 ? 0 : 2;
	signal(SIGPIPE, SIG_IGN);
	srand((unsigned)time(NULL));
	if (gen_run(&g))
		return 1;
	if (rep_write(&g))
		return 1;
	return g.exit_code;
}
