/* render_html.h - the HTML report: one self-contained page drawn from a JSON
 * report (docs/report.md), with its tables and its charts as inline SVG.
 *
 * The page refers to nothing outside itself (no scripts, style sheets,
 * fonts or images to fetch), so it can be mailed, archived or opened
 * offline. Every string taken from the report is HTML-escaped. */
#ifndef THRONG_RENDER_HTML_H
#define THRONG_RENDER_HTML_H

#include <cjson/cJSON.h>

#include "util/buf.h"
#include "util/error.h"

/* Appends to out a complete, self-contained HTML page for the report (a
 * parsed JSON report, version 1). Returns 0, or -1 with the reason in err
 * (THRONG__ERRMSG_LEN bytes) when the document is not a version 1 report or
 * memory runs out; out is then left as it was. The caller owns out. */
int throng__render_html(const cJSON *report, throng__buf_t *out, char *err);

#endif
