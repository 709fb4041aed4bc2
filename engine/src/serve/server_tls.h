/* server_tls.h - TLS for the demonstration server (`throng serve
 * --tls-cert FILE --tls-key FILE`): OpenSSL 3 over memory BIOs, as the
 * client does it (client/tls.c), so that the server's loop stays the only
 * thing that waits. A connection feeds it what the socket read, reads the
 * plaintext back, encrypts its answers and writes what comes out. */
#ifndef THRONG_SERVER_TLS_H
#define THRONG_SERVER_TLS_H

#include <stddef.h>

/* The server's context (an SSL_CTX), shared read-only by its threads:
 * 0, or THRONG_EINVAL with why in err (a file that cannot be read, a key
 * that does not match the certificate). */
int throng__server_tls_ctx_new(const char *cert, const char *key, void **ctx, char *err);
void throng__server_tls_ctx_free(void *ctx);

/* One connection's TLS; zeroed is idle. */
typedef struct throng__server_tls {
    void *ssl;      /* SSL * */
    void *in, *out; /* BIO *: what the socket read; what it must write */
    int done;       /* the handshake completed */
} throng__server_tls_t;

#define THRONG__SERVER_TLS_CLOSED (-2) /* the client closed the TLS stream */
#define THRONG__SERVER_TLS_PLAIN (-3)  /* the client spoke plain HTTP to the TLS port */

int throng__server_tls_begin(throng__server_tls_t *t, void *ctx);

/* Gives it bytes read from the socket; 0, or -1. */
int throng__server_tls_feed(throng__server_tls_t *t, const char *data, size_t n);

/* 1 done, 0 waiting for the client, -1 failed, THRONG__SERVER_TLS_PLAIN. */
int throng__server_tls_handshake(throng__server_tls_t *t);

/* >0 plaintext bytes in buf, 0 none for now, THRONG__SERVER_TLS_CLOSED, -1. */
int throng__server_tls_read(throng__server_tls_t *t, char *buf, size_t cap);

/* Encrypts n bytes; 0, or -1. */
int throng__server_tls_write(throng__server_tls_t *t, const char *data, size_t n);

/* Queues a close_notify alert. */
void throng__server_tls_close_notify(throng__server_tls_t *t);

/* The ciphertext waiting for the socket (valid until the next call), and
 * saying it was all taken (written or copied). */
size_t throng__server_tls_output(throng__server_tls_t *t, const char **data);
void throng__server_tls_taken(throng__server_tls_t *t);

void throng__server_tls_end(throng__server_tls_t *t);

#endif
