/* frame.h - the frames a run's remote part (a worker process, an MPI rank)
 * sends to the process whose control loop it is a source of: its groups'
 * whole statistics (cumulative, so that a lost frame or a lost sender costs
 * nothing already received), its finished seconds, what it abandoned, and
 * its final statistics with why its run ended.
 *
 * The sender appends frames to a buffer and sends the buffer as it likes
 * (a pipe, an MPI message); the receiver hands whatever bytes arrived to
 * throng__frames_take(), in any pieces, and keeps what they said in a
 * throng__frames_t, which then answers a control loop source's counts,
 * latest, seconds and finish. */
#ifndef THRONG_FRAME_H
#define THRONG_FRAME_H

#include <stdint.h>

#include "stats/series.h"
#include "stats/stats.h"
#include "throng.h"
#include "util/buf.h"

/* ---- sending */

/* Appends a statistics frame ('S' every tick, 'F' once at the end, with
 * why the sender's run ended) holding stats[i] as group first + i, for
 * i < n. 0, or -1 when memory runs out. */
int throng__frame_stats(throng__buf_t *b, char kind, throng_ending_t ending, unsigned first,
                        unsigned n, const throng__stats_t *const *stats);

/* Appends a frame of each group's pending seconds in series (a run's
 * series, fed through throng__series_add_group), then empties series. */
int throng__frame_seconds(throng__buf_t *b, throng__series_t *series);

/* Appends an 'E' (could not start) or 'A' (a thread abandoned) frame
 * with a message. */
int throng__frame_text(throng__buf_t *b, char kind, const char *text);

/* ---- receiving */

typedef struct throng__frames {
    unsigned ngroups;
    char who[64];             /* "worker process 12", "rank 2": how messages name it */
    throng__buf_t in;         /* bytes received and not yet parsed */
    throng__stats_t **last;   /* per group, the latest statistics received (NULL: none) */
    throng__series_t seconds; /* its finished seconds, received and not yet taken */
    int said_goodbye;         /* its final frame arrived */
    throng_ending_t ending;   /* ... and why its run ended */
    unsigned abandoned;       /* its worker threads left behind, stuck in a hook */
    char abandoned_sample[THRONG_SAMPLE_LEN]; /* what it said of the first */
    char error[THRONG_SAMPLE_LEN];            /* why it could not start ('E'), or "" */
    int malformed;                            /* a frame could not be read */
} throng__frames_t;

/* 0, or -1 when memory runs out. */
int throng__frames_init(throng__frames_t *f, unsigned ngroups);
void throng__frames_free(throng__frames_t *f);

/* Takes len bytes received; parses every complete frame. 0, or -1 when
 * memory runs out. */
int throng__frames_take(throng__frames_t *f, const void *data, size_t len);

/* The sender's clients are neither running nor faulted out any more (it
 * was lost). */
void throng__frames_lost(throng__frames_t *f);

/* A control loop source's answers (control.h) from what f received. */
void throng__frames_counts(const throng__frames_t *f, throng__counts_t *sum);
void throng__frames_latest(const throng__frames_t *f, throng__stats_t *groups);
void throng__frames_seconds(throng__frames_t *f, throng__series_t *series);
void throng__frames_finish(const throng__frames_t *f, throng__stats_t *const *gstats);

#endif
