/*
 * test_crypto.c — server/crypto.c: scrypt against RFC 7914, the encoded
 * password hash format and its bounds, tokens and digests against known
 * answers, the field key file's checks, and AES-GCM field sealing bound
 * to its cell.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto.h"
#include "testdir.h"
#include "util.h"

/* ---- scrypt ------------------------------------------------------------- */

static void hex_of(const unsigned char *p, size_t n, char *out)
{
	hex_encode(p, n, out);
}

static void test_scrypt_rfc7914_vectors(void **state)
{
	unsigned char out[64];
	char hex[129];

	(void)state;
	/* RFC 7914 section 12, second and first vectors. */
	assert_int_equal(crypto__scrypt("password", 8, "NaCl", 4, 1024, 8, 16, out, 64), 0);
	hex_of(out, 64, hex);
	assert_string_equal(hex,
			    "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
			    "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
	assert_int_equal(crypto__scrypt("", 0, "", 0, 16, 1, 1, out, 64), 0);
	hex_of(out, 64, hex);
	assert_string_equal(hex,
			    "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
			    "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
}

static void test_scrypt_refuses_bad_cost(void **state)
{
	unsigned char out[32];

	(void)state;
	/* N must be a power of two above 1; memory is capped at CRYPTO_SCRYPT_MAXMEM. */
	assert_int_equal(crypto__scrypt("x", 1, "salt", 4, 1000, 8, 1, out, 32), CRYPTO_EPARAMS);
	assert_int_equal(crypto__scrypt("x", 1, "salt", 4, 1, 8, 1, out, 32), CRYPTO_EPARAMS);
	assert_int_equal(crypto__scrypt("x", 1, "salt", 4, (uint64_t)1 << 18, 8, 1, out, 32),
			 CRYPTO_EPARAMS);
	assert_int_equal(crypto__scrypt("x", 1, "salt", 4, (uint64_t)1 << 62, 1, 1, out, 32),
			 CRYPTO_EPARAMS);
	assert_int_equal(crypto__scrypt("x", 1, "salt", 4, 1024, (uint64_t)1 << 60, 1, out, 32),
			 CRYPTO_EPARAMS);
	assert_int_equal(crypto__scrypt("x", 1, "salt", 4, 1024, 8, UINT64_MAX, out, 32),
			 CRYPTO_EPARAMS);
}

/* ---- password hashes ---------------------------------------------------- */

static int all_in(const char *s, size_t n, const char *alphabet)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(alphabet, s[i]))
			return 0;
	return 1;
}

#define B64_STD "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
#define B64_URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* Change the base64 character at i; A and Q share their low bits, so it stays canonical. */
static void flip_b64(char *s, size_t i)
{
	s[i] = s[i] == 'A' ? 'Q' : 'A';
}

static void test_hash_real_parameters(void **state)
{
	static const char prefix[] = "$scrypt$ln=17,r=8,p=1$";
	char enc[CRYPTO_PW_ENCODED_MAX], other[CRYPTO_PW_ENCODED_MAX], copy[CRYPTO_PW_ENCODED_MAX];
	const char *salt, *hash;

	(void)state;
	assert_int_equal(crypto_password_hash("correct horse", 13, enc, sizeof enc), 0);
	assert_memory_equal(enc, prefix, sizeof prefix - 1);
	salt = enc + sizeof prefix - 1;
	assert_true(all_in(salt, 22, B64_STD));
	assert_int_equal(salt[22], '$');
	hash = salt + 23;
	assert_true(all_in(hash, 43, B64_STD));
	assert_int_equal(hash[43], '\0');

	assert_int_equal(crypto_password_verify("correct horse", 13, enc), 1);
	assert_int_equal(crypto_password_verify("correct horsE", 13, enc), 0);
	assert_int_equal(crypto_password_verify("correct horse", 12, enc), 0);
	assert_int_equal(crypto_password_needs_rehash(enc), 0);

	/* A fresh salt every time. */
	assert_int_equal(crypto_password_hash("correct horse", 13, other, sizeof other), 0);
	assert_string_not_equal(enc, other);

	/* One changed character of the stored hash, or of the salt, is a mismatch. */
	strcpy(copy, enc);
	flip_b64(copy, (size_t)(hash - enc) + 10);
	assert_int_equal(crypto_password_verify("correct horse", 13, copy), 0);
	strcpy(copy, enc);
	flip_b64(copy, (size_t)(salt - enc) + 3);
	assert_int_equal(crypto_password_verify("correct horse", 13, copy), 0);
}

/* Made independently: openssl kdf SCRYPT (n 1024, r 8, p 1, salt 00..0f) and Python base64. */
static const char pinned[] =
    "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$xaxj5H8CfCKsv9lkig9V567u0I3rQFEcyR6vMOU10KE";

