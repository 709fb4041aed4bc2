/* test_wrk_api.c - throng_wrk_*, a wrk script's control state, as an
 * embedding program meets it through throng.h alone: a script whose
 * setup(thread) sets values and sends one thread to another server, the
 * threads' addresses and values after setup, a short run of the groups
 * against two demonstration servers, wrk's figures against the report, and
 * done(summary, latency, requests) with thread:get reading each thread's
 * globals at its end; and the errors: a missing file, a syntax error, an
 * error in setup (each naming file:line), a bad URL or header, calls out
 * of order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "throng.h"

static char dir[] = "/tmp/throng-test-wrk-api.XXXXXX";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static throng_server_t *start_server(void)
{
    throng_server_t *s = throng_server_new();
    throng_server_config_t c;
    throng_server_config_init(&c);
    c.listen = "127.0.0.1:0";
    CHECK(s != NULL);
    CHECK_INT(throng_server_start(s, &c), 0);
    return s;
}

/* setup, a run on two servers, figures and done. */
static void test_run(void)
{
    throng_server_t *a = start_server(), *b = start_server();
    char script[256], out[256], text[4096], url[128];
    snprintf(script, sizeof script, "%s/run.lua", dir);
    snprintf(out, sizeof out, "%s/done.txt", dir);
    snprintf(url, sizeof url, "http://%s/Xy?x=2&y=3", throng_server_address(a));
    snprintf(text, sizeof text,
             "local n, threads = 0, {}\n"
             "function setup(thread)\n"
             "  n = n + 1\n"
             "  threads[n] = thread\n"
             "  thread:set('id', n)\n"
             "  thread:set('name', 't' .. n)\n"
             "  thread:set('reach', wrk.connect(thread.addr))\n"
             "  if n == 2 then thread.addr = '%s' end\n"
             "end\n"
             "function init(args) count = 0; first = args[1] end\n"
             "function response(status) count = count + 1 end\n"
             "function done(summary, latency, requests)\n"
             "  local f = io.open('%s', 'w')\n"
             "  local total = 0\n"
             "  for i, t in ipairs(threads) do\n"
             "    total = total + t:get('count')\n"
             "    f:write(string.format('thread %%d id %%d first %%s\\n', i, t:get('id'),\n"
             "                          t:get('first')))\n"
             "  end\n"
             "  f:write(string.format('requests %%d counted %%d\\n', summary.requests, total))\n"
             "  f:write(string.format('latency %%.3f %%.3f %%.0f\\n', latency.min, latency.max,\n"
             "                        latency:percentile(50)))\n"
             "  f:write(string.format('rate %%.3f\\n', requests.mean))\n"
             "  f:close()\n"
             "end\n",
             throng_server_address(b), out);
    write_file(script, text);

    throng_wrk_t *w = NULL;
    const char *args[] = {"one", "two"};
    char err[512];
    CHECK_INT(throng_wrk_open(script, url, "X-Test: 1", args, 2, &w, err, sizeof err), 0);
    if (!w) {
        fprintf(stderr, "open: %s\n", err);
        throng_server_free(a);
        throng_server_free(b);
        return;
    }
    CHECK_INT(throng_wrk_thread(w, 0, NULL, NULL), THRONG_ESTATE);
    CHECK_INT(throng_wrk_has_done(w), 1);
    CHECK_INT(throng_wrk_setup(w, 2), 0);
    CHECK_INT(throng_wrk_setup(w, 2), THRONG_ESTATE);

    const char *addr = NULL, *sets = NULL;
    CHECK_INT(throng_wrk_thread(w, 0, &addr, &sets), 0);
    CHECK_STR(addr, throng_server_address(a));
    CHECK(sets && strstr(sets, "[\"id\"]=1") && strstr(sets, "[\"name\"]=\"t1\"") &&
          strstr(sets, "[\"reach\"]=true"));
    CHECK_INT(throng_wrk_thread(w, 1, &addr, &sets), 0);
    CHECK_STR(addr, throng_server_address(b));
    CHECK(sets && strstr(sets, "[\"id\"]=2") && strstr(sets, "[\"name\"]=\"t2\""));
    CHECK_INT(throng_wrk_thread(w, 2, &addr, &sets), THRONG_EINVAL);

    throng_config_t cfg;
    throng_config_init(&cfg);
    char origin[128];
    snprintf(origin, sizeof origin, "http://%s", throng_server_address(a));
    cfg.server = origin;
    cfg.duration = 1;
    throng_engine_t *e = throng_engine_new(&cfg);
    CHECK(e != NULL);
    for (unsigned i = 0; i < 2; i++) {
        throng_group_t g;
        throng_group_init(&g);
        g.clients = 2;
        g.threads = 1;
        g.request_count = THRONG_MAX_REQUEST_COUNT;
        g.slow_down = 0;
        CHECK_INT(throng_wrk_add_group(w, e, i, &g), 0);
    }
    CHECK_INT(throng_wrk_add_group(w, e, 2, NULL), THRONG_EINVAL);
    throng_group_t g;
    CHECK_INT(throng_group_get(e, 1, &g), 0);
    CHECK_STR(g.persona, "wrk");
    CHECK_STR(g.name, "thread-2");
    CHECK_INT(g.clients, 2);

    throng_wrk_figures_t f = {0};
    CHECK_INT(throng_wrk_figures(w, e, &f), THRONG_ESTATE); /* before the run */
    CHECK_INT(throng_run(e), 0);
    const throng_report_t *r = throng_report(e);
    CHECK(r != NULL);
    throng_server_stats_t sa, sb;
    throng_server_stats(a, &sa);
    throng_server_stats(b, &sb);
    CHECK(sa.requests >= 10);
    CHECK(sb.requests >= 10); /* thread 2 went where setup sent it */

    CHECK_INT(throng_wrk_figures(w, e, &f), 0);
    CHECK(r && f.requests == r->requests && f.requests >= 20);
    CHECK(r && f.bytes == r->bytes_received && f.bytes > 0);
    CHECK_INT(f.status, 0);
    CHECK_INT(f.script_errors, 0);
    CHECK(r && f.latency.count == (double)r->latency.count);
    CHECK(r && f.latency.min == r->latency.min * 1e6 && f.latency.max == r->latency.max * 1e6);
    CHECK(f.latency.mean >= f.latency.min && f.latency.mean <= f.latency.max);
    CHECK(f.latency.within > 0 && f.latency.within <= 100);
    double p50 = throng_wrk_percentile(w, 50), p99 = throng_wrk_percentile(w, 99);
    CHECK(p50 > 0 && p50 <= p99 && p99 <= f.latency.max * 1.001);
    CHECK(f.rate.count >= 1 && f.rate.max > 0);
    size_t idx = 0;
    double lo, hi;
    uint64_t count, sum = 0;
    while (throng_report_latency_bucket(e, &idx, &lo, &hi, &count)) {
        CHECK(lo <= hi);
        sum += count;
    }
    CHECK(r && sum == r->latency.count);
    uint64_t per[16];
    size_t ns = throng_report_seconds(e, NULL, per, 16);
    CHECK(ns >= 1 && ns <= 3);

    CHECK_INT(throng_wrk_done(w, e), 0);
    char *done = read_file(out);
    CHECK(done != NULL);
    if (done) {
        CHECK(strstr(done, "thread 1 id 1 first one\n") != NULL);
        CHECK(strstr(done, "thread 2 id 2 first one\n") != NULL);
        char want[128];
        snprintf(want, sizeof want, "requests %llu counted %llu\n", (unsigned long long)f.requests,
                 (unsigned long long)f.requests);
        CHECK(strstr(done, want) != NULL);
        /* latency in microseconds, its values whole as wrk's */
        snprintf(want, sizeof want, "latency %.3f %.3f %.0f\n", f.latency.min, f.latency.max,
                 (double)(long long)(p50 + 0.5));
        CHECK(strstr(done, want) != NULL);
        snprintf(want, sizeof want, "rate %.3f\n", f.rate.mean);
        CHECK(strstr(done, want) != NULL);
        if (check_failures) fprintf(stderr, "done wrote:\n%s", done);
    }
    throng_engine_free(e);
    throng_wrk_close(w);
    throng_server_free(a);
    throng_server_free(b);
}

