/*
 * throng.h - the public interface of libthrong, an embeddable load-generation
 * engine.
 *
 * A run is made of groups. A group is a persona (a Lua script that says how
 * one kind of client behaves) plus its settings: how many clients, on how
 * many worker threads, how many exchanges per session, how long to think.
 * Each worker thread owns one event loop, one Lua state and many clients.
 *
 * Conventions:
 *  - every function that can fail returns 0 or a negative THRONG_E* code;
 *    throng_strerror() names the code and throng_errmsg() says what exactly
 *    was wrong, for the engine (or server) given;
 *  - the library never prints, never exits and installs no signal handler;
 *  - memory returned through an out-parameter of type char ** belongs to the
 *    caller, who releases it with throng_free();
 *  - pointers to report data stay valid until the engine is freed.
 */
#ifndef THRONG_H
#define THRONG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define THRONG_API __attribute__((visibility("default")))
#else
#define THRONG_API
#endif

#define THRONG_VERSION_MAJOR 0
#define THRONG_VERSION_MINOR 1
#define THRONG_VERSION_PATCH 0
#define THRONG_VERSION_STRING "0.1.0"

/* The version of the library actually linked, as "MAJOR.MINOR.PATCH". */
THRONG_API const char *throng_version(void);

/* ------------------------------------------------------------------ errors */

/* XX(name, code, message): one table from which codes, names and messages come. */
#define THRONG_ERRNO_MAP(XX)                                                                       \
    XX(EINVAL, -1, "invalid argument")                                                             \
    XX(ENOMEM, -2, "out of memory")                                                                \
    XX(ESTATE, -3, "not allowed in the current state")                                             \
    XX(EADDR, -4, "bad address")                                                                   \
    XX(ERESOLVE, -5, "host name not resolved")                                                     \
    XX(EPERSONA, -6, "unknown persona")                                                            \
    XX(ESCRIPT, -7, "persona script error")                                                        \
    XX(ESYS, -8, "system error")                                                                   \
    XX(ELISTEN, -9, "cannot listen")

typedef enum {
    THRONG_OK = 0,
#define THRONG_XX_(name, code, msg) THRONG_##name = (code),
    THRONG_ERRNO_MAP(THRONG_XX_)
#undef THRONG_XX_
} throng_errno_t;

/* A short description of an error code ("invalid argument"). */
THRONG_API const char *throng_strerror(int err);
/* The code's name ("EINVAL"). */
THRONG_API const char *throng_err_name(int err);

/* Frees a buffer the library handed to the caller. */
THRONG_API void throng_free(void *p);

/* ------------------------------------------------------------------ faults */

/* What can end a request or a client. Every fault is counted. */
typedef enum {
    THRONG_FAULT_NOT_CONNECTED, /* connect failed, refused or timed out */
    THRONG_FAULT_TIMED_OUT,     /* no complete response within the timeout */
    THRONG_FAULT_ABANDONED,     /* the server closed or reset mid-exchange */
    THRONG_FAULT_CLOSED,        /* the connection was closed locally */
    THRONG_FAULT_BUSY,          /* the server said Busy: counted, not a client failure */
    THRONG_FAULT_INVALID,       /* the persona's validation failed */
    THRONG_FAULT_HTTP_ERROR,    /* malformed response */
    THRONG_FAULT_SCRIPT_ERROR,  /* a Lua error in a persona hook */
    THRONG_FAULT_ABORTED,       /* in flight when the run was stopped */
    THRONG_FAULT_TLS,           /* TLS handshake or certificate failure, with OpenSSL's reason */
    THRONG_FAULT_KINDS
} throng_fault_t;

/* The fault's name as shown in reports ("not-connected"). */
THRONG_API const char *throng_fault_name(throng_fault_t kind);

/* ---------------------------------------------------------------- settings */

typedef enum {
    THRONG_ON_FAULT_DROP,   /* a faulted client leaves the run (the default) */
    THRONG_ON_FAULT_RESTART /* a faulted client reconnects, with backoff and jitter */
} throng_on_fault_t;

/* Why a run ended. */
typedef enum {
    THRONG_END_NONE,      /* not ended yet */
    THRONG_END_DURATION,  /* the duration was reached */
    THRONG_END_REQUESTS,  /* the request limit was reached */
    THRONG_END_CLIENTS,   /* every client faulted out: "number of clients declined to zero" */
    THRONG_END_STOPPED,   /* throng_stop() was called (SIGINT in the CLI): aborted */
    THRONG_END_ONCE,      /* config.once: every client ran its one session */
    THRONG_END_PROCESSES, /* every worker process ended before the run did (crashed, killed) */
    THRONG_END_FINISHED   /* throng_finish() was called (throng stop in the CLI): a clean end,
                             as if the duration were over */
} throng_ending_t;

/* A sample of a running engine's progress, given to the progress callback. */
typedef struct throng_progress {
    double elapsed;            /* seconds since the run started */
    uint64_t requests;         /* exchanges completed so far */
    uint64_t failures;         /* faults so far, busy replies excluded */
    double rate;               /* exchanges per second over the last interval */
    double p99;                /* latency p99 of the latest whole second, seconds */
    uint64_t clients_active;   /* clients still in the run */
    uint64_t clients_faulted;  /* clients that left after a fault */
    uint64_t clients_finished; /* clients with nothing more to do (once, request limit) */
} throng_progress_t;

/* Called on the thread that runs throng_wait()/throng_run(), about once per
 * progress_interval seconds. It must not call back into the engine except
 * throng_stop(). */
typedef void (*throng_progress_cb)(const throng_progress_t *progress, void *data);

/* Log levels, most severe first. */
typedef enum {
    THRONG_LOG_ERROR,
    THRONG_LOG_WARN,
    THRONG_LOG_INFO,
    THRONG_LOG_DEBUG,
    THRONG_LOG_TRACE
} throng_log_level_t;

/* Receives log lines (personas' throng.log among them). It is called from
 * the worker threads, so it must be thread-safe; message has no newline.
 * client is the client's id, or 0 for lines about the run. */
typedef void (*throng_log_cb)(throng_log_level_t level, uint64_t client, const char *message,
                              void *data);

/* Engine-wide settings. Initialise with throng_config_init(), then change
 * what you need. */