static void test_verify_pinned_hash(void **state)
{
	(void)state;
	assert_int_equal(crypto_password_verify("hearth-pinned", 13, pinned), 1);
	assert_int_equal(crypto_password_verify("hearth-pinnee", 13, pinned), 0);
	assert_int_equal(crypto_password_needs_rehash(pinned), 1);
}

static void test_cheap_parameters_are_read_from_the_string(void **state)
{
	char enc[CRYPTO_PW_ENCODED_MAX];
	/* Binary passwords with NUL bytes are hashed by length, not as C strings. */
	static const char pw[] = {'a', '\0', 'b'};

	(void)state;
	assert_int_equal(crypto_password_hash_params(pw, 3, 10, 8, 1, enc, sizeof enc), 0);
	assert_memory_equal(enc, "$scrypt$ln=10,r=8,p=1$", 22);
	assert_int_equal(crypto_password_verify(pw, 3, enc), 1);
	assert_int_equal(crypto_password_verify("a\0c", 3, enc), 0);
	assert_int_equal(crypto_password_verify("a", 1, enc), 0);
	assert_int_equal(crypto_password_needs_rehash(enc), 1);

	assert_int_equal(crypto_password_hash_params("", 0, 11, 2, 3, enc, sizeof enc), 0);
	assert_memory_equal(enc, "$scrypt$ln=11,r=2,p=3$", 22);
	assert_int_equal(crypto_password_verify("", 0, enc), 1);
	assert_int_equal(crypto_password_verify(" ", 1, enc), 0);
}

static void test_hash_params_bounds(void **state)
{
	static const struct {
		int ln, r, p, rc;
	} cases[] = {
	    {9, 8, 1, CRYPTO_EPARAMS},
	    {21, 1, 1, CRYPTO_EPARAMS},
	    {30, 8, 1, CRYPTO_EPARAMS},
	    {10, 0, 1, CRYPTO_EPARAMS},
	    {10, 17, 1, CRYPTO_EPARAMS},
	    {10, 8, 0, CRYPTO_EPARAMS},
	    {10, 8, 5, CRYPTO_EPARAMS},
	    {20, 16, 1, CRYPTO_EPARAMS}, /* 2 GiB: over maxmem */
	    {18, 8, 1, CRYPTO_EPARAMS},	 /* 256 MiB: over maxmem */
	    {10, 1, 4, 0},
	    {10, 16, 1, 0},
	};
	char enc[CRYPTO_PW_ENCODED_MAX];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		int rc = crypto_password_hash_params("pw", 2, cases[i].ln, cases[i].r, cases[i].p,
						     enc, sizeof enc);
		if (rc != cases[i].rc)
			fail_msg("ln=%d r=%d p=%d: got %d want %d", cases[i].ln, cases[i].r,
				 cases[i].p, rc, cases[i].rc);
		if (rc)
			assert_string_equal(enc, "");
	}
}

static void test_password_length_cap(void **state)
{
	char *pw = xmalloc(CRYPTO_PW_MAX + 1);
	char enc[CRYPTO_PW_ENCODED_MAX];

	(void)state;
	memset(pw, 'x', CRYPTO_PW_MAX + 1);
	assert_int_equal(crypto_password_hash(pw, CRYPTO_PW_MAX + 1, enc, sizeof enc),
			 CRYPTO_ETOOLONG);
	assert_string_equal(enc, "");
	assert_int_equal(
	    crypto_password_hash_params(pw, CRYPTO_PW_MAX + 1, 10, 8, 1, enc, sizeof enc),
	    CRYPTO_ETOOLONG);
	assert_int_equal(crypto_password_verify(pw, CRYPTO_PW_MAX + 1, pinned), CRYPTO_ETOOLONG);

	/* Exactly the cap is fine. */
	assert_int_equal(crypto_password_hash_params(pw, CRYPTO_PW_MAX, 10, 8, 1, enc, sizeof enc),
			 0);
	assert_int_equal(crypto_password_verify(pw, CRYPTO_PW_MAX, enc), 1);
	assert_int_equal(crypto_password_verify(pw, CRYPTO_PW_MAX - 1, enc), 0);
	free(pw);
}

static void test_hash_bad_arguments(void **state)
{
	char enc[CRYPTO_PW_ENCODED_MAX];

	(void)state;
	assert_int_equal(crypto_password_hash("pw", 2, enc, CRYPTO_PW_ENCODED_MAX - 1),
			 CRYPTO_EINVAL);
	assert_int_equal(crypto_password_hash("pw", 2, NULL, 0), CRYPTO_EINVAL);
	assert_int_equal(crypto_password_hash(NULL, 2, enc, sizeof enc), CRYPTO_EINVAL);
	assert_int_equal(crypto_password_verify(NULL, 2, pinned), CRYPTO_EINVAL);
}

