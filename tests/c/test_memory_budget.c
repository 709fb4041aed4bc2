/* test_memory_budget.c - what an idle client costs (issue 14: at most
 * 2 KB of resident memory per connected, thinking client, Lua included).
 *
 * The structures every client holds stay within their budgets; a
 * keep-alive connection between two exchanges holds its socket but no
 * exchange state and no request buffer (both go back to the thread's
 * pool), a closed one not even a socket handle, nor does a connection queued for a connect turn
 * hold exchange state; and the pool keeps only a bounded number of what a burst gave back. Against
 * a tiny keep-alive server on 127.0.0.1:0 and the same loop. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "client/client.h"
#include "client/conn.h"
#include "client/exchange.h"
#include "client/host.h"
#include "conn_host.h"
#include "hello_server.h"

/* The budgets, in bytes: a client with its own connection (its timers
 * among them; the socket handle is lent while connected), and the
 * connection alone. The rest of
 * the 2 KB is the persona's Lua instance and the allocator's overhead
 * (docs/architecture.md, "Where a client's bytes go"). */
#define CLIENT_BUDGET 768
#define CONN_BUDGET 384

static void test_sizes(void)
{
    CHECK(sizeof(throng__client_t) <= CLIENT_BUDGET);
    CHECK(sizeof(throng__conn_t) <= CONN_BUDGET);
    if (sizeof(throng__client_t) > CLIENT_BUDGET || sizeof(throng__conn_t) > CONN_BUDGET)
        fprintf(stderr, "client %zu bytes (budget %d), conn %zu (budget %d)\n",
                sizeof(throng__client_t), CLIENT_BUDGET, sizeof(throng__conn_t), CONN_BUDGET);
}

/* ------------------------------------------------------ the conn's side */

static uv_tcp_t listener;
static throng__address_t address;
static int answered, faulted;

static void on_done(throng__conn_t *conn, throng__exchange_t *x, int kind, const char *msg)
{
    if (kind == THRONG__CONN_OK) {
        answered++;
        throng__exchange_answered(x, throng__conn_res(conn)->status, conn->ex->latency,
                                  conn->ex->ttfb);
        throng__conn_done(conn); /* as a client does once its response hook has run */
    } else {
        faulted++;
        throng__exchange_faulted(x, (throng_fault_t)kind, msg);
    }
}

static void on_deadline(uv_timer_t *t)
{
    (void)t;
}

/* Runs the loop until *count reaches want; 5 s at most. */
static void run_until(const int *count, int want)
{
    uv_timer_t deadline;
    uv_timer_init(&loop, &deadline);
    uv_timer_start(&deadline, on_deadline, 5000, 0);
    while (*count < want && uv_timer_get_due_in(&deadline) > 0)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&deadline, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
}

static void send_get(throng__conn_t *conn, throng__exchange_t *x)
{
    const char req[] = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
    throng__buf_t *out = throng__conn_out(conn);
    CHECK(out != NULL);
    out->len = 0;
    throng__buf_append(out, req, sizeof req - 1);
    CHECK_INT(throng__exchange_begin(x, &host.ledger, "GET /", 5), 0);
    throng__conn_send(conn, x, 2, 0, THRONG__BODY_KEEP, "GET /", 5);
}

/* Between two exchanges of a keep-alive session the connection is open
 * and holds neither exchange state nor a request buffer; the second
 * exchange reuses the socket. */
