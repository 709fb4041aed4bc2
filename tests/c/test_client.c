/* test_client.c - clients driven by a real worker thread against the
 * demonstration server and against ports that refuse or fail at once: both
 * styles, the request limit reached in the middle of a session, a run ended
 * with exchanges under way, client:connect resolving off the loop, and a
 * worker whose engine pipe has gone bad. In every case each exchange begun
 * has exactly one outcome: sent = requests + faulted + cancelled, with
 * nothing left in flight, for the thread and every request name. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "throng.h"
#include "worker_run.h"

static throng_server_t *server;
static char server_addr[64];

/* A port bound then closed: connecting is refused. */
static int refused_port(void)
{
    throng_server_t *s = throng_server_new();
    throng_server_config_t c;
    throng_server_config_init(&c);
    c.listen = "127.0.0.1:0";
    throng_server_start(s, &c);
    int port = throng_server_port(s);
    throng_server_free(s);
    return port;
}

/* The client tests' clients: sessions of four requests, short timeouts. */
static void settings(run_t *r, const char *address)
{
    run_settings(r, address);
    r->set.timeout = 2;
    r->set.connect_timeout = 2;
    r->set.request_count = 4;
}

/* An address TCP cannot use: every connect fails inside the call. */
static void settings_failing_at_once(run_t *r)
{
    settings(r, "127.0.0.1:1");
    memset(&r->set.address.sa, 0, sizeof r->set.address.sa);
    ((struct sockaddr_un *)&r->set.address.sa)->sun_family = AF_UNIX;
}

static void finish(run_t *r)
{
    CHECK_INT(throng__worker_destroy(&r->w), 0);
}

static const throng__name_stats_t *named(const throng__stats_t *s, const char *name)
{
    for (unsigned i = 0; i < s->nnames; i++)
        if (strcmp(s->names[i]->name, name) == 0) return s->names[i];
    return NULL;
}

/* Every exchange has its outcome, and the limit was drawn exactly. */
static void check_ledger(const throng__stats_t *s, uint64_t sent)
{
    CHECK_INT(s->n.sent, sent);
    CHECK_INT(s->n.in_flight, 0);
    CHECK_INT(s->n.requests + s->n.faulted + s->n.cancelled, sent);
    CHECK(throng__stats_balanced(s));
}

static const char concurrent_source[] =
    "local P = {}\n"
    "function P:session(client)\n"
    "  local a, b = client:concurrently(\n"
    "    { path = '/Xy?x=1&y=1', name = 'a' },\n"
    "    { path = '/Xy?x=2&y=2', name = 'b' })\n"
    "  client:check(a.status == 200 and b.status == 200, 'check', { fatal = true })\n"
    "end\n"
    "return P\n";

/* The observed bug: concurrently against a refused port with a limit of 6
 * left four exchanges with no outcome. */
static void test_concurrently_refused(void)
{
    run_t r;
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", refused_port());
    settings(&r, addr);
    if (start(&r, concurrent_source, 3, 6) != 0) return;
    join_within(&r, 20);
    const throng__stats_t *s = &r.w.stats;
    check_ledger(s, 6);
    CHECK_INT(s->n.requests, 0);
    CHECK_INT(s->n.faults[THRONG_FAULT_NOT_CONNECTED], s->n.faulted);
    CHECK(s->n.faulted >= 3);           /* each session's first refusal */
    CHECK_INT(s->n.clients_faulted, 3); /* and each client left */
    const throng__name_stats_t *a = named(s, "a"), *b = named(s, "b");
    CHECK(a && b && a->sent == 3 && b->sent == 3);
    CHECK(a && a->sent == a->faulted + a->cancelled && a->in_flight == 0);
    CHECK(b && b->sent == b->faulted + b->cancelled && b->in_flight == 0);
    finish(&r);
}