#define SALT0 "AAAAAAAAAAAAAAAAAAAAAA"			    /* 16 zero bytes */
#define HASH0 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" /* 32 zero bytes */

/* Strings verify must refuse before running scrypt; each one is cheap. */
static const struct {
	const char *enc;
	int rc;
} malformed[] = {
    {"", CRYPTO_EFORMAT},
    {"$scrypt$", CRYPTO_EFORMAT},
    {"$2b$12$abcdefghijklmnopqrstuv", CRYPTO_EFORMAT},
    {"$scrypt$ln=17,r=8$" SALT0 "$" HASH0, CRYPTO_EFORMAT},
    {"$scrypt$ln=17,r=8,p=1,x=2$" SALT0 "$" HASH0, CRYPTO_EFORMAT},
    {"$scrypt$r=8,ln=17,p=1$" SALT0 "$" HASH0, CRYPTO_EFORMAT},
    {"$scrypt$ln=017,r=8,p=1$" SALT0 "$" HASH0, CRYPTO_EFORMAT},
    {"$scrypt$ln=-1,r=8,p=1$" SALT0 "$" HASH0, CRYPTO_EFORMAT},
    {"$scrypt$ln=,r=8,p=1$" SALT0 "$" HASH0, CRYPTO_EFORMAT},
    {"$scrypt$ln=17,r=8,p=1$" SALT0 "$", CRYPTO_EFORMAT},
    {"$scrypt$ln=17,r=8,p=1$" SALT0, CRYPTO_EFORMAT},
    {"$scrypt$ln=17,r=8,p=1$$" HASH0, CRYPTO_EFORMAT},
    {"$scrypt$ln=17,r=8,p=1$AAAAAAAAAAA*AAAAAAAAAA$" HASH0, CRYPTO_EFORMAT},
    {"$scrypt$ln=17,r=8,p=1$" SALT0 "==$" HASH0, CRYPTO_EFORMAT},
    {"$scrypt$ln=17,r=8,p=1$" SALT0 "$" HASH0 "=", CRYPTO_EFORMAT},
    {"$scrypt$ln=17,r=8,p=1$" SALT0 "$" HASH0 "$", CRYPTO_EFORMAT},
    /* non-canonical: the unused low bits of the last character are set */
    {"$scrypt$ln=17,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAB$" HASH0, CRYPTO_EFORMAT},
    /* 5 bytes of salt, 8 bytes of hash: too short to be ours */
    {"$scrypt$ln=17,r=8,p=1$AAAAAAA$" HASH0, CRYPTO_EFORMAT},
    {"$scrypt$ln=17,r=8,p=1$" SALT0 "$AAAAAAAAAAA", CRYPTO_EFORMAT},
    {"$scrypt$ln=30,r=8,p=1$" SALT0 "$" HASH0, CRYPTO_EPARAMS},
    {"$scrypt$ln=99999999,r=8,p=1$" SALT0 "$" HASH0, CRYPTO_EPARAMS},
    {"$scrypt$ln=9,r=8,p=1$" SALT0 "$" HASH0, CRYPTO_EPARAMS},
    {"$scrypt$ln=17,r=17,p=1$" SALT0 "$" HASH0, CRYPTO_EPARAMS},
    {"$scrypt$ln=17,r=8,p=5$" SALT0 "$" HASH0, CRYPTO_EPARAMS},
    {"$scrypt$ln=17,r=8,p=0$" SALT0 "$" HASH0, CRYPTO_EPARAMS},
    {"$scrypt$ln=20,r=16,p=4$" SALT0 "$" HASH0, CRYPTO_EPARAMS},
    {"$scrypt$ln=18,r=8,p=1$" SALT0 "$" HASH0, CRYPTO_EPARAMS},
};

static void test_verify_malformed(void **state)
{
	char longer[400];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(malformed); i++) {
		int v = crypto_password_verify("pw", 2, malformed[i].enc);
		int n = crypto_password_needs_rehash(malformed[i].enc);

		if (v != malformed[i].rc || n != malformed[i].rc)
			fail_msg("%s: verify %d, needs_rehash %d, want %d", malformed[i].enc, v, n,
				 malformed[i].rc);
	}
	/* Longer than any hash we could have written. */
	snprintf(longer, sizeof longer, "$scrypt$ln=10,r=8,p=1$%0300d$" HASH0, 0);
	assert_int_equal(crypto_password_verify("pw", 2, longer), CRYPTO_EFORMAT);
	assert_int_equal(crypto_password_verify("pw", 2, NULL), CRYPTO_EINVAL);
}

