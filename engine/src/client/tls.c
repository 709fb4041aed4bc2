/* tls.c - TLS for the client over memory BIOs (tls.h).
 *
 * OpenSSL never sees a socket: what the socket reads goes into the `in`
 * BIO, what OpenSSL wants sent accumulates in the `out` BIO, and the
 * connection writes it with the loop's own calls. OpenSSL's error queue
 * is per thread: it is cleared before each call, so that SSL_get_error()
 * answers about that call only, and after a failure has been put into
 * words. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "client/tls.h"
#include "util/error.h"

struct throng__tls_ctx {
    SSL_CTX *ssl;
    int resume;
    int no_store; /* the system's store was wanted and not found: every check fails */
    /* The system's store is loaded by the first connection that needs it
     * (load_store_once), under store_lock: a plain-HTTP run never pays for
     * it. store_wanted is 1 until then. */
    atomic_int store_wanted;
    pthread_mutex_t store_lock;
};

static const unsigned char alpn_http11[] = "\x08http/1.1";

/* OpenSSL's reason for the last failure of the calling thread, or
 * fallback; the queue is left empty. */
static void last_reason(char *buf, size_t len, const char *fallback)
{
    unsigned long code = ERR_peek_last_error();
    const char *reason = code ? ERR_reason_error_string(code) : NULL;
    if (reason)
        snprintf(buf, len, "%s", reason);
    else if (code)
        ERR_error_string_n(code, buf, len);
    else
        snprintf(buf, len, "%s", fallback);
    ERR_clear_error();
}

/* The first reason OpenSSL gave for the last failure, the cause rather
 * than the library that passed it on ("no start line", not "PEM lib");
 * the queue is left empty. */
static unsigned long root_reason(char *buf, size_t len)
{
    const char *reason = NULL;
    unsigned long code = 0;
    while (!reason && (code = ERR_get_error()) != 0)
        reason = ERR_reason_error_string(code);
    snprintf(buf, len, "%s", reason ? reason : "not PEM");
    ERR_clear_error();
    return code;
}

/* 0 when the file at path can be read, else THRONG_EINVAL with the
 * system's reason: OpenSSL would only say "system lib". */
static int unreadable(const char *what, const char *path, char *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    return throng__fail(err, THRONG_EINVAL, "cannot read %s '%s': %s", what, path, strerror(errno));
}

/* The client certificate and its key (o->key, or in the certificate's
 * file when NULL). 0, or THRONG_EINVAL with what is wrong in err. */
static int load_cert(SSL_CTX *c, const throng__tls_options_t *o, char *err)
{
    char why[160];
    const char *key = o->key ? o->key : o->cert;
    int rc = unreadable("client certificate", o->cert, err);
    if (rc == 0 && o->key) rc = unreadable("client key", o->key, err);
    if (rc) return rc;
    if (SSL_CTX_use_certificate_chain_file(c, o->cert) != 1) {
        root_reason(why, sizeof why);
        return throng__fail(err, THRONG_EINVAL, "'%s' holds no PEM certificate: %s", o->cert, why);
    }
    if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1) {
        unsigned long code = root_reason(why, sizeof why);
        if (ERR_GET_LIB(code) == ERR_LIB_X509 && ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH)
            return throng__fail(err, THRONG_EINVAL, "the key '%s' is not the certificate's '%s'",
                                key, o->cert);
        if (!o->key)
            return throng__fail(err, THRONG_EINVAL, "--cert needs --key: '%s' holds no private key",
                                o->cert);
        return throng__fail(err, THRONG_EINVAL, "'%s' holds no PEM private key: %s", key, why);
    }
    if (SSL_CTX_check_private_key(c) != 1) {
        root_reason(why, sizeof why);
        return throng__fail(err, THRONG_EINVAL, "the key '%s' is not the certificate's '%s': %s",
                            key, o->cert, why);
    }
    return 0;
}

