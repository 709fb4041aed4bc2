/* group.h - a group's settings as the engine keeps them: checked when
 * added, strings owned by the engine. */
#ifndef THRONG_GROUP_H
#define THRONG_GROUP_H

#include "throng.h"

typedef struct throng__group throng__group_t;

/* Frees what the engine's copy of a group owns (not the struct itself). */
void throng__group_free(throng__group_t *g);

#endif
