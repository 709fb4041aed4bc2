/* test_dashboard.c - the live dashboard: its errors (no engine, no live
 * reports, a bad address, a port in use), its answers before a run (the
 * snapshot says "starting", a viewer of /events gets it, a free closes the
 * viewer and returns), and its metrics from a report made by hand: the
 * fixed buckets counted from throng's, label values escaped, both formats. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"
#include "core/dashboard.h"
#include "throng.h"

/* Connects to "127.0.0.1:PORT" and sends request; returns the socket. */
static int http_open(const char *addr, const char *request)
{
    const char *colon = strrchr(addr, ':');
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    CHECK_INT(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    CHECK(write(fd, request, strlen(request)) == (ssize_t)strlen(request));
    return fd;
}

/* Reads until the peer closes (or until `until` appears), into buf. */
static void http_read(int fd, char *buf, size_t len, const char *until)
{
    size_t n = 0;
    ssize_t r;
    while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0) {
        n += (size_t)r;
        buf[n] = 0;
        if (until && strstr(buf, until)) break;
    }
    buf[n] = 0;
}

static void test_errors(void)
{
    char err[256];
    throng_dashboard_t *d = NULL;
    CHECK_INT(throng_dashboard_start(NULL, NULL, &d, err, sizeof err), THRONG_EINVAL);
    throng_engine_t *e = throng_engine_new(NULL);
    CHECK_INT(throng_dashboard_start(e, "127.0.0.1:0", &d, err, sizeof err), THRONG_EINVAL);
    CHECK(strstr(err, "live_reports") != NULL);
    throng_engine_free(e);

    throng_config_t c;
    throng_config_init(&c);
    c.live_reports = 1;
    e = throng_engine_new(&c);
    CHECK_INT(throng_dashboard_start(e, "127.0.0.1:http", &d, err, sizeof err), THRONG_EADDR);
    throng_dashboard_t *first = NULL;
    CHECK_INT(throng_dashboard_start(e, "127.0.0.1:0", &first, err, sizeof err), 0);
    CHECK_INT(throng_dashboard_start(e, throng_dashboard_address(first), &d, err, sizeof err),
              THRONG_ELISTEN);
    CHECK(strstr(err, "cannot listen") != NULL);
    throng_dashboard_free(first);
    throng_dashboard_free(NULL);
    throng_engine_free(e);
}