typedef struct throng_config {
    const char *server;         /* "host:port", "[v6]:port", "http://host:port" or
                                   "https://host[:port]" (TLS; port 443 by default);
                                   default "127.0.0.1:5050" (a group may override) */
    double duration;            /* seconds; 0 = no time limit */
    uint64_t max_requests;      /* stop after this many requests sent, counted across every
                                   thread and worker process; 0 = no limit */
    double timeout;             /* per-request timeout, seconds (default 5) */
    double connect_timeout;     /* connect timeout, seconds (default 5) */
    uint64_t max_body;          /* bytes a response's body may hold (default 8 MiB; 0: the
                                   default; at most 1 GiB): a longer body ends its exchange
                                   as an http-error fault and closes the connection, so that
                                   each client buffers at most this much */
    uint64_t buffer_budget;     /* bytes of responses (headers and kept bodies) the clients
                                   of one worker thread may hold at once (default 256 MiB;
                                   0: the default): a response that would go past it ends
                                   its exchange as an http-error fault. Bodies a persona
                                   streams (response_body = "shape" or "discard") take none */
    throng_on_fault_t on_fault; /* what a faulted client does */
    unsigned processes;         /* worker processes of each group that leaves its own at 0
                                   (default 1: the calling process itself). Above 1 the engine
                                   forks them in throng_start(), before it creates any thread
                                   or Lua state; each group with more than 1 has processes of
                                   its own, each running a share of its clients; call it from
                                   a program that may fork. THRONG_PROCESSES_AUTO: as few as
                                   fit each group's clients in the open-file limit (see
                                   raise_fd_limit), resolved by throng_check() and
                                   throng_start() (throng_group_get() then gives the number) */
    int once;                   /* each client runs one session, then the run ends */
    int keep_last_reply;        /* keep the last response for throng_report_last_reply() */
    int live_reports;           /* throng_report_json() works while the run goes on (the
                                   workers then publish their figures every second) */
    uint64_t seed;              /* 0 = a fresh random seed per run; at most THRONG_MAX_SEED,
                                   so that a report (JSON numbers are doubles) holds it
                                   exactly and --seed with it repeats the run */
    throng_progress_cb progress;
    void *progress_data;
    double progress_interval; /* seconds between progress calls (default 1) */
    throng_log_cb log;        /* NULL: log lines are dropped */
    void *log_data;
    throng_log_level_t log_level; /* lines above this level are dropped (default WARN) */
    unsigned lua_memory;          /* MB each Lua state running a persona (one per worker
                                     thread) may hold (default 512; 0 = no limit); a client
                                     whose persona needs more faults with a script-error,
                                     "out of Lua memory (budget N MB)" */
    /* Seconds a persona's hook (or a session between two waits) may run
     * before it is interrupted: its client faults with a script-error
     * naming file and line (default 5; 0 = never, and LuaJIT's compiler
     * stays on: compiled code cannot be interrupted). Loading a script and
     * each init get the same time, or the start fails. Once the run is
     * asked to end no hook starts, and one still running 1 s later is
     * interrupted. A hook stuck in C code, where no interrupt reaches,
     * leaves its worker thread behind: the run still ends on time, that
     * thread's figures are its last published ones (at most 250 ms old),
     * and the thread stays parked in the process, its memory never freed
     * (report threads_abandoned). */
    double hook_timeout;
    /* TLS, for https:// servers. Certificates are verified against the
     * system's store by default, the host name (or IP address) as the
     * server was written; a failure is a fault of kind tls. */
    int insecure;       /* verify neither the certificate nor the host name */
    const char *cacert; /* PEM file of the CAs to trust, instead of the system's store */
    const char *cert;   /* client certificate (PEM, chain allowed), sent when asked */
    const char *key;    /* its private key (PEM); NULL: in the cert file */
    int tls_resume;     /* resume TLS sessions across a client's reconnects (default 1) */
    /* Open files. Each client holds a descriptor while connected; before
     * anything starts, throng_check() and throng_start() estimate each
     * process's need (its clients, an open model's pool cap, plus 64 of
     * its own) and refuse a run needing more than RLIMIT_NOFILE allows
     * (THRONG_EINVAL, with the numbers and the ways out). */
    int raise_fd_limit; /* raise the soft RLIMIT_NOFILE to the hard one first (default 0:
                           the library leaves the process's limits alone) */
    /* Connect attempts in flight at once per worker thread (default 256;
     * 0: the default). A connection past it waits its turn in a queue of
     * its thread, first come first served; its connect timeout counts
     * from its own attempt. Bounding them keeps the kernel's search for a
     * free local port and the server's accept queue short when thousands
     * of clients start at once. */
    unsigned max_connecting;
    /* Shards: one run spread over several machines (docs/distributed.md).
     * This process runs shard `shard` (from 0) of `shards` equal parts of
     * the run: each group's clients, rate, max_clients, stages' targets and
     * the request limit (max_requests) are divided so that the parts add
     * up exactly to the whole (shard i of n takes floor((i+1)*v/n) -
     * floor(i*v/n) of a count; rates are divided evenly), so a shard may
     * get no client of a small group: it then runs nothing for that group
     * and still reports it. Each shard's seed is derived from the run's
     * seed and its index, so a sharded run with the same seed repeats
     * exactly. shards 0 or 1: the whole run. throng_check() and
     * throng_start() refuse shard >= shards (THRONG_EINVAL). */
    unsigned shard;
    unsigned shards;
    /* The run's identity, carried in reports (run.id) so that the shards'
     * reports can be merged and told apart from other runs' (at most
     * THRONG_RUN_ID_MAX bytes: letters, digits, '.', '_', '-', ':').
     * NULL: derived from the run's settings (the shard left out) and its
     * seed, so that N processes started with the same settings agree
     * without talking. When no seed is given either, a sharded run's seed
     * is derived from that identity, so that every shard agrees on it. */
    const char *run_id;
    /* Unix time (seconds, fractional) at which the load starts: throng_start()
     * prepares everything, then the clients wait until it. 0, or a time
     * past: at once. Shards started apart (pods, MPI ranks) start their
     * load together, as well as their clocks agree (NTP). */
    double start_at;
    /* This process is one rank of an MPI job (throng_mpi_init() called
     * first, on the thread that then calls throng_start() and
     * throng_wait()): the ranks start together, rank 0 runs the run's
     * control loop over every rank and its report is the whole run's;
     * another rank's report is its own part. Needs a library built with
     * MPI (throng_mpi_available()) and no worker processes. */
    int mpi;
} throng_config_t;

/* The longest run identity (config.run_id), in bytes, and the most shards. */
#define THRONG_RUN_ID_MAX 64
#define THRONG_MAX_SHARDS 100000u

/* config.processes: as many worker processes as the open-file limit asks. */
#define THRONG_PROCESSES_AUTO 0xFFFFFFFFu
/* config.max_connecting's default and its largest value. */
#define THRONG_MAX_CONNECTING_DEFAULT 256u
#define THRONG_MAX_CONNECTING 1000000u

THRONG_API void throng_config_init(throng_config_t *config);

