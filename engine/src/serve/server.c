/* server.c - the demonstration server's life: its settings, one listening
 * socket per thread on a shared port, the threads and their loops, stopping
 * from anywhere (a signal handler included) and the merged counters. */
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/address.h"
#include "util/error.h"
#include "serve/server.h"
#include "serve/server_tls.h"

#define LISTEN_BACKLOG 1024
#define THREADS_MAX 256
#define LATENCY_MAX 3600.0 /* seconds */
#define DEFAULT_LISTEN "127.0.0.1:5050"

typedef enum { SERVER_NEW, SERVER_RUNNING, SERVER_STOPPED } server_state_t;

struct throng_server {
    char errmsg[THRONG__ERRMSG_LEN];
    server_state_t state;
    char listen[256]; /* the address as given, for messages */
    throng__server_settings_t settings;
    unsigned nthreads;
    throng__server_thread_t **threads;
    int port;
    char address[64]; /* the address bound, as "127.0.0.1:PORT" or "[::1]:PORT" */
    uint64_t started_ns;
    _Atomic uint64_t stopped_ns;
    _Atomic int stopping;
    _Atomic int woken;             /* the wake handles were signalled (only ever once) */
    _Atomic unsigned wakeable;     /* how many threads' wake handles may be signalled */
    _Atomic uint64_t pause_origin; /* where the pauses count from (settings.pause_origin) */
};

/* Zero means off for every share and the latency; the rest get defaults. */
void throng_server_config_init(throng_server_config_t *config)
{
    if (!config) return;
    memset(config, 0, sizeof *config);
    config->listen = DEFAULT_LISTEN;
    config->threads = 1;
}

/* Only memory is taken here; sockets and threads wait for the start. */
throng_server_t *throng_server_new(void)
{
    return calloc(1, sizeof(throng_server_t));
}

/* The buffer is part of the server: empty until a call fails. */
const char *throng_server_errmsg(const throng_server_t *server)
{
    if (!server) return "no server (NULL)";
    return server->errmsg[0] ? server->errmsg : "no error";
}

/* Set once the sockets are bound, so that port 0 reveals the kernel's pick. */
int throng_server_port(const throng_server_t *server)
{
    return server ? server->port : 0;
}

/* ------------------------------------------------------------- settings */

/* NaN fails both comparisons, so it is refused too. */
static int check_share(throng_server_t *s, const char *name, double v)
{
    if (v >= 0 && v <= 1) return 0;
    return throng__fail(s->errmsg, THRONG_EINVAL, "%s must be a share between 0 and 1, not %g",
                        name, v);
}

/* Checks the configuration and keeps what the threads will need. */
static int server_configure(throng_server_t *s, const throng_server_config_t *c)
{
    const char *listen = c->listen ? c->listen : DEFAULT_LISTEN;
    if (strlen(listen) >= sizeof s->listen)
        return throng__fail(s->errmsg, THRONG_EADDR, "listen address is too long: %.64s...",
                            listen);
    strcpy(s->listen, listen);
    s->nthreads = c->threads ? c->threads : 1;
    if (s->nthreads > THREADS_MAX)
        return throng__fail(s->errmsg, THRONG_EINVAL, "threads must be at most %d, not %u",
                            THREADS_MAX, c->threads);
    if (!(c->latency >= 0 && c->latency <= LATENCY_MAX))
        return throng__fail(s->errmsg, THRONG_EINVAL,
                            "latency must be between 0 and %g seconds, not %g", LATENCY_MAX,
                            c->latency);
    int rc = check_share(s, "busy", c->busy);
    if (rc == 0) rc = check_share(s, "wrong_size", c->wrong_size);
    if (rc == 0) rc = check_share(s, "drop", c->drop);
    if (rc != 0) return rc;
    /* uv timers count milliseconds: any latency asked for is at least one. */
    s->settings.latency_ms = c->latency > 0 ? (uint64_t)ceil(c->latency * 1000) : 0;
    s->settings.busy = c->busy;
    s->settings.wrong_size = c->wrong_size;
    s->settings.drop = c->drop;
    rc = throng__pauses_check(c->pauses, c->npauses, s->errmsg);
    if (rc != 0) return rc;
    throng__pauses_place(c->pauses, c->npauses, s->settings.pauses);
    s->settings.npauses = c->npauses;
    s->settings.pause_from_first = c->pause_from_first != 0;
    s->settings.pause_origin = &s->pause_origin;
    if (c->tls_key && !c->tls_cert)
        return throng__fail(s->errmsg, THRONG_EINVAL, "a TLS key needs its certificate");
    if (c->tls_cert)
        return throng__server_tls_ctx_new(c->tls_cert, c->tls_key ? c->tls_key : c->tls_cert,
                                          &s->settings.tls, s->errmsg);
    return 0;
}

