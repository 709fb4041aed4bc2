/* cmd_run.c - `throng run [persona] [flags] [-- key=value ...]`. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "described.h"
#include "log.h"
#include "options.h"
#include "run_engine.h"
#include "url_mode.h"

#define DEFAULT_DURATION 10.0
/* The command its messages name: "throng run", or the home's command
 * (throng add, throng update) that checks a group's flags through here. */
static const char *cmd_name = "throng run";
#define CMD cmd_name

static const char *const on_fault_choices[] = {"drop", "restart", NULL};
static const char *const arrivals_choices[] = {"uniform", "poisson", NULL};

/* Everything the flags say, before it becomes an engine. */
typedef struct run_flags {
    throng_config_t cfg;
    throng_group_t group;
    int on_fault, log_level, once, print, show_config, latency;
    int tls_resume, no_tls_resume; /* --tls-resume, --no-tls-resume */
    const char *log_file;
    uint64_t log_max;
    cli_list_t thresholds;
    cli_output_t out;
    unsigned big_table;     /* --big-table: the table persona's big_table argument */
    char big_table_arg[32]; /* "big_table=N" */
    const char **args;      /* the persona arguments: big_table=N, then those after -- */
    /* the described system's flags */
    unsigned process_count, thread_count;
    const char *processes; /* -p: N or auto */
    const char *client_type, *server_address, *debug_level;
    char address[300];
    /* the load model */
    const char *rate, *stages_text;
    int arrivals;
    /* one shard of a run spread over machines */
    const char *shard_text, *start_at_text;
    throng_stage_t stages[THRONG_MAX_STAGES];
    /* URL mode: a URL loaded by the url persona */
    cli_url_flags_t url;
    cli_url_args_t url_args;
} run_flags_t;

static void usage(FILE *out, const cli_option_t *opts, const cli_option_t *described)
{
    fprintf(out, "usage: throng run [PERSONA | URL] [flags] [-- key=value ...]\n"
                 "\n"
                 "With a URL (http://host:port/path?query, or --server with a path, or\n"
                 "--urls FILE), the url persona loads exactly that URL, as wrk does: each\n"
                 "client keeps one connection and asks again as soon as it is answered\n"
                 "(--request-count and --slow-down change that), with --method, --header,\n"
                 "--body; any status passes unless --expect-status or --expect-body say.\n"
                 "\n"
                 "Otherwise it loads a server with clients that each run PERSONA: a built-in\n"
                 "persona (table, the default, or watchdog, admin, typical, expert, url) or a\n"
                 "persona script (a path ending in .lua; see scripts/README.md). Each client\n"
                 "runs sessions: connect, --request-count exchanges with think time between\n"
                 "them (or the script's session function), close, rest for --slow-down, again.\n"
                 "That is the closed model: clients wait for their answers, so a slow\n"
                 "server is asked less. --rate makes it open: arrivals on a schedule (each\n"
                 "a session, or the next request of one), taken by free clients of a pool\n"
                 "(--max-clients), counted dropped when none is free; latency then counts\n"
                 "from each arrival's intended time. --stages ramps clients or rates; a\n"
                 "closed run starts its clients over --ramp-up (docs/load-models.md).\n"
                 "A plan script (a table of named groups, each with its persona and\n"
                 "settings) runs all its groups at once; the flags are then the settings a\n"
                 "group leaves out.\n"
                 "\n"
                 "flags:\n");
    cli_print_options(out, opts);
    fprintf(out, "\n"
                 "flags of the layer-cake testing clients, accepted as they are given there:\n");
    cli_print_options(out, described);
    fprintf(out, "\n"
                 "Persona arguments after -- reach the persona's init: key=value as a\n"
                 "string, key:=value as a number;\n"
                 "the table persona takes method=GET to ask with GET /Xy?x=&y=.\n"
                 "\n"
                 "The run ends when the duration is reached, the request limit is reached,\n"
                 "every client has faulted out (--on-fault drop), every client has run its\n"
                 "one session (--once), every worker process has ended, or on SIGINT/SIGTERM\n"
                 "(aborted: in-flight requests end as aborted). SIGUSR1, which throng stop\n"
                 "sends, ends it as its duration would, in-flight requests cancelled.\n"
                 "\n"
                 "exit status: 0 no faults (Busy replies are not faults), 1 faults seen,\n"
                 "every client faulted out, or a worker process lost, 2 usage error\n"
                 "(nothing ran), 3 aborted, 4 every worker process lost and no group ran\n"
                 "in this process, 5 a threshold was not met, 6 the report or the log\n"
                 "could not be written (stdout, a report file, --snapshot, --status or\n"
                 "--log; in place of 0, 1 or 5). With --threshold, the thresholds decide\n"
                 "between 0 and 5, unless a worker process was lost.\n");
}

static void set_persona(run_flags_t *f, const char *name)
{
    if (cli_looks_like_path(name))
        f->group.persona_path = name;
    else
        f->group.persona = name;
}

static int usage_error(const char *fmt, const char *value)
{
    fprintf(stderr, "%s: ", CMD);
    fprintf(stderr, fmt, value);
    fputc('\n', stderr);
    return -1;
}

