/*
 * test_tls.c — the development certificate and the TLS settings
 * (server/tls.c): what the certificate says, that a client given it as its
 * trust anchor accepts it for localhost and 127.0.0.1, the modes of the
 * files, when it is reused and when it is made again, and what
 * tls_configure() hands to libwebsockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libwebsockets.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "tls.h"
#include "testdir.h"
#include "util.h"

#define DAY 86400

static char *tmp_dir(void)
{
	return testdir_new("tls");
}

static void rm_tree(char *dir)
{
	testdir_remove(dir);
}

static X509 *load_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static unsigned mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 0777;
}

/* The certificate's serial as hex: tells one certificate from the next. */
static char *serial_of(const char *path)
{
	X509 *x = load_cert(path);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = BN_bn2hex(bn), *out = xstrdup(hex);

	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	return out;
}

/* What a client does with the certificate as its only trust anchor. */
static int verifies_as_anchor(X509 *x, time_t at)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	X509_STORE_add_cert(store, x);
	X509_STORE_CTX_init(ctx, store, x, NULL);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), at);
	X509_VERIFY_PARAM_set_purpose(X509_STORE_CTX_get0_param(ctx), X509_PURPOSE_SSL_SERVER);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok == 1;
}

static void test_made_certificate(void **state)
{
	char *dir = tmp_dir(), *cert = NULL, *key = NULL, err[256], *tlsdir;
	time_t now = 1790000000; /* 2026-09-21 */
	int made = -1;
	X509 *x;
	EVP_PKEY *pub;

	(void)state;
	assert_int_equal(tls_self_signed(dir, now, &cert, &key, &made, err, sizeof err), 0);
	assert_int_equal(made, 1);
	tlsdir = xasprintf("%s/tls", dir);
	assert_int_equal(mode_of(tlsdir), 0700);
	assert_int_equal(mode_of(key), 0600);
	assert_int_equal(mode_of(cert), 0644);
	x = load_cert(cert);
	assert_int_equal(X509_get_version(x), 2);
	assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_host(x, "example.org", 0, 0, NULL), 0);
	pub = X509_get0_pubkey(x);
	assert_true(EVP_PKEY_is_a(pub, "EC"));
	assert_int_equal(EVP_PKEY_get_bits(pub), 256);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	/* valid now and for 30 days, not after */
	assert_true(verifies_as_anchor(x, now));
	assert_true(verifies_as_anchor(x, now + 29 * DAY));
	assert_false(verifies_as_anchor(x, now + 31 * DAY));
	assert_false(verifies_as_anchor(x, now - DAY));
	X509_free(x);
	free(tlsdir);
	free(cert);
	free(key);
	rm_tree(dir);
}

static void test_reused_while_valid(void **state)
{
	char *dir = tmp_dir(), *cert = NULL, *key = NULL, err[256], *s1, *s2;
	time_t now = 1790000000;
	int made = -1;

	(void)state;
	assert_int_equal(tls_self_signed(dir, now, &cert, &key, &made, err, sizeof err), 0);
	s1 = serial_of(cert);
	free(cert);
	free(key);
	assert_int_equal(tls_self_signed(dir, now + 20 * DAY, &cert, &key, &made, err, sizeof err),
			 0);
	assert_int_equal(made, 0);
	s2 = serial_of(cert);
	assert_string_equal(s1, s2);
	free(s1);
	free(s2);
	free(cert);
	free(key);
	rm_tree(dir);
}

/* Each way the files can stop being usable; every one leads to a new pair. */
enum spoil { EXPIRING, KEY_READABLE, CERT_GARBLED, KEY_OF_ANOTHER, CERT_MISSING };

static void spoil(const char *dir, const char *cert, const char *key, enum spoil how)
{
	char *other = xasprintf("%s/other", dir), *ocert = NULL, *okey = NULL, err[256];
	FILE *f;

	switch (how) {
	case EXPIRING:
		break;
	case KEY_READABLE:
		assert_int_equal(chmod(key, 0644), 0);
		break;
	case CERT_GARBLED:
		f = fopen(cert, "w");
		assert_non_null(f);
		fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n",
		      f);
		fclose(f);
		break;
	case KEY_OF_ANOTHER:
		assert_int_equal(mkdir(other, 0700), 0);
		assert_int_equal(
		    tls_self_signed(other, 1790000000, &ocert, &okey, NULL, err, sizeof err), 0);
		assert_int_equal(rename(okey, key), 0);
		break;
	case CERT_MISSING:
		assert_int_equal(unlink(cert), 0);
		break;
	}
	free(ocert);
	free(okey);
	free(other);
}

