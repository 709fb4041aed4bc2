/* server_table.c - the demonstration service's wire format: table and
 * crunch requests in, tables, Output, Faulted, Busy and /status out. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/server_table.h"

static const char table_prefix[] = "{\"value\":[\"vector<vector<float8>>\",[";
static const char table_suffix[] = "],[]]}";

const char throng__table_busy_body[] =
    "{\"value\":[\"layer_cake.point_runtime.Busy\",{\"condition\":\"server busy\","
    "\"explanation\":null,\"error_code\":null,\"exit_status\":null},[]]}";
const size_t throng__table_busy_len = sizeof throng__table_busy_body - 1;

/* Formatting numbers is the costly part of an answer, so each thread does it
 * once at start; answers then only copy slices of the pool. */
void throng__table_pool_init(throng__table_pool_t *pool, throng__rng_t *rng)
{
    size_t n = sizeof pool->cells / THRONG__TABLE_CELL;
    for (size_t i = 0; i < n; i++) {
        char *cell = pool->cells + i * THRONG__TABLE_CELL;
        unsigned v = (unsigned)throng__rng_range(rng, 0, 9999);
        cell[0] = '0';
        cell[1] = '.';
        cell[2] = (char)('0' + v / 1000);
        cell[3] = (char)('0' + v / 100 % 10);
        cell[4] = (char)('0' + v / 10 % 10);
        cell[5] = (char)('0' + v % 10);
        cell[6] = ',';
    }
}

/* The Content-Length header is written before the body, so the length must
 * be known from the shape alone: every cell has the same width. */
size_t throng__table_body_len(unsigned cols, unsigned rows)
{
    size_t row = (size_t)cols * THRONG__TABLE_CELL + 1; /* "[" cells "]" minus the last comma */
    return sizeof table_prefix - 1 + (size_t)rows * row + (rows - 1) + sizeof table_suffix - 1;
}

void throng__table_cursor_init(throng__table_cursor_t *cur, unsigned cols, unsigned rows,
                               unsigned start)
{
    cur->cols = cols;
    cur->rows = rows;
    cur->row = 0;
    cur->start = start;
    cur->stage = 0;
}

/* Emits row cur->row (with its leading comma) at dst; returns its length. */
static size_t write_row(const throng__table_pool_t *pool, const throng__table_cursor_t *cur,
                        char *dst)
{
    /* 37 is prime to THRONG__TABLE_STARTS: consecutive rows visit every start. */
    size_t start = (cur->start + (size_t)cur->row * 37) % THRONG__TABLE_STARTS;
    size_t cells = (size_t)cur->cols * THRONG__TABLE_CELL - 1;
    char *p = dst;
    if (cur->row > 0) *p++ = ',';
    *p++ = '[';
    memcpy(p, pool->cells + start * THRONG__TABLE_CELL, cells);
    p += cells;
    *p++ = ']';
    return (size_t)(p - dst);
}

/* Large tables are written in pieces as the socket takes them, so that an
 * answer never needs a buffer of its own size. */
size_t throng__table_write(const throng__table_pool_t *pool, throng__table_cursor_t *cur, char *dst,
                           size_t cap)
{
    size_t used = 0;
    size_t row_max = (size_t)cur->cols * THRONG__TABLE_CELL + 2;
    if (cur->stage == 0 && cap >= sizeof table_prefix) {
        memcpy(dst, table_prefix, sizeof table_prefix - 1);
        used = sizeof table_prefix - 1;
        cur->stage = 1;
    }
    while (cur->stage == 1 && cur->row < cur->rows && cap - used >= row_max) {
        used += write_row(pool, cur, dst + used);
        cur->row++;
    }
    if (cur->stage == 1 && cur->row == cur->rows) cur->stage = 2;
    if (cur->stage == 2 && cap - used >= sizeof table_suffix) {
        memcpy(dst + used, table_suffix, sizeof table_suffix - 1);
        used += sizeof table_suffix - 1;
        cur->stage = 3;
    }
    return used;
}

/* Reads the operands of {"value":{"x":X,"y":Y}}, for tables and crunch
 * alike: an operand that is missing or not a number reads as NaN, for the
 * caller to refuse with its own sentence. Returns 0, or -1 with *why set
 * when the body has not that shape. */
static int read_operands(const char *body, size_t len, double *x, double *y, const char **why)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root) {
        *why = "the body is not JSON";
        return -1;
    }
    int rc = -1;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(root, "value");
    if (!cJSON_IsObject(value)) {
        *why = "the body must be {\"value\":{\"x\":X,\"y\":Y}}";
    } else {
        const cJSON *ix = cJSON_GetObjectItemCaseSensitive(value, "x");
        const cJSON *iy = cJSON_GetObjectItemCaseSensitive(value, "y");
        *x = cJSON_IsNumber(ix) ? ix->valuedouble : NAN;
        *y = cJSON_IsNumber(iy) ? iy->valuedouble : NAN;
        rc = 0;
    }
    cJSON_Delete(root);
    return rc;
}