/* The session a server gave (TLS 1.2 in its handshake, TLS 1.3 in a
 * ticket after it): kept for the next connection, replacing the last. */
static int on_new_session(SSL *ssl, SSL_SESSION *session)
{
    throng__tls_t *t = SSL_get_app_data(ssl);
    if (!t) return 0;
    if (t->session) SSL_SESSION_free(t->session);
    t->session = session;
    return 1; /* the reference is ours now */
}

/* 1 when dir holds at least one certificate by hash (the links
 * `openssl rehash` makes: eight hex digits, a dot, a number). */
static int has_hash_links(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int found = 0;
    struct dirent *ent;
    while (!found && (ent = readdir(d)) != NULL) {
        const char *n = ent->d_name;
        size_t hex = strspn(n, "0123456789abcdef");
        found = hex == 8 && n[8] == '.' && n[9] >= '0' && n[9] <= '9';
    }
    closedir(d);
    return found;
}

/* The system's certificate store where SSL_CTX_set_default_verify_paths
 * finds it (SSL_CERT_FILE and SSL_CERT_DIR, else the build's defaults).
 * The hashed directory is looked up by hash as certificates are verified,
 * so it costs nothing to load; the bundle file is parsed whole (about
 * 50 ms of CPU for Debian's), so it is read only when SSL_CERT_FILE names
 * it or the directory holds no hashed certificate. OpenSSL 3's default
 * also reads the whole directory through its store loader (opendir): time
 * for nothing, and descriptor numbers that ThreadSanitizer, which misses
 * that open, takes for races when another thread reuses them. */
static int load_system_store(SSL_CTX *c)
{
    const char *file = getenv(X509_get_default_cert_file_env());
    const char *dir = getenv(X509_get_default_cert_dir_env());
    int file_asked = file != NULL;
    if (!file) file = X509_get_default_cert_file();
    if (!dir) dir = X509_get_default_cert_dir();
    int ok = has_hash_links(dir) && SSL_CTX_load_verify_dir(c, dir) == 1;
    if (file_asked || !ok) ok |= access(file, R_OK) == 0 && SSL_CTX_load_verify_file(c, file) == 1;
    if (ok) ERR_clear_error();
    return ok;
}

int throng__tls_ctx_new(const throng__tls_options_t *o, throng__tls_ctx_t **out, char *err)
{
    char why[160];
    *out = NULL;
    throng__tls_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return throng__fail(err, THRONG_ENOMEM, "out of memory making a TLS context");
    pthread_mutex_init(&ctx->store_lock, NULL);
    SSL_CTX *c = ctx->ssl = SSL_CTX_new(TLS_client_method());
    if (!c) {
        free(ctx);
        last_reason(why, sizeof why, "unknown error");
        return throng__fail(err, THRONG_EINVAL, "cannot make a TLS context: %s", why);
    }
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    if (o->insecure) {
        SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
        if (o->cacert) {
            int rc = unreadable("CA file", o->cacert, err);
            if (rc == 0 && SSL_CTX_load_verify_locations(c, o->cacert, NULL) != 1) {
                root_reason(why, sizeof why);
                rc = throng__fail(err, THRONG_EINVAL, "'%s' holds no PEM certificate: %s",
                                  o->cacert, why);
            }
            if (rc) {
                throng__tls_ctx_free(ctx);
                return rc;
            }
        } else {
            atomic_init(&ctx->store_wanted, 1); /* loaded by the first https connection */
        }
    }
    if (o->cert) {
        int rc = load_cert(c, o, err);
        if (rc) {
            throng__tls_ctx_free(ctx);
            return rc;
        }
    } else if (o->key) {
        throng__tls_ctx_free(ctx);
        return throng__fail(err, THRONG_EINVAL, "a client key needs its certificate (cert)");
    }
    SSL_CTX_set_alpn_protos(c, alpn_http11, sizeof alpn_http11 - 1);
    SSL_CTX_set_app_data(c, ctx);
    ctx->resume = o->resume;
    if (o->resume) {
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(c, on_new_session);
    } else {
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
    }
    *out = ctx;
    return 0;
}