/* --shard I/N, --run-id, --start-at. */
static int settle_shard(run_flags_t *f)
{
    if (f->shard_text) {
        unsigned i, n;
        int used = 0;
        if (sscanf(f->shard_text, "%u/%u%n", &i, &n, &used) != 2 || f->shard_text[used] != '\0' ||
            !isdigit((unsigned char)f->shard_text[0]))
            return usage_error("--shard %s: give I/N, shard I (from 0) of N, as 0/4",
                               f->shard_text);
        if (n == 0 || n > THRONG_MAX_SHARDS) {
            fprintf(stderr, "%s: --shard %s: N must be from 1 to %u\n", CMD, f->shard_text,
                    THRONG_MAX_SHARDS);
            return -1;
        }
        if (i >= n) {
            fprintf(stderr, "%s: --shard %s: shard must be below %u\n", CMD, f->shard_text, n);
            return -1;
        }
        f->cfg.shard = i;
        f->cfg.shards = n;
    }
    if (f->start_at_text && throng_parse_time(f->start_at_text, &f->cfg.start_at) != 0)
        return usage_error("--start-at %s: give Unix seconds (1767225600) or an RFC 3339 time "
                           "with its zone (2026-01-01T00:00:00Z)",
                           f->start_at_text);
    if (f->cfg.run_id && !*f->cfg.run_id) return usage_error("--run-id: give an identity%s", "");
    return 0;
}

/* --big-table N is the table persona's argument big_table=N, given before
 * those after "--" (so that `-- big_table=M` has the last word). */
static int big_table_arg(run_flags_t *f, const cli_args_t *args)
{
    snprintf(f->big_table_arg, sizeof f->big_table_arg, "big_table=%u", f->big_table);
    f->args = calloc((size_t)args->nrest + 1, sizeof *f->args);
    if (!f->args) return -1;
    f->args[0] = f->big_table_arg;
    for (int i = 0; i < args->nrest; i++)
        f->args[i + 1] = args->rest[i];
    f->group.args = f->args;
    f->group.nargs = (size_t)args->nrest + 1;
    return 0;
}

/* 1 when the flag whose value goes to target was given. */
static int given(const cli_option_t *opts, const void *target)
{
    for (const cli_option_t *o = opts; o->name; o++)
        if (o->target == target && o->seen) return 1;
    return 0;
}

/* The first URL flag given, for a message. */
static const char *url_flag_given(const cli_option_t *opts, const cli_url_flags_t *u)
{
    for (const cli_option_t *o = opts; o->name; o++)
        if (o->seen && (const char *)o->target >= (const char *)u &&
            (const char *)o->target < (const char *)(u + 1))
            return o->name;
    return "method";
}

/* URL mode: the url persona loads the first argument when it is a URL,
 * --server when it has a path and no persona is named, or --urls FILE; with
 * no think time and sessions as long as the run (one keep-alive connection
 * per client), unless --slow-down or --request-count say otherwise.
 * Returns 1 in URL mode, 0 otherwise, -1 after printing why not. */
static int settle_url(run_flags_t *f, const cli_option_t *opts, const cli_args_t *args)
{
    const char *first = args->npositional ? args->positional[0] : NULL, *url = NULL;
    int first_is_url = first && cli_url_is_url(first);
    const char *named = f->client_type ? f->client_type : first_is_url ? NULL : first;
    if (first_is_url) {
        if (given(opts, &f->cfg.server))
            return usage_error("give the URL once: '%s' or --server, not both", first);
        url = first;
    } else if (!named && f->cfg.server && cli_url_has_path(f->cfg.server)) {
        url = f->cfg.server;
    }
    if (!url && !f->url.urls_file) {
        if (!cli_url_flags_given(&f->url)) return 0;
        return usage_error("--%s applies to a URL (throng run http://host:port/path ...); a "
                           "persona builds its own requests",
                           url_flag_given(opts, &f->url));
    }
    if (named)
        return usage_error("a URL is loaded by the url persona: drop the persona '%s', or give "
                           "--server only host and port",
                           named);
    if (f->url.urls_file && given(opts, &f->cfg.server))
        return usage_error("--urls FILE names its server; drop --server '%s'", f->cfg.server);
    if (f->server_address)
        return usage_error("a URL names its server; drop --server-address '%s'", f->server_address);
    if (f->big_table) return usage_error("--big-table is the table persona's; drop it%s", "");
    if (cli_url_settle(CMD, url, &f->url, &f->url_args) != 0) return -1;
    f->cfg.server = f->url_args.origin;
    f->group.persona = "url";
    if (!given(opts, &f->group.request_count))
        f->group.request_count = f->once ? 1 : THRONG_MAX_REQUEST_COUNT;
    if (!given(opts, &f->group.slow_down)) f->group.slow_down = 0;
    /* The url persona's arguments first, then those after "--". */
    size_t n = f->url_args.n;
    f->args = calloc(n + (size_t)args->nrest + 1, sizeof *f->args);
    if (!f->args) return usage_error("out of memory%s", "");
    for (size_t i = 0; i < n; i++)
        f->args[i] = f->url_args.items[i];
    for (int i = 0; i < args->nrest; i++)
        f->args[n + (size_t)i] = args->rest[i];
    f->group.args = f->args;
    f->group.nargs = n + (size_t)args->nrest;
    return 1;
}

/* --rate, --stages and the flags that go with them: one load model, each
 * flag with its own, the run as long as the stages unless -d says. */
