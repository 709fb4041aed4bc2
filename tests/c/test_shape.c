/* test_shape.c - the table-reply scanner: the rows and columns of layer-cake
 * envelopes and bare tables however they are spaced, and a refusal with a
 * reason for everything else (ragged rows, non-numbers, Busy envelopes,
 * truncated bodies, non-JSON), never reading past the body's end; and the
 * same answers, to the byte of the reason, when the body is fed in pieces
 * split anywhere, as the whole-body scanner it replaced gave. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lua/shape.h"
#include "shape_reference.h"

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

/* Bodies valid and not, for the split tests: each reason a scanner gives. */
static const char *const split_bodies[] = {
    "{\"value\":[\"vector<vector<float8>>\",[[1.5,2],[3,4e-3]],[]]}",
    " \n{ \"value\" :\n[ \"vector<vector<float8>>\" ,\r\n [ [ 1.5 ,\t2 ] ,\n[ 3 , 4e-3 ] ] , [ ] ] "
    "}\n",
    "{\"value\":[\"vector<vector<float8>>\",[[-1.25E+2],[0],[7]],[]]}",
    "{\"value\":[\"vector<vector<float8>>\",[],[]]}",
    "{\"value\":[\"vector<vector<float8>>\",[[1]]]}",
    "{\"value\":[\"vector<vector<float8>>\",[[1]],]}",
    "{\"value\":[\"vector<vector<float8>>\",[[1]],{\"a\":[\"]\\\"\",{}]}]}",
    "{\"value\":[\"vector<vector<float8>>\",[[1]],\"x\\\\\"]}",
    "{\"value\":[\"vector<vector<float8>>\",[[1]],null ]}",
    "{\"value\":[\"vector<vector<float8>>\",[[1]],nu\"ll\"]}",
    "{\"value\":[\"vector<vector<float8>>\",[[1]],[1,2],3]}",
    "{\"value\":[\"vector<vector<float8>>\",[[1]],[]]} x",
    "{\"value\":[\"vector<vector<float8>>\",[[1]],[]] }}",
    "{\"value\":[\"vector<vector<float8>>\",[[1]] oops",
    "{\"value\":[\"vector<vector<float8>>\" [[1]],[]]}",
    "{\"value\":[\"vector<vector<float8>>\",{\"a\":1},[]]}",
    "{\"value\":[\"vector<vector<float8>>\",[[1,\"x\"]],[]]}",
    "{\"value\":[\"vector<vector<float8>>\",[[1,2],[3,4],[5,6,7]],[]]}",
    "{\"value\":[\"vector<vector<float8>>x\",[[1]],[]]}",
    "{\"value\":[\"vector<vector<float8>\",[[1]],[]]}",
    "{\"value\":[\"\",[[1]],[]]}",
    "{\"value\":[\"a\\\"b\",[[1]],[]]}",
    "{\"value\":[42,[[1]],[]]}",
    "{\"value\" [\"vector<vector<float8>>\",[[1]],[]]}",
    "{\"value\":\"vector<vector<float8>>\"}",
    "{\"valu\":[]}",
    "{\"values\":[]}",
    "{\"va\\lue\":[]}",
    "{\"other\":[\"vector<vector<float8>>\",[[1]],[]]}",
    "{\"value\":[\"layer_cake.point_runtime.Busy\",{\"condition\":\"too many\","
    "\"explanation\":null,\"error_code\":null,\"exit_status\":null},[]]}",
    "{ \"value\" : [ \"layer_cake.point_runtime.Overloaded\", {}, [] ] }",
    "{\"value\":[\"a.type.name.longer.than.the.reason.can.hold.0123456789012345678901234567890"
    "1234567890123456789012345678901234567890123456789012345678901234567890\",{},[]]}",
    "[[1,2,3],[4,5,6]]",
    "\n[\n [ 1 , 2 ]\n,\n [ 3 , 4 ]\n]\n",
    "[[0.5,-0.25,1e10,2E-7,1E+3,007]]",
    "[]",
    "[ ]",
    "[[]]",
    "[[],[]]",
    "[[1,2],[]]",
    "[[1],[2,3]]",
    "[[1,2],[3]]",
    "[[\"a\",1]]",
    "[[1,null]]",
    "[[1,[2]]]",
    "[[true]]",
    "[1,2]",
    "[[1,]]",
    "[[1 2]]",
    "[[.5]]",
    "[[1.]]",
    "[[1.e5]]",
    "[[1e]]",
    "[[1e+]]",
    "[[1e5.3]]",
    "[[1.5.3]]",
    "[[--1]]",
    "[[-]]",
    "[[1],",
    "[[1]",
    "[[1",
    "[[1,",
    "[[",
    "[",
    "[[1,2],[3,4]]x",
    "[[1,2],[3,4]][[5]]",
    "[[1,2],[3,4]]  \r\n",
    "",
    "   \n",
    "<html><body>404 Not Found</body></html>",
    "Busy",
    "null",
    "{}",
    "{",
    "{\"value\":42}",
    "{\"value\":[",
    "{\"value\":[\"vec",
    "{\"value\":[\"vector<vector<float8>>\"",
    "{\"value\":[\"vector<vector<float8>>\",",
    "{\"value\":[\"vector<vector<float8>>\",[[1]],[\"\\",
    "{\"value\":[\"vector<vector<float8>>\",[[1]],[]]",
};

/* Feeds text to a streaming scanner in the pieces cut at the offsets
 * given (ascending), each piece in a buffer of exactly its length. */
