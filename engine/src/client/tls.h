/* tls.h - the client side of TLS: OpenSSL 3 over two memory BIOs, so that
 * no call ever touches a socket or blocks. The connection (conn.c) feeds
 * it the bytes the socket read, takes the bytes it must write, and reads
 * plaintext back; the uv loop stays the only thing that waits.
 *
 * A context (one per group, shared read-only by its worker threads and
 * processes) holds the verification settings: the system's store by
 * default, a CA file, or none (insecure); a client certificate; whether
 * sessions are resumed. A session (one per connection, reused across the
 * connection's reconnects) holds one SSL object at a time and the last
 * session ticket the server gave, offered on the next handshake.
 *
 * Errors carry OpenSSL's reason, with the certificate check's when that
 * is what failed: "certificate verify failed: self-signed certificate". */
#ifndef THRONG_TLS_H
#define THRONG_TLS_H

#include <stddef.h>

typedef struct throng__tls_ctx throng__tls_ctx_t;

/* What a context is made of; strings are read during throng__tls_ctx_new
 * only. */
typedef struct throng__tls_options {
    int insecure;       /* verify nothing (certificate, chain, host name) */
    const char *cacert; /* PEM file of trusted CAs, instead of the system's store */
    const char *cert;   /* PEM client certificate (chain), sent when a server asks */
    const char *key;    /* its private key (PEM); NULL: in the cert file */
    int resume;         /* offer the last session on reconnects */
} throng__tls_options_t;

/* Makes a context; 0, or THRONG_EINVAL with why (a file that cannot be
 * read, a key that does not match its certificate) in err
 * (THRONG__ERRMSG_LEN bytes). */
int throng__tls_ctx_new(const throng__tls_options_t *o, throng__tls_ctx_t **out, char *err);
void throng__tls_ctx_free(throng__tls_ctx_t *ctx);

/* One connection's TLS: zeroed is a valid idle state. */
typedef struct throng__tls {
    void *ssl;              /* SSL *, while a connection is open */
    void *in, *out;         /* BIO *: ciphertext read from / to write to the socket */
    void *session;          /* SSL_SESSION *: the last one the server gave, to resume */
    const void *session_of; /* the address the kept session is for */
    int done;               /* the handshake completed */
    int resumed;            /* ... by resuming the kept session */
    int failed;             /* a call failed: the connection is done with (error says why) */
    char error[200];        /* why the last call failed */
} throng__tls_t;

/* Returned by throng__tls_read when the server closed the TLS stream. */
#define THRONG__TLS_CLOSED (-2)

/* Begins a connection to host (as the user wrote it: a name is sent as
 * SNI and checked against the certificate; an IP address is checked
 * against its IP SAN and sends no SNI), offering ALPN http/1.1 and the
 * kept session when it is for the same address (`of`). 0, or -1 with
 * t->error. */
int throng__tls_begin(throng__tls_t *t, throng__tls_ctx_t *ctx, const char *host, const void *of);

/* Gives the TLS engine n bytes read from the socket. 0, or -1. */
int throng__tls_feed(throng__tls_t *t, const char *data, size_t n);

/* Takes the handshake as far as the input allows: 1 done, 0 waiting for
 * the server, -1 failed (t->error). Output may be waiting afterwards in
 * every case (an alert on failure). */
int throng__tls_handshake(throng__tls_t *t);

/* Plaintext received: >0 bytes copied into buf, 0 none for now,
 * THRONG__TLS_CLOSED when the server closed the stream, -1 on error. */
int throng__tls_read(throng__tls_t *t, char *buf, size_t cap);

/* 1 when the server ended the TLS stream with close_notify: a body that
 * runs to the connection's end is whole only then (an attacker, or a
 * crash, can cut the TCP connection anywhere). */
int throng__tls_close_notified(const throng__tls_t *t);

/* Encrypts n bytes of plaintext for the server. 0, or -1. */
int throng__tls_write(throng__tls_t *t, const char *data, size_t n);

/* The ciphertext waiting to be written to the socket: its length, and its
 * bytes in *data (valid until the next call on t). throng__tls_sent says
 * n of them left (copied or written). */
size_t throng__tls_output(throng__tls_t *t, const char **data);
void throng__tls_sent(throng__tls_t *t, size_t n);

/* Ends the connection's SSL object (the kept session stays). */
void throng__tls_end(throng__tls_t *t);

/* Frees everything, the kept session too. */
void throng__tls_free(throng__tls_t *t);

#endif
