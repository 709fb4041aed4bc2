/* main.c - the throng command: picks the subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "run_engine.h"
#include "throng.h"

static void usage(FILE *out)
{
    fprintf(out,
            "throng %s - load generator with Lua personas\n"
            "\n"
            "usage: throng <command> [flags]\n"
            "\n"
            "commands:\n"
            "  run      load a server with clients running a persona (default: table)\n"
            "  serve    run the demonstration table service\n"
            "  wrk      wrk's command line, Lua scripts and report on throng's engine\n"
            "  demo     start the table service in-process and load it for 5 seconds\n"
            "  report   print, merge or convert JSON reports (text, JSON, HTML, JUnit)\n"
            "  create   make a home, where groups run for days in the background\n"
            "  add      add a group (a persona and its run flags) to the home\n"
            "  update   change a group's run flags\n"
            "  start    start the home's groups under a supervisor\n"
            "  status   show whether the home runs, and each group's figures\n"
            "  log      print a group's log\n"
            "  stop     stop the home's supervisor and groups\n"
            "  version  print the version\n"
            "  help     print this help; help COMMAND: that command's help\n"
            "\n"
            "'throng <command> --help' (or 'throng help <command>') describes a command.\n",
            throng_version());
}

static int command(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "serve") == 0) return cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "wrk") == 0) return cmd_wrk(argc - 2, argv + 2);
    if (strcmp(cmd, "demo") == 0) return cmd_demo(argc - 2, argv + 2);
    if (strcmp(cmd, "report") == 0) return cmd_report(argc - 2, argv + 2);
    static const char *const home_verbs[] = {"create", "add", "update", "start",
                                             "status", "log", "stop"};
    for (size_t i = 0; i < sizeof home_verbs / sizeof home_verbs[0]; i++)
        if (strcmp(cmd, home_verbs[i]) == 0) return cmd_home(cmd, argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 && argc > 2 &&
        (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
        printf("usage: throng version\n\nPrints throng's version.\n");
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("throng %s\n", throng_version());
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 && argc > 2) { /* throng help CMD: throng CMD --help */
        char *again[] = {argv[0], argv[2], "--help", NULL};
        return command(3, again);
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    fprintf(stderr, "throng: unknown command '%s' (see throng help)\n", cmd);
    return CLI_EXIT_USAGE;
}

/* Whatever the command printed reached stdout, or the status says it did
 * not; and what was queued for stderr gets there if it can. */
int main(int argc, char **argv)
{
    int status = command(argc, argv);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "throng %s", argc > 1 ? argv[1] : "");
    if (cli_check_stdout(cmd, "the output") != 0) status = cli_write_status(status);
    cli_stderr_finish("throng", 1.0);
    return status;
}
