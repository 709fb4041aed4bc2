/* commands.h - the throng command's subcommands. Each takes the arguments
 * after its own name and returns the process exit status. */
#ifndef THRONG_CLI_COMMANDS_H
#define THRONG_CLI_COMMANDS_H

/* Exit statuses of the throng command (documented in README.md). */
enum {
    CLI_EXIT_OK = 0,         /* the run ended with no fault but Busy replies */
    CLI_EXIT_FAULTS = 1,     /* faults were seen (or every client faulted out) */
    CLI_EXIT_USAGE = 2,      /* bad flags, values, addresses or scripts: nothing ran */
    CLI_EXIT_ABORTED = 3,    /* stopped by SIGINT or SIGTERM */
    CLI_EXIT_PROCESSES = 4,  /* every worker process ended before the run did */
    CLI_EXIT_THRESHOLDS = 5, /* a threshold was not met */
    CLI_EXIT_WRITE = 6,      /* the run could not write its report (stdout or a file) */
};

int cmd_run(int argc, char **argv);

/* A `throng run` command line, checked and spelled canonically (the home
 * keeps its groups' settings so): the persona first when given, then each
 * flag as --name=value, then "--" and the persona arguments. */
#define CLI_RUN_TOKENS_MAX 256
typedef struct cli_run_canon {
    char *tokens[CLI_RUN_TOKENS_MAX];
    int ntokens;
} cli_run_canon_t;

/* Checks argv as `throng run` would (printing the same errors, each
 * prefixed with cmd, the command typed: "throng add") without running;
 * CLI_EXIT_OK with canon filled, or CLI_EXIT_USAGE. */
int cli_run_canonical(const char *cmd, int argc, char **argv, cli_run_canon_t *canon);
void cli_run_canon_free(cli_run_canon_t *canon);
int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_wrk(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_home(const char *verb, int argc, char **argv);

/* The JSON report of a home's group since it was first started (its earlier
 * processes' figures and the current one's). 0 with *json (free it), -1 when
 * there is no such group, 1 after printing why there are no figures. */
int cli_home_report(const char *home_dir, const char *name, char **json);

#endif