/* One stage of a group's load: from the previous stage's target (0 before
 * the first stage) to this one's, linearly, over duration seconds; a
 * duration of 0 is a step. */
typedef struct throng_stage {
    double duration; /* seconds, not negative */
    double target;   /* clients (closed model) or arrivals per second (open model) */
} throng_stage_t;

#define THRONG_MAX_STAGES 64

/* How an open model's arrivals are spaced. */
typedef enum {
    THRONG_ARRIVALS_UNIFORM, /* evenly, 1/rate apart */
    THRONG_ARRIVALS_POISSON  /* at random, exponential gaps of mean 1/rate */
} throng_arrivals_t;

/* One group of clients running one persona. Initialise with
 * throng_group_init(). Exactly one of persona, persona_path and
 * persona_source names the persona; all NULL means the built-in "table". */
typedef struct throng_group {
    const char *name;           /* label in the report; default: the persona's name */
    const char *persona;        /* a built-in persona's name ("table") */
    const char *persona_path;   /* a persona script file */
    const char *persona_source; /* a persona script's text */
    const char *server;         /* overrides throng_config_t.server when not NULL */
    const char *source;         /* local addresses the clients connect from: a comma list of
                                   IPv4 or IPv6 addresses ("::1" or "[::1]") and IPv4
                                   ranges ("127.0.0.2-127.0.0.40"), of the server's family,
                                   at most 65536 in all; client k takes address k mod n
                                   (ids run on across threads and processes), the kernel
                                   picks the port at connect time, so that one destination
                                   takes about 28,000 connections per source address. A
                                   bind that fails is a not-connected fault naming the
                                   address. NULL: the system chooses */
    unsigned clients;           /* default 10 */
    unsigned threads;           /* worker threads per process for this group (default 1) */
    unsigned processes;         /* worker processes sharing its clients (0: config.processes) */
    unsigned request_count;     /* exchanges per session (default 1) */
    double slow_down;           /* think time between exchanges, seconds (default 0.5) */
    const char *const *args;    /* persona arguments, each "key=value" (the table persona's
                                   big_table=N: largest table side asked for, default 100) */
    size_t nargs;
    double start_delay;            /* seconds after the run's start before its clients start */
    double duration;               /* seconds its clients run, from their start; 0 = the run's */
    const char *const *thresholds; /* conditions on this group's figures, as for
                                      throng_add_threshold() ("p99<50ms") */
    size_t nthresholds;

    /* The load model (docs/load-models.md). Closed, the default: a number
     * of clients (clients, or stages of clients), each waiting for its
     * answer and thinking before it asks again. Open (rate > 0, or stages
     * of rates): arrivals on a schedule whatever the server's pace, each
     * taken by a free client of a pool, or counted dropped when none is
     * free; latency then counts from each arrival's intended time. */
    double rate;                  /* open model: arrivals per second for the group; each starts
                                     a session, or the next request of a client whose session
                                     has more (request_count > 1); 0: closed model */
    throng_arrivals_t arrivals;   /* open model: how arrivals are spaced (default uniform) */
    unsigned max_clients;         /* open model: the pool's cap (clients is the pool it starts
                                     with); 0: the default, enough for the peak rate for the
                                     timeout, within the open-file limit */
    const throng_stage_t *stages; /* ramps: clients (closed) or rates (open, stages_rate) over
                                     time; the run lasts their sum unless a duration is set */
    size_t nstages;
    int stages_rate;          /* the stages' targets are arrivals per second: open model */
    double ramp_up;           /* closed model without stages: start the clients evenly over
                                 this many seconds (0: a short spread, clients / 2000 seconds
                                 at most 1 s, so that thousands never connect at once) */
    double expected_interval; /* closed model: the interval each client means to keep
                                 between requests; with it a `corrected` latency
                                 distribution is reported beside the measured one, with
                                 the requests a stalled client never sent filled in
                                 (HdrHistogram's recordValueWithExpectedInterval); 0: none */
} throng_group_t;

THRONG_API void throng_group_init(throng_group_t *group);

/* The largest seed (2^52 - 1): a JSON report holds it exactly. */
#define THRONG_MAX_SEED ((uint64_t)4503599627370495)

/* The limits throng_add_group() holds a group to (and throng_add_script()
 * each group of a plan): clients, threads and request_count from 1,
 * processes from 0 (0: config.processes); slow_down, start_delay and
 * duration are seconds, not negative; the load model's settings go
 * together as their comments say (a rate or stages of rates, not both;
 * max_clients and arrivals only with them; ramp_up only for a fixed
 * number of clients; expected_interval only in the closed model). */
#define THRONG_MAX_CLIENTS 1000000u
#define THRONG_MAX_THREADS 1024u
#define THRONG_MAX_PROCESSES 4096u
#define THRONG_MAX_REQUEST_COUNT 100000000u
#define THRONG_MAX_RATE 10000000.0 /* arrivals per second: rate and stages of rates */

/* Reads a duration as a person writes it: a number and a unit (ns, us, ms,
 * s, m, h, d), several added up ("1h30m"), or a bare number of seconds
 * ("1.5"). Numbers are decimal and not negative. The one parser behind
 * plans' durations, thresholds' times and the throng command's flags.
 * Returns 0, or THRONG_EINVAL leaving *seconds untouched. */
THRONG_API int throng_parse_duration(const char *text, double *seconds);

/* Reads a moment as config.start_at takes it: Unix seconds ("1767268800",
 * fractions allowed) or an RFC 3339 time with its zone
 * ("2026-01-01T12:00:00Z", "2026-01-01T13:00:00.5+01:00"; a time without a
 * zone is refused: machines in other zones would read it otherwise). The
 * one parser behind --start-at and plans' run.start_at. Returns 0, or
 * THRONG_EINVAL leaving *unix_seconds untouched. */
THRONG_API int throng_parse_time(const char *text, double *unix_seconds);

/* A URL as throng_parse_url() splits it. */
typedef struct throng_url {
    int tls;          /* 1 for https:// */
    int port;         /* as written, or the scheme's default (80; 443 for https) */
    char host[256];   /* without an IPv6 address's brackets */
    char origin[320]; /* "http://host:port" ("https://[v6]:port"): a server address for
                         throng_config_t.server or throng_group_t.server */
    const char *path; /* into the text given: the path and query as written, starting
                         with '/' or '?', without any "#fragment"; "" when none */
    size_t path_len;
} throng_url_t;

/* Reads stages as a person writes them: "30s:100,5m:100,30s:0" (clients)
 * or "30s:500/s,5m:500/s,30s:0/s" (arrivals per second), each a duration
 * as throng_parse_duration() reads it, a colon and a target. Fills up to
 * cap stages, sets *n and *rate (1 for rates). Returns 0, or THRONG_EINVAL
 * with a sentence in err (errlen bytes, may be NULL) naming the stage at
 * fault: a bad duration or target, rates mixed with clients, too many. */
