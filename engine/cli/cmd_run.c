/* cmd_run.c - `throng run`: placeholder until the engine lands. */
#include "commands.h"
int cmd_run(int argc, char **argv)
{
    return CLI_EXIT_USAGE;
}
