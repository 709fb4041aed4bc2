/* fuzz_report_merge.c - `throng report` on hostile JSON: one or two
 * reports (report/report_merge.c) merged side by side or one after the
 * other, and what comes out drawn as text and as HTML (throng_render), as
 * the command does. A report is refused with a message naming the field,
 * or merged into a report that itself passes the check and draws.
 *
 * Input: one byte (bit 0: sequential; bit 1: two reports; bit 2: draw the
 * HTML page too), then the first report, and after a line "\n--\n" the
 * second. */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "fuzz.h"
#include "report/report_json.h"
#include "throng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input_t in = {data, size};
    uint8_t flags = fuzz_byte(&in);
    char *texts[2] = {fuzz_take_until(&in, "\n--\n"), NULL};
    if (!texts[0]) return 0;
    size_t n = 1;
    if (flags & 2) {
        texts[1] = fuzz_string(in.data, in.size);
        n = texts[1] ? 2 : 1;
    }
    char *merged = NULL, err[256] = "";
    int rc =
        throng_report_merge((const char *const *)texts, n, flags & 1, &merged, err, sizeof err);
    if (rc != 0) {
        FUZZ_CHECK(rc == THRONG_EINVAL || rc == THRONG_ENOMEM);
        FUZZ_CHECK(err[0]);
    } else {
        /* What was merged is a report again, and draws. */
        cJSON *doc = cJSON_Parse(merged);
        char why[512];
        FUZZ_CHECK(doc);
        int ok = throng__report_check(doc, why, sizeof why) == 0;
        cJSON_Delete(doc);
        char *out = NULL;
        rc = throng_render(merged, strlen(merged), THRONG_RENDER_TEXT, THRONG_TEXT_LATENCY, &out,
                           err, sizeof err);
        /* Only sums past 2^53 may make a merged report fail its check. */
        FUZZ_CHECK(rc == 0 || !ok);
        throng_free(out);
        if (flags & 4) {
            out = NULL;
            if (throng_render(merged, strlen(merged), THRONG_RENDER_HTML, 0, &out, err,
                              sizeof err) == 0)
                throng_free(out);
        }
        throng_free(merged);
    }
    /* The first report alone, as `throng report FILE` draws it. */
    char *out = NULL;
    if (throng_render(texts[0], strlen(texts[0]), THRONG_RENDER_TEXT, 0, &out, err, sizeof err) ==
        0)
        throng_free(out);
    else
        FUZZ_CHECK(err[0]);
    free(texts[0]);
    free(texts[1]);
    return 0;
}
