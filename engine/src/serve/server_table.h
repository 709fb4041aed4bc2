/* server_table.h - the demonstration service's wire format: reading a table
 * request (POST JSON body or GET query) or a crunch request (/Multiply,
 * /Divide) and writing the answers (tables, Output, Faulted, Busy, /status),
 * with no allocation on the answer path. */
#ifndef THRONG_SERVER_TABLE_H
#define THRONG_SERVER_TABLE_H

#include <stddef.h>

#include "util/rng.h"
#include "throng.h"

/* The largest side of a table a client may ask for. */
#define THRONG__TABLE_SIDE_MAX 10000

/* Numbers are written "0.dddd," (7 bytes); a row of x numbers is a slice of
 * the pool starting at one of THRONG__TABLE_STARTS offsets, so that rows
 * differ without drawing a number per cell. */
#define THRONG__TABLE_CELL 7
#define THRONG__TABLE_STARTS 64

/* The longest unit throng__table_write() emits at once: one row and its
 * separator. A buffer given to it must hold at least this much. */
#define THRONG__TABLE_UNIT_MAX ((size_t)THRONG__TABLE_SIDE_MAX * THRONG__TABLE_CELL + 8)

/* Per-thread pool of preformatted numbers, filled once from a seeded rng. */
typedef struct throng__table_pool {
    char cells[(THRONG__TABLE_SIDE_MAX + THRONG__TABLE_STARTS) * THRONG__TABLE_CELL];
} throng__table_pool_t;

/* Where the writing of one table answer's body stands. */
typedef struct throng__table_cursor {
    unsigned cols, rows; /* the shape being written */
    unsigned row;        /* rows already written */
    unsigned start;      /* varies the rows from one answer to the next */
    int stage;           /* 0 prefix, 1 rows, 2 suffix, 3 done */
} throng__table_cursor_t;

void throng__table_pool_init(throng__table_pool_t *pool, throng__rng_t *rng);

/* The exact body length of a table of rows x cols, known before writing. */
size_t throng__table_body_len(unsigned cols, unsigned rows);

void throng__table_cursor_init(throng__table_cursor_t *cur, unsigned cols, unsigned rows,
                               unsigned start);

/* Writes as many whole units (prefix, rows, suffix) of the body as fit in
 * dst[0..cap) and returns the bytes written; 0 once the body is complete.
 * cap must be at least THRONG__TABLE_UNIT_MAX. */
size_t throng__table_write(const throng__table_pool_t *pool, throng__table_cursor_t *cur, char *dst,
                           size_t cap);

/* Reads x and y from a body {"value":{"x":X,"y":Y}}. Returns 0, or -1 with
 * *why set to a static sentence for the client. */
int throng__table_parse_json(const char *body, size_t len, unsigned *x, unsigned *y,
                             const char **why);

/* Reads x and y from a query string "x=X&y=Y" (without the '?'). */
int throng__table_parse_query(const char *query, size_t len, unsigned *x, unsigned *y,
                              const char **why);

/* The crunch operations, answered with one number. */
typedef enum { THRONG__CRUNCH_MULTIPLY, THRONG__CRUNCH_DIVIDE } throng__crunch_op_t;

/* Reads x and y, any finite JSON numbers, from {"value":{"x":X,"y":Y}}.
 * Returns 0, or -1 with *why set to a static sentence for the client. */
int throng__crunch_parse_json(const char *body, size_t len, double *x, double *y, const char **why);

/* Computes x*y or x/y into *result. Returns 0, or -1 with *condition set to
 * the static condition of the fault to answer (division by zero, a result
 * out of range). */
int throng__crunch_compute(throng__crunch_op_t op, double x, double y, double *result,
                           const char **condition);

/* A result that is certainly wrong, yet finite: for --wrong-size. */
double throng__crunch_wrong(double v);

/* Formats a finite v into dst (cap bytes) as a JSON number that reads back
 * as exactly v: the shortest of %.15g, %.16g and %.17g that does, or no
 * exponent for whole numbers below 1e17. Returns its length. */
size_t throng__crunch_number(char *dst, size_t cap, double v);

/* Formats the Output envelope {"value":["Output",{"value":V},[]]} into dst
 * (cap bytes); returns its length. */
size_t throng__crunch_output_json(char *dst, size_t cap, double v);

/* Formats the Faulted envelope with the given condition (static text with
 * nothing to escape) into dst (cap bytes); returns its length. */
size_t throng__crunch_fault_json(char *dst, size_t cap, const char *condition);

/* The Busy envelope that a layer-cake server answers with status 500. */
extern const char throng__table_busy_body[];
extern const size_t throng__table_busy_len;

/* Formats the /status body into dst (cap bytes), every counter of the
 * stats in one JSON object, the newer ones (crunch, held) last; returns its
 * length. */
size_t throng__table_status_json(char *dst, size_t cap, const throng_server_stats_t *stats);

#endif