static int settle_load(run_flags_t *f, const cli_option_t *opts)
{
    throng_group_t *g = &f->group;
    if (f->rate) {
        char *end;
        errno = 0;
        g->rate = strtod(f->rate, &end);
        if (end != f->rate && strcmp(end, "/s") == 0) end += 2;
        if (end == f->rate || *end || errno || !(g->rate > 0) || g->rate > THRONG_MAX_RATE ||
            (*f->rate < '0' || *f->rate > '9'))
            return usage_error("--rate '%s' is not arrivals per second: give a number above 0, "
                               "at most 10000000 (500, 2.5, 500/s)",
                               f->rate);
    }
    if (f->stages_text) {
        char err[256];
        int rate;
        if (throng_parse_stages(f->stages_text, f->stages, THRONG_MAX_STAGES, &g->nstages, &rate,
                                err, sizeof err) != 0)
            return usage_error("--stages: %s", err);
        g->stages = f->stages;
        g->stages_rate = rate;
        if (f->rate) return usage_error("give --rate or --stages of rates, not both%s", "");
        if (!rate && given(opts, &g->clients))
            return usage_error("stages of clients say how many run: drop --clients%s", "");
        if (!given(opts, &f->cfg.duration)) f->cfg.duration = 0; /* the stages' sum */
    }
    int open = f->rate || (f->stages_text && g->stages_rate);
    g->arrivals = (throng_arrivals_t)f->arrivals;
    /* The pool starts with -c clients, 10 unless given: no more than its cap. */
    if (open && g->max_clients && g->clients > g->max_clients && !given(opts, &g->clients))
        g->clients = g->max_clients;
    if (!open && given(opts, &g->max_clients))
        return usage_error("--max-clients is the open model's: give --rate or --stages of rates "
                           "(30s:500/s)%s",
                           "");
    if (!open && given(opts, &f->arrivals))
        return usage_error("--arrivals is the open model's: give --rate or --stages of rates "
                           "(30s:500/s)%s",
                           "");
    if (given(opts, &g->ramp_up) && (open || f->stages_text))
        return usage_error("--ramp-up starts a fixed number of clients; with %s, the stages say "
                           "how the load ramps",
                           open ? "an open model" : "--stages");
    if (given(opts, &g->expected_interval) && open)
        return usage_error("--expected-interval corrects the closed model; the open model's "
                           "latency already counts from each arrival's intended time%s",
                           "");
    if (f->once && (open || f->stages_text))
        return usage_error("--once runs one session; drop --%s",
                           open && f->rate ? "rate" : "stages");
    return 0;
}

/* -p N or -p auto (as few processes as fit the clients in the open-file
 * limit: the engine decides). */
