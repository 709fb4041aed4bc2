/* fuzz_table_shape.c - throng__table_shape (lua/shape.c), the one-pass
 * reader of a table reply's rows and columns, on any body. The input is
 * given in a buffer of its exact length, with no NUL after it, so a read
 * past the end is a sanitizer report. When cJSON reads the same body as a
 * bare array of rows, the shape must agree with it. The same body fed to the
 * streaming scanner in pieces (each in a buffer of its exact length, the
 * sizes taken from the body's first byte) must give the same answer. */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "fuzz.h"
#include "lua/shape.h"

/* The rows of a bare array [[..],..] as cJSON sees them, or -1. */
static long rows_of(const cJSON *doc, long *cols)
{
    if (!cJSON_IsArray(doc)) return -1;
    long rows = 0;
    const cJSON *row;
    *cols = 0;
    cJSON_ArrayForEach(row, doc)
    {
        if (!cJSON_IsArray(row)) return -1;
        long n = 0;
        const cJSON *cell;
        cJSON_ArrayForEach(cell, row)
        {
            if (!cJSON_IsNumber(cell)) return -1;
            n++;
        }
        if (rows && n != *cols) return -1;
        *cols = n;
        rows++;
    }
    return rows;
}

/* The body fed in pieces of 1 to 8 bytes (their sizes cycling from seed),
 * each copied to a buffer of its exact length. */
static int shape_in_pieces(const uint8_t *data, size_t size, unsigned seed, throng__shape_t *out)
{
    throng__shape_stream_t s;
    throng__shape_begin(&s);
    for (size_t from = 0, i = 0; from < size; i++) {
        size_t n = 1 + ((seed >> (i % 8)) + i) % 8;
        if (n > size - from) n = size - from;
        char *piece = malloc(n);
        if (!piece) abort();
        memcpy(piece, data + from, n);
        throng__shape_feed(&s, piece, n);
        free(piece);
        from += n;
    }
    int rc = throng__shape_end(&s);
    *out = s.out;
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    throng__shape_t shape, pieces;
    memset(&shape, 0xAA, sizeof shape);
    int rc = throng__table_shape((const char *)data, size, &shape);
    FUZZ_CHECK(shape_in_pieces(data, size, size ? data[0] : 0, &pieces) == rc);
    if (rc == 0) {
        FUZZ_CHECK(pieces.rows == shape.rows && pieces.cols == shape.cols);
    } else {
        FUZZ_CHECK(strcmp(pieces.why, shape.why) == 0);
    }
    if (rc != 0) {
        FUZZ_CHECK(rc == -1);
        FUZZ_CHECK(memchr(shape.why, '\0', sizeof shape.why));
        return 0;
    }
    FUZZ_CHECK(shape.rows >= 0 && shape.cols >= 0);
    cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
    long cols, rows = doc ? rows_of(doc, &cols) : -1;
    if (rows > 0) {
        FUZZ_CHECK(shape.rows == rows);
        FUZZ_CHECK(shape.cols == cols);
    }
    cJSON_Delete(doc);
    return 0;
}
