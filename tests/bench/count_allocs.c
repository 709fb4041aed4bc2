/* count_allocs.c - an LD_PRELOAD library that counts malloc, calloc and
 * realloc calls of a process and prints the counts to stderr at exit: all
 * of them, and those made by threads other than the main one. throng's
 * worker threads run the clients, while the main thread sets up and writes
 * the report (whose size grows with the histograms' buckets), so the second
 * count is what the hot path allocates. bench_allocs.sh uses it.
 *
 * Build: gcc -shared -fPIC -O2 tests/bench/count_allocs.c -o count_allocs.so */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static _Atomic unsigned long n_malloc, n_calloc, n_realloc, n_workers;
static pthread_t main_thread;

__attribute__((constructor)) static void note_main(void)
{
    main_thread = pthread_self();
}

/* Counts an allocation of a thread other than the main one. */
static void other_thread(void)
{
    if (!pthread_equal(pthread_self(), main_thread)) n_workers++;
}

/* glibc's own entry points, so the counters add no allocation of their own. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

void *malloc(size_t size)
{
    n_malloc++;
    other_thread();
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    n_calloc++;
    other_thread();
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    n_realloc++;
    other_thread();
    return __libc_realloc(p, size);
}

__attribute__((destructor)) static void report(void)
{
    char buf[160];
    int n =
        snprintf(buf, sizeof buf, "count_allocs: malloc %lu calloc %lu realloc %lu workers %lu\n",
                 (unsigned long)n_malloc, (unsigned long)n_calloc, (unsigned long)n_realloc,
                 (unsigned long)n_workers);
    if (n > 0) (void)!write(2, buf, (size_t)n);
}
