/* test_shard.c - one run in N shards (core/shard.c) and their reports
 * merged (report/report_merge.c): the division adds up exactly to the
 * whole for awkward numbers (7 clients over 3 shards, stages, rates,
 * request limits); shard seeds repeat and differ; the engine refuses a
 * shard out of range; shards run against the demonstration server add up
 * to its count, and their merge is exact, bucket by bucket, or refused
 * naming what is wrong. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "check.h"
#include "core/shard.h"
#include "throng.h"

static throng_server_t *server;
static char server_addr[64];

/* ---------------------------------------------------------- division */

static void test_share(void)
{
    static const uint64_t ns[] = {0, 1, 2, 3, 7, 10, 999, 1000003, 4503599627370495ULL};
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
        for (unsigned parts = 1; parts <= 9; parts++) {
            uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
            for (unsigned i = 0; i < parts; i++) {
                uint64_t from, n = throng__share(ns[a], parts, i, &from);
                CHECK(from == sum); /* contiguous: no client twice, none skipped */
                sum += n;
                lo = n < lo ? n : lo;
                hi = n > hi ? n : hi;
            }
            CHECK(sum == ns[a]);
            CHECK(hi - lo <= 1); /* equal parts, to one */
        }
}

static void test_clients(void)
{
    throng_group_t whole;
    throng_group_init(&whole);
    whole.clients = 7;
    for (unsigned gi = 0; gi < 4; gi++) {
        unsigned sum = 0;
        for (unsigned s = 0; s < 3; s++) {
            throng_group_t part;
            uint64_t from;
            throng__shard_group(&whole, gi, s, 3, &part, NULL, &from);
            CHECK(part.clients == 2 || part.clients == 3);
            sum += part.clients;
        }
        CHECK_INT(sum, 7);
    }
    /* Three groups of one client: one on each shard, not all on shard 0. */
    whole.clients = 1;
    for (unsigned s = 0; s < 3; s++) {
        unsigned here = 0;
        for (unsigned gi = 0; gi < 3; gi++) {
            throng_group_t part;
            uint64_t from;
            throng__shard_group(&whole, gi, s, 3, &part, NULL, &from);
            here += part.clients;
        }
        CHECK_INT(here, 1);
    }
    /* Not sharded: the whole. */
    throng_group_t part;
    uint64_t from;
    whole.clients = 7;
    throng__shard_group(&whole, 0, 0, 1, &part, NULL, &from);
    CHECK_INT(part.clients, 7);
}

static void test_stages(void)
{
    throng_stage_t stages[] = {{10, 10}, {20, 7}, {5, 3}, {5, 0}};
    throng_group_t whole;
    throng_group_init(&whole);
    whole.stages = stages;
    whole.nstages = 4;
    whole.clients = 10;
    double sums[4] = {0};
    unsigned clients = 0;
    for (unsigned s = 0; s < 4; s++) {
        throng_stage_t mine[4];
        throng_group_t part;
        uint64_t from;
        throng__shard_group(&whole, 1, s, 4, &part, mine, &from);
        double peak = 0;
        for (int i = 0; i < 4; i++) {
            CHECK(mine[i].duration == stages[i].duration);
            CHECK(mine[i].target == floor(mine[i].target)); /* whole clients */
            sums[i] += mine[i].target;
            peak = mine[i].target > peak ? mine[i].target : peak;
        }
        CHECK_INT(part.clients, (unsigned)peak);
        clients += part.clients;
    }
    for (int i = 0; i < 4; i++)
        CHECK(sums[i] == stages[i].target);
    CHECK_INT(clients, 10);
    /* Stages of rates: divided evenly. */
    throng_stage_t rates[] = {{30, 500}, {60, 1000}, {30, 0}};
    whole.stages = rates;
    whole.nstages = 3;
    whole.stages_rate = 1;
    double rsum[3] = {0};
    for (unsigned s = 0; s < 7; s++) {
        throng_stage_t mine[3];
        throng_group_t part;
        uint64_t from;
        throng__shard_group(&whole, 0, s, 7, &part, mine, &from);
        for (int i = 0; i < 3; i++)
            rsum[i] += mine[i].target;
    }
    for (int i = 0; i < 3; i++)
        CHECK(fabs(rsum[i] - rates[i].target) < 1e-9);
}

