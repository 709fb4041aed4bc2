/* test_tls.c - the client's TLS over memory BIOs (client/tls.c), shaking
 * hands with an OpenSSL server in the same process, bytes carried by hand:
 * whole flights and byte by byte; verification against a CA file, and its
 * failures in OpenSSL's words (self-signed, wrong name, wrong IP); the
 * request and the answer through it; a session resumed on the next
 * connection, and not when resumption is off or the address differs;
 * close_notify told from a bare end; garbage from the server; contexts
 * refused with a reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "client/tls.h"
#include "util/error.h"

static char dir[] = "/tmp/throng-test-tls.XXXXXX";
static char cert_path[64], key_path[64];

/* A self-signed P-256 certificate naming DNS:localhost and IP:127.0.0.1,
 * written to cert_path and key_path; the server's context uses it. */
static SSL_CTX *make_server(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"throng-test", -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *san =
        X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    X509_add_ext(x, san, -1);
    X509_EXTENSION_free(san);
    X509_sign(x, key, EVP_sha256());

    FILE *f = fopen(cert_path, "w");
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(key_path, "w");
    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    fclose(f);

    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx, x);
    SSL_CTX_use_PrivateKey(ctx, key);
    X509_free(x);
    EVP_PKEY_free(key);
    return ctx;
}

/* The server end of one connection: an SSL over a BIO pair of its own. */
typedef struct server {
    SSL *ssl;
    BIO *in, *out;
} server_t;

static void server_open(server_t *s, SSL_CTX *ctx)
{
    s->ssl = SSL_new(ctx);
    s->in = BIO_new(BIO_s_mem());
    s->out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(s->in, -1);
    SSL_set_bio(s->ssl, s->in, s->out);
    SSL_set_accept_state(s->ssl);
}

static void server_close(server_t *s)
{
    SSL_free(s->ssl);
}

/* Moves what the client wrote to the server, step size bytes at a time
 * (0: all at once), and the server's answer back. */
static void carry(throng__tls_t *t, server_t *s, size_t step)
{
    const char *data;
    size_t n = throng__tls_output(t, &data);
    BIO_write(s->in, data, (int)n);
    throng__tls_sent(t, n);
    if (!SSL_is_init_finished(s->ssl)) SSL_do_handshake(s->ssl);
    ERR_clear_error();
    char buf[16384];
    int got;
    while ((got = BIO_read(s->out, buf, sizeof buf)) > 0)
        for (int at = 0; at < got;) {
            int part = step && (size_t)(got - at) > step ? (int)step : got - at;
            CHECK_INT(throng__tls_feed(t, buf + at, (size_t)part), 0);
            at += part;
            if (step && !t->done) throng__tls_handshake(t);
        }
}

/* Runs a handshake to its end: 1 done, -1 failed. */
static int shake(throng__tls_t *t, server_t *s, size_t step)
{
    for (int round = 0; round < 10; round++) {
        int rc = throng__tls_handshake(t);
        if (rc != 0) {
            carry(t, s, 0); /* a last flight (Finished) or alert */
            return rc;
        }
        carry(t, s, step);
    }
    return 0;
}

static throng__tls_ctx_t *client_ctx(int insecure, const char *cacert, int resume)
{
    char err[THRONG__ERRMSG_LEN] = "";
    throng__tls_options_t o = {.insecure = insecure, .cacert = cacert, .resume = resume};
    throng__tls_ctx_t *ctx = NULL;
    int rc = throng__tls_ctx_new(&o, &ctx, err);
    if (rc != 0) fprintf(stderr, "context: %s\n", err);
    CHECK_INT(rc, 0);
    return ctx;
}

/* A request goes through, its answer comes back, and (TLS 1.3) the
 * session tickets the server sent after the handshake are read on the
 * way. */
