/* lua_data.c - throng.data.csv/json: data files shared by the process (see
 * lua_data.h). The parsers, the process-wide cache of stores, and the
 * handle each Lua state gets: #data, data[i], data:next(). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>
#include <lauxlib.h>

#include "lua/lua_data.h"
#include "lua/lua_json.h"
#include "lua/lua_throng.h"

#define DATA_MT "throng.data"
#define PLACE_KEY "throng.data.place"
#define HANDLES_KEY "throng.data.handles"
#define MAX_TEXT 0xffffffffu /* offsets are 32 bits */

/* ------------------------------------------------------------- stores */

void throng__data_store_free(throng__data_store_t *s)
{
    free(s->text);
    free(s->off);
    free(s->row);
    memset(s, 0, sizeof *s);
}

/* Starts a field at the text's current end. */
static int add_field(throng__data_store_t *s, uint32_t at)
{
    if (s->nfields + 2 > s->cap_off) {
        size_t cap = s->cap_off ? 2 * s->cap_off : 256;
        uint32_t *p = realloc(s->off, cap * sizeof *p);
        if (!p) return -1;
        s->off = p, s->cap_off = cap;
    }
    s->off[s->nfields++] = at;
    s->off[s->nfields] = at;
    return 0;
}

/* Starts row nrows at the next field. */
static int add_row(throng__data_store_t *s)
{
    if (s->nrows + 2 > s->cap_rows) {
        size_t cap = s->cap_rows ? 2 * s->cap_rows : 64;
        size_t *p = realloc(s->row, cap * sizeof *p);
        if (!p) return -1;
        s->row = p, s->cap_rows = cap;
    }
    s->row[s->nrows] = s->nfields;
    s->row[s->nrows + 1] = s->nfields;
    return 0;
}

/* The first room in off and row: off[0] and row[0] always exist. */
static int store_init(throng__data_store_t *s)
{
    s->cap_off = 256;
    s->off = calloc(s->cap_off, sizeof *s->off);
    return s->off ? add_row(s) : -1;
}

/* -------------------------------------------------------- CSV parser */

typedef struct csv {
    const char *p, *end;
    int line;
    size_t len; /* bytes of text written */
} csv_t;

