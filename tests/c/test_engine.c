/* test_engine.c - libthrong as an embedding program uses it, through
 * throng.h only: error codes and their names, every setting refused with a
 * message that names it, and short real runs against the demonstration
 * server started in-process on a free loopback port - a request limit met
 * exactly, a persona's script error contained to its client, a stop from
 * another thread, the text report, and a run whose every client faults out. */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "throng.h"

static throng_server_t *server;
static char server_addr[64];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int contains(const char *s, const char *needle)
{
    return s && strstr(s, needle) != NULL;
}

/* --------------------------------------------------------------- errors */

/* The error codes as throng.h documents them, written out here and not
 * taken from THRONG_ERRNO_MAP: a code renumbered, renamed, added or dropped
 * in the header, or a case lost from error.c, fails the checks below. A new
 * code is added here too. */
static const struct {
    int code;
    const char *label;
} error_codes[] = {
    {-1, "EINVAL"},   {-2, "ENOMEM"},  {-3, "ESTATE"}, {-4, "EADDR"},   {-5, "ERESOLVE"},
    {-6, "EPERSONA"}, {-7, "ESCRIPT"}, {-8, "ESYS"},   {-9, "ELISTEN"},
};
#define ERROR_CODES (sizeof error_codes / sizeof error_codes[0])

/* The index of code in error_codes, or -1. */
static int known_code(int code)
{
    for (size_t i = 0; i < ERROR_CODES; i++)
        if (error_codes[i].code == code) return (int)i;
    return -1;
}

