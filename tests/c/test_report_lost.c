/* test_report_lost.c - throng_report_mark_lost: the report of a run whose
 * process died counts that process lost, with why as its sample (the first
 * reason kept), and is otherwise the same report; a document that is not a
 * report is refused saying why. */
#include <string.h>

#include <cJSON.h>

#include "check.h"
#include "throng.h"

static const cJSON *at(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

int main(void)
{
    throng_server_t *server = throng_server_new();
    throng_server_config_t sc;
    throng_server_config_init(&sc);
    sc.listen = "127.0.0.1:0";
    CHECK(server && throng_server_start(server, &sc) == 0);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", throng_server_port(server));
    throng_config_t c;
    throng_config_init(&c);
    c.server = addr;
    c.duration = 0.3;
    throng_engine_t *e = throng_engine_new(&c);
    throng_group_t g;
    throng_group_init(&g);
    g.clients = 2;
    CHECK_INT(throng_add_group(e, &g), 0);
    CHECK_INT(throng_run(e), 0);
    char *json = NULL, *once = NULL, *twice = NULL, err[256] = "";
    CHECK_INT(throng_report_json(e, &json), 0);

    CHECK_INT(throng_report_mark_lost(json, "killed by signal 9", &once, err, sizeof err), 0);
    CHECK_INT(throng_report_mark_lost(once, "another reason", &twice, err, sizeof err), 0);
    cJSON *a = cJSON_Parse(json), *b = cJSON_Parse(once), *d = cJSON_Parse(twice);
    CHECK(a && b && d);
    if (a && b && d) {
        CHECK(at(at(a, "processes"), "lost")->valuedouble == 0);
        CHECK(at(at(b, "processes"), "lost")->valuedouble == 1);
        CHECK_STR(cJSON_GetStringValue(at(at(b, "processes"), "sample")), "killed by signal 9");
        CHECK(at(at(d, "processes"), "lost")->valuedouble == 2);
        CHECK_STR(cJSON_GetStringValue(at(at(d, "processes"), "sample")), "killed by signal 9");
        /* The figures are the same. */
        CHECK(at(at(b, "totals"), "requests")->valuedouble ==
              at(at(a, "totals"), "requests")->valuedouble);
        CHECK(at(at(a, "totals"), "requests")->valuedouble > 0);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(d);

    char *none = NULL;
    CHECK_INT(throng_report_mark_lost("{\"not\": \"a report\"}", "x", &none, err, sizeof err),
              THRONG_EINVAL);
    CHECK(none == NULL && err[0]);
    CHECK_INT(throng_report_mark_lost("[1,", "x", &none, err, sizeof err), THRONG_EINVAL);
    CHECK(strstr(err, "not JSON") != NULL);

    throng_free(json);
    throng_free(once);
    throng_free(twice);
    throng_engine_free(e);
    throng_server_free(server);
    return check_result("test_report_lost");
}