/* A script with no done: done is a no-op; no script at all: wrk's GET. */
static void test_no_script(void)
{
    throng_wrk_t *w = NULL;
    char err[256];
    CHECK_INT(throng_wrk_open(NULL, "http://127.0.0.1:9/", NULL, NULL, 0, &w, err, sizeof err), 0);
    CHECK_INT(throng_wrk_has_done(w), 0);
    CHECK_INT(throng_wrk_setup(w, 3), 0);
    const char *addr = NULL, *sets = NULL;
    CHECK_INT(throng_wrk_thread(w, 2, &addr, &sets), 0);
    CHECK_STR(addr, "127.0.0.1:9");
    CHECK_STR(sets, "{}");
    throng_wrk_close(w);
    throng_wrk_close(NULL);
}

static void expect_open_error(const char *script, const char *url, const char *headers, int want,
                              const char *word)
{
    throng_wrk_t *w = (throng_wrk_t *)&w; /* set to NULL on failure */
    char err[512] = "untouched";
    int rc = throng_wrk_open(script, url, headers, NULL, 0, &w, err, sizeof err);
    CHECK_INT(rc, want);
    CHECK(w == NULL);
    if (!strstr(err, word)) {
        fprintf(stderr, "open(%s): '%s' does not name '%s'\n", script ? script : "NULL", err, word);
        check_failures++;
    }
}