/* The observed bug: a connect failing at once leaked the request limit
 * (sent 2 of 6) and the run never reached it. Restarting clients must
 * draw the whole limit, and the run end on it. */
static void test_concurrently_fails_at_once(void)
{
    run_t r;
    settings_failing_at_once(&r);
    r.set.on_fault = THRONG_ON_FAULT_RESTART;
    if (start(&r, concurrent_source, 1, 6) != 0) return;
    join_within(&r, 20);
    const throng__stats_t *s = &r.w.stats;
    check_ledger(s, 6);
    CHECK_INT(atomic_load(&r.budget.issued), 6);
    CHECK_INT(s->n.faulted, 3);   /* the first of each session, at once */
    CHECK_INT(s->n.cancelled, 3); /* its sibling, begun and never sent */
    CHECK_INT(r.w.ending, THRONG_END_REQUESTS);
    finish(&r);
}

/* The limit runs out in the middle of a session's concurrently: what was
 * begun of it is cancelled, and the run ends on its limit. */
static void test_limit_mid_session(void)
{
    static const char source[] = "local P = {}\n"
                                 "function P:session(client)\n"
                                 "  local r = client:get('/Xy?x=1&y=1', { name = 'first' })\n"
                                 "  client:check(r.status == 200, 'first', { fatal = true })\n"
                                 "  client:concurrently({ path = '/Xy?x=1&y=2', name = 'c' },\n"
                                 "    { path = '/Xy?x=2&y=1', name = 'c' },\n"
                                 "    { path = '/Xy?x=2&y=2', name = 'c' })\n"
                                 "end\n"
                                 "return P\n";
    run_t r;
    settings(&r, server_addr);
    if (start(&r, source, 1, 3) != 0) return;
    join_within(&r, 20);
    const throng__stats_t *s = &r.w.stats;
    check_ledger(s, 3);
    CHECK_INT(s->n.requests, 1);
    CHECK_INT(s->n.cancelled, 2);
    CHECK_INT(s->n.faulted, 0);
    CHECK_INT(throng__counts_failures(&s->n), 0);
    const throng__name_stats_t *c = named(s, "c");
    CHECK(c && c->sent == 2 && c->cancelled == 2);
    CHECK_INT(r.w.ending, THRONG_END_REQUESTS);
    finish(&r);
}

/* The request style against the demonstration server: every request
 * answered, sessions counted, the run ends on its limit. */
static void test_request_style(void)
{
    static const char source[] =
        "local P = {}\n"
        "function P:init(args) self.left = 0 end\n"
        "function P:request() return { path = '/Xy?x=2&y=3', name = 'table' } end\n"
        "function P:response(res) if res.status ~= 200 then return false, 'status' end end\n"
        "return P\n";
    run_t r;
    settings(&r, server_addr);
    if (start(&r, source, 3, 30) != 0) return;
    join_within(&r, 20);
    const throng__stats_t *s = &r.w.stats;
    check_ledger(s, 30);
    CHECK_INT(s->n.requests, 30);
    CHECK(s->n.sessions >= 6); /* 4 requests a session */
    CHECK(s->n.connects >= 3);
    CHECK_INT(throng__counts_failures(&s->n), 0);
    CHECK_INT(r.w.ending, THRONG_END_REQUESTS);
    finish(&r);
}

/* A verdict on an answer: counted as a fault, the exchange answered. */
static void test_verdict(void)
{
    static const char source[] =
        "local P = {}\n"
        "function P:request() return { path = '/Xy?x=2&y=3', name = 'table' } end\n"
        "function P:response(res) return false, 'never good enough' end\n"
        "return P\n";
    run_t r;
    settings(&r, server_addr);
    if (start(&r, source, 2, 0) != 0) return;
    join_within(&r, 20);
    const throng__stats_t *s = &r.w.stats;
    check_ledger(s, 2);
    CHECK_INT(s->n.requests, 2);
    CHECK_INT(s->n.faulted, 0);
    CHECK_INT(s->n.faults[THRONG_FAULT_INVALID], 2);
    CHECK_INT(r.w.ending, THRONG_END_CLIENTS);
    finish(&r);
}