static int settle_processes(run_flags_t *f)
{
    if (strcmp(f->processes, "auto") == 0) {
        f->cfg.processes = THRONG_PROCESSES_AUTO;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long n = strtoul(f->processes, &end, 10);
    if (errno || end == f->processes || *end || f->processes[0] == '-' || n < 1 ||
        n > THRONG_MAX_PROCESSES)
        return usage_error("-p/--processes takes a number from 1 to 4096, or auto; not '%s'",
                           f->processes);
    f->cfg.processes = (unsigned)n;
    return 0;
}

/* Turns the described system's flags into throng's; checks what the
 * parser alone cannot. */
static int settle(run_flags_t *f, const cli_option_t *opts, const cli_args_t *args)
{
    if (!(f->cfg.timeout > 0)) return usage_error("--timeout must be more than 0%s", "");
    if (!(f->cfg.connect_timeout > 0))
        return usage_error("--connect-timeout must be more than 0%s", "");
    if (args->npositional > 1)
        return usage_error("one persona at a time; unexpected '%s'", args->positional[1]);
    int url_mode = settle_url(f, opts, args);
    if (url_mode < 0) return -1;
    if (args->npositional == 1 && !url_mode) set_persona(f, args->positional[0]);
    if (f->client_type && !url_mode) {
        const char *persona = cli_described_client_type(f->client_type);
        if (!persona)
            return usage_error("--client-type '%s' is not a persona: give a persona name (table) "
                               "or a script path",
                               f->client_type);
        set_persona(f, persona);
    }
    if (f->server_address) {
        if (cli_described_address(f->server_address, f->address, sizeof f->address) != 0)
            return usage_error("--server-address '%s' is neither host:port nor "
                               "{\"host\":...,\"port\":...}",
                               f->server_address);
        f->cfg.server = f->address;
    }
    if (f->debug_level) {
        int level = cli_described_level(f->debug_level);
        if (level < 0)
            return usage_error("--debug-level '%s' is not one of DEBUG, TRACE, INFO, WARNING, "
                               "ERROR",
                               f->debug_level);
        f->log_level = level;
    }
    /* -n without -d: the run ends when the requests are done. */
    for (const cli_option_t *o = opts; o->name; o++)
        if (o->target == &f->cfg.duration && !o->seen && f->cfg.max_requests) f->cfg.duration = 0;
    if (f->processes && settle_processes(f) != 0) return -1;
    if (f->process_count) f->cfg.processes = f->process_count;
    /* There, every client had its own thread: --thread-count is clients per process. */
    if (f->thread_count && f->cfg.processes == THRONG_PROCESSES_AUTO)
        return usage_error("--thread-count is clients per process: give -p a number%s", "");
    if (f->thread_count) f->group.clients = f->thread_count * f->cfg.processes;
    if (f->once) {
        for (const cli_option_t *o = opts; o->name; o++)
            if (o->seen && (o->target == &f->group.clients || o->target == &f->processes ||
                            o->target == &f->group.threads))
                return usage_error("--once runs one client in one process and thread; drop "
                                   "--%s",
                                   o->name);
        f->group.clients = f->group.threads = f->cfg.processes = 1;
        f->cfg.once = 1;
        f->cfg.duration = 0; /* the session decides */
    }
    if (settle_load(f, opts) != 0) return -1;
    if (settle_shard(f) != 0) return -1;
    if (f->big_table && big_table_arg(f, args) != 0) return usage_error("out of memory%s", "");
    if (f->print) f->cfg.keep_last_reply = 1;
    if (f->tls_resume && f->no_tls_resume)
        return usage_error("--tls-resume and --no-tls-resume exclude each other%s", "");
    f->cfg.tls_resume = !f->no_tls_resume;
    if (f->cfg.key && !f->cfg.cert) return usage_error("--key needs --cert%s", "");
    if (f->group.clients < f->cfg.processes && f->cfg.processes != THRONG_PROCESSES_AUTO)
        f->cfg.processes = f->group.clients; /* no process without a client */
    f->cfg.on_fault = (throng_on_fault_t)f->on_fault;
    if (f->out.json_per_rank && !f->out.mpi)
        return usage_error("--json-per-rank is for --mpi runs; use --json%s", "");
    if (f->out.mpi) {
        if (!throng_mpi_available())
            return usage_error("--mpi: this throng was built without MPI (configure it with "
                               "-DTHRONG_MPI=ON, Open MPI's libopenmpi-dev installed)%s",
                               "");
        if (f->cfg.processes != 1)
            return usage_error("--mpi runs each rank in one process: drop -p (Open MPI does not "
                               "allow forking worker processes after MPI starts; start more "
                               "ranks with mpirun -np instead)%s",
                               "");
        if (f->once) return usage_error("--once runs one client: drop --mpi%s", "");
        if (f->shard_text || f->start_at_text)
            return usage_error("--mpi makes each rank a shard and agrees the start: drop --%s",
                               f->shard_text ? "shard" : "start-at");
    }
    return 0;
}

/* --show-config: the settings the run would use, one per line, so that
 * two command lines can be compared. */
static void show_config(const run_flags_t *f)
{
    const throng_config_t *c = &f->cfg;
    const throng_group_t *g = &f->group;
    printf("persona          %s\n", g->persona_path ? g->persona_path
                                    : g->persona    ? g->persona
                                                    : "table");
    printf("server           %s\n", c->server);
    printf("source           %s\n", g->source ? g->source : "(the system chooses)");
    if (c->processes == THRONG_PROCESSES_AUTO)
        printf("processes        auto (as the open-file limit asks; %ld cores)\n",
               sysconf(_SC_NPROCESSORS_ONLN));
    else
        printf("processes        %u\n", c->processes);
    printf("threads          %u per process\n", g->threads);
    printf("clients          %u\n", g->clients);
    if (g->rate > 0 || (g->nstages && g->stages_rate)) {
        printf("load model       open: %s arrivals", arrivals_choices[g->arrivals]);
        if (g->rate > 0) printf(", %g per second", g->rate);
        printf(", pool of %u clients", g->clients);
        if (g->max_clients)
            printf(" growing up to %u\n", g->max_clients);
        else
            printf(" growing as needed\n");
    } else {
        printf("load model       closed");
        if (g->ramp_up > 0) printf(", ramp-up %gs", g->ramp_up);
        if (g->expected_interval > 0) printf(", expected interval %gs", g->expected_interval);
        putchar('\n');
    }
    for (size_t i = 0; i < g->nstages; i++)
        printf("stage            %gs to %g%s\n", g->stages[i].duration, g->stages[i].target,
               g->stages_rate ? " per second" : " clients");
    printf("request count    %u\n", g->request_count);
    printf("slow down        %gs\n", g->slow_down);
    printf("duration         %gs%s\n", c->duration, c->duration > 0 ? "" : " (no limit)");
    printf("requests         %llu%s\n", (unsigned long long)c->max_requests,
           c->max_requests ? "" : " (no limit)");
    printf("timeout          %gs\n", c->timeout);
    printf("connect timeout  %gs\n", c->connect_timeout);
    printf("max connecting   %u per thread\n",
           c->max_connecting ? c->max_connecting : THRONG_MAX_CONNECTING_DEFAULT);
    printf("tls verify       %s\n", c->insecure ? "no (--insecure)"
                                    : c->cacert ? c->cacert
                                                : "the system's certificate store");
    if (c->cert) printf("tls client cert  %s (key %s)\n", c->cert, c->key ? c->key : c->cert);
    printf("tls resume       %s\n", c->tls_resume ? "yes" : "no");
    printf("on fault         %s\n", on_fault_choices[f->on_fault]);
    printf("once             %s\n", c->once ? "yes" : "no");
    printf("log level        %s\n", cli_log_levels[f->log_level]);
    printf("max body         %llu bytes\n",
           (unsigned long long)(c->max_body ? c->max_body : 8u << 20));
    printf("buffer budget    %llu bytes\n",
           (unsigned long long)(c->buffer_budget ? c->buffer_budget : 256u << 20));
    printf("lua memory       %u MB%s\n", c->lua_memory, c->lua_memory ? "" : " (no limit)");
    printf("hook timeout     %gs%s\n", c->hook_timeout, c->hook_timeout > 0 ? "" : " (never)");
    printf("seed             %llu%s\n", (unsigned long long)c->seed,
           c->seed         ? ""
           : c->shards > 1 ? " (derived from the run's identity, every shard's alike)"
                           : " (fresh)");
    if (c->shards > 1) printf("shard            %u of %u (from 0)\n", c->shard, c->shards);
    if (c->run_id) printf("run id           %s\n", c->run_id);
    if (c->start_at > 0) printf("start at         %.3f (Unix seconds)\n", c->start_at);
    for (size_t i = 0; i < g->nargs; i++) {
        printf("argument         ");
        for (const char *ch = g->args[i]; *ch; ch++) /* the url persona's headers, one a line */
            if (*ch == '\n')
                fputs("\\n", stdout);
            else
                putchar(*ch);
        putchar('\n');
    }
    for (size_t i = 0; i < f->thresholds.n; i++)
        printf("threshold        %s\n", f->thresholds.items[i]);
}

static int configure(throng_engine_t *e, const run_flags_t *f);

/* --show-config's groups, as the engine took them (a plan's every one). */
static void show_groups(const throng_engine_t *e, int f_auto)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    throng_group_t g;
    for (unsigned i = 0; throng_group_get(e, i, &g) == 0; i++) {
        printf("group            %s: persona %s, %u client%s, %u process%s of %u thread%s, "
               "request count %u, slow down %gs",
               g.name,
               g.persona_path     ? g.persona_path
               : g.persona        ? g.persona
               : g.persona_source ? "(a script's text)"
                                  : "table",
               g.clients, g.clients == 1 ? "" : "s", g.processes, g.processes == 1 ? "" : "es",
               g.threads, g.threads == 1 ? "" : "s", g.request_count, g.slow_down);
        if (f_auto && g.processes > cores)
            printf(" (-p auto: more processes than the %ld cores, to fit the open-file limit)",
                   cores);
        if (g.rate > 0) printf(", open model at %g/s (%s)", g.rate, arrivals_choices[g.arrivals]);
        if (g.nstages) {
            printf(", stages ");
            for (size_t j = 0; j < g.nstages; j++)
                printf("%s%gs:%g%s", j ? "," : "", g.stages[j].duration, g.stages[j].target,
                       g.stages_rate ? "/s" : "");
        }
        if (g.max_clients) printf(", max clients %u", g.max_clients);
        if (g.ramp_up > 0) printf(", ramp-up %gs", g.ramp_up);
        if (g.expected_interval > 0) printf(", expected interval %gs", g.expected_interval);
        if (g.start_delay > 0) printf(", start delay %gs", g.start_delay);
        if (g.duration > 0) printf(", duration %gs", g.duration);
        printf(", server %s", g.server);
        if (g.source) printf(", source %s", g.source);
        putchar('\n');
        for (size_t j = 0; j < g.nargs; j++)
            printf("group            %s: argument %s\n", g.name, g.args[j]);
        for (size_t j = 0; j < g.nthresholds; j++)
            printf("group            %s: threshold %s\n", g.name, g.thresholds[j]);
    }
}

