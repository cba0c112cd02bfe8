/*
 * crypto.h — every secret Hearth keeps or checks, over OpenSSL 3:
 * password hashes (scrypt, PHC-style strings), session and invitation
 * tokens, SHA-256, and AES-256-GCM encryption of single database fields
 * (GP contact, screening answers) with a key kept in a file of its own.
 *
 * Every function here is thread-safe and touches no global state of ours:
 * password hashing is slow on purpose (≈128 MiB, a few hundred ms) and must
 * run in the uv thread pool, never on the loop thread. The pool has 4
 * threads by default, which also bounds how many hashes run at once.
 *
 * Errors are 0 or a negative enum crypto_err; nothing here logs a password,
 * token, key or plaintext.
 */
#ifndef HEARTH_CRYPTO_H
#define HEARTH_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

enum crypto_err {
	CRYPTO_OK = 0,
	CRYPTO_EINVAL = -1,	 /* bad argument (NULL, empty name, buffer too small) */
	CRYPTO_ETOOLONG = -2,	 /* password over CRYPTO_PW_MAX, or field over CRYPTO_FIELD_MAX */
	CRYPTO_EAUTH = -3,	 /* the GCM tag did not verify: tampered, moved or wrong key */
	CRYPTO_EIO = -4,	 /* a file system call failed (logged with errno) */
	CRYPTO_EKEYFILE = -5,	 /* key file not a regular file, wrong size or bad contents */
	CRYPTO_EKEYPERM = -6,	 /* key file readable by others or not ours: chmod 600 it */
	CRYPTO_EFORMAT = -7,	 /* an encoded password hash or a blob that cannot be parsed */
	CRYPTO_EPARAMS = -8,	 /* scrypt parameters outside the bounds we accept */
	CRYPTO_EKEYVERSION = -9, /* blob sealed under another key version than the one loaded */
	CRYPTO_ESSL = -10	 /* OpenSSL refused (logged); not caused by the input */
};

/* A static English sentence for err; never NULL. */
const char *crypto_strerror(int err);

/* ---- passwords ---------------------------------------------------------- */

/* Longest password accepted, in bytes; longer ones are refused before hashing. */
#define CRYPTO_PW_MAX 1024
/* Enough room for any encoded hash this module writes or accepts, with its NUL. */
#define CRYPTO_PW_ENCODED_MAX 160

/* The parameters new hashes get: N = 2^17, r = 8, p = 1 (≈128 MiB per hash). */
#define CRYPTO_SCRYPT_LN 17
#define CRYPTO_SCRYPT_R 8
#define CRYPTO_SCRYPT_P 1

/*
 * Hash pw (len bytes, any bytes allowed) with a fresh 16-byte salt and the
 * current parameters into out as
 *   $scrypt$ln=17,r=8,p=1$<salt, base64 no padding>$<32-byte hash, base64 no padding>
 * 0 on success; CRYPTO_ETOOLONG past CRYPTO_PW_MAX; CRYPTO_EINVAL when
 * outlen < CRYPTO_PW_ENCODED_MAX (out untouched); CRYPTO_ESSL if scrypt fails.
 * On any other failure out holds an empty string.
 */
int crypto_password_hash(const char *pw, size_t len, char *out, size_t outlen);

/*
 * The same with explicit parameters (N = 2^ln), for tests and for raising
 * the cost later. ln, r and p must lie within the bounds verify accepts
 * (ln 10..20, r 1..16, p 1..4, and at most CRYPTO_SCRYPT_MAXMEM of memory),
 * else CRYPTO_EPARAMS.
 */
int crypto_password_hash_params(const char *pw, size_t len, int ln, int r, int p, char *out,
				size_t outlen);

/*
 * Check pw against an encoded hash, in constant time over the hash bytes.
 * 1 on a match, 0 on a mismatch. Negative when the check could not be made:
 * CRYPTO_EFORMAT for a malformed string, CRYPTO_EPARAMS for parameters out of
 * bounds (refused before any memory is allocated, so a tampered row cannot
 * make us allocate gigabytes), CRYPTO_ETOOLONG for a password past
 * CRYPTO_PW_MAX, CRYPTO_ESSL if scrypt fails. Callers treat every non-1
 * result as "not logged in".
 */
int crypto_password_verify(const char *pw, size_t len, const char *encoded);

/*
 * Spend the same time as verifying pw against a hash with the current
 * parameters, and discard the result: a log-in for an unknown user then
 * takes as long as one for a known user.
 */
void crypto_password_dummy_verify(const char *pw, size_t len);

/*
 * 1 when encoded was made with any parameter below the current ones (ln, r,
 * p, salt or hash length), so the caller should store a fresh hash after a
 * successful log-in; 0 when it is current; CRYPTO_EFORMAT or CRYPTO_EPARAMS
 * when it cannot be parsed.
 */
int crypto_password_needs_rehash(const char *encoded);

/* ---- tokens and digests ------------------------------------------------- */

/* Characters of a token, without the NUL: 32 random bytes in base64url. */
#define CRYPTO_TOKEN_LEN 43

/*
 * A fresh token: 32 bytes from RAND_bytes as base64url without padding
 * (43 characters of [A-Za-z0-9_-], NUL-terminated). Aborts the process if
 * the system's random generator fails: a guessable token is worse than none.
 */
