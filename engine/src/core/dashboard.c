/* dashboard.c - the live dashboard's HTTP server: its own thread and uv
 * loop, reading the engine only through throng_report_json() (live
 * reports) and stopping it only through throng_stop(), so that nothing of
 * the engine waits for it and it waits for nothing of the engine.
 *
 * Four times a second the loop takes the report so far (from the engine,
 * or from the source of throng_dashboard_start_with(), e.g. a home's
 * groups merged); when a new whole
 * second has settled (or the run started or ended) it makes the snapshot
 * (core/dashboard.h) and sends it to every viewer of /events. A viewer
 * whose unsent events pass DASH_VIEWER_QUEUE bytes is closed and counted
 * dropped. Every other answer closes its connection once written. */
#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uv.h>

#include "throng.h"
#include "core/dashboard.h"
#include "core/engine.h"
#include "util/address.h"
#include "util/error.h"

/* The page, compiled in from core/dashboard_page.html (deps/embed_file.cmake). */
extern const char throng__dashboard_page[];
extern const size_t throng__dashboard_page_len;

#define DASH_REQUEST_MAX 8192          /* bytes of a request's head */
#define DASH_VIEWER_QUEUE (256 * 1024) /* unsent bytes a viewer may have */
#define DASH_TICK_MS 250

typedef struct dash_conn {
    uv_tcp_t tcp;
    struct throng_dashboard *d;
    struct dash_conn *prev, *next;
    size_t len;
    int viewer;  /* an /events stream */
    int closing; /* uv_close called */
    char req[DASH_REQUEST_MAX];
} dash_conn_t;

struct throng_dashboard {
    throng_engine_t *engine; /* or, without one: */
    throng_dashboard_source_fn source;
    throng_dashboard_stop_fn stop;
    void *data;
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_timer_t tick;
    uv_async_t wake;
    uv_thread_t thread;
    char address[64];
    char token[33];
    char *page; /* the page with its token */
    size_t page_len;
    /* Loop thread only: */
    dash_conn_t *conns;
    cJSON *report; /* the latest report so far (NULL before the start) */
    int ended;
    double last_t;  /* the series' last whole second sent */
    int last_state; /* 0 starting, 1 running, 2 ended */
    char *snapshot; /* the latest snapshot's text */
    char *history;  /* the same with the whole series so far: /snapshot.json */
    throng__dash_prev_t prev;
    /* Any thread: */
    atomic_uint_least64_t requests, viewers, dropped, events;
};

/* ----------------------------------------------------------- connections */

static void on_conn_closed(uv_handle_t *h)
{
    dash_conn_t *c = h->data;
    if (c->prev)
        c->prev->next = c->next;
    else
        c->d->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    free(c);
}

static void conn_close(dash_conn_t *c)
{
    if (c->closing) return;
    c->closing = 1;
    if (c->viewer) atomic_fetch_sub(&c->d->viewers, 1);
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

typedef struct dash_write {
    uv_write_t req;
    dash_conn_t *c;
    int close_after;
    char data[];
} dash_write_t;

static void on_written(uv_write_t *req, int status)
{
    dash_write_t *w = (dash_write_t *)req;
    /* libuv calls every write's callback before the handle's close callback. */
    if (status != 0 || w->close_after) conn_close(w->c);
    free(w);
}

/* Writes what uv_try_write does not take through a queued write; with
 * close_after, closes the connection once all is written. */
static void conn_send(dash_conn_t *c, const char *data, size_t len, int close_after)
{
    if (c->closing) return;
    size_t done = 0;
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) == 0) {
        uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
        int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (n > 0)
            done = (size_t)n;
        else if (n != UV_EAGAIN && n != UV_ENOSYS) {
            conn_close(c);
            return;
        }
    }
    if (done == len) {
        if (close_after) conn_close(c);
        return;
    }
    dash_write_t *w = malloc(sizeof *w + len - done);
    if (!w) {
        conn_close(c);
        return;
    }
    w->c = c;
    w->close_after = close_after;
    memcpy(w->data, data + done, len - done);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)(len - done));
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
        free(w);
        conn_close(c);
    }
}

