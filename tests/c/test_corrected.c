/* test_corrected.c - coordinated omission corrected through the C API: a
 * group with an expected interval, against an in-process server that takes
 * 50 ms per answer, reports a corrected distribution beside the measured
 * one (holding more values, reaching lower) and leaves the measured one as
 * it is; without the interval there is none, and a corrected threshold
 * fails saying why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "check.h"
#include "throng.h"

static char server_addr[64];

/* Runs 2 clients thinking 10 ms for 1.2 s; the report is copied into r and
 * the JSON document returned (the caller deletes it). */
static cJSON *run(double expected_interval, throng_report_t *r)
{
    throng_config_t c;
    throng_config_init(&c);
    c.server = server_addr;
    c.duration = 1.2;
    throng_group_t g;
    throng_group_init(&g);
    g.clients = 2;
    g.slow_down = 0.01;
    g.expected_interval = expected_interval;
    const char *thresholds[] = {"corrected.p99<10s"};
    g.thresholds = thresholds;
    g.nthresholds = 1;
    throng_engine_t *e = throng_engine_new(&c);
    cJSON *doc = NULL;
    char *json = NULL;
    if (!e) return NULL;
    CHECK_INT(throng_add_group(e, &g), 0);
    CHECK_INT(throng_run(e), 0);
    const throng_report_t *got = throng_report(e);
    CHECK(got != NULL);
    if (got) *r = *got;
    if (throng_report_json(e, &json) == 0) doc = cJSON_Parse(json);
    throng_free(json);
    throng_engine_free(e);
    return doc;
}

static const cJSON *at(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static void test_with_interval(void)
{
    throng_report_t r;
    memset(&r, 0, sizeof r);
    cJSON *doc = run(0.01, &r);
    CHECK(doc != NULL);
    CHECK(r.requests >= 10);
    /* The measured latency: every answer, about 50 ms each. */
    CHECK_INT(r.latency.count, r.requests);
    CHECK(r.latency.min >= 0.049 && r.latency.p50 < 0.2);
    /* Corrected: each 50 ms answer stands for 5 values at 10 ms intervals
     * (50, 40, 30, 20, 10 ms). */
    CHECK(r.corrected.count > r.latency.count);
    CHECK(r.corrected.count >= 4 * r.latency.count);
    CHECK(r.corrected.min < r.latency.min && r.corrected.min >= 0.0099);
    CHECK(r.corrected.max == r.latency.max);
    CHECK_INT(r.service.count, r.latency.count); /* closed model: the same */
    CHECK(r.thresholds_failed == 0);
    const cJSON *tot = at(doc, "totals"), *g = cJSON_GetArrayItem(at(doc, "groups"), 0);
    CHECK(cJSON_IsObject(at(tot, "corrected")));
    CHECK(at(at(tot, "corrected"), "count") &&
          at(at(tot, "corrected"), "count")->valuedouble == (double)r.corrected.count);
    CHECK(at(tot, "expected_interval") && at(tot, "expected_interval")->valuedouble == 0.01);
    CHECK(cJSON_IsObject(at(at(g, "totals"), "corrected")));
    CHECK_STR(cJSON_GetStringValue(at(at(g, "load"), "model")), "closed");
    cJSON_Delete(doc);
}

static void test_without_interval(void)
{
    throng_report_t r;
    memset(&r, 0, sizeof r);
    cJSON *doc = run(0, &r);
    CHECK(doc != NULL);
    CHECK(r.requests > 0);
    CHECK_INT(r.corrected.count, 0);
    CHECK(at(at(doc, "totals"), "corrected") == NULL);
    CHECK_INT(r.thresholds_failed, 1); /* never passes for want of data */
    const cJSON *t = cJSON_GetArrayItem(at(doc, "thresholds"), 0);
    const char *note = cJSON_GetStringValue(at(t, "note"));
    CHECK(note && strstr(note, "expected interval"));
    cJSON_Delete(doc);
}

int main(void)
{
    throng_server_t *server = throng_server_new();
    throng_server_config_t sc;
    throng_server_config_init(&sc);
    sc.listen = "127.0.0.1:0";
    sc.latency = 0.05;
    if (!server || throng_server_start(server, &sc) != 0) {
        CHECK(!"server started");
        throng_server_free(server);
        return check_result("test_corrected");
    }
    snprintf(server_addr, sizeof server_addr, "127.0.0.1:%d", throng_server_port(server));
    test_with_interval();
    test_without_interval();
    throng_server_free(server);
    return check_result("test_corrected");
}
