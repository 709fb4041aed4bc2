#include "check.h"

int check_failures;

int check_result(const char *test_name)
{
    if (check_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", test_name, check_failures);
        return 1;
    }
    printf("%s: ok\n", test_name);
    return 0;
}
