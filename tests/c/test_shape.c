/* test_shape.c - the table-reply scanner: the rows and columns of layer-cake
 * envelopes and bare tables however they are spaced, and a refusal with a
 * reason for everything else (ragged rows, non-numbers, Busy envelopes,
 * truncated bodies, non-JSON), never reading past the body's end. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lua/shape.h"

/* Scans a copy of text held in a buffer of exactly its length, so that
 * AddressSanitizer catches any read past the end. */
static int shape_of(const char *text, size_t len, throng__shape_t *out)
{
    char *copy = malloc(len ? len : 1);
    if (!copy) abort();
    memcpy(copy, text, len);
    int rc = throng__table_shape(copy, len, out);
    free(copy);
    return rc;
}

static void check_table(const char *text, long rows, long cols)
{
    throng__shape_t s;
    int rc = shape_of(text, strlen(text), &s);
    if (rc != 0 || s.rows != rows || s.cols != cols) {
        fprintf(stderr, "%s\n  -> rc %d, %ld x %ld (why '%s'), expected %ld x %ld\n", text, rc,
                s.rows, s.cols, s.why, rows, cols);
        CHECK(!"the table's shape");
    }
}

/* Refused, with a reason that holds want (when not NULL). */
static void check_refused(const char *text, const char *want)
{
    throng__shape_t s;
    int rc = shape_of(text, strlen(text), &s);
    if (rc != -1 || s.why[0] == '\0' || (want && !strstr(s.why, want))) {
        fprintf(stderr, "%s\n  -> rc %d, why '%s', expected a refusal naming '%s'\n", text, rc,
                s.why, want ? want : "");
        CHECK(!"refused with a reason");
    }
}

static void test_envelope(void)
{
    check_table("{\"value\":[\"vector<vector<float8>>\",[[1.5,2],[3,4e-3]],[]]}", 2, 2);
    check_table("{\"value\":[\"vector<vector<float8>>\",[[1,2,3]],[]]}", 1, 3);
    check_table("{\"value\":[\"vector<vector<float8>>\",[[-1.25E+2],[0],[7]],[]]}", 3, 1);
    check_table("{\"value\":[\"vector<vector<float8>>\",[[42]],[]]}", 1, 1);
    check_table("{\"value\":[\"vector<vector<float8>>\",[],[]]}", 0, 0);
    /* Whitespace and newlines between any two tokens. */
    check_table(" \n{ \"value\" :\n[ \"vector<vector<float8>>\" ,\r\n [ [ 1.5 ,\t2 ] ,\n"
                "[ 3 , 4e-3 ] ] , [ ] ] }\n",
                2, 2);
}

static void test_bare(void)
{
    check_table("[[1,2,3],[4,5,6]]", 2, 3);
    check_table("[[1]]", 1, 1);
    check_table("[]", 0, 0);
    check_table("\n[\n [ 1 , 2 ]\n,\n [ 3 , 4 ]\n]\n", 2, 2);
    check_table("[[0.5,-0.25,1e10,2E-7]]", 1, 4);
}

/* A 100 x 100 table as the demonstration server would send it. */
static void test_big(void)
{
    size_t cap = 100 * 100 * 24 + 128, len = 0;
    char *text = malloc(cap);
    if (!text) abort();
    len += (size_t)snprintf(text + len, cap - len, "{\"value\":[\"vector<vector<float8>>\",[");
    for (int r = 0; r < 100; r++) {
        text[len++] = r ? ',' : '[';
        if (r) text[len++] = '[';
        for (int c = 0; c < 100; c++)
            len += (size_t)snprintf(text + len, cap - len, "%s%.17g", c ? "," : "",
                                    (double)(r * 100 + c) / 7.0);
        text[len++] = ']';
    }
    len += (size_t)snprintf(text + len, cap - len, "],[]]}");
    throng__shape_t s;
    CHECK_INT(shape_of(text, len, &s), 0);
    CHECK_INT(s.rows, 100);
    CHECK_INT(s.cols, 100);
    free(text);
}

