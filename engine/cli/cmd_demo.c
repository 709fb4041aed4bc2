/* cmd_demo.c - `throng demo`: placeholder until the engine lands. */
#include "commands.h"
int cmd_demo(int argc, char **argv)
{
    return CLI_EXIT_USAGE;
}
