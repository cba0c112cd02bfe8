/*
 * crypto.c — password hashes, tokens, digests and field encryption (see
 * crypto.h). Only OpenSSL's thread-safe one-shot and per-call-context APIs
 * are used, and no state is shared between calls, so any thread may call in.
 */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "log.h"
#include "util.h"

static const char *const err_names[] = {
    "ok",
    "invalid argument",
    "input too long",
    "authentication failed (tampered, moved or wrong key)",
    "file system error",
    "key file is not a regular file of the right size and contents",
    "key file must be owned by this user with mode 0600",
    "malformed encoding",
    "scrypt parameters out of bounds",
    "sealed under another key version",
    "OpenSSL failure",
};

const char *crypto_strerror(int err)
{
	if (err > 0 || -err >= (int)ARRAY_LEN(err_names))
		return "unknown crypto error";
	return err_names[-err];
}

/*
 * A failing CSPRNG leaves no safe way to continue: every token, salt and IV
 * after it could be guessable. Stop the process instead.
 */
static void random_or_die(unsigned char *p, size_t n)
{
	while (n > 0) {
		int chunk = n > 4096 ? 4096 : (int)n;

		if (RAND_bytes(p, chunk) != 1) {
			log_error("random_failed", "bytes=%d", chunk);
			abort();
		}
		p += chunk;
		n -= (size_t)chunk;
	}
}

/* ---- base64 without padding --------------------------------------------- */

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Characters needed for n bytes (a constant expression, so it can size arrays). */
#define B64_LEN(n) ((n) / 3 * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/* Writes B64_LEN(n) characters and a NUL. */
static void b64_encode(const char *alpha, const unsigned char *in, size_t n, char *out)
{
	size_t i = 0, o = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = alpha[v >> 18];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		out[o++] = alpha[v & 63];
	}
	if (n - i == 1) {
		out[o++] = alpha[in[i] >> 2];
		out[o++] = alpha[(in[i] & 3) << 4];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];

		out[o++] = alpha[v >> 10];
		out[o++] = alpha[v >> 4 & 63];
		out[o++] = alpha[(v & 15) << 2];
	}
	out[o] = '\0';
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decode n characters of standard base64 without padding into out (at most
 * cap bytes). Strict: a length of 1 mod 4 or non-zero unused trailing bits
 * are refused, so each byte string has exactly one accepted spelling.
 * Returns the byte count, or -1.
 */
