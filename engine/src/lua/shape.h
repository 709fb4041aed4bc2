/* shape.h - the rows and columns of a table reply, found by one pass over
 * the body without building any Lua or JSON objects, whole or as the body
 * streams in. */
#ifndef THRONG_SHAPE_H
#define THRONG_SHAPE_H

#include <stddef.h>

typedef struct throng__shape {
    long rows, cols;
    /* When the body is not a table: why, as text (a layer-cake envelope's
     * type name, such as "layer_cake.point_runtime.Busy", or a reason). */
    char why[128];
} throng__shape_t;

/* Accepts a layer-cake table reply {"value":["vector<vector<float8>>",[[..],..],[]]}
 * or a bare array of rows [[..],..]. Every row must hold the same count of
 * numbers. Returns 0 and fills rows/cols, or -1 and fills why. */
int throng__table_shape(const char *body, size_t len, throng__shape_t *out);

/* The same scanner fed the body in pieces as they arrive, split anywhere
 * (inside a number, a string, between any two bytes): begin, feed each
 * piece, then end, which answers as throng__table_shape would for the whole
 * body. It keeps nothing of the body, so a body of any size takes the few
 * bytes of this struct. */
typedef struct throng__shape_stream {
    int state;     /* where the scanner stands (shape.c) */
    int num;       /* inside a number: which part of it */
    int bare;      /* a bare table, not a layer-cake envelope */
    int in_string; /* skipping a string in the envelope's tail */
    int escaped;   /* ... just after a backslash */
    int match;     /* the string read so far matches the one expected */
    long depth;    /* nesting of the value skipped in the envelope's tail */
    long n;        /* numbers in the current row */
    size_t slen;   /* bytes of the current string so far */
    throng__shape_t out;
} throng__shape_stream_t;

void throng__shape_begin(throng__shape_stream_t *s);
void throng__shape_feed(throng__shape_stream_t *s, const char *data, size_t len);
/* The body ended: 0 and s->out's rows and cols, or -1 and s->out.why. */
int throng__shape_end(throng__shape_stream_t *s);

#endif