static void test_rates(void)
{
    throng_group_t whole;
    throng_group_init(&whole);
    whole.rate = 100;
    whole.max_clients = 50;
    whole.threads = 2;
    double rate = 0;
    unsigned cap = 0;
    for (unsigned s = 0; s < 3; s++) {
        throng_group_t part;
        uint64_t from;
        throng__shard_group(&whole, 0, s, 3, &part, NULL, &from);
        rate += part.rate;
        cap += part.max_clients;
        CHECK(part.max_clients >= 2); /* a client for each worker thread */
    }
    CHECK(fabs(rate - 100) < 1e-9);
    CHECK_INT(cap, 50);
}

static void test_seeds(void)
{
    CHECK(throng__shard_seed(42, 0, 1) == 42);
    uint64_t a = throng__shard_seed(42, 0, 3), b = throng__shard_seed(42, 1, 3);
    CHECK(a != b && a != 42);
    CHECK(a == throng__shard_seed(42, 0, 3)); /* repeats */
    CHECK(a <= THRONG_MAX_SEED && b <= THRONG_MAX_SEED && a && b);
    CHECK(throng__shard_seed(43, 0, 3) != a);
}

/* ---------------------------------------------------------- the engine */

static void test_refusals(void)
{
    throng_config_t c;
    throng_config_init(&c);
    c.server = server_addr;
    c.shard = 3;
    c.shards = 3;
    throng_engine_t *e = throng_engine_new(&c);
    throng_group_t g;
    throng_group_init(&g);
    CHECK(throng_add_group(e, &g) == 0);
    CHECK(throng_check(e) == THRONG_EINVAL);
    CHECK(strstr(throng_errmsg(e), "below 3") != NULL);
    CHECK(throng_start(e) == THRONG_EINVAL);
    throng_engine_free(e);
    c.shard = 0;
    c.run_id = "not an id!";
    e = throng_engine_new(&c);
    CHECK(throng_add_group(e, &g) == 0);
    CHECK(throng_check(e) == THRONG_EINVAL);
    CHECK(strstr(throng_errmsg(e), "run_id") != NULL);
    throng_engine_free(e);
}

/* Runs shard `shard` of `shards` (7 clients, max_requests limit, seed and
 * run id as given) and returns its JSON report. */
static char *run_shard(unsigned shard, unsigned shards, uint64_t limit, uint64_t seed,
                       const char *run_id)
{
    throng_config_t c;
    throng_config_init(&c);
    c.server = server_addr;
    c.max_requests = limit;
    c.duration = 20;
    c.seed = seed;
    c.shard = shard;
    c.shards = shards;
    c.run_id = run_id;
    throng_engine_t *e = throng_engine_new(&c);
    throng_group_t g;
    throng_group_init(&g);
    g.clients = 7;
    g.slow_down = 0;
    g.request_count = 3;
    const char *thresholds[] = {"requests>=1"};
    g.thresholds = thresholds;
    g.nthresholds = 1;
    char *json = NULL;
    CHECK(throng_add_group(e, &g) == 0);
    if (throng_run(e) != 0) fprintf(stderr, "shard %u: %s\n", shard, throng_errmsg(e));
    CHECK(throng_report_json(e, &json) == 0);
    throng_engine_free(e);
    return json;
}

static double at(const cJSON *o, const char *path)
{
    char key[64];
    const char *dot;
    while ((dot = strchr(path, '.')) != NULL) {
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        o = cJSON_GetObjectItemCaseSensitive(o, key);
        path = dot + 1;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, path);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *id_of(const cJSON *doc)
{
    return cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "run"), "id"));
}

