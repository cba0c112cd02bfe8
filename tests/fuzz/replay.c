/*
 * replay.c — a plain main() for any libFuzzer target, so that builds
 * without libFuzzer (gcc) exercise the target too: it runs
 * LLVMFuzzerTestOneInput over every file named on the command line (or
 * found in a directory named there), then over N inputs made by mutating
 * those files with a fixed-seed generator, so a run is reproducible.
 *
 *   fuzz_<name>_replay [-n N] [-s SEED] FILE|DIR...
 *
 * Exit status 0 when every input ran; a crash or abort is the failure.
 * To reproduce a libFuzzer crash file, pass it with -n 0.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX (64 * 1024) /* larger than any frame cap we test */
#define MAX_SEEDS 4096

struct seed {
	uint8_t *data;
	size_t len;
};

static struct seed seeds[MAX_SEEDS];
static size_t n_seeds;
static uint64_t rng_state;

/* xorshift64*: small, fast, and the same sequence on every machine. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static size_t below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static int add_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t len;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf = malloc(INPUT_MAX);
	if (!buf) {
		fclose(f);
		return -1;
	}
	len = fread(buf, 1, INPUT_MAX, f);
	fclose(f);
	/* Run it from an exact-size copy so that ASan sees any over-read. */
	{
		uint8_t *exact = malloc(len ? len : 1);
		if (!exact) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		if (n_seeds < MAX_SEEDS)
			seeds[n_seeds++] = (struct seed){exact, len};
		else
			free(exact);
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file in dir, in name order so runs are reproducible. */
static int add_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));
			if (!nn) {
				rc = -1;
				break;
			}
			names = nn;
		}
		if (!(names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2))) {
			rc = -1;
			break;
		}
		sprintf(names[n++], "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			rc = add_file(names[i]);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* Fragments that JSON parsers and our checks care about. */
static const char *const tokens[] = {
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "\\",
    "\\u0000",
    "\\ud800",
    "\\u00e9",
    "\\n",
    "\\r",
    "\\\"",
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1.5",
    "1e3",
    "9007199254740993",
    "99999999999999999999",
    "\"type\"",
    "\"say\"",
    "\"mod\"",
    "\"action\"",
    "\"session\"",
    "\"text\"",
    "\"client_id\"",
    "\"ref\"",
    "\"user\"",
    "\"seq\"",
    "\"minutes\"",
    "\"extend\"",
    "\"announce\"",
    "\xc3\xa9",
    "\xf0\x9f\x92\x99",
    "\xc0\xaf",
    "\xed\xa0\x80",
    "\xff",
    "\xc2\x85",
    "\xe2\x80\x8b",
    "[[[[[[[[[",
    "]]]]]]]]]",
};

/* Apply one random edit to buf (len bytes, room for INPUT_MAX). */
static size_t mutate_once(uint8_t *buf, size_t len)
{
	size_t at = below(len + 1), n;

	switch (below(7)) {
	case 0: /* flip a bit */
		if (len)
			buf[below(len)] ^= (uint8_t)(1u << below(8));
		return len;
	case 1: /* any byte */
		if (len)
			buf[below(len)] = (uint8_t)rnd();
		return len;
	case 2: { /* insert a token */
		const char *t = tokens[below(sizeof(tokens) / sizeof(tokens[0]))];
		n = strlen(t);
		if (len + n > INPUT_MAX)
			return len;
		memmove(buf + at + n, buf + at, len - at);
		memcpy(buf + at, t, n);
		return len + n;
	}
	case 3: /* delete a short run */
		n = below((len - at < 16 ? len - at : 16) + 1);
		memmove(buf + at, buf + at + n, len - at - n);
		return len - n;
	case 4: /* repeat a run, sometimes many times (long texts, deep nesting) */
		n = below(len - at + 1);
		if (n > 64)
			n = 64;
		for (size_t k = below(4) ? 1 : below(400); n && k > 0 && len + n <= INPUT_MAX;
		     k--) {
			memmove(buf + at + n, buf + at, len - at);
			len += n;
		}
		return len;
	case 5: /* splice in part of another seed */
		if (n_seeds) {
			const struct seed *s = &seeds[below(n_seeds)];
			size_t from = below(s->len + 1);
			n = below(s->len - from + 1);
			if (len + n > INPUT_MAX)
				return len;
			memmove(buf + at + n, buf + at, len - at);
			memcpy(buf + at, s->data + from, n);
			return len + n;
		}
		return len;
	default: /* truncate */
		return at;
	}
}

static void run_mutations(unsigned long n)
{
	uint8_t *buf = malloc(INPUT_MAX);

	if (!buf || !n_seeds) {
		free(buf);
		return;
	}
	for (unsigned long i = 0; i < n; i++) {
		const struct seed *s = &seeds[below(n_seeds)];
		size_t len = s->len, edits = 1 + below(8);
		uint8_t *exact;

		memcpy(buf, s->data, len);
		while (edits--)
			len = mutate_once(buf, len);
		exact = malloc(len ? len : 1);
		if (!exact)
			break;
		memcpy(exact, buf, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	free(buf);
}

int main(int argc, char **argv)
{
	unsigned long n = 10000;
	uint64_t seed = 0x4865617274680001ULL; /* "Hearth" + 1 */
	int files = 0, rc = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			n = strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 0);
		} else if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			rc |= add_dir(argv[i]);
			files++;
		} else {
			rc |= add_file(argv[i]);
			files++;
		}
	}
	if (!files) {
		fprintf(stderr, "usage: %s [-n N] [-s SEED] FILE|DIR...\n", argv[0]);
		return 2;
	}
	rng_state = seed ? seed : 1;
	run_mutations(n);
	printf("replay: %zu seed inputs, %lu mutations, seed %#llx: ok\n", n_seeds, n,
	       (unsigned long long)seed);
	for (size_t i = 0; i < n_seeds; i++)
		free(seeds[i].data);
	return rc ? 1 : 0;
}
