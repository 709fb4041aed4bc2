/* buf.h - growable byte buffers and a per-thread pool of them.
 *
 * A client borrows a buffer from its thread's pool only while a request is
 * written or a response is arriving and gives it back once it has been
 * sent or handled, so idle connections hold no buffer and a steady run
 * allocates nothing per request. The pool also keeps blocks of a few fixed
 * sizes (a connection's working state during an exchange, its socket
 * handle, its connect request), lent the same way. */
#ifndef THRONG_BUF_H
#define THRONG_BUF_H

#include <stddef.h>

typedef struct throng__buf {
    char *data;
    size_t len, cap;
    struct throng__buf *next; /* free-list link while pooled */
} throng__buf_t;

/* Makes room for extra more bytes. 0, or -1 when memory runs out. */
int throng__buf_reserve(throng__buf_t *b, size_t extra);
int throng__buf_append(throng__buf_t *b, const void *data, size_t n);
/* Appends a NUL-terminated string. */
int throng__buf_puts(throng__buf_t *b, const char *s);
/* Appends the decimal digits of v. */
int throng__buf_putu(throng__buf_t *b, unsigned long long v);
/* Appends formatted text. 0, or -1 when memory runs out. */
int throng__buf_printf(throng__buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void throng__buf_free(throng__buf_t *b);

#define THRONG__BLOCK_SIZES 4 /* the block sizes a pool keeps */
/* The most free buffers, and free blocks of each size, a pool keeps: what
 * comes back beyond is freed, so that a burst (thousands of clients
 * connecting at once, each with its request waiting for a turn) does not
 * stay resident once it is over. */
#define THRONG__POOL_KEEP 256

typedef struct throng__bufpool {
    throng__buf_t *free;
    unsigned nfree;
    size_t keep_cap; /* buffers grown past this are shrunk when returned */
    struct {
        size_t size; /* 0: unused yet */
        void *free;  /* blocks of that size, linked through their first bytes */
        unsigned nfree;
    } blocks[THRONG__BLOCK_SIZES];
    size_t released; /* bytes freed beyond the pool's keep since the last trim */
} throng__bufpool_t;

void throng__bufpool_init(throng__bufpool_t *p);
/* An empty buffer, reused when one is free (NULL when memory runs out). */
throng__buf_t *throng__bufpool_get(throng__bufpool_t *p);
void throng__bufpool_put(throng__bufpool_t *p, throng__buf_t *b);
/* A block of size bytes (at least a pointer's), reused when one of that
 * size is free, else allocated; its contents are undefined. NULL when
 * memory runs out. A pool keeps at most THRONG__BLOCK_SIZES sizes; a
 * block of another size is allocated and freed without the pool. */
void *throng__bufpool_block(throng__bufpool_t *p, size_t size);
/* Gives a block of size bytes back (NULL: nothing). */
void throng__bufpool_block_put(throng__bufpool_t *p, void *block, size_t size);
/* Hands the memory freed beyond the pool's keep back to the system (the
 * C library keeps freed memory otherwise) once there is enough of it to
 * be worth a trim: a burst's buffers leave the process's resident memory.
 * Cheap when there is nothing to do; for a timer that ticks a few times
 * a second. */
void throng__bufpool_trim(throng__bufpool_t *p);
/* Frees every pooled buffer and block; those lent out are their holders'. */
void throng__bufpool_destroy(throng__bufpool_t *p);

#endif
