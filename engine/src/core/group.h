/* group.h - a group's settings as the engine keeps them: checked when
 * added, strings owned by the engine. */
#ifndef THRONG_GROUP_H
#define THRONG_GROUP_H

#include "throng.h"

typedef struct throng__group throng__group_t;

/* A count a group holds and its limits (throng.h's THRONG_MAX_*). */
typedef struct throng__group_limit {
    const char *key; /* "clients", as a plan names it */
    unsigned min, max;
} throng__group_limit_t;

/* The limits of the count named key, or NULL when key is not a count. */
const throng__group_limit_t *throng__group_limit(const char *key);

/* The one check of a group's settings, for throng_add_group() and for each
 * group of a plan before any is added: counts within their limits, times
 * not negative, one persona source, args and thresholds well formed.
 * Returns 0, or THRONG_EINVAL with a message naming the group and the key
 * in err (THRONG__ERRMSG_LEN bytes). */
int throng__group_check(const throng_group_t *g, char *err);

/* The group's name for messages: its name, else its persona's. */
const char *throng__group_label(const throng_group_t *g);

/* The highest load the group asks for: its rate, or its stages' highest
 * target (clients or arrivals per second). */
double throng__group_peak(const throng_group_t *g);

/* Frees what the engine's copy of a group owns (not the struct itself). */
void throng__group_free(throng__group_t *g);

/* Removes the groups, and their thresholds, added after the engine had
 * ngroups groups and nthresholds thresholds: a plan added whole or not at all. */
void throng__group_drop_after(throng_engine_t *e, unsigned ngroups, unsigned nthresholds);

#endif
