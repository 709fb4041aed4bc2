/* test_conn.c - one connection against a tiny server made here, on
 * 127.0.0.1:0 and the same uv loop: an answer, a refused port, a reset in
 * the middle of a response, a server that stalls past the timeout, one
 * that answers garbage, one that closes without a word, and a connect that
 * fails at once. Each exchange gets exactly one callback, with the fault
 * the user would see, and the conn counts bytes and connections only into
 * the exchange it carries. A body asked for only as a shape, or not at
 * all, is never buffered; what is buffered counts against the thread's
 * budget, shared by its connections. Every handle is closed and the loop closes
 * cleanly at the end. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "check.h"
#include "client/conn.h"
#include "client/exchange.h"
#include "client/host.h"
#include "conn_host.h"

typedef enum {
    ANSWER,
    RESET,
    STALL,
    GARBAGE,
    HANG_UP,
    TWICE,
    TOGETHER,
    LONG_BODY,
    BIG_TABLE,
    PIPE_ALL,     /* a pipeline of 3: the 3 responses in one write */
    PIPE_TWO,     /* a pipeline of 3: 2 responses, then the connection closed */
    PIPE_GARBAGE, /* a pipeline of 3: 1 response, then bytes that are not HTTP */
    PIPE_STALL    /* a pipeline of 3: 1 response, then nothing */
} mode_t_;

/* ---------------------------------------------------------- the server */

typedef struct peer peer_t;

typedef struct server {
    uv_tcp_t listener;
    mode_t_ mode;
    int port;
    uv_timer_t later; /* TWICE: the second response, 50 ms after the first */
    peer_t *peer;
    int reads;    /* pipelines: the reads the requests took */
    int requests; /* pipelines: the requests seen */
} server_t;

struct peer {
    uv_tcp_t tcp;
    uv_write_t wr, wr2;
    server_t *srv;
    char seen[4096];
    size_t len;
    int answered;
};

static void peer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void peer_alloc(uv_handle_t *h, size_t n, uv_buf_t *buf)
{
    peer_t *p = h->data;
    *buf = uv_buf_init(p->seen + p->len, (unsigned)(sizeof p->seen - p->len - 1));
}

static void after_reset_write(uv_write_t *req, int status)
{
    peer_t *p = req->data;
    uv_tcp_close_reset(&p->tcp, peer_closed); /* RST in the middle of the body */
}

static void after_write(uv_write_t *req, int status)
{
    (void)req;
}

static void reply(peer_t *p, const char *text, uv_write_cb cb)
{
    uv_buf_t b = uv_buf_init((char *)text, (unsigned)strlen(text));
    p->wr.data = p;
    uv_write(&p->wr, (uv_stream_t *)&p->tcp, &b, 1, cb);
}

