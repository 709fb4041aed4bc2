/* cmd_run.c - `throng run [persona] [flags] [-- key=value ...]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "options.h"
#include "run_engine.h"

#define DEFAULT_DURATION 10.0

static const char *const on_fault_choices[] = {"drop", "restart", NULL};

static void usage(FILE *out, const cli_option_t *opts)
{
    fprintf(out, "usage: throng run [PERSONA] [flags] [-- key=value ...]\n"
                 "\n"
                 "Loads a server with clients that each run PERSONA: the built-in 'table'\n"
                 "persona (the default) or a persona script (a path ending in .lua; see\n"
                 "scripts/README.md). Each client runs sessions: connect, --request-count\n"
                 "exchanges with think time between them (or the script's session\n"
                 "function), close, rest for --slow-down, start again.\n"
                 "\n"
                 "flags:\n");
    cli_print_options(out, opts);
    fprintf(out, "\n"
                 "Persona arguments after -- reach the persona's init (numbers converted);\n"
                 "the table persona takes method=GET to ask with GET /Xy?x=&y=.\n"
                 "\n"
                 "The run ends when the duration is reached, the request limit is reached,\n"
                 "every client has faulted out (--on-fault drop), or on SIGINT/SIGTERM.\n"
                 "\n"
                 "exit status: 0 no faults (Busy replies are not faults), 1 faults seen or\n"
                 "every client faulted out, 2 usage error (nothing ran), 3 aborted.\n");
}

/* A persona argument is a script when it looks like a path. */
static int looks_like_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 4 && strcmp(s + n - 4, ".lua") == 0);
}

int cmd_run(int argc, char **argv)
{
    throng_config_t cfg;
    throng_group_t group;
    throng_config_init(&cfg);
    throng_group_init(&group);
    cfg.duration = DEFAULT_DURATION;
    int on_fault = THRONG_ON_FAULT_DROP, quiet = 0, log_level = THRONG_LOG_WARN;

    cli_option_t opts[] = {
        {"server", 's', CLI_STRING, &cfg.server, "URL", "server to load (default 127.0.0.1:5050)"},
        {"clients", 'c', CLI_UINT, &group.clients, "N", "clients (default 10)", NULL, 1, 1000000},
        {"threads", 't', CLI_UINT, &group.threads, "N", "worker threads (default 1)", NULL, 1,
         1024},
        {"duration", 'd', CLI_DURATION, &cfg.duration, "TIME",
         "how long to run: 30s, 5m, 1h (default 10s; 0 = until stopped)"},
        {"requests", 'n', CLI_U64, &cfg.max_requests, "N", "stop after N requests in all"},
        {"timeout", 0, CLI_DURATION, &cfg.timeout, "TIME", "per-request timeout (default 5s)"},
        {"connect-timeout", 0, CLI_DURATION, &cfg.connect_timeout, "TIME",
         "connect timeout (default 5s)"},
        {"on-fault", 0, CLI_CHOICE, &on_fault, "drop|restart",
         "a faulted client leaves (drop, default) or reconnects with backoff", on_fault_choices},
        {"request-count", 0, CLI_UINT, &group.request_count, "N",
         "exchanges per session (default 1)", NULL, 1, 100000000},
        {"slow-down", 0, CLI_DURATION, &group.slow_down, "TIME",
         "think time between exchanges and sessions (default 0.5s)"},
        {"big-table", 0, CLI_UINT, &group.big_table, "N",
         "largest table side the table persona asks for (default 100)", NULL, 1, 10000},
        {"seed", 0, CLI_U64, &cfg.seed, "N", "seed for the clients' random choices"},
        {"log-level", 0, CLI_CHOICE, &log_level, "LEVEL",
         "log lines to stderr: error, warn (default), info, debug, trace", cli_log_levels},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress line"},
        {NULL},
    };
    char **positional = calloc((size_t)argc + 1, sizeof *positional);
    cli_args_t args = {.positional = positional};
    if (!positional || cli_parse("throng run", opts, argc, argv, &args) != 0) {
        free(positional);
        return CLI_EXIT_USAGE;
    }
    if (args.help) {
        usage(stdout, opts);
        free(positional);
        return CLI_EXIT_OK;
    }
    if (!(cfg.timeout > 0) || !(cfg.connect_timeout > 0)) {
        fprintf(stderr, "throng run: %s must be more than 0\n",
                cfg.timeout > 0 ? "--connect-timeout" : "--timeout");
        free(positional);
        return CLI_EXIT_USAGE;
    }
    if (args.npositional > 1) {
        fprintf(stderr, "throng run: one persona at a time; unexpected '%s'\n", positional[1]);
        free(positional);
        return CLI_EXIT_USAGE;
    }
    if (args.npositional == 1) {
        if (looks_like_path(positional[0]))
            group.persona_path = positional[0];
        else
            group.persona = positional[0];
    }
    group.args = (const char *const *)args.rest;
    group.nargs = (size_t)args.nrest;
    cfg.on_fault = (throng_on_fault_t)on_fault;
    cli_log_setup(&cfg, stderr, (throng_log_level_t)log_level);

    cli_progress_t progress;
    cli_progress_setup(&cfg, &progress, quiet);
    throng_engine_t *e = throng_engine_new(&cfg);
    if (!e) {
        fprintf(stderr, "throng run: out of memory\n");
        free(positional);
        return CLI_EXIT_USAGE;
    }
    int status;
    if (throng_add_group(e, &group) != 0) {
        fprintf(stderr, "throng run: %s\n", throng_errmsg(e));
        status = CLI_EXIT_USAGE;
    } else {
        status = cli_run_engine("throng run", e, &progress);
    }
    throng_engine_free(e);
    free(positional);
    return status;
}