/* Ending a run with exchanges under way: cancelled when its time is up,
 * aborted faults when it is stopped. */
static void test_end_under_way(throng_ending_t reason)
{
    static const char source[] = "local P = {}\n"
                                 "function P:session(client)\n"
                                 "  client:concurrently({ path = '/Xy?x=1&y=1', name = 'slow' },\n"
                                 "    { path = '/Xy?x=1&y=1', name = 'slow' })\n"
                                 "end\n"
                                 "return P\n";
    throng_server_t *slow = throng_server_new();
    throng_server_config_t c;
    throng_server_config_init(&c);
    c.listen = "127.0.0.1:0";
    c.latency = 5;
    CHECK_INT(throng_server_start(slow, &c), 0);
    run_t r;
    settings(&r, throng_server_address(slow));
    if (start(&r, source, 2, 0) == 0) {
        usleep(300 * 1000);
        throng__worker_request_stop(&r.w, reason);
        join_within(&r, 20);
        const throng__stats_t *s = &r.w.stats;
        check_ledger(s, 4);
        if (reason == THRONG_END_STOPPED) {
            CHECK_INT(s->n.faulted, 4);
            CHECK_INT(s->n.faults[THRONG_FAULT_ABORTED], 4);
        } else {
            CHECK_INT(s->n.cancelled, 4);
            CHECK_INT(throng__counts_failures(&s->n), 0);
        }
        finish(&r);
    }
    throng_server_free(slow);
}

/* A request hook's list of requests, pipelined: each its own exchange,
 * answered in order (the i-th response of each pipeline is an i-by-i
 * table), the last pipeline cut to what the request limit leaves. */
static void test_pipeline(void)
{
    static const char source[] =
        "local throng = require 'throng'\n"
        "local P = {}\n"
        "function P:request()\n"
        "  self.i = 0\n"
        "  return { { path = '/Xy?x=1&y=1', name = 'a' }, { path = '/Xy?x=2&y=2', name = 'b' },\n"
        "           { path = '/Xy?x=3&y=3', name = 'c' } }\n"
        "end\n"
        "function P:response(res)\n"
        "  self.i = self.i + 1\n"
        "  local rows = throng.table_shape(res)\n"
        "  if rows ~= self.i then return false, 'answer ' .. self.i .. ' has ' .. tostring(rows) "
        "end\n"
        "end\n"
        "return P\n";
    run_t r;
    settings(&r, server_addr);
    if (start(&r, source, 2, 10) != 0) return;
    join_within(&r, 20);
    const throng__stats_t *s = &r.w.stats;
    check_ledger(s, 10);
    CHECK_INT(s->n.requests, 10);
    CHECK_INT(throng__counts_failures(&s->n), 0);
    const throng__name_stats_t *a = named(s, "a"), *b = named(s, "b"), *c = named(s, "c");
    CHECK(a && b && c);
    if (a && b && c) { /* 3 whole pipelines and one cut to its first request */
        CHECK_INT(a->requests, 4);
        CHECK_INT(b->requests, 3);
        CHECK_INT(c->requests, 3);
    }
    CHECK_INT(r.w.ending, THRONG_END_REQUESTS);
    finish(&r);
}

/* A run ended while pipelines wait for their answers: every exchange of
 * each pipeline settled, cancelled (the duration) or aborted (stopped). */
