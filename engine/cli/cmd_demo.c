/* cmd_demo.c - `throng demo`: the table service and the table persona in
 * one process, on a free loopback port, for a few seconds. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "commands.h"
#include "options.h"
#include "run_engine.h"

static void usage(FILE *out, const cli_option_t *opts)
{
    fprintf(out, "usage: throng demo [flags]\n"
                 "\n"
                 "Starts the demonstration table service on a free port of 127.0.0.1 and\n"
                 "runs the built-in table persona against it, then prints the report.\n"
                 "The service answers 2%% of requests Busy, to show how they are counted.\n"
                 "With --tls both speak HTTPS: a self-signed certificate for 127.0.0.1 is\n"
                 "made at the start (kept in a temporary file, removed at the end), which\n"
                 "the service serves and the clients trust, verifying it as usual.\n"
                 "\n"
                 "flags:\n");
    cli_print_options(out, opts);
}

int cmd_demo(int argc, char **argv)
{
    throng_config_t cfg;
    throng_group_t group;
    throng_server_config_t scfg;
    throng_config_init(&cfg);
    throng_group_init(&group);
    throng_server_config_init(&scfg);
    cfg.duration = 5;
    cfg.raise_fd_limit = 1;
    group.clients = 16;
    group.request_count = 4;
    group.slow_down = 0.05;
    scfg.listen = "127.0.0.1:0";
    scfg.busy = 0.02;
    int quiet = 0, tls = 0;
    cli_option_t opts[] = {
        {"duration", 'd', CLI_DURATION, &cfg.duration, "TIME", "how long to run (default 5s)"},
        {"clients", 'c', CLI_UINT, &group.clients, "N", "clients (default 16)", NULL, 1, 100000},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress line"},
        {"tls", 0, CLI_FLAG, &tls, NULL, "HTTPS, with a certificate made at the start"},
        {NULL},
    };
    char *positional[8];
    cli_args_t args = {.positional = positional};
    if (argc > 8 || cli_parse("throng demo", opts, argc, argv, &args) != 0) return CLI_EXIT_USAGE;
    if (args.help) {
        usage(stdout, opts);
        return CLI_EXIT_OK;
    }
    if (args.npositional || args.nrest) {
        fprintf(stderr, "throng demo: takes no arguments (see throng demo --help)\n");
        return CLI_EXIT_USAGE;
    }

    char cert[PATH_MAX] = "", err[512], url[300];
    if (tls) {
        if (throng_server_self_signed(cert, sizeof cert, err, sizeof err) != 0) {
            fprintf(stderr, "throng demo: %s\n", err);
            return CLI_EXIT_USAGE;
        }
        scfg.tls_cert = cert; /* the key is in the same file */
        cfg.cacert = cert;
    }
    throng_server_t *server = throng_server_new();
    if (!server || throng_server_start(server, &scfg) != 0) {
        fprintf(stderr, "throng demo: %s\n",
                server ? throng_server_errmsg(server) : "out of memory");
        throng_server_free(server);
        if (cert[0]) unlink(cert);
        return CLI_EXIT_USAGE;
    }
    const char *address = throng_server_address(server);
    snprintf(url, sizeof url, "https://%s", address);
    cfg.server = tls ? url : address;
    printf("throng demo: table service on %s%s; %u table clients for %gs\n\n", address,
           tls ? " over TLS (a self-signed certificate made now)" : "", group.clients,
           cfg.duration);
    fflush(stdout);

    cli_output_t out = {.quiet = quiet};
    cli_output_setup(&cfg, &out);
    throng_engine_t *e = throng_engine_new(&cfg);
    int status = CLI_EXIT_USAGE;
    if (!e)
        fprintf(stderr, "throng demo: out of memory\n");
    else if (throng_add_group(e, &group) != 0)
        fprintf(stderr, "throng demo: %s\n", throng_errmsg(e));
    else
        status = cli_run_engine("throng demo", e, &out);
    throng_engine_free(e);

    throng_server_stats_t st;
    throng_server_stats(server, &st);
    printf("\nservice: %llu requests answered, %llu tables, %llu busy\n",
           (unsigned long long)st.requests, (unsigned long long)st.tables,
           (unsigned long long)st.busy);
    throng_server_free(server);
    if (cert[0]) unlink(cert);
    return status;
}
