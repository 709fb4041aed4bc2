/* render_junit.c - the JUnit XML report, drawn from the JSON report alone
 * (render_junit.h says what it holds). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "report/render_junit.h"
#include "report/render_summary.h"
#include "report/render_text.h"

/* ------------------------------------------------------------ escaping */

/* The length of the UTF-8 character at s that XML 1.0 allows, or 0 when
 * the bytes there are not one (bad UTF-8, an overlong form, a surrogate, a
 * control character other than tab, newline and return, U+FFFE/U+FFFF). */
static size_t xml_char(const unsigned char *s)
{
    unsigned c = s[0], n, cp;
    if (c < 0x80) return c >= 0x20 || c == '\t' || c == '\n' || c == '\r' ? 1 : 0;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    for (unsigned i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    static const unsigned least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
        cp == 0xffff)
        return 0;
    return n;
}

/* Appends s as XML character data, fit for an attribute value too. */
static void put_xml(throng__buf_t *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = xml_char(p);
        if (n == 0) {
            throng__buf_puts(b, "\xef\xbf\xbd"); /* U+FFFD, for one byte */
            p++;
            continue;
        }
        switch (*p) {
        case '&':
            throng__buf_puts(b, "&amp;");
            break;
        case '<':
            throng__buf_puts(b, "&lt;");
            break;
        case '>':
            throng__buf_puts(b, "&gt;");
            break;
        case '"':
            throng__buf_puts(b, "&quot;");
            break;
        case '\'':
            throng__buf_puts(b, "&apos;");
            break;
        /* Kept as they are, not normalised to blanks, in attribute values. */
        case '\t':
            throng__buf_puts(b, "&#9;");
            break;
        case '\n':
            throng__buf_puts(b, "&#10;");
            break;
        case '\r':
            throng__buf_puts(b, "&#13;");
            break;
        default:
            throng__buf_append(b, p, n);
        }
        p += n;
    }
}

/* ------------------------------------------------------------ units */

/* The parts of an expression, blanks left out: "table:p99" and "20ms" of
 * "table:p99 < 20ms"; 0 when it has no comparison. */
static int split_expression(const char *expression, char *left, size_t llen, char *right,
                            size_t rlen)
{
    const char *op = strpbrk(expression, "<>");
    if (!op) return 0;
    size_t l = 0, r = 0;
    for (const char *p = expression; p < op && l + 1 < llen; p++)
        if (*p != ' ' && *p != '\t') left[l++] = *p;
    left[l] = '\0';
    const char *q = op + 1;
    if (*q == '=') q++;
    for (; *q && r + 1 < rlen; q++)
        if (*q != ' ' && *q != '\t') right[r++] = *q;
    right[r] = '\0';
    return 1;
}

/* A number as people write one: whole numbers whole, others to three
 * digits as the text report shows them. */
static void fmt_number(char *buf, size_t len, double v)
{
    double a = fabs(v);
    if (v == floor(v) && a < 1e15)
        snprintf(buf, len, "%.0f", v);
    else if (a >= 1000)
        snprintf(buf, len, "%.1f", v);
    else
        snprintf(buf, len, "%.3g", v);
}

/* The seconds in one of a duration's units ("ms" of "20ms", "m" of
 * "1h30m": the last one written), or 0 when the text ends in none. */
static double time_unit(const char *limit, const char **unit)
{
    static const struct {
        const char *name;
        double seconds;
    } units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1},
                 {"m", 60},    {"h", 3600},  {"d", 86400}};
    size_t n = strlen(limit), at = n;
    while (at > 0 && isalpha((unsigned char)limit[at - 1]))
        at--;
    for (size_t i = 0; at < n && i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(limit + at, units[i].name) == 0) {
            *unit = units[i].name;
            return units[i].seconds;
        }
    }
    return 0;
}

/* value (as the report has it: seconds, a share or a count) in the units
 * the limit was written in. */