static void test_idle_holds_nothing(void)
{
    throng__conn_t conn;
    throng__exchange_t x = {0};
    answered = faulted = 0;
    throng__conn_init(&conn, &host, &address, on_done, NULL, 1);
    CHECK(conn.ex == NULL && conn.out == NULL && conn.tls == NULL && conn.tcp == NULL);
    send_get(&conn, &x);
    CHECK(conn.out != NULL); /* lent while the request is on its way */
    run_until(&answered, 1);
    CHECK_INT(answered, 1);
    CHECK(throng__conn_idle(&conn));
    CHECK(conn.tcp_open && !conn.tcp_closing && conn.tcp); /* kept alive */
    CHECK(conn.ex == NULL);                                /* no parser, no response, no timings */
    CHECK(conn.out == NULL);                               /* no request bytes */
    CHECK(conn.tls == NULL);                               /* plain HTTP: never any TLS state */
    CHECK_INT(host.budget.used, 0);

    send_get(&conn, &x);
    run_until(&answered, 2);
    CHECK_INT(answered, 2);
    CHECK_INT(faulted, 0);
    CHECK(conn.ex == NULL && conn.out == NULL);
    CHECK(throng__conn_stop(&conn) == NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(conn.tcp == NULL); /* closed: the socket handle is back in the pool */
    throng__conn_free(&conn);
}

/* With one connect attempt in flight, a second connection waits for its
 * turn holding its request but no exchange state; both are answered. */
static void test_queued_holds_no_state(void)
{
    throng__conn_t a, b;
    throng__exchange_t xa = {0}, xb = {0};
    answered = faulted = 0;
    throng__connects_init(&host.connects, &loop, 1);
    throng__conn_init(&a, &host, &address, on_done, NULL, 1);
    throng__conn_init(&b, &host, &address, on_done, NULL, 2);
    send_get(&a, &xa);
    send_get(&b, &xb);
    CHECK(b.queued);
    CHECK(b.ex == NULL);
    CHECK(b.out != NULL && b.out->len > 0);
    run_until(&answered, 2);
    CHECK_INT(answered, 2);
    CHECK_INT(faulted, 0);
    CHECK(a.ex == NULL && a.out == NULL && b.ex == NULL && b.out == NULL);
    throng__conn_stop(&a);
    throng__conn_stop(&b);
    throng__connects_close(&host.connects);
    uv_run(&loop, UV_RUN_NOWAIT);
    throng__conn_free(&a);
    throng__conn_free(&b);
    host.connects = (throng__connects_t){0};
}

/* What a burst gives back beyond the pool's keep is freed; what the pool
 * keeps is reused, not allocated again. */
static void test_pool_keeps_little(void)
{
    enum { N = 1000 };
    throng__bufpool_t pool;
    throng__bufpool_init(&pool);
    static throng__buf_t *bufs[N];
    static void *blocks[N];
    for (int i = 0; i < N; i++) {
        bufs[i] = throng__bufpool_get(&pool);
        throng__buf_append(bufs[i], "GET / HTTP/1.1\r\n\r\n", 18);
        blocks[i] = throng__bufpool_block(&pool, sizeof(throng__conn_ex_t));
    }
    for (int i = 0; i < N; i++) {
        throng__bufpool_put(&pool, bufs[i]);
        throng__bufpool_block_put(&pool, blocks[i], sizeof(throng__conn_ex_t));
    }
    CHECK_INT(pool.nfree, THRONG__POOL_KEEP);
    CHECK_INT(pool.blocks[0].nfree, THRONG__POOL_KEEP);
    CHECK(pool.released >= (N - THRONG__POOL_KEEP) * sizeof(throng__conn_ex_t));
    void *kept = blocks[THRONG__POOL_KEEP - 1]; /* the last one kept */
    void *again = throng__bufpool_block(&pool, sizeof(throng__conn_ex_t));
    CHECK(again == kept);
    throng__bufpool_block_put(&pool, again, sizeof(throng__conn_ex_t));
    throng__bufpool_trim(&pool);
    CHECK_INT(pool.released, 0);
    throng__bufpool_destroy(&pool);
}

int main(void)
{
    test_sizes();
    test_pool_keeps_little();

    conn_host_init();

    address = local(conn_host_listen(&listener, 16, on_peer));

    test_idle_holds_nothing();
    test_queued_holds_no_state();

    CHECK(throng__stats_balanced(&stats));
    uv_walk(&loop, close_walk, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&loop), 0);
    throng__bufpool_destroy(&host.pool);
    throng__stats_free(&stats);
    return check_result("test_memory_budget");
}
