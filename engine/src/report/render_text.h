/* render_text.h - the text report, drawn from a JSON report. */
#ifndef THRONG_RENDER_TEXT_H
#define THRONG_RENDER_TEXT_H

#include <stddef.h>

#include <cJSON.h>

#include "util/buf.h"
#include "throng.h"

/* Appends the text report of a parsed JSON report (version 1) to out.
 * flags: THRONG_TEXT_LATENCY adds the percentile distribution. Returns 0,
 * or THRONG_EINVAL with the reason in err when it is not a report. */
int throng__render_text(const cJSON *report, unsigned flags, throng__buf_t *out, char *err);

/* "845us", "1.23ms", "2.01s". */
void throng__fmt_seconds(char *buf, size_t len, double seconds);

#endif
