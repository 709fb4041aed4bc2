/* placeholder */
#include "commands.h"
int cmd_serve(int argc, char **argv)
{
    return CLI_EXIT_USAGE;
}