THRONG_API int throng_parse_stages(const char *text, throng_stage_t *stages, size_t cap, size_t *n,
                                   int *rate, char *err, size_t errlen);

/* Reads a URL as a person writes it: http:// or https:// (no scheme:
 * http), a host name, an IPv4 address or an IPv6 one in brackets, an
 * optional port, path and query. The one parser behind server addresses
 * and the url persona's URLs. Returns 0, or THRONG_EADDR with a sentence
 * in err (errlen bytes, may be NULL) naming what is wrong: another scheme,
 * a user name, IPv6 without brackets, a bad port, a space or a control or
 * non-ASCII character in the host or path. */
THRONG_API int throng_parse_url(const char *text, throng_url_t *url, char *err, size_t errlen);

/* ------------------------------------------------------------------ engine */

typedef struct throng_engine throng_engine_t;

/* Creates an engine with a copy of config (NULL = defaults). Returns NULL
 * only when memory runs out. Settings are checked by throng_add_group() and
 * throng_start(), which explain any problem through throng_errmsg(). */
THRONG_API throng_engine_t *throng_engine_new(const throng_config_t *config);

/* Frees the engine. A running engine is stopped and waited for first.
 * Passing NULL is allowed. */
THRONG_API void throng_engine_free(throng_engine_t *engine);

/* What went wrong with the engine's last failing call, in a sentence that
 * names the setting, file or line at fault. Never NULL. */
THRONG_API const char *throng_errmsg(const throng_engine_t *engine);

/* Adds a group. Everything it points to is copied. Before throng_start().
 * A setting out of its limits (above), or a malformed threshold, adds
 * nothing: THRONG_EINVAL, and the message names the group and the key. */
THRONG_API int throng_add_group(throng_engine_t *engine, const throng_group_t *group);

/* A C function personas can call as throng.NAME(...): a lua_CFunction of
 * LuaJIT (include <lua.h>, from `pkg-config --cflags luajit`). It runs on
 * the worker threads, several at once, so it must be thread-safe; the data
 * given at registration is its first upvalue:
 *     void *data = lua_touserdata(L, lua_upvalueindex(1));
 * A Lua error it raises (luaL_error) becomes the calling client's
 * script-error fault, as any error in a persona. */
struct lua_State;
typedef int (*throng_lua_function)(struct lua_State *L);

/* Makes fn available to every persona of the engine as throng.<name>.
 * name is a Lua identifier that is not already in the module. Before
 * throng_start(). */
THRONG_API int throng_register_function(throng_engine_t *engine, const char *name,
                                        throng_lua_function fn, void *data);

/* Adds what the Lua script at path holds. A persona script (returning a
 * table with a request or session function) becomes one group running it;
 * a plan (returning a table of named groups) becomes all its groups:
 *
 *     return {
 *       watchdog = { persona = "scripts/watchdog.lua", clients = 1, slow_down = "30s" },
 *       typical  = { persona = "typical.lua", clients = 200, processes = 2,
 *                    request_count = 8, args = { small_table = 5 },
 *                    start_delay = "10s", duration = "5m",
 *                    thresholds = { "p99<50ms" } },
 *     }
 *
 * Keys: persona (a built-in name or a path, relative to the plan's folder),
 * clients, processes, threads, request_count, slow_down, server,
 * start_delay, duration (seconds or a duration as throng_parse_duration()
 * reads it: "30s", "1h30m"), thresholds, args, big_table, the table
 * persona's argument (big_table = 60 is args = { big_table = 60 }), and
 * the load model's: rate (arrivals per second), arrivals ("uniform" or
 * "poisson"), max_clients, stages ("30s:100,5m:100" or a list of such
 * strings, as throng_parse_stages() reads them), ramp_up and
 * expected_interval (durations), and source (local addresses, as
 * throng_group_t.source: "127.0.0.2-127.0.0.40"). What a
 * group leaves out comes from defaults (NULL: throng_group_init()'s); its
 * args come after the defaults' args, so a group's own win. A plan is
 * checked whole, with the limits of throng_add_group(), then added whole:
 * a bad key or value, a missing persona or a malformed threshold adds
 * nothing, and the message names the plan, the group and the key. Lines a
 * plan logs with throng.log go to config.log, as a persona's. A plan's
 * table named run, without a persona, is not a group but the run's spread
 * over machines: run = { shard = "0/3", id = "nightly", start_at =
 * "2026-01-01T12:00:00Z" } sets config.shard and shards, run_id and
 * start_at (throng_parse_time()) where the engine's config left them
 * unset. */
THRONG_API int throng_add_script(throng_engine_t *engine, const char *path,
                                 const throng_group_t *defaults);

/* Adds a threshold the run must meet: "p99<50ms", "p99.9<=200ms",
 * "errors<1%", "rate>1000", "requests>=500", "mean<10ms", optionally for one
 * request name: "table:p99<20ms". Latency limits take us, ms, s or m;
 * errors is the share of requests sent that ended in a failure (any fault
 * but busy and aborted); rate is requests answered per second. Its result is in the report; a
 * failed threshold makes throng_report()->thresholds_failed non-zero. Before throng_start();
 * THRONG_EINVAL with the reason for a malformed one. */
THRONG_API int throng_add_threshold(throng_engine_t *engine, const char *expression);

/* The groups added so far (a plan adds several): how many, and the i-th
 * as it will run, its name filled in (its label in the report) and every
 * default applied; the strings stay valid until the engine is freed.
 * throng_group_get returns 0, or THRONG_EINVAL for no such group. */
/* Checks the engine as throng_start() would, without starting anything:
 * the settings, the TLS files (--cacert, --cert, --key) read, the
 * thresholds' names, and each group's persona loaded and one instance's
 * init run. 0, or the code throng_start() would give, with
 * the reason in throng_errmsg(). */
THRONG_API int throng_check(throng_engine_t *engine);

THRONG_API unsigned throng_group_count(const throng_engine_t *engine);
THRONG_API int throng_group_get(const throng_engine_t *engine, unsigned i, throng_group_t *group);

/* Resolves addresses, loads every persona (a script error is reported here,
 * before any load starts) and starts the worker threads (and processes).
 * A mistake in the settings (THRONG_EINVAL, EADDR, ERESOLVE) can be mended
 * and throng_start() called again; otherwise an engine runs once: after a
 * run, or a start that failed later (a script error, ...), make a new one. */
THRONG_API int throng_start(throng_engine_t *engine);

