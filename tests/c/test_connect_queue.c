/* test_connect_queue.c - the bound on a thread's connect attempts
 * (client/host.h's connects, conn.c's connect path): with max_connecting 2,
 * ten conns sent at once against a listening server on 127.0.0.1 never
 * have more than 2 attempts under way, wait their turn in order, and all
 * connect and get their answer; a stop while some still wait hands every
 * exchange back (the ledger balances, the queue empties); an attempt's
 * connect timeout counts from the attempt, not from the wait before it;
 * conns to one server take odd local ports as well as even ones.
 * Every handle is closed and the loop closes cleanly at the end. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "client/conn.h"
#include "client/exchange.h"
#include "client/host.h"
#include "conn_host.h"
#include "hello_server.h"

#define NCONNS 10
#define NPORTS 48 /* conns of test_port_search */

/* ------------------------------------------------------ the conns' side */

typedef struct outcome {
    int calls, kind, order;
    double at; /* seconds from the send */
    char msg[256];
} outcome_t;

static int done_count;
static uint64_t sent_at;
static unsigned most_seen; /* attempts in flight, seen from the callbacks */

static void on_done(throng__conn_t *conn, throng__exchange_t *x, int kind, const char *msg)
{
    outcome_t *o = conn->owner;
    o->calls++;
    o->kind = kind;
    o->order = done_count++;
    o->at = (double)(uv_hrtime() - sent_at) * 1e-9;
    snprintf(o->msg, sizeof o->msg, "%s", msg ? msg : "");
    if (host.connects.in_flight > most_seen) most_seen = host.connects.in_flight;
    if (kind == THRONG__CONN_OK) {
        throng__exchange_answered(x, throng__conn_res(conn)->status, conn->ex->latency,
                                  conn->ex->ttfb);
        throng__conn_done(conn);
    } else {
        throng__exchange_faulted(x, (throng_fault_t)kind, msg);
    }
}

static throng__conn_t conns[NPORTS];
static throng__exchange_t xs[NPORTS];
static outcome_t outs[NPORTS];

/* Sends "GET /" on n fresh conns to a, all at once. */
static void send_all(const throng__address_t *a, int n)
{
    const char req[] = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
    done_count = 0;
    most_seen = 0;
    sent_at = uv_hrtime();
    for (int i = 0; i < n; i++) {
        memset(&outs[i], 0, sizeof outs[i]);
        memset(&xs[i], 0, sizeof xs[i]);
        throng__conn_init(&conns[i], &host, a, on_done, &outs[i], (uint64_t)i + 1);
        throng__buf_append(throng__conn_out(&conns[i]), req, sizeof req - 1);
        CHECK_INT(throng__exchange_begin(&xs[i], &host.ledger, "GET /", 5), 0);
        throng__conn_send(&conns[i], &xs[i], 2, 0, THRONG__BODY_KEEP, "GET /", 5);
        CHECK(host.connects.in_flight <= host.connects.limit);
    }
}

/* Runs the loop until n callbacks came (10 s at most), checking the bound
 * at every turn. */
static void run_until(int n)
{
    uint64_t end = uv_hrtime() + 10000000000ull;
    while (done_count < n && uv_hrtime() < end) {
        uv_run(&loop, UV_RUN_ONCE);
        CHECK(host.connects.in_flight <= host.connects.limit);
    }
}

static void stop_all(int n)
{
    for (int i = 0; i < n; i++) {
        throng__exchange_t *x = throng__conn_stop(&conns[i]);
        if (x) throng__exchange_cancelled(x);
    }
    uv_run(&loop, UV_RUN_NOWAIT);
    for (int i = 0; i < n; i++)
        throng__conn_free(&conns[i]);
}

/* Ten at once with a bound of 2: 8 wait, at most 2 attempts ever, all
 * answered, in the order they were sent as far as their connects go. */
