/* server_tls.c - the demonstration server's TLS (server_tls.h). OpenSSL's
 * error queue is per thread and cleared before each call, so that
 * SSL_get_error() answers about that call alone. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "serve/server_tls.h"
#include "util/error.h"

/* Answers ALPN with http/1.1 when the client offers it, else nothing. */
static int on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg)
{
    static const unsigned char http11[] = "\x08http/1.1";
    unsigned char *pick = NULL;
    if (SSL_select_next_proto(&pick, outlen, http11, sizeof http11 - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = pick;
    return SSL_TLSEXT_ERR_OK;
}

int throng__server_tls_ctx_new(const char *cert, const char *key, void **out, char *err)
{
    *out = NULL;
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    if (!c) return throng__fail(err, THRONG_ENOMEM, "cannot make a TLS context");
    const char *bad = NULL;
    int bad_key = 0;
    if (SSL_CTX_use_certificate_chain_file(c, cert) != 1)
        bad = cert;
    else if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1 ||
             SSL_CTX_check_private_key(c) != 1)
        bad = key, bad_key = 1;
    if (bad) {
        /* The first reason is the cause ("no start line"); the last only
         * names the library that passed it on ("PEM lib"). */
        unsigned long code;
        const char *why = NULL;
        while (!why && (code = ERR_get_error()) != 0)
            why = ERR_reason_error_string(code);
        ERR_clear_error();
        SSL_CTX_free(c);
        int fd = open(bad, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return throng__fail(err, THRONG_EINVAL, "cannot read '%s': %s", bad, strerror(errno));
        close(fd);
        if (bad_key && key == cert)
            return throng__fail(err, THRONG_EINVAL,
                                "--tls-cert needs --tls-key: '%s' holds no private key", cert);
        return throng__fail(err, THRONG_EINVAL, "'%s' holds no PEM %s: %s", bad,
                            bad_key ? "private key" : "certificate", why ? why : "not PEM");
    }
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_alpn_select_cb(c, on_alpn, NULL);
    /* Resumption by ticket (stateless) works across the server's threads. */
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    *out = c;
    return 0;
}

void throng__server_tls_ctx_free(void *ctx)
{
    SSL_CTX_free(ctx);
}

int throng__server_tls_begin(throng__server_tls_t *t, void *ctx)
{
    SSL *ssl = SSL_new(ctx);
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
    if (!ssl || !in || !out) {
        SSL_free(ssl);
        BIO_free(in);
        BIO_free(out);
        ERR_clear_error();
        return -1;
    }
    BIO_set_mem_eof_return(in, -1); /* empty means "wait for more" */
    SSL_set_bio(ssl, in, out);
    SSL_set_accept_state(ssl);
    t->ssl = ssl;
    t->in = in;
    t->out = out;
    t->done = 0;
    return 0;
}

int throng__server_tls_feed(throng__server_tls_t *t, const char *data, size_t n)
{
    if (!t->in) return -1;
    return n == 0 || BIO_write(t->in, data, (int)n) == (int)n ? 0 : -1;
}

int throng__server_tls_handshake(throng__server_tls_t *t)
{
    if (t->done) return 1;
    ERR_clear_error();
    int rc = SSL_do_handshake(t->ssl);
    if (rc == 1) return t->done = 1;
    int e = SSL_get_error(t->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_HTTP_REQUEST)
        return THRONG__SERVER_TLS_PLAIN;
    return -1;
}

int throng__server_tls_read(throng__server_tls_t *t, char *buf, size_t cap)
{
    ERR_clear_error();
    int rc = SSL_read(t->ssl, buf, cap > 1 << 30 ? 1 << 30 : (int)cap);
    if (rc > 0) return rc;
    int e = SSL_get_error(t->ssl, rc);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    return e == SSL_ERROR_ZERO_RETURN ? THRONG__SERVER_TLS_CLOSED : -1;
}

int throng__server_tls_write(throng__server_tls_t *t, const char *data, size_t n)
{
    if (!t->done) return -1;
    ERR_clear_error();
    while (n > 0) {
        int rc = SSL_write(t->ssl, data, n > 1 << 30 ? 1 << 30 : (int)n);
        if (rc <= 0) {
            ERR_clear_error();
            return -1;
        }
        data += rc;
        n -= (size_t)rc;
    }
    return 0;
}

void throng__server_tls_close_notify(throng__server_tls_t *t)
{
    if (!t->ssl || !t->done) return;
    ERR_clear_error();
    SSL_shutdown(t->ssl);
    ERR_clear_error();
}

size_t throng__server_tls_output(throng__server_tls_t *t, const char **data)
{
    char *p = NULL;
    long n = t->out ? BIO_get_mem_data((BIO *)t->out, &p) : 0;
    *data = p;
    return n > 0 ? (size_t)n : 0;
}

void throng__server_tls_taken(throng__server_tls_t *t)
{
    if (t->out) (void)BIO_reset((BIO *)t->out);
}

void throng__server_tls_end(throng__server_tls_t *t)
{
    SSL_free(t->ssl); /* and its BIOs */
    t->ssl = t->in = t->out = NULL;
    t->done = 0;
}