static void test_errors(void)
{
    char missing[256], syntax[256], broken[256], where[300];
    snprintf(missing, sizeof missing, "%s/missing.lua", dir);
    expect_open_error(missing, "http://127.0.0.1:9/", NULL, THRONG_ESCRIPT, "missing.lua");

    snprintf(syntax, sizeof syntax, "%s/syntax.lua", dir);
    write_file(syntax, "-- a comment\nfunction setup(thread)\n  thread:set('a' 1)\nend\n");
    snprintf(where, sizeof where, "syntax.lua:3:");
    expect_open_error(syntax, "http://127.0.0.1:9/", NULL, THRONG_ESCRIPT, where);

    expect_open_error(NULL, "127.0.0.1:9", NULL, THRONG_EINVAL, "invalid URL");
    expect_open_error(NULL, "http://127.0.0.1:9/", "X-Good: 1\nno colon", THRONG_EINVAL,
                      "no colon");
    throng_wrk_t *w = NULL;
    CHECK_INT(throng_wrk_open(NULL, "http://127.0.0.1:9/", NULL, NULL, 0, NULL, NULL, 0),
              THRONG_EINVAL);

    /* An error in setup names its file and line. */
    snprintf(broken, sizeof broken, "%s/broken.lua", dir);
    write_file(broken, "function setup(thread)\n  local t = nil\n  return t.field\nend\n");
    char err[512];
    CHECK_INT(throng_wrk_open(broken, "http://127.0.0.1:9/", NULL, NULL, 0, &w, err, sizeof err),
              0);
    CHECK_INT(throng_wrk_setup(w, 0), THRONG_EINVAL);
    CHECK_INT(throng_wrk_setup(w, 2), THRONG_ESCRIPT);
    const char *msg = throng_wrk_errmsg(w);
    CHECK(strncmp(msg, "setup: ", 7) == 0 && strstr(msg, "broken.lua:3:"));
    if (!strstr(msg, "broken.lua:3:")) fprintf(stderr, "setup said: %s\n", msg);
    CHECK_INT(throng_wrk_thread(w, 0, NULL, NULL), THRONG_ESTATE);
    CHECK_INT(throng_wrk_done(w, NULL), 0); /* no done: nothing to do */
    throng_wrk_close(w);

    /* A host that does not resolve, as wrk refuses it. */
    CHECK_INT(throng_wrk_open(NULL, "http://no-such-host.invalid:80/", NULL, NULL, 0, &w, err,
                              sizeof err),
              0);
    CHECK_INT(throng_wrk_setup(w, 1), THRONG_ERESOLVE);
    CHECK(strstr(throng_wrk_errmsg(w), "no-such-host.invalid") != NULL);
    throng_wrk_close(w);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_no_script();
    test_errors();
    test_run();
    char path[300];
    const char *files[] = {"run.lua", "done.txt", "syntax.lua", "broken.lua"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    return check_result("test_wrk_api");
}