/* ------------------------------------------------------------ addresses */

/* ---------------------------------------------------------------- sockets */

/* Opens a socket bound to the address; with reuseport, each thread binds
 * its own socket to the same port and the kernel spreads connections.
 * Returns the descriptor or a negative errno. */
static int bind_socket(const struct sockaddr_storage *ss, socklen_t len, int reuseport)
{
    int one = 1;
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) ||
        bind(fd, (const struct sockaddr *)ss, len) != 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

/* The port a bound socket got (the kernel's pick when 0 was asked). */
static unsigned bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return 0;
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Every listening failure names the address and the system's reason. */
static int listen_failed(throng_server_t *s, int err)
{
    return throng__fail(s->errmsg, THRONG_ELISTEN, "cannot listen on %s: %s", s->listen,
                        strerror(-err));
}

/* Sockets with SO_REUSEPORT would share a port with another server of the
 * same user without a word, so a plain socket first checks that the port
 * is free (and picks it, when 0 was asked). */
static int probe_port(throng_server_t *s, struct sockaddr_storage *ss, socklen_t len)
{
    int fd = bind_socket(ss, len, 0);
    if (fd < 0) return listen_failed(s, fd);
    throng__sockaddr_set_port(ss, (int)bound_port(fd));
    close(fd);
    return 0;
}

/* Binds one socket per thread to the listen address; fds[] receives them. */
static int server_bind(throng_server_t *s, int *fds)
{
    throng__address_t a;
    int rc = throng__address_parse(s->listen, 5050, "listen address", &a, s->errmsg);
    if (rc == 0) rc = throng__address_resolve(&a, s->errmsg);
    if (rc != 0) return rc;
    struct sockaddr_storage ss = a.sa;
    socklen_t len = a.salen;
    int reuseport = s->nthreads > 1;
    if (reuseport && (rc = probe_port(s, &ss, len)) != 0) return rc;
    for (unsigned i = 0; i < s->nthreads; i++) {
        fds[i] = bind_socket(&ss, len, reuseport);
        if (fds[i] < 0) {
            rc = listen_failed(s, fds[i]);
            while (i > 0)
                close(fds[--i]);
            return rc;
        }
        if (i == 0) throng__sockaddr_set_port(&ss, (int)bound_port(fds[0]));
    }
    s->port = (int)bound_port(fds[0]);
    throng__sockaddr_set_port(&ss, s->port);
    throng__sockaddr_text((const struct sockaddr *)&ss, s->address, sizeof s->address);
    return 0;
}

/* ----------------------------------------------------------------- threads */