/* The count of the bucket [lo, hi] of a histogram's JSON, 0 when none. */
static double bucket(const cJSON *h, double lo, double hi)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(h, "buckets"))
    {
        if (cJSON_GetArrayItem(b, 0)->valuedouble == lo &&
            cJSON_GetArrayItem(b, 1)->valuedouble == hi)
            return cJSON_GetArrayItem(b, 2)->valuedouble;
    }
    return 0;
}

static void test_shards_merge(void)
{
    throng_server_stats_t before, after;
    throng_server_stats(server, &before);
    char *r[3];
    cJSON *d[3];
    for (unsigned i = 0; i < 3; i++) {
        r[i] = run_shard(i, 3, 10, 0, NULL); /* no seed, no id: every shard derives the same */
        d[i] = cJSON_Parse(r[i]);
    }
    throng_server_stats(server, &after);
    CHECK_INT(after.requests - before.requests, 10);
    double sent = 0, clients = 0;
    for (unsigned i = 0; i < 3; i++) {
        CHECK_STR(id_of(d[i]), id_of(d[0]));
        CHECK(at(d[i], "run.shard") == i && at(d[i], "run.shards") == 3);
        CHECK(at(d[i], "settings.seed") == at(d[0], "settings.seed"));
        sent += at(d[i], "totals.sent");
        clients +=
            at(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d[i], "groups"), 0), "clients");
        CHECK(at(d[i], "totals.sent") == at(d[i], "totals.requests") + at(d[i], "totals.faulted") +
                                             at(d[i], "totals.cancelled") +
                                             at(d[i], "totals.in_flight"));
    }
    CHECK(sent == 10);
    CHECK(clients == 7);

    char *out = NULL, err[256] = "";
    int rc = throng_report_merge_shards((const char *const *)r, 3, 0, &out, err, sizeof err);
    if (rc) fprintf(stderr, "merge: %s\n", err);
    CHECK(rc == 0);
    cJSON *m = out ? cJSON_Parse(out) : NULL;
    CHECK(at(m, "totals.sent") == 10 &&
          at(m, "totals.requests") == after.requests - before.requests);
    CHECK(at(m, "settings.max_requests") == 10);
    CHECK(at(m, "run.shards") == 3);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
              cJSON_GetObjectItemCaseSensitive(m, "run"), "missing")) == 0);
    /* Bucket by bucket: the merged count of each is the shards' sum. */
    const cJSON *mh =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "totals"), "latency");
    const cJSON *b;
    double total = 0;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(mh, "buckets"))
    {
        double lo = cJSON_GetArrayItem(b, 0)->valuedouble,
               hi = cJSON_GetArrayItem(b, 1)->valuedouble;
        double sum = 0;
        for (unsigned i = 0; i < 3; i++)
            sum += bucket(cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(d[i], "totals"), "latency"),
                          lo, hi);
        CHECK(sum == cJSON_GetArrayItem(b, 2)->valuedouble);
        total += sum;
    }
    CHECK(total == at(m, "totals.latency.count") && total > 0);
    /* The threshold measured again on the whole: 10 requests. */
    const cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(m, "thresholds"), 0);
    CHECK(at(t, "value") == 10);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "passed")));
    throng_free(out);
    cJSON_Delete(m);

    /* A threshold that each shard passes and the whole fails. */
    unsigned failed = 0;
    char *judged = NULL;
    const char *le[] = {"requests<=4"};
    CHECK(throng_report_thresholds(r[0], le, 1, &judged, &failed, err, sizeof err) == 0);
    CHECK(failed == 0); /* a shard sends at most 4 of the 10 */
    throng_free(judged);
    rc = throng_report_merge_shards((const char *const *)r, 3, 0, &out, err, sizeof err);
    CHECK(throng_report_thresholds(out, le, 1, &judged, &failed, err, sizeof err) == 0);
    CHECK(failed == 1);
    throng_free(judged);
    throng_free(out);
    out = NULL;

    /* Refusals, each naming what is wrong. */
    const char *missing[] = {r[0], r[2]};
    CHECK(throng_report_merge_shards(missing, 2, 0, &out, err, sizeof err) == THRONG_EINVAL);
    CHECK(strstr(err, "shard 1 of 3 missing") != NULL);
    CHECK(throng_report_merge_shards(missing, 2, 1, &out, err, sizeof err) == 0);
    m = cJSON_Parse(out);
    const cJSON *lack =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "run"), "missing");
    CHECK(cJSON_GetArraySize(lack) == 1 && cJSON_GetArrayItem(lack, 0)->valuedouble == 1);
    cJSON_Delete(m);
    throng_free(out);
    out = NULL;
    const char *twice[] = {r[0], r[1], r[1], r[2]};
    CHECK(throng_report_merge_shards(twice, 4, 0, &out, err, sizeof err) == THRONG_EINVAL);
    CHECK(strstr(err, "shard 1 of 3 twice") != NULL && strstr(err, "reports 2 and 3") != NULL);
    char *other = run_shard(1, 3, 10, 0, "another-run");
    const char *mixed[] = {r[0], other, r[2]};
    CHECK(throng_report_merge_shards(mixed, 3, 0, &out, err, sizeof err) == THRONG_EINVAL);
    CHECK(strstr(err, "report 2 is of run 'another-run'") != NULL);
    char *whole = run_shard(0, 1, 3, 0, NULL);
    const char *notshard[] = {r[0], whole};
    CHECK(throng_report_merge_shards(notshard, 2, 0, &out, err, sizeof err) == THRONG_EINVAL);
    CHECK(strstr(err, "report 2 is not a shard's") != NULL);
    /* Side by side, the old merge, says it is one. */
    CHECK(throng_report_merge((const char *const *)r, 3, 0, &out, err, sizeof err) == 0);
    CHECK(strstr(out, "\"side-by-side\"") != NULL);
    throng_free(out);
    throng_free(other);
    throng_free(whole);
    for (unsigned i = 0; i < 3; i++) {
        throng_free(r[i]);
        cJSON_Delete(d[i]);
    }
}