void throng__tls_ctx_free(throng__tls_ctx_t *ctx)
{
    if (!ctx) return;
    SSL_CTX_free(ctx->ssl);
    pthread_mutex_destroy(&ctx->store_lock);
    free(ctx);
}

/* The host as the certificate must name it: an IP address is matched
 * against the IP SANs and never sent as SNI (RFC 6066 forbids it). */
static int set_peer_name(SSL *ssl, const char *host)
{
    unsigned char ip[16];
    int is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
    if (is_ip) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 ? 0 : -1;
    if (SSL_set_tlsext_host_name(ssl, host) != 1) return -1;
    if (SSL_get_verify_mode(ssl) == SSL_VERIFY_NONE) return 0;
    return SSL_set1_host(ssl, host) == 1 ? 0 : -1;
}

/* Loads the system's store into the context, once, for whichever thread
 * opens the run's first https:// connection: parsing a bundle of
 * certificates costs some 40 ms of CPU (SSL_CERT_FILE names one on many
 * machines), which a run that never uses TLS should not spend at start. A
 * store that is not found is no error yet: a minimal machine without
 * ca-certificates runs plain HTTP well; each certificate check then fails,
 * and says why. */
static void load_store_once(throng__tls_ctx_t *ctx)
{
    if (!atomic_load_explicit(&ctx->store_wanted, memory_order_acquire)) return;
    pthread_mutex_lock(&ctx->store_lock);
    if (atomic_load_explicit(&ctx->store_wanted, memory_order_relaxed)) {
        if (load_system_store(ctx->ssl) != 1) {
            ERR_clear_error();
            ctx->no_store = 1;
        }
        atomic_store_explicit(&ctx->store_wanted, 0, memory_order_release);
    }
    pthread_mutex_unlock(&ctx->store_lock);
}

int throng__tls_begin(throng__tls_t *t, throng__tls_ctx_t *ctx, const char *host, const void *of)
{
    throng__tls_end(t);
    load_store_once(ctx);
    ERR_clear_error();
    SSL *ssl = SSL_new(ctx->ssl);
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
    if (!ssl || !in || !out) {
        SSL_free(ssl);
        BIO_free(in);
        BIO_free(out);
        last_reason(t->error, sizeof t->error, "out of memory");
        return -1;
    }
    /* An empty input BIO means "wait for more", not the end. */
    BIO_set_mem_eof_return(in, -1);
    SSL_set_bio(ssl, in, out);
    SSL_set_connect_state(ssl);
    SSL_set_app_data(ssl, ctx->resume ? t : NULL);
    t->ssl = ssl;
    t->in = in;
    t->out = out;
    t->done = t->resumed = t->failed = 0;
    if (set_peer_name(ssl, host) != 0) {
        snprintf(t->error, sizeof t->error, "cannot check the name '%s'", host);
        ERR_clear_error();
        return -1;
    }
    if (t->session && (!ctx->resume || t->session_of != of)) {
        SSL_SESSION_free(t->session);
        t->session = NULL;
    }
    t->session_of = of;
    if (t->session) SSL_set_session(ssl, t->session);
    return 0;
}

int throng__tls_feed(throng__tls_t *t, const char *data, size_t n)
{
    if (!t->in) return -1;
    if (n == 0) return 0;
    if (BIO_write(t->in, data, (int)n) != (int)n) {
        snprintf(t->error, sizeof t->error, "out of memory buffering TLS input");
        return -1;
    }
    return 0;
}