static void exchange(throng__tls_t *t, server_t *s)
{
    static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    static const char res[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    CHECK_INT(throng__tls_write(t, req, sizeof req - 1), 0);
    carry(t, s, 0);
    char buf[256];
    int n = SSL_read(s->ssl, buf, sizeof buf);
    CHECK_INT(n, sizeof req - 1);
    CHECK_INT(SSL_write(s->ssl, res, sizeof res - 1), sizeof res - 1);
    carry(t, s, 0);
    n = throng__tls_read(t, buf, sizeof buf);
    CHECK_INT(n, sizeof res - 1);
    CHECK(n > 0 && memcmp(buf, res, (size_t)n) == 0);
    CHECK_INT(throng__tls_read(t, buf, sizeof buf), 0); /* nothing more for now */
}

static void test_verify(SSL_CTX *sctx)
{
    static const struct {
        const char *host, *cacert, *error; /* error NULL: the handshake succeeds */
        int insecure;
    } cases[] = {
        {"localhost", NULL, "certificate verify failed: self-signed certificate", 0},
        {"127.0.0.1", NULL, "certificate verify failed: self-signed certificate", 0},
        {"localhost", cert_path, NULL, 0},
        {"127.0.0.1", cert_path, NULL, 0},
        {"throng.example", cert_path, "certificate verify failed: hostname mismatch", 0},
        {"127.0.0.2", cert_path, "certificate verify failed: IP address mismatch", 0},
        {"throng.example", NULL, NULL, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        throng__tls_ctx_t *ctx = client_ctx(cases[i].insecure, cases[i].cacert, 1);
        for (size_t step = 0; step <= 1; step++) {
            throng__tls_t t = {0};
            server_t s;
            server_open(&s, sctx);
            CHECK_INT(throng__tls_begin(&t, ctx, cases[i].host, &t), 0);
            int rc = shake(&t, &s, step);
            if (cases[i].error) {
                CHECK_INT(rc, -1);
                /* On a machine with no certificate store (a minbase root
                 * without ca-certificates) the reason says so after it. */
                size_t want = strlen(cases[i].error);
                if (strncmp(t.error, cases[i].error, want) != 0 ||
                    (t.error[want] && !strstr(t.error + want, "no system certificate store")))
                    fprintf(stderr, "case %zu (%s): '%s'\n", i, cases[i].host, t.error);
                CHECK(strncmp(t.error, cases[i].error, want) == 0);
                CHECK(!t.error[want] || strstr(t.error + want, "no system certificate store"));
            } else {
                CHECK_INT(rc, 1);
                CHECK_INT(t.resumed, 0);
                exchange(&t, &s);
            }
            server_close(&s);
            throng__tls_free(&t);
        }
        throng__tls_ctx_free(ctx);
    }
}

/* One connection after another on the same throng__tls_t; 1 when the
 * last handshake resumed. */
static int connect_again(throng__tls_t *t, throng__tls_ctx_t *ctx, SSL_CTX *sctx, const void *of)
{
    server_t s;
    server_open(&s, sctx);
    CHECK_INT(throng__tls_begin(t, ctx, "localhost", of), 0);
    CHECK_INT(shake(t, &s, 0), 1);
    exchange(t, &s);
    int resumed = t->resumed;
    throng__tls_end(t);
    server_close(&s);
    return resumed;
}

static void test_resume(SSL_CTX *sctx)
{
    int a, b;
    throng__tls_ctx_t *ctx = client_ctx(0, cert_path, 1);
    throng__tls_t t = {0};
    CHECK_INT(connect_again(&t, ctx, sctx, &a), 0);
    CHECK(t.session != NULL);
    CHECK_INT(connect_again(&t, ctx, sctx, &a), 1);
    CHECK_INT(connect_again(&t, ctx, sctx, &a), 1);
    CHECK_INT(connect_again(&t, ctx, sctx, &b), 0); /* another address: a full handshake */
    throng__tls_free(&t);
    throng__tls_ctx_free(ctx);

    ctx = client_ctx(0, cert_path, 0);
    CHECK_INT(connect_again(&t, ctx, sctx, &a), 0);
    CHECK(t.session == NULL);
    CHECK_INT(connect_again(&t, ctx, sctx, &a), 0);
    throng__tls_free(&t);
    throng__tls_ctx_free(ctx);
}

/* A body that runs to the connection's end is whole only when the server
 * said so with close_notify: before it, the stream has not ended; after
 * it, reads say closed. */
static void test_close_notify(SSL_CTX *sctx)
{
    throng__tls_ctx_t *ctx = client_ctx(0, cert_path, 0);
    throng__tls_t t = {0};
    server_t s;
    server_open(&s, sctx);
    CHECK_INT(throng__tls_close_notified(&t), 0); /* never begun */
    CHECK_INT(throng__tls_begin(&t, ctx, "localhost", &t), 0);
    CHECK_INT(shake(&t, &s, 0), 1);
    exchange(&t, &s);
    CHECK_INT(throng__tls_close_notified(&t), 0); /* a TCP close now would cut the body */
    SSL_shutdown(s.ssl);
    carry(&t, &s, 0);
    char buf[64];
    CHECK_INT(throng__tls_read(&t, buf, sizeof buf), THRONG__TLS_CLOSED);
    CHECK_INT(throng__tls_close_notified(&t), 1);
    server_close(&s);
    throng__tls_free(&t);
    throng__tls_ctx_free(ctx);
}

/* Whatever a server sends, the client fails with words, never crashes. */
static void test_garbage(void)
{
#define REPLY(s)                                                                                   \
    {                                                                                              \
        s, sizeof s - 1                                                                            \
    }
    static const struct {
        const char *data;
        size_t len;
    } replies[] = {
        REPLY("HTTP/1.1 400 Bad Request\r\n\r\n"),
        REPLY("\x16\x03\x03\xff\xff"),                 /* a record longer than TLS allows */
        REPLY("\x15\x03\x03\x00\x02\x02\x28"),         /* a fatal handshake_failure alert */
        REPLY("\x16\x03\x03\x00\x04\x02\x00\x00\x00"), /* an empty ServerHello */
    };
    throng__tls_ctx_t *ctx = client_ctx(1, NULL, 1);
    for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
        throng__tls_t t = {0};
        CHECK_INT(throng__tls_begin(&t, ctx, "localhost", &t), 0);
        CHECK_INT(throng__tls_handshake(&t), 0);
        const char *hello;
        CHECK(throng__tls_output(&t, &hello) > 0);
        throng__tls_sent(&t, 1 << 20);
        CHECK_INT(throng__tls_feed(&t, replies[i].data, replies[i].len), 0);
        if (i == 1) { /* the rest of an overlong record, in pieces */
            char junk[4096];
            memset(junk, 0x41, sizeof junk);
            for (int k = 0; k < 20; k++)
                throng__tls_feed(&t, junk, sizeof junk);
        }
        int rc = throng__tls_handshake(&t);
        if (rc != -1) fprintf(stderr, "garbage reply %zu: handshake %d\n", i, rc);
        CHECK_INT(rc, -1);
        CHECK(t.error[0] != '\0');
        char buf[64];
        CHECK(throng__tls_read(&t, buf, sizeof buf) < 0); /* still no plaintext, no crash */
        throng__tls_free(&t);
    }
    /* Calls on a connection never begun fail quietly. */
    throng__tls_t idle = {0};
    char buf[8];
    CHECK_INT(throng__tls_feed(&idle, "x", 1), -1);
    CHECK_INT(throng__tls_handshake(&idle), -1);
    CHECK_INT(throng__tls_read(&idle, buf, sizeof buf), -1);
    CHECK_INT(throng__tls_write(&idle, "x", 1), -1);
    const char *out;
    CHECK_INT(throng__tls_output(&idle, &out), 0);
    throng__tls_free(&idle);
    throng__tls_ctx_free(ctx);
}

static void test_ctx_refused(void)
{
    char err[THRONG__ERRMSG_LEN];
    throng__tls_ctx_t *ctx = NULL;
    char want[THRONG__ERRMSG_LEN];
    throng__tls_options_t o = {.cacert = "/nonexistent/ca.pem"};
    CHECK_INT(throng__tls_ctx_new(&o, &ctx, err), THRONG_EINVAL);
    CHECK_STR(err, "cannot read CA file '/nonexistent/ca.pem': No such file or directory");
    CHECK(ctx == NULL);
    /* A file that is no PEM: the cause, not "PEM lib". */
    o = (throng__tls_options_t){.cacert = key_path};
    CHECK_INT(throng__tls_ctx_new(&o, &ctx, err), THRONG_EINVAL);
    snprintf(want, sizeof want, "'%s' holds no PEM certificate: no certificate or crl found",
             key_path);
    CHECK_STR(err, want);
    o = (throng__tls_options_t){.cert = key_path, .key = key_path};
    CHECK_INT(throng__tls_ctx_new(&o, &ctx, err), THRONG_EINVAL);
    snprintf(want, sizeof want, "'%s' holds no PEM certificate: no start line", key_path);
    CHECK_STR(err, want);
    o = (throng__tls_options_t){.cert = cert_path, .key = "/nonexistent/key.pem"};
    CHECK_INT(throng__tls_ctx_new(&o, &ctx, err), THRONG_EINVAL);
    CHECK_STR(err, "cannot read client key '/nonexistent/key.pem': No such file or directory");
    o = (throng__tls_options_t){.key = key_path};
    CHECK_INT(throng__tls_ctx_new(&o, &ctx, err), THRONG_EINVAL);
    CHECK(strstr(err, "certificate") != NULL);
    /* A certificate whose file holds no key, and none given. */
    o = (throng__tls_options_t){.cert = cert_path};
    CHECK_INT(throng__tls_ctx_new(&o, &ctx, err), THRONG_EINVAL);
    snprintf(want, sizeof want, "--cert needs --key: '%s' holds no private key", cert_path);
    CHECK_STR(err, want);
    /* A key file that holds no key. */
    o = (throng__tls_options_t){.cert = cert_path, .key = cert_path};
    CHECK_INT(throng__tls_ctx_new(&o, &ctx, err), THRONG_EINVAL);
    snprintf(want, sizeof want, "'%s' holds no PEM private key", cert_path);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    CHECK(strstr(err, " lib") == NULL);
    /* Its own key works. */
    o = (throng__tls_options_t){.cert = cert_path, .key = key_path, .insecure = 1};
    CHECK_INT(throng__tls_ctx_new(&o, &ctx, err), 0);
    throng__tls_ctx_free(ctx);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
    snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
    SSL_CTX *sctx = make_server();
    test_verify(sctx);
    test_resume(sctx);
    test_close_notify(sctx);
    test_garbage();
    test_ctx_refused();
    SSL_CTX_free(sctx);
    unlink(cert_path);
    unlink(key_path);
    rmdir(dir);
    return check_result("test_tls");
}