static void fmt_in_units(char *buf, size_t len, double value, const char *limit)
{
    char n[64];
    size_t ll = strlen(limit);
    const char *unit = NULL;
    double seconds = time_unit(limit, &unit);
    if (ll && limit[ll - 1] == '%') {
        fmt_number(n, sizeof n, value * 100);
        snprintf(buf, len, "%s%%", n);
    } else if (ll > 2 && strcmp(limit + ll - 2, "/s") == 0) {
        fmt_number(n, sizeof n, value);
        snprintf(buf, len, "%s/s", n);
    } else if (seconds > 0 && (value == 0 || fabs(value / seconds) >= 1e-3)) {
        fmt_number(n, sizeof n, value / seconds);
        snprintf(buf, len, "%s%s", n, unit);
    } else if (seconds > 0) { /* far below the unit: a readable one */
        throng__fmt_seconds(buf, len, value);
    } else {
        fmt_number(buf, len, value);
    }
}

void throng__threshold_texts(const cJSON *t, char *measured, size_t mlen, char *limit, size_t llen)
{
    char left[128], right[96];
    const cJSON *value = throng__summary_obj(t, "value");
    if (split_expression(throng__summary_str(t, "expression"), left, sizeof left, right,
                         sizeof right)) {
        snprintf(limit, llen, "%s%s", throng__summary_str(t, "op"), right);
    } else { /* not as thresholds are written: the report's own figure */
        fmt_number(right, sizeof right, throng__summary_num(t, "limit"));
        snprintf(limit, llen, "%s%s", throng__summary_str(t, "op"), right);
    }
    if (cJSON_IsNumber(value))
        fmt_in_units(measured, mlen, value->valuedouble, right);
    else
        snprintf(measured, mlen, "never measured");
}

/* ------------------------------------------------------------ the suite */

/* One test case, failed when message is not NULL (body: the failure's text). */
static void testcase(throng__buf_t *b, const char *classname, const char *name, const char *message,
                     const char *type, const char *body)
{
    throng__buf_puts(b, "    <testcase classname=\"");
    put_xml(b, classname);
    throng__buf_puts(b, "\" name=\"");
    put_xml(b, name);
    throng__buf_puts(b, "\" time=\"0\"");
    if (!message) {
        throng__buf_puts(b, "/>\n");
        return;
    }
    throng__buf_puts(b, ">\n      <failure message=\"");
    put_xml(b, message);
    throng__buf_printf(b, "\" type=\"%s\">", type);
    put_xml(b, body);
    throng__buf_puts(b, "</failure>\n    </testcase>\n");
}

static void threshold_case(throng__buf_t *b, const cJSON *t)
{
    const cJSON *group = throng__summary_obj(t, "group");
    char classname[160], measured[96], limit[128], left[128], right[96], message[512], body[768];
    snprintf(classname, sizeof classname, "throng.thresholds%s%s", cJSON_IsString(group) ? "." : "",
             cJSON_IsString(group) ? group->valuestring : "");
    if (cJSON_IsTrue(throng__summary_obj(t, "passed"))) {
        testcase(b, classname, throng__summary_str(t, "expression"), NULL, NULL, NULL);
        return;
    }
    throng__threshold_texts(t, measured, sizeof measured, limit, sizeof limit);
    if (!split_expression(throng__summary_str(t, "expression"), left, sizeof left, right,
                          sizeof right))
        snprintf(left, sizeof left, "%s", throng__summary_str(t, "metric"));
    /* Why nothing was measured: the report's note, or a name that never ran. */
    char note[192] = "";
    const cJSON *name = throng__summary_obj(t, "name");
    if (!cJSON_IsNumber(throng__summary_obj(t, "value")) && throng__summary_str(t, "note")[0])
        snprintf(note, sizeof note, "%.150s", throng__summary_str(t, "note"));
    else if (!cJSON_IsNumber(throng__summary_obj(t, "value")) && cJSON_IsString(name))
        snprintf(note, sizeof note, "no request named '%.100s' ran", name->valuestring);
    snprintf(message, sizeof message, "%s %s%s%s (limit %s)", left, measured, note[0] ? ": " : "",
             note, limit);
    snprintf(body, sizeof body, "%s%s%s: measured %s, limit %s%s%s",
             cJSON_IsString(group) ? group->valuestring : "", cJSON_IsString(group) ? " " : "",
             throng__summary_str(t, "expression"), measured, limit, note[0] ? "\n" : "", note);
    testcase(b, classname, throng__summary_str(t, "expression"), message, "threshold", body);
}

