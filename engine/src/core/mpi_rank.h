/* mpi_rank.h - a run spread over the ranks of an MPI job (config.mpi).
 *
 * Rank r of N runs shard r/N of the run. Every rank meets at a barrier,
 * rank 0 picks the run's seed and a start instant a moment ahead and
 * broadcasts them, and every rank starts its load at that instant. Rank 0
 * runs the one control loop over its own threads and every other rank,
 * each a source (control.h) whose frames (frame.h) arrive as MPI messages;
 * it alone keeps time and says when to stop. Every other rank runs its
 * loop over its threads with rank 0 as its uplink, as a worker process
 * does with its parent. A rank that goes silent is lost with its last
 * figures. Rank 0 also keeps its own threads' figures apart, for a
 * report of its own (throng_report_json_rank()).
 *
 * MPI is called only from the thread that runs throng_start() and
 * throng_wait() (MPI_THREAD_FUNNELED), never collectively after the
 * start: a dead rank cannot hang the others. Built without MPI (no
 * THRONG_HAVE_MPI), config.mpi is refused and the rest does nothing. */
#ifndef THRONG_MPI_RANK_H
#define THRONG_MPI_RANK_H

#include "core/engine.h"

/* Checks that an MPI run can be made: MPI built in and initialised, no
 * worker processes. 0, or THRONG_EINVAL / THRONG_ESTATE with the reason. */
int throng__mpi_check(throng_engine_t *e);

/* Meets the other ranks: agrees the seed (e->seed), the run's identity and the start instant
 * with rank 0 (config.start_at, which throng_start() then waits for). */
int throng__mpi_start(throng_engine_t *e);

/* Adds the other ranks to rank 0's sources (e->sources has room for
 * e->nsources + N - 1 of them) and sets up the control loop of a rank:
 * rank 0's keeps its own threads' figures apart; another rank's has rank
 * 0 as its uplink. Called after throng__engine_control_setup(). */
int throng__mpi_sources(throng_engine_t *e);

/* After the control loop: a rank other than 0 sends its final figures
 * to rank 0 (and waits, a bounded time, until they left). */
void throng__mpi_end(throng_engine_t *e, throng_ending_t ending);

/* The job's ranks (0 before throng__mpi_start() or without MPI). */
unsigned throng__mpi_size(const throng_engine_t *e);

/* 1 on rank 0 of an MPI run of several ranks: its reports are the whole
 * run's, described with every rank's settings (the groups as added). */
int throng__mpi_whole(const throng_engine_t *e);

/* Ranks (other than 0) lost, for the report. */
unsigned throng__mpi_lost(const throng_engine_t *e);

/* An MPI run's rank's own part: its statistics per group and its own
 * series (rank 0: its threads', kept apart from the whole; another rank:
 * its run's, and the seconds it sent). 1, or 0 when not an MPI run. */
int throng__mpi_own(const throng_engine_t *e, throng__stats_t *const **gstats,
                    throng__series_t **series);

void throng__mpi_free(throng_engine_t *e);

#endif
