/* duration.c - durations as people write them: "250ms", "30s", "1h30m". */
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

#include "throng.h"
#include "util/duration.h"

static const struct {
    const char *name;
    double seconds;
} units[] = {
    {"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400},
};

static int refuse(const char *text, char *why, size_t whylen, const char *reason)
{
    if (why && whylen)
        snprintf(why, whylen, "'%.40s%s' is not a duration (%s): give %s", text,
                 strlen(text) > 40 ? "..." : "", reason, THRONG__DURATION_FORMS);
    return THRONG_EINVAL;
}

/* A decimal number without sign or exponent at *p ("30", "1.5", ".5");
 * advances *p past it. -1 when there is none. */
static double number_at(const char **p)
{
    const char *s = *p;
    double v = 0, scale = 1;
    int digits = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++)
        v = v * 10 + (*s - '0');
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, digits++)
            v += (*s - '0') * (scale /= 10);
    }
    if (!digits) return -1;
    *p = s;
    return v;
}

/* The unit spelled at *p, up to the next number or the end ("ms" in
 * "250ms", "m" in "5m30s"); advances *p past it. -1 when unknown. */
static double unit_at(const char **p, size_t *len)
{
    const char *s = *p;
    size_t n = 0;
    while (s[n] && !(s[n] >= '0' && s[n] <= '9') && s[n] != '.' && s[n] != '-')
        n++;
    *len = n;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].name) == n && strncmp(s, units[i].name, n) == 0) {
            *p += n;
            return units[i].seconds;
        }
    }
    return -1;
}

int throng__duration_parse(const char *text, double *seconds, char *why, size_t whylen)
{
    if (!text || !*text) return refuse(text ? text : "", why, whylen, "empty");
    const char *p = text;
    double total = 0;
    int parts = 0;
    while (*p) {
        if (*p == '-') return refuse(text, why, whylen, "negative");
        double v = number_at(&p);
        if (v < 0) return refuse(text, why, whylen, "a number was expected");
        if (!*p && parts == 0) { /* a bare number: seconds */
            total = v;
            parts++;
            break;
        }
        const char *u = p;
        size_t ulen;
        double unit = unit_at(&p, &ulen);
        if (unit < 0) {
            char reason[48] = "a unit is missing after a number";
            if (ulen)
                snprintf(reason, sizeof reason, "unknown unit '%.*s'", (int)(ulen > 8 ? 8 : ulen),
                         u);
            return refuse(text, why, whylen, reason);
        }
        total += v * unit;
        parts++;
    }
    if (!isfinite(total)) return refuse(text, why, whylen, "too long");
    *seconds = total;
    return 0;
}

int throng_parse_duration(const char *text, double *seconds)
{
    if (!seconds) return THRONG_EINVAL;
    return throng__duration_parse(text, seconds, NULL, 0);
}

/* Unix seconds ("1767225600.5") or an RFC 3339 time
 * ("2026-01-01T00:00:00Z", "2026-01-01T01:00:00.250+01:00"): 0 and *t, or
 * THRONG_EINVAL. */
int throng_parse_time(const char *text, double *t)
{
    if (!text || !t) return THRONG_EINVAL;
    char *end;
    double v = strtod(text, &end);
    if (end != text && !*end && v >= 0 && isfinite(v)) {
        *t = v;
        return 0;
    }
    struct tm tm = {0};
    const char *rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) rest = strptime(text, "%Y-%m-%d %H:%M:%S", &tm);
    if (!rest) return THRONG_EINVAL;
    double frac = 0;
    if (*rest == '.') {
        frac = strtod(rest, &end);
        if (end == rest + 1) return THRONG_EINVAL;
        rest = end;
    }
    long offset = 0;
    if (*rest == 'Z' || *rest == 'z') {
        rest++;
    } else if (*rest == '+' || *rest == '-') {
        int hh, mm, n = 0;
        if (sscanf(rest + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5 || hh > 23 || mm > 59)
            return THRONG_EINVAL;
        offset = (hh * 3600L + mm * 60L) * (*rest == '+' ? 1 : -1);
        rest += 6;
    } else {
        return THRONG_EINVAL; /* a time without its zone would be read differently on each machine
                               */
    }
    if (*rest) return THRONG_EINVAL;
    time_t secs = timegm(&tm);
    if (secs == (time_t)-1) return THRONG_EINVAL;
    *t = (double)secs - (double)offset + frac;
    return 0;
}
