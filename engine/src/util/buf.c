/* buf.c - growable buffers and their pool. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "util/buf.h"

int throng__buf_reserve(throng__buf_t *b, size_t extra)
{
    if (b->cap - b->len >= extra) return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap - b->len < extra)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) return -1;
    b->data = d;
    b->cap = cap;
    return 0;
}

int throng__buf_append(throng__buf_t *b, const void *data, size_t n)
{
    if (n == 0) return 0; /* b->data may still be NULL: no pointer arithmetic on it */
    if (throng__buf_reserve(b, n) != 0) return -1;
    memcpy(b->data + b->len, data, n);
    b->len += n;
    return 0;
}

int throng__buf_puts(throng__buf_t *b, const char *s)
{
    return throng__buf_append(b, s, strlen(s));
}

int throng__buf_putu(throng__buf_t *b, unsigned long long v)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return throng__buf_append(b, tmp + i, sizeof tmp - (size_t)i);
}

int throng__buf_printf(throng__buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || throng__buf_reserve(b, (size_t)n + 1) != 0) return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void throng__buf_free(throng__buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void throng__bufpool_init(throng__bufpool_t *p)
{
    memset(p, 0, sizeof *p);
    p->keep_cap = 1 << 20;
}

throng__buf_t *throng__bufpool_get(throng__bufpool_t *p)
{
    throng__buf_t *b = p->free;
    if (b) {
        p->free = b->next;
        p->nfree--;
    } else {
        b = calloc(1, sizeof *b);
        if (!b) return NULL;
    }
    b->len = 0;
    b->next = NULL;
    return b;
}

void throng__bufpool_put(throng__bufpool_t *p, throng__buf_t *b)
{
    if (!b) return;
    /* An exceptionally large response should not stay pinned for the run. */
    if (b->cap > p->keep_cap) throng__buf_free(b);
    if (p->nfree >= THRONG__POOL_KEEP) {
        p->released += sizeof *b + b->cap;
        throng__buf_free(b);
        free(b);
        return;
    }
    b->len = 0;
    b->next = p->free;
    p->free = b;
    p->nfree++;
}

/* The pool's list for blocks of size: the one that has it, or an unused
 * one (taken for it); -1 when every list has another size. */
static int block_list(throng__bufpool_t *p, size_t size)
{
    for (int i = 0; i < THRONG__BLOCK_SIZES; i++) {
        if (p->blocks[i].size == 0) p->blocks[i].size = size;
        if (p->blocks[i].size == size) return i;
    }
    return -1;
}

void *throng__bufpool_block(throng__bufpool_t *p, size_t size)
{
    if (size < sizeof(void *)) size = sizeof(void *);
    int i = block_list(p, size);
    void *b = i >= 0 ? p->blocks[i].free : NULL;
    if (!b) return malloc(size);
    memcpy(&p->blocks[i].free, b, sizeof b); /* its first bytes hold the next one */
    p->blocks[i].nfree--;
    return b;
}

void throng__bufpool_block_put(throng__bufpool_t *p, void *block, size_t size)
{
    if (!block) return;
    if (size < sizeof(void *)) size = sizeof(void *);
    int i = block_list(p, size);
    if (i < 0 || p->blocks[i].nfree >= THRONG__POOL_KEEP) {
        p->released += size;
        free(block);
        return;
    }
    memcpy(block, &p->blocks[i].free, sizeof block);
    p->blocks[i].free = block;
    p->blocks[i].nfree++;
}

void throng__bufpool_trim(throng__bufpool_t *p)
{
    if (p->released < ((size_t)1 << 20)) return;
    p->released = 0;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

void throng__bufpool_destroy(throng__bufpool_t *p)
{
    for (int i = 0; i < THRONG__BLOCK_SIZES; i++) {
        while (p->blocks[i].free) {
            void *b = p->blocks[i].free;
            memcpy(&p->blocks[i].free, b, sizeof b);
            free(b);
        }
        p->blocks[i].nfree = 0;
    }
    p->nfree = 0;
    while (p->free) {
        throng__buf_t *b = p->free;
        p->free = b->next;
        throng__buf_free(b);
        free(b);
    }
}
