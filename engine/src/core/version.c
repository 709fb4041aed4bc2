/* version.c - the linked library's version. */
#include "throng.h"

const char *throng_version(void)
{
    return THRONG_VERSION_STRING;
}
