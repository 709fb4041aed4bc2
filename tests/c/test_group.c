/* test_group.c - the one check of a group's settings (core/group.c), as
 * throng_add_group() and the plan reader both use it: each limit at its
 * edges, the message naming the group and the key, and a refused group
 * adding nothing. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/engine.h"
#include "core/group.h"
#include "throng.h"
#include "util/error.h"

static throng_group_t base(void)
{
    throng_group_t g;
    throng_group_init(&g);
    g.name = "shop";
    return g;
}

/* g passes the check. */
static void passes(const throng_group_t *g, const char *what)
{
    char err[THRONG__ERRMSG_LEN] = "";
    int rc = throng__group_check(g, err);
    if (rc != 0) {
        fprintf(stderr, "%s: refused: %s\n", what, err);
        CHECK(!"group accepted");
    }
}

/* g is refused with a message that has every one of the words. */
static void refused(const throng_group_t *g, const char *what, const char *w1, const char *w2)
{
    char err[THRONG__ERRMSG_LEN] = "";
    int rc = throng__group_check(g, err);
    if (rc != THRONG_EINVAL || !strstr(err, w1) || (w2 && !strstr(err, w2))) {
        fprintf(stderr, "%s: rc %d \"%s\", expected EINVAL naming '%s' and '%s'\n", what, rc, err,
                w1, w2 ? w2 : "");
        CHECK(!"group refused with a reason");
    }
}

/* Each count at its lowest, its highest, and one beyond either. */
static void test_count_limits(void)
{
    static const struct {
        const char *key;
        size_t offset;
        unsigned min, max;
    } counts[] = {
        {"clients", offsetof(throng_group_t, clients), 1, THRONG_MAX_CLIENTS},
        {"threads", offsetof(throng_group_t, threads), 1, THRONG_MAX_THREADS},
        {"processes", offsetof(throng_group_t, processes), 0, THRONG_MAX_PROCESSES},
        {"request_count", offsetof(throng_group_t, request_count), 1, THRONG_MAX_REQUEST_COUNT},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        const throng__group_limit_t *l = throng__group_limit(counts[i].key);
        CHECK(l != NULL);
        if (!l) continue;
        CHECK_INT(l->min, counts[i].min);
        CHECK_INT(l->max, counts[i].max);
        throng_group_t g = base();
        unsigned *field = (unsigned *)((char *)&g + counts[i].offset);
        *field = counts[i].min;
        passes(&g, counts[i].key);
        *field = counts[i].max;
        passes(&g, counts[i].key);
        *field = counts[i].max + 1;
        char want[96];
        snprintf(want, sizeof want, "%s must be a whole number from %u to %u, not %u",
                 counts[i].key, counts[i].min, counts[i].max, counts[i].max + 1);
        refused(&g, counts[i].key, "group 'shop': ", want);
        if (counts[i].min > 0) {
            *field = counts[i].min - 1;
            refused(&g, counts[i].key, "group 'shop': ", counts[i].key);
        }
    }
    CHECK(throng__group_limit("big_table") == NULL); /* the table persona's, not the engine's */
    CHECK(throng__group_limit("slow_down") == NULL);
}

static void test_seconds(void)
{
    const char *keys[] = {"slow_down", "start_delay", "duration"};
    for (int i = 0; i < 3; i++) {
        double bad[] = {-1, NAN, INFINITY};
        for (int j = 0; j < 3; j++) {
            throng_group_t g = base();
            double *field = i == 0 ? &g.slow_down : i == 1 ? &g.start_delay : &g.duration;
            *field = bad[j];
            refused(&g, keys[i], "group 'shop': ", keys[i]);
            *field = 0;
            passes(&g, keys[i]);
            *field = 5400;
            passes(&g, keys[i]);
        }
    }
}

static void test_persona_args_thresholds(void)
{
    throng_group_t g = base();
    g.persona = "table";
    g.persona_source = "return {}";
    refused(&g, "two personas", "group 'shop': ", "persona");

    g = base();
    const char *args[] = {"big_table=5", "oops"};
    g.args = args;
    g.nargs = 2;
    refused(&g, "args", "persona argument 'oops'", "key=value");
    g.nargs = 1;
    passes(&g, "args");
    const char *nulls[] = {NULL};
    g.args = nulls;
    refused(&g, "NULL arg", "args[0]", NULL);

    g = base();
    const char *thresholds[] = {"p99<50ms", "p99<soon"};
    g.thresholds = thresholds;
    g.nthresholds = 2;
    refused(&g, "thresholds", "group 'shop': thresholds: ", "p99<soon");
    g.nthresholds = 1;
    passes(&g, "thresholds");
}

/* Unnamed groups are named after their persona. */
static void test_label(void)
{
    throng_group_t g;
    throng_group_init(&g);
    CHECK_STR(throng__group_label(&g), "table");
    g.persona_path = "scripts/typical.lua";
    CHECK_STR(throng__group_label(&g), "scripts/typical.lua");
    g.clients = 0;
    refused(&g, "unnamed", "group 'scripts/typical.lua': clients", NULL);
}

/* throng_add_group() holds a group to the same check, and a refused
 * group leaves the engine as it was. */
static void test_add_group(void)
{
    throng_engine_t *e = throng_engine_new(NULL);
    CHECK(e != NULL);
    if (!e) return;
    throng_group_t g = base();
    g.processes = THRONG_MAX_PROCESSES + 1;
    CHECK_INT(throng_add_group(e, &g), THRONG_EINVAL);
    CHECK(strstr(throng_errmsg(e), "group 'shop': processes must be a whole number from 0 to "
                                   "4096, not 4097") != NULL);
    const char *thresholds[] = {"p99<1s", "nonsense"};
    g = base();
    g.thresholds = thresholds;
    g.nthresholds = 2;
    CHECK_INT(throng_add_group(e, &g), THRONG_EINVAL);
    CHECK_INT(e->ngroups, 0);
    CHECK_INT(e->nthresholds, 0);
    g.nthresholds = 1;
    g.processes = THRONG_MAX_PROCESSES;
    CHECK_INT(throng_add_group(e, &g), 0);
    CHECK_INT(e->ngroups, 1);
    CHECK_INT(e->nthresholds, 1);
    /* A plan that fails takes back what it added: groups and thresholds. */
    throng_group_t h = base();
    h.name = "later";
    h.thresholds = thresholds;
    h.nthresholds = 1;
    CHECK_INT(throng_add_group(e, &h), 0);
    CHECK_INT(e->ngroups, 2);
    throng__group_drop_after(e, 1, 1);
    CHECK_INT(e->ngroups, 1);
    CHECK_INT(e->nthresholds, 1);
    CHECK_STR(e->groups[0].cfg.name, "shop");
    throng_engine_free(e);
}

int main(void)
{
    test_count_limits();
    test_seconds();
    test_persona_args_thresholds();
    test_label();
    test_add_group();
    return check_result("test_group");
}