static void test_bounded(void)
{
    uv_tcp_t listener;
    throng__address_t a = local(conn_host_listen(&listener, 128, on_peer));
    hello_accepted = 0;
    send_all(&a, NCONNS);
    CHECK_INT(host.connects.in_flight, 2);
    CHECK_INT(host.connects.waiting, NCONNS - 2);
    run_until(NCONNS);
    CHECK_INT(done_count, NCONNS);
    for (int i = 0; i < NCONNS; i++) {
        CHECK_INT(outs[i].calls, 1);
        CHECK_INT(outs[i].kind, THRONG__CONN_OK);
    }
    CHECK_INT(hello_accepted, NCONNS);
    CHECK_INT(host.connects.most, 2);
    CHECK(most_seen <= 2);
    CHECK_INT(host.connects.in_flight, 0);
    CHECK_INT(host.connects.waiting, 0);
    stop_all(NCONNS);
    uv_close((uv_handle_t *)&listener, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(throng__stats_balanced(&stats));
    CHECK_INT(stats.n.in_flight, 0);
}

/* A stop while 8 wait and 2 attempt: every exchange handed back (no
 * callback), cancelled by its owner; the queue is empty after. */
static void test_stop_while_waiting(void)
{
    uv_tcp_t listener;
    throng__address_t a = local(conn_host_listen(&listener, 128, on_peer));
    uint64_t cancelled = stats.n.cancelled;
    send_all(&a, NCONNS);
    CHECK_INT(host.connects.waiting, NCONNS - 2);
    CHECK_INT(stats.n.in_flight, NCONNS);
    stop_all(NCONNS);
    CHECK_INT(done_count, 0);
    CHECK_INT(host.connects.waiting, 0);
    CHECK_INT(host.connects.in_flight, 0);
    CHECK(host.connects.head == NULL && host.connects.tail == NULL);
    CHECK_INT(stats.n.cancelled, cancelled + NCONNS);
    CHECK_INT(stats.n.in_flight, 0);
    CHECK(throng__stats_balanced(&stats));
    uv_close((uv_handle_t *)&listener, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
}

/* A server that never accepts, with an accept queue of 1: the first
 * connects complete in the kernel, later SYNs are dropped and those
 * attempts time out. With one attempt at a time and a connect timeout of
 * 0.25 s, each timed-out conn's timeout ran from its own attempt: they end
 * about 0.25 s apart, not all at 0.25 s. */
static void ignore_peer(uv_stream_t *l, int status)
{
    (void)l, (void)status;
}

static void test_timeout_from_attempt(void)
{
    uv_tcp_t listener;
    throng__address_t a = local(conn_host_listen(&listener, 1, ignore_peer));
    host.connects.limit = 1;
    settings.connect_timeout = 0.25;
    int n = 6;
    send_all(&a, n);
    run_until(n);
    CHECK_INT(done_count, n);
    int timed_out = 0;
    double last = 0;
    for (int i = 0; i < n; i++) {
        if (outs[i].kind != THRONG_FAULT_NOT_CONNECTED || !strstr(outs[i].msg, "timed out"))
            continue;
        timed_out++;
        if (outs[i].at > last) last = outs[i].at;
    }
    /* Connected ones wait on their request (the server never reads). */
    CHECK(timed_out >= 2);
    CHECK(last >= 0.25 * timed_out - 0.05);
    if (getenv("SHOW")) fprintf(stderr, "  %d timed out, the last at %.3fs\n", timed_out, last);
    stop_all(n);
    uv_close((uv_handle_t *)&listener, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(throng__stats_balanced(&stats));
    host.connects.limit = 2;
    settings.connect_timeout = 2;
}

/* The local ports of conns to one server run over both parities: without
 * a port range of its own (IP_LOCAL_PORT_RANGE, Linux 6.3) a socket's
 * connect() takes only even ports while one is free, and past about
 * 14,000 connections to one destination each connect scanned every even
 * port first (seconds of system CPU, connect timeouts in a 26,000-client
 * run). 48 conns with the option: all even by chance once in 2^48. A
 * kernel that refuses the option is skipped. */
static void test_port_search(void)
{
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    uint32_t range = 0xffffu << 16 | 1u;
    int known = setsockopt(probe, IPPROTO_IP, 51, &range, sizeof range) == 0;
    close(probe);
    if (!known) {
        fprintf(stderr, "  port search: skipped, the kernel has no IP_LOCAL_PORT_RANGE\n");
        return;
    }
    uv_tcp_t listener;
    throng__address_t a = local(conn_host_listen(&listener, 128, on_peer));
    host.connects.limit = 8;
    send_all(&a, NPORTS);
    run_until(NPORTS);
    CHECK_INT(done_count, NPORTS);
    int odd = 0;
    for (int i = 0; i < NPORTS; i++) {
        struct sockaddr_in sa;
        int len = sizeof sa;
        CHECK_INT(outs[i].kind, THRONG__CONN_OK);
        CHECK(conns[i].tcp != NULL); /* kept alive: it still holds its socket */
        CHECK_INT(uv_tcp_getsockname(conns[i].tcp, (struct sockaddr *)&sa, &len), 0);
        odd += ntohs(sa.sin_port) & 1;
    }
    if (getenv("SHOW")) fprintf(stderr, "  %d of %d local ports odd\n", odd, NPORTS);
    CHECK(odd > 0);
    stop_all(NPORTS);
    uv_close((uv_handle_t *)&listener, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(throng__stats_balanced(&stats));
    host.connects.limit = 2;
}

/* A response's timer, left running when the response came, must not end
 * the next exchange of the conn while that one waits its turn in the
 * connect queue: the connect timeout counts from the attempt, and a queued
 * conn has none. The server answers "Connection: close", so the second
 * exchange needs a new connect; the queue is kept full (in_flight at the
 * limit) for 0.6 s, past the first exchange's 0.3 s deadline. */
static void test_queued_after_response(void)
{
    uv_tcp_t listener;
    static const char bye[] =
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello";
    hello_reply = bye;
    throng__address_t a = local(conn_host_listen(&listener, 128, on_peer));
    const char req[] = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
    host.connects.limit = 1;
    done_count = 0;
    memset(&outs[0], 0, sizeof outs[0]);
    memset(&xs[0], 0, sizeof xs[0]);
    throng__conn_init(&conns[0], &host, &a, on_done, &outs[0], 1);
    throng__buf_append(throng__conn_out(&conns[0]), req, sizeof req - 1);
    CHECK_INT(throng__exchange_begin(&xs[0], &host.ledger, "GET /", 5), 0);
    sent_at = uv_hrtime();
    throng__conn_send(&conns[0], &xs[0], 0.3, 0, THRONG__BODY_KEEP, "GET /", 5);
    run_until(1);
    CHECK_INT(outs[0].kind, THRONG__CONN_OK);
    for (int i = 0; i < 5; i++) /* the closed socket's callback */
        uv_run(&loop, UV_RUN_NOWAIT);
    /* Another conn's attempt holds the only slot. */
    host.connects.in_flight = 1;
    memset(&outs[0], 0, sizeof outs[0]);
    throng__exchange_t x2 = {0};
    throng__buf_append(throng__conn_out(&conns[0]), req, sizeof req - 1);
    CHECK_INT(throng__exchange_begin(&x2, &host.ledger, "GET /", 5), 0);
    throng__conn_send(&conns[0], &x2, 2, 0, THRONG__BODY_KEEP, "GET /", 5);
    CHECK_INT(host.connects.waiting, 1);
    uint64_t until = uv_hrtime() + 600000000ull;
    while (uv_hrtime() < until && outs[0].calls == 0)
        uv_run(&loop, UV_RUN_NOWAIT);
    /* Still waiting its turn: no callback, no fault. */
    CHECK_INT(outs[0].calls, 0);
    if (outs[0].calls) fprintf(stderr, "  queued conn ended: %s\n", outs[0].msg);
    host.connects.in_flight = 0;
    throng__exchange_t *x = throng__conn_stop(&conns[0]);
    if (x) throng__exchange_cancelled(x);
    uv_run(&loop, UV_RUN_NOWAIT);
    throng__conn_free(&conns[0]);
    uv_close((uv_handle_t *)&listener, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(throng__stats_balanced(&stats));
    CHECK_INT(stats.n.in_flight, 0);
    host.connects.limit = 2;
    hello_reply = hello;
}

int main(void)
{
    conn_host_init();
    settings.max_connecting = 2;
    throng__connects_init(&host.connects, &loop, settings.max_connecting);

    test_bounded();
    test_stop_while_waiting();
    test_timeout_from_attempt();
    test_port_search();
    test_queued_after_response();

    throng__connects_close(&host.connects);
    uv_walk(&loop, close_walk, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&loop), 0);
    throng__bufpool_destroy(&host.pool);
    throng__stats_free(&stats);
    return check_result("connect_queue");
}