/* A stop and a failed start may both reach a handle: libuv closes once. */
static void close_once(uv_handle_t *h)
{
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

/* Runs on the thread's loop when someone called throng_server_stop(). */
static void on_wake(uv_async_t *wake)
{
    throng__server_thread_t *t = wake->data;
    if (!atomic_load(&t->server->stopping)) return;
    close_once((uv_handle_t *)&t->listener);
    close_once((uv_handle_t *)&t->wake);
    throng__server_close_conns(t);
}

/* Creates a thread's loop and wake handle; it starts nothing yet. */
static throng__server_thread_t *thread_new(throng_server_t *s, unsigned index, uint64_t seed)
{
    throng__server_thread_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->server = s;
    t->settings = &s->settings;
    t->index = index;
    throng__rng_seed(&t->rng, seed + index);
    throng__table_pool_init(&t->pool, &t->rng);
    if (uv_loop_init(&t->loop) != 0) return t;
    t->loop_ready = 1;
    if (uv_async_init(&t->loop, &t->wake, on_wake) != 0) return t;
    t->wake.data = t;
    t->wake_ready = 1;
    return t;
}

/* Hands the bound socket to the thread's loop and starts listening. The
 * loop does not run yet, so this is safe from the starting thread. */
static int thread_listen(throng_server_t *s, throng__server_thread_t *t, int fd)
{
    if (!t->wake_ready) {
        close(fd);
        return throng__fail(s->errmsg, THRONG_ESYS, "cannot set up a server thread's loop");
    }
    uv_tcp_init(&t->loop, &t->listener);
    t->listener.data = t;
    t->listener_ready = 1;
    int rc = uv_tcp_open(&t->listener, fd);
    if (rc != 0) {
        close(fd);
        return listen_failed(s, rc);
    }
    rc = uv_listen((uv_stream_t *)&t->listener, LISTEN_BACKLOG, throng__server_accept);
    return rc != 0 ? listen_failed(s, rc) : 0;
}

/* Frees a thread that has ended, or never ran: then its handles are
 * closed here and its loop closed. */
static void thread_free(throng__server_thread_t *t)
{
    if (!t) return;
    if (t->loop_ready) {
        if (t->listener_ready) close_once((uv_handle_t *)&t->listener);
        if (t->wake_ready) close_once((uv_handle_t *)&t->wake);
        uv_run(&t->loop, UV_RUN_DEFAULT);
        uv_loop_close(&t->loop);
    }
    free(t);
}

/* A thread's life: its loop runs until every handle is closed. */
static void thread_main(void *arg)
{
    throng__server_thread_t *t = arg;
    uv_run(&t->loop, UV_RUN_DEFAULT);
    t->close_rc = uv_loop_close(&t->loop);
    t->loop_ready = 0;
}

/* Signals every thread's wake handle, once: each closes it in response,
 * so a second signal could touch a closed handle. */
static void wake_threads(throng_server_t *s)
{
    unsigned n = atomic_load(&s->wakeable);
    if (n == 0 || atomic_exchange(&s->woken, 1)) return;
    for (unsigned i = 0; i < n; i++)
        uv_async_send(&s->threads[i]->wake);
}

/* Frees the threads of a start that failed, or of a server being freed. */
static void server_free_threads(throng_server_t *s)
{
    atomic_store(&s->wakeable, 0);
    for (unsigned i = 0; s->threads && i < s->nthreads; i++)
        thread_free(s->threads[i]);
    free(s->threads);
    s->threads = NULL;
}

/* Creates every thread's loop and listening handle from the bound sockets;
 * the sockets not handed over yet are closed on failure. */
static int server_prepare(throng_server_t *s, int *fds, uint64_t seed)
{
    s->threads = calloc(s->nthreads, sizeof *s->threads);
    int rc = s->threads ? 0 : throng__fail(s->errmsg, THRONG_ENOMEM, "out of memory");
    unsigned i = 0;
    for (; rc == 0 && i < s->nthreads; i++) {
        s->threads[i] = thread_new(s, i, seed);
        if (!s->threads[i])
            rc = throng__fail(s->errmsg, THRONG_ENOMEM, "out of memory");
        else
            rc = thread_listen(s, s->threads[i], fds[i]);
    }
    for (; i < s->nthreads; i++)
        close(fds[i]);
    return rc;
}

/* Starts the threads with every asynchronous signal blocked, so that the
 * application's handlers run on its own threads and a write to a closed
 * connection raises no SIGPIPE that could end the process. */
static int server_spawn(throng_server_t *s)
{
    sigset_t all, old;
    sigfillset(&all);
    int sync_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP};
    for (size_t i = 0; i < sizeof sync_signals / sizeof *sync_signals; i++)
        sigdelset(&all, sync_signals[i]);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = 0;
    for (unsigned i = 0; rc == 0 && i < s->nthreads; i++) {
        rc = uv_thread_create(&s->threads[i]->tid, thread_main, s->threads[i]);
        if (rc == 0) s->threads[i]->running = 1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0) return 0;
    atomic_store(&s->stopping, 1);
    wake_threads(s);
    for (unsigned i = 0; i < s->nthreads; i++)
        if (s->threads[i]->running) uv_thread_join(&s->threads[i]->tid);
    return throng__fail(s->errmsg, THRONG_ESYS, "cannot start a server thread: %s",
                        uv_strerror(rc));
}

/* Everything that can fail (settings, address, bind, listen) fails here,
 * before any thread runs, and leaves the server as new. */