static void test_error_names(void)
{
    /* The header's table is the one written above: as many entries, each
     * code with its name, and the enum's value is the table's code. */
#define COUNT(name, code, msg) +1
    CHECK_INT(0 THRONG_ERRNO_MAP(COUNT), ERROR_CODES);
#undef COUNT
#define XX(name, code, msg)                                                                        \
    CHECK_INT(THRONG_##name, code);                                                                \
    CHECK(known_code(code) >= 0 && strcmp(error_codes[known_code(code)].label, #name) == 0);       \
    CHECK_STR(throng_strerror(THRONG_##name), msg);
    THRONG_ERRNO_MAP(XX)
#undef XX

    /* Every code: negative, its name, and a message of its own that a user
     * can tell from every other code's and from the unknown one's. */
    const char *unknown = throng_strerror(-999);
    CHECK(unknown != NULL && unknown[0] != '\0');
    CHECK_STR(throng_err_name(0), "OK");
    CHECK(throng_strerror(0) != NULL && throng_strerror(0)[0] != '\0');
    CHECK(strcmp(throng_strerror(0), unknown) != 0);
    for (size_t i = 0; i < ERROR_CODES; i++) {
        int code = error_codes[i].code;
        const char *msg = throng_strerror(code);
        CHECK(code < 0);
        CHECK_STR(throng_err_name(code), error_codes[i].label);
        if (!msg || !msg[0] || strcmp(msg, unknown) == 0 || strcmp(msg, throng_strerror(0)) == 0) {
            fprintf(stderr, "%s (%d) has no message of its own: \"%s\"\n", error_codes[i].label,
                    code, msg ? msg : "(null)");
            CHECK(!"every code has a message");
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(msg, throng_strerror(error_codes[j].code)) == 0) {
                fprintf(stderr, "%s and %s share the message \"%s\"\n", error_codes[j].label,
                        error_codes[i].label, msg);
                CHECK(!"every code has a distinct message");
            }
    }

    /* Any other number is unknown, and says so the same way. */
    const int others[] = {INT_MIN, -1000, -999, 1, 7, 1000, INT_MAX};
    for (int c = -64; c <= 64; c++) {
        if (c == 0 || known_code(c) >= 0) continue;
        CHECK_STR(throng_strerror(c), "unknown error");
        CHECK_STR(throng_err_name(c), "EUNKNOWN");
    }
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        CHECK_STR(throng_strerror(others[i]), "unknown error");
        CHECK_STR(throng_err_name(others[i]), "EUNKNOWN");
    }

    CHECK_STR(throng_fault_name(THRONG_FAULT_NOT_CONNECTED), "not-connected");
    CHECK_STR(throng_fault_name(THRONG_FAULT_SCRIPT_ERROR), "script-error");
    CHECK_STR(throng_fault_name(THRONG_FAULT_ABORTED), "aborted");
    for (int k = 0; k < THRONG_FAULT_KINDS; k++)
        CHECK(throng_fault_name((throng_fault_t)k) != NULL &&
              strcmp(throng_fault_name((throng_fault_t)k), "unknown") != 0);
    CHECK_STR(throng_fault_name(THRONG_FAULT_KINDS), "unknown");
    CHECK_STR(throng_version(), THRONG_VERSION_STRING);
}

/* An engine aimed at the test server with one group of `clients`. */
static throng_engine_t *engine_with(throng_config_t *c, const throng_group_t *g)
{
    throng_engine_t *e = throng_engine_new(c);
    CHECK(e != NULL);
    if (e && g) CHECK_INT(throng_add_group(e, g), 0);
    return e;
}

/* Starting an engine with group g fails with want, the message naming
 * every one of the NULL-terminated words. */
static void check_start_fails(const char *server_text, const throng_group_t *g, int want,
                              const char *const *words)
{
    throng_config_t c;
    throng_config_init(&c);
    c.server = server_text;
    throng_engine_t *e = engine_with(&c, g);
    if (!e) return;
    int rc = throng_start(e);
    const char *msg = throng_errmsg(e);
    int named = 1;
    for (int i = 0; words[i]; i++)
        named &= contains(msg, words[i]);
    if (rc != want || !named) {
        fprintf(stderr, "start -> %s (%s), expected %s naming", throng_err_name(rc), msg,
                throng_err_name(want));
        for (int i = 0; words[i]; i++)
            fprintf(stderr, " '%s'", words[i]);
        fprintf(stderr, "\n");
        CHECK(!"start refused with a reason");
    }
    /* A refused start leaves nothing to wait for or report. */
    CHECK(throng_report(e) == NULL);
    throng_engine_free(e);
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_refusals(void)
{
    throng_engine_t *e = throng_engine_new(NULL);
    CHECK(e != NULL);
    if (!e) return;
    CHECK(throng_errmsg(e) != NULL);
    CHECK_INT(throng_wait(e), THRONG_ESTATE);
    CHECK(throng_report(e) == NULL);
    char *text = NULL;
    CHECK(throng_report_text(e, 0, &text) < 0);
    CHECK(text == NULL);
    throng_stop(e); /* idle: nothing happens */
    CHECK_INT(throng_start(e), THRONG_EINVAL);
    CHECK(contains(throng_errmsg(e), "group"));

    throng_group_t g;
    throng_group_init(&g);
    g.clients = 0;
    CHECK_INT(throng_add_group(e, &g), THRONG_EINVAL);
    CHECK(contains(throng_errmsg(e), "clients"));

    throng_group_init(&g);
    g.persona = "table";
    g.persona_source = "return {request = function() end}";
    CHECK_INT(throng_add_group(e, &g), THRONG_EINVAL);
    CHECK(contains(throng_errmsg(e), "persona"));

    throng_group_init(&g);
    g.request_count = 0;
    CHECK_INT(throng_add_group(e, &g), THRONG_EINVAL);
    CHECK(contains(throng_errmsg(e), "request_count"));
    throng_engine_free(e);
    throng_engine_free(NULL);

    throng_group_t t;
    throng_group_init(&t);
    t.clients = 2;
    t.persona = "nope"; /* refused as it is added, before any start */
    throng_engine_t *nope = throng_engine_new(NULL);
    if (nope) {
        CHECK_INT(throng_add_group(nope, &t), THRONG_EPERSONA);
        CHECK(contains(throng_errmsg(nope), "unknown persona 'nope'"));
        throng_engine_free(nope);
    }

    throng_group_init(&t);
    t.clients = 2;
    t.persona_source = "local P = {}\n"
                       "function P:request()\n"
                       "  return { path = '/' \n"
                       "end\n"
                       "return P\n";
    check_start_fails(server_addr, &t, THRONG_ESCRIPT, WORDS("persona:", ":4:"));

    t.persona_source = "local P = {}\nfunction P:response(res) end\nreturn P\n";
    check_start_fails(server_addr, &t, THRONG_ESCRIPT, WORDS("request"));

    t.persona_source = "error('no good')\n";
    check_start_fails(server_addr, &t, THRONG_ESCRIPT, WORDS("persona:1:", "no good"));

    t.persona_source = "return 42\n";
    check_start_fails(server_addr, &t, THRONG_ESCRIPT, WORDS("table"));

    t.persona_source = "return { request = function() end,\n"
                       "         init = function(self, args) error('init says no') end }\n";
    check_start_fails(server_addr, &t, THRONG_ESCRIPT, WORDS("persona:2:", "init says no"));

    throng_group_init(&t);
    t.clients = 2;
    check_start_fails("h:abc", &t, THRONG_EADDR, WORDS("abc"));
    check_start_fails("gopher://127.0.0.1:1", &t, THRONG_EADDR, WORDS("https://"));
    check_start_fails("no-such-host.invalid:80", &t, THRONG_ERESOLVE,
                      WORDS("no-such-host.invalid"));
    /* A group's own server overrides the engine's. */
    t.server = "h:abc";
    check_start_fails(server_addr, &t, THRONG_EADDR, WORDS("abc"));
}

/* ----------------------------------------------------------------- runs */

static throng_engine_t *run_engine(throng_config_t *c, const throng_group_t *g, int *rc)
{
    throng_engine_t *e = engine_with(c, g);
    if (!e) return NULL;
    *rc = throng_run(e);
    if (*rc != 0) fprintf(stderr, "run: %s: %s\n", throng_err_name(*rc), throng_errmsg(e));
    return e;
}

static void server_stats(throng_server_stats_t *s)
{
    throng_server_stats(server, s);
}

/* (a) A request limit is met exactly, whatever the clients and threads. */
static void test_request_limit(void)
{
    throng_server_stats_t before, after;
    server_stats(&before);
    throng_config_t c;
    throng_config_init(&c);
    c.server = server_addr;
    c.max_requests = 200;
    c.seed = 1;
    throng_group_t g;
    throng_group_init(&g);
    g.clients = 4;
    g.threads = 2;
    g.request_count = 3;
    g.slow_down = 0;
    static const char *const table_args[] = {"big_table=20"};
    g.args = table_args;
    g.nargs = 1;
    throng_engine_t *e = engine_with(&c, &g);
    if (!e) return;
    throng_stop(e); /* before the start: must not be remembered */
    double t0 = now();
    CHECK_INT(throng_run(e), 0);
    CHECK(now() - t0 < 2.0);
    const throng_report_t *r = throng_report(e);
    CHECK(r != NULL);
    if (r) {
        CHECK_INT(r->ending, THRONG_END_REQUESTS);
        CHECK_INT(r->requests, 200);
        CHECK_INT(r->failures, 0);
        for (int k = 0; k < THRONG_FAULT_KINDS; k++)
            CHECK_INT(r->faults[k], 0);
        CHECK_INT(r->status[2], 200);
        CHECK_INT(r->clients, 4);
        CHECK_INT(r->clients_faulted, 0);
        CHECK_INT(r->latency.count, 200);
        CHECK(r->latency.min > 0 && r->latency.min <= r->latency.p50 &&
              r->latency.p50 <= r->latency.max);
        CHECK(r->sessions >= 200 / 3 - 4);
        CHECK(r->connects >= r->sessions);
        CHECK(r->bytes_sent > 200 * 40 && r->bytes_received > 200 * 40);
        CHECK(r->elapsed > 0 && r->elapsed < 2.0);
    }
    /* A finished engine cannot run again. */
    CHECK_INT(throng_start(e), THRONG_ESTATE);
    throng_engine_free(e);
    server_stats(&after);
    CHECK_INT(after.requests - before.requests, 200);
    CHECK_INT(after.tables - before.tables, 200);
    CHECK_INT(after.bad - before.bad, 0);
}

/* (b) A Lua error in a hook is a script-error fault of one client, naming
 * the line; the engine and the other clients go on. */
static const char boom_persona[] = "local throng = require 'throng'\n"
                                   "local P = {}\n"
                                   "local calls = 0\n"
                                   "function P:request()\n"
                                   "  return { method = 'GET', path = '/Xy?x=2&y=3' }\n"
                                   "end\n"
                                   "function P:response(res)\n"
                                   "  calls = calls + 1\n"
                                   "  if calls == 5 then error('boom') end\n"
                                   "  local rows, cols = throng.table_shape(res)\n"
                                   "  if rows ~= 3 or cols ~= 2 then return false, 'bad' end\n"
                                   "end\n"
                                   "return P\n";

static void test_script_error(void)
{
    throng_config_t c;
    throng_config_init(&c);
    c.server = server_addr;
    c.max_requests = 60;
    throng_group_t g;
    throng_group_init(&g);
    g.clients = 4;
    g.threads = 1;
    g.slow_down = 0;
    g.persona_source = boom_persona;
    int rc;
    throng_engine_t *e = run_engine(&c, &g, &rc);
    if (!e) return;
    CHECK_INT(rc, 0);
    const throng_report_t *r = throng_report(e);
    CHECK(r != NULL);
    if (r) {
        CHECK_INT(r->faults[THRONG_FAULT_SCRIPT_ERROR], 1);
        CHECK_INT(r->faults[THRONG_FAULT_INVALID], 0);
        const char *sample = r->fault_sample[THRONG_FAULT_SCRIPT_ERROR];
        CHECK(contains(sample, "persona:9:"));
        CHECK(contains(sample, "boom"));
        CHECK(r->requests > 5);
        CHECK_INT(r->clients_faulted, 1);
        CHECK_INT(r->ending, THRONG_END_REQUESTS);
    }
    throng_engine_free(e);
}

static void *stop_later(void *arg)
{
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    throng_stop(arg);
    return NULL;
}

static void count_progress(const throng_progress_t *p, void *data)
{
    int *calls = data;
    if (p->elapsed > 0) (*calls)++;
}

/* (c) throng_stop() from another thread ends a long run at once. */
static void test_stop(void)
{
    throng_config_t c;
    throng_config_init(&c);
    c.server = server_addr;
    c.duration = 30;
    int calls = 0;
    c.progress = count_progress;
    c.progress_data = &calls;
    c.progress_interval = 0.1;
    throng_group_t g;
    throng_group_init(&g);
    g.clients = 4;
    g.threads = 2;
    g.slow_down = 0.01;
    static const char *const table_args[] = {"big_table=10"};
    g.args = table_args;
    g.nargs = 1;
    throng_engine_t *e = engine_with(&c, &g);
    if (!e) return;
    double t0 = now();
    CHECK_INT(throng_start(e), 0);
    CHECK_INT(throng_start(e), THRONG_ESTATE);
    pthread_t tid;
    CHECK_INT(pthread_create(&tid, NULL, stop_later, e), 0);
    CHECK_INT(throng_wait(e), 0);
    double took = now() - t0;
    pthread_join(tid, NULL);
    CHECK(took >= 0.25 && took < 1.3);
    CHECK(calls >= 1);
    const throng_report_t *r = throng_report(e);
    CHECK(r != NULL);
    if (r) {
        CHECK_INT(r->ending, THRONG_END_STOPPED);
        CHECK(r->requests > 0);
        CHECK(r->elapsed < 1.3);
        CHECK_INT(r->clients_faulted, 0);
    }

    /* (d) The text report names what was measured and how it ended. */
    char *text = NULL;
    CHECK_INT(throng_report_text(e, 0, &text), 0);
    CHECK(contains(text, "requests"));
    CHECK(contains(text, "aborted"));
    CHECK(contains(text, server_addr));
    throng_free(text);
    throng_stop(e); /* ended: nothing happens */
    throng_engine_free(e);
}

/* (e) A server that always answers the wrong size: every client faults out
 * with "invalid", and the run ends because no client is left. */
static void test_all_faulted(void)
{
    throng_server_t *bad = throng_server_new();
    throng_server_config_t sc;
    throng_server_config_init(&sc);
    sc.listen = "127.0.0.1:0";
    sc.wrong_size = 1;
    CHECK(bad != NULL);
    if (!bad) return;
    int rc = throng_server_start(bad, &sc);
    CHECK_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "server: %s\n", throng_server_errmsg(bad));
        throng_server_free(bad);
        return;
    }
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", throng_server_port(bad));

    throng_config_t c;
    throng_config_init(&c);
    c.server = addr;
    c.duration = 5; /* a safety net: the run should end far sooner */
    throng_group_t g;
    throng_group_init(&g);
    g.clients = 3;
    g.threads = 2;
    g.slow_down = 0;
    static const char *const table_args[] = {"big_table=8"};
    g.args = table_args;
    g.nargs = 1;
    double t0 = now();
    throng_engine_t *e = run_engine(&c, &g, &rc);
    CHECK(now() - t0 < 2.0);
    if (e) {
        CHECK_INT(rc, 0);
        const throng_report_t *r = throng_report(e);
        CHECK(r != NULL);
        if (r) {
            CHECK_INT(r->ending, THRONG_END_CLIENTS);
            CHECK_INT(r->faults[THRONG_FAULT_INVALID], 3);
            CHECK(contains(r->fault_sample[THRONG_FAULT_INVALID], "not the matching table"));
            CHECK_INT(r->clients, 3);
            CHECK_INT(r->clients_faulted, 3);
            CHECK_INT(r->clients_active, 0);
            CHECK_INT(r->failures, 3);
            CHECK_INT(r->requests, 3);
        }
        throng_engine_free(e);
    }
    throng_server_free(bad);
}

/* A port nobody listens on: clients cannot connect and leave. The port is
 * held by a bound socket that never listens, so no one else can take it. */
static void test_refused_connection(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof sa;
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        CHECK(!"a bound socket");
        if (fd >= 0) close(fd);
        return;
    }
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(sa.sin_port));
    throng_config_t c;
    throng_config_init(&c);
    c.server = addr;
    c.duration = 5;
    throng_group_t g;
    throng_group_init(&g);
    g.clients = 2;
    int rc;
    double t0 = now();
    throng_engine_t *e = run_engine(&c, &g, &rc);
    CHECK(now() - t0 < 2.0);
    if (e) {
        CHECK_INT(rc, 0);
        const throng_report_t *r = throng_report(e);
        if (r) {
            CHECK_INT(r->ending, THRONG_END_CLIENTS);
            CHECK_INT(r->faults[THRONG_FAULT_NOT_CONNECTED], 2);
            CHECK(contains(r->fault_sample[THRONG_FAULT_NOT_CONNECTED], addr));
            CHECK_INT(r->requests, 0);
        }
        throng_engine_free(e);
    }
    close(fd);
}

int main(void)
{
    test_error_names();

    server = throng_server_new();
    throng_server_config_t sc;
    throng_server_config_init(&sc);
    sc.listen = "127.0.0.1:0";
    sc.threads = 2;
    CHECK(server != NULL);
    if (!server || throng_server_start(server, &sc) != 0) {
        fprintf(stderr, "cannot start the demonstration server: %s\n",
                server ? throng_server_errmsg(server) : "out of memory");
        CHECK(!"server started");
        return check_result("test_engine");
    }
    CHECK(throng_server_port(server) > 0);
    snprintf(server_addr, sizeof server_addr, "127.0.0.1:%d", throng_server_port(server));

    test_refusals();
    test_request_limit();
    test_script_error();
    test_stop();
    test_all_faulted();
    test_refused_connection();

    throng_server_stop(server);
    CHECK_INT(throng_server_wait(server), 0);
    throng_server_free(server);
    return check_result("test_engine");
}
