/* count_allocs.c - an LD_PRELOAD library that counts malloc, calloc and
 * realloc calls of a process and prints the counts to stderr at exit.
 * bench_allocs.sh uses it to show how many heap allocations a request costs.
 *
 * Build: gcc -shared -fPIC -O2 tests/bench/count_allocs.c -o count_allocs.so */
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static _Atomic unsigned long n_malloc, n_calloc, n_realloc;

/* glibc's own entry points, so the counters add no allocation of their own. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

void *malloc(size_t size)
{
    n_malloc++;
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    n_calloc++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    n_realloc++;
    return __libc_realloc(p, size);
}

__attribute__((destructor)) static void report(void)
{
    char buf[160];
    int n = snprintf(buf, sizeof buf, "count_allocs: malloc %lu calloc %lu realloc %lu\n",
                     (unsigned long)n_malloc, (unsigned long)n_calloc, (unsigned long)n_realloc);
    if (n > 0) (void)!write(2, buf, (size_t)n);
}