/* One field at c->p into s's text; stops before the ',' or line end. */
static int csv_field(throng__data_store_t *s, csv_t *c, const char *name, char *msg, size_t msglen)
{
    if (add_field(s, (uint32_t)c->len) != 0) goto nomem;
    if (c->p < c->end && *c->p == '"') {
        int opened = c->line;
        c->p++;
        for (;;) {
            if (c->p >= c->end) {
                snprintf(msg, msglen, "%s:%d: bad quote: the quoted field opened here never ends",
                         name, opened);
                return -1;
            }
            char ch = *c->p++;
            if (ch == '"') {
                if (c->p < c->end && *c->p == '"')
                    c->p++; /* "" is one quote */
                else
                    break;
            } else if (ch == '\n') {
                c->line++;
            }
            s->text[c->len++] = ch;
        }
        if (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
            !(*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
            snprintf(msg, msglen, "%s:%d: bad quote: text after a field's closing quote", name,
                     c->line);
            return -1;
        }
    } else {
        while (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
               !(*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
            if (*c->p == '"') {
                snprintf(msg, msglen,
                         "%s:%d: bad quote: a quote inside a field that does not start with one "
                         "(quote the field and write the quote twice)",
                         name, c->line);
                return -1;
            }
            s->text[c->len++] = *c->p++;
        }
    }
    s->off[s->nfields] = (uint32_t)c->len;
    return 0;
nomem:
    snprintf(msg, msglen, "%s: out of memory", name);
    return -1;
}

/* Past the line end at c->p, if any. */
static void csv_eol(csv_t *c)
{
    if (c->p < c->end && *c->p == '\r') c->p++;
    if (c->p < c->end && *c->p == '\n') c->p++, c->line++;
}

/* Whether c->p is at an empty line (skipped: no record there). */
static int csv_empty_line(const csv_t *c)
{
    return *c->p == '\n' || (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n');
}

int throng__data_parse_csv(throng__data_store_t *s, const char *text, size_t len, int header,
                           const char *name, char *msg, size_t msglen)
{
    csv_t c = {text, text + len, 1, 0};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) c.p += 3;
    if (len >= MAX_TEXT) {
        snprintf(msg, msglen, "%s: too large (4 GB at most)", name);
        return -1;
    }
    if (!(s->text = malloc(len + 1)) || store_init(s) != 0) goto nomem;
    int have_header = 0;
    while (c.p < c.end) {
        if (csv_empty_line(&c)) {
            csv_eol(&c);
            continue;
        }
        int start = c.line;
        size_t first = s->nfields;
        for (;;) {
            if (csv_field(s, &c, name, msg, msglen) != 0) goto fail;
            if (c.p < c.end && *c.p == ',') {
                c.p++;
                continue;
            }
            csv_eol(&c);
            break;
        }
        size_t n = s->nfields - first;
        if (header && !have_header) {
            have_header = 1;
            s->ncols = n;
            s->row[0] = s->row[1] = s->nfields;
            continue;
        }
        if (header && n != s->ncols) {
            snprintf(msg, msglen, "%s:%d: %zu field%s where the header names %zu", name, start, n,
                     n == 1 ? "" : "s", s->ncols);
            goto fail;
        }
        s->nrows++;
        if (add_row(s) != 0) goto nomem;
    }
    if (header && !have_header) {
        snprintf(msg, msglen,
                 "%s:1: no header row (the file is empty; header=false reads a file "
                 "without one)",
                 name);
        goto fail;
    }
    return 0;
nomem:
    snprintf(msg, msglen, "%s: out of memory", name);
fail:
    throng__data_store_free(s);
    return -1;
}

/* ------------------------------------------------------- JSON parser */

/* The line of position at in text (1 for the first). */
static int line_of(const char *text, const char *at)
{
    int line = 1;
    for (const char *p = text; p < at; p++)
        line += *p == '\n';
    return line;
}

int throng__data_parse_json(throng__data_store_t *s, const char *text, size_t len, const char *name,
                            char *msg, size_t msglen)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        if (at && at >= text && at <= text + len) {
            int near = text + len - at < 20 ? (int)(text + len - at) : 20;
            snprintf(msg, msglen, "%s:%d: not valid JSON (near \"%.*s\")", name, line_of(text, at),
                     near, at);
        } else {
            snprintf(msg, msglen, "%s: not valid JSON", name);
        }
        return -1;
    }
    if (!cJSON_IsArray(root)) {
        snprintf(msg, msglen, "%s: the top level must be an array of rows", name);
        cJSON_Delete(root);
        return -1;
    }
    /* Each element kept as its compact text: decoded when a row is read. */
    size_t used = 0, cap = len + 1;
    if (!(s->text = malloc(cap)) || store_init(s) != 0) goto nomem;
    for (cJSON *e = root->child; e; e = e->next) {
        char *one = cJSON_PrintUnformatted(e);
        if (!one) goto nomem;
        size_t n = strlen(one);
        if (used + n >= cap) {
            size_t want = 2 * (used + n) + 1;
            char *p = want < MAX_TEXT ? realloc(s->text, want) : NULL;
            if (!p) {
                free(one);
                goto nomem;
            }
            s->text = p, cap = want;
        }
        memcpy(s->text + used, one, n);
        free(one);
        if (add_field(s, (uint32_t)used) != 0) goto nomem;
        used += n;
        s->off[s->nfields] = (uint32_t)used;
        s->nrows++;
        if (add_row(s) != 0) goto nomem;
    }
    s->json = 1;
    cJSON_Delete(root);
    return 0;
nomem:
    snprintf(msg, msglen, "%s: out of memory", name);
    cJSON_Delete(root);
    throng__data_store_free(s);
    return -1;
}

/* ------------------------------------------------------------- cache */

/* The process's stores: shared by every thread, found by key. */
typedef struct entry {
    throng__data_store_t store;
    char *key; /* "json:" or "csv:" or "csv-noheader:", then the real path */
    int refs;  /* handles holding it, in every state */
    struct entry *next;
} entry_t;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static entry_t *cache;

/* The whole file at path, or NULL with the reason in msg. */
static char *read_file(const char *path, const char *name, size_t *len, char *msg, size_t msglen)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        snprintf(msg, msglen, "%s: cannot open: %s", name, strerror(errno));
        if (f) fclose(f);
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        snprintf(msg, msglen, "%s: %s", name, buf ? "cannot read it" : "out of memory");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The store for key, parsed now if no state of the process has it; one
 * reference more. The lock is held while parsing: a second thread asking
 * for the same file waits for the first one's store. */