/* The test cases of what fails a run apart from its thresholds. */
static void run_cases(throng__buf_t *b, const cJSON *report, int exit_status, const char *why)
{
    const cJSON *procs = throng__summary_obj(report, "processes"),
                *threads = throng__summary_obj(report, "threads");
    char message[512];
    if (throng__summary_num(procs, "lost") > 0) {
        snprintf(message, sizeof message, "%.0f of %.0f worker processes lost%s%s",
                 throng__summary_num(procs, "lost"), throng__summary_num(procs, "started"),
                 throng__summary_str(procs, "sample")[0] ? ": " : "",
                 throng__summary_str(procs, "sample"));
        testcase(b, "throng.run", "worker processes", message, "lost", message);
    }
    if (throng__summary_num(threads, "abandoned") > 0) {
        snprintf(message, sizeof message, "%.0f worker threads abandoned%s%s",
                 throng__summary_num(threads, "abandoned"),
                 throng__summary_str(threads, "sample")[0] ? ": " : "",
                 throng__summary_str(threads, "sample"));
        testcase(b, "throng.run", "worker threads", message, "abandoned", message);
    }
    int stopped = exit_status == 3 || exit_status == 4;
    if (stopped || cJSON_GetArraySize(throng__summary_obj(report, "thresholds")) == 0) {
        const char *failed = exit_status != 0 ? why : NULL;
        snprintf(message, sizeof message, "%s: %s", throng__summary_str(report, "ending_text"),
                 why);
        testcase(b, "throng.run", "run", failed, stopped ? "aborted" : "faults", message);
    }
}

/* How many test cases, and how many fail. */
static void count_cases(const cJSON *report, int exit_status, int *tests, int *failures)
{
    const cJSON *t;
    *tests = *failures = 0;
    cJSON_ArrayForEach(t, throng__summary_obj(report, "thresholds"))
    {
        ++*tests;
        *failures += !cJSON_IsTrue(throng__summary_obj(t, "passed"));
    }
    int lost = throng__summary_num(throng__summary_obj(report, "processes"), "lost") > 0;
    int abandoned = throng__summary_num(throng__summary_obj(report, "threads"), "abandoned") > 0;
    int run = exit_status == 3 || exit_status == 4 || *tests == 0;
    *tests += lost + abandoned + run;
    *failures += lost + abandoned + (run && exit_status != 0);
}

int throng__render_junit(const cJSON *report, throng__buf_t *b, char *err)
{
    int rc = throng__summary_is_report(report, err);
    if (rc) return rc;
    char why[256], seed[32], status[8];
    int exit_status = throng__report_verdict(report, why, sizeof why), tests, failures;
    count_cases(report, exit_status, &tests, &failures);
    double elapsed = throng__summary_num(report, "elapsed");
    throng__buf_printf(b,
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<testsuites name=\"throng\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
                       "time=\"%.3f\">\n"
                       "  <testsuite name=\"throng\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
                       "skipped=\"0\" time=\"%.3f\" timestamp=\"",
                       tests, failures, elapsed, tests, failures, elapsed);
    put_xml(b, throng__summary_str(report, "started_at"));
    throng__buf_puts(b, "\">\n    <properties>\n");
    snprintf(seed, sizeof seed, "%.0f",
             throng__summary_num(throng__summary_obj(report, "settings"), "seed"));
    snprintf(status, sizeof status, "%d", exit_status);
    const char *props[][2] = {{"throng", throng__summary_str(report, "throng")},
                              {"ending", throng__summary_str(report, "ending")},
                              {"seed", seed},
                              {"exit_status", status}};
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        throng__buf_printf(b, "      <property name=\"%s\" value=\"", props[i][0]);
        put_xml(b, props[i][1]);
        throng__buf_puts(b, "\"/>\n");
    }
    throng__buf_puts(b, "    </properties>\n");
    const cJSON *t;
    cJSON_ArrayForEach(t, throng__summary_obj(report, "thresholds")) threshold_case(b, t);
    run_cases(b, report, exit_status, why);
    throng__buf_puts(b, "  </testsuite>\n</testsuites>\n");
    return 0;
}