/* A side must be a whole number in 1..THRONG__TABLE_SIDE_MAX; NaN is not. */
static int side_from_double(double v, unsigned *side)
{
    if (!(v >= 1 && v <= THRONG__TABLE_SIDE_MAX) || floor(v) != v) return -1;
    *side = (unsigned)v;
    return 0;
}

int throng__table_parse_json(const char *body, size_t len, unsigned *x, unsigned *y,
                             const char **why)
{
    double dx, dy;
    if (read_operands(body, len, &dx, &dy, why) != 0) return -1;
    if (side_from_double(dx, x) != 0 || side_from_double(dy, y) != 0) {
        *why = "x and y must be whole numbers between 1 and 10000";
        return -1;
    }
    return 0;
}

/* Reads a side from the decimal digits s[0..len); -1 if it is anything else. */
static int side_from_text(const char *s, size_t len, unsigned *side)
{
    unsigned long v = 0;
    if (len == 0 || len > 5) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < 1 || v > THRONG__TABLE_SIDE_MAX) return -1;
    *side = (unsigned)v;
    return 0;
}

int throng__table_parse_query(const char *query, size_t len, unsigned *x, unsigned *y,
                              const char **why)
{
    int have_x = 0, have_y = 0;
    const char *p = query, *end = query + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if (stop - p >= 2 && p[1] == '=' && (p[0] == 'x' || p[0] == 'y')) {
            unsigned *side = p[0] == 'x' ? x : y;
            if (side_from_text(p + 2, (size_t)(stop - p - 2), side) != 0) {
                *why = "x and y must be whole numbers between 1 and 10000";
                return -1;
            }
            *(p[0] == 'x' ? &have_x : &have_y) = 1;
        }
        p = stop + 1;
    }
    if (!have_x || !have_y) {
        *why = "the query must give x and y: /Xy?x=X&y=Y";
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- crunch */

/* Any finite number will do (cJSON reads 1e999 as infinity: refused). */
int throng__crunch_parse_json(const char *body, size_t len, double *x, double *y, const char **why)
{
    if (read_operands(body, len, x, y, why) != 0) return -1;
    if (!isfinite(*x) || !isfinite(*y)) {
        *why = "x and y must be finite numbers";
        return -1;
    }
    return 0;
}

/* Faults a described system raises: the client sees them as Faulted, not as
 * a refused request. */
int throng__crunch_compute(throng__crunch_op_t op, double x, double y, double *result,
                           const char **condition)
{
    if (op == THRONG__CRUNCH_DIVIDE && y == 0) {
        *condition = "division by zero";
        return -1;
    }
    double v = op == THRONG__CRUNCH_DIVIDE ? x / y : x * y;
    if (!isfinite(v)) {
        *condition = "result out of range";
        return -1;
    }
    *result = v;
    return 0;
}

/* One more, unless v is too large for that to change it: then the next
 * double towards zero, which stays finite. */
double throng__crunch_wrong(double v)
{
    double w = v + 1;
    return w != v ? w : nextafter(v, 0);
}

/* Clients compare results exactly, so the text must read back as the very
 * same double; the shortest such text is also the friendliest. */
size_t throng__crunch_number(char *dst, size_t cap, double v)
{
    int n = 0;
    if (v == floor(v) && fabs(v) < 1e17) {
        n = snprintf(dst, cap, "%.0f", v);
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            n = snprintf(dst, cap, "%.*g", prec, v);
            if (n < 0 || (size_t)n >= cap || strtod(dst, NULL) == v) break;
        }
    }
    if (n < 0) return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

size_t throng__crunch_output_json(char *dst, size_t cap, double v)
{
    char number[40];
    throng__crunch_number(number, sizeof number, v);
    int n = snprintf(dst, cap, "{\"value\":[\"Output\",{\"value\":%s},[]]}", number);
    if (n < 0) return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

size_t throng__crunch_fault_json(char *dst, size_t cap, const char *condition)
{
    int n = snprintf(dst, cap,
                     "{\"value\":[\"layer_cake.point_runtime.Faulted\",{\"condition\":\"%s\","
                     "\"explanation\":null,\"error_code\":null,\"exit_status\":null},[]]}",
                     condition);
    if (n < 0) return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

/* ---------------------------------------------------------------- status */

size_t throng__table_status_json(char *dst, size_t cap, const throng_server_stats_t *s)
{
    /* New fields come last (crunch, then held): readers matching the older
     * fields in order still work. */
    int n = snprintf(dst, cap,
                     "{\"uptime\":%.3f,\"requests\":%" PRIu64 ",\"tables\":%" PRIu64
                     ",\"busy\":%" PRIu64 ",\"bad\":%" PRIu64 ",\"dropped\":%" PRIu64
                     ",\"connections\":%" PRIu64 ",\"crunch\":%" PRIu64 ",\"held\":%" PRIu64 "}",
                     s->uptime, s->requests, s->tables, s->busy, s->bad, s->dropped, s->connections,
                     s->crunch, s->held);
    if (n < 0) return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}