/* Words for a failed call that returned rc. */
static void describe(throng__tls_t *t, int rc)
{
    SSL *ssl = t->ssl;
    int e = SSL_get_error(ssl, rc);
    t->failed = 1;
    unsigned long code = ERR_peek_last_error();
    long verify = SSL_get_verify_result(ssl);
    if (code && ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED && verify != X509_V_OK) {
        const throng__tls_ctx_t *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
        snprintf(t->error, sizeof t->error, "%s: %s%s", ERR_reason_error_string(code),
                 X509_verify_cert_error_string(verify),
                 ctx && ctx->no_store ? " (no system certificate store was found: install "
                                        "ca-certificates, or give --cacert)"
                                      : "");
        ERR_clear_error();
    } else if (code) {
        last_reason(t->error, sizeof t->error, "TLS error");
    } else if (e == SSL_ERROR_ZERO_RETURN) {
        snprintf(t->error, sizeof t->error, "the server closed the TLS stream");
    } else {
        snprintf(t->error, sizeof t->error, "TLS error (%d)", e);
    }
}

int throng__tls_handshake(throng__tls_t *t)
{
    if (!t->ssl || t->failed) return -1;
    if (t->done) return 1;
    ERR_clear_error();
    int rc = SSL_do_handshake(t->ssl);
    if (rc == 1) {
        t->done = 1;
        t->resumed = SSL_session_reused(t->ssl) ? 1 : 0;
        return 1;
    }
    int e = SSL_get_error(t->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    describe(t, rc);
    return -1;
}

int throng__tls_read(throng__tls_t *t, char *buf, size_t cap)
{
    if (!t->ssl || t->failed) return -1;
    ERR_clear_error();
    int rc = SSL_read(t->ssl, buf, cap > 1 << 30 ? 1 << 30 : (int)cap);
    if (rc > 0) return rc;
    int e = SSL_get_error(t->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    if (e == SSL_ERROR_ZERO_RETURN) return THRONG__TLS_CLOSED;
    describe(t, rc);
    return -1;
}

int throng__tls_close_notified(const throng__tls_t *t)
{
    return t->ssl && (SSL_get_shutdown(t->ssl) & SSL_RECEIVED_SHUTDOWN) ? 1 : 0;
}

int throng__tls_write(throng__tls_t *t, const char *data, size_t n)
{
    if (!t->ssl || !t->done || t->failed) return -1;
    ERR_clear_error();
    while (n > 0) {
        int part = n > 1 << 30 ? 1 << 30 : (int)n;
        int rc = SSL_write(t->ssl, data, part);
        if (rc <= 0) {
            describe(t, rc);
            return -1;
        }
        data += rc;
        n -= (size_t)rc;
    }
    return 0;
}

size_t throng__tls_output(throng__tls_t *t, const char **data)
{
    char *p = NULL;
    long n = t->out ? BIO_get_mem_data((BIO *)t->out, &p) : 0;
    *data = p;
    return n > 0 ? (size_t)n : 0;
}

void throng__tls_sent(throng__tls_t *t, size_t n)
{
    const char *p;
    size_t have = throng__tls_output(t, &p);
    if (n >= have) {
        (void)BIO_reset((BIO *)t->out);
        return;
    }
    char sink[4096];
    while (n > 0) {
        int part = n > sizeof sink ? (int)sizeof sink : (int)n;
        if (BIO_read(t->out, sink, part) <= 0) break;
        n -= (size_t)part;
    }
}

void throng__tls_end(throng__tls_t *t)
{
    if (t->ssl) {
        SSL_set_app_data((SSL *)t->ssl, NULL);
        /* Freeing an SSL whose stream was not shut down makes its session
         * unresumable: a connection closed on purpose (its last request
         * done, the server's close) keeps the session good. A failure
         * OpenSSL saw has removed it already. */
        if (t->done) SSL_set_shutdown(t->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_free(t->ssl); /* and both BIOs, which it owns */
    }
    t->ssl = t->in = t->out = NULL;
    t->done = t->failed = 0;
}

void throng__tls_free(throng__tls_t *t)
{
    throng__tls_end(t);
    if (t->session) SSL_SESSION_free(t->session);
    t->session = NULL;
    t->session_of = NULL;
}