static entry_t *acquire(const char *key, const char *path, const char *name, int json, int header,
                        char *msg, size_t msglen)
{
    pthread_mutex_lock(&cache_lock);
    entry_t *e = cache;
    while (e && strcmp(e->key, key) != 0)
        e = e->next;
    if (e) {
        e->refs++;
        pthread_mutex_unlock(&cache_lock);
        return e;
    }
    size_t len = 0;
    char *text = read_file(path, name, &len, msg, msglen);
    e = text ? calloc(1, sizeof *e) : NULL;
    if (text && (!e || !(e->key = strdup(key)))) snprintf(msg, msglen, "%s: out of memory", name);
    int rc = -1;
    if (e && e->key)
        rc = json ? throng__data_parse_json(&e->store, text, len, name, msg, msglen)
                  : throng__data_parse_csv(&e->store, text, len, header, name, msg, msglen);
    free(text);
    if (rc != 0) {
        if (e) free(e->key);
        free(e);
        pthread_mutex_unlock(&cache_lock);
        return NULL;
    }
    e->refs = 1;
    e->next = cache;
    cache = e;
    pthread_mutex_unlock(&cache_lock);
    return e;
}

/* One reference less; the last frees the store. */
static void release(entry_t *e)
{
    pthread_mutex_lock(&cache_lock);
    if (--e->refs == 0) {
        entry_t **p = &cache;
        while (*p != e)
            p = &(*p)->next;
        *p = e->next;
        throng__data_store_free(&e->store);
        free(e->key);
        free(e);
    }
    pthread_mutex_unlock(&cache_lock);
}

/* ------------------------------------------------------------ handles */

enum { MODE_CYCLE, MODE_RANDOM, MODE_UNIQUE };
static const char *const mode_names[] = {"cycle", "random", "unique", NULL};

/* What a Lua state holds: a reference to the shared store and this state's
 * place in the access. Per-client cursors live in the userdata's
 * environment table, keyed by client id. */
typedef struct handle {
    entry_t *e;
    int mode;
    size_t given;   /* unique: rows of this worker's share given out */
    size_t clients; /* unique: clients that took one */
    char name[200]; /* the path as the script gave it, for messages */
} handle_t;

static handle_t *check_handle(lua_State *L)
{
    handle_t *h = luaL_checkudata(L, 1, DATA_MT);
    if (!h->e) luaL_error(L, "throng.data: handle used after it was released");
    return h;
}

/* Pushes row i (0-based) of s as a new table. */
static void push_row(lua_State *L, const throng__data_store_t *s, size_t i)
{
    size_t from = s->row[i], to = s->row[i + 1];
    if (s->json) {
        char msg[160];
        if (throng__json_decode(L, s->text + s->off[from], s->off[from + 1] - s->off[from], msg,
                                sizeof msg) != 0)
            luaL_error(L, "throng.data: row %d: %s", (int)(i + 1), msg); /* not reached: parsed */
        return;
    }
    if (!s->ncols) {
        lua_createtable(L, (int)(to - from), 0);
        for (size_t k = from; k < to; k++) {
            lua_pushlstring(L, s->text + s->off[k], s->off[k + 1] - s->off[k]);
            lua_rawseti(L, -2, (int)(k - from + 1));
        }
        return;
    }
    lua_createtable(L, 0, (int)s->ncols);
    size_t head = s->row[0] - s->ncols;
    for (size_t k = from; k < to; k++) {
        size_t c = head + (k - from);
        lua_pushlstring(L, s->text + s->off[c], s->off[c + 1] - s->off[c]);
        lua_pushlstring(L, s->text + s->off[k], s->off[k + 1] - s->off[k]);
        lua_rawset(L, -3);
    }
}

/* This state's place: procs, proc, threads, thread (lua_data.h). */
static void place_of(lua_State *L, unsigned place[4])
{
    lua_getfield(L, LUA_REGISTRYINDEX, PLACE_KEY);
    const unsigned *p = lua_touserdata(L, -1);
    for (int i = 0; i < 4; i++)
        place[i] = p ? p[i] : (i % 2 == 0);
    lua_pop(L, 1);
}

void throng__lua_data_place(lua_State *L, unsigned procs, unsigned proc, unsigned threads,
                            unsigned thread)
{
    unsigned *p = lua_newuserdata(L, 4 * sizeof *p);
    p[0] = procs ? procs : 1;
    p[1] = proc;
    p[2] = threads ? threads : 1;
    p[3] = thread;
    lua_setfield(L, LUA_REGISTRYINDEX, PLACE_KEY);
}

