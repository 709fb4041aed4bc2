/* test_api.c - the public C API, as an embedding program meets it, through
 * throng.h alone: every function given NULL or called at the wrong time
 * answers with its error code and a message instead of crashing; settings,
 * personas, addresses, function names and thresholds are refused with a
 * reason; an engine's lifecycle (stop before start, start twice, wait twice,
 * add after start, free while running); two engines one after the other and
 * at the same time, each counting only its own requests; throng_stop() from
 * another thread; the progress and log callbacks and the threads they run
 * on; registered C functions and their data pointers; the JSON report; and
 * the library's promises: it never prints and installs no signal handler.
 *
 * Calls that could crash run in a child process (in_child), so that a crash
 * is reported as a failed check naming the call. */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <lauxlib.h>
#include <lua.h>

#include "check.h"
#include "throng.h"

static throng_server_t *server; /* the shared demonstration server */
static char server_addr[64];
static pthread_t main_thread;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_for(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static int contains(const char *s, const char *needle)
{
    return s && strstr(s, needle) != NULL;
}

/* CHECK that a call failed with code want and a message naming `word`. */
#define CHECK_FAILS(call, e, want, word)                                                           \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        const char *msg_ = throng_errmsg(e);                                                       \
        if (rc_ != (want) || !contains(msg_, (word))) {                                            \
            fprintf(stderr, "%s:%d: %s -> %s \"%s\", expected %s naming '%s'\n", __FILE__,         \
                    __LINE__, #call, throng_err_name(rc_), msg_, throng_err_name(want), (word));   \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

/* Runs fn in a child process: a crash there is a failed check naming what,
 * not the end of this test. The child's own CHECKs print as usual. */
static void in_child(const char *what, void (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        CHECK(!"fork");
        return;
    }
    if (pid == 0) {
        check_failures = 0;
        fn();
        fflush(NULL);
        _exit(check_failures ? 3 : 0);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        ;
    if (WIFSIGNALED(st)) {
        fprintf(stderr, "%s: crashed with signal %d (%s)\n", what, WTERMSIG(st),
                strsignal(WTERMSIG(st)));
        check_failures++;
    } else if (WEXITSTATUS(st) == 3) {
        fprintf(stderr, "%s: checks failed (above)\n", what);
        check_failures++;
    } else if (WEXITSTATUS(st) != 0) {
        fprintf(stderr, "%s: crashed (exit status %d; a sanitizer's report is above)\n", what,
                WEXITSTATUS(st));
        check_failures++;
    }
}

/* A config aimed at the shared server, with a small group. */
static void setup(throng_config_t *c, throng_group_t *g)
{
    throng_config_init(c);
    c->server = server_addr;
    c->seed = 7;
    throng_group_init(g);
    g->clients = 2;
    g->slow_down = 0;
    g->request_count = 5;
    static const char *const small_tables[] = {"big_table=5"}; /* the table persona's argument */
    g->args = small_tables;
    g->nargs = 1;
}

/* ------------------------------------------------- NULL and defaults */

static void test_defaults(void)
{
    throng_config_t c;
    memset(&c, 0xab, sizeof c);
    throng_config_init(&c);
    CHECK_STR(c.server, "127.0.0.1:5050");
    CHECK(c.duration == 0 && c.max_requests == 0 && c.timeout == 5 && c.connect_timeout == 5);
    CHECK_INT(c.on_fault, THRONG_ON_FAULT_DROP);
    CHECK_INT(c.processes, 1);
    CHECK(c.progress == NULL && c.log == NULL && c.progress_interval == 1);
    CHECK_INT(c.log_level, THRONG_LOG_WARN);

    throng_group_t g;
    memset(&g, 0xab, sizeof g);
    throng_group_init(&g);
    CHECK(g.name == NULL && g.persona == NULL && g.persona_path == NULL &&
          g.persona_source == NULL && g.server == NULL && g.args == NULL && g.nargs == 0);
    CHECK_INT(g.clients, 10);
    CHECK_INT(g.threads, 1);
    CHECK_INT(g.processes, 0);
    CHECK_INT(g.request_count, 1);
    CHECK(g.slow_down == 0.5);

    throng_server_config_t sc;
    memset(&sc, 0xab, sizeof sc);
    throng_server_config_init(&sc);
    CHECK_STR(sc.listen, "127.0.0.1:5050");
    CHECK_INT(sc.threads, 1);
    CHECK(sc.latency == 0 && sc.busy == 0 && sc.wrong_size == 0 && sc.drop == 0);

    throng_engine_t *e = throng_engine_new(NULL);
    CHECK(e != NULL);
    CHECK_STR(throng_errmsg(e), "no error");
    throng_engine_free(e);
}

static int dummy_function(lua_State *L)
{
    (void)L;
    return 0;
}

/* Every engine function with a NULL engine: an error code, or nothing. */
static void null_engine(void)
{
    throng_config_init(NULL);
    throng_group_init(NULL);
    CHECK(throng_errmsg(NULL) != NULL);
    CHECK(contains(throng_errmsg(NULL), "NULL"));
    throng_engine_free(NULL);

    throng_group_t g;
    throng_group_init(&g);
    CHECK_INT(throng_add_group(NULL, &g), THRONG_EINVAL);
    CHECK_INT(throng_start(NULL), THRONG_EINVAL);
    CHECK_INT(throng_wait(NULL), THRONG_EINVAL);
    CHECK_INT(throng_run(NULL), THRONG_EINVAL);
    throng_stop(NULL);
    throng_finish(NULL);
    CHECK_INT(throng_register_function(NULL, "f", dummy_function, NULL), THRONG_EINVAL);
    CHECK_INT(throng_add_threshold(NULL, "p99<1s"), THRONG_EINVAL);

    CHECK(throng_report(NULL) == NULL);
    int status = -7;
    const char *body = "untouched";
    size_t len = 99;
    CHECK(throng_report_last_reply(NULL, &status, &body, &len) < 0);
    CHECK(status == -7 && strcmp(body, "untouched") == 0 && len == 99);
    CHECK(isnan(throng_report_percentile(NULL, 50)));
    char *out = (char *)"untouched";
    CHECK_INT(throng_report_text(NULL, 0, &out), THRONG_EINVAL);
    CHECK_INT(throng_report_json(NULL, &out), THRONG_EINVAL);
    CHECK_STR(out, "untouched");
    throng_free(NULL);
}

/* An engine, and NULL for one of the other arguments. */
static void null_arguments(void)
{
    throng_engine_t *e = throng_engine_new(NULL);
    if (!e) return;
    CHECK_FAILS(throng_register_function(e, NULL, dummy_function, NULL), e, THRONG_EINVAL,
                "Lua name");
    CHECK_FAILS(throng_register_function(e, "f", NULL, NULL), e, THRONG_EINVAL, "NULL");
    CHECK_FAILS(throng_add_threshold(e, NULL), e, THRONG_EINVAL, "threshold");
    CHECK_INT(throng_report_text(e, 0, NULL), THRONG_EINVAL);
    CHECK_INT(throng_report_json(e, NULL), THRONG_EINVAL);
    throng_engine_free(e);
}

/* ENGINE BUG: throng_add_group(engine, NULL) returns THRONG_EINVAL but
 * leaves throng_errmsg() at "no error" (engine.c, throng_add_group). */
static void null_group(void)
{
    throng_engine_t *e = throng_engine_new(NULL);
    if (!e) return;
    CHECK_FAILS(throng_add_group(e, NULL), e, THRONG_EINVAL, "group");
    throng_engine_free(e);
}

/* ENGINE BUG: a NULL among a group's args is copied by throng_add_group()
 * and dereferenced by throng_start() (persona.c, push_args: strchr(NULL)).
 * Expected: THRONG_EINVAL from throng_add_group, naming args. */
static void null_persona_argument(void)
{
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    c.server = "127.0.0.1:1"; /* runs before the test server exists */
    const char *args[] = {"a=1", NULL};
    g.args = args;
    g.nargs = 2;
    throng_engine_t *e = throng_engine_new(&c);
    if (!e) return;
    int rc = throng_add_group(e, &g);
    if (rc == 0) rc = throng_start(e);
    CHECK_INT(rc, THRONG_EINVAL);
    CHECK(contains(throng_errmsg(e), "arg"));
    throng_engine_free(e);
}

static void null_render(void)
{
    char *out = (char *)"untouched", err[128] = "";
    CHECK_INT(throng_render(NULL, 0, THRONG_RENDER_TEXT, 0, &out, err, sizeof err), THRONG_EINVAL);
    CHECK(err[0] != '\0');
    CHECK_INT(throng_render("{}", 2, THRONG_RENDER_TEXT, 0, NULL, NULL, 0), THRONG_EINVAL);
    CHECK_INT(throng_render("{}", 2, (throng_render_t)9, 0, &out, NULL, 0), THRONG_EINVAL);
    CHECK_STR(out, "untouched");
}

/* ENGINE BUGS (server.c): each of these crashes on a NULL server or NULL
 * config/stats; the engine's functions answer THRONG_EINVAL instead. */
static void null_server_config_init(void)
{
    throng_server_config_init(NULL); /* expected: nothing, as throng_config_init(NULL) */
}

static void null_server_start(void)
{
    throng_server_config_t sc;
    throng_server_config_init(&sc);
    sc.listen = "127.0.0.1:0";
    CHECK_INT(throng_server_start(NULL, &sc), THRONG_EINVAL);
}

static void null_server_port(void)
{
    CHECK(throng_server_port(NULL) <= 0);
}

static void null_server_stats(void)
{
    throng_server_stats_t st;
    memset(&st, 0xff, sizeof st);
    throng_server_stats(NULL, &st); /* expected: zeroes */
    CHECK_INT(st.requests, 0);
}

static void null_server_stats_out(void)
{
    throng_server_t *s = throng_server_new();
    throng_server_stats(s, NULL); /* expected: nothing */
    throng_server_free(s);
}

static void null_server_wait(void)
{
    CHECK_INT(throng_server_wait(NULL), THRONG_EINVAL);
}

/* throng_server_errmsg(NULL) returns NULL where throng_errmsg(NULL) says
 * "no engine (NULL)"; printing it is undefined behaviour. */
static void null_server_errmsg(void)
{
    CHECK(throng_server_errmsg(NULL) != NULL);
}

static void null_server_rest(void)
{
    CHECK(throng_server_address(NULL) == NULL);
    throng_server_stop(NULL);
    throng_server_free(NULL);
    throng_server_t *s = throng_server_new();
    if (!s) return;
    CHECK(throng_server_address(s) == NULL); /* not listening yet */
    CHECK_INT(throng_server_wait(s), THRONG_ESTATE);
    CHECK(contains(throng_server_errmsg(s), "not running"));
    throng_server_stats_t st;
    throng_server_stats(s, &st);
    CHECK_INT(st.requests, 0);
    throng_server_free(s);
}

/* The shard merge, the threshold measure and the time parser with NULLs. */
static void null_shard_functions(void)
{
    char *out = NULL, err[128];
    unsigned failed = 0;
    const char *none[] = {NULL, NULL};
    CHECK(throng_report_merge_shards(NULL, 2, 0, &out, err, sizeof err) == THRONG_EINVAL);
    CHECK(throng_report_merge_shards(none, 2, 0, &out, err, sizeof err) == THRONG_EINVAL);
    CHECK(throng_report_merge_shards(none, 0, 1, NULL, NULL, 0) == THRONG_EINVAL);
    CHECK(throng_report_thresholds(NULL, NULL, 0, &out, &failed, err, sizeof err) == THRONG_EINVAL);
    CHECK(throng_report_thresholds("{}", NULL, 1, NULL, NULL, NULL, 0) == THRONG_EINVAL);
    CHECK(out == NULL);
    double t = 5;
    CHECK(throng_parse_time(NULL, &t) == THRONG_EINVAL && t == 5);
    CHECK(throng_parse_time("2026-01-01T00:00:00", &t) == THRONG_EINVAL && t == 5);
    CHECK(throng_parse_time("now", &t) == THRONG_EINVAL && t == 5);
    CHECK(throng_parse_time("2026-01-01T00:00:00Z", NULL) == THRONG_EINVAL);
    CHECK(throng_parse_time("2026-01-01T01:00:00.5+01:00", &t) == 0 && t == 1767225600.5);
    CHECK(throng_parse_time("1767225600", &t) == 0 && t == 1767225600);
}

static void test_null(void)
{
    in_child("throng_report_merge_shards/thresholds, throng_parse_time with NULL",
             null_shard_functions);
    in_child("throng_*(NULL engine, ...)", null_engine);
    in_child("throng_*(engine, NULL, ...)", null_arguments);
    in_child("throng_add_group(engine, NULL)", null_group);
    in_child("throng_group_t.args holding NULL", null_persona_argument);
    in_child("throng_render(NULL, ...)", null_render);
    in_child("throng_server_config_init(NULL)", null_server_config_init);
    in_child("throng_server_start(NULL, config)", null_server_start);
    in_child("throng_server_port(NULL)", null_server_port);
    in_child("throng_server_stats(NULL, stats)", null_server_stats);
    in_child("throng_server_stats(server, NULL)", null_server_stats_out);
    in_child("throng_server_wait(NULL)", null_server_wait);
    in_child("throng_server_errmsg(NULL)", null_server_errmsg);
    in_child("throng_server_address/stop/free/wait", null_server_rest);
}

/* ------------------------------------------------------------ refusals */

/* add_group refuses g with want and a message naming word. */
static void check_group_refused(const throng_group_t *g, int want, const char *word)
{
    throng_engine_t *e = throng_engine_new(NULL);
    if (!e) return;
    int rc = throng_add_group(e, g);
    if (rc != want || !contains(throng_errmsg(e), word)) {
        fprintf(stderr, "add_group -> %s \"%s\", expected %s naming '%s'\n", throng_err_name(rc),
                throng_errmsg(e), throng_err_name(want), word);
        CHECK(!"group refused with a reason");
    }
    throng_engine_free(e);
}

/* start refuses (c, g) with want and a message naming word; then there is
 * no report and nothing to wait for. */
static void check_start_refused(const throng_config_t *c, const throng_group_t *g, int want,
                                const char *word)
{
    throng_engine_t *e = throng_engine_new(c);
    if (!e) return;
    int rc = g ? throng_add_group(e, g) : 0;
    if (rc == 0) rc = throng_start(e);
    if (rc != want || !contains(throng_errmsg(e), word)) {
        fprintf(stderr, "start (server '%s') -> %s \"%s\", expected %s naming '%s'\n",
                c && c->server ? c->server : "(default)", throng_err_name(rc), throng_errmsg(e),
                throng_err_name(want), word);
        CHECK(!"start refused with a reason");
    }
    CHECK(throng_report(e) == NULL);
    CHECK_INT(throng_wait(e), THRONG_ESTATE);
    throng_engine_free(e);
}

static void test_settings_refused(void)
{
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    g.clients = 0;
    check_group_refused(&g, THRONG_EINVAL, "clients");
    setup(&c, &g);
    g.threads = 0;
    check_group_refused(&g, THRONG_EINVAL, "threads");
    setup(&c, &g);
    g.request_count = 0;
    check_group_refused(&g, THRONG_EINVAL, "request_count");
    setup(&c, &g);
    g.slow_down = -1;
    check_group_refused(&g, THRONG_EINVAL, "slow_down");
    setup(&c, &g);
    g.slow_down = NAN;
    check_group_refused(&g, THRONG_EINVAL, "slow_down");
    setup(&c, &g);
    g.processes = THRONG_MAX_PROCESSES + 1;
    check_group_refused(&g, THRONG_EINVAL, "processes");
    setup(&c, &g);
    g.clients = THRONG_MAX_CLIENTS + 1;
    check_group_refused(&g, THRONG_EINVAL, "clients");
    setup(&c, &g);
    g.duration = INFINITY;
    check_group_refused(&g, THRONG_EINVAL, "duration");
    setup(&c, &g);
    g.persona = "table";
    g.persona_path = "x.lua";
    check_group_refused(&g, THRONG_EINVAL, "persona");
    setup(&c, &g);
    g.args = NULL;
    g.nargs = 1;
    check_group_refused(&g, THRONG_EINVAL, "args");

    setup(&c, &g);
    const char *bad_args[] = {"novalue"};
    g.args = bad_args;
    g.nargs = 1;
    check_start_refused(&c, &g, THRONG_EINVAL, "novalue");

    setup(&c, &g);
    check_start_refused(&c, NULL, THRONG_EINVAL, "group");
    c.timeout = 0;
    check_start_refused(&c, &g, THRONG_EINVAL, "timeout");
    setup(&c, &g);
    c.connect_timeout = -1;
    check_start_refused(&c, &g, THRONG_EINVAL, "connect_timeout");
    setup(&c, &g);
    c.duration = -1;
    check_start_refused(&c, &g, THRONG_EINVAL, "duration");
    setup(&c, &g);
    c.on_fault = (throng_on_fault_t)9;
    check_start_refused(&c, &g, THRONG_EINVAL, "on_fault");
    setup(&c, &g);
    c.processes = 0;
    check_start_refused(&c, &g, THRONG_EINVAL, "processes");
}

static void test_personas_refused(void)
{
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    g.persona = "no-such-persona";
    check_start_refused(&c, &g, THRONG_EPERSONA, "no-such-persona");
    setup(&c, &g);
    g.persona_path = "/nonexistent/persona.lua";
    check_start_refused(&c, &g, THRONG_ESCRIPT, "/nonexistent/persona.lua");
    setup(&c, &g);
    g.persona_source = "return {";
    check_start_refused(&c, &g, THRONG_ESCRIPT, "persona:1:");
    setup(&c, &g);
    g.persona_source = "return { request = 42 }";
    check_start_refused(&c, &g, THRONG_ESCRIPT, "request");
    /* big_table is the table persona's argument: the persona refuses a bad one. */
    setup(&c, &g);
    static const char *const no_table[] = {"big_table=0"};
    g.args = no_table;
    check_start_refused(&c, &g, THRONG_ESCRIPT, "big_table must be a whole number");
    /* A persona calling a function nobody registered fails when it runs,
     * as a script error of its client, not at start. */
}

static void test_addresses_refused(void)
{
    static const struct {
        const char *server;
        int want;
        const char *word;
    } bad[] = {
        {"127.0.0.1:99999", THRONG_EADDR, "99999"},
        {"127.0.0.1:-1", THRONG_EADDR, "-1"},
        {"127.0.0.1:", THRONG_EADDR, "port"},
        {"", THRONG_EADDR, "empty"},
        {":80", THRONG_EADDR, "host"},
        {"http://", THRONG_EADDR, "host"},
        {"[::1", THRONG_EADDR, "]"},
        {"ftp://127.0.0.1:1", THRONG_EADDR, "http://"},
        {"gopher://127.0.0.1:1", THRONG_EADDR, "https://"},
        {"127.0.0.1:80/path", THRONG_EADDR, "path"},
        {"no-such-host.invalid:80", THRONG_ERESOLVE, "no-such-host.invalid"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        throng_config_t c;
        throng_group_t g;
        setup(&c, &g);
        c.server = bad[i].server;
        check_start_refused(&c, &g, bad[i].want, bad[i].word);
        /* The same address as the group's own server. */
        setup(&c, &g);
        g.server = bad[i].server;
        check_start_refused(&c, &g, bad[i].want, bad[i].word);
    }
}

static void test_functions_refused(void)
{
    throng_engine_t *e = throng_engine_new(NULL);
    if (!e) return;
    const char *const bad_names[] = {"", "1x", "a-b", "a b", "a.b", "\xc3\xa9t\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
        CHECK_FAILS(throng_register_function(e, bad_names[i], dummy_function, NULL), e,
                    THRONG_EINVAL, "not a Lua name");
    char long_name[80];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CHECK_INT(throng_register_function(e, long_name, dummy_function, NULL), THRONG_EINVAL);
    const char *const built_in[] = {"spread_out", "random", "fault", "table_shape",
                                    "now",        "log",    "json",  "version"};
    for (size_t i = 0; i < sizeof built_in / sizeof built_in[0]; i++)
        CHECK_FAILS(throng_register_function(e, built_in[i], dummy_function, NULL), e,
                    THRONG_EINVAL, "built in");
    CHECK_INT(throng_register_function(e, "mine", dummy_function, NULL), 0);
    CHECK_INT(throng_register_function(e, "_Mine2", dummy_function, NULL), 0);
    CHECK_FAILS(throng_register_function(e, "mine", dummy_function, e), e, THRONG_EINVAL,
                "registered already");
    throng_engine_free(e);
}

static void test_thresholds_refused(void)
{
    throng_engine_t *e = throng_engine_new(NULL);
    if (!e) return;
    const char *const bad[] = {"",        "p99",         "p99<",          "p99<abc",
                               "p99=1ms", "nope<1ms",    "p99<5furlongs", ":p99<1ms",
                               "p101<1s", "errors<abc%", "rate>fast"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_FAILS(throng_add_threshold(e, bad[i]), e, THRONG_EINVAL, "threshold");
    CHECK_FAILS(throng_add_threshold(e, "nope<1ms"), e, THRONG_EINVAL, "nope");
    CHECK_FAILS(throng_add_threshold(e, "p99<5furlongs"), e, THRONG_EINVAL, "unit");
    const char *const good[] = {"p99<50ms",      "p99.9<=200ms", "errors<1%",      "rate>1000",
                                "requests>=500", "mean<10ms",    "table:p99<20ms", "max < 2s",
                                "failures<10",   "p50<100us"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int rc = throng_add_threshold(e, good[i]);
        if (rc != 0) fprintf(stderr, "threshold '%s': %s\n", good[i], throng_errmsg(e));
        CHECK_INT(rc, 0);
    }
    throng_engine_free(e);
}

/* ----------------------------------------------------------- lifecycle */

static void test_lifecycle(void)
{
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    c.max_requests = 30;
    throng_engine_t *e = throng_engine_new(&c);
    if (!e) return;
    CHECK_INT(throng_add_group(e, &g), 0);

    throng_stop(e); /* before the start: nothing, and not remembered */
    CHECK(throng_report(e) == NULL);
    char *out = NULL;
    CHECK_INT(throng_report_text(e, 0, &out), THRONG_ESTATE);
    CHECK_INT(throng_report_json(e, &out), THRONG_ESTATE);
    CHECK(out == NULL);
    CHECK(isnan(throng_report_percentile(e, 50)));
    CHECK_INT(throng_report_last_reply(e, NULL, NULL, NULL), THRONG_ESTATE);
    CHECK_FAILS(throng_wait(e), e, THRONG_ESTATE, "started");

    CHECK_INT(throng_start(e), 0);
    CHECK_FAILS(throng_start(e), e, THRONG_ESTATE, "already");
    CHECK_FAILS(throng_run(e), e, THRONG_ESTATE, "already");
    CHECK_FAILS(throng_add_group(e, &g), e, THRONG_ESTATE, "throng_start");
    CHECK_FAILS(throng_register_function(e, "late", dummy_function, NULL), e, THRONG_ESTATE,
                "throng_start");
    CHECK_FAILS(throng_add_threshold(e, "p99<1s"), e, THRONG_ESTATE, "throng_start");
    CHECK(throng_report(e) == NULL); /* not before throng_wait() has returned */

    CHECK_INT(throng_wait(e), 0);
    CHECK_FAILS(throng_wait(e), e, THRONG_ESTATE, "started");
    CHECK_FAILS(throng_start(e), e, THRONG_ESTATE, "new engine");
    const throng_report_t *r = throng_report(e);
    CHECK(r != NULL);
    if (r) {
        CHECK_INT(r->ending, THRONG_END_REQUESTS);
        CHECK_INT(r->requests, 30);
        CHECK_INT(r->failures, 0);
        CHECK_INT(r->sent, 30); /* the limit counts requests sent: each was answered */
        CHECK_INT(r->faulted + r->cancelled + r->in_flight, 0);
        CHECK(r == throng_report(e)); /* the same, until the engine is freed */
    }
    double p50 = throng_report_percentile(e, 50), p100 = throng_report_percentile(e, 100);
    CHECK(p50 > 0 && p50 <= p100);
    CHECK(isnan(throng_report_percentile(e, 101)) && isnan(throng_report_percentile(e, -1)));
    /* without keep_last_reply there is no last reply */
    CHECK_INT(throng_report_last_reply(e, NULL, NULL, NULL), THRONG_ESTATE);
    throng_stop(e); /* ended: nothing */
    throng_engine_free(e);
}

/* Freeing a running engine stops it and waits, promptly. */
static void test_free_running(void)
{
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    c.duration = 30;
    g.slow_down = 0.01;
    throng_engine_t *e = throng_engine_new(&c);
    if (!e) return;
    CHECK_INT(throng_add_group(e, &g), 0);
    CHECK_INT(throng_start(e), 0);
    sleep_for(0.1);
    double t0 = now();
    throng_engine_free(e);
    CHECK(now() - t0 < 1.5);
}

/* ------------------------------------------------------ engines, several */

/* Two engines in turn on the shared server: each counts exactly its own. */
static void test_engines_in_turn(void)
{
    const uint64_t limits[] = {40, 70};
    for (int i = 0; i < 2; i++) {
        throng_server_stats_t before, after;
        throng_server_stats(server, &before);
        throng_config_t c;
        throng_group_t g;
        setup(&c, &g);
        c.max_requests = limits[i];
        g.threads = 2;
        throng_engine_t *e = throng_engine_new(&c);
        if (!e) return;
        CHECK_INT(throng_add_group(e, &g), 0);
        CHECK_INT(throng_run(e), 0);
        const throng_report_t *r = throng_report(e);
        CHECK(r && r->requests == limits[i] && r->failures == 0);
        throng_engine_free(e);
        throng_server_stats(server, &after);
        CHECK_INT(after.requests - before.requests, limits[i]);
    }
}

/* A C function that counts its calls in the lane given as its data. */
#define LANE_MAGIC 0x7468726f6e67ull
typedef struct lane {
    uint64_t magic;
    uint64_t max_requests;
    throng_server_t *server;
    char addr[64];
    pthread_barrier_t *barrier;
    atomic_ullong calls;
    atomic_int wrong_data;
    int rc;
    double t0, t1;
    throng_report_t report;
    int have_report;
} lane_t;

static int lane_tally(lua_State *L)
{
    lane_t *lane = lua_touserdata(L, lua_upvalueindex(1));
    if (!lane || lane->magic != LANE_MAGIC) return luaL_error(L, "tally: wrong data pointer");
    if (luaL_checkinteger(L, 1) <= 0) atomic_fetch_add(&lane->wrong_data, 1);
    atomic_fetch_add(&lane->calls, 1);
    return 0;
}

static const char tally_persona[] = "local throng = require 'throng'\n"
                                    "local P = {}\n"
                                    "function P:request()\n"
                                    "  return { method = 'GET', path = '/Xy?x=2&y=2' }\n"
                                    "end\n"
                                    "function P:response(res)\n"
                                    "  throng.tally(#res.body)\n"
                                    "end\n"
                                    "return P\n";

static void *run_lane(void *arg)
{
    lane_t *lane = arg;
    throng_config_t c;
    throng_config_init(&c);
    c.server = lane->addr;
    c.max_requests = lane->max_requests;
    c.duration = 20; /* a safety net */
    throng_group_t g;
    throng_group_init(&g);
    g.persona_source = tally_persona;
    g.clients = 4;
    g.threads = 2;
    g.request_count = 50;
    g.slow_down = 0;
    throng_engine_t *e = throng_engine_new(&c);
    lane->rc = -100;
    if (e && throng_register_function(e, "tally", lane_tally, lane) == 0 &&
        throng_add_group(e, &g) == 0) {
        pthread_barrier_wait(lane->barrier);
        lane->t0 = now();
        lane->rc = throng_run(e);
        lane->t1 = now();
        if (lane->rc) fprintf(stderr, "lane: %s\n", throng_errmsg(e));
        const throng_report_t *r = throng_report(e);
        if (r) {
            lane->report = *r;
            lane->have_report = 1;
        }
    } else {
        fprintf(stderr, "lane setup: %s\n", throng_errmsg(e));
        pthread_barrier_wait(lane->barrier);
    }
    throng_engine_free(e);
    return NULL;
}

/* Two threads each run their own engine against their own server at the
 * same time: each report, each server and each registered function's data
 * see that engine's requests only. */
static void test_engines_at_once(void)
{
    lane_t lanes[2];
    const uint64_t limits[2] = {1500, 2500};
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 2);
    for (int i = 0; i < 2; i++) {
        lane_t *l = &lanes[i];
        memset(l, 0, sizeof *l);
        l->magic = LANE_MAGIC;
        l->max_requests = limits[i];
        l->barrier = &barrier;
        atomic_init(&l->calls, 0);
        atomic_init(&l->wrong_data, 0);
        l->server = throng_server_new();
        throng_server_config_t sc;
        throng_server_config_init(&sc);
        sc.listen = "127.0.0.1:0";
        if (!l->server || throng_server_start(l->server, &sc) != 0) {
            CHECK(!"a lane's server started");
            return;
        }
        CHECK(throng_server_address(l->server) != NULL);
        snprintf(l->addr, sizeof l->addr, "%s", throng_server_address(l->server));
        CHECK_INT(atoi(strrchr(l->addr, ':') + 1), throng_server_port(l->server));
    }
    pthread_t tids[2];
    for (int i = 0; i < 2; i++)
        CHECK_INT(pthread_create(&tids[i], NULL, run_lane, &lanes[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(tids[i], NULL);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < 2; i++) {
        lane_t *l = &lanes[i];
        throng_server_stats_t st;
        throng_server_stats(l->server, &st);
        CHECK_INT(l->rc, 0);
        CHECK(l->have_report);
        if (l->have_report) {
            CHECK_INT(l->report.ending, THRONG_END_REQUESTS);
            CHECK_INT(l->report.requests, limits[i]);
            CHECK_INT(l->report.failures, 0);
            CHECK_INT(l->report.clients, 4);
            CHECK_INT(l->report.latency.count, limits[i]);
        }
        CHECK_INT(st.requests, limits[i]);
        CHECK_INT(atomic_load(&l->calls), limits[i]);
        CHECK_INT(atomic_load(&l->wrong_data), 0);
        throng_server_free(l->server);
    }
    /* They did run at the same time. */
    CHECK(lanes[0].t0 < lanes[1].t1 && lanes[1].t0 < lanes[0].t1);
}

/* ---------------------------------------------------- stop and progress */

typedef struct progress_seen {
    int calls;
    int wrong_thread;
    double last_elapsed;
    int went_back;
    uint64_t last_requests;
} progress_seen_t;

static void on_progress(const throng_progress_t *p, void *data)
{
    progress_seen_t *s = data;
    s->calls++;
    if (!pthread_equal(pthread_self(), main_thread)) s->wrong_thread++;
    if (p->elapsed < s->last_elapsed || p->requests < s->last_requests) s->went_back++;
    s->last_elapsed = p->elapsed;
    s->last_requests = p->requests;
}

static void *stop_later(void *arg)
{
    sleep_for(0.3);
    throng_stop(arg);
    return NULL;
}

/* throng_stop() from another thread ends a 30-second run at once, with a
 * whole report; the progress callback ran meanwhile, on this thread. */
static void *finish_later(void *arg)
{
    sleep_for(0.3);
    throng_finish(arg);
    return NULL;
}

/* throng_finish() from another thread ends a 30-second run at once, as its
 * duration would: the requests in flight (a server slower than the run)
 * are cancelled, not faulted aborted; a throng_stop() after it changes
 * nothing once the run has ended. */
static void test_finish_from_thread(void)
{
    throng_server_t *slow = throng_server_new();
    throng_server_config_t sc;
    throng_server_config_init(&sc);
    sc.listen = "127.0.0.1:0";
    sc.latency = 10;
    if (!slow || throng_server_start(slow, &sc) != 0) {
        CHECK(!"slow server started");
        throng_server_free(slow);
        return;
    }
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", throng_server_port(slow));
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    c.server = addr;
    c.duration = 30;
    c.timeout = 20;
    g.clients = 3;
    throng_engine_t *e = throng_engine_new(&c);
    if (e) {
        CHECK_INT(throng_add_group(e, &g), 0);
        double t0 = now();
        CHECK_INT(throng_start(e), 0);
        pthread_t tid;
        CHECK_INT(pthread_create(&tid, NULL, finish_later, e), 0);
        CHECK_INT(throng_wait(e), 0);
        double took = now() - t0;
        pthread_join(tid, NULL);
        throng_stop(e); /* ended: nothing */
        CHECK(took >= 0.25 && took < 1.5);
        const throng_report_t *r = throng_report(e);
        CHECK(r != NULL);
        if (r) {
            CHECK_INT(r->ending, THRONG_END_FINISHED);
            CHECK_INT(r->sent, 3);
            CHECK_INT(r->cancelled, 3);
            CHECK_INT(r->faulted, 0);
            CHECK_INT(r->faults[THRONG_FAULT_ABORTED], 0);
            CHECK_INT(r->failures, 0);
        }
        char *json = NULL;
        CHECK_INT(throng_report_json(e, &json), 0);
        CHECK(json && contains(json, "\"ending\":\"finished\""));
        throng_free(json);
        throng_engine_free(e);
    }
    throng_server_stop(slow);
    CHECK_INT(throng_server_wait(slow), 0);
    throng_server_free(slow);
}

/* A hook stuck in C, where no interrupt reaches (issue 11, finding 2): the
 * embedder's throng_wait() still returns on time, with the figures of
 * before and the thread counted as abandoned; the thread stays parked in
 * this process (the leak checkers see it kept, not leaked). Last of the
 * tests: it leaves a thread spinning until the process exits. */
static void test_stuck_hook_abandoned(void)
{
    static const char persona[] =
        "local P, n = {}, 0\n"
        "function P:request()\n"
        "  n = n + 1\n"
        "  if n == 60 then local s = ('a'):rep(40); s:find(('a*'):rep(40) .. 'b') end\n"
        "  return { method = 'POST', path = '/Xy', json = { value = { x = 2, y = 2 } } }\n"
        "end\n"
        "return P\n";
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    c.duration = 2;
    c.hook_timeout = 0.25;
    g.persona_source = persona;
    g.args = NULL;
    g.nargs = 0;
    g.request_count = 1;
    g.slow_down = 0.02;
    throng_engine_t *e = throng_engine_new(&c);
    if (!e) return;
    CHECK_INT(throng_add_group(e, &g), 0);
    double t0 = now();
    CHECK_INT(throng_start(e), 0);
    CHECK_INT(throng_wait(e), 0);
    double took = now() - t0;
    /* Stuck at about 0.6 s, interrupted in vain at 0.85, given up on at
     * the end (2 s): well before the 2 s + the interrupt's 1 s + 0.5 s. */
    CHECK(took < 4.5);
    const throng_report_t *r = throng_report(e);
    CHECK(r != NULL);
    if (r) {
        CHECK_INT(r->threads_abandoned, 1);
        CHECK(strstr(r->thread_sample, "left behind") != NULL);
        CHECK(r->requests >= 20); /* those published before it got stuck */
        CHECK_INT(r->sent, r->requests + r->faulted + r->cancelled + r->in_flight);
        CHECK_INT(r->ending, THRONG_END_DURATION);
    }
    throng_engine_free(e);
}

/* The groups as the engine took them, with the defaults applied. */
static void test_group_get(void)
{
    throng_config_t c;
    throng_group_t g, got;
    setup(&c, &g);
    c.processes = 1;
    g.name = "tables";
    throng_engine_t *e = throng_engine_new(&c);
    if (!e) return;
    CHECK_INT(throng_group_count(e), 0);
    CHECK_INT(throng_add_group(e, &g), 0);
    CHECK_INT(throng_group_count(e), 1);
    CHECK_INT(throng_group_get(e, 0, &got), 0);
    CHECK_STR(got.name, "tables");
    CHECK_INT(got.clients, 2);
    CHECK_INT(got.processes, 1);
    CHECK_STR(got.server, server_addr);
    CHECK_INT((int)got.nargs, 1);
    CHECK_INT(throng_group_get(e, 1, &got), THRONG_EINVAL);
    CHECK_INT(throng_check(e), 0); /* the table persona loads; nothing starts */
    CHECK(throng_report(e) == NULL);
    CHECK_INT(throng_check(NULL), THRONG_EINVAL);
    CHECK_INT(throng_group_get(NULL, 0, &got), THRONG_EINVAL);
    CHECK_INT(throng_group_count(NULL), 0);
    throng_engine_free(e);
}

static void test_stop_from_thread(void)
{
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    c.duration = 30;
    progress_seen_t seen = {0};
    c.progress = on_progress;
    c.progress_data = &seen;
    c.progress_interval = 0.05;
    g.clients = 4;
    g.threads = 2;
    g.slow_down = 0.01;
    throng_engine_t *e = throng_engine_new(&c);
    if (!e) return;
    CHECK_INT(throng_add_group(e, &g), 0);
    double t0 = now();
    CHECK_INT(throng_start(e), 0);
    pthread_t tid;
    CHECK_INT(pthread_create(&tid, NULL, stop_later, e), 0);
    CHECK_INT(throng_wait(e), 0);
    double took = now() - t0;
    pthread_join(tid, NULL);
    CHECK(took >= 0.25 && took < 1.5);
    CHECK(seen.calls >= 2);
    CHECK_INT(seen.wrong_thread, 0);
    CHECK_INT(seen.went_back, 0);
    const throng_report_t *r = throng_report(e);
    CHECK(r != NULL);
    if (r) {
        CHECK_INT(r->ending, THRONG_END_STOPPED);
        CHECK(r->requests > 0);
        CHECK_INT(r->latency.count, r->requests);
        CHECK(r->latency.min > 0 && r->latency.min <= r->latency.p50 &&
              r->latency.p50 <= r->latency.p99 && r->latency.p99 <= r->latency.max);
        CHECK(r->elapsed > 0.25 && r->elapsed < 1.5);
        CHECK_INT(r->clients, 4);
        CHECK_INT(r->clients_faulted, 0);
        CHECK_INT(r->failures, 0); /* aborted exchanges are not failures */
        /* Each request sent has one outcome; those stopped in flight are faulted (aborted). */
        CHECK_INT(r->sent, r->requests + r->faulted + r->cancelled + r->in_flight);
        CHECK_INT(r->in_flight, 0);
        CHECK_INT(r->faulted, r->faults[THRONG_FAULT_ABORTED]);
        CHECK(r->sessions > 0 && r->connects >= r->sessions);
        CHECK(r->bytes_sent > 0 && r->bytes_received > 0);
        CHECK_INT(r->status[2], r->requests);
        CHECK(seen.last_requests <= r->requests);
    }
    char *text = NULL;
    CHECK_INT(throng_report_text(e, THRONG_TEXT_LATENCY, &text), 0);
    CHECK(contains(text, "aborted"));
    throng_free(text);
    throng_engine_free(e);
}

/* --------------------------------------------------- registered functions */

typedef struct probe {
    uint64_t magic;
    atomic_ullong calls;
    atomic_ullong bytes;
    atomic_int wrong_args;
    atomic_int off_main; /* calls made away from the main thread */
} probe_t;

/* throng.probe(body, n): counts; returns the data pointer's magic. */
static int probe_fn(lua_State *L)
{
    probe_t *p = lua_touserdata(L, lua_upvalueindex(1));
    size_t len = 0;
    luaL_checklstring(L, 1, &len);
    if (lua_tointeger(L, 2) != 42) atomic_fetch_add(&p->wrong_args, 1);
    if (!pthread_equal(pthread_self(), main_thread)) atomic_fetch_add(&p->off_main, 1);
    atomic_fetch_add(&p->calls, 1);
    atomic_fetch_add(&p->bytes, len);
    lua_pushnumber(L, (lua_Number)p->magic);
    return 1;
}

static int boom_fn(lua_State *L)
{
    return luaL_error(L, "boom from C");
}

static const char probe_persona[] =
    "local throng = require 'throng'\n"
    "local P = {}\n"
    "function P:request()\n"
    "  return { method = 'GET', path = '/Xy?x=3&y=2', name = 'probe' }\n"
    "end\n"
    "function P:response(res)\n"
    "  local magic = throng.probe(res.body, 42)\n"
    "  if magic ~= 1234567 then return false, 'magic ' .. tostring(magic) end\n"
    "end\n"
    "return P\n";

static const char boom_persona[] = "local throng = require 'throng'\n"
                                   "return { request = function() throng.boom() end }\n";

/* A registered function runs on the worker threads, sees its data pointer
 * and its arguments; its Lua error is its client's script-error fault. */
static void test_registered_function(void)
{
    probe_t p;
    memset(&p, 0, sizeof p);
    p.magic = 1234567;
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    c.max_requests = 100;
    c.keep_last_reply = 1;
    throng_engine_t *e = throng_engine_new(&c);
    if (!e) return;
    CHECK_INT(throng_register_function(e, "probe", probe_fn, &p), 0);
    g.name = "probe";
    g.persona_source = probe_persona;
    g.threads = 2;
    CHECK_INT(throng_add_group(e, &g), 0);
    CHECK_INT(throng_run(e), 0);
    const throng_report_t *r = throng_report(e);
    CHECK(r != NULL);
    if (r) {
        CHECK_INT(r->requests, 100);
        CHECK_INT(r->failures, 0);
    }
    CHECK_INT(atomic_load(&p.calls), 100);
    CHECK_INT(atomic_load(&p.wrong_args), 0);
    CHECK_INT(atomic_load(&p.off_main), 100);
    CHECK(atomic_load(&p.bytes) > 100 * 20);
    int status = 0;
    const char *body = NULL;
    size_t len = 0;
    CHECK_INT(throng_report_last_reply(e, &status, &body, &len), 0);
    CHECK_INT(status, 200);
    CHECK(body && len > 10 && strncmp(body, "{\"value\":", 9) == 0);
    throng_engine_free(e);

    /* A registered function that raises an error: a script-error fault of
     * the client that called it, with the persona's line. */
    setup(&c, &g);
    c.duration = 5; /* a safety net: the one client faults out at once */
    g.clients = 1;
    g.persona_source = boom_persona;
    e = throng_engine_new(&c);
    if (!e) return;
    CHECK_INT(throng_register_function(e, "boom", boom_fn, NULL), 0);
    CHECK_INT(throng_add_group(e, &g), 0);
    CHECK_INT(throng_run(e), 0);
    r = throng_report(e);
    if (r) {
        CHECK_INT(r->ending, THRONG_END_CLIENTS);
        CHECK_INT(r->faults[THRONG_FAULT_SCRIPT_ERROR], 1);
        CHECK(contains(r->fault_sample[THRONG_FAULT_SCRIPT_ERROR], "boom from C"));
        CHECK(contains(r->fault_sample[THRONG_FAULT_SCRIPT_ERROR], "persona:2:"));
        CHECK_INT(r->clients_faulted, 1);
    }
    throng_engine_free(e);
}

/* ENGINE BUG (engine.c, budget_share, and worker.c,
 * throng__worker_check_done): config.max_requests is split among the
 * worker threads in advance, by clients. When every client of one thread
 * leaves after a fault, that thread's unused share is lost: the run ends
 * "request limit reached" (THRONG_END_REQUESTS) short of the limit. Here
 * the one client of a second group faults out at once, and a limit of 90
 * ends the run after 60 requests. Expected: 90 requests (the other clients
 * go on until the limit), or at least an ending that is not "the request
 * limit was reached". */
static void test_request_limit_after_faults(void)
{
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    c.max_requests = 90;
    c.duration = 10; /* a safety net */
    throng_engine_t *e = throng_engine_new(&c);
    if (!e) return;
    CHECK_INT(throng_add_group(e, &g), 0); /* 2 clients of the table persona */
    throng_group_t b;
    throng_group_init(&b);
    b.clients = 1;
    b.persona_source = "return { request = function() error('leaves at once') end }";
    CHECK_INT(throng_add_group(e, &b), 0);
    CHECK_INT(throng_run(e), 0);
    const throng_report_t *r = throng_report(e);
    if (r) {
        CHECK_INT(r->faults[THRONG_FAULT_SCRIPT_ERROR], 1);
        if (r->ending == THRONG_END_REQUESTS) CHECK_INT(r->requests, 90);
    }
    throng_engine_free(e);
}

/* ---------------------------------------------------------------- reports */

static const cJSON *field(const cJSON *o, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(o, name);
}

static void test_json_report(void)
{
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    c.max_requests = 50;
    g.name = "api";
    throng_engine_t *e = throng_engine_new(&c);
    if (!e) return;
    CHECK_INT(throng_add_group(e, &g), 0);
    CHECK_INT(throng_add_threshold(e, "p99<10s"), 0);
    CHECK_INT(throng_add_threshold(e, "requests>1000000"), 0);
    CHECK_INT(throng_run(e), 0);
    const throng_report_t *r = throng_report(e);
    CHECK(r && r->thresholds == 2 && r->thresholds_failed == 1);

    char *json = NULL;
    CHECK_INT(throng_report_json(e, &json), 0);
    cJSON *doc = json ? cJSON_Parse(json) : NULL;
    CHECK(doc != NULL);
    if (doc) {
        CHECK_STR(cJSON_GetStringValue(field(doc, "format")), "throng-report");
        CHECK(cJSON_IsNumber(field(doc, "version")) && field(doc, "version")->valuedouble == 1);
        CHECK_STR(cJSON_GetStringValue(field(doc, "throng")), throng_version());
        CHECK_STR(cJSON_GetStringValue(field(doc, "ending")), "requests");
        const cJSON *totals = field(doc, "totals");
        CHECK(cJSON_IsNumber(field(totals, "requests")) &&
              field(totals, "requests")->valuedouble == 50);
        const cJSON *groups = field(doc, "groups");
        CHECK(cJSON_GetArraySize(groups) == 1);
        CHECK_STR(cJSON_GetStringValue(field(cJSON_GetArrayItem(groups, 0), "name")), "api");
        const cJSON *th = field(doc, "thresholds");
        CHECK(cJSON_GetArraySize(th) == 2);
        CHECK(cJSON_IsTrue(field(cJSON_GetArrayItem(th, 0), "passed")));
        CHECK(cJSON_IsFalse(field(cJSON_GetArrayItem(th, 1), "passed")));
        cJSON_Delete(doc);
    }

    char *text = NULL, *html = NULL, err[200] = "";
    if (json) {
        CHECK_INT(throng_render(json, strlen(json), THRONG_RENDER_TEXT, 0, &text, err, sizeof err),
                  0);
        CHECK(contains(text, "api"));
        CHECK_INT(throng_render(json, strlen(json), THRONG_RENDER_HTML, 0, &html, err, sizeof err),
                  0);
        CHECK(contains(html, "<svg") || contains(html, "<html"));
    }
    CHECK_INT(throng_render("{nope", 5, THRONG_RENDER_TEXT, 0, &text, err, sizeof err),
              THRONG_EINVAL);
    CHECK(contains(err, "JSON"));
    err[0] = '\0';
    CHECK_INT(
        throng_render("{\"format\":\"other\"}", 18, THRONG_RENDER_HTML, 0, &html, err, sizeof err),
        THRONG_EINVAL);
    CHECK(err[0] != '\0');
    throng_free(text);
    throng_free(html);
    throng_free(json);
    throng_engine_free(e);
}

/* ENGINE BUG (threshold.c, measure, THRONG__METRIC_ERRORS): "errors" is
 * failures / (requests + failures), but an answer the persona refuses is
 * counted both as a request and as an invalid fault. Against a server that
 * answers every request wrongly, every exchange failed, yet "errors" reads
 * 50% and "errors<60%" passes. Expected: 100%, and the threshold fails. */
static void test_errors_threshold(void)
{
    throng_server_t *bad = throng_server_new();
    throng_server_config_t sc;
    throng_server_config_init(&sc);
    sc.listen = "127.0.0.1:0";
    sc.wrong_size = 1;
    if (!bad || throng_server_start(bad, &sc) != 0) {
        CHECK(!"wrong-size server started");
        throng_server_free(bad);
        return;
    }
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    c.server = throng_server_address(bad);
    c.duration = 5; /* a safety net: every client faults out at once */
    g.clients = 3;
    throng_engine_t *e = throng_engine_new(&c);
    if (e) {
        CHECK_INT(throng_add_group(e, &g), 0);
        CHECK_INT(throng_add_threshold(e, "errors<60%"), 0);
        CHECK_INT(throng_run(e), 0);
        const throng_report_t *r = throng_report(e);
        if (r) {
            CHECK_INT(r->ending, THRONG_END_CLIENTS);
            CHECK_INT(r->faults[THRONG_FAULT_INVALID], 3);
            CHECK_INT(r->thresholds, 1);
            CHECK_INT(r->thresholds_failed, 1); /* every exchange failed */
        }
        throng_engine_free(e);
    }
    throng_server_free(bad);
}

/* ------------------------------------------------------------------ logs */

typedef struct log_seen {
    pthread_mutex_t lock;
    int hello, hidden, off_main, client_ids_ok;
    char first[200];
} log_seen_t;

static void on_log(throng_log_level_t level, uint64_t client, const char *message, void *data)
{
    log_seen_t *s = data;
    pthread_mutex_lock(&s->lock);
    if (!pthread_equal(pthread_self(), main_thread)) s->off_main++;
    if (strcmp(message, "hello 42 true") == 0 && level == THRONG_LOG_WARN) {
        s->hello++;
        if (client >= 1 && client <= 2) s->client_ids_ok++;
    }
    if (contains(message, "hidden")) s->hidden++;
    if (!s->first[0]) snprintf(s->first, sizeof s->first, "%s", message);
    pthread_mutex_unlock(&s->lock);
}

static const char log_persona[] = "local throng = require 'throng'\n"
                                  "local P = {}\n"
                                  "function P:request()\n"
                                  "  return { method = 'GET', path = '/status' }\n"
                                  "end\n"
                                  "function P:response(res)\n"
                                  "  throng.log('warn', 'hello', 42, true)\n"
                                  "  throng.log('debug', 'hidden')\n"
                                  "end\n"
                                  "return P\n";

/* The log callback gets the personas' lines at or above the level, with
 * the client's id, on the worker threads. */
static void test_log_callback(void)
{
    log_seen_t seen;
    memset(&seen, 0, sizeof seen);
    pthread_mutex_init(&seen.lock, NULL);
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    c.max_requests = 20;
    c.log = on_log;
    c.log_data = &seen;
    g.persona_source = log_persona;
    throng_engine_t *e = throng_engine_new(&c);
    if (!e) return;
    CHECK_INT(throng_add_group(e, &g), 0);
    CHECK_INT(throng_run(e), 0);
    throng_engine_free(e);
    CHECK_INT(seen.hello, 20);
    CHECK_INT(seen.client_ids_ok, 20);
    CHECK_INT(seen.hidden, 0);
    CHECK(seen.off_main >= 20);
    pthread_mutex_destroy(&seen.lock);
}

/* ------------------------------------------- never prints, no handlers */

/* Runs fn with stdout and stderr sent to a file; returns what was written
 * (the caller frees it). */
static char *captured(void (*fn)(void))
{
    char path[] = "/tmp/throng-test-api.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    unlink(path);
    fflush(NULL);
    int out = dup(1), err = dup(2);
    dup2(fd, 1);
    dup2(fd, 2);
    fn();
    fflush(NULL);
    dup2(out, 1);
    dup2(err, 2);
    close(out);
    close(err);
    off_t len = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)len + 1);
    if (text && len > 0) {
        lseek(fd, 0, SEEK_SET);
        ssize_t n = read(fd, text, (size_t)len);
        (void)n;
    }
    close(fd);
    return text;
}

static int quiet_rc = -100;

/* A run with every kind of trouble: a persona that logs with no log
 * callback, script errors, refused connections. */
static void quiet_run(void)
{
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    c.max_requests = 20;
    g.persona_source = log_persona;
    throng_engine_t *e = throng_engine_new(&c);
    if (!e) return;
    quiet_rc = throng_add_group(e, &g);
    throng_group_t b;
    throng_group_init(&b);
    b.clients = 1;
    b.persona_source = "return { request = function() error('quietly') end }";
    if (quiet_rc == 0) quiet_rc = throng_add_group(e, &b);
    b.persona_source = NULL;
    b.server = "127.0.0.1:1"; /* refused */
    if (quiet_rc == 0) quiet_rc = throng_add_group(e, &b);
    if (quiet_rc == 0) quiet_rc = throng_run(e);
    throng_engine_free(e);
}

/* A persona whose init logs and then fails, with worker processes: the
 * engine loads it once in throng_start(), before it forks. */
static void quiet_refused_start(void)
{
    throng_config_t c;
    throng_group_t g;
    setup(&c, &g);
    c.processes = 2;
    g.persona_source = "local throng = require 'throng'\n"
                       "return { request = function() end,\n"
                       "         init = function() throng.log('warn', 'said in init')\n"
                       "                           error('init fails') end }\n";
    throng_engine_t *e = throng_engine_new(&c);
    if (!e) return;
    quiet_rc = throng_add_group(e, &g);
    if (quiet_rc == 0) quiet_rc = throng_start(e);
    throng_engine_free(e);
}

static int same_handler(int sig, const struct sigaction *before)
{
    struct sigaction now_sa;
    sigaction(sig, NULL, &now_sa);
    return now_sa.sa_handler == before->sa_handler && now_sa.sa_flags == before->sa_flags;
}

static void test_never_prints(void)
{
    const int sigs[] = {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGCHLD, SIGUSR1};
    struct sigaction before[6];
    for (int i = 0; i < 6; i++)
        sigaction(sigs[i], NULL, &before[i]);
    sigset_t mask_before, mask_after;
    pthread_sigmask(SIG_SETMASK, NULL, &mask_before);

    char *text = captured(quiet_run);
    CHECK_INT(quiet_rc, 0);
    if (text && text[0]) fprintf(stderr, "a run printed:\n%s\n", text);
    CHECK(text && text[0] == '\0');
    free(text);

    /* ENGINE BUG (engine.c, check_personas, with config.processes > 1):
     * the persona is loaded without the run's log callback or level, and
     * throng.log there falls back to fprintf(stderr) in lua_throng.c,
     * l_log: "warn: said in init" is printed by the library. */
    quiet_rc = -100;
    text = captured(quiet_refused_start);
    CHECK_INT(quiet_rc, THRONG_ESCRIPT);
    if (text && text[0]) fprintf(stderr, "throng_start() printed: %s\n", text);
    CHECK(text && text[0] == '\0');
    free(text);

    for (int i = 0; i < 6; i++)
        if (!same_handler(sigs[i], &before[i])) {
            fprintf(stderr, "signal %d's handler changed\n", sigs[i]);
            CHECK(!"no signal handler installed");
        }
    pthread_sigmask(SIG_SETMASK, NULL, &mask_after);
    for (int i = 0; i < 6; i++)
        CHECK_INT(sigismember(&mask_after, sigs[i]), sigismember(&mask_before, sigs[i]));
}

/* ------------------------------------------------------------------ main */

static void test_server_refusals(void)
{
    CHECK_INT(throng_server_start(server, NULL), THRONG_ESTATE);
    CHECK(contains(throng_server_errmsg(server), "already"));
    const struct {
        const char *listen;
        unsigned threads;
        double busy, latency;
        int want;
        const char *word;
    } bad[] = {
        {"127.0.0.1:99999", 1, 0, 0, THRONG_EADDR, "99999"},
        {"nohost.invalid:0", 1, 0, 0, THRONG_ERESOLVE, "nohost.invalid"},
        {"127.0.0.1:0", 100000, 0, 0, THRONG_EINVAL, "threads"},
        {"127.0.0.1:0", 1, 1.5, 0, THRONG_EINVAL, "busy"},
        {"127.0.0.1:0", 1, 0, -1, THRONG_EINVAL, "latency"},
        {server_addr, 1, 0, 0, THRONG_ELISTEN, server_addr},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        throng_server_t *s = throng_server_new();
        if (!s) continue;
        throng_server_config_t sc;
        throng_server_config_init(&sc);
        sc.listen = bad[i].listen;
        sc.threads = bad[i].threads;
        sc.busy = bad[i].busy;
        sc.latency = bad[i].latency;
        int rc = throng_server_start(s, &sc);
        if (rc != bad[i].want || !contains(throng_server_errmsg(s), bad[i].word)) {
            fprintf(stderr, "server_start(%s) -> %s \"%s\", expected %s naming '%s'\n",
                    bad[i].listen, throng_err_name(rc), throng_server_errmsg(s),
                    throng_err_name(bad[i].want), bad[i].word);
            CHECK(!"server refused with a reason");
        }
        CHECK(throng_server_address(s) == NULL);
        throng_server_free(s);
    }
}

int main(void)
{
    main_thread = pthread_self();
    double t0 = now();
    test_defaults();
    test_null(); /* forks: before any thread exists */

    server = throng_server_new();
    throng_server_config_t sc;
    throng_server_config_init(&sc);
    sc.listen = "127.0.0.1:0";
    sc.threads = 2;
    if (!server || throng_server_start(server, &sc) != 0) {
        fprintf(stderr, "cannot start the demonstration server: %s\n",
                server ? throng_server_errmsg(server) : "out of memory");
        CHECK(!"server started");
        throng_server_free(server);
        return check_result("test_api");
    }
    snprintf(server_addr, sizeof server_addr, "127.0.0.1:%d", throng_server_port(server));
    CHECK_STR(throng_server_address(server), server_addr);

    test_server_refusals();
    test_settings_refused();
    test_personas_refused();
    test_addresses_refused();
    test_functions_refused();
    test_thresholds_refused();
    test_lifecycle();
    test_free_running();
    test_engines_in_turn();
    test_engines_at_once();
    test_stop_from_thread();
    test_finish_from_thread();
    test_registered_function();
    test_request_limit_after_faults();
    test_json_report();
    test_errors_threshold();
    test_log_callback();
    test_never_prints();
    test_group_get();
    test_stuck_hook_abandoned();

    throng_server_stop(server);
    CHECK_INT(throng_server_wait(server), 0);
    throng_server_free(server);
    double took = now() - t0;
    if (took > 10) fprintf(stderr, "test_api took %.1f s (meant to take < 10 s)\n", took);
    return check_result("test_api");
}
