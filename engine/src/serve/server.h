/* server.h - what the demonstration server's threads (server.c) share with
 * the connections they serve (server_conn.c). */
#ifndef THRONG_SERVER_H
#define THRONG_SERVER_H

#include <stdatomic.h>
#include <stdint.h>
#include <uv.h>

#include "util/rng.h"
#include "serve/server_pause.h"
#include "serve/server_table.h"
#include "throng.h"

/* One read buffer per thread: an idle connection holds none. */
#define THRONG__SERVER_READ_BUF (64 * 1024)
/* Answers are formatted here, then written straight from it when the socket
 * takes them at once; it holds the longest header plus a table row. */
#define THRONG__SERVER_SCRATCH (256 * 1024)

/* What every connection of the server must know, fixed at start. */
typedef struct throng__server_settings {
    uint64_t latency_ms; /* delay before a table or crunch answer; 0 = none */
    double busy, wrong_size, drop;
    void *tls;      /* SSL_CTX * when serving HTTPS, else NULL */
    size_t npauses; /* stalls (--pause-at), from pause_origin */
    throng__pause_window_t pauses[THRONG_SERVER_PAUSES_MAX];
    int pause_from_first;           /* the origin is set by the first table or crunch request */
    _Atomic uint64_t *pause_origin; /* uv_hrtime() of the start or of that request; 0: not yet */
} throng__server_settings_t;

/* A thread's counters. Only the owning thread writes them (throng__count);
 * throng_server_stats() reads them from anywhere, hence the atomics. */
typedef struct throng__server_counters {
    _Atomic uint64_t requests, tables, crunch, busy, bad, dropped, connections, held;
} throng__server_counters_t;

typedef struct throng__server_conn throng__server_conn_t;

/* One server thread: its own loop, its own listening socket on the shared
 * port, and the connections it accepted. */
typedef struct throng__server_thread {
    throng_server_t *server;
    const throng__server_settings_t *settings;
    unsigned index;
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_async_t wake;
    uv_thread_t tid;
    int loop_ready, listener_ready, wake_ready, running;
    int close_rc; /* what uv_loop_close() said at the end */
    throng__rng_t rng;
    throng__server_conn_t *conns; /* open connections, so a stop can close them */
    throng__server_counters_t counters;
    throng__table_pool_t pool;
    char readbuf[THRONG__SERVER_READ_BUF];
    char scratch[THRONG__SERVER_SCRATCH];
} throng__server_thread_t;

/* Adds one to a counter of the calling thread: a plain add, since no other
 * thread writes it, yet readers on other threads see a whole value. */
static inline void throng__count(_Atomic uint64_t *counter)
{
    atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* The counters of every thread summed (server.c). */
void throng__server_totals(const throng_server_t *server, throng_server_stats_t *stats);

/* The listening socket's connection callback (server_conn.c). */
void throng__server_accept(uv_stream_t *listener, int status);

/* Closes every connection of the thread; they free themselves once closed. */
void throng__server_close_conns(throng__server_thread_t *t);

#endif
