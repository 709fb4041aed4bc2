/* fuzz_persona_args.c - persona arguments, the "key=value" strings given
 * after `--` on the command line or as a plan's args: the engine's check of
 * a group (core/group.c), then the built-in persona the input's first byte
 * picks, opened with them (lua/persona.c makes the args table, numbers
 * converted) and run as a client would: init, then request and delay a few
 * times. A bad value must be a refusal or a script error, never a crash.
 *
 * Input: one byte (the persona, and the request_count), then the args, one
 * a line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/group.h"
#include "fuzz.h"
#include "lua/persona.h"
#include "throng.h"
#include "util/error.h"

#define MAX_ARGS 16

static const char *const builtins[] = {"table", "watchdog", "admin", "typical", "expert"};

/* Runs a client's first exchanges' hooks, as client.c calls them. */
static void run_client(throng__persona_t *p, int self, throng__lua_caller_t *who)
{
    if (throng__persona_session_style(p)) return; /* its session needs a connection */
    throng__buf_t out = {0}, json = {0};
    char msg[THRONG__ERRMSG_LEN];
    for (int i = 0; i < 3; i++) {
        out.len = 0;
        throng__request_out_t req = {
            .ctx = p->ctx, .out = &out, .json = &json, .authority = "127.0.0.1:5050"};
        throng__hook_t h = throng__persona_request(p, self, who, &req, msg, sizeof msg);
        if (h != THRONG__HOOK_OK) break;
        FUZZ_CHECK(out.len > 0);
        double seconds = -1;
        if (throng__persona_delay(p, self, who, &seconds, msg, sizeof msg) == THRONG__HOOK_OK)
            FUZZ_CHECK(seconds >= 0 && !isnan(seconds));
    }
    throng__buf_free(&out);
    throng__buf_free(&json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input_t in = {data, size};
    uint8_t pick = fuzz_byte(&in);
    char *args[MAX_ARGS];
    size_t nargs = 0;
    while (nargs < MAX_ARGS && (args[nargs] = fuzz_take_until(&in, "\n")))
        nargs++;

    throng_group_t g;
    throng_group_init(&g);
    g.persona = builtins[pick % 5];
    g.request_count = 1 + (pick >> 5);
    g.args = (const char *const *)args;
    g.nargs = nargs;
    char err[THRONG__ERRMSG_LEN];
    if (throng__group_check(&g, err) == 0) {
        throng__persona_spec_t spec = {.builtin = g.persona};
        throng__persona_params_t params = {.request_count = g.request_count,
                                           .slow_down = 0.5,
                                           .args = g.args,
                                           .nargs = nargs,
                                           .memory_limit = 64u << 20};
        throng__persona_t p;
        if (throng__persona_open(&p, &spec, &params, err) == 0) {
            throng__lua_caller_t who = {.id = 1};
            throng__rng_seed(&who.rng, 7);
            int self;
            err[0] = '\0';
            if (throng__persona_instance(&p, &who, &self, err) == 0) run_client(&p, self, &who);
        }
        FUZZ_CHECK(memchr(err, '\0', sizeof err));
        if (getenv("FUZZ_VERBOSE")) fprintf(stderr, "fuzz_persona_args: %s\n", err);
        if (p.L) throng__persona_close(&p);
    } else {
        FUZZ_CHECK(err[0]);
        if (getenv("FUZZ_VERBOSE")) fprintf(stderr, "fuzz_persona_args: refused: %s\n", err);
    }
    for (size_t i = 0; i < nargs; i++)
        free(args[i]);
    return 0;
}
