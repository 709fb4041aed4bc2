/* register-function.c - a C function that personas call.
 *
 *     register-function HOST:PORT PERSONA.lua
 *
 * Registers throng.checksum(s), written in C, then runs the persona in
 * PERSONA.lua (register-function.lua beside this file calls it on every
 * answer's body) against the demonstration service at HOST:PORT for two
 * seconds, and prints what the C function saw.
 *
 * The C function is called on the engine's worker threads, several at once,
 * so what it shares is atomic. It reaches the program's data through the
 * pointer given to throng_register_function(), its first upvalue.
 *
 * It includes LuaJIT's headers, so LuaJIT is named when building:
 *     cc register-function.c $(pkg-config --cflags --libs throng luajit) -o register-function
 */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <throng.h>

/* What the function saw, shared by every worker thread. */
typedef struct seen {
    atomic_ullong calls;   /* times called */
    atomic_ullong bytes;   /* bytes checksummed in all */
    atomic_ullong longest; /* the longest string */
} seen_t;

/* throng.checksum(s): the 32-bit FNV-1a hash of the string s, as a number. */
static int checksum(lua_State *L)
{
    seen_t *seen = lua_touserdata(L, lua_upvalueindex(1)); /* the data pointer */
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len); /* a Lua error if s is not a string */

    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;

    atomic_fetch_add(&seen->calls, 1);
    atomic_fetch_add(&seen->bytes, len);
    unsigned long long longest = atomic_load(&seen->longest);
    while (len > longest && !atomic_compare_exchange_weak(&seen->longest, &longest, len))
        ; /* another thread raised it meanwhile: compare again */

    lua_pushnumber(L, (lua_Number)h);
    return 1; /* one result */
}

/* The whole file as a string (the caller frees it), or NULL. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len + 4096 + 1 > cap) {
            char *grown = realloc(text, cap = len + 4096 + 1 + cap);
            if (!grown) {
                free(text);
                fclose(f);
                return NULL;
            }
            text = grown;
        }
        len += n = fread(text + len, 1, 4096, f);
    } while (n > 0);
    fclose(f);
    text[len] = '\0';
    return text;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: register-function HOST:PORT PERSONA.lua\n");
        return 2;
    }
    char *persona = read_file(argv[2]);
    if (!persona) {
        perror(argv[2]);
        return 2;
    }

    throng_config_t config;
    throng_config_init(&config);
    config.server = argv[1];
    config.duration = 2;

    throng_group_t group;
    throng_group_init(&group);
    group.persona_source = persona; /* the script's text; the engine copies it */
    group.clients = 4;
    group.threads = 2; /* so that the function runs on two threads at once */
    group.request_count = 10;
    group.slow_down = 0.05;

    seen_t seen = {0};
    int status = 2;
    throng_engine_t *engine = throng_engine_new(&config);
    if (!engine) {
        fprintf(stderr, "register-function: out of memory\n");
        free(persona);
        return 2;
    }
    if (throng_register_function(engine, "checksum", checksum, &seen) != 0 ||
        throng_add_group(engine, &group) != 0 || throng_run(engine) != 0) {
        fprintf(stderr, "register-function: %s\n", throng_errmsg(engine));
    } else {
        const throng_report_t *r = throng_report(engine);
        printf("throng.checksum was called %llu times, on %llu bytes in all; the longest "
               "string was %llu bytes\n",
               atomic_load(&seen.calls), atomic_load(&seen.bytes), atomic_load(&seen.longest));
        printf("the run: %llu requests, %llu failures\n", (unsigned long long)r->requests,
               (unsigned long long)r->failures);
        for (int k = 0; k < THRONG_FAULT_KINDS; k++)
            if (r->faults[k])
                printf("  %s: %s\n", throng_fault_name((throng_fault_t)k), r->fault_sample[k]);
        status = atomic_load(&seen.calls) > 0 && r->failures == 0 ? 0 : 1;
    }
    throng_engine_free(engine);
    free(persona);
    return status;
}
