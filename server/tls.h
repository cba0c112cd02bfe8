/*
 * tls.h — HTTPS and WSS: the TLS settings handed to libwebsockets, and the
 * self-signed certificate made for development (--tls-self-signed).
 *
 * With [tls] cert and key set (PEM files), or with [tls] self_signed on,
 * the one listening port speaks only TLS: TLS 1.2 with ECDHE key exchange
 * and AES-GCM or ChaCha20-Poly1305, or TLS 1.3; SSLv3, TLS 1.0 and 1.1 are
 * refused, as are compression and renegotiation. Only HTTP/1.1 is offered
 * by ALPN (our HTTP layer and the WebSocket upgrade are HTTP/1.1).
 * Everything that depends on TLS being on (Secure and __Host- cookies,
 * HSTS, https:// Origins) follows tls_enabled().
 *
 * The self-signed certificate is for a developer's own machine: it names
 * localhost and 127.0.0.1, lasts 30 days, and is kept in DATA/tls/
 * (cert.pem, and key.pem with mode 0600) and reused while it is valid.
 * Browsers warn about it, as they should. Never use it in production.
 */
#ifndef HEARTH_TLS_H
#define HEARTH_TLS_H

#include <stddef.h>
#include <time.h>

struct config;
struct lws_context_creation_info;

enum tls_err {
	TLS_OK = 0,
	TLS_EIO = -1,	  /* a file could not be read, written or renamed */
	TLS_ECRYPTO = -2, /* OpenSSL refused (key generation, signing, encoding) */
};
const char *tls_strerror(int err);

#define TLS_SELF_SIGNED_DAYS 30
#define TLS_DIR "tls"

/* 1 when cfg asks for TLS (cert and key, or self_signed). */
int tls_enabled(const struct config *cfg);

/*
 * Make sure DATA/tls/cert.pem and key.pem hold a self-signed certificate
 * (EC P-256, SHA-256, CN localhost, SAN localhost and 127.0.0.1) valid at
 * `now` for at least one more day, whose key matches it, and whose key
 * file nobody else may read. Reuses them when so; otherwise makes new ones
 * (written under temporary names, fsync'ed, renamed into place) valid from
 * a minute before `now` for TLS_SELF_SIGNED_DAYS. *made (may be NULL) is
 * set to 1 when new files were written. *cert_path and *key_path get new
 * strings (the caller frees them) on success. On failure returns a
 * negative tls_err with a sentence in err, and changes no file in place.
 */
int tls_self_signed(const char *data_dir, time_t now, char **cert_path, char **key_path, int *made,
		    char *err, size_t errlen);

/*
 * Set up TLS for the server described by cfg in info (an lws context
 * creation info about to be used): the certificate and key (made first
 * for self_signed), the protocol versions, ciphers and ALPN. Does nothing
 * when TLS is off. The paths it sets stay valid until tls_free(). 0, or -1
 * with a sentence in err.
 */
int tls_configure(const struct config *cfg, struct lws_context_creation_info *info, char *err,
		  size_t errlen);

/* Free what tls_configure kept (after the lws context is gone). */
void tls_free(void);

#endif