/* Peak resident memory of this process so far, in KiB (VmHWM), or -1. */
static long peak_rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * A row tampered to ask for 2^30 or 2 GiB must be refused without
 * allocating. Measured in a child, whose high-water mark starts at its size
 * when forked: the out-of-bounds strings must leave it where it was, while a
 * real 64 MiB verify (ln=16) raises it — which shows the gauge works.
 */
static void test_out_of_bounds_allocates_nothing(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if (peak_rss_kib() < 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char enc[CRYPTO_PW_ENCODED_MAX];
		long before = peak_rss_kib(), mid, after;

		if (crypto_password_verify("pw", 2, "$scrypt$ln=30,r=8,p=1$" SALT0 "$" HASH0) !=
			CRYPTO_EPARAMS ||
		    crypto_password_verify("pw", 2, "$scrypt$ln=20,r=16,p=4$" SALT0 "$" HASH0) !=
			CRYPTO_EPARAMS)
			_exit(2);
		mid = peak_rss_kib();
		snprintf(enc, sizeof enc, "$scrypt$ln=16,r=8,p=1$%s$%s", SALT0, HASH0);
		if (crypto_password_verify("pw", 2, enc) != 0)
			_exit(3);
		after = peak_rss_kib();
		if (mid - before > 8 * 1024)
			_exit(4);
		if (after - mid < 48 * 1024)
			_exit(5);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_needs_rehash(void **state)
{
	static const struct {
		const char *enc;
		int want;
	} cases[] = {
	    {"$scrypt$ln=17,r=8,p=1$" SALT0 "$" HASH0, 0},
	    {"$scrypt$ln=16,r=8,p=1$" SALT0 "$" HASH0, 1},
	    {"$scrypt$ln=17,r=4,p=1$" SALT0 "$" HASH0, 1},
	    {"$scrypt$ln=16,r=16,p=1$" SALT0 "$" HASH0, 1},
	    {"$scrypt$ln=17,r=8,p=2$" SALT0 "$" HASH0, 0},
	    {"$scrypt$ln=15,r=16,p=4$" SALT0 "$" HASH0, 1},
	    /* 8-byte salt, 16-byte hash: accepted but short */
	    {"$scrypt$ln=17,r=8,p=1$AAAAAAAAAAA$" HASH0, 1},
	    {"$scrypt$ln=17,r=8,p=1$" SALT0 "$AAAAAAAAAAAAAAAAAAAAAA", 1},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (crypto_password_needs_rehash(cases[i].enc) != cases[i].want)
			fail_msg("%s: want %d", cases[i].enc, cases[i].want);
}

/* ---- tokens and digests ------------------------------------------------- */

static void test_tokens(void **state)
{
	char a[CRYPTO_TOKEN_LEN + 1], b[CRYPTO_TOKEN_LEN + 1];
	int seen[256] = {0};
	size_t distinct = 0;

	(void)state;
	crypto_token_new(a);
	crypto_token_new(b);
	assert_int_equal(strlen(a), 43);
	assert_true(all_in(a, 43, B64_URL));
	assert_string_not_equal(a, b);

	/*
	 * Over many tokens every base64url character shows up, and the last one
	 * only ever carries 4 bits (so its two low bits are zero): that checks
	 * the encoding, not only its alphabet.
	 */
	for (int i = 0; i < 512; i++) {
		crypto_token_new(a);
		assert_int_equal(strlen(a), 43);
		assert_true(all_in(a, 43, B64_URL));
		assert_non_null(strchr("AEIMQUYcgkosw048", a[42]));
		for (int j = 0; j < 43; j++)
			seen[(unsigned char)a[j]] = 1;
	}
	for (int c = 0; c < 256; c++)
		distinct += (size_t)seen[c];
	assert_int_equal(distinct, 64);
}

static void test_digests(void **state)
{
	char hex[65];

	(void)state;
	crypto_token_hash("abc", hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	crypto_sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	crypto_sha256_hex(NULL, 0, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* Only the length counts, not a NUL inside. */
	crypto_sha256_hex("abc\0", 4, hex);
	assert_string_not_equal(hex,
				"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_random_hex(void **state)
{
	char a[2 * 100 + 2], b[2 * 100 + 2];

	(void)state;
	memset(a, '#', sizeof a);
	crypto_random_hex(16, a);
	assert_int_equal(strlen(a), 32);
	assert_true(all_in(a, 32, "0123456789abcdef"));
	crypto_random_hex(16, b);
	assert_string_not_equal(a, b);

	/* More than one internal chunk; nothing written past 2n + 1. */
	memset(a, '#', sizeof a);
	crypto_random_hex(100, a);
	assert_int_equal(strlen(a), 200);
	assert_true(all_in(a, 200, "0123456789abcdef"));
	assert_int_equal(a[201], '#');
	crypto_random_hex(0, a);
	assert_string_equal(a, "");
}

/* ---- the field key file ------------------------------------------------- */

static char *tmpdir;

static int group_setup(void **state)
{
	(void)state;
	tmpdir = testdir_new("crypto");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	testdir_remove(tmpdir);
	tmpdir = NULL;
	return 0;
}

/* A fresh path under the temp dir for this case. */
static char *case_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* ---- secrets in files ------------------------------------------------------ */

static void test_secret_read(void **state)
{
	char *path = case_path("secret"), err[512], *s;

	(void)state;
	write_file(path, "s3cret token\nsecond line\n", 25, 0600);
	s = crypto_secret_read(path, "[x] y_file", 64, err, sizeof err);
	assert_non_null(s);
	assert_string_equal(s, "s3cret token"); /* the first line only */
	crypto_secret_free(s);

	write_file(path, "s3cret\n", 7, 0640); /* the group may read it: refused */
	assert_null(crypto_secret_read(path, "[x] y_file", 64, err, sizeof err));
	assert_non_null(strstr(err, "[x] y_file"));
	assert_non_null(strstr(err, "chmod 600"));

	write_file(path, "\n", 1, 0600); /* empty */
	assert_null(crypto_secret_read(path, "[x] y_file", 64, err, sizeof err));
	assert_non_null(strstr(err, "empty or longer than 64 bytes"));

	write_file(path, "0123456789", 10, 0600); /* longer than max */
	assert_null(crypto_secret_read(path, "[x] y_file", 9, err, sizeof err));
	s = crypto_secret_read(path, "[x] y_file", 10, err, sizeof err);
	assert_string_equal(s, "0123456789");
	crypto_secret_free(s);

	assert_null(crypto_secret_read(tmpdir, "[x] y_file", 64, err, sizeof err)); /* a folder */
	free(path);
	path = case_path("missing");
	assert_null(crypto_secret_read(path, "[x] y_file", 64, err, sizeof err));
	assert_non_null(strstr(err, "cannot open"));
	free(path);
	crypto_secret_free(NULL);
}

static int key_is_zero(const struct crypto_fieldkey *k)
{
	static const struct crypto_fieldkey zero;

	return memcmp(k, &zero, sizeof zero) == 0;
}

static void test_fieldkey_created_private(void **state)
{
	char *dir = case_path("data/keys"), *path = case_path("data/keys/field.key");
	struct crypto_fieldkey k1, k2;
	struct stat st;
	struct dirent *de;
	DIR *d;
	int entries = 0;

	(void)state;
	assert_int_equal(crypto_fieldkey_load_or_create(path, &k1), 0);
	assert_int_equal(k1.version, 1);
	assert_false(key_is_zero(&k1));

	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, CRYPTO_FIELDKEY_FILE_BYTES);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);

	/* Only the key is left in the folder: no temporary file. */
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			entries++;
	closedir(d);
	assert_int_equal(entries, 1);

	/* Loading again gives the same key. */
	assert_int_equal(crypto_fieldkey_load_or_create(path, &k2), 0);
	assert_memory_equal(&k1, &k2, sizeof k1);

	crypto_fieldkey_wipe(&k1);
	assert_true(key_is_zero(&k1));
	crypto_fieldkey_wipe(&k2);
	free(dir);
	free(path);
}

static void test_fieldkey_refused(void **state)
{
	unsigned char good[CRYPTO_FIELDKEY_FILE_BYTES], zero_version[CRYPTO_FIELDKEY_FILE_BYTES];
	static const struct {
		const char *name;
		size_t len; /* bytes of `good` written */
		int zero_version;
		mode_t mode;
		int rc;
	} cases[] = {
	    {"ok.key", CRYPTO_FIELDKEY_FILE_BYTES, 0, 0600, 0},
	    {"readonly.key", CRYPTO_FIELDKEY_FILE_BYTES, 0, 0400, 0},
	    {"world.key", CRYPTO_FIELDKEY_FILE_BYTES, 0, 0644, CRYPTO_EKEYPERM},
	    {"group.key", CRYPTO_FIELDKEY_FILE_BYTES, 0, 0640, CRYPTO_EKEYPERM},
	    {"otherw.key", CRYPTO_FIELDKEY_FILE_BYTES, 0, 0602, CRYPTO_EKEYPERM},
	    {"short.key", CRYPTO_FIELDKEY_BYTES, 0, 0600, CRYPTO_EKEYFILE},
	    {"empty.key", 0, 0, 0600, CRYPTO_EKEYFILE},
	    {"v0.key", CRYPTO_FIELDKEY_FILE_BYTES, 1, 0600, CRYPTO_EKEYFILE},
	};
	unsigned char longer[CRYPTO_FIELDKEY_FILE_BYTES + 1];
	struct crypto_fieldkey k;
	char *path;

	(void)state;
	for (size_t i = 0; i < sizeof good; i++)
		good[i] = (unsigned char)(i + 1);
	memcpy(zero_version, good, sizeof good);
	zero_version[CRYPTO_FIELDKEY_BYTES] = 0;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		int rc;

		path = case_path(cases[i].name);
		write_file(path, cases[i].zero_version ? zero_version : good, cases[i].len,
			   cases[i].mode);
		memset(&k, 0xaa, sizeof k);
		rc = crypto_fieldkey_load_or_create(path, &k);
		if (rc != cases[i].rc)
			fail_msg("%s: got %d (%s) want %d", cases[i].name, rc, crypto_strerror(rc),
				 cases[i].rc);
		if (rc == 0) {
			assert_memory_equal(k.key, good, CRYPTO_FIELDKEY_BYTES);
			assert_int_equal(k.version, good[CRYPTO_FIELDKEY_BYTES]);
		} else {
			assert_true(key_is_zero(&k));
		}
		free(path);
	}

	path = case_path("long.key");
	memcpy(longer, good, sizeof good);
	longer[sizeof good] = 7;
	write_file(path, longer, sizeof longer, 0600);
	assert_int_equal(crypto_fieldkey_load_or_create(path, &k), CRYPTO_EKEYFILE);
	free(path);
}

static void test_fieldkey_not_a_file(void **state)
{
	char *target = case_path("target.key"), *link = case_path("link.key");
	char *dir = case_path("dir.key"), *fifo = case_path("fifo.key");
	char *blocker = case_path("blocker"), *under = case_path("blocker/field.key");
	unsigned char good[CRYPTO_FIELDKEY_FILE_BYTES] = {1};
	struct crypto_fieldkey k;

	(void)state;
	good[CRYPTO_FIELDKEY_BYTES] = 1;
	write_file(target, good, sizeof good, 0600);
	assert_int_equal(crypto_fieldkey_load_or_create(target, &k), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(crypto_fieldkey_load_or_create(link, &k), CRYPTO_EKEYFILE);

	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(crypto_fieldkey_load_or_create(dir, &k), CRYPTO_EKEYFILE);

	/* Must be refused, not block waiting for a writer. */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(crypto_fieldkey_load_or_create(fifo, &k), CRYPTO_EKEYFILE);

	/* The folder cannot be made: a plain file is in the way. */
	write_file(blocker, "x", 1, 0600);
	assert_int_equal(crypto_fieldkey_load_or_create(under, &k), CRYPTO_EIO);
	assert_true(key_is_zero(&k));

	assert_int_equal(crypto_fieldkey_load_or_create("", &k), CRYPTO_EINVAL);
	free(target);
	free(link);
	free(dir);
	free(fifo);
	free(blocker);
	free(under);
}

/* ---- field encryption --------------------------------------------------- */

static struct crypto_fieldkey test_key(const char *name)
{
	struct crypto_fieldkey k;
	char *path = case_path(name);

	assert_int_equal(crypto_fieldkey_load_or_create(path, &k), 0);
	free(path);
	return k;
}

static const char gp[] = "Dr A. Example, Riverside Surgery, 01632 960123";

static void test_field_round_trip(void **state)
{
	struct crypto_fieldkey k = test_key("rt.key");
	static const char binary[] = {'a', '\0', 'b', '\xff'};
	unsigned char *blob;
	size_t blen, plen;
	char *pt;

	(void)state;
	assert_int_equal(crypto_field_encrypt(&k, "applications", "gp_contact", 42, gp, strlen(gp),
					      &blob, &blen),
			 0);
	assert_int_equal(blen, strlen(gp) + CRYPTO_FIELD_OVERHEAD);
	assert_int_equal(blob[0], k.version);
	/* The plaintext does not appear in the blob. */
	assert_null(memmem(blob, blen, "Riverside", 9));
	assert_int_equal(
	    crypto_field_decrypt(&k, "applications", "gp_contact", 42, blob, blen, &pt, &plen), 0);
	assert_int_equal(plen, strlen(gp));
	assert_string_equal(pt, gp);
	free(pt);
	free(blob);

	/* Empty and binary values, negative and extreme row ids. */
	assert_int_equal(crypto_field_encrypt(&k, "t", "c", -1, NULL, 0, &blob, &blen), 0);
	assert_int_equal(blen, CRYPTO_FIELD_OVERHEAD);
	assert_int_equal(crypto_field_decrypt(&k, "t", "c", -1, blob, blen, &pt, &plen), 0);
	assert_int_equal(plen, 0);
	assert_string_equal(pt, "");
	free(pt);
	free(blob);

	assert_int_equal(
	    crypto_field_encrypt(&k, "t", "c", INT64_MAX, binary, sizeof binary, &blob, &blen), 0);
	assert_int_equal(crypto_field_decrypt(&k, "t", "c", INT64_MAX, blob, blen, &pt, &plen), 0);
	assert_int_equal(plen, sizeof binary);
	assert_memory_equal(pt, binary, sizeof binary);
	assert_int_equal(pt[plen], '\0');
	free(pt);
	free(blob);
	crypto_fieldkey_wipe(&k);
}

static void test_field_fresh_iv(void **state)
{
	struct crypto_fieldkey k = test_key("iv.key");
	unsigned char *a, *b;
	size_t alen, blen;

	(void)state;
	assert_int_equal(crypto_field_encrypt(&k, "t", "c", 1, gp, strlen(gp), &a, &alen), 0);
	assert_int_equal(crypto_field_encrypt(&k, "t", "c", 1, gp, strlen(gp), &b, &blen), 0);
	assert_int_equal(alen, blen);
	assert_memory_not_equal(a + 1, b + 1, 12);   /* IV */
	assert_memory_not_equal(a + 13, b + 13, 16); /* ciphertext */
	free(a);
	free(b);
	crypto_fieldkey_wipe(&k);
}

static void test_field_tamper_any_byte(void **state)
{
	struct crypto_fieldkey k = test_key("tamper.key");
	unsigned char *blob;
	size_t blen, plen;
	char *pt;

	(void)state;
	assert_int_equal(crypto_field_encrypt(&k, "t", "c", 7, gp, strlen(gp), &blob, &blen), 0);
	/* Every single changed bit anywhere is caught; the version byte names another key. */
	for (size_t i = 0; i < blen; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			int rc;

			blob[i] ^= (unsigned char)(1 << bit);
			pt = (char *)"sentinel";
			rc = crypto_field_decrypt(&k, "t", "c", 7, blob, blen, &pt, &plen);
			blob[i] ^= (unsigned char)(1 << bit);
			if (rc != (i == 0 ? CRYPTO_EKEYVERSION : CRYPTO_EAUTH))
				fail_msg("byte %zu bit %d: %d", i, bit, rc);
			assert_null(pt);
			assert_int_equal(plen, 0);
		}
	}
	/* Cut short by one byte, or below the fixed overhead. */
	assert_int_equal(crypto_field_decrypt(&k, "t", "c", 7, blob, blen - 1, &pt, &plen),
			 CRYPTO_EAUTH);
	assert_int_equal(
	    crypto_field_decrypt(&k, "t", "c", 7, blob, CRYPTO_FIELD_OVERHEAD - 1, &pt, &plen),
	    CRYPTO_EFORMAT);
	assert_int_equal(crypto_field_decrypt(&k, "t", "c", 7, blob, 0, &pt, &plen),
			 CRYPTO_EFORMAT);
	/* Still intact. */
	assert_int_equal(crypto_field_decrypt(&k, "t", "c", 7, blob, blen, &pt, &plen), 0);
	free(pt);
	free(blob);
	crypto_fieldkey_wipe(&k);
}

static void test_field_bound_to_cell(void **state)
{
	struct crypto_fieldkey k = test_key("cell.key"), other = test_key("other.key");
	static const struct {
		const char *table, *column;
		int64_t rowid;
	} moved[] = {
	    {"applications", "gp_contact", 43},
	    {"applications", "gp_contact", -42},
	    {"applications", "gp_contact", 42 + ((int64_t)1 << 32)},
	    {"applications", "answers", 42},
	    {"accounts", "gp_contact", 42},
	    /* the same bytes split differently: the NUL separators matter */
	    {"applicationsg", "p_contact", 42},
	    {"application", "sgp_contact", 42},
	};
	unsigned char *blob;
	size_t blen, plen;
	char *pt;

	(void)state;
	assert_int_equal(crypto_field_encrypt(&k, "applications", "gp_contact", 42, gp, strlen(gp),
					      &blob, &blen),
			 0);
	for (size_t i = 0; i < ARRAY_LEN(moved); i++) {
		int rc = crypto_field_decrypt(&k, moved[i].table, moved[i].column, moved[i].rowid,
					      blob, blen, &pt, &plen);
		if (rc != CRYPTO_EAUTH)
			fail_msg("%s.%s #%lld: %d", moved[i].table, moved[i].column,
				 (long long)moved[i].rowid, rc);
		assert_null(pt);
	}
	/* Another key of the same version. */
	assert_int_equal(
	    crypto_field_decrypt(&other, "applications", "gp_contact", 42, blob, blen, &pt, &plen),
	    CRYPTO_EAUTH);
	/* A key of another version is told apart from tampering. */
	other.version = 2;
	assert_int_equal(
	    crypto_field_decrypt(&other, "applications", "gp_contact", 42, blob, blen, &pt, &plen),
	    CRYPTO_EKEYVERSION);
	free(blob);
	crypto_fieldkey_wipe(&k);
	crypto_fieldkey_wipe(&other);
}

static void test_field_bad_arguments(void **state)
{
	struct crypto_fieldkey k = test_key("args.key");
	char longname[80];
	unsigned char *blob = (unsigned char *)"x";
	size_t blen = 1, plen;
	char *big, *pt;

	(void)state;
	memset(longname, 'n', 65);
	longname[65] = '\0';
	assert_int_equal(crypto_field_encrypt(&k, NULL, "c", 1, "x", 1, &blob, &blen),
			 CRYPTO_EINVAL);
	assert_null(blob);
	assert_int_equal(blen, 0);
	assert_int_equal(crypto_field_encrypt(&k, "t", "", 1, "x", 1, &blob, &blen), CRYPTO_EINVAL);
	assert_int_equal(crypto_field_encrypt(&k, longname, "c", 1, "x", 1, &blob, &blen),
			 CRYPTO_EINVAL);
	longname[64] = '\0';
	assert_int_equal(crypto_field_encrypt(&k, longname, "c", 1, "x", 1, &blob, &blen), 0);
	free(blob);
	assert_int_equal(crypto_field_encrypt(&k, "t", "c", 1, NULL, 1, &blob, &blen),
			 CRYPTO_EINVAL);

	/* The plaintext cap. */
	big = xcalloc(1, CRYPTO_FIELD_MAX + 1);
	assert_int_equal(
	    crypto_field_encrypt(&k, "t", "c", 1, big, CRYPTO_FIELD_MAX + 1, &blob, &blen),
	    CRYPTO_ETOOLONG);
	assert_int_equal(crypto_field_encrypt(&k, "t", "c", 1, big, CRYPTO_FIELD_MAX, &blob, &blen),
			 0);
	assert_int_equal(crypto_field_decrypt(&k, "t", "c", 1, blob, blen, &pt, &plen), 0);
	assert_int_equal(plen, CRYPTO_FIELD_MAX);
	assert_memory_equal(pt, big, CRYPTO_FIELD_MAX);
	free(pt);
	free(blob);
	free(big);

	/* A wiped key is refused rather than used as all zeroes. */
	crypto_fieldkey_wipe(&k);
	assert_int_equal(crypto_field_encrypt(&k, "t", "c", 1, "x", 1, &blob, &blen),
			 CRYPTO_EINVAL);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = CRYPTO_OK; e >= CRYPTO_ESSL; e--) {
		assert_non_null(crypto_strerror(e));
		for (int f = e - 1; f >= CRYPTO_ESSL; f--)
			assert_string_not_equal(crypto_strerror(e), crypto_strerror(f));
	}
	assert_string_equal(crypto_strerror(CRYPTO_ESSL - 1), "unknown crypto error");
	assert_string_equal(crypto_strerror(1), "unknown crypto error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scrypt_rfc7914_vectors),
	    cmocka_unit_test(test_scrypt_refuses_bad_cost),
	    cmocka_unit_test(test_hash_real_parameters),
	    cmocka_unit_test(test_verify_pinned_hash),
	    cmocka_unit_test(test_cheap_parameters_are_read_from_the_string),
	    cmocka_unit_test(test_hash_params_bounds),
	    cmocka_unit_test(test_password_length_cap),
	    cmocka_unit_test(test_hash_bad_arguments),
	    cmocka_unit_test(test_verify_malformed),
	    cmocka_unit_test(test_out_of_bounds_allocates_nothing),
	    cmocka_unit_test(test_needs_rehash),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_digests),
	    cmocka_unit_test(test_random_hex),
	    cmocka_unit_test(test_fieldkey_created_private),
	    cmocka_unit_test(test_fieldkey_refused),
	    cmocka_unit_test(test_fieldkey_not_a_file),
	    cmocka_unit_test(test_field_round_trip),
	    cmocka_unit_test(test_field_fresh_iv),
	    cmocka_unit_test(test_field_tamper_any_byte),
	    cmocka_unit_test(test_field_bound_to_cell),
	    cmocka_unit_test(test_field_bad_arguments),
	    cmocka_unit_test(test_strerror),
	    cmocka_unit_test(test_secret_read),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
