/* fuzz_plan.c - plans (core/plan.c): a script returning a table of named
 * groups, each with a persona and its settings, read and checked through
 * throng_add_script(). The fuzzer writes data, not code: the input is JSON,
 * turned into a Lua table constructor ("return { web = { clients = 5 } }")
 * so that every key, type and value a plan may hold is tried while no
 * fuzzed program ever runs (no os.execute, no endless loop). Strings lose
 * their '/', so a persona path stays inside the scratch folder, where only
 * the plan itself lies. A plan is accepted whole or refused with a message.
 *
 * Input: one byte (bit 0: defaults with args and a threshold, as the
 * command line gives them), then the JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "fuzz.h"
#include "throng.h"
#include "util/buf.h"

static char plan_dir[] = "/tmp/throng-fuzz-plan-XXXXXX";
static char plan_path[64];

/* The scratch folder goes when the process ends normally. */
static void remove_scratch(void)
{
    unlink(plan_path);
    rmdir(plan_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (!mkdtemp(plan_dir)) {
        perror("mkdtemp");
        abort();
    }
    snprintf(plan_path, sizeof plan_path, "%s/plan", plan_dir);
    atexit(remove_scratch);
    return 0;
}

/* A Lua string literal with every byte that is not plainly printable
 * escaped as \ddd, and '/' made '_'. */
static void put_string(throng__buf_t *b, const char *s)
{
    throng__buf_puts(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '/') c = '_';
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            strchr(" _-.:%<>=,+*", c))
            throng__buf_append(b, &c, 1);
        else
            throng__buf_printf(b, "\\%03u", c);
    }
    throng__buf_puts(b, "\"");
}

/* The Lua constructor of a JSON value. */
static void put_value(throng__buf_t *b, const cJSON *j)
{
    if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
        throng__buf_puts(b, "{");
        for (const cJSON *c = j->child; c; c = c->next) {
            if (cJSON_IsObject(j)) {
                throng__buf_puts(b, "[");
                put_string(b, c->string);
                throng__buf_puts(b, "]=");
            }
            put_value(b, c);
            throng__buf_puts(b, ",");
        }
        throng__buf_puts(b, "}");
    } else if (cJSON_IsString(j)) {
        put_string(b, j->valuestring);
    } else if (cJSON_IsNumber(j)) {
        double v = j->valuedouble;
        if (isinf(v))
            throng__buf_puts(b, v > 0 ? "(1/0)" : "(-1/0)");
        else if (isnan(v))
            throng__buf_puts(b, "(0/0)");
        else
            throng__buf_printf(b, "(%.17g)", v);
    } else if (cJSON_IsBool(j)) {
        throng__buf_puts(b, cJSON_IsTrue(j) ? "true" : "false");
    } else {
        throng__buf_puts(b, "nil");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input_t in = {data, size};
    uint8_t flags = fuzz_byte(&in);
    cJSON *doc = cJSON_ParseWithLength((const char *)in.data, in.size);
    if (!doc) return 0;
    throng__buf_t lua = {0};
    throng__buf_puts(&lua, "return ");
    put_value(&lua, doc);
    throng__buf_puts(&lua, "\n");
    cJSON_Delete(doc);
    FILE *f = fopen(plan_path, "w");
    if (!f || fwrite(lua.data, 1, lua.len, f) != lua.len || fclose(f) != 0) abort();
    throng__buf_free(&lua);

    throng_config_t cfg;
    throng_config_init(&cfg);
    throng_engine_t *e = throng_engine_new(&cfg);
    if (!e) return 0;
    throng_group_t defaults;
    throng_group_init(&defaults);
    static const char *const args[] = {"big_table=5", "method=GET"};
    static const char *const thresholds[] = {"p99<1s"};
    if (flags & 1) {
        defaults.args = args;
        defaults.nargs = 2;
        defaults.thresholds = thresholds;
        defaults.nthresholds = 1;
    }
    int rc = throng_add_script(e, plan_path, flags & 1 ? &defaults : NULL);
    const char *msg = throng_errmsg(e);
    FUZZ_CHECK(rc == 0 || (msg && msg[0]));
    throng_engine_free(e);
    return 0;
}
