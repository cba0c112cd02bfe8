/*
 * tls.c — the TLS settings given to libwebsockets and the development
 * certificate (see tls.h). OpenSSL does the work; lws only reads the two
 * files we name, so a move to another lws needs no change here but the
 * field names in tls_configure().
 */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "util.h"

/* TLS 1.2: forward secrecy and AEAD only (ECDSA or RSA certificates) */
#define TLS12_CIPHERS                                                                              \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                               \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                               \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS13_CIPHERS "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

#define DAY_S 86400
/* a provided certificate this close to its end is logged at every start */
#define EXPIRY_WARN_DAYS 14

const char *tls_strerror(int err)
{
	switch (err) {
	case TLS_OK:
		return "no error";
	case TLS_EIO:
		return "a file could not be read or written";
	case TLS_ECRYPTO:
		return "OpenSSL refused";
	}
	return "unknown error";
}

int tls_enabled(const struct config *cfg)
{
	return cfg->tls_self_signed || (cfg->tls_cert && cfg->tls_cert[0]);
}

/* ---- reading ---- */

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (!f)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

/*
 * Load cert and key and check that they belong together. 0 with both set
 * (the caller frees them), or -1 with a sentence in err.
 */
static int load_pair(const char *cert, const char *key, X509 **x, EVP_PKEY **k, char *err,
		     size_t errlen)
{
	*x = read_cert(cert);
	*k = NULL;
	if (!*x) {
		snprintf(err, errlen, "cannot read a PEM certificate from %s", cert);
		return -1;
	}
	*k = read_key(key);
	if (!*k) {
		snprintf(err, errlen,
			 "cannot read a PEM private key (without a passphrase) from %s", key);
		X509_free(*x);
		*x = NULL;
		return -1;
	}
	if (X509_check_private_key(*x, *k) != 1) {
		snprintf(err, errlen, "the key %s does not belong to the certificate %s", key,
			 cert);
		X509_free(*x);
		EVP_PKEY_free(*k);
		*x = NULL;
		*k = NULL;
		return -1;
	}
	return 0;
}

/* 1 when x is valid at now and still valid `margin_s` seconds later. */
static int valid_at(const X509 *x, time_t now, time_t margin_s)
{
	time_t later = now + margin_s;

	return X509_cmp_time(X509_get0_notBefore(x), &now) < 0 &&
	       X509_cmp_time(X509_get0_notAfter(x), &later) > 0;
}

/* 1 when the files hold a matching pair we may keep using at now. */
static int reusable(const char *cert, const char *key, time_t now)
{
	struct stat st;
	char err[256];
	X509 *x;
	EVP_PKEY *k;
	int ok;

	/* a key others could read may have been copied: make a new one */
	if (stat(key, &st) || (st.st_mode & 077) || !S_ISREG(st.st_mode))
		return 0;
	if (load_pair(cert, key, &x, &k, err, sizeof err))
		return 0;
	ok = valid_at(x, now, DAY_S);
	X509_free(x);
	EVP_PKEY_free(k);
	return ok;
}

/* ---- making ---- */

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (!e)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* A random positive 127-bit serial number, as RFC 5280 asks (at most 20 bytes, unique). */
static int set_serial(X509 *x)
{
	unsigned char sn[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(sn, sizeof sn) != 1)
		return -1;
	sn[0] &= 0x7f;
	sn[0] |= 0x01; /* never zero */
	bn = BN_bin2bn(sn, sizeof sn, NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? 0 : -1;
}

static X509 *make_cert(EVP_PKEY *k, time_t now)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;

	if (!x || !X509_set_version(x, 2) || set_serial(x) ||
	    /* a minute back: a client whose clock is a little behind still accepts it */
	    !X509_time_adj_ex(X509_getm_notBefore(x), 0, -60, &now) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), TLS_SELF_SIGNED_DAYS, 0, &now) ||
	    !X509_set_pubkey(x, k))
		goto fail;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
					(const unsigned char *)"Hearth development", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)"localhost", -1, -1, 0) ||
	    !X509_set_issuer_name(x, name))
		goto fail;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	/*
	 * No keyUsage: with one lacking keyCertSign, OpenSSL would not take
	 * the certificate as its own issuer, and clients given it as their
	 * trust anchor (curl --cacert, node's `ca`) could not verify it.
	 */
	if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") ||
	    add_ext(x, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash"))
		goto fail;
	if (X509_sign(x, k, EVP_sha256()) <= 0)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

/* Write PEM to path (mode, via a temporary name, fsync'ed); the rename is the caller's. */
static int write_pem(const char *tmp, unsigned mode, X509 *x, EVP_PKEY *k)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	FILE *f;
	int ok;

	if (fd < 0)
		return -1;
	if (fchmod(fd, mode)) { /* the file may have been left by an earlier attempt */
		close(fd);
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	ok = x ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f))
		ok = 0;
	return ok ? 0 : -1;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int make_pair(const char *dir, const char *cert, const char *key, time_t now, char *err,
		     size_t errlen)
{
	char *ctmp = xasprintf("%s.tmp", cert), *ktmp = xasprintf("%s.tmp", key);
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = k ? make_cert(k, now) : NULL;
	int rc = TLS_OK;

	if (!x) {
		snprintf(err, errlen, "cannot make a self-signed certificate (OpenSSL refused)");
		rc = TLS_ECRYPTO;
	} else if (write_pem(ktmp, 0600, NULL, k) || write_pem(ctmp, 0644, x, NULL) ||
		   rename(ktmp, key) || rename(ctmp, cert)) {
		snprintf(err, errlen, "cannot write the certificate into %s: %s", dir,
			 strerror(errno));
		rc = TLS_EIO;
	}
	if (rc) {
		unlink(ktmp);
		unlink(ctmp);
	} else {
		sync_dir(dir);
	}
	X509_free(x);
	EVP_PKEY_free(k);
	free(ctmp);
	free(ktmp);
	return rc;
}