/* A whole answer; the connection closes after it. */
static void respond(dash_conn_t *c, const char *status, const char *type, const char *extra,
                    const char *body, size_t len)
{
    atomic_fetch_add(&c->d->requests, 1); /* counted before the peer can see it */
    throng__buf_t b = {0};
    throng__buf_printf(&b,
                       "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                       "Cache-Control: no-store\r\nConnection: close\r\n%s\r\n",
                       status, type, len, extra ? extra : "");
    throng__buf_append(&b, body, len);
    if (b.data)
        conn_send(c, b.data, b.len, 1);
    else
        conn_close(c);
    throng__buf_free(&b);
}

static void respond_text(dash_conn_t *c, const char *status, const char *extra, const char *text)
{
    respond(c, status, "text/plain; charset=utf-8", extra, text, strlen(text));
}

/* --------------------------------------------------------------- figures */

/* An event of the stream: "event: NAME" and the snapshot as its data. */
static void send_event(dash_conn_t *c, const char *name, const char *data)
{
    struct throng_dashboard *d = c->d;
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > DASH_VIEWER_QUEUE) {
        atomic_fetch_add(&d->dropped, 1);
        conn_close(c);
        return;
    }
    throng__buf_t b = {0};
    throng__buf_printf(&b, "event: %s\ndata: %s\n\n", name, data);
    if (b.data) conn_send(c, b.data, b.len, 0);
    throng__buf_free(&b);
    atomic_fetch_add(&d->events, 1);
}

/* Takes the report so far; on a new whole second or a new state, makes
 * the snapshot and sends it to every viewer. */
static void refresh(struct throng_dashboard *d)
{
    char *json = NULL;
    int ended = 0, taken = d->engine ? throng_report_json(d->engine, &json) == 0
                                     : d->source(d->data, &json, &ended) == 0;
    cJSON *doc = taken && json ? cJSON_Parse(json) : NULL;
    if (doc) {
        cJSON_Delete(d->report);
        d->report = doc;
        const cJSON *ending = cJSON_GetObjectItemCaseSensitive(doc, "ending");
        if (d->engine)
            d->ended = cJSON_IsString(ending) && strcmp(ending->valuestring, "none") != 0;
    }
    /* A source says the state even with no figures new (or none now); its
     * report (a merge, say) may not say "none" while it goes on. */
    if (!d->engine) d->ended = ended;
    if (!d->engine && !ended && cJSON_GetObjectItemCaseSensitive(d->report, "ending"))
        cJSON_ReplaceItemInObjectCaseSensitive(d->report, "ending", cJSON_CreateString("none"));
    throng_free(json);
    int state = !d->report ? 0 : d->ended ? 2 : 1;
    double t = 0;
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(d->report, "series");
    int n = cJSON_GetArraySize(series);
    if (n > 0) {
        const cJSON *tv = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(series, n - 1), "t");
        if (cJSON_IsNumber(tv)) t = tv->valuedouble;
    }
    if (d->snapshot && state == d->last_state && t == d->last_t) return;
    cJSON *s = throng__dash_snapshot(d->report, d->ended, &d->prev, atomic_load(&d->viewers),
                                     atomic_load(&d->dropped));
    /* Every second settled since the last event (one, unless the loop was
     * late), so that a viewer's charts miss none. */
    cJSON *fresh = s ? cJSON_AddArrayToObject(s, "seconds") : NULL;
    const cJSON *point;
    cJSON_ArrayForEach(point, series)
    {
        const cJSON *pt = cJSON_GetObjectItemCaseSensitive(point, "t");
        if (fresh && cJSON_IsNumber(pt) && pt->valuedouble > d->last_t)
            cJSON_AddItemToArray(fresh, cJSON_Duplicate(point, 1));
    }
    char *text = s ? cJSON_PrintUnformatted(s) : NULL;
    /* /snapshot.json carries the series so far, for a page opened late. */
    if (s && series) cJSON_AddItemToObject(s, "series", cJSON_Duplicate(series, 1));
    char *history = s ? cJSON_PrintUnformatted(s) : NULL;
    cJSON_Delete(s);
    if (!text || !history) { /* out of memory: the next tick tries again */
        free(text);
        free(history);
        return;
    }
    free(d->snapshot);
    free(d->history);
    d->snapshot = text;
    d->history = history;
    d->last_state = state;
    d->last_t = t;
    dash_conn_t *next;
    for (dash_conn_t *c = d->conns; c; c = next) {
        next = c->next; /* send_event may close c, not unlink it */
        if (c->viewer && !c->closing) send_event(c, state == 2 ? "end" : "second", d->snapshot);
    }
}