static int shape_in_pieces(const char *text, size_t len, const size_t *cuts, size_t ncuts,
                           throng__shape_t *out)
{
    throng__shape_stream_t s;
    throng__shape_begin(&s);
    size_t from = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        char *piece = malloc(to - from ? to - from : 1);
        if (!piece) abort();
        memcpy(piece, text + from, to - from);
        throng__shape_feed(&s, piece, to - from);
        free(piece);
        from = to;
    }
    int rc = throng__shape_end(&s);
    *out = s.out;
    return rc;
}

/* The same answer as the reference: the outcome, the reason to the byte,
 * and rows and columns of a table. */
static int same(int rc, const throng__shape_t *a, int want_rc, const throng__shape_t *want)
{
    if (rc != want_rc) return 0;
    if (rc == 0) return a->rows == want->rows && a->cols == want->cols;
    return strcmp(a->why, want->why) == 0;
}

static int agree(const char *text, size_t len, const size_t *cuts, size_t ncuts)
{
    throng__shape_t want, got;
    int want_rc = reference_table_shape(text, len, &want);
    int rc = shape_in_pieces(text, len, cuts, ncuts, &got);
    if (same(rc, &got, want_rc, &want)) return 1;
    fprintf(stderr,
            "%.*s\n  in %zu pieces -> rc %d (%ld x %ld, '%s'), reference rc %d "
            "(%ld x %ld, '%s')\n",
            (int)len, text, ncuts + 1, rc, got.rows, got.cols, got.why, want_rc, want.rows,
            want.cols, want.why);
    return 0;
}

/* Whole, cut in two at every offset, in three at every pair of offsets
 * (short bodies), and one byte at a time: always the reference's answer. */
static void check_splits(const char *text, size_t len, int *disagreements)
{
    if (!agree(text, len, NULL, 0)) ++*disagreements;
    for (size_t i = 0; i <= len; i++)
        if (!agree(text, len, &i, 1)) ++*disagreements;
    if (len <= 80)
        for (size_t i = 0; i <= len; i++)
            for (size_t j = i; j <= len; j++)
                if (!agree(text, len, (size_t[]){i, j}, 2)) ++*disagreements;
    size_t *cuts = malloc((len ? len : 1) * sizeof *cuts);
    if (!cuts) abort();
    for (size_t i = 0; i < len; i++)
        cuts[i] = i + 1;
    if (len && !agree(text, len - 0, cuts, len - 1)) ++*disagreements;
    free(cuts);
}

static void test_splits(void)
{
    int disagreements = 0;
    for (size_t i = 0; i < sizeof split_bodies / sizeof *split_bodies; i++)
        check_splits(split_bodies[i], strlen(split_bodies[i]), &disagreements);
    CHECK_INT(disagreements, 0);
}

/* Bodies mutated at random (a byte replaced, dropped or doubled, from the
 * characters a table is made of), each scanned in random pieces: the
 * streaming scanner and the reference agree on every one. */
static void test_mutations(void)
{
    static const char alphabet[] = "[]{},:\"\\ \n-+.eE0123456789xvalue<>";
    uint64_t seed = 0x9e3779b97f4a7c15u;
    int disagreements = 0, refused = 0, accepted = 0;
    char text[512];
    for (int round = 0; round < 20000; round++) {
        const char *base = split_bodies[round % 40];
        size_t len = strlen(base);
        memcpy(text, base, len);
        for (int m = 0; m < 1 + round % 3; m++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            size_t at = len ? (size_t)(seed >> 33) % len : 0;
            char c = alphabet[(seed >> 20) % (sizeof alphabet - 1)];
            int how = (int)((seed >> 12) % 3);
            if (how == 0 && len) {
                text[at] = c;
            } else if (how == 1 && len) {
                memmove(text + at, text + at + 1, len - at - 1);
                len--;
            } else if (len + 1 < sizeof text) {
                memmove(text + at + 1, text + at, len - at);
                text[at] = c;
                len++;
            }
        }
        size_t cuts[4], ncuts = (size_t)(round % 5);
        for (size_t i = 0; i < ncuts; i++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            cuts[i] = len ? (size_t)(seed >> 35) % (len + 1) : 0;
        }
        for (size_t i = 1; i < ncuts; i++) /* ascending */
            for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
                size_t t = cuts[j];
                cuts[j] = cuts[j - 1];
                cuts[j - 1] = t;
            }
        if (!agree(text, len, cuts, ncuts)) disagreements++;
        throng__shape_t s;
        if (reference_table_shape(text, len, &s) == 0)
            accepted++;
        else
            refused++;
    }
    CHECK_INT(disagreements, 0);
    CHECK(accepted > 100 && refused > 100); /* the mutations reach both answers */
}

/* A table of a million rows streamed in 64 KiB reads: counted, with no
 * more memory than the scanner's struct. */
static void test_streamed_big(void)
{
    static const char row[] = "[0.1234567890123,1e-300,-42],";
    char piece[65536];
    size_t fill = 0;
    throng__shape_stream_t s;
    throng__shape_begin(&s);
    static const char head[] = "{\"value\":[\"vector<vector<float8>>\",[";
    throng__shape_feed(&s, head, sizeof head - 1);
    for (long r = 0; r < 1000000; r++) {
        size_t n = sizeof row - (r == 999999 ? 2 : 1);
        if (fill + n > sizeof piece) {
            throng__shape_feed(&s, piece, fill);
            fill = 0;
        }
        memcpy(piece + fill, row, n);
        fill += n;
    }
    throng__shape_feed(&s, piece, fill);
    throng__shape_feed(&s, "],[]]}", 6);
    CHECK_INT(throng__shape_end(&s), 0);
    CHECK_INT(s.out.rows, 1000000);
    CHECK_INT(s.out.cols, 3);
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
    test_splits();
    test_mutations();
    test_streamed_big();
    return check_result("test_shape");
}