int throng_server_start(throng_server_t *s, const throng_server_config_t *config)
{
    if (!s) return THRONG_EINVAL;
    throng_server_config_t defaults;
    if (!config) {
        throng_server_config_init(&defaults);
        config = &defaults;
    }
    if (s->state != SERVER_NEW)
        return throng__fail(s->errmsg, THRONG_ESTATE, "the server was started already");
    int rc = server_configure(s, config);
    if (rc != 0) return rc;
    int *fds = malloc(s->nthreads * sizeof *fds);
    if (!fds) return throng__fail(s->errmsg, THRONG_ENOMEM, "out of memory");
    rc = server_bind(s, fds);
    if (rc == 0) rc = server_prepare(s, fds, config->seed ? config->seed : throng__fresh_seed());
    free(fds);
    atomic_store(&s->stopping, 0);
    atomic_store(&s->woken, 0);
    s->started_ns = uv_hrtime();
    if (!s->settings.pause_from_first) atomic_store(&s->pause_origin, s->started_ns);
    if (rc == 0) {
        atomic_store(&s->wakeable, s->nthreads);
        rc = server_spawn(s);
    }
    if (rc != 0) {
        server_free_threads(s);
        throng__server_tls_ctx_free(s->settings.tls);
        s->settings.tls = NULL;
        s->port = 0;
        return rc;
    }
    s->state = SERVER_RUNNING;
    if (atomic_load(&s->stopping)) wake_threads(s); /* a stop that came while starting */
    return 0;
}

/* Async-signal-safe: an atomic exchange and uv_async_send() only. */
void throng_server_stop(throng_server_t *s)
{
    if (!s) return;
    atomic_store(&s->stopping, 1);
    wake_threads(s);
}

/* Joins the threads; their loops must have closed with nothing left open. */
int throng_server_wait(throng_server_t *s)
{
    if (!s) return THRONG_EINVAL;
    if (s->state == SERVER_STOPPED) return 0;
    if (s->state != SERVER_RUNNING)
        return throng__fail(s->errmsg, THRONG_ESTATE, "the server is not running");
    int unclean = 0;
    for (unsigned i = 0; i < s->nthreads; i++) {
        uv_thread_join(&s->threads[i]->tid);
        s->threads[i]->running = 0;
        if (s->threads[i]->close_rc != 0) unclean = 1;
    }
    atomic_store(&s->stopped_ns, uv_hrtime());
    s->state = SERVER_STOPPED;
    if (unclean)
        return throng__fail(s->errmsg, THRONG_ESYS, "a server thread's loop did not close cleanly");
    return 0;
}

/* A running server is stopped and waited for, so freeing is always safe. */
void throng_server_free(throng_server_t *s)
{
    if (!s) return;
    if (s->state == SERVER_RUNNING) {
        throng_server_stop(s);
        throng_server_wait(s);
    }
    server_free_threads(s);
    throng__server_tls_ctx_free(s->settings.tls);
    free(s);
}

/* ---------------------------------------------------------------- counters */

/* Counters are per thread (no shared cache line on the hot path) and are
 * summed only when asked for. */
void throng__server_totals(const throng_server_t *s, throng_server_stats_t *st)
{
    memset(st, 0, sizeof *st);
    if (!s->threads) return;
    for (unsigned i = 0; i < s->nthreads; i++) {
        const throng__server_counters_t *c = &s->threads[i]->counters;
        st->requests += atomic_load_explicit(&c->requests, memory_order_relaxed);
        st->tables += atomic_load_explicit(&c->tables, memory_order_relaxed);
        st->busy += atomic_load_explicit(&c->busy, memory_order_relaxed);
        st->bad += atomic_load_explicit(&c->bad, memory_order_relaxed);
        st->connections += atomic_load_explicit(&c->connections, memory_order_relaxed);
        st->dropped += atomic_load_explicit(&c->dropped, memory_order_relaxed);
        st->crunch += atomic_load_explicit(&c->crunch, memory_order_relaxed);
        st->held += atomic_load_explicit(&c->held, memory_order_relaxed);
    }
    uint64_t end = atomic_load(&s->stopped_ns);
    st->uptime = (double)((end ? end : uv_hrtime()) - s->started_ns) / 1e9;
}

const char *throng_server_address(const throng_server_t *server)
{
    return server && server->port ? server->address : NULL;
}

void throng_server_stats(const throng_server_t *server, throng_server_stats_t *stats)
{
    if (!stats) return;
    if (!server) {
        memset(stats, 0, sizeof *stats);
        return;
    }
    throng__server_totals(server, stats);
}