static long b64_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value(s[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return -1;
	return (long)o;
}

/* ---- scrypt ------------------------------------------------------------- */

/*
 * OpenSSL's own accounting: B is 128·r·p bytes, V is 128·r·(N+2). Checking
 * it here, overflow-safe, lets us refuse before OpenSSL allocates anything
 * and tell "too costly" apart from "OpenSSL failed".
 */
static int scrypt_mem_ok(uint64_t n, uint64_t r, uint64_t p)
{
	const uint64_t max = CRYPTO_SCRYPT_MAXMEM;
	uint64_t per;

	if (n < 2 || (n & (n - 1)) || r == 0 || p == 0)
		return 0;
	if (r > max / 128)
		return 0;
	per = 128 * r;
	if (p > max / per || n > max / per - 2)
		return 0;
	return per * p <= max - per * (n + 2);
}

int crypto__scrypt(const void *pw, size_t pwlen, const void *salt, size_t saltlen, uint64_t n,
		   uint64_t r, uint64_t p, unsigned char *out, size_t outlen)
{
	if (!scrypt_mem_ok(n, r, p))
		return CRYPTO_EPARAMS;
	if (EVP_PBE_scrypt(pwlen ? pw : "", pwlen, salt, saltlen, n, r, p, CRYPTO_SCRYPT_MAXMEM,
			   out, outlen) != 1) {
		log_error("scrypt_failed", "n=%llu r=%llu p=%llu", (unsigned long long)n,
			  (unsigned long long)r, (unsigned long long)p);
		return CRYPTO_ESSL;
	}
	return 0;
}

/* ---- password hashes ---------------------------------------------------- */

#define SALT_BYTES 16
#define HASH_BYTES 32
/* What verify accepts from a stored string (new hashes use the sizes above). */
#define SALT_MIN 8
#define SALT_MAX 48
#define HASH_MIN 16
#define HASH_MAX 64

struct phc {
	int ln, r, p;
	unsigned char salt[SALT_MAX], hash[HASH_MAX];
	size_t saltlen, hashlen;
};

static int params_ok(int ln, int r, int p)
{
	if (ln < 10 || ln > 20 || r < 1 || r > 16 || p < 1 || p > 4)
		return 0;
	return scrypt_mem_ok((uint64_t)1 << ln, (uint64_t)r, (uint64_t)p);
}

/*
 * Read "<key>=<decimal>" followed by sep at *s. A number too long to be in
 * bounds is reported as out of bounds (it is well-formed, just too big).
 */
static int parse_param(const char **s, const char *key, char sep, int *val)
{
	size_t klen = strlen(key), digits = 0;
	const char *q;
	long v = 0;

	if (strncmp(*s, key, klen) || (*s)[klen] != '=')
		return CRYPTO_EFORMAT;
	q = *s + klen + 1;
	while (q[digits] >= '0' && q[digits] <= '9')
		digits++;
	if (digits == 0 || q[digits] != sep || (q[0] == '0' && digits > 1))
		return CRYPTO_EFORMAT;
	if (digits > 4) {
		*val = -1;
	} else {
		for (size_t i = 0; i < digits; i++)
			v = v * 10 + (q[i] - '0');
		*val = (int)v;
	}
	*s = q + digits + 1;
	return 0;
}

static int phc_parse(const char *enc, struct phc *h)
{
	static const char prefix[] = "$scrypt$";
	const char *s, *dollar;
	size_t total;
	long n;
	int rc;

	if (!enc)
		return CRYPTO_EINVAL;
	total = strnlen(enc, CRYPTO_PW_ENCODED_MAX);
	if (total == CRYPTO_PW_ENCODED_MAX || strncmp(enc, prefix, sizeof prefix - 1))
		return CRYPTO_EFORMAT;
	s = enc + sizeof prefix - 1;
	if ((rc = parse_param(&s, "ln", ',', &h->ln)) || (rc = parse_param(&s, "r", ',', &h->r)) ||
	    (rc = parse_param(&s, "p", '$', &h->p)))
		return rc;

	dollar = strchr(s, '$');
	if (!dollar)
		return CRYPTO_EFORMAT;
	n = b64_decode(s, (size_t)(dollar - s), h->salt, sizeof h->salt);
	if (n < SALT_MIN)
		return CRYPTO_EFORMAT;
	h->saltlen = (size_t)n;
	s = dollar + 1;
	n = b64_decode(s, strlen(s), h->hash, sizeof h->hash);
	if (n < HASH_MIN)
		return CRYPTO_EFORMAT;
	h->hashlen = (size_t)n;

	if (!params_ok(h->ln, h->r, h->p))
		return CRYPTO_EPARAMS;
	return 0;
}

static int hash_with(const char *pw, size_t len, int ln, int r, int p, char *out, size_t outlen)
{
	unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
	char salt64[B64_LEN(SALT_BYTES) + 1], hash64[B64_LEN(HASH_BYTES) + 1];
	int rc;

	if (!out || outlen < CRYPTO_PW_ENCODED_MAX)
		return CRYPTO_EINVAL;
	out[0] = '\0';
	if (!pw && len)
		return CRYPTO_EINVAL;
	if (len > CRYPTO_PW_MAX)
		return CRYPTO_ETOOLONG;
	if (!params_ok(ln, r, p))
		return CRYPTO_EPARAMS;

	random_or_die(salt, sizeof salt);
	rc = crypto__scrypt(pw, len, salt, sizeof salt, (uint64_t)1 << ln, (uint64_t)r, (uint64_t)p,
			    hash, sizeof hash);
	if (rc == 0) {
		b64_encode(b64_std, salt, sizeof salt, salt64);
		b64_encode(b64_std, hash, sizeof hash, hash64);
		snprintf(out, outlen, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", ln, r, p, salt64, hash64);
	}
	OPENSSL_cleanse(hash, sizeof hash);
	OPENSSL_cleanse(hash64, sizeof hash64);
	return rc;
}

int crypto_password_hash(const char *pw, size_t len, char *out, size_t outlen)
{
	return hash_with(pw, len, CRYPTO_SCRYPT_LN, CRYPTO_SCRYPT_R, CRYPTO_SCRYPT_P, out, outlen);
}

int crypto_password_hash_params(const char *pw, size_t len, int ln, int r, int p, char *out,
				size_t outlen)
{
	return hash_with(pw, len, ln, r, p, out, outlen);
}

int crypto_password_verify(const char *pw, size_t len, const char *encoded)
{
	unsigned char got[HASH_MAX];
	struct phc h;
	int rc;

	if (!pw && len)
		return CRYPTO_EINVAL;
	if (len > CRYPTO_PW_MAX)
		return CRYPTO_ETOOLONG;
	if ((rc = phc_parse(encoded, &h)))
		return rc;
	rc = crypto__scrypt(pw, len, h.salt, h.saltlen, (uint64_t)1 << h.ln, (uint64_t)h.r,
			    (uint64_t)h.p, got, h.hashlen);
	if (rc == 0)
		rc = ct_equal(got, h.hash, h.hashlen);
	OPENSSL_cleanse(got, sizeof got);
	OPENSSL_cleanse(&h, sizeof h);
	return rc;
}

void crypto_password_dummy_verify(const char *pw, size_t len)
{
	/* The salt does not matter: only the cost has to match a real verify. */
	static const unsigned char salt[SALT_BYTES];
	unsigned char got[HASH_BYTES];

	if ((!pw && len) || len > CRYPTO_PW_MAX)
		return;
	crypto__scrypt(pw, len, salt, sizeof salt, (uint64_t)1 << CRYPTO_SCRYPT_LN, CRYPTO_SCRYPT_R,
		       CRYPTO_SCRYPT_P, got, sizeof got);
	OPENSSL_cleanse(got, sizeof got);
}

int crypto_password_needs_rehash(const char *encoded)
{
	struct phc h;
	int rc = phc_parse(encoded, &h);

	if (rc)
		return rc;
	rc = h.ln < CRYPTO_SCRYPT_LN || h.r < CRYPTO_SCRYPT_R || h.p < CRYPTO_SCRYPT_P ||
	     h.saltlen < SALT_BYTES || h.hashlen < HASH_BYTES;
	OPENSSL_cleanse(&h, sizeof h);
	return rc;
}

/* ---- tokens and digests ------------------------------------------------- */

_Static_assert(CRYPTO_TOKEN_LEN == B64_LEN(32), "token length is 32 bytes in base64");
/* Widest string we write: ln and r with two digits, p with one. */
_Static_assert(sizeof "$scrypt$ln=20,r=16,p=4$$" - 1 + B64_LEN(SALT_BYTES) + B64_LEN(HASH_BYTES) <
		   CRYPTO_PW_ENCODED_MAX,
	       "encoded hash fits CRYPTO_PW_ENCODED_MAX");

void crypto_token_new(char out[CRYPTO_TOKEN_LEN + 1])
{
	unsigned char raw[32];

	random_or_die(raw, sizeof raw);
	b64_encode(b64_url, raw, sizeof raw, out);
	OPENSSL_cleanse(raw, sizeof raw);
}

void crypto_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	/* SHA-256 fails only if the default provider is missing: nothing can work then. */
	if (EVP_Digest(len ? data : "", len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		log_error("sha256_failed", "len=%zu", len);
		abort();
	}
	hex_encode(md, sizeof md, out);
}

void crypto_token_hash(const char *token, char out_hex[65])
{
	crypto_sha256_hex(token, strlen(token), out_hex);
}

void crypto_random_hex(size_t nbytes, char *out)
{
	unsigned char raw[64];

	while (nbytes > 0) {
		size_t n = nbytes < sizeof raw ? nbytes : sizeof raw;

		random_or_die(raw, n);
		hex_encode(raw, n, out);
		out += 2 * n;
		nbytes -= n;
	}
	*out = '\0';
	OPENSSL_cleanse(raw, sizeof raw);
}

/* ---- the field key file ------------------------------------------------- */

#define KEY_MISSING 1 /* internal: the file does not exist yet */

static int read_full(int fd, unsigned char *p, size_t n, size_t *got)
{
	*got = 0;
	while (*got < n) {
		ssize_t r = read(fd, p + *got, n - *got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return 0;
}

static int key_refuse(const char *path, int rc, const char *why)
{
	log_error("fieldkey_refused", "path=\"%s\" reason=\"%s\"", path, why);
	return rc;
}

static int key_check_stat(const char *path, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return key_refuse(path, CRYPTO_EKEYFILE, "not a regular file");
	if (st->st_uid != geteuid())
		return key_refuse(path, CRYPTO_EKEYPERM, "not owned by the user running hearth");
	if (st->st_mode & 077)
		return key_refuse(path, CRYPTO_EKEYPERM,
				  "group or others have access; run chmod 600 on it");
	if (st->st_size != CRYPTO_FIELDKEY_FILE_BYTES)
		return key_refuse(path, CRYPTO_EKEYFILE,
				  "wrong size (must be 33 bytes: 32 key bytes and a version)");
	return 0;
}

static int key_load(const char *path, struct crypto_fieldkey *key)
{
	unsigned char raw[CRYPTO_FIELDKEY_FILE_BYTES + 1];
	struct stat st;
	size_t got;
	int fd, rc;

	/* O_NONBLOCK: a FIFO planted at the path must be refused, not wait for a writer. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return KEY_MISSING;
	if (fd < 0 && errno == ELOOP)
		return key_refuse(path, CRYPTO_EKEYFILE, "is a symbolic link");
	if (fd < 0) {
		log_error("fieldkey_open_failed", "path=\"%s\" errno=%d", path, errno);
		return CRYPTO_EIO;
	}
	if (fstat(fd, &st)) {
		log_error("fieldkey_stat_failed", "path=\"%s\" errno=%d", path, errno);
		close(fd);
		return CRYPTO_EIO;
	}
	if ((rc = key_check_stat(path, &st))) {
		close(fd);
		return rc;
	}
	/* Read one byte more than expected to notice a file that grew after fstat. */
	rc = read_full(fd, raw, sizeof raw, &got);
	close(fd);
	if (rc) {
		log_error("fieldkey_read_failed", "path=\"%s\" errno=%d", path, errno);
		rc = CRYPTO_EIO;
	} else if (got != CRYPTO_FIELDKEY_FILE_BYTES) {
		rc = key_refuse(path, CRYPTO_EKEYFILE, "wrong size");
	} else if (raw[CRYPTO_FIELDKEY_BYTES] == 0) {
		rc = key_refuse(path, CRYPTO_EKEYFILE, "key version 0 is not valid");
	} else {
		memcpy(key->key, raw, CRYPTO_FIELDKEY_BYTES);
		key->version = raw[CRYPTO_FIELDKEY_BYTES];
	}
	OPENSSL_cleanse(raw, sizeof raw);
	return rc;
}

/* Make a rename or link in dir survive power loss. */
static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		if (fsync(fd))
			log_warn("fieldkey_dir_fsync_failed", "dir=\"%s\" errno=%d", dir, errno);
		close(fd);
	}
}

/*
 * Write a complete key under a temporary name, then link() it into place:
 * link fails with EEXIST instead of replacing, so if another process won
 * the race we load its key rather than overwrite it.
 */
static int key_create(const char *path, struct crypto_fieldkey *key)
{
	unsigned char raw[CRYPTO_FIELDKEY_FILE_BYTES];
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = -1, rc = CRYPTO_EIO, e;

	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if (slash && (e = mkdir_p(dir, 0700))) {
		log_error("fieldkey_mkdir_failed", "dir=\"%s\" errno=%d", dir, -e);
		goto done;
	}

	fd = mkstemp(tmp);
	if (fd < 0) {
		log_error("fieldkey_create_failed", "path=\"%s\" errno=%d", path, errno);
		goto done;
	}
	random_or_die(raw, CRYPTO_FIELDKEY_BYTES);
	raw[CRYPTO_FIELDKEY_BYTES] = 1;
	if (fchmod(fd, 0600) || write_all(fd, raw, sizeof raw) || fsync(fd)) {
		log_error("fieldkey_write_failed", "path=\"%s\" errno=%d", tmp, errno);
		goto unlink_tmp;
	}
	if (close(fd)) {
		fd = -1;
		log_error("fieldkey_write_failed", "path=\"%s\" errno=%d", tmp, errno);
		goto unlink_tmp;
	}
	fd = -1;
	if (link(tmp, path)) {
		if (errno == EEXIST)
			rc = KEY_MISSING; /* someone else created it: load theirs */
		else
			log_error("fieldkey_link_failed", "path=\"%s\" errno=%d", path, errno);
		goto unlink_tmp;
	}
	/*
	 * Rows sealed with this key are committed with fsync; if the key's own
	 * name (or a folder mkdir_p just made for it) were lost to a power cut,
	 * those rows could never be read again. Sync the folder and its parent.
	 */
	fsync_dir(dir);
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		fsync_dir(dir);
	}
	memcpy(key->key, raw, CRYPTO_FIELDKEY_BYTES);
	key->version = raw[CRYPTO_FIELDKEY_BYTES];
	log_info("fieldkey_created", "path=\"%s\" version=%d", path, key->version);
	rc = 0;
unlink_tmp:
	unlink(tmp);
done:
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(raw, sizeof raw);
	free(tmp);
	free(dir);
	return rc;
}

int crypto_fieldkey_load_or_create(const char *path, struct crypto_fieldkey *key)
{
	int rc;

	if (!key)
		return CRYPTO_EINVAL;
	memset(key, 0, sizeof *key);
	if (!path || !*path)
		return CRYPTO_EINVAL;
	rc = key_load(path, key);
	if (rc == KEY_MISSING)
		rc = key_create(path, key);
	if (rc == KEY_MISSING)
		rc = key_load(path, key);
	if (rc == KEY_MISSING) /* created by someone else and deleted again: give up */
		rc = key_refuse(path, CRYPTO_EKEYFILE, "vanished while being created");
	if (rc)
		crypto_fieldkey_wipe(key);
	return rc;
}

void crypto_fieldkey_wipe(struct crypto_fieldkey *key)
{
	if (key)
		OPENSSL_cleanse(key, sizeof *key);
}

/* ---- field encryption --------------------------------------------------- */

#define IV_BYTES 12
#define TAG_BYTES 16
/* Longest table or column name; ours are short constants. */
#define NAME_MAX_LEN 64
#define AD_MAX (2 * (NAME_MAX_LEN + 1) + 8 + 1)

/*
 * Associated data binding a blob to its cell. The NUL after each name keeps
 * ("ab","c") and ("a","bc") apart. Returns its length, or 0 for bad names.
 */
static size_t build_ad(unsigned char ad[AD_MAX], const char *table, const char *column,
		       int64_t rowid, uint8_t version)
{
	size_t tl, cl, o;
	uint64_t id = (uint64_t)rowid;

	if (!table || !column)
		return 0;
	tl = strnlen(table, NAME_MAX_LEN + 1);
	cl = strnlen(column, NAME_MAX_LEN + 1);
	if (tl == 0 || cl == 0 || tl > NAME_MAX_LEN || cl > NAME_MAX_LEN)
		return 0;
	memcpy(ad, table, tl + 1);
	memcpy(ad + tl + 1, column, cl + 1);
	o = tl + cl + 2;
	for (int i = 7; i >= 0; i--)
		ad[o++] = (unsigned char)(id >> (8 * i));
	ad[o++] = version;
	return o;
}

/*
 * Random 96-bit IVs are safe for about 2^32 values under one key (NIST
 * SP 800-38D); a support service stores orders of magnitude fewer.
 */
int crypto_field_encrypt(const struct crypto_fieldkey *k, const char *table, const char *column,
			 int64_t rowid, const void *pt, size_t ptlen, unsigned char **out,
			 size_t *outlen)
{
	unsigned char ad[AD_MAX], *blob = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	size_t adlen;
	int n, rc = CRYPTO_ESSL;

	if (!out || !outlen)
		return CRYPTO_EINVAL;
	*out = NULL;
	*outlen = 0;
	if (!k || k->version == 0 || (!pt && ptlen))
		return CRYPTO_EINVAL;
	if (!(adlen = build_ad(ad, table, column, rowid, k->version)))
		return CRYPTO_EINVAL;
	if (ptlen > CRYPTO_FIELD_MAX)
		return CRYPTO_ETOOLONG;

	blob = xmalloc(ptlen + CRYPTO_FIELD_OVERHEAD);
	blob[0] = k->version;
	random_or_die(blob + 1, IV_BYTES);
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->key, blob + 1) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, ad, (int)adlen) != 1)
		goto done;
	if (ptlen && (EVP_EncryptUpdate(ctx, blob + 1 + IV_BYTES, &n, pt, (int)ptlen) != 1 ||
		      (size_t)n != ptlen))
		goto done;
	if (EVP_EncryptFinal_ex(ctx, blob + 1 + IV_BYTES + ptlen, &n) != 1 || n != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES,
				blob + 1 + IV_BYTES + ptlen) != 1)
		goto done;
	*out = blob;
	*outlen = ptlen + CRYPTO_FIELD_OVERHEAD;
	blob = NULL;
	rc = 0;