static const char hello[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

/* The same response once more, with nobody asking. */
static void answer_again(uv_timer_t *t)
{
    server_t *srv = t->data;
    uv_buf_t b = uv_buf_init((char *)hello, (unsigned)strlen(hello));
    uv_write(&srv->peer->wr2, (uv_stream_t *)&srv->peer->tcp, &b, 1, after_write);
}

static void peer_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    peer_t *p = s->data;
    if (n < 0) {
        if (!uv_is_closing((uv_handle_t *)s)) uv_close((uv_handle_t *)s, peer_closed);
        return;
    }
    p->len += (size_t)n;
    p->seen[p->len] = '\0';
    if (p->srv->mode >= PIPE_ALL) { /* answers once 3 requests are in */
        server_t *srv = p->srv;
        srv->reads++;
        srv->requests = 0;
        for (const char *at = p->seen; (at = strstr(at, "\r\n\r\n")); at += 4)
            srv->requests++;
        if (p->answered || srv->requests < 3) return;
        p->answered = 1;
        static const char three[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
                                    "HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\ntwo"
                                    "HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nthree";
        static const char first[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none";
        static const char garbage[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
                                      "this is not HTTP\r\n\r\n";
        if (srv->mode == PIPE_ALL) {
            reply(p, three, after_write);
        } else if (srv->mode == PIPE_TWO) {
            static char two[sizeof three];
            snprintf(two, sizeof two, "%.*s", (int)(strstr(three, "HTTP/1.1 202") - three), three);
            reply(p, two, after_write);
            uv_close((uv_handle_t *)s, peer_closed); /* after the write, which libuv finishes */
        } else {
            reply(p, srv->mode == PIPE_GARBAGE ? garbage : first, after_write);
        }
        return;
    }
    if (p->answered || !strstr(p->seen, "\r\n\r\n")) return;
    p->answered = 1;
    switch (p->srv->mode) {
    case ANSWER:
        reply(p, hello, after_write);
        break;
    case LONG_BODY: { /* 200000 bytes of body, and the connection left open */
        static char big[200100];
        int head = snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n");
        memset(big + head, 'x', 200000);
        big[head + 200000] = '\0';
        reply(p, big, after_write);
        break;
    }
    case BIG_TABLE: { /* 30000 rows of 3 numbers, chunked: about 520 kB */
        static char table[700000];
        int at =
            snprintf(table, sizeof table, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int r = 0; r < 30000; r++) {
            const char *row = r == 0       ? "[[1.5,-2,3e-7]"
                              : r == 29999 ? ",[4,5,6.25]]"
                                           : ",[4,5,6.25]";
            at +=
                snprintf(table + at, sizeof table - (size_t)at, "%zx\r\n%s\r\n", strlen(row), row);
        }
        snprintf(table + at, sizeof table - (size_t)at, "0\r\n\r\n");
        reply(p, table, after_write);
        break;
    }
    case TOGETHER: /* two responses in one write */
        reply(p,
              "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
              "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
              after_write);
        break;
    case TWICE:
        reply(p, hello, after_write);
        p->srv->peer = p;
        uv_timer_start(&p->srv->later, answer_again, 50, 0);
        break;
    case RESET:
        reply(p, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a part", after_reset_write);
        break;
    case STALL:
        break;
    case GARBAGE:
        reply(p, "this is not HTTP at all\r\n\r\n", after_write);
        break;
    case HANG_UP:
        uv_close((uv_handle_t *)s, peer_closed);
        break;
    default:
        break;
    }
}

static void on_peer(uv_stream_t *l, int status)
{
    server_t *srv = l->data;
    peer_t *p = calloc(1, sizeof *p);
    p->srv = srv;
    uv_tcp_init(l->loop, &p->tcp);
    p->tcp.data = p;
    if (uv_accept(l, (uv_stream_t *)&p->tcp) == 0)
        uv_read_start((uv_stream_t *)&p->tcp, peer_alloc, peer_read);
    else
        uv_close((uv_handle_t *)&p->tcp, peer_closed);
}

static void server_start(server_t *srv, mode_t_ mode)
{
    srv->mode = mode;
    srv->peer = NULL;
    uv_timer_init(&loop, &srv->later);
    srv->later.data = srv;
    srv->port = conn_host_listen(&srv->listener, 16, on_peer);
    srv->listener.data = srv; /* before the loop runs: no peer yet */
}

static void close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h)) uv_close(h, h->type == UV_TCP ? peer_closed : NULL); /* a peer left */
}

/* ------------------------------------------------------ the conn's side */

static throng__body_use_t body_use; /* what the exchanges ask of their bodies */

typedef struct outcome {
    int calls;
    int kind;
    char msg[256];
    char body[64];
    int status;
    int buffered; /* the conn still held a response buffer at a fault */
    int shaped;   /* throng__conn_shape's answer */
    throng__shape_t shape;
    size_t held;    /* bytes the response buffer held at the end */
    size_t charged; /* the thread's budget then */
    uint64_t body_bytes;
    int keep; /* the owner keeps the response: no release */
} outcome_t;

/* The owner's side: the exchange ends here, as a client ends it. */
static void on_done(throng__conn_t *conn, throng__exchange_t *x, int kind, const char *msg)
{
    outcome_t *o = conn->owner;
    o->calls++;
    o->kind = kind;
    snprintf(o->msg, sizeof o->msg, "%s", msg ? msg : "");
    /* A faulted exchange's state is back in the pool: no response. */
    const throng__http_response_t *res = conn->ex ? throng__conn_res(conn) : NULL;
    o->held = res && res->buf ? res->buf->len : 0;
    o->charged = host.budget.used;
    o->body_bytes = res ? res->body_bytes : 0;
    if (kind == THRONG__CONN_OK) {
        o->shaped = throng__conn_shape(conn, &o->shape);
        size_t len;
        const char *body = throng__http_response_body(res, &len);
        snprintf(o->body, sizeof o->body, "%.*s", (int)len, body);
        o->status = res->status;
        throng__exchange_answered(x, res->status, conn->ex->latency, conn->ex->ttfb);
        if (!o->keep) throng__conn_done(conn);
    } else {
        o->buffered = res && res->buf != NULL;
        throng__exchange_faulted(x, (throng_fault_t)kind, msg);
    }
}

static void on_deadline(uv_timer_t *t)
{
    (void)t;
}

/* Runs the loop until the callback came, then 150 ms more so that a second
 * callback would show; 5 s at most. */
static void run_until_done(outcome_t *o)
{
    uv_timer_t deadline;
    uv_timer_init(&loop, &deadline);
    uv_timer_start(&deadline, on_deadline, 5000, 0);
    while (o->calls == 0 && uv_timer_get_due_in(&deadline) > 0)
        uv_run(&loop, UV_RUN_ONCE);
    uv_timer_start(&deadline, on_deadline, 150, 0);
    while (uv_is_active((uv_handle_t *)&deadline))
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&deadline, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
}

/* One exchange of "GET /" on a fresh conn to address. */
static void exchange_with(const throng__address_t *address, double timeout, outcome_t *o)
{
    throng__conn_t conn;
    throng__exchange_t x = {0};
    memset(o, 0, sizeof *o);
    throng__conn_init(&conn, &host, address, on_done, o, 1);
    const char req[] = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
    throng__buf_append(throng__conn_out(&conn), req, sizeof req - 1);
    CHECK_INT(throng__exchange_begin(&x, &host.ledger, "GET /", 5), 0);
    throng__conn_send(&conn, &x, timeout, 0, body_use, "GET /", 5);
    run_until_done(o);
    CHECK_INT(o->calls, 1);
    CHECK(!throng__exchange_open(&x));
    CHECK(throng__conn_stop(&conn) == NULL); /* nothing left under way */
    uv_run(&loop, UV_RUN_NOWAIT);
    throng__conn_free(&conn);
    CHECK(throng__stats_balanced(&stats));
}

static void with_server(mode_t_ mode, double timeout, outcome_t *o)
{
    server_t srv;
    server_start(&srv, mode);
    throng__address_t a = local(srv.port);
    exchange_with(&a, timeout, o);
    uv_close((uv_handle_t *)&srv.listener, NULL);
    uv_close((uv_handle_t *)&srv.later, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
}

static void test_answered(void)
{
    outcome_t o;
    uint64_t connects = stats.n.connects, requests = stats.n.requests;
    with_server(ANSWER, 2, &o);
    CHECK_INT(o.kind, THRONG__CONN_OK);
    CHECK_INT(o.status, 200);
    CHECK_STR(o.body, "hello");
    CHECK_INT(stats.n.requests, requests + 1);
    CHECK_INT(stats.n.connects, connects + 1);
    CHECK(stats.n.bytes_sent >= 30 && stats.n.bytes_received >= 40);
}

static void test_refused(void)
{
    /* A port bound, then closed: nobody listens there. */
    uv_tcp_t t;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    uv_tcp_init(&loop, &t);
    uv_tcp_bind(&t, (struct sockaddr *)&sa, 0);
    int len = sizeof sa;
    uv_tcp_getsockname(&t, (struct sockaddr *)&sa, &len);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    throng__address_t a = local(ntohs(sa.sin_port));
    outcome_t o;
    exchange_with(&a, 2, &o);
    CHECK_INT(o.kind, THRONG_FAULT_NOT_CONNECTED);
    CHECK(strstr(o.msg, "connection refused") != NULL);
}

static void test_reset(void)
{
    outcome_t o;
    with_server(RESET, 2, &o);
    CHECK_INT(o.kind, THRONG_FAULT_ABANDONED);
}

static void test_stalled(void)
{
    outcome_t o;
    uint64_t before = uv_hrtime();
    with_server(STALL, 0.2, &o);
    CHECK_INT(o.kind, THRONG_FAULT_TIMED_OUT);
    CHECK_STR(o.msg, "no complete response within 0.2s");
    CHECK(uv_hrtime() - before >= 190000000ull);
}

/* Two requests on one keep-alive connection to a server that answers the
 * first only: the second is sent while the first's timer still runs (a
 * response's timer is left running, start_timer_from), and times out at
 * its own deadline, be it after that timer's (first_timeout short) or
 * before it (first_timeout long). Returns the seconds the second waited. */
static double second_times_out(double first_timeout, double timeout, outcome_t *o)
{
    server_t srv;
    server_start(&srv, ANSWER);
    throng__address_t a = local(srv.port);
    throng__conn_t conn;
    throng__exchange_t x1 = {0}, x2 = {0};
    memset(o, 0, sizeof *o);
    throng__conn_init(&conn, &host, &a, on_done, o, 1);
    const char req[] = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
    throng__buf_append(throng__conn_out(&conn), req, sizeof req - 1);
    CHECK_INT(throng__exchange_begin(&x1, &host.ledger, "GET /", 5), 0);
    throng__conn_send(&conn, &x1, first_timeout, 0, body_use, "GET /", 5);
    run_until_done(o); /* the answer, then 150 ms */
    CHECK_INT(o->kind, THRONG__CONN_OK);
    o->calls = 0;
    throng__buf_append(throng__conn_out(&conn), req, sizeof req - 1);
    CHECK_INT(throng__exchange_begin(&x2, &host.ledger, "GET /", 5), 0);
    uint64_t sent = uv_hrtime();
    throng__conn_send(&conn, &x2, timeout, 0, body_use, "GET /", 5);
    while (o->calls == 0 && uv_hrtime() - sent < 5000000000ull)
        uv_run(&loop, UV_RUN_ONCE);
    double waited = (double)(uv_hrtime() - sent) * 1e-9;
    CHECK_INT(o->calls, 1);
    CHECK(throng__conn_stop(&conn) == NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    throng__conn_free(&conn);
    uv_close((uv_handle_t *)&srv.listener, NULL);
    uv_close((uv_handle_t *)&srv.later, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(throng__stats_balanced(&stats));
    return waited;
}

static void test_deadline_per_request(void)
{
    outcome_t o;
    /* The first's timer is due some 0.15 s after the second is sent. */
    double waited = second_times_out(0.3, 0.5, &o);
    CHECK_INT(o.kind, THRONG_FAULT_TIMED_OUT);
    CHECK_STR(o.msg, "no complete response within 0.5s");
    CHECK(waited >= 0.49);
    /* The first's timer is due 2.8 s after the second is sent. */
    waited = second_times_out(3, 0.1, &o);
    CHECK_INT(o.kind, THRONG_FAULT_TIMED_OUT);
    CHECK_STR(o.msg, "no complete response within 0.1s");
    CHECK(waited >= 0.09 && waited < 2);
}

static void test_garbage(void)
{
    outcome_t o;
    with_server(GARBAGE, 2, &o);
    CHECK_INT(o.kind, THRONG_FAULT_HTTP_ERROR);
}

static void test_hang_up(void)
{
    outcome_t o;
    with_server(HANG_UP, 2, &o);
    CHECK_INT(o.kind, THRONG_FAULT_ABANDONED);
    CHECK(strstr(o.msg, "without answering") != NULL);
}

/* A second response to one request, 50 ms after the first, arrives while
 * no request waits: the request stands answered, the connection is closed,
 * and the event is counted as unsolicited, not as a fault. */
static void test_answered_twice(void)
{
    outcome_t o;
    uint64_t requests = stats.n.requests, faulted = stats.n.faulted;
    uint64_t received = stats.n.bytes_received;
    uint64_t http_errors = stats.n.faults[THRONG_FAULT_HTTP_ERROR];
    with_server(TWICE, 2, &o);
    CHECK_INT(o.kind, THRONG__CONN_OK);
    CHECK_STR(o.body, "hello");
    CHECK_INT(stats.n.requests, requests + 1);
    CHECK_INT(stats.n.faulted, faulted);
    CHECK_INT(stats.n.faults[THRONG_FAULT_HTTP_ERROR], http_errors);
    CHECK_INT(stats.n.unsolicited, 1);
    CHECK_INT(throng__counts_failures(&stats.n), 0);
    CHECK_INT(stats.n.bytes_received, received + 2 * (sizeof hello - 1));

    /* The same, both in one piece: the bytes behind the response are as
     * unsolicited. */
    with_server(TOGETHER, 2, &o);
    CHECK_INT(o.kind, THRONG__CONN_OK);
    CHECK_STR(o.body, "hello");
    CHECK_INT(stats.n.unsolicited, 2);
    CHECK_INT(throng__counts_failures(&stats.n), 0);
}

/* A body longer than max_body ends the exchange as an http-error fault
 * saying so, and the conn gives its buffer back at once; a body of exactly
 * max_body is an answer. */
static void test_max_body(void)
{
    outcome_t o;
    settings.max_body = 1000;
    with_server(LONG_BODY, 2, &o);
    CHECK_INT(o.kind, THRONG_FAULT_HTTP_ERROR);
    CHECK_STR(o.msg, "body larger than max_body (1000 bytes)");
    CHECK(!o.buffered);
    settings.max_body = 5;
    with_server(ANSWER, 2, &o);
    CHECK_INT(o.kind, THRONG__CONN_OK);
    CHECK_STR(o.body, "hello");
    settings.max_body = 0; /* the default */
    with_server(LONG_BODY, 2, &o);
    CHECK_INT(o.kind, THRONG__CONN_OK);
}

/* A table asked for as its shape: an answer whose body was scanned as it
 * arrived and never kept, so max_body does not apply; the shape is the
 * table's. The same body kept whole is refused by max_body. */
static void test_shape_streamed(void)
{
    outcome_t o;
    settings.max_body = 1000;
    body_use = THRONG__BODY_SHAPE;
    with_server(BIG_TABLE, 2, &o);
    CHECK_INT(o.kind, THRONG__CONN_OK);
    CHECK_INT(o.shaped, 1);
    CHECK_INT(o.shape.rows, 30000);
    CHECK_INT(o.shape.cols, 3);
    CHECK_STR(o.body, "");
    CHECK(o.held < 200); /* the headers only */
    CHECK_INT(o.body_bytes, 11 * 29998 + 14 + 12);

    /* Not a table: the shape says why. */
    with_server(ANSWER, 2, &o);
    CHECK_INT(o.kind, THRONG__CONN_OK);
    CHECK_INT(o.shaped, -1);
    CHECK_STR(o.shape.why, "not a table: the body is not JSON");

    body_use = THRONG__BODY_DISCARD;
    with_server(LONG_BODY, 2, &o);
    CHECK_INT(o.kind, THRONG__CONN_OK);
    CHECK_INT(o.shaped, 0);
    CHECK_STR(o.body, "");
    CHECK(o.held < 200);
    CHECK_INT(o.body_bytes, 200000);

    body_use = THRONG__BODY_KEEP;
    with_server(BIG_TABLE, 2, &o);
    CHECK_INT(o.kind, THRONG_FAULT_HTTP_ERROR);
    CHECK_STR(o.msg, "body larger than max_body (1000 bytes)");
    settings.max_body = 0;
}

/* A response that would take the thread's buffered responses past the
 * budget is an http-error fault saying so; what a response held goes back
 * to the budget when it is released; a streamed body takes none of it. */
static void test_budget(void)
{
    outcome_t o;
    settings.buffer_budget = 100000;
    with_server(LONG_BODY, 2, &o);
    CHECK_INT(o.kind, THRONG_FAULT_HTTP_ERROR);
    CHECK_STR(o.msg, "response refused: it would take the worker's buffered responses past "
                     "buffer_budget (100000 bytes)");
    CHECK(!o.buffered);
    CHECK_INT(host.budget.used, 0);

    body_use = THRONG__BODY_SHAPE;
    with_server(BIG_TABLE, 2, &o);
    CHECK_INT(o.kind, THRONG__CONN_OK);
    CHECK_INT(o.shape.rows, 30000);
    body_use = THRONG__BODY_KEEP;

    /* Within the budget: charged while held, all of it back after. */
    settings.buffer_budget = 300000;
    with_server(LONG_BODY, 2, &o);
    CHECK_INT(o.kind, THRONG__CONN_OK);
    CHECK(o.charged == o.held && o.held > 200000);
    CHECK_INT(host.budget.used, 0);

    /* Two connections of one thread share it: while the first holds its
     * 200 kB response, the second's does not fit. */
    server_t srv;
    server_start(&srv, LONG_BODY);
    throng__address_t a = local(srv.port);
    throng__conn_t first, second;
    throng__exchange_t x1 = {0}, x2 = {0};
    outcome_t o1 = {.keep = 1}, o2 = {0};
    const char req[] = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
    throng__conn_init(&first, &host, &a, on_done, &o1, 1);
    throng__conn_init(&second, &host, &a, on_done, &o2, 2);
    throng__buf_append(throng__conn_out(&first), req, sizeof req - 1);
    throng__buf_append(throng__conn_out(&second), req, sizeof req - 1);
    throng__exchange_begin(&x1, &host.ledger, "GET /", 5);
    throng__conn_send(&first, &x1, 2, 0, THRONG__BODY_KEEP, "GET /", 5);
    run_until_done(&o1);
    CHECK_INT(o1.kind, THRONG__CONN_OK);
    CHECK(host.budget.used > 200000);
    throng__exchange_begin(&x2, &host.ledger, "GET /", 5);
    throng__conn_send(&second, &x2, 2, 0, THRONG__BODY_KEEP, "GET /", 5);
    run_until_done(&o2);
    CHECK_INT(o2.kind, THRONG_FAULT_HTTP_ERROR);
    CHECK(strstr(o2.msg, "buffer_budget") != NULL);
    throng__conn_done(&first);
    CHECK_INT(host.budget.used, 0);
    throng__conn_stop(&first);
    throng__conn_stop(&second);
    uv_close((uv_handle_t *)&srv.listener, NULL);
    uv_close((uv_handle_t *)&srv.later, NULL);
    run_until_done(&o2);
    throng__conn_free(&first);
    throng__conn_free(&second);
    CHECK(throng__stats_balanced(&stats));
    settings.buffer_budget = 0;
}

/* A connect that fails before it starts (an address TCP cannot use): the
 * callback still comes once, from inside the send. */
static void test_fails_at_once(void)
{
    throng__address_t a;
    memset(&a, 0, sizeof a);
    struct sockaddr_un *un = (struct sockaddr_un *)&a.sa;
    un->sun_family = AF_UNIX;
    snprintf(a.authority, sizeof a.authority, "nowhere");
    outcome_t o;
    uint64_t faulted = stats.n.faulted;
    exchange_with(&a, 2, &o);
    CHECK_INT(o.kind, THRONG_FAULT_NOT_CONNECTED);
    CHECK_INT(stats.n.faulted, faulted + 1);
}

/* Closing a conn in the middle of an exchange hands the exchange back,
 * with no callback: its owner settles it. */
static void test_close_hands_back(void)
{
    server_t srv;
    server_start(&srv, STALL);
    throng__address_t a = local(srv.port);
    throng__conn_t conn;
    throng__exchange_t x = {0};
    outcome_t o = {0};
    throng__conn_init(&conn, &host, &a, on_done, &o, 1);
    const char req[] = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
    throng__buf_append(throng__conn_out(&conn), req, sizeof req - 1);
    throng__exchange_begin(&x, &host.ledger, "GET /", 5);
    throng__conn_send(&conn, &x, 5, 0, THRONG__BODY_KEEP, "GET /", 5);
    for (int i = 0; i < 20; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(!throng__conn_idle(&conn));
    CHECK(throng__conn_stop(&conn) == &x);
    CHECK(throng__exchange_open(&x));
    throng__exchange_cancelled(&x);
    uv_close((uv_handle_t *)&srv.listener, NULL);
    uv_close((uv_handle_t *)&srv.later, NULL);
    run_until_done(&o); /* lets the closes finish; no callback may come */
    CHECK_INT(o.calls, 0);
    throng__conn_free(&conn);
    CHECK(throng__stats_balanced(&stats));
}

/* ------------------------------------------------------------ pipelining */

typedef struct pipe_outcome {
    int calls;
    int kind[4];
    int status[4];
    char body[4][16];
    int index[4];     /* which of the 3 exchanges each callback ended */
    int under_way[4]; /* the conn was not idle in the callback */
    throng__exchange_t *x;
} pipe_outcome_t;

static void on_pipe_done(throng__conn_t *conn, throng__exchange_t *x, int kind, const char *msg)
{
    pipe_outcome_t *o = conn->owner;
    int i = o->calls < 4 ? o->calls : 3;
    o->calls++;
    o->kind[i] = kind;
    o->index[i] = (int)(x - o->x);
    o->under_way[i] = !throng__conn_idle(conn);
    if (kind == THRONG__CONN_OK) {
        const throng__http_response_t *res = throng__conn_res(conn);
        size_t len;
        const char *body = throng__http_response_body(res, &len);
        snprintf(o->body[i], sizeof o->body[i], "%.*s", (int)len, body);
        o->status[i] = res->status;
        throng__exchange_answered(x, res->status, conn->ex->latency, conn->ex->ttfb);
        throng__conn_done(conn);
    } else {
        throng__exchange_faulted(x, (throng_fault_t)kind, msg);
    }
}

/* Three requests pipelined on a fresh conn against a server in mode; the
 * exchanges left open after the callbacks are cancelled, as a client's
 * session end makes them. Returns the server's reads of the requests. */
static int pipeline_with(mode_t_ mode, double timeout, pipe_outcome_t *o)
{
    server_t srv;
    server_start(&srv, mode);
    srv.reads = srv.requests = 0;
    throng__address_t a = local(srv.port);
    throng__conn_t conn;
    throng__exchange_t x[3];
    memset(x, 0, sizeof x);
    memset(o, 0, sizeof *o);
    o->x = x;
    throng__conn_init(&conn, &host, &a, on_pipe_done, o, 1);
    const char req[] = "GET /1 HTTP/1.1\r\nHost: test\r\n\r\n"
                       "GET /2 HTTP/1.1\r\nHost: test\r\n\r\n"
                       "GET /3 HTTP/1.1\r\nHost: test\r\n\r\n";
    throng__buf_append(throng__conn_out(&conn), req, sizeof req - 1);
    for (int i = 0; i < 3; i++)
        CHECK_INT(throng__exchange_begin(&x[i], &host.ledger, "pipe", 4), 0);
    throng__conn_send_n(&conn, x, 3, timeout, 0, THRONG__BODY_KEEP);
    uv_timer_t deadline;
    uv_timer_init(&loop, &deadline);
    uv_timer_start(&deadline, on_deadline, 5000, 0);
    while (!throng__conn_idle(&conn) && uv_timer_get_due_in(&deadline) > 0)
        uv_run(&loop, UV_RUN_ONCE);
    uv_timer_start(&deadline, on_deadline, 150, 0); /* a callback too many would show */
    while (uv_is_active((uv_handle_t *)&deadline))
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&deadline, NULL);
    CHECK(throng__conn_stop(&conn) == NULL);
    for (int i = 0; i < 3; i++)
        if (throng__exchange_open(&x[i])) throng__exchange_cancelled(&x[i]);
    uv_close((uv_handle_t *)&srv.listener, NULL);
    uv_close((uv_handle_t *)&srv.later, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    throng__conn_free(&conn);
    CHECK(throng__stats_balanced(&stats));
    return srv.reads;
}

static void test_pipeline(void)
{
    pipe_outcome_t o;
    uint64_t requests = stats.n.requests, connects = stats.n.connects;
    int reads = pipeline_with(PIPE_ALL, 2, &o);
    CHECK_INT(reads, 1); /* the 3 requests in one write: one read */
    CHECK_INT(o.calls, 3);
    static const char *bodies[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) {
        CHECK_INT(o.kind[i], THRONG__CONN_OK);
        CHECK_INT(o.index[i], i); /* in order */
        CHECK_INT(o.status[i], 200 + i);
        CHECK_STR(o.body[i], bodies[i]);
        CHECK_INT(o.under_way[i], i < 2); /* the conn waits on for the rest */
    }
    CHECK_INT(stats.n.requests, requests + 3);
    CHECK_INT(stats.n.connects, connects + 1);
}

static void test_pipeline_faults(void)
{
    pipe_outcome_t o;
    uint64_t requests = stats.n.requests, faulted = stats.n.faulted;
    uint64_t cancelled = stats.n.cancelled;

    /* 2 answers, then the server closes: the third faulted. */
    pipeline_with(PIPE_TWO, 2, &o);
    CHECK_INT(o.calls, 3);
    CHECK_STR(o.body[0], "one");
    CHECK_STR(o.body[1], "two");
    CHECK_INT(o.kind[2], THRONG_FAULT_ABANDONED);
    CHECK_INT(o.index[2], 2);
    CHECK_INT(stats.n.requests, requests + 2);
    CHECK_INT(stats.n.faulted, faulted + 1);

    /* 1 answer, then garbage: the second an http-error, the third left
     * for its owner (cancelled here). */
    pipeline_with(PIPE_GARBAGE, 2, &o);
    CHECK_INT(o.calls, 2);
    CHECK_INT(o.kind[0], THRONG__CONN_OK);
    CHECK_INT(o.kind[1], THRONG_FAULT_HTTP_ERROR);
    CHECK_INT(o.index[1], 1);
    CHECK_INT(stats.n.requests, requests + 3);
    CHECK_INT(stats.n.faulted, faulted + 2);
    CHECK_INT(stats.n.cancelled, cancelled + 1);

    /* 1 answer, then silence: the second timed out, the third left. */
    pipeline_with(PIPE_STALL, 0.3, &o);
    CHECK_INT(o.calls, 2);
    CHECK_INT(o.kind[0], THRONG__CONN_OK);
    CHECK_INT(o.kind[1], THRONG_FAULT_TIMED_OUT);
    CHECK_INT(stats.n.requests, requests + 4);
    CHECK_INT(stats.n.faulted, faulted + 3);
    CHECK_INT(stats.n.cancelled, cancelled + 2);
}

int main(void)
{
    conn_host_init();

    test_answered();
    test_answered_twice();
    test_max_body();
    test_shape_streamed();
    test_budget();
    test_refused();
    test_reset();
    test_stalled();
    test_deadline_per_request();
    test_garbage();
    test_hang_up();
    test_fails_at_once();
    test_close_hands_back();
    test_pipeline();
    test_pipeline_faults();

    /* the single exchanges, the pipelines, test_deadline_per_request's */
    CHECK_INT(stats.n.sent, 22 + 12 + 4);
    CHECK_INT(stats.n.requests, 11 + 7 + 2);
    CHECK_INT(stats.n.faulted, 10 + 3 + 2);
    CHECK_INT(stats.n.cancelled, 1 + 2);
    CHECK_INT(stats.n.in_flight, 0);
    uv_walk(&loop, close_walk, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&loop), 0);
    throng__bufpool_destroy(&host.pool);
    throng__stats_free(&stats);
    return check_result("conn");
}
