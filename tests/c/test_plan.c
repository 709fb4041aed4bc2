/* test_plan.c - plans given to throng_add_script(): checked whole with the
 * engine's own limits, then added whole (a bad group adds nothing, not even
 * the good ones before it); big_table as the table persona's argument;
 * durations read by the one parser; and a plan or persona that logs while
 * it loads reaching the config's log callback, never the process's stderr. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/engine.h"
#include "throng.h"

static char dir[64];
static char server_addr[64];

/* Writes text to dir/name; returns the path (static: one at a time). */
static const char *write_file(const char *name, const char *text)
{
    static char path[160];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

static int contains(const char *s, const char *needle)
{
    return s && strstr(s, needle) != NULL;
}

/* ------------------------------------------------------- whole or nothing */

/* Observation: a plan with a good group a and a group b asking for 5000
 * processes failed, yet left a added. */
static void test_bad_group_adds_nothing(void)
{
    const char *path =
        write_file("half.lua", "return {\n"
                               "  a = { persona = 'table', clients = 2, slow_down = 0 },\n"
                               "  b = { persona = 'table', clients = 2, processes = 5000 },\n"
                               "}\n");
    throng_config_t c;
    throng_config_init(&c);
    c.server = server_addr;
    c.duration = 0.4;
    throng_engine_t *e = throng_engine_new(&c);
    if (!e) return;
    CHECK_INT(throng_add_script(e, path, NULL), THRONG_EINVAL);
    char want[256];
    snprintf(want, sizeof want,
             "plan %s: group 'b': processes must be a whole number from 0 to 4096, not 5000", path);
    CHECK_STR(throng_errmsg(e), want);
    CHECK_INT(e->ngroups, 0);
    CHECK_INT(e->nthresholds, 0);

    /* What runs next is the group added after, alone. */
    throng_group_t g;
    throng_group_init(&g);
    g.name = "after";
    g.clients = 1;
    g.slow_down = 0;
    CHECK_INT(throng_add_group(e, &g), 0);
    CHECK_INT(throng_run(e), 0);
    char *json = NULL;
    CHECK_INT(throng_report_json(e, &json), 0);
    CHECK(contains(json, "\"name\":\"after\""));
    CHECK(!contains(json, "\"name\":\"a\""));
    CHECK(throng_report(e) && throng_report(e)->clients == 1);
    throng_free(json);
    throng_engine_free(e);
}

/* A malformed threshold in the last group keeps the first one out too. */
static void test_bad_threshold_adds_nothing(void)
{
    const char *path = write_file(
        "thresholds.lua", "return {\n"
                          "  { name = 'a', persona = 'table', thresholds = { 'p99<1s' } },\n"
                          "  { name = 'b', persona = 'table', thresholds = { 'p99<soon' } },\n"
                          "}\n");
    throng_engine_t *e = throng_engine_new(NULL);
    if (!e) return;
    CHECK_INT(throng_add_script(e, path, NULL), THRONG_EINVAL);
    CHECK(contains(throng_errmsg(e), "group 'b': thresholds: threshold 'p99<soon'"));
    CHECK_INT(e->ngroups, 0);
    CHECK_INT(e->nthresholds, 0);
    throng_engine_free(e);
}

/* The plan reader and throng_add_group() hold groups to one set of limits,
 * and say so in the same words. */
static void test_same_limits(void)
{
    static const struct {
        const char *setting;
        const char *message;
    } cases[] = {
        {"clients = 1000001", "clients must be a whole number from 1 to 1000000, not 1000001"},
        {"clients = -3", "clients must be a whole number from 1 to 1000000, not '-3'"},
        {"threads = 1025", "threads must be a whole number from 1 to 1024, not 1025"},
        {"processes = 4097", "processes must be a whole number from 0 to 4096, not 4097"},
        {"request_count = 0", "request_count must be a whole number from 1 to 100000000, not 0"},
        {"slow_down = -1", "slow_down must be seconds, not negative"},
        {"duration = '10x'", "duration must be seconds or a duration such as 30s, not '10x'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[160];
        snprintf(text, sizeof text, "return { g = { persona = 'table', %s } }\n", cases[i].setting);
        const char *path = write_file("limit.lua", text);
        throng_engine_t *e = throng_engine_new(NULL);
        if (!e) return;
        int rc = throng_add_script(e, path, NULL);
        if (rc != THRONG_EINVAL || !contains(throng_errmsg(e), "group 'g': ") ||
            !contains(throng_errmsg(e), cases[i].message)) {
            fprintf(stderr, "%s -> %d \"%s\", expected \"%s\"\n", cases[i].setting, rc,
                    throng_errmsg(e), cases[i].message);
            CHECK(!"plan refused with the engine's limit");
        }
        throng_engine_free(e);
    }
    /* The limit itself is accepted. */
    const char *path =
        write_file("edge.lua", "return { g = { persona = 'table', processes = 4096 } }\n");
    throng_engine_t *e = throng_engine_new(NULL);
    if (!e) return;
    CHECK_INT(throng_add_script(e, path, NULL), 0);
    CHECK_INT(e->ngroups, 1);
    throng_engine_free(e);
}

/* Durations as the one parser reads them, hours and compounds among them. */
static void test_durations(void)
{
    const char *path = write_file("long.lua", "return { g = { persona = 'table', "
                                              "duration = '1h30m', start_delay = '2h', "
                                              "slow_down = '250ms' } }\n");
    throng_engine_t *e = throng_engine_new(NULL);
    if (!e) return;
    CHECK_INT(throng_add_script(e, path, NULL), 0);
    if (e->ngroups == 1) {
        CHECK(e->groups[0].cfg.duration == 5400);
        CHECK(e->groups[0].cfg.start_delay == 7200);
        CHECK(e->groups[0].cfg.slow_down == 0.25);
    }
    throng_engine_free(e);
}

/* ------------------------------------------------------------ big_table */

static int has_arg(const throng__group_t *g, size_t i, const char *kv)
{
    return i < g->cfg.nargs && strcmp(g->cfg.args[i], kv) == 0;
}

/* big_table as a group key is the persona argument big_table, after the
 * defaults' args and before the group's own. */
static void test_big_table_key(void)
{
    const char *path = write_file("tables.lua", "return {\n"
                                                "  a = { persona = 'table', big_table = 7 },\n"
                                                "  b = { persona = 'table', big_table = 7,\n"
                                                "        args = { big_table = 9 } },\n"
                                                "  c = { persona = 'table' },\n"
                                                "}\n");
    throng_group_t defaults;
    throng_group_init(&defaults);
    const char *args[] = {"method=GET"};
    defaults.args = args;
    defaults.nargs = 1;
    throng_engine_t *e = throng_engine_new(NULL);
    if (!e) return;
    CHECK_INT(throng_add_script(e, path, &defaults), 0);
    CHECK_INT(e->ngroups, 3);
    if (e->ngroups == 3) {
        CHECK_INT(e->groups[0].cfg.nargs, 2);
        CHECK(has_arg(&e->groups[0], 0, "method=GET") && has_arg(&e->groups[0], 1, "big_table=7"));
        CHECK_INT(e->groups[1].cfg.nargs, 3);
        CHECK(has_arg(&e->groups[1], 1, "big_table=7") &&
              has_arg(&e->groups[1], 2, "big_table:=9"));
        CHECK_INT(e->groups[2].cfg.nargs, 1);
        CHECK(has_arg(&e->groups[2], 0, "method=GET"));
    }
    throng_engine_free(e);

    /* The table persona reads it: a table of at most 1x1 every time. */
    path = write_file("one.lua", "return { one = { persona = 'table', big_table = 1, clients = 1,"
                                 " slow_down = 0 } }\n");
    throng_config_t c;
    throng_config_init(&c);
    c.server = server_addr;
    c.max_requests = 20;
    c.keep_last_reply = 1;
    e = throng_engine_new(&c);
    if (!e) return;
    CHECK_INT(throng_add_script(e, path, NULL), 0);
    CHECK_INT(throng_run(e), 0);
    int status = 0;
    const char *body = NULL;
    size_t len = 0;
    CHECK_INT(throng_report_last_reply(e, &status, &body, &len), 0);
    const throng_report_t *r = throng_report(e);
    CHECK(r && r->requests > 0 && r->failures == 0);
    /* A 1x1 table: [[N]], one number in one row. */
    char text[256];
    snprintf(text, sizeof text, "%.*s", (int)(len < 255 ? len : 255), body ? body : "");
    char *rows = strstr(text, "[["), *end = rows ? strstr(rows, "]]") : NULL;
    CHECK(rows && end);
    if (rows && end) {
        *end = '\0';
        CHECK(strchr(rows + 2, ',') == NULL && strchr(rows + 2, '[') == NULL);
    }
    throng_engine_free(e);
}

/* --------------------------------------------------------------- logging */

typedef struct log_seen {
    pthread_mutex_t lock;
    int lines, warn_plan, warn_persona, debug;
} log_seen_t;

static void on_log(throng_log_level_t level, uint64_t client, const char *msg, void *data)
{
    log_seen_t *s = data;
    pthread_mutex_lock(&s->lock);
    s->lines++;
    if (level == THRONG_LOG_WARN && strcmp(msg, "loading the plan 42") == 0) s->warn_plan++;
    if (level == THRONG_LOG_WARN && strcmp(msg, "loading the persona") == 0) s->warn_persona++;
    if (strstr(msg, "quiet")) s->debug++;
    pthread_mutex_unlock(&s->lock);
}

/* Runs fn with fd 2 pointing at a file; returns how many bytes reached it. */
static long stderr_bytes(void (*fn)(throng_log_cb, log_seen_t *), throng_log_cb cb,
                         log_seen_t *seen)
{
    FILE *tmp = tmpfile();
    CHECK(tmp != NULL);
    if (!tmp) return -1;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(tmp), STDERR_FILENO);
    fn(cb, seen);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fseek(tmp, 0, SEEK_END);
    long n = ftell(tmp);
    fclose(tmp);
    return n;
}

/* A plan that logs while it loads, and the persona script it names, which
 * logs as it loads too (once per worker thread); then a short run. */
static void load_and_run(throng_log_cb cb, log_seen_t *seen)
{
    write_file("loud_persona.lua", "local throng = require 'throng'\n"
                                   "throng.log('warn', 'loading the persona')\n"
                                   "return { request = function() return nil end }\n");
    const char *path = write_file("loud.lua", "local throng = require 'throng'\n"
                                              "throng.log('warn', 'loading the plan', 42)\n"
                                              "throng.log('debug', 'quiet')\n"
                                              "return { loud = { persona = 'loud_persona.lua',\n"
                                              "                  clients = 2, threads = 2 } }\n");
    throng_config_t c;
    throng_config_init(&c);
    c.server = server_addr;
    c.duration = 0.3;
    c.log = cb;
    c.log_data = seen;
    throng_engine_t *e = throng_engine_new(&c);
    if (!e) return;
    CHECK_INT(throng_add_script(e, path, NULL), 0);
    CHECK_INT(throng_run(e), 0);
    throng_engine_free(e);
}

/* Observation: a plan calling throng.log while it loaded printed "warn: ..."
 * on stderr from inside the library. */
static void test_library_never_prints(void)
{
    log_seen_t seen = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0};
    CHECK_INT(stderr_bytes(load_and_run, on_log, &seen), 0);
    CHECK_INT(seen.warn_plan, 1);
    CHECK_INT(seen.warn_persona, 2); /* its two worker threads each load it */
    CHECK_INT(seen.debug, 0);        /* below the config's level (warn) */
    log_seen_t none = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0};
    CHECK_INT(stderr_bytes(load_and_run, NULL, &none), 0); /* no callback: dropped */
    CHECK_INT(none.lines, 0);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_plan.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    throng_server_t *server = throng_server_new();
    throng_server_config_t sc;
    throng_server_config_init(&sc);
    sc.listen = "127.0.0.1:0";
    if (!server || throng_server_start(server, &sc) != 0) {
        CHECK(!"server started");
        throng_server_free(server);
        return check_result("test_plan");
    }
    snprintf(server_addr, sizeof server_addr, "127.0.0.1:%d", throng_server_port(server));

    test_bad_group_adds_nothing();
    test_bad_threshold_adds_nothing();
    test_same_limits();
    test_durations();
    test_big_table_key();
    test_library_never_prints();

    throng_server_free(server);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
    return check_result("test_plan");
}