static void test_made_again_when_unusable(void **state)
{
	static const struct {
		enum spoil how;
		time_t later; /* when the second call happens */
	} cases[] = {
	    {EXPIRING, 29 * DAY + DAY / 2}, /* under a day left */
	    {KEY_READABLE, DAY},
	    {CERT_GARBLED, DAY},
	    {KEY_OF_ANOTHER, DAY},
	    {CERT_MISSING, DAY},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *dir = tmp_dir(), *cert = NULL, *key = NULL, err[256], *s1, *s2;
		time_t now = 1790000000;
		int made = -1;
		X509 *x;

		assert_int_equal(tls_self_signed(dir, now, &cert, &key, &made, err, sizeof err), 0);
		s1 = serial_of(cert);
		spoil(dir, cert, key, cases[i].how);
		free(cert);
		free(key);
		assert_int_equal(
		    tls_self_signed(dir, now + cases[i].later, &cert, &key, &made, err, sizeof err),
		    0);
		assert_int_equal(made, 1);
		s2 = serial_of(cert);
		assert_string_not_equal(s1, s2);
		assert_int_equal(mode_of(key), 0600);
		x = load_cert(cert);
		assert_true(verifies_as_anchor(x, now + cases[i].later + 29 * DAY));
		X509_free(x);
		free(s1);
		free(s2);
		free(cert);
		free(key);
		rm_tree(dir);
	}
}

static void test_unwritable_folder_fails_cleanly(void **state)
{
	char *dir = tmp_dir(), *file = xasprintf("%s/plain-file", dir), *cert = NULL, *key = NULL;
	char err[256] = "";
	FILE *f = fopen(file, "w");

	(void)state;
	assert_non_null(f);
	fclose(f);
	/* a data folder that is a file: DATA/tls cannot be made */
	assert_int_equal(tls_self_signed(file, 1790000000, &cert, &key, NULL, err, sizeof err),
			 TLS_EIO);
	assert_non_null(strstr(err, "cannot create"));
	assert_null(cert);
	assert_null(key);
	free(file);
	rm_tree(dir);
}

static void test_configure(void **state)
{
	struct config cfg;
	struct lws_context_creation_info info;
	char *dir = tmp_dir(), *cert = NULL, *key = NULL, *other = xasprintf("%s/o", dir);
	char *ocert = NULL, *okey = NULL, err[256];

	(void)state;
	config_defaults(&cfg);
	free(cfg.data_dir);
	cfg.data_dir = xstrdup(dir);
	/* off: nothing is touched */
	memset(&info, 0, sizeof info);
	assert_false(tls_enabled(&cfg));
	assert_int_equal(tls_configure(&cfg, &info, err, sizeof err), 0);
	assert_null(info.ssl_cert_filepath);
	assert_int_equal(info.options, 0);

	/* self-signed: the files in DATA/tls, TLS 1.2 and up, AEAD ciphers, HTTP/1.1 only */
	cfg.tls_self_signed = 1;
	assert_true(tls_enabled(&cfg));
	assert_int_equal(tls_configure(&cfg, &info, err, sizeof err), 0);
	assert_non_null(strstr(info.ssl_cert_filepath, "/tls/cert.pem"));
	assert_non_null(strstr(info.ssl_private_key_filepath, "/tls/key.pem"));
	assert_true(info.options & LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT);
	assert_true(info.ssl_options_set & (long)SSL_OP_NO_TLSv1);
	assert_true(info.ssl_options_set & (long)SSL_OP_NO_TLSv1_1);
	assert_true(info.ssl_options_set & (long)SSL_OP_NO_SSLv3);
	assert_null(strstr(info.ssl_cipher_list, "CBC"));
	assert_null(strstr(info.ssl_cipher_list, "-SHA:"));
	assert_non_null(strstr(info.ssl_cipher_list, "ECDHE-ECDSA-AES128-GCM-SHA256"));
	assert_non_null(strstr(info.tls1_3_plus_cipher_list, "TLS_AES_128_GCM_SHA256"));
	assert_string_equal(info.alpn, "http/1.1");
	cert = xstrdup(info.ssl_cert_filepath);
	key = xstrdup(info.ssl_private_key_filepath);

	/* an operator's own pair is checked before lws sees it */
	cfg.tls_self_signed = 0;
	free(cfg.tls_cert);
	free(cfg.tls_key);
	cfg.tls_cert = xstrdup(cert);
	cfg.tls_key = xstrdup(key);
	memset(&info, 0, sizeof info);
	assert_int_equal(tls_configure(&cfg, &info, err, sizeof err), 0);
	assert_string_equal(info.ssl_cert_filepath, cert);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(tls_self_signed(other, time(NULL), &ocert, &okey, NULL, err, sizeof err),
			 0);
	free(cfg.tls_key);
	cfg.tls_key = xstrdup(okey);
	assert_int_equal(tls_configure(&cfg, &info, err, sizeof err), -1);
	assert_non_null(strstr(err, "does not belong"));
	free(cfg.tls_cert);
	cfg.tls_cert = xasprintf("%s/missing.pem", dir);
	assert_int_equal(tls_configure(&cfg, &info, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot read"));

	tls_free();
	config_free(&cfg);
	free(cert);
	free(key);
	free(ocert);
	free(okey);
	free(other);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_made_certificate),
	    cmocka_unit_test(test_reused_while_valid),
	    cmocka_unit_test(test_made_again_when_unusable),
	    cmocka_unit_test(test_unwritable_folder_fails_cleanly),
	    cmocka_unit_test(test_configure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