/* Waits for a started run to end, calling the progress callback meanwhile.
 * Returns 0 when the run ended, whatever the faults. */
THRONG_API int throng_wait(throng_engine_t *engine);

/* throng_start() then throng_wait(). */
THRONG_API int throng_run(throng_engine_t *engine);

/* Asks a running engine to stop: in-flight exchanges end as faulted, of
 * kind aborted (not failures). Safe from any thread and from a signal handler.
 * Does nothing when the engine is not running. */
THRONG_API void throng_stop(throng_engine_t *engine);

/* Asks a running engine to end as if its duration were over: in-flight
 * exchanges are cancelled, not aborted, and the report's ending is
 * THRONG_END_FINISHED. A throng_stop() already asked for, or asked for
 * later while the run still goes on, wins. Safe from any thread and from a
 * signal handler. Does nothing when the engine is not running. */
THRONG_API void throng_finish(throng_engine_t *engine);

/* ------------------------------------------------------------------ report */

/* A latency distribution, in seconds (count 0: none). */
typedef struct throng_latency {
    uint64_t count;
    double min, mean, max;
    double p50, p90, p99, p999;
} throng_latency_t;

#define THRONG_SAMPLE_LEN 200

/* The final report of a run, read-only. */
typedef struct throng_report {
    throng_ending_t ending;
    double elapsed; /* seconds from start to end */
    /* Every request sent has one outcome (docs/architecture.md, the ledger):
     * sent = requests + faulted + cancelled + in_flight. */
    uint64_t sent;      /* requests begun (taken from the request limit) */
    uint64_t requests;  /* answered: a complete response arrived, whatever the verdict */
    uint64_t faulted;   /* ended by a fault before a complete response */
    uint64_t in_flight; /* still without an outcome (only a lost worker process or an
                           abandoned thread leaves any) */
    uint64_t sessions;  /* sessions completed */
    uint64_t connects;  /* connections opened */
    uint64_t bytes_sent, bytes_received;
    uint64_t faults[THRONG_FAULT_KINDS];
    char fault_sample[THRONG_FAULT_KINDS][THRONG_SAMPLE_LEN]; /* one message per kind seen */
    uint64_t failures;         /* faults of every kind but busy and aborted */
    uint64_t status[6];        /* responses by status class: [1] 1xx ... [5] 5xx, [0] other */
    uint64_t clients;          /* clients in the run (an open model's pool as it grew) */
    uint64_t clients_active;   /* still running at the end */
    uint64_t clients_faulted;  /* left after a fault */
    uint64_t clients_finished; /* done with their work before the end: their one session
                                  (once) or the request limit reached */
    uint64_t cancelled;        /* ended by throng before an answer: the run's duration or request
                                  limit, or its session ended on another exchange's fault */
    uint64_t processes;        /* worker processes started (0: the run used its caller's process) */
    uint64_t processes_lost;   /* worker processes that ended before the run did */
    char process_sample[THRONG_SAMPLE_LEN]; /* what happened to the first one lost */
    uint64_t threads_abandoned; /* worker threads left behind, stuck in a hook (hook_timeout) */
    char thread_sample[THRONG_SAMPLE_LEN]; /* what happened to the first one */
    uint64_t thresholds;                   /* thresholds checked */
    uint64_t thresholds_failed;            /* thresholds not met */
    /* latency: to the response complete, from the request's intended start
     * in the open model, else from its sending; timed-out requests are in it
     * at the time they waited (and counted in faults[THRONG_FAULT_TIMED_OUT]),
     * so its count is requests plus those timed out */
    throng_latency_t latency;
    throng_latency_t connect;   /* connect time */
    throng_latency_t tls;       /* TLS handshake time: connected to handshake done */
    uint64_t tls_handshakes;    /* TLS handshakes completed */
    uint64_t tls_resumed;       /* ... of which resumed a session */
    uint64_t arrivals;          /* open model: arrivals due, dropped ones included */
    uint64_t dropped;           /* ... of which found no free client (not faults) */
    throng_latency_t service;   /* request sent to response complete (timed-out
                                   ones: to their timeout); equal to latency in the
                                   closed model */
    throng_latency_t corrected; /* with an expected_interval: latency corrected for
                                   coordinated omission (count 0: none) */
} throng_report_t;

/* The report of the last run, or NULL before a run has ended. */
THRONG_API const throng_report_t *throng_report(const throng_engine_t *engine);

/* The last response of the run (with config.keep_last_reply): its status,
 * and its body (not NUL-terminated; valid until the engine is freed).
 * THRONG_ESTATE when there is none. */
THRONG_API int throng_report_last_reply(const throng_engine_t *engine, int *status,
                                        const char **body, size_t *len);

/* Latency in seconds at percentile p (0..100) of the last run. */
THRONG_API double throng_report_percentile(const throng_engine_t *engine, double p);

/* Flags for the text report. */
#define THRONG_TEXT_LATENCY 1u /* add the full latency percentile distribution */

/* The report as human-readable text (*out is the caller's: throng_free). */
THRONG_API int throng_report_text(const throng_engine_t *engine, unsigned flags, char **out);

/* The whole report as JSON (docs/report.md in the source tree: every count,
 * per group and per request name, with the histograms' buckets and the
 * per-second series, so reports can be merged later). *out: throng_free.
 * With config.live_reports it also works while the run goes on, from any
 * thread, giving the figures so far (ending "none"). */
THRONG_API int throng_report_json(const throng_engine_t *engine, char **out);

/* An MPI run's report of this rank's own part, once it has ended: on rank
 * 0 its own threads' figures (throng_report_json() gives the whole run's);
 * on another rank, and in any other run, the same as throng_report_json(). */
THRONG_API int throng_report_json_rank(const throng_engine_t *engine, char **out);

/* Merges JSON reports into one (*out: throng_free): of several machines
 * loading one service at once (sequential 0: elapsed is the longest, counts
 * and clients add up), or of one run's successive parts (sequential 1:
 * elapsed adds up and the series follow each other). Groups and request
 * names are matched by name; histograms merge exactly by their buckets.
 * On THRONG_EINVAL, err (errlen bytes, may be NULL) says which report is bad. */
THRONG_API int throng_report_merge(const char *const *reports, size_t n, int sequential, char **out,
                                   char *err, size_t errlen);

/* Merges the JSON reports of one run's shards (config.shard/shards) into
 * the report of the whole run (*out: throng_free), exactly: counts added,
 * histograms added bucket by bucket, series added second by second
 * aligned on the run's agreed start (run.start), thresholds evaluated again
 * on the merged figures. Refuses (THRONG_EINVAL, err naming what is wrong)
 * reports of different runs (their run ids differ), a report that is not
 * a shard's, two reports of one shard, and missing shards unless partial
 * is nonzero: then the merged report lists them (run.missing). err:
 * errlen bytes, may be NULL. */