/* The same seed and shard repeat; a request limit smaller than the shards
 * leaves some with nothing, and they still report. */
static void test_seeds_and_empty_shards(void)
{
    char *a = run_shard(1, 3, 6, 1234, "seeded"), *b = run_shard(1, 3, 6, 1234, "seeded");
    cJSON *x = cJSON_Parse(a), *y = cJSON_Parse(b);
    CHECK(at(x, "settings.seed") == 1234 && at(y, "settings.seed") == 1234);
    CHECK_STR(id_of(x), "seeded");
    cJSON_Delete(x);
    cJSON_Delete(y);
    throng_free(a);
    throng_free(b);
    char *r[3];
    double sent = 0;
    for (unsigned i = 0; i < 3; i++) {
        r[i] = run_shard(i, 3, 2, 0, NULL); /* 2 requests over 3 shards */
        cJSON *d = cJSON_Parse(r[i]);
        sent += at(d, "totals.sent");
        CHECK(at(d, "settings.max_requests") == (i < 2 ? 1 : 0));
        cJSON_Delete(d);
    }
    CHECK(sent == 2);
    char *out = NULL, err[256];
    CHECK(throng_report_merge_shards((const char *const *)r, 3, 0, &out, err, sizeof err) == 0);
    cJSON *m = cJSON_Parse(out);
    CHECK(at(m, "totals.sent") == 2 && at(m, "settings.max_requests") == 2);
    cJSON_Delete(m);
    throng_free(out);
    for (unsigned i = 0; i < 3; i++)
        throng_free(r[i]);
}

int main(void)
{
    test_share();
    test_clients();
    test_stages();
    test_rates();
    test_seeds();

    server = throng_server_new();
    throng_server_config_t sc;
    throng_server_config_init(&sc);
    sc.listen = "127.0.0.1:0";
    if (!server || throng_server_start(server, &sc) != 0) {
        CHECK(!"server started");
        return check_result("test_shard");
    }
    snprintf(server_addr, sizeof server_addr, "127.0.0.1:%d", throng_server_port(server));
    test_refusals();
    test_shards_merge();
    test_seeds_and_empty_shards();
    throng_server_free(server);
    return check_result("test_shard");
}
