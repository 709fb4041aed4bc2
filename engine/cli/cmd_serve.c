/* cmd_serve.c - `throng serve`: runs the demonstration table service (with
 * its crunch operations) until SIGINT or SIGTERM, then prints its counters. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "throng.h"

/* The server the signal handler stops: a handler can reach nothing else. */
static throng_server_t *volatile serving;

/* Only the async-signal-safe stop: the main thread prints after the wait. */
static void on_signal(int sig)
{
    throng_server_t *s = serving;
    if (s) throng_server_stop(s);
}

/* --help comes from the same table the parser reads. */
static void print_help(const cli_option_t *opts)
{
    printf("usage: throng serve [flags]\n"
           "\n"
           "Runs the demonstration table service: POST /Xy with {\"value\":{\"x\":X,\"y\":Y}}\n"
           "or GET /Xy?x=X&y=Y answers a table of Y rows of X numbers; POST /Multiply\n"
           "and POST /Divide with the same body answer x*y and x/y (a division by zero\n"
           "answers the Faulted envelope, status 500); GET /status answers the counters.\n"
           "Runs until SIGINT or SIGTERM. With --tls-cert (and --tls-key) it serves\n"
           "HTTPS instead: load it with -s https://HOST:PORT; a plain HTTP request to\n"
           "the TLS port is answered 400.\n"
           "\n"
           "--pause-at 3s:2s stalls the service from 3 s after its start for 2 s, as a\n"
           "stalled backend (a GC pause, a lock) looks: table and crunch requests that\n"
           "arrive, or whose --latency ends, during the pause are held, their\n"
           "connections open, and answered when it ends; GET /status still answers and\n"
           "counts them as held. Pauses that touch or overlap hold until the last ends.\n"
           "With --pause-from first-request, WHEN counts from the first table or crunch\n"
           "request instead, for a client that takes a while to start.\n"
           "\n"
           "flags:\n");
    cli_print_options(stdout, opts);
}

/* Installs the stopping handler for SIGINT and SIGTERM. */
static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* One line on stderr, so stdout keeps only the listening line. */
static void print_summary(const throng_server_t *server)
{
    throng_server_stats_t st;
    throng_server_stats(server, &st);
    fprintf(stderr,
            "throng serve: stopped after %.1fs: %llu requests, %llu tables, %llu crunch, "
            "%llu busy, %llu bad, %llu dropped, %llu connections, %llu held\n",
            st.uptime, (unsigned long long)st.requests, (unsigned long long)st.tables,
            (unsigned long long)st.crunch, (unsigned long long)st.busy, (unsigned long long)st.bad,
            (unsigned long long)st.dropped, (unsigned long long)st.connections,
            (unsigned long long)st.held);
}

/* Serves until stopped; the library reports why it could not start. */
static int serve(const throng_server_config_t *config)
{
    throng_server_t *server = throng_server_new();
    if (!server) {
        fprintf(stderr, "throng serve: out of memory\n");
        return CLI_EXIT_USAGE;
    }
    if (throng_server_start(server, config) != 0) {
        fprintf(stderr, "throng serve: %s\n", throng_server_errmsg(server));
        throng_server_free(server);
        return CLI_EXIT_USAGE;
    }
    serving = server;
    catch_stop_signals();
    printf("throng serve: listening on %s%s\n", config->tls_cert ? "https://" : "",
           throng_server_address(server));
    fflush(stdout);
    int rc = throng_server_wait(server);
    if (rc != 0) fprintf(stderr, "throng serve: %s\n", throng_server_errmsg(server));
    /* The handler stays: a second signal (a second Ctrl-C, or `timeout`,
     * which signals its child and then its process group) must not kill
     * the summary half-written; with serving NULL it does nothing. */
    serving = NULL;
    print_summary(server);
    throng_server_free(server);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAULTS;
}

