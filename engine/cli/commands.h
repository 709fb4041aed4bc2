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
};

int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
