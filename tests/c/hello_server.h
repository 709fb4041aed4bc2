/* hello_server.h - a keep-alive server for the conn tests: each peer is
 * answered "hello" (200, 5 bytes) for every request it sends (a request
 * ends with a blank line), and its connection kept open; hello_accepted
 * counts the peers. on_peer is the listener's callback; close_walk, for
 * uv_walk at a test's end, closes every handle left, freeing the peers.
 * Everything here is static, so each test binary has its own. */
#ifndef THRONG_TEST_HELLO_SERVER_H
#define THRONG_TEST_HELLO_SERVER_H

#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct peer {
    uv_tcp_t tcp;
    uv_write_t wr;
    char seen[4096];
    size_t len;
} peer_t;

static const char hello[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
/* What peer_read answers: hello, or what a test sets instead. */
static const char *hello_reply = hello;
static int hello_accepted;

static void peer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void peer_alloc(uv_handle_t *h, size_t n, uv_buf_t *buf)
{
    (void)n;
    peer_t *p = h->data;
    *buf = uv_buf_init(p->seen + p->len, (unsigned)(sizeof p->seen - p->len - 1));
}

/* Answers every request, keeping the connection open. */
static void peer_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    peer_t *p = s->data;
    if (n < 0) {
        if (!uv_is_closing((uv_handle_t *)s)) uv_close((uv_handle_t *)s, peer_closed);
        return;
    }
    p->len += (size_t)n;
    p->seen[p->len] = '\0';
    char *end = strstr(p->seen, "\r\n\r\n");
    if (!end) return;
    size_t used = (size_t)(end + 4 - p->seen);
    memmove(p->seen, p->seen + used, p->len - used + 1);
    p->len -= used;
    uv_buf_t b = uv_buf_init((char *)hello_reply, (unsigned)strlen(hello_reply));
    uv_write(&p->wr, s, &b, 1, NULL);
}

static void on_peer(uv_stream_t *l, int status)
{
    (void)status;
    peer_t *p = calloc(1, sizeof *p);
    uv_tcp_init(l->loop, &p->tcp);
    p->tcp.data = p;
    hello_accepted++;
    if (uv_accept(l, (uv_stream_t *)&p->tcp) == 0)
        uv_read_start((uv_stream_t *)&p->tcp, peer_alloc, peer_read);
    else
        uv_close((uv_handle_t *)&p->tcp, peer_closed);
}

/* Closes h unless closing; a TCP handle with data is a peer, freed. */
static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, h->type == UV_TCP && h->data ? peer_closed : NULL);
}

#endif
