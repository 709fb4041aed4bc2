/* server_pause.c - the server's stalls: "3s:2s,10s:500ms" read into pauses,
 * pauses checked and placed on the clock, and the one question the
 * connections ask: may an answer due now go, or until when must it wait. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/duration.h"
#include "util/error.h"
#include "serve/server_pause.h"

/* Writes a refusal into err (errlen bytes, may be NULL). */
static int refuse(char *err, size_t errlen, const char *fmt, const char *pair, const char *why)
{
    if (err && errlen) snprintf(err, errlen, fmt, pair, why);
    return THRONG_EINVAL;
}

/* Reads one "WHEN:FOR" pair (pair is NUL-terminated, at most 127 bytes). */
static int parse_pair(char *pair, throng_server_pause_t *p, char *err, size_t errlen)
{
    char why[256], whole[128];
    snprintf(whole, sizeof whole, "%s", pair);
    char *colon = strchr(pair, ':');
    if (!colon) return refuse(err, errlen, "pause '%s' is not WHEN:FOR%s (e.g. 3s:2s)", whole, "");
    *colon = '\0';
    if (throng__duration_parse(pair, &p->at, why, sizeof why) != 0 ||
        throng__duration_parse(colon + 1, &p->length, why, sizeof why) != 0)
        return refuse(err, errlen, "pause '%s': %s", whole, why);
    if (p->length <= 0) return refuse(err, errlen, "pause '%s': %s", whole, "FOR must be above 0");
    if (p->at > THRONG__PAUSE_MAX || p->length > THRONG__PAUSE_MAX)
        return refuse(err, errlen, "pause '%s': %s", whole, "WHEN and FOR must be at most 1h");
    return 0;
}

int throng_parse_pauses(const char *text, throng_server_pause_t *pauses, size_t cap, size_t *n,
                        char *err, size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (!text || !n || (!pauses && cap)) return refuse(err, errlen, "%s%s", "no pauses given", "");
    *n = 0;
    const char *p = text;
    for (;;) {
        size_t len = strcspn(p, ",");
        char pair[128];
        if (len == 0 || len >= sizeof pair)
            return refuse(err, errlen, "pauses '%.60s': %s", text,
                          len ? "a pair is too long"
                              : "an empty pair: give WHEN:FOR[,WHEN:FOR...]");
        if (*n == cap) return refuse(err, errlen, "pauses '%.60s': %s", text, "too many pauses");
        memcpy(pair, p, len);
        pair[len] = '\0';
        if (parse_pair(pair, &pauses[*n], err, errlen) != 0) return THRONG_EINVAL;
        (*n)++;
        if (p[len] == '\0') return 0;
        p += len + 1;
    }
}

/* NaN fails every comparison, so it is refused with the rest. */
int throng__pauses_check(const throng_server_pause_t *pauses, size_t n, char *errmsg)
{
    if (n == 0) return 0;
    if (!pauses) return throng__fail(errmsg, THRONG_EINVAL, "npauses is %zu but pauses is NULL", n);
    if (n > THRONG_SERVER_PAUSES_MAX)
        return throng__fail(errmsg, THRONG_EINVAL, "at most %d pauses, not %zu",
                            THRONG_SERVER_PAUSES_MAX, n);
    for (size_t i = 0; i < n; i++) {
        const throng_server_pause_t *p = &pauses[i];
        if (!(p->at >= 0 && p->at <= THRONG__PAUSE_MAX && p->length > 0 &&
              p->length <= THRONG__PAUSE_MAX))
            return throng__fail(errmsg, THRONG_EINVAL,
                                "pause %zu (at %g s for %g s): its start must be from 0 to %g "
                                "seconds and its length above 0 and at most %g",
                                i + 1, p->at, p->length, THRONG__PAUSE_MAX, THRONG__PAUSE_MAX);
    }
    return 0;
}

void throng__pauses_place(const throng_server_pause_t *pauses, size_t n,
                          throng__pause_window_t *windows)
{
    for (size_t i = 0; i < n; i++) {
        windows[i].begin = (uint64_t)llround(pauses[i].at * 1e9);
        windows[i].end = windows[i].begin + (uint64_t)llround(pauses[i].length * 1e9);
    }
}

/* Few windows (at most THRONG_SERVER_PAUSES_MAX): a scan per pass, and a
 * pass per window that extends the wait, is cheap beside an answer. */
uint64_t throng__pause_until(const throng__pause_window_t *windows, size_t n, uint64_t origin_ns,
                             uint64_t now_ns)
{
    if (now_ns < origin_ns) return 0;
    uint64_t until = 0, t = now_ns - origin_ns;
    int moved = 1;
    while (moved) {
        moved = 0;
        for (size_t i = 0; i < n; i++) {
            if (windows[i].begin <= t && t < windows[i].end) {
                t = windows[i].end;
                until = origin_ns + t;
                moved = 1;
            }
        }
    }
    return until;
}