done:
	if (rc)
		log_error("field_encrypt_failed", "table=%s column=%s", table, column);
	EVP_CIPHER_CTX_free(ctx);
	free(blob);
	return rc;
}

int crypto_field_decrypt(const struct crypto_fieldkey *k, const char *table, const char *column,
			 int64_t rowid, const unsigned char *blob, size_t bloblen, char **out,
			 size_t *outlen)
{
	unsigned char ad[AD_MAX], tag[TAG_BYTES], *pt = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	size_t adlen, ctlen;
	int n, fin, rc = CRYPTO_ESSL;

	if (!out || !outlen)
		return CRYPTO_EINVAL;
	*out = NULL;
	*outlen = 0;
	if (!k || k->version == 0 || (!blob && bloblen))
		return CRYPTO_EINVAL;
	if (!(adlen = build_ad(ad, table, column, rowid, k->version)))
		return CRYPTO_EINVAL;
	if (bloblen < CRYPTO_FIELD_OVERHEAD || bloblen - CRYPTO_FIELD_OVERHEAD > CRYPTO_FIELD_MAX)
		return CRYPTO_EFORMAT;
	if (blob[0] != k->version)
		return CRYPTO_EKEYVERSION;

	ctlen = bloblen - CRYPTO_FIELD_OVERHEAD;
	memcpy(tag, blob + 1 + IV_BYTES + ctlen, TAG_BYTES);
	pt = xmalloc(ctlen + 1);
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->key, blob + 1) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, ad, (int)adlen) != 1)
		goto done;
	if (ctlen && (EVP_DecryptUpdate(ctx, pt, &n, blob + 1 + IV_BYTES, (int)ctlen) != 1 ||
		      (size_t)n != ctlen))
		goto done;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, tag) != 1)
		goto done;
	/* GCM produced the plaintext before checking the tag: it is kept only if Final agrees. */
	fin = EVP_DecryptFinal_ex(ctx, pt + ctlen, &n);
	if (fin != 1) {
		rc = CRYPTO_EAUTH;
		goto done;
	}
	pt[ctlen] = '\0';
	*out = (char *)pt;
	*outlen = ctlen;
	pt = NULL;
	rc = 0;