static void test_before_the_run(void)
{
    throng_config_t c;
    throng_config_init(&c);
    c.live_reports = 1;
    throng_engine_t *e = throng_engine_new(&c);
    throng_dashboard_t *d = NULL;
    char err[256], buf[8192];
    CHECK_INT(throng_dashboard_start(e, "127.0.0.1:0", &d, err, sizeof err), 0);
    const char *addr = throng_dashboard_address(d);
    CHECK(strncmp(addr, "127.0.0.1:", 10) == 0);

    int fd = http_open(addr, "GET /snapshot.json HTTP/1.1\r\nHost: x\r\n\r\n");
    http_read(fd, buf, sizeof buf, NULL);
    close(fd);
    CHECK(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(strstr(buf, "\"state\":\"starting\"") != NULL);

    fd = http_open(addr, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    http_read(fd, buf, sizeof buf, NULL);
    close(fd);
    CHECK(strstr(buf, "\nthrong_running 0\n") != NULL);

    /* A viewer gets the snapshot at once, and the free closes its stream. */
    int viewer = http_open(addr, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    http_read(viewer, buf, sizeof buf, "starting");
    CHECK(strstr(buf, "starting") != NULL);

    fd = http_open(addr, "PUT /events HTTP/1.1\r\nHost: x\r\n\r\n");
    http_read(fd, buf, sizeof buf, NULL);
    close(fd);
    CHECK(strncmp(buf, "HTTP/1.1 405 ", 13) == 0);

    throng_dashboard_stats_t st;
    throng_dashboard_stats(d, &st);
    CHECK_INT((int)st.viewers, 1);
    CHECK(st.requests >= 4);
    throng_dashboard_free(d);
    CHECK_INT((int)read(viewer, buf, sizeof buf), 0); /* closed by the free */
    close(viewer);
    throng_engine_free(e);
}

static const char report[] =
    "{\"elapsed\":2,\"ending\":\"none\",\"series\":[{\"t\":1,\"target\":4,\"achieved\":3}],"
    "\"totals\":{\"faults\":{\"timed-out\":{\"count\":2,\"sample\":\"x\"}}},"
    "\"thresholds\":[{\"expression\":\"p99<1ms\",\"passed\":false}],"
    "\"groups\":[{\"name\":\"a\\\"b\\\\c\",\"clients_active\":4,"
    "\"totals\":{\"bytes_sent\":10,\"faults\":{\"timed-out\":{\"count\":2,\"sample\":\"x\"}}},"
    "\"names\":[{\"name\":\"get\",\"sent\":7,\"failures\":2,\"status\":{\"200\":5},"
    "\"latency\":{\"count\":6,\"sum_ns\":2003000000,\"buckets\":[[500000,500499,3],"
    "[1000000,1000999,2],[2000000000,2000999999,1]]}}]}]}";

static void test_metrics(void)
{
    cJSON *doc = cJSON_Parse(report);
    CHECK(doc != NULL);
    throng__buf_t b = {0};
    CHECK_INT(throng__dash_metrics(doc, 0, 0, &b), 0);
    CHECK_INT(throng__buf_append(&b, "", 1), 0); /* a C string to search */
    const char *m = b.data;
    CHECK(strstr(m, "throng_running 1\n") != NULL);
    CHECK(
        strstr(m, "throng_requests_total{group=\"a\\\"b\\\\c\",name=\"get\",status=\"200\"} 5\n"));
    CHECK(strstr(m, "throng_faults_total{group=\"a\\\"b\\\\c\",kind=\"timed-out\"} 2\n"));
    CHECK(strstr(m, "le=\"0.00025\"} 0\n") != NULL);
    CHECK(strstr(m, "le=\"0.0005\"} 3\n") != NULL);
    CHECK(strstr(m, "le=\"0.001\"} 5\n") != NULL);
    CHECK(strstr(m, "le=\"1\"} 5\n") != NULL);
    CHECK(strstr(m, "le=\"2.5\"} 6\n") != NULL);
    CHECK(strstr(m, "le=\"+Inf\"} 6\n") != NULL);
    CHECK(strstr(
        m, "throng_request_duration_seconds_sum{group=\"a\\\"b\\\\c\",name=\"get\"} 2.003\n"));
    CHECK(strstr(m, "throng_load_achieved 3\n") != NULL);
    CHECK(strstr(m, "throng_threshold_passed{expression=\"p99<1ms\"} 0\n") != NULL);
    CHECK(strstr(m, "# TYPE throng_requests_total counter\n") != NULL);
    CHECK(strstr(m, "# EOF") == NULL);
    throng__buf_free(&b);

    CHECK_INT(throng__dash_metrics(doc, 1, 1, &b), 0);
    CHECK_INT(throng__buf_append(&b, "", 1), 0);
    m = b.data;
    CHECK(strstr(m, "throng_running 0\n") != NULL);
    CHECK(strstr(m, "# TYPE throng_requests counter\n") != NULL);
    CHECK(strstr(m, "throng_requests_total{") != NULL);
    CHECK(strcmp(m + b.len - 7, "# EOF\n") == 0);
    throng__buf_free(&b);

    throng__dash_prev_t prev = {0};
    cJSON *s = throng__dash_snapshot(doc, 0, &prev, 2, 1);
    char *text = cJSON_PrintUnformatted(s);
    CHECK(strstr(text, "\"state\":\"running\"") != NULL);
    CHECK(strstr(text, "\"kind\":\"timed-out\",\"count\":2,\"sample\":\"x\"") != NULL);
    CHECK(strstr(text, "\"viewers\":2,\"viewers_dropped\":1") != NULL);
    free(text);
    cJSON_Delete(s);
    cJSON_Delete(doc);
}

int main(void)
{
    test_errors();
    test_before_the_run();
    test_metrics();
    return check_result("test_dashboard");
}