static void on_tick(uv_timer_t *t)
{
    refresh(t->data);
}

/* -------------------------------------------------------------- requests */

/* The value of header name in a request head (NUL-terminated), into out. */
static int header(const char *head, const char *name, char *out, size_t len)
{
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        const char *h = p + 2;
        if (strncasecmp(h, name, n) != 0 || h[n] != ':') continue;
        h += n + 1;
        while (*h == ' ' || *h == '\t')
            h++;
        const char *e = strstr(h, "\r\n");
        size_t vlen = e ? (size_t)(e - h) : strlen(h);
        if (vlen >= len) vlen = len - 1;
        memcpy(out, h, vlen);
        out[vlen] = 0;
        return 1;
    }
    return 0;
}

static void serve_metrics(dash_conn_t *c, const char *head)
{
    char accept[512] = "";
    header(head, "Accept", accept, sizeof accept);
    int om = strstr(accept, "application/openmetrics-text") != NULL;
    throng__buf_t b = {0};
    if (throng__dash_metrics(c->d->report, c->d->ended, om, &b) != 0) {
        throng__buf_free(&b);
        respond_text(c, "503 Service Unavailable", NULL, "out of memory\n");
        return;
    }
    respond(c, "200 OK",
            om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
               : "text/plain; version=0.0.4; charset=utf-8",
            NULL, b.data, b.len);
    throng__buf_free(&b);
}

static void serve_events(dash_conn_t *c)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                               "Cache-Control: no-store\r\nConnection: keep-alive\r\n\r\n"
                               "retry: 2000\n\n";
    atomic_fetch_add(&c->d->requests, 1);
    conn_send(c, head, sizeof head - 1, 0);
    if (c->closing) return;
    c->viewer = 1;
    atomic_fetch_add(&c->d->viewers, 1);
    if (c->d->snapshot) send_event(c, c->d->last_state == 2 ? "end" : "second", c->d->snapshot);
}

static void serve_stop(dash_conn_t *c, const char *head)
{
    char token[64] = "";
    header(head, "X-Throng-Token", token, sizeof token);
    if (strcmp(token, c->d->token) != 0) {
        respond_text(c, "403 Forbidden", NULL, "the stop needs the page's X-Throng-Token\n");
        return;
    }
    if (c->d->engine)
        throng_stop(c->d->engine);
    else
        c->d->stop(c->d->data);
    respond(c, "202 Accepted", "application/json", NULL, "{\"stopping\":true}\n", 18);
}