THRONG_API int throng_report_merge_shards(const char *const *reports, size_t n, int partial,
                                          char **out, char *err, size_t errlen);

/* Measures a JSON report's thresholds again on its figures (a merged
 * report's: the thresholds of the whole run, not of one shard), after
 * adding the n expressions given (for the whole run, as for
 * throng_add_threshold(); NULL when n is 0), and gives the report with
 * their results (*out: throng_free) and how many failed (*failed, may be
 * NULL). THRONG_EINVAL, with err (errlen bytes, may be NULL) naming what
 * is wrong: a malformed report or expression. */
THRONG_API int throng_report_thresholds(const char *json, const char *const *expressions, size_t n,
                                        char **out, unsigned *failed, char *err, size_t errlen);

/* The JSON report of a run whose process ended before the run did (killed,
 * crashed: its report is the last one it published while running), marked
 * so: one process more counted lost, why its sample when it has none. The
 * exchanges still in flight in it, whose outcome nobody saw, are then
 * accounted for as lost with that process (docs/report.md, the ledger).
 * *out: throng_free. On THRONG_EINVAL, err (errlen bytes, may be NULL)
 * says what is wrong with the report. */
THRONG_API int throng_report_mark_lost(const char *json, const char *why, char **out, char *err,
                                       size_t errlen);

/* Walks the last run's latency histogram (throng_report()->latency), its
 * non-empty buckets in increasing order. Start with *index = 0; each call
 * returning 1 fills the bucket's bounds (seconds, lo and hi inclusive) and
 * count and moves *index past it; 0 means done (or no run has ended). */
THRONG_API int throng_report_latency_bucket(const throng_engine_t *engine, size_t *index,
                                            double *lo, double *hi, uint64_t *count);

/* The last run's per-second series, every group's together: for each second
 * i of the run (at most cap), t[i] its end in seconds from the start (1 for
 * the first) and requests[i] the requests answered in it. Returns how many
 * seconds the series holds (more than cap: call again with more room); 0
 * before a run has ended. t or requests may be NULL. */
THRONG_API size_t throng_report_seconds(const throng_engine_t *engine, double *t,
                                        uint64_t *requests, size_t cap);

typedef enum {
    THRONG_RENDER_TEXT,
    THRONG_RENDER_HTML,
    THRONG_RENDER_JUNIT,  /* the thresholds as JUnit XML test cases (docs/report.md) */
    THRONG_RENDER_SUMMARY /* a small JSON summary with a stable schema (docs/report.md) */
} throng_render_t;

/* Draws a JSON report (as throng_report_json() writes it) as text, as a
 * self-contained HTML page with charts, as JUnit XML or as the summary for
 * scripts. flags as for throng_report_text() (text only).
 * *out is the caller's (throng_free). On THRONG_EINVAL, err (errlen bytes,
 * may be NULL) says what is wrong with the document. */
THRONG_API int throng_render(const char *json, size_t len, throng_render_t format, unsigned flags,
                             char **out, char *err, size_t errlen);

/* --------------------------------------------------------------------- MPI */

/* 1 when this library was built with MPI (Open MPI; see config.mpi). */
THRONG_API int throng_mpi_available(void);

/* Initialises MPI once per process (MPI_Init_thread, MPI_THREAD_FUNNELED:
 * only the calling thread talks MPI, and it must be the one that runs
 * throng_start() and throng_wait() of an MPI run) and gives this
 * process's rank and the job's size. 0, or THRONG_ESTATE (built without
 * MPI) or THRONG_ESYS, with the reason in err (errlen bytes, may be NULL). */
THRONG_API int throng_mpi_init(unsigned *rank, unsigned *size, char *err, size_t errlen);

/* Ends the whole MPI job at once with status (MPI_Abort): for a rank
 * that cannot take part (its run could not start), so that the others do
 * not wait for it. Returns only without MPI. */
THRONG_API void throng_mpi_abort(int status);

/* Finalises MPI after the last run (nothing when it was not initialised). */
THRONG_API void throng_mpi_finalize(void);

/* --------------------------------------------------------------- dashboard */

/* A live dashboard of a run: an HTTP server on its own thread and uv loop
 * (docs/metrics.md), answering GET / (a self-contained page: no network
 * needed), GET /events (Server-Sent Events: the run's figures at each
 * whole second), GET /snapshot.json (the same figures, now), GET /metrics
 * (Prometheus text, or OpenMetrics when the Accept header asks for it),
 * and POST /stop, which calls throng_stop() when it carries the page's
 * token in an X-Throng-Token header (so no other site's page can stop the
 * run). Every other path is 404, another method 405. A viewer that does
 * not read its events fast enough is dropped (counted), never waited for:
 * the engine is never held up by a viewer. The figures come from
 * throng_report_json(), so the engine needs config.live_reports. */
typedef struct throng_dashboard throng_dashboard_t;

/* The address the throng command's --dashboard listens on by default. */
#define THRONG_DASHBOARD_LISTEN "127.0.0.1:5665"

/* Starts a dashboard for engine (made with config.live_reports; before or
 * after throng_start()) listening on `listen` ("host:port", port 0 picks a
 * free one; NULL: THRONG_DASHBOARD_LISTEN). Until the run starts it says
 * so; after it ends it serves the final figures until freed. 0 and *out,
 * or THRONG_EINVAL (no live reports), THRONG_EADDR, THRONG_ERESOLVE,
 * THRONG_ELISTEN or THRONG_ENOMEM, with the reason in err (errlen bytes,
 * may be NULL). Free the dashboard before the engine. */
THRONG_API int throng_dashboard_start(throng_engine_t *engine, const char *listen,
                                      throng_dashboard_t **out, char *err, size_t errlen);

/* A dashboard's figures from elsewhere than an engine (a home's groups, say):
 * called four times a second on the dashboard's thread (the first time in
 * throng_dashboard_start_with(), on its caller's), it sets *report to
 * a JSON report (as throng_report_json() or throng_report_merge() write it;
 * the dashboard frees it with throng_free(), so malloc'd) or leaves it NULL
 * when nothing changed since the last call, and sets *ended to 1 once the
 * figures are final. It returns 0, or nonzero when it has no figures now
 * (the dashboard keeps the last ones; *ended counts either way). */
typedef int (*throng_dashboard_source_fn)(void *data, char **report, int *ended);

/* What the page's stop button does for a dashboard with a source; called on
 * the dashboard's thread, so it should only ask (set a flag), not wait. */
typedef void (*throng_dashboard_stop_fn)(void *data);