/* Reads every --pause-at value (each WHEN:FOR[,WHEN:FOR...]) into pauses. */
static int read_pauses(const cli_list_t *given, throng_server_pause_t *pauses, size_t *n)
{
    char err[256];
    *n = 0;
    for (size_t i = 0; i < given->n; i++) {
        size_t got = 0;
        if (throng_parse_pauses(given->items[i], pauses + *n, THRONG_SERVER_PAUSES_MAX - *n, &got,
                                err, sizeof err) != 0) {
            fprintf(stderr, "throng serve: --pause-at: %s\n", err);
            return -1;
        }
        *n += got;
    }
    return 0;
}

/* `throng serve [flags]`: exit 0 after a stop, 2 when it cannot start. */
int cmd_serve(int argc, char **argv)
{
    throng_server_config_t config;
    throng_server_config_init(&config);
    static cli_list_t pause_at;
    static const char *const pause_from[] = {"start", "first-request", NULL};
    throng_server_pause_t pauses[THRONG_SERVER_PAUSES_MAX];
    cli_option_t opts[] = {
        {.name = "listen",
         .kind = CLI_STRING,
         .target = &config.listen,
         .metavar = "HOST:PORT",
         .help = "address to listen on; port 0 picks a free one (127.0.0.1:5050)"},
        {.name = "threads",
         .short_name = 't',
         .kind = CLI_UINT,
         .target = &config.threads,
         .metavar = "N",
         .help = "threads, each accepting on the same port (1)",
         .min = 1,
         .max = 256},
        {.name = "latency",
         .kind = CLI_DURATION,
         .target = &config.latency,
         .metavar = "DURATION",
         .help = "service time added before each table or crunch answer, e.g. 20ms"},
        {.name = "pause-at",
         .kind = CLI_LIST,
         .target = &pause_at,
         .metavar = "WHEN:FOR",
         .help = "stall: answers held from WHEN after the start for FOR: 3s:2s, 3s:2s,9s:1s"},
        {.name = "pause-from",
         .kind = CLI_CHOICE,
         .target = &config.pause_from_first,
         .metavar = "start|first-request",
         .choices = pause_from,
         .help = "what --pause-at's WHEN counts from (start)"},
        {.name = "busy",
         .kind = CLI_SHARE,
         .target = &config.busy,
         .metavar = "SHARE",
         .help = "share of table and crunch requests answered Busy with status 500 (0)"},
        {.name = "wrong-size",
         .kind = CLI_SHARE,
         .target = &config.wrong_size,
         .metavar = "SHARE",
         .help = "share answered wrong: a table of the wrong size, or a wrong result (0)"},
        {.name = "drop",
         .kind = CLI_SHARE,
         .target = &config.drop,
         .metavar = "SHARE",
         .help = "share of table and crunch requests whose connection is closed unanswered (0)"},
        {.name = "tls-cert",
         .kind = CLI_STRING,
         .target = &config.tls_cert,
         .metavar = "FILE",
         .help = "serve HTTPS with this PEM certificate (chain)"},
        {.name = "tls-key",
         .kind = CLI_STRING,
         .target = &config.tls_key,
         .metavar = "FILE",
         .help = "the certificate's private key, PEM (default: in --tls-cert)"},
        {.name = "seed",
         .kind = CLI_U64,
         .target = &config.seed,
         .metavar = "N",
         .help = "seed of the server's choices; 0 = random (0)"},
        {.name = NULL},
    };
    char *positional[argc > 0 ? argc : 1];
    cli_args_t args = {.positional = positional};
    if (cli_parse("throng serve", opts, argc, argv, &args) != 0) return CLI_EXIT_USAGE;
    if (args.help) {
        print_help(opts);
        return CLI_EXIT_OK;
    }
    if (args.npositional > 0 || args.nrest > 0) {
        fprintf(stderr, "throng serve: unexpected argument '%s' (see throng serve --help)\n",
                args.npositional > 0 ? args.positional[0] : args.rest[0]);
        return CLI_EXIT_USAGE;
    }
    if (read_pauses(&pause_at, pauses, &config.npauses) != 0) return CLI_EXIT_USAGE;
    config.pauses = pauses;
    return serve(&config);
}
