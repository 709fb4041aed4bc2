/* shard.h - one run in N shards (config.shard/shards): the division of a
 * run's load into parts that add up exactly to the whole, the shards'
 * seeds, and the run's identity (docs/distributed.md). */
#ifndef THRONG_SHARD_H
#define THRONG_SHARD_H

#include <stdint.h>

#include "throng.h"

typedef struct throng_engine throng_engine_t;

/* [*from, from + result) of n items split in parts: part i's share, the
 * first (n % parts) one larger, so that nothing is lost to rounding and
 * the parts add up to n. The one division behind shards, worker processes
 * and worker threads. from may be NULL. */
uint64_t throng__share(uint64_t n, unsigned parts, unsigned i, uint64_t *from);

/* Group gi's part in shard `shard` of `shards` (shards > 1), from the
 * whole group: clients, closed stages' targets and max_clients by
 * throng__share() (the group's index rotates which shards take the larger
 * shares, so that small groups spread over the shards), rates and stages
 * of rates divided evenly. part is whole with those changed; its stages
 * are written to stages (room for whole->nstages). A part may have 0
 * clients: it then runs nothing. *from: the group's clients in the shards
 * before its part, for client ids unique across the run. */
void throng__shard_group(const throng_group_t *whole, unsigned gi, unsigned shard, unsigned shards,
                         throng_group_t *part, throng_stage_t *stages, uint64_t *from);

/* A shard's seed, derived from the run's seed (the run's own when not
 * sharded); never 0, at most THRONG_MAX_SEED. */
uint64_t throng__shard_seed(uint64_t run_seed, unsigned shard, unsigned shards);

/* 1 when id is a run identity as config.run_id takes it. */
int throng__run_id_ok(const char *id);

/* Divides the engine's groups (and request limit) for its shard, from the
 * whole as added: again at each throng_check() and throng_start(). 0, or
 * THRONG_EINVAL (a bad shard or run id) or THRONG_ENOMEM in e->errmsg. */
int throng__shard_divide(throng_engine_t *e);

/* Sets the run's seed, the shard's seed (e->seed) and the run's identity,
 * at the start of the run. */
void throng__shard_identity(throng_engine_t *e);

#endif