/* Starts a dashboard as throng_dashboard_start() does, its figures from
 * source (with data). With stop NULL, POST /stop is 404 (the page's button
 * then stops nothing). The dashboard calls source and stop until freed. */
THRONG_API int throng_dashboard_start_with(throng_dashboard_source_fn source,
                                           throng_dashboard_stop_fn stop, void *data,
                                           const char *listen, throng_dashboard_t **out, char *err,
                                           size_t errlen);

/* The address listened on, "127.0.0.1:PORT" or "[::1]:PORT". */
THRONG_API const char *throng_dashboard_address(const throng_dashboard_t *d);

/* Counters of a dashboard. */
typedef struct throng_dashboard_stats {
    uint64_t requests;        /* HTTP requests answered, refusals included */
    uint64_t viewers;         /* event streams open now */
    uint64_t viewers_dropped; /* event streams closed because their reader was too slow */
    uint64_t events;          /* events sent (each second's, to each viewer) */
} throng_dashboard_stats_t;

THRONG_API void throng_dashboard_stats(const throng_dashboard_t *d,
                                       throng_dashboard_stats_t *stats);

/* Stops the server (closing every viewer's stream) and frees it. NULL is
 * allowed. */
THRONG_API void throng_dashboard_free(throng_dashboard_t *d);

/* ------------------------------------------------------------- wrk scripts */

/* wrk's scripts on the engine, as `throng wrk` runs them (docs/from-wrk.md):
 * each wrk thread is a group of the built-in "wrk" persona, which runs the
 * script's init, request, response and delay in the thread's Lua state; a
 * throng_wrk_t is the script's control state, where setup(thread) and
 * done(summary, latency, requests) run as in wrk's main thread, with
 * wrk.lookup and wrk.connect. In order:
 *
 *     throng_wrk_open(script, url, headers, args, nargs, &w, err, errlen);
 *     throng_wrk_setup(w, threads);            // setup(thread) for each
 *     for each thread i: throng_group_init(&g); g.clients = ...;
 *                        throng_wrk_add_group(w, engine, i, &g);
 *     throng_run(engine);
 *     throng_wrk_figures(w, engine, &f);       // wrk's report's figures
 *     throng_wrk_done(w, engine);              // done(...), when it has one
 *     throng_engine_free(engine);
 *     throng_wrk_close(w);
 *
 * done's thread:get reads the globals each thread's script held at its end:
 * the persona hands them, when its Lua state closes, to throng.wrk_keep, a
 * function throng_wrk_add_group() registers on the engine (so one
 * throng_wrk_t per engine, its groups in this process: processes 1), which
 * keeps them in w; no file is written. Close w after freeing the engine.
 * Apart from wrk_keep, a throng_wrk_t is used from one thread at a time. */
typedef struct throng_wrk throng_wrk_t;

/* Makes the control state of the wrk script at `script` (NULL: no script,
 * wrk's plain GET of the URL) for `url` (http:// or https://), with
 * `headers` (-H's "Name: value" lines separated by newlines; NULL: none)
 * and the script's nargs arguments (init's args[1..]): sets the global wrk
 * table and runs the script's main chunk. 0 and *out, or THRONG_EINVAL
 * (bad URL or header), THRONG_ESCRIPT (a missing or unreadable file, a
 * syntax or run-time error: err names its file:line) or THRONG_ENOMEM, with
 * the reason in err (errlen bytes, may be NULL). */
THRONG_API int throng_wrk_open(const char *script, const char *url, const char *headers,
                               const char *const *args, size_t nargs, throng_wrk_t **out, char *err,
                               size_t errlen);

/* Makes the run's `threads` thread objects (1..THRONG_MAX_THREADS), each
 * with thread.addr the URL's first address as wrk.lookup finds it, and
 * calls the script's setup(thread) on each, in order. Once. 0, or
 * THRONG_ERESOLVE (the URL's host), THRONG_ESCRIPT (an error in setup: the
 * message begins "setup: " and names file:line) or THRONG_ESTATE, with the reason in
 * throng_wrk_errmsg(). */
THRONG_API int throng_wrk_setup(throng_wrk_t *w, unsigned threads);

/* Thread i (from 0) after setup: *addr its thread.addr ("host:port", as
 * setup left it) and *sets what setup gave it with thread:set, as the text
 * of a Lua table ("{[\"key\"]=1}"; functions and the like are left out).
 * Either may be NULL. Valid until w is closed. 0, or THRONG_EINVAL (no such
 * thread) or THRONG_ESTATE (before throng_wrk_setup()). */
THRONG_API int throng_wrk_thread(const throng_wrk_t *w, unsigned i, const char **addr,
                                 const char **sets);

/* Adds thread i's group to engine: settings (NULL: throng_group_init()'s)
 * with its name ("thread-N"), persona ("wrk"), processes (1), server (thread.addr when
 * setup changed it, else NULL: the engine's) and args (the URL, the script,
 * the headers, the thread's number and set values, the script's arguments)
 * set by w; clients, threads, request_count and the rest are the
 * settings'. When the script has done, registers throng.wrk_keep on the
 * engine first. Before throng_start(). 0, or THRONG_ESTATE (before setup)
 * or throng_add_group()'s code, with the reason in throng_wrk_errmsg(). */
THRONG_API int throng_wrk_add_group(throng_wrk_t *w, throng_engine_t *engine, unsigned i,
                                    const throng_group_t *settings);

/* wrk's statistics of a distribution (its stats.c): count values, their
 * min, max, mean and sample standard deviation, and within, the share (%)
 * of them inside mean +/- stdev. */
typedef struct throng_wrk_stats {
    double count, min, max, mean, stdev, within;
} throng_wrk_stats_t;

/* What wrk's report and done's summary hold, from an ended run's report. */
typedef struct throng_wrk_figures {
    double elapsed;                         /* seconds */
    uint64_t requests;                      /* answered */
    uint64_t bytes;                         /* read */
    uint64_t connect, read, write, timeout; /* wrk's socket errors: not-connected and tls,
                                               abandoned and http-error, closed, timed-out */
    uint64_t status;                        /* responses neither 2xx nor 3xx */
    uint64_t script_errors;                 /* script-error faults */
    const char *script_sample;  /* the first one's message ("" when none); valid until the
                                   engine is freed */
    throng_wrk_stats_t latency; /* microseconds, of the histogram's buckets (each at its
                                   middle; min and max exact); timed-out waits included */
    throng_wrk_stats_t rate;    /* requests per second of one thread: each whole second
                                   of the run divided among the threads */
} throng_wrk_figures_t;