static void test_pipeline_under_way(throng_ending_t reason)
{
    static const char source[] = "local P = {}\n"
                                 "function P:request()\n"
                                 "  return { { path = '/Xy?x=1&y=1' }, { path = '/Xy?x=1&y=1' },\n"
                                 "           { path = '/Xy?x=1&y=1' } }\n"
                                 "end\n"
                                 "return P\n";
    throng_server_t *slow = throng_server_new();
    throng_server_config_t c;
    throng_server_config_init(&c);
    c.listen = "127.0.0.1:0";
    c.latency = 5;
    CHECK_INT(throng_server_start(slow, &c), 0);
    run_t r;
    settings(&r, throng_server_address(slow));
    if (start(&r, source, 2, 0) == 0) {
        usleep(300 * 1000);
        throng__worker_request_stop(&r.w, reason);
        join_within(&r, 20);
        const throng__stats_t *s = &r.w.stats;
        check_ledger(s, 6);
        if (reason == THRONG_END_STOPPED) {
            CHECK_INT(s->n.faulted, 6);
            CHECK_INT(s->n.faults[THRONG_FAULT_ABORTED], 6);
        } else {
            CHECK_INT(s->n.cancelled, 6);
            CHECK_INT(throng__counts_failures(&s->n), 0);
        }
        finish(&r);
    }
    throng_server_free(slow);
}

/* client:connect resolves a name off the loop's thread, and a server it
 * cannot parse is an error at the persona's call. */
static void test_connect(void)
{
    char source[1024];
    snprintf(source, sizeof source,
             "local P = {}\n"
             "function P:session(client)\n"
             "  local other = client:connect('localhost:%d')\n"
             "  local s = other:get('/status', { name = 'status' })\n"
             "  client:check(s.status == 200, 'status', { fatal = true })\n"
             "  local again = client:connect('localhost:%d')\n"
             "  client:check(again:get('/status', { name = 'status' }).status == 200, 'check', { "
             "fatal = true })\n"
             "  client:connect('localhost:99999')\n"
             "end\n"
             "return P\n",
             throng_server_port(server), throng_server_port(server));
    run_t r;
    settings(&r, server_addr);
    if (start(&r, source, 2, 0) != 0) return;
    join_within(&r, 20);
    const throng__stats_t *s = &r.w.stats;
    check_ledger(s, 4);
    CHECK_INT(s->n.requests, 4);
    CHECK_INT(s->n.faults[THRONG_FAULT_SCRIPT_ERROR], 2);
    CHECK(strstr(s->sample[THRONG_FAULT_SCRIPT_ERROR], "99999") != NULL);
    CHECK(strstr(s->sample[THRONG_FAULT_SCRIPT_ERROR], "persona:8:") != NULL); /* where it was */
    finish(&r);
}

/* The observed bug: a worker retried its write to the engine's pipe for as
 * long as it failed, spinning for ever on a descriptor gone bad. */
static void test_bad_pipe(void)
{
    static const char source[] = "local P = {}\n"
                                 "function P:request() return { path = '/status' } end\n"
                                 "return P\n";
    int fds[2];
    CHECK_INT(pipe(fds), 0);
    run_t r;
    settings(&r, server_addr);
    r.notify_fd = fds[0]; /* the read end: every write fails with EBADF */
    if (start(&r, source, 1, 1) == 0) {
        join_within(&r, 10);
        check_ledger(&r.w.stats, 1);
        finish(&r);
    }
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    server = throng_server_new();
    throng_server_config_t c;
    throng_server_config_init(&c);
    c.listen = "127.0.0.1:0";
    CHECK_INT(throng_server_start(server, &c), 0);
    snprintf(server_addr, sizeof server_addr, "%s", throng_server_address(server));

    test_concurrently_refused();
    test_concurrently_fails_at_once();
    test_limit_mid_session();
    test_request_style();
    test_verdict();
    test_end_under_way(THRONG_END_DURATION);
    test_end_under_way(THRONG_END_STOPPED);
    test_pipeline();
    test_pipeline_under_way(THRONG_END_DURATION);
    test_pipeline_under_way(THRONG_END_STOPPED);
    test_connect();
    test_bad_pipe();

    throng_server_free(server);
    return check_result("client");
}
