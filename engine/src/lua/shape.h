/* shape.h - the rows and columns of a table reply, found by one pass over
 * the body without building any Lua or JSON objects. */
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

#endif