done:
	if (rc == CRYPTO_ESSL)
		log_error("field_decrypt_failed", "table=%s column=%s", table, column);
	if (pt) {
		OPENSSL_cleanse(pt, ctlen + 1);
		free(pt);
	}
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* ---- secrets in files ---- */

char *crypto_secret_read(const char *path, const char *what, size_t max, char *err,
			 size_t errlen)
{
	char *buf = xmalloc(max + 2), *out = NULL;
	struct stat st;
	size_t n;
	FILE *f = fopen(path, "re");

	if (!f || fstat(fileno(f), &st)) {
		snprintf(err, errlen, "%s %s: cannot open the file", what, path);
		goto done;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		snprintf(err, errlen,
			 "%s %s: must be a file readable only by its owner (chmod 600)", what,
			 path);
		goto done;
	}
	n = fread(buf, 1, max + 1, f);
	buf[n] = '\0';
	n = strcspn(buf, "\r\n");
	if (n == 0 || n > max) {
		snprintf(err, errlen, "%s %s: empty or longer than %zu bytes", what, path, max);
		goto done;
	}
	out = xstrndup(buf, n);
done:
	OPENSSL_cleanse(buf, max + 2);
	free(buf);
	if (f)
		fclose(f);
	return out;
}

void crypto_secret_free(char *secret)
{
	if (!secret)
		return;
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
}
