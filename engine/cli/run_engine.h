/* run_engine.h - what `throng run` and `throng demo` share: running a
 * configured engine under SIGINT/SIGTERM, showing progress, printing and
 * writing the reports, and turning the outcome into an exit status. */
#ifndef THRONG_CLI_RUN_ENGINE_H
#define THRONG_CLI_RUN_ENGINE_H

#include "throng.h"

typedef struct cli_output {
    int quiet;               /* no progress at all */
    double interval;         /* when stderr is not a terminal: a plain line this often (0: none) */
    unsigned text_flags;     /* THRONG_TEXT_LATENCY */
    const char *json_file;   /* --json */
    const char *html_file;   /* --html */
    const char *status_file; /* --status: live figures, every second */
    const char *snapshot_file; /* --snapshot: the JSON report so far */
    double snapshot_every;     /* seconds between snapshots (default 30) */
    const char *junit_file;    /* --junit: the thresholds as JUnit XML */
    const char *summary_file;  /* --summary-json: the short summary for scripts */
    const char *dashboard;     /* --dashboard: the live dashboard's address */
    double dashboard_linger;   /* seconds it serves the final figures after the run */
    int mpi;                   /* --mpi: one rank of an MPI job */
    unsigned rank, ranks;      /* ... this one and their number */
    const char *json_per_rank; /* --json-per-rank: each rank's own part, PREFIX<rank>.json */
    /* set up by cli_output_setup and cli_run_engine */
    int tty;
    double duration;
    double last_line, last_snapshot; /* elapsed when written */
    long long started;               /* wall clock, for --status */
    throng_engine_t *engine;
    const char *cmd;                /* prefixes error lines */
    int write_failed;               /* a report or live file could not be written */
    int status_said, snapshot_said; /* their failure was said once */
} cli_output_t;

/* Sets config's progress callback as out asks: redrawn each second on a
 * terminal, a plain line every interval seconds otherwise. */
void cli_output_setup(throng_config_t *config, cli_output_t *out);

/* Starts e, waits for it with SIGINT/SIGTERM wired to throng_stop(),
 * prints the report on stdout, writes --json, --html, --junit and
 * --summary-json, and returns the exit status (CLI_EXIT_WRITE when a
 * report could not be written). cmd prefixes error lines. */
int cli_run_engine(const char *cmd, throng_engine_t *e, cli_output_t *out);

/* Writes text to path whole (cli_replace_file); prints the error (naming
 * flag and path) otherwise and returns -1. */
int cli_write_file(const char *cmd, const char *flag, const char *path, const char *text);

/* Renders the JSON report json as format (THRONG_RENDER_*) and writes it
 * to path whole; prints the error (naming flag and path) otherwise and
 * returns -1. */
int cli_write_rendered(const char *cmd, const char *flag, const char *path, const char *json,
                       throng_render_t format);

/* Flushes stdout; -1 once a write to it failed (said once, naming what
 * was written there). */
int cli_check_stdout(const char *cmd, const char *what);

/* The exit status of a run whose report could not be written in full. */
int cli_write_status(int status);

#endif