/* Part i of n split into parts: its first item and (in *len) its size; the
 * first n % parts parts take one more, as clients are split. */
static size_t part_of(size_t n, unsigned parts, unsigned i, size_t *len)
{
    *len = n / parts + (i < n % parts);
    return i * (n / parts) + (i < n % parts ? i : n % parts);
}

/* The calling client's entry in the handle's environment: its value, after
 * which the entry is set to value + 1 (0 for a client not seen before). */
static lua_Number client_count(lua_State *L, uint64_t id)
{
    lua_getfenv(L, 1);
    lua_pushnumber(L, (lua_Number)id);
    lua_rawget(L, -2);
    lua_Number n = lua_tonumber(L, -1);
    lua_pop(L, 1);
    lua_pushnumber(L, (lua_Number)id);
    lua_pushnumber(L, n + 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    return n;
}

/* unique: the next row of this worker's share, or an error saying why
 * there is none. Rows are split first over the processes, then each
 * process's over its threads, so that no two workers share a row. */
static size_t next_unique(lua_State *L, handle_t *h, uint64_t id)
{
    size_t n = h->e->store.nrows, pn, share;
    unsigned place[4];
    place_of(L, place);
    size_t from = part_of(n, place[0], place[1], &pn);
    from += part_of(pn, place[2], place[3], &share);
    /* Kept short, the numbers first: reports keep about 200 bytes of a message. */
    if (h->given >= share)
        luaL_error(L,
                   "%s: unique rows used up (this worker's %d of %d, %ux%u workers, %d clients; "
                   "client %d got none)",
                   h->name, (int)share, (int)n, place[0], place[2], (int)h->clients, (int)id);
    if (client_count(L, id) == 0) h->clients++;
    return from + h->given++;
}

/* data:next(): the next row for the calling client by the handle's mode,
 * and its number. */
static int data_next(lua_State *L)
{
    handle_t *h = check_handle(L);
    const throng__data_store_t *s = &h->e->store;
    throng__lua_ctx_t *ctx = throng__lua_ctx(L);
    throng__lua_caller_t *who = ctx ? ctx->who : NULL;
    uint64_t id = who ? who->id : 0;
    if (s->nrows == 0) return luaL_error(L, "throng.data: %s has no rows", h->name);
    size_t i;
    if (h->mode == MODE_RANDOM) {
        i = who ? (size_t)throng__rng_range(&who->rng, 0, (int64_t)s->nrows - 1) : 0;
    } else if (h->mode == MODE_UNIQUE) {
        i = next_unique(L, h, id);
    } else {
        /* Each client walks from its own start, so that clients spread over the rows. */
        size_t start = id ? (size_t)((id - 1) % s->nrows) : 0;
        i = (start + (size_t)client_count(L, id)) % s->nrows;
    }
    push_row(L, s, i);
    lua_pushinteger(L, (lua_Integer)(i + 1));
    return 2;
}

/* data:columns(): the header's names in order, or nil without a header. */
static int data_columns(lua_State *L)
{
    const throng__data_store_t *s = &check_handle(L)->e->store;
    if (!s->ncols) return 0;
    lua_createtable(L, (int)s->ncols, 0);
    size_t head = s->row[0] - s->ncols;
    for (size_t c = 0; c < s->ncols; c++) {
        lua_pushlstring(L, s->text + s->off[head + c], s->off[head + c + 1] - s->off[head + c]);
        lua_rawseti(L, -2, (int)(c + 1));
    }
    return 1;
}

/* data[i]: row i as a new table (nil out of range); data.next, .columns. */
static int data_index(lua_State *L)
{
    handle_t *h = check_handle(L);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lua_Number n = lua_tonumber(L, 2);
        if (n >= 1 && n <= (lua_Number)h->e->store.nrows && n == (lua_Number)(size_t)n)
            push_row(L, &h->e->store, (size_t)n - 1);
        else
            lua_pushnil(L);
        return 1;
    }
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "methods");
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

static int data_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check_handle(L)->e->store.nrows);
    return 1;
}

static int data_tostring(lua_State *L)
{
    handle_t *h = luaL_checkudata(L, 1, DATA_MT);
    if (!h->e) {
        lua_pushliteral(L, "throng.data (released)");
        return 1;
    }
    lua_pushfstring(L, "throng.data (%s, %d rows, %s)", h->name, (int)h->e->store.nrows,
                    mode_names[h->mode]);
    return 1;
}

