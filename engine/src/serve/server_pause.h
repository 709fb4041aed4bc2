/* server_pause.h - the server's stalls (--pause-at): reading them, keeping
 * them as windows of the monotonic clock, and asking whether an answer due
 * now must wait, and until when. */
#ifndef THRONG_SERVER_PAUSE_H
#define THRONG_SERVER_PAUSE_H

#include <stddef.h>
#include <stdint.h>

#include "throng.h"

/* The longest a pause may start after the start, or last: an hour. */
#define THRONG__PAUSE_MAX 3600.0

/* One stall as nanoseconds from the pauses' origin (the server's start,
 * or its first request), [begin, end). */
typedef struct throng__pause_window {
    uint64_t begin, end;
} throng__pause_window_t;

/* Checks the pauses of a configuration; 0, or THRONG_EINVAL with a
 * sentence in errmsg (THRONG__ERRMSG_LEN bytes) naming the one at fault. */
int throng__pauses_check(const throng_server_pause_t *pauses, size_t n, char *errmsg);

/* Turns checked pauses into windows; windows[] holds n. */
void throng__pauses_place(const throng_server_pause_t *pauses, size_t n,
                          throng__pause_window_t *windows);

/* When an answer due at now_ns (uv_hrtime()) may go, the windows counting
 * from origin_ns: 0 when no window holds now_ns, else the end of the window
 * holding it, carried on through windows that touch or overlap it, so that
 * the answer is never held twice. */
uint64_t throng__pause_until(const throng__pause_window_t *windows, size_t n, uint64_t origin_ns,
                             uint64_t now_ns);

#endif