static void test_ragged(void)
{
    check_refused("[[1,2],[3]]", "ragged");
    check_refused("[[1],[2,3]]", "ragged");
    check_refused("{\"value\":[\"vector<vector<float8>>\",[[1,2],[3,4],[5,6,7]],[]]}", "ragged");
    check_refused("[[1,2],[]]", "ragged");
}

static void test_not_numbers(void)
{
    check_refused("[[\"a\",1]]", NULL);
    check_refused("[[1,null]]", NULL);
    check_refused("[[1,[2]]]", NULL);
    check_refused("[[true]]", NULL);
    check_refused("[1,2]", NULL);
    check_refused("[[1,]]", NULL);
    check_refused("[[1 2]]", NULL);
    check_refused("[[.5]]", NULL);
    check_refused("[[1.]]", NULL);
    check_refused("[[1e]]", NULL);
    check_refused("[[-]]", NULL);
    check_refused("{\"value\":[\"vector<vector<float8>>\",[[1,\"x\"]],[]]}", NULL);
    check_refused("{\"value\":[\"vector<vector<float8>>\",{\"a\":1},[]]}", NULL);
    check_refused("{\"other\":[\"vector<vector<float8>>\",[[1]],[]]}", NULL);
}

/* Every prefix of a valid reply is refused, and never read beyond. */
static void check_prefixes(const char *text)
{
    size_t len = strlen(text);
    int accepted = 0;
    for (size_t n = 0; n < len; n++) {
        throng__shape_t s;
        if (shape_of(text, n, &s) != -1 || s.why[0] == '\0') {
            fprintf(stderr, "prefix of %zu bytes accepted: %.*s\n", n, (int)n, text);
            accepted++;
        }
    }
    CHECK_INT(accepted, 0);
}

static void test_truncated(void)
{
    check_prefixes("[[1.5,2],[3,4e-3]]");
    check_prefixes("{\"value\":[\"vector<vector<float8>>\",[[1.5,2],[3,4e-3]],[]]}");
}

/* A strict scanner: what follows the table must close the reply, or the
 * body is not one reply (two glued together, or garbage after it). */
static void test_trailing(void)
{
    check_refused("[[1,2],[3,4]]x", NULL);
    check_refused("[[1,2],[3,4]][[5]]", NULL);
    check_refused("{\"value\":[\"vector<vector<float8>>\",[[1,2]],[]]}}", NULL);
    check_refused("{\"value\":[\"vector<vector<float8>>\",[[1,2]] oops", NULL);
    check_table("[[1,2],[3,4]]  \r\n", 2, 2);
}

static void test_busy(void)
{
    static const char busy[] =
        "{\"value\":[\"layer_cake.point_runtime.Busy\",{\"condition\":\"too many\","
        "\"explanation\":null,\"error_code\":null,\"exit_status\":null},[]]}";
    throng__shape_t s;
    CHECK_INT(shape_of(busy, sizeof busy - 1, &s), -1);
    CHECK_STR(s.why, "layer_cake.point_runtime.Busy");

    /* Other faults in the same envelope give their own type name. */
    static const char other[] =
        "{ \"value\" : [ \"layer_cake.point_runtime.Overloaded\", {}, [] ] }";
    CHECK_INT(shape_of(other, sizeof other - 1, &s), -1);
    CHECK_STR(s.why, "layer_cake.point_runtime.Overloaded");
}

static void test_not_json(void)
{
    check_refused("", NULL);
    check_refused("   \n", NULL);
    check_refused("<html><body>404 Not Found</body></html>", "not JSON");
    check_refused("Busy", NULL);
    check_refused("null", NULL);
    check_refused("{}", NULL);
    check_refused("{\"value\":42}", NULL);
}

int main(void)
{
    test_envelope();
    test_bare();
    test_big();
    test_ragged();
    test_not_numbers();
    test_truncated();
    test_trailing();
    test_busy();
    test_not_json();
    return check_result("test_shape");
}