/* Checks everything as a run would (the persona or plan loaded, the
 * thresholds parsed); with show, then prints the settings (--show-config). */
static int check(run_flags_t *f, int show)
{
    throng_engine_t *e = throng_engine_new(&f->cfg);
    if (!e) {
        fprintf(stderr, "%s: out of memory\n", CMD);
        return CLI_EXIT_USAGE;
    }
    int status = CLI_EXIT_USAGE;
    if (configure(e, f) != 0) {
        /* configure said why */
    } else if (throng_check(e) != 0) { /* each persona loaded, one init run */
        fprintf(stderr, "%s: %s\n", CMD, throng_errmsg(e));
    } else {
        if (show) {
            show_config(f);
            show_groups(e, f->cfg.processes == THRONG_PROCESSES_AUTO);
        }
        status = CLI_EXIT_OK;
    }
    throng_engine_free(e);
    return status;
}

static int check_and_show(run_flags_t *f)
{
    return check(f, 1);
}

static int check_only(run_flags_t *f)
{
    return check(f, 0);
}

/* Adds the group and the thresholds; 0, or prints why not. */
static int configure(throng_engine_t *e, const run_flags_t *f)
{
    int rc;
    if (f->group.persona_path) { /* a persona script or a plan of several groups */
        throng_group_t defaults = f->group;
        defaults.persona_path = NULL;
        rc = throng_add_script(e, f->group.persona_path, &defaults);
    } else {
        rc = throng_add_group(e, &f->group);
    }
    for (size_t i = 0; rc == 0 && i < f->thresholds.n; i++)
        if ((rc = throng_add_threshold(e, f->thresholds.items[i])) != 0)
            fprintf(stderr, "%s: --threshold: %s\n", CMD, throng_errmsg(e));
    if (rc && !f->thresholds.n) fprintf(stderr, "%s: %s\n", CMD, throng_errmsg(e));
    return rc;
}

/* --mpi: this process is one rank of an mpirun job. Rank r of N runs the
 * r-th of N shards of the run; only rank 0 shows progress, prints the
 * report, writes the reports and serves the dashboard (every rank writes
 * its own --json-per-rank). */
static int start_mpi(run_flags_t *f)
{
    char err[256];
    if (throng_mpi_init(&f->out.rank, &f->out.ranks, err, sizeof err) != 0) {
        fprintf(stderr, "%s: --mpi: %s\n", CMD, err);
        return -1;
    }
    f->cfg.mpi = 1;
    f->cfg.shard = f->out.rank;
    f->cfg.shards = f->out.ranks;
    if (f->out.rank != 0) f->out.quiet = 1;
    return 0;
}

/* Runs the engine; with --print, shows the last reply after the report. */
static int run(run_flags_t *f, cli_log_t *log)
{
    cli_log_setup(&f->cfg, log, (throng_log_level_t)f->log_level);
    f->out.text_flags = f->latency ? THRONG_TEXT_LATENCY : 0;
    cli_output_setup(&f->cfg, &f->out);
    throng_engine_t *e = throng_engine_new(&f->cfg);
    if (!e) {
        fprintf(stderr, "%s: out of memory\n", CMD);
        return CLI_EXIT_USAGE;
    }
    int status;
    if (configure(e, f) != 0) {
        status = CLI_EXIT_USAGE;
        /* The other ranks would wait for this one at the start. */
        if (f->out.mpi) throng_mpi_abort(CLI_EXIT_USAGE);
    } else {
        status = cli_run_engine(CMD, e, &f->out);
        /* A rank was lost: MPI_Finalize may wait for it for good. Rank 0
         * has said and written everything; it ends the job at once. */
        const throng_report_t *r = throng_report(e);
        if (f->out.mpi && f->out.rank == 0 && r && r->processes_lost) {
            fflush(stdout);
            cli_stderr_finish(CMD, 1.0);
            throng_mpi_abort(status);
        }
        const char *body;
        size_t len;
        int code;
        if (f->print && throng_report_last_reply(e, &code, &body, &len) == 0) {
            printf("\nlast reply: status %d, %zu bytes\n", code, len);
            fwrite(body, 1, len, stdout);
            if (len && body[len - 1] != '\n') putchar('\n');
        }
    }
    throng_engine_free(e);
    return status;
}

