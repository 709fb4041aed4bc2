/* lua_data.h - throng.data: data files (CSV, JSON) loaded once per process
 * and shared read-only by every Lua state in it.
 *
 * A file is parsed by the first state that asks for it into a store: one
 * block of text holding every field one after the other, the offsets where
 * each field starts and the first field of each row. The store is kept in
 * a process-wide list keyed by the file's real path and the parse options,
 * guarded by a mutex, and counted: every state's handle holds a reference
 * and the last one to go frees it. A state never copies the store; a row
 * becomes a Lua table only when the persona reads it (data[i], data:next()).
 *
 * Cost: the file's bytes once, plus 4 bytes a field and 8 a row; per Lua
 * state one small userdata and, for cycle and unique access, one table
 * entry per client that read a row. */
#ifndef THRONG_LUA_DATA_H
#define THRONG_LUA_DATA_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

/* A parsed data file. Immutable once made: read from any thread. */
typedef struct throng__data_store {
    size_t nrows;
    size_t ncols;    /* the header's columns (0: no header, rows are arrays) */
    int json;        /* 1: each row is one field holding an element's JSON text */
    char *text;      /* every field's bytes, one after the other */
    uint32_t *off;   /* field k is text[off[k] .. off[k + 1]) */
    size_t nfields;  /* fields in off (off has nfields + 1 entries) */
    size_t *row;     /* row i's fields are row[i] .. row[i + 1] - 1; the header's
                        fields come before row[0]; row has nrows + 1 entries */
    size_t cap_off;  /* room in off */
    size_t cap_rows; /* room in row */
} throng__data_store_t;

/* Parses CSV text (RFC 4180: fields quoted with ", "" for a quote inside,
 * records ended by CRLF or LF, empty lines skipped, a UTF-8 byte order mark
 * ignored) into s, which must be zeroed. header: 1 when the first record
 * names the columns (every later record must then have as many fields).
 * Returns 0, or -1 with "name:LINE: why" in msg; s is freed either way on
 * error. */
int throng__data_parse_csv(throng__data_store_t *s, const char *text, size_t len, int header,
                           const char *name, char *msg, size_t msglen);

/* Parses JSON text whose top level is an array: each element is a row.
 * Returns 0, or -1 with "name: why" in msg. */
int throng__data_parse_json(throng__data_store_t *s, const char *text, size_t len, const char *name,
                            char *msg, size_t msglen);

/* Frees what a parse made (s itself is the caller's). */
void throng__data_store_free(throng__data_store_t *s);

/* Pushes the throng.data table: csv and json. */
void throng__lua_data_push_module(lua_State *L);

/* Tells a state which worker it serves: thread `thread` of `threads` in
 * process `proc` of `procs` of its group (client/worker.h's place). Unique
 * access gives out only this worker's share of the rows: split over the
 * processes, then over the process's threads, as clients are. A state never
 * told is alone (every row is its own). */
void throng__lua_data_place(lua_State *L, unsigned procs, unsigned proc, unsigned threads,
                            unsigned thread);

#endif