int tls_self_signed(const char *data_dir, time_t now, char **cert_path, char **key_path, int *made,
		    char *err, size_t errlen)
{
	char *dir = xasprintf("%s/%s", data_dir, TLS_DIR);
	char *cert = xasprintf("%s/cert.pem", dir), *key = xasprintf("%s/key.pem", dir);
	int rc = mkdir_p(dir, 0700);

	if (made)
		*made = 0;
	if (rc) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
		rc = TLS_EIO;
	} else if (!reusable(cert, key, now)) {
		rc = make_pair(dir, cert, key, now, err, errlen);
		if (rc == 0 && made)
			*made = 1;
	}
	free(dir);
	if (rc) {
		free(cert);
		free(key);
		return rc;
	}
	*cert_path = cert;
	*key_path = key;
	return 0;
}

/* ---- the server's settings ---- */

/* One per process: the paths lws was given, kept until tls_free(). */
static char *cert_path, *key_path;

/* An operator's own certificate: readable, matching, and not near its end (warned). */
static int check_provided(const char *cert, const char *key, char *err, size_t errlen)
{
	struct stat st;
	X509 *x;
	EVP_PKEY *k;
	time_t now = time(NULL);

	if (load_pair(cert, key, &x, &k, err, errlen))
		return -1;
	if (!valid_at(x, now, 0))
		log_error("tls_cert_not_valid",
			  "cert=%s msg=\"the certificate is expired or not yet"
			  " valid; clients will refuse it\"",
			  cert);
	else if (!valid_at(x, now, (time_t)EXPIRY_WARN_DAYS * DAY_S))
		log_warn("tls_cert_expiring", "cert=%s days=%d", cert, EXPIRY_WARN_DAYS);
	if (stat(key, &st) == 0 && (st.st_mode & 077))
		log_warn("tls_key_readable",
			 "key=%s msg=\"other users may read the key; chmod 600\"", key);
	X509_free(x);
	EVP_PKEY_free(k);
	return 0;
}

int tls_configure(const struct config *cfg, struct lws_context_creation_info *info, char *err,
		  size_t errlen)
{
	int made = 0;

	if (!tls_enabled(cfg))
		return 0;
	tls_free();
	if (cfg->tls_self_signed) {
		/* the wall clock, not clock_now_ms(): clients judge validity by theirs */
		if (tls_self_signed(cfg->data_dir, time(NULL), &cert_path, &key_path, &made, err,
				    errlen))
			return -1;
		log_warn("tls_self_signed",
			 "cert=%s made=%d msg=\"a development certificate;"
			 " never use it in production\"",
			 cert_path, made);
	} else {
		if (check_provided(cfg->tls_cert, cfg->tls_key, err, errlen))
			return -1;
		cert_path = xstrdup(cfg->tls_cert);
		key_path = xstrdup(cfg->tls_key);
	}
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info->ssl_cert_filepath = cert_path;
	info->ssl_private_key_filepath = key_path;
	info->ssl_cipher_list = TLS12_CIPHERS;
	info->tls1_3_plus_cipher_list = TLS13_CIPHERS;
	info->ssl_options_set =
	    (long)(SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_COMPRESSION |
		   SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* HTTP/2 would bypass what our HTTP layer and the upgrade check assume */
	info->alpn = "http/1.1";
	return 0;
}

void tls_free(void)
{
	free(cert_path);
	free(key_path);
	cert_path = NULL;
	key_path = NULL;
}