/* The canonical tokens of a checked command line. */
static int canonical(cli_run_canon_t *canon, const cli_option_t *opts, const cli_args_t *args)
{
    int n = 0, cap = CLI_RUN_TOKENS_MAX;
    for (int i = 0; i < args->npositional && n < cap; i++)
        canon->tokens[n++] = strdup(args->positional[i]);
    n += cli_canonical(opts, canon->tokens + n, cap - n);
    if (args->nrest && n < cap) canon->tokens[n++] = strdup("--");
    for (int i = 0; i < args->nrest && n < cap; i++)
        canon->tokens[n++] = strdup(args->rest[i]);
    canon->ntokens = n;
    for (int i = 0; i < n; i++)
        if (!canon->tokens[i]) return CLI_EXIT_USAGE;
    return n < cap ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

/* An address --dashboard takes: "host:port", "[v6]:port", ":port". */
static int dashboard_address(const char *s)
{
    const char *colon = strrchr(s, ':');
    if (s[0] == '-' || !colon || strchr(s, '/') || !colon[1]) return 0;
    return strspn(colon + 1, "0123456789") == strlen(colon + 1);
}

/* argv with a bare --dashboard (no address after it) given its default,
 * so that the flag's address may be left out. Points into argv; free the
 * array only. */
static char **dashboard_argv(int argc, char **argv)
{
    char **out = calloc((size_t)argc + 1, sizeof *out);
    if (!out) return NULL;
    int rest = 0;
    for (int i = 0; i < argc; i++) {
        out[i] = argv[i];
        if (strcmp(argv[i], "--") == 0) rest = 1;
        if (!rest && strcmp(argv[i], "--dashboard") == 0 &&
            !(i + 1 < argc && dashboard_address(argv[i + 1])))
            out[i] = (char *)"--dashboard=" THRONG_DASHBOARD_LISTEN;
    }
    return out;
}

/* cmd_run's work; with canon set, only checks the command line and writes
 * its canonical tokens (the persona, "--name=value" flags, then "--" and the
 * persona arguments) into canon->tokens instead of running. */
static int run_command(int argc, char **argv, cli_run_canon_t *canon)
{
    run_flags_t f;
    memset(&f, 0, sizeof f);
    throng_config_init(&f.cfg);
    f.cfg.raise_fd_limit = 1; /* the soft open-file limit up to the hard one */
    throng_group_init(&f.group);
    f.cfg.duration = DEFAULT_DURATION;
    f.log_level = THRONG_LOG_WARN;

    cli_option_t opts[] = {
        {"name", 0, CLI_STRING, &f.group.name, "NAME",
         "the group's name in the report (default: the persona's)"},
        {"server", 's', CLI_STRING, &f.cfg.server, "URL",
         "server to load (default 127.0.0.1:5050); with a path, the URL to load"},
        {"method", 'm', CLI_STRING, &f.url.method, "METHOD",
         "URL mode: the request method (default GET, POST with a body)"},
        {"header", 'H', CLI_LIST, &f.url.headers, "'NAME: VALUE'",
         "URL mode: a request header (repeatable)"},
        {"body", 'b', CLI_STRING, &f.url.body, "TEXT", "URL mode: the request body"},
        {"body-file", 0, CLI_STRING, &f.url.body_file, "FILE",
         "URL mode: the request body, read from FILE"},
        {"content-type", 0, CLI_STRING, &f.url.content_type, "TYPE",
         "URL mode: the Content-Type header"},
        {"urls", 0, CLI_STRING, &f.url.urls_file, "FILE",
         "URL mode: load the URLs of FILE, one a line: [METHOD] URL [@BODYFILE]"},
        {"pick", 0, CLI_CHOICE, &f.url.pick, "round-robin|random",
         "URL mode: how each client takes the next URL of --urls (default round-robin)",
         cli_url_pick_choices},
        {"expect-status", 0, CLI_STRING, &f.url.expect_status, "LIST",
         "URL mode: statuses that pass, as 200,204 or 2xx or 200-299; others are invalid"},
        {"expect-body", 0, CLI_STRING, &f.url.expect_body, "REGEX",
         "URL mode: a POSIX extended regex the body must match; others are invalid"},
        {"clients", 'c', CLI_UINT, &f.group.clients, "N", "clients in all (default 10)", NULL, 1,
         THRONG_MAX_CLIENTS},
        {"threads", 't', CLI_UINT, &f.group.threads, "N", "worker threads per process (default 1)",
         NULL, 1, THRONG_MAX_THREADS},
        {"processes", 'p', CLI_STRING, &f.processes, "N|auto",
         "worker processes of each group, sharing its clients (default 1; auto: as many as "
         "the open-file limit needs)"},
        {"duration", 'd', CLI_DURATION, &f.cfg.duration, "TIME",
         "how long to run: 30s, 5m, 1h (default 10s, none with -n; 0 = until stopped)"},
        {"requests", 'n', CLI_U64, &f.cfg.max_requests, "N",
         "stop after N requests in all (without -d: however long they take)"},
        {"once", 0, CLI_FLAG, &f.once, NULL,
         "one client, one session, one process: succeed or fail"},
        {"print", 0, CLI_FLAG, &f.print, NULL, "print the last reply after the report"},
        {"timeout", 0, CLI_DURATION, &f.cfg.timeout, "TIME", "per-request timeout (default 5s)"},
        {"connect-timeout", 0, CLI_DURATION, &f.cfg.connect_timeout, "TIME",
         "connect timeout, from the connect attempt (default 5s)"},
        {"max-connecting", 0, CLI_UINT, &f.cfg.max_connecting, "N",
         "connect attempts in flight per worker thread; more wait their turn (default 256)", NULL,
         1, THRONG_MAX_CONNECTING},
        {"source", 0, CLI_STRING, &f.group.source, "LIST",
         "local addresses to connect from, spread over the clients: 127.0.0.2,[::1] or "
         "127.0.0.2-127.0.0.40 (default: the system chooses)"},
        {"max-body", 0, CLI_U64, &f.cfg.max_body, "SIZE",
         "largest response body, in bytes: 64k, 8M (default 8 MiB)", NULL, 1, 1u << 30},
        {"buffer-budget", 0, CLI_U64, &f.cfg.buffer_budget, "SIZE",
         "response bytes a worker thread may hold at once (default 256 MiB)", NULL, 1,
         (uint64_t)1 << 40},
        {"insecure", 'k', CLI_FLAG, &f.cfg.insecure, NULL,
         "https: verify neither the server's certificate nor its name"},
        {"cacert", 0, CLI_STRING, &f.cfg.cacert, "FILE",
         "https: trust the CAs in this PEM file instead of the system's store"},
        {"cert", 0, CLI_STRING, &f.cfg.cert, "FILE", "https: client certificate (PEM)"},
        {"key", 0, CLI_STRING, &f.cfg.key, "FILE",
         "https: the client certificate's private key (PEM; default: in --cert)"},
        {"tls-resume", 0, CLI_FLAG, &f.tls_resume, NULL,
         "https: resume TLS sessions when a client reconnects (the default)"},
        {"no-tls-resume", 0, CLI_FLAG, &f.no_tls_resume, NULL,
         "https: a full handshake on every connection"},
        {"on-fault", 0, CLI_CHOICE, &f.on_fault, "drop|restart",
         "a faulted client leaves (drop, default) or reconnects with backoff", on_fault_choices},
        {"rate", 'r', CLI_STRING, &f.rate, "R",
         "open model: R arrivals per second (500, 2.5/s), each a new session (or the next "
         "request of one, with --request-count), whatever the server's pace"},
        {"arrivals", 0, CLI_CHOICE, &f.arrivals, "uniform|poisson",
         "open model: arrivals evenly spaced (default) or at random (Poisson)", arrivals_choices},
        {"max-clients", 0, CLI_UINT, &f.group.max_clients, "N",
         "open model: the most clients the pool grows to (default: the peak rate times the "
         "timeout, within the open-file limit); -c is the pool it starts with",
         NULL, 1, THRONG_MAX_CLIENTS},
        {"stages", 0, CLI_STRING, &f.stages_text, "LIST",
         "ramps, linear from 0: clients (30s:100,5m:100,30s:0) or arrivals per second "
         "(30s:500/s,5m:500/s); the run lasts their sum unless -d says"},
        {"ramp-up", 0, CLI_DURATION, &f.group.ramp_up, "TIME",
         "start the clients evenly over TIME (default: clients/2000 s, at most 1s)"},
        {"expected-interval", 0, CLI_DURATION, &f.group.expected_interval, "TIME",
         "closed model: the interval a client means to keep between requests; adds the "
         "coordinated-omission-corrected latency to the report"},
        {"request-count", 0, CLI_UINT, &f.group.request_count, "N",
         "exchanges per session (default 1)", NULL, 1, THRONG_MAX_REQUEST_COUNT},
        {"slow-down", 0, CLI_DURATION, &f.group.slow_down, "TIME",
         "think time between exchanges and sessions (default 0.5s)"},
        {"big-table", 0, CLI_UINT, &f.big_table, "N",
         "largest table side: the table persona's big_table=N (default 100)", NULL, 1, 10000},
        {"shard", 0, CLI_STRING, &f.shard_text, "I/N",
         "run shard I (from 0) of N equal parts of the run: clients, rates, stages and -n "
         "divided so that the N shards add up to the whole (docs/distributed.md)"},
        {"run-id", 0, CLI_STRING, &f.cfg.run_id, "ID",
         "the run's identity in the report, the same in every shard (default: derived from "
         "the settings and --seed)"},
        {"start-at", 0, CLI_STRING, &f.start_at_text, "TIME",
         "start the load at TIME: Unix seconds or RFC 3339 (2026-01-01T12:00:00Z), so that "
         "shards started apart start together"},
        {"seed", 0, CLI_U64, &f.cfg.seed, "N",
         "seed for the clients' random choices (the report gives the run's)", NULL, 0,
         THRONG_MAX_SEED},
        {"lua-memory", 0, CLI_UINT, &f.cfg.lua_memory, "MB",
         "Lua heap per worker thread (default 512; 0 = no limit)", NULL, 0, 1048576},
        {"hook-timeout", 0, CLI_DURATION, &f.cfg.hook_timeout, "TIME",
         "interrupt a hook that runs longer (default 5s; 0 = never, with LuaJIT's compiler on)"},
        {"log-level", 0, CLI_CHOICE, &f.log_level, "LEVEL",
         "error, warn (default), info, debug (every client event), trace", cli_log_levels},
        {"log", 0, CLI_STRING, &f.log_file, "FILE", "write log lines to FILE (default stderr)"},
        {"log-max", 0, CLI_U64, &f.log_max, "BYTES",
         "roll FILE over at this size (10M), keeping 5 old ones"},
        {"status", 0, CLI_STRING, &f.out.status_file, "FILE",
         "keep FILE holding the run's live figures, rewritten every second"},
        {"snapshot", 0, CLI_STRING, &f.out.snapshot_file, "FILE",
         "keep FILE holding the JSON report so far, rewritten every --snapshot-every"},
        {"snapshot-every", 0, CLI_DURATION, &f.out.snapshot_every, "TIME",
         "how often --snapshot is rewritten (default 30s)"},
        {"threshold", 0, CLI_LIST, &f.thresholds, "EXPR",
         "a condition to meet, as p99<50ms, errors<1%, rate>1000, NAME:p99<20ms (repeatable)"},
        {"dashboard", 0, CLI_STRING, &f.out.dashboard, "[ADDR]",
         "serve a live dashboard (/, /events, /snapshot.json, /metrics) on ADDR "
         "(default " THRONG_DASHBOARD_LISTEN "; port 0: a free one, said on stderr)"},
        {"dashboard-linger", 0, CLI_DURATION, &f.out.dashboard_linger, "TIME",
         "keep the dashboard serving the final figures for TIME after the run"},
        {"json", 0, CLI_STRING, &f.out.json_file, "FILE", "write the whole report as JSON"},
        {"mpi", 0, CLI_FLAG, &f.out.mpi, NULL,
         "run as one rank of an MPI job (mpirun -np N throng run --mpi ...): each rank a shard, "
         "rank 0 prints and writes the whole run's report (docs/mpi.md)"},
        {"json-per-rank", 0, CLI_STRING, &f.out.json_per_rank, "PREFIX",
         "--mpi: each rank also writes its own part as JSON to PREFIX<rank>.json"},
        {"html", 0, CLI_STRING, &f.out.html_file, "FILE", "write the report as an HTML page"},
        {"junit", 0, CLI_STRING, &f.out.junit_file, "FILE",
         "write the thresholds as JUnit XML test cases, for CI"},
        {"summary-json", 0, CLI_STRING, &f.out.summary_file, "FILE",
         "write a short summary as JSON with a stable schema, for scripts"},
        {"latency", 0, CLI_FLAG, &f.latency, NULL, "add the latency distribution to the report"},
        {"interval", 0, CLI_DURATION, &f.out.interval, "TIME",
         "a progress line this often when stderr is not a terminal"},
        {"show-config", 0, CLI_FLAG, &f.show_config, NULL,
         "print the settings the run would use, and stop"},
        {"quiet", 'q', CLI_FLAG, &f.out.quiet, NULL, "no progress line"},
        /* The described system's flags (printed apart by usage()). */
        {"process-count", 0, CLI_UINT, &f.process_count, "N", "worker processes (= --processes)",
         NULL, 1, THRONG_MAX_PROCESSES},
        {"thread-count", 0, CLI_UINT, &f.thread_count, "N",
         "clients per process (there, a thread per client)", NULL, 1, THRONG_MAX_CLIENTS},
        {"client-type", 0, CLI_STRING, &f.client_type, "TYPE",
         "persona name or script path (= PERSONA)"},
        {"server-address", 0, CLI_STRING, &f.server_address, "ADDR",
         "host:port or {\"host\":\"127.0.0.1\",\"port\":5050} (= --server)"},
        {"debug-level", 0, CLI_STRING, &f.debug_level, "LEVEL",
         "DEBUG, TRACE, INFO, WARNING or ERROR (= --log-level)"},
        {NULL},
    };
    /* The described system's flags start at --process-count. */
    size_t first_described = 0;
    while (strcmp(opts[first_described].name, "process-count") != 0)
        first_described++;

    char **positional = calloc((size_t)argc + 1, sizeof *positional);
    cli_args_t args = {.positional = positional};
    int status = CLI_EXIT_USAGE;
    char **dargv = dashboard_argv(argc, argv);
    if (!positional || !dargv || cli_parse(CMD, opts, argc, dargv, &args) != 0) goto done;
    if (args.help) {
        cli_option_t own[first_described + 1];
        memcpy(own, opts, first_described * sizeof *opts);
        own[first_described] = (cli_option_t){NULL};
        usage(stdout, own, opts + first_described);
        status = CLI_EXIT_OK;
        goto done;
    }
    f.group.args = (const char *const *)args.rest;
    f.group.nargs = (size_t)args.nrest;
    if (settle(&f, opts, &args) != 0) goto done;
    if (canon) { /* a home's group: the command line, and its persona loaded as a run would */
        status = canonical(canon, opts, &args);
        if (status == CLI_EXIT_OK) status = check_only(&f);
        goto done;
    }
    if (f.show_config) {
        status = check_and_show(&f);
        goto done;
    }
    if (f.out.mpi && start_mpi(&f) != 0) goto done;
    cli_log_t *log = f.log_file ? cli_log_open(CMD, f.log_file, f.log_max) : cli_log_stderr();
    if (!log) goto done;
    status = run(&f, log);
    if (cli_log_close(log) != 0) status = cli_write_status(status); /* the log was not written */
done:
    if (f.out.mpi) throng_mpi_finalize();
    free(f.args);
    cli_url_args_free(&f.url_args);
    free(positional);
    free(dargv);
    return status;
}

int cmd_run(int argc, char **argv)
{
    return run_command(argc, argv, NULL);
}

int cli_run_canonical(const char *cmd, int argc, char **argv, cli_run_canon_t *canon)
{
    canon->ntokens = 0;
    cmd_name = cmd;
    int status = run_command(argc, argv, canon);
    cmd_name = "throng run";
    return status;
}

void cli_run_canon_free(cli_run_canon_t *canon)
{
    for (int i = 0; i < canon->ntokens; i++)
        free(canon->tokens[i]);
    canon->ntokens = 0;
}