static int data_gc(lua_State *L)
{
    handle_t *h = luaL_checkudata(L, 1, DATA_MT);
    if (h->e) release(h->e);
    h->e = NULL;
    return 0;
}

static void push_metatable(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__index", data_index},
                                    {"__len", data_len},
                                    {"__tostring", data_tostring},
                                    {"__gc", data_gc},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {
        {"next", data_next}, {"columns", data_columns}, {NULL, NULL}};
    if (luaL_newmetatable(L, DATA_MT)) {
        luaL_register(L, NULL, meta);
        lua_newtable(L);
        luaL_register(L, NULL, methods);
        lua_setfield(L, -2, "methods");
        lua_pushliteral(L, "throng.data");
        lua_setfield(L, -2, "__metatable");
    }
}

/* path, relative to the folder of the Lua file that called, made real. */
static void resolve_path(lua_State *L, const char *path, char *out)
{
    char joined[PATH_MAX];
    snprintf(joined, sizeof joined, "%s", path);
    lua_Debug ar;
    for (int level = 1; path[0] != '/' && lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "S", &ar) || ar.source[0] != '@') continue;
        const char *file = ar.source + 1, *slash = strrchr(file, '/');
        if (slash) snprintf(joined, sizeof joined, "%.*s/%s", (int)(slash - file), file, path);
        break;
    }
    if (!realpath(joined, out))
        luaL_error(L, "throng.data: %s: cannot open: %s", joined, strerror(errno));
}

/* The access mode named name, or an error saying which there are. */
static int mode_of(lua_State *L, const char *name)
{
    for (int i = 0; name && mode_names[i]; i++)
        if (strcmp(name, mode_names[i]) == 0) return i;
    return luaL_error(L, "throng.data: mode must be cycle, random or unique, not %s",
                      name ? name : "a value that is not a string");
}

/* throng.data.csv/json(path [, opts | mode]): a handle on the shared store. */
static int open_data(lua_State *L, int json)
{
    const char *path = luaL_checkstring(L, 1);
    int mode = MODE_CYCLE, header = 1;
    if (lua_type(L, 2) == LUA_TSTRING) {
        mode = mode_of(L, lua_tostring(L, 2));
    } else if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_getfield(L, 2, "mode");
        if (!lua_isnil(L, -1)) mode = mode_of(L, lua_tostring(L, -1));
        lua_getfield(L, 2, "header");
        if (!lua_isnil(L, -1)) header = lua_toboolean(L, -1);
        lua_pop(L, 2);
    }
    char real[PATH_MAX], key[PATH_MAX + 16], msg[400];
    resolve_path(L, path, real);
    snprintf(key, sizeof key, "%s:%s", json ? "json" : header ? "csv" : "csv-noheader", real);
    /* One handle per file, options and mode in a state: a unique cursor
     * must not be duplicated by a second call. */
    lua_getfield(L, LUA_REGISTRYINDEX, HANDLES_KEY);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, HANDLES_KEY);
    }
    int handles = lua_gettop(L);
    lua_pushfstring(L, "%s:%s", mode_names[mode], key);
    lua_pushvalue(L, -1);
    lua_rawget(L, handles);
    if (!lua_isnil(L, -1)) return 1;
    lua_pop(L, 1);
    handle_t *h = lua_newuserdata(L, sizeof *h);
    memset(h, 0, sizeof *h);
    h->mode = mode;
    snprintf(h->name, sizeof h->name, "%s", path);
    push_metatable(L);
    lua_setmetatable(L, -2);
    lua_newtable(L);
    lua_setfenv(L, -2);
    if (!(h->e = acquire(key, real, path, json, header, msg, sizeof msg)))
        return luaL_error(L, "throng.data.%s: %s", json ? "json" : "csv", msg);
    lua_pushvalue(L, -2);
    lua_pushvalue(L, -2);
    lua_rawset(L, handles);
    return 1;
}

static int l_csv(lua_State *L)
{
    return open_data(L, 0);
}

static int l_json(lua_State *L)
{
    return open_data(L, 1);
}

void throng__lua_data_push_module(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, l_csv);
    lua_setfield(L, -2, "csv");
    lua_pushcfunction(L, l_json);
    lua_setfield(L, -2, "json");
}
