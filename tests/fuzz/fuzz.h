/* fuzz.h - what every fuzz target shares: libFuzzer's entry points, and a
 * reader that takes the target's own choices (piece sizes, flags) from the
 * input's first bytes. */
#ifndef THRONG_FUZZ_H
#define THRONG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An assertion kept in every build (release builds define NDEBUG): a
 * property the target checks, whose failure libFuzzer reports as a crash. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The entry point libFuzzer (or replay.c) calls once per input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Called once before the first input, when a target defines it. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a stream of choices: byte() takes one from the front, or 0
 * once nothing is left. */
typedef struct fuzz_input {
    const uint8_t *data;
    size_t size;
} fuzz_input_t;

static inline uint8_t fuzz_byte(fuzz_input_t *in)
{
    if (!in->size) return 0;
    in->size--;
    return *in->data++;
}

/* The input up to the first occurrence of sep (or all of it) as a new
 * NUL-terminated string the caller frees; the input moves past the
 * separator. NULL when the input is exhausted or memory runs out. */
static inline char *fuzz_take_until(fuzz_input_t *in, const char *sep)
{
    if (!in->size) return NULL;
    size_t n = 0, slen = strlen(sep), skip = 0;
    while (n < in->size && !(n + slen <= in->size && memcmp(in->data + n, sep, slen) == 0))
        n++;
    if (n < in->size) skip = slen;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, in->data, n);
        s[n] = '\0';
    }
    in->data += n + skip;
    in->size -= n + skip;
    return s;
}

/* The whole input as a NUL-terminated string (the caller frees it). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

#endif