/* Routes a request whose head is complete. */
static void serve(dash_conn_t *c)
{
    struct throng_dashboard *d = c->d;
    char method[16], target[1024];
    if (sscanf(c->req, "%15s %1023s HTTP/1.", method, target) != 2) {
        respond_text(c, "400 Bad Request", NULL, "bad request\n");
        return;
    }
    char *q = strchr(target, '?');
    if (q) *q = 0;
    int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    int page = strcmp(target, "/") == 0 || strcmp(target, "/index.html") == 0;
    int events = strcmp(target, "/events") == 0;
    int snapshot = strcmp(target, "/snapshot.json") == 0;
    int metrics = strcmp(target, "/metrics") == 0;
    int stop = strcmp(target, "/stop") == 0 && (d->engine || d->stop);
    if (!page && !events && !snapshot && !metrics && !stop)
        respond_text(c, "404 Not Found", NULL, "not found\n");
    else if (stop && !post)
        respond_text(c, "405 Method Not Allowed", "Allow: POST\r\n", "method not allowed\n");
    else if (!stop && !get)
        respond_text(c, "405 Method Not Allowed", "Allow: GET\r\n", "method not allowed\n");
    else if (page)
        respond(c, "200 OK", "text/html; charset=utf-8",
                "Content-Security-Policy: default-src 'self' 'unsafe-inline'; img-src data:\r\n",
                d->page, d->page_len);
    else if (events)
        serve_events(c);
    else if (snapshot)
        respond(c, "200 OK", "application/json", NULL, d->history ? d->history : "{}",
                d->history ? strlen(d->history) : 2);
    else if (metrics)
        serve_metrics(c, c->req);
    else
        serve_stop(c, c->req);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    dash_conn_t *c = h->data;
    size_t room = sizeof c->req - 1 - c->len;
    /* A viewer's further bytes (none are expected) land in its buffer's start. */
    if (c->viewer || room == 0) c->len = 0, room = sizeof c->req - 1;
    *buf = uv_buf_init(c->req + c->len, (unsigned)room);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    dash_conn_t *c = s->data;
    if (n < 0) {
        conn_close(c);
        return;
    }
    if (n == 0 || c->viewer || c->closing) return;
    c->len += (size_t)n;
    c->req[c->len] = 0;
    if (strstr(c->req, "\r\n\r\n")) {
        uv_read_stop(s); /* one request a connection; a POST's body is not read */
        serve(c);
    } else if (c->len >= sizeof c->req - 1) {
        uv_read_stop(s);
        respond_text(c, "431 Request Header Fields Too Large", NULL, "request head too large\n");
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    struct throng_dashboard *d = server->data;
    if (status != 0) return;
    dash_conn_t *c = calloc(1, sizeof *c);
    if (!c) return;
    c->d = d;
    if (uv_tcp_init(&d->loop, &c->tcp) != 0) {
        free(c);
        return;
    }
    c->tcp.data = c;
    c->next = d->conns;
    if (d->conns) d->conns->prev = c;
    d->conns = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
        conn_close(c);
}

/* ----------------------------------------------------------- life cycle */

static void on_wake(uv_async_t *a)
{
    struct throng_dashboard *d = a->data;
    uv_close((uv_handle_t *)&d->listener, NULL);
    uv_close((uv_handle_t *)&d->tick, NULL);
    uv_close((uv_handle_t *)&d->wake, NULL);
    for (dash_conn_t *c = d->conns; c; c = c->next)
        conn_close(c);
}

static void run_loop(void *arg)
{
    struct throng_dashboard *d = arg;
    uv_run(&d->loop, UV_RUN_DEFAULT);
}

/* The page with its token in place of __THRONG_TOKEN__. */
static int make_page(struct throng_dashboard *d)
{
    static const char mark[] = "__THRONG_TOKEN__";
    const char *page = throng__dashboard_page, *at = strstr(page, mark);
    size_t before = at ? (size_t)(at - page) : throng__dashboard_page_len;
    throng__buf_t b = {0};
    int bad = throng__buf_append(&b, page, before);
    if (at) {
        bad |= throng__buf_puts(&b, d->token);
        bad |= throng__buf_puts(&b, at + sizeof mark - 1);
    }
    if (bad || !b.data) {
        throng__buf_free(&b);
        return THRONG_ENOMEM;
    }
    d->page = b.data; /* the buffer's own: freed with free() */
    d->page_len = b.len;
    return 0;
}

static int make_token(struct throng_dashboard *d)
{
    unsigned char raw[16];
    if (uv_random(NULL, NULL, raw, sizeof raw, 0, NULL) != 0) return THRONG_ESYS;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(d->token + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* Binds and listens; the address actually listened on into d->address. */
static int listen_on(struct throng_dashboard *d, const char *listen, char *msg)
{
    throng__address_t a;
    int rc = throng__address_parse(listen, 5665, "dashboard address", &a, msg);
    if (rc == 0) rc = throng__address_resolve(&a, msg);
    if (rc != 0) return rc;
    int e = uv_tcp_bind(&d->listener, (const struct sockaddr *)&a.sa, 0);
    if (e == 0) e = uv_listen((uv_stream_t *)&d->listener, 128, on_connection);
    if (e != 0) {
        snprintf(msg, THRONG__ERRMSG_LEN, "dashboard: cannot listen on %s: %s", listen,
                 uv_strerror(e));
        return THRONG_ELISTEN;
    }
    struct sockaddr_storage ss;
    int len = sizeof ss;
    uv_tcp_getsockname(&d->listener, (struct sockaddr *)&ss, &len);
    throng__sockaddr_text((const struct sockaddr *)&ss, d->address, sizeof d->address);
    return 0;
}

static void dash_free_memory(struct throng_dashboard *d)
{
    cJSON_Delete(d->report);
    free(d->snapshot);
    free(d->history);
    free(d->page);
    free(d);
}

/* Starts a dashboard fed by an engine or by a source (the other NULL). */
static int dash_start(throng_engine_t *engine, throng_dashboard_source_fn source,
                      throng_dashboard_stop_fn stop, void *data, const char *listen,
                      throng_dashboard_t **out, char *err, size_t errlen)
{
    char msg[THRONG__ERRMSG_LEN] = "";
    int rc = THRONG_EINVAL;
    struct throng_dashboard *d = NULL;
    if ((!engine && !source) || !out) {
        snprintf(msg, sizeof msg, "invalid argument");
        goto fail;
    }
    if (engine && !engine->cfg.live_reports) {
        snprintf(msg, sizeof msg,
                 "a dashboard needs the engine's live reports (config.live_reports)");
        goto fail;
    }
    rc = THRONG_ENOMEM;
    if (!(d = calloc(1, sizeof *d))) goto fail;
    d->engine = engine;
    d->source = source;
    d->stop = stop;
    d->data = data;
    if ((rc = make_token(d)) != 0 || (rc = make_page(d)) != 0) {
        snprintf(msg, sizeof msg, "dashboard: %s", throng_strerror(rc));
        goto fail;
    }
    rc = THRONG_ESYS;
    if (uv_loop_init(&d->loop) != 0) goto fail;
    uv_tcp_init(&d->loop, &d->listener);
    d->listener.data = d;
    rc = listen_on(d, listen ? listen : THRONG_DASHBOARD_LISTEN, msg);
    if (rc == 0) {
        uv_timer_init(&d->loop, &d->tick);
        d->tick.data = d;
        uv_async_init(&d->loop, &d->wake, on_wake);
        d->wake.data = d;
        refresh(d);
        uv_timer_start(&d->tick, on_tick, DASH_TICK_MS, DASH_TICK_MS);
        /* The thread takes no process signals: a write to a viewer gone
         * fails with EPIPE instead of ending the program with SIGPIPE, and
         * SIGINT/SIGTERM stay with the program's own threads. It inherits
         * the mask it is created with. */
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGPIPE);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGHUP);
        sigaddset(&block, SIGUSR1);
        pthread_sigmask(SIG_BLOCK, &block, &old);
        int started = uv_thread_create(&d->thread, run_loop, d) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (started) {
            *out = d;
            return 0;
        }
        snprintf(msg, sizeof msg, "dashboard: cannot start its thread");
        rc = THRONG_ESYS;
        uv_close((uv_handle_t *)&d->tick, NULL);
        uv_close((uv_handle_t *)&d->wake, NULL);
    }
    uv_close((uv_handle_t *)&d->listener, NULL);
    uv_run(&d->loop, UV_RUN_DEFAULT);
    uv_loop_close(&d->loop);
fail:
    if (!msg[0]) snprintf(msg, sizeof msg, "dashboard: %s", throng_strerror(rc));
    if (d) dash_free_memory(d);
    if (err && errlen) snprintf(err, errlen, "%s", msg);
    return rc;
}

int throng_dashboard_start(throng_engine_t *engine, const char *listen, throng_dashboard_t **out,
                           char *err, size_t errlen)
{
    if (!engine) {
        if (err && errlen) snprintf(err, errlen, "invalid argument");
        return THRONG_EINVAL;
    }
    return dash_start(engine, NULL, NULL, NULL, listen, out, err, errlen);
}

int throng_dashboard_start_with(throng_dashboard_source_fn source, throng_dashboard_stop_fn stop,
                                void *data, const char *listen, throng_dashboard_t **out, char *err,
                                size_t errlen)
{
    if (!source) {
        if (err && errlen) snprintf(err, errlen, "invalid argument");
        return THRONG_EINVAL;
    }
    return dash_start(NULL, source, stop, data, listen, out, err, errlen);
}

const char *throng_dashboard_address(const throng_dashboard_t *d)
{
    return d ? d->address : NULL;
}

void throng_dashboard_stats(const throng_dashboard_t *d, throng_dashboard_stats_t *stats)
{
    if (!stats) return;
    memset(stats, 0, sizeof *stats);
    if (!d) return;
    throng_dashboard_t *m = (throng_dashboard_t *)d; /* atomics are read, not changed */
    stats->requests = atomic_load(&m->requests);
    stats->viewers = atomic_load(&m->viewers);
    stats->viewers_dropped = atomic_load(&m->dropped);
    stats->events = atomic_load(&m->events);
}

void throng_dashboard_free(throng_dashboard_t *d)
{
    if (!d) return;
    uv_async_send(&d->wake);
    uv_thread_join(&d->thread);
    int rc = uv_loop_close(&d->loop);
    (void)rc;
    assert(rc == 0);
    dash_free_memory(d);
}