void crypto_token_new(char out[CRYPTO_TOKEN_LEN + 1]);

/* Lower-case hex SHA-256 of the token string: what the server stores. */
void crypto_token_hash(const char *token, char out_hex[65]);

/* nbytes random bytes as lower-case hex into out (2 * nbytes + 1 bytes). Aborts like token_new. */
void crypto_random_hex(size_t nbytes, char *out);

/* Lower-case hex SHA-256 of len bytes. */
void crypto_sha256_hex(const void *data, size_t len, char out[65]);

/*
 * Read a secret from the first line of a file that only its owner may
 * read (mode 0600 or stricter), at most max bytes. Returns it (owned; wipe
 * with crypto_secret_free), or NULL with err naming `what` and the path.
 */
char *crypto_secret_read(const char *path, const char *what, size_t max, char *err,
			 size_t errlen);
/* Wipe and free a secret from crypto_secret_read (NULL is fine). */
void crypto_secret_free(char *secret);

/* ---- field encryption --------------------------------------------------- */

#define CRYPTO_FIELDKEY_BYTES 32
/* The key file: the 32 key bytes followed by one byte of key version. */
#define CRYPTO_FIELDKEY_FILE_BYTES (CRYPTO_FIELDKEY_BYTES + 1)
/* Largest plaintext a field may hold. */
#define CRYPTO_FIELD_MAX (1024 * 1024)
/* Bytes a blob adds to its plaintext: version (1) + IV (12) + tag (16). */
#define CRYPTO_FIELD_OVERHEAD (1 + 12 + 16)

/* One per process, loaded at start and only read afterwards (any thread). */
struct crypto_fieldkey {
	unsigned char key[CRYPTO_FIELDKEY_BYTES];
	uint8_t version; /* 1..255; written as the first byte of every blob */
};

/*
 * Load the key from path, or create it if path does not exist: the parent
 * folder is created with mode 0700, the file is written in full to a
 * temporary name (mode 0600), fsynced, then linked into place, so a crash
 * never leaves a half-written key and two starting processes agree on one.
 * An existing file is used only if it is a regular file (not a symlink),
 * owned by us, with no group or other permission bits, exactly
 * CRYPTO_FIELDKEY_FILE_BYTES long, with a non-zero version byte.
 * 0 on success. Otherwise key is zeroed, the reason is logged (the path,
 * never the key) and CRYPTO_EKEYPERM, CRYPTO_EKEYFILE or CRYPTO_EIO is returned.
 */
int crypto_fieldkey_load_or_create(const char *path, struct crypto_fieldkey *key);

/* Overwrite the key in memory (OPENSSL_cleanse); call before freeing it. */
void crypto_fieldkey_wipe(struct crypto_fieldkey *key);

/*
 * Seal ptlen bytes of pt (pt may be NULL when ptlen is 0) for the cell
 * (table, column, rowid). *out receives a fresh malloc'd blob the caller
 * frees, *outlen its length (ptlen + CRYPTO_FIELD_OVERHEAD):
 *   key version (1) ‖ IV (12, random per call) ‖ ciphertext ‖ GCM tag (16)
 * The associated data is table ‖ 0 ‖ column ‖ 0 ‖ rowid (8 bytes, big-endian)
 * ‖ key version, so a blob copied to another cell fails to decrypt.
 * The rowid must therefore be known before the value is encrypted.
 * 0 on success; CRYPTO_EINVAL (NULL or empty names), CRYPTO_ETOOLONG
 * (ptlen > CRYPTO_FIELD_MAX), CRYPTO_ESSL. On failure *out is NULL.
 */
int crypto_field_encrypt(const struct crypto_fieldkey *k, const char *table, const char *column,
			 int64_t rowid, const void *pt, size_t ptlen, unsigned char **out,
			 size_t *outlen);

/*
 * Open a blob sealed by crypto_field_encrypt for the same cell. On success
 * *out is a fresh malloc'd plaintext followed by a NUL (not counted in
 * *outlen), which the caller frees. Nothing is returned unless the tag
 * verifies: CRYPTO_EAUTH when it does not (tampered, or sealed for another
 * cell), CRYPTO_EKEYVERSION when the blob names another key version,
 * CRYPTO_EFORMAT when it is too short, CRYPTO_EINVAL for bad arguments.
 * On failure *out is NULL and no plaintext remains in memory.
 */
int crypto_field_decrypt(const struct crypto_fieldkey *k, const char *table, const char *column,
			 int64_t rowid, const unsigned char *blob, size_t bloblen, char **out,
			 size_t *outlen);

/* ---- internal, exposed for tests --------------------------------------- */

/* Memory scrypt may use per hash; parameters needing more are refused. */
#define CRYPTO_SCRYPT_MAXMEM ((uint64_t)160 * 1024 * 1024)

/*
 * Raw scrypt (RFC 7914) with N given directly. 0 or CRYPTO_EPARAMS when
 * the memory needed exceeds CRYPTO_SCRYPT_MAXMEM, CRYPTO_ESSL otherwise.
 */
int crypto__scrypt(const void *pw, size_t pwlen, const void *salt, size_t saltlen, uint64_t n,
		   uint64_t r, uint64_t p, unsigned char *out, size_t outlen);

#endif