/* Fills f from engine's report (its run ended); keeps the latency buckets
 * for throng_wrk_percentile(). 0, or THRONG_ESTATE (no report, or before
 * setup) or THRONG_ENOMEM. */
THRONG_API int throng_wrk_figures(throng_wrk_t *w, const throng_engine_t *engine,
                                  throng_wrk_figures_t *f);

/* The latency in microseconds at percentile p (0..100) as wrk ranks it, of
 * the last throng_wrk_figures(); 0 before. */
THRONG_API double throng_wrk_percentile(const throng_wrk_t *w, double p);

/* 1 when the script defines done. */
THRONG_API int throng_wrk_has_done(const throng_wrk_t *w);

/* Calls done(summary, latency, requests) with engine's ended run, as wrk
 * does: summary { duration (us), requests, bytes, errors { connect, read,
 * write, status, timeout } }, latency in whole microseconds and requests
 * per second of a thread as statistics objects (min, max, mean, stdev,
 * percentile(p), [i] and (i) giving value and count); thread:get in done
 * reads the globals each thread's script held at its end. What done prints
 * goes to stdout. 0 (also when there is no done), or THRONG_ESCRIPT with
 * "done: " and the error (file:line) in throng_wrk_errmsg(), THRONG_ESTATE
 * or THRONG_ENOMEM. */
THRONG_API int throng_wrk_done(throng_wrk_t *w, const throng_engine_t *engine);

/* What w's last failing call said. Never NULL. */
THRONG_API const char *throng_wrk_errmsg(const throng_wrk_t *w);

/* Closes the control state and removes its folder. NULL is allowed. */
THRONG_API void throng_wrk_close(throng_wrk_t *w);

/* ---------------------------------------------------- demonstration server */

/* The demonstration table service: answers the layer-cake wire format
 * (POST /Xy with {"value":{"x":X,"y":Y}}, GET /Xy?x=X&y=Y), the crunch
 * operations POST /Multiply and POST /Divide, and GET /status. */
typedef struct throng_server throng_server_t;

/* A stall of the server: from `at` seconds after the start (or after the
 * first table or crunch request, with pause_from_first), for `length`
 * seconds, table and crunch requests are held, not answered (GET /status
 * and refusals still are). A request that arrives, or whose latency ends,
 * inside a pause is answered when the pause ends (at the end of the last
 * of pauses that touch or overlap); its connection stays open, and an
 * answer already being written finishes. As a stalled backend (a garbage
 * collection, a lock) looks to its clients. */
typedef struct throng_server_pause {
    double at;     /* seconds after the origin (the start, or the first request), 0..3600 */
    double length; /* seconds, above 0, at most 3600 */
} throng_server_pause_t;

#define THRONG_SERVER_PAUSES_MAX 64

typedef struct throng_server_config {
    const char *listen;   /* "host:port" (port 5050 when left out; port 0 picks a free one);
                             default "127.0.0.1:5050" */
    unsigned threads;     /* default 1 */
    double latency;       /* service time added to every answer, seconds */
    double busy;          /* share (0..1) of table and crunch requests answered Busy */
    double wrong_size;    /* share (0..1) answered wrongly: a table of the wrong size, a
                             crunch result off by one */
    double drop;          /* share (0..1) whose connection is closed without an answer */
    uint64_t seed;        /* 0 = random */
    const char *tls_cert; /* PEM certificate (chain): serve HTTPS instead of HTTP */
    const char *tls_key;  /* its private key (PEM); NULL: in the tls_cert file */
    const throng_server_pause_t *pauses; /* npauses stalls, in any order (copied at the
                                            start); NULL when npauses is 0 */
    size_t npauses;                      /* at most THRONG_SERVER_PAUSES_MAX */
    int pause_from_first;                /* 1: pauses count from the first table or crunch
                                            request, not from the start (for a client that
                                            takes a while to start) */
} throng_server_config_t;

/* Counters of a running server. */
typedef struct throng_server_stats {
    double uptime;        /* seconds */
    uint64_t requests;    /* requests answered, /status excluded */
    uint64_t tables;      /* table answers */
    uint64_t crunch;      /* Multiply and Divide answers, Output and Faulted */
    uint64_t busy;        /* Busy answers */
    uint64_t bad;         /* requests refused: 400, 404, 405, 413, 414, 415 or 431 */
    uint64_t dropped;     /* connections closed instead of answering (--drop) */
    uint64_t connections; /* connections accepted */
    uint64_t held;        /* requests held by a pause (counted when held; each is
                             counted in requests too once answered) */
} throng_server_stats_t;

/* Reads pauses as `throng serve --pause-at` takes them: "WHEN:FOR" pairs of
 * durations as throng_parse_duration() reads them, separated by commas
 * ("3s:2s,10s:500ms"). Fills up to cap pauses and sets *n. Returns 0, or
 * THRONG_EINVAL with a sentence in err (errlen bytes, may be NULL) naming
 * the pair at fault. */
THRONG_API int throng_parse_pauses(const char *text, throng_server_pause_t *pauses, size_t cap,
                                   size_t *n, char *err, size_t errlen);

THRONG_API void throng_server_config_init(throng_server_config_t *config);

/* Creates a stopped server (NULL only when memory runs out). */
THRONG_API throng_server_t *throng_server_new(void);

/* Binds, listens and starts the server's threads; returns at once. */
THRONG_API int throng_server_start(throng_server_t *server, const throng_server_config_t *config);

/* The port actually listened on (useful after asking for port 0). */
THRONG_API int throng_server_port(const throng_server_t *server);

/* The address actually listened on, as "127.0.0.1:PORT" or "[::1]:PORT";
 * NULL when the server is not listening. Valid until the server is freed. */
THRONG_API const char *throng_server_address(const throng_server_t *server);

THRONG_API void throng_server_stats(const throng_server_t *server, throng_server_stats_t *stats);

/* Asks the server to stop. Safe from any thread and from a signal handler. */
THRONG_API void throng_server_stop(throng_server_t *server);

/* Waits until a stopping server's threads have ended. */
THRONG_API int throng_server_wait(throng_server_t *server);

/* Stops, waits and frees. NULL is allowed. */
THRONG_API void throng_server_free(throng_server_t *server);

THRONG_API const char *throng_server_errmsg(const throng_server_t *server);

/* Makes a fresh self-signed certificate for 127.0.0.1 (an EC P-256 key,
 * valid for a day) and writes it with its key to a new owner-only file in
 * $TMPDIR (or /tmp), whose name goes to path: give it as a server's
 * tls_cert and a client's cacert, as `throng demo --tls` does. The caller
 * removes the file. 0, or -1 with the reason in err. */
THRONG_API int throng_server_self_signed(char *path, size_t len, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* THRONG_H */
