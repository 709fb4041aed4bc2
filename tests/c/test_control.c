/* test_control.c - the one control loop (core/control.c) over fake
 * sources whose behaviour each test sets: the duration ends the run and
 * stops every source once; a stop asked for wakes the loop at once; a
 * source's final statistics are merged once, a lost one's too, and the loss
 * is reported; a source that ignores a stop is killed after the grace;
 * sources that end on their own make the run's ending together; an uplink
 * (a worker process's parent) stops the run and hears every tick; and a
 * second handed over by two sources at different times becomes one point
 * made from both. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "check.h"
#include "core/control.h"

#define FAKE_GROUPS 2

/* A source whose life the test scripts. */
typedef struct fake {
    throng__source_t base;
    uint64_t started_ns;
    unsigned group;
    uint64_t requests;   /* its final (and latest) request count */
    double end_at;       /* ends on its own at this second of the run (0: never) */
    throng_ending_t own; /* ... for this reason */
    double lose_at;      /* is lost at this second (0: never) */
    int deaf;            /* ignores stops: only a kill ends it */
    double second_at;    /* hands over its second 1 at this second of the run */
    uint64_t second_n;   /* ... holding this many requests */
    uint64_t second_ns;  /* ... each this long */
    int second_given;
    /* What the loop did to it: */
    int stops, kills, finishes;
    throng_ending_t stopped_with;
} fake_t;

static double since(uint64_t started_ns)
{
    return (double)(uv_hrtime() - started_ns) * 1e-9;
}

static int fake_fd(throng__source_t *s)
{
    (void)s;
    return -1;
}

static void fake_pump(throng__source_t *s)
{
    fake_t *f = (fake_t *)s;
    double now = since(f->started_ns);
    if (f->kills || (f->lose_at > 0 && now >= f->lose_at)) {
        s->ended = s->lost = 1;
        snprintf(s->why, sizeof s->why, "fake source %u %s", f->group,
                 f->kills ? "killed" : "lost");
    } else if (f->stops && !f->deaf) {
        s->ended = 1;
    } else if (f->end_at > 0 && now >= f->end_at) {
        s->ended = 1;
        s->ending = f->own;
    }
}

static void fake_counts(throng__source_t *s, throng__counts_t *sum)
{
    sum->requests += ((fake_t *)s)->requests;
}

static void fake_latest(throng__source_t *s, throng__stats_t *groups)
{
    fake_t *f = (fake_t *)s;
    groups[f->group].n.requests += f->requests;
}

static void fake_seconds(throng__source_t *s, throng__series_t *series)
{
    fake_t *f = (fake_t *)s;
    if (!f->second_n || f->second_given || since(f->started_ns) < f->second_at) return;
    throng__second_t second;
    throng__second_reset(&second, 1);
    for (uint64_t i = 0; i < f->second_n; i++)
        throng__second_record(&second, f->second_ns);
    throng__series_add(series, &second);
    f->second_given = 1;
}

static void fake_stop(throng__source_t *s, throng_ending_t reason)
{
    fake_t *f = (fake_t *)s;
    f->stops++;
    f->stopped_with = reason;
}

static void fake_kill(throng__source_t *s)
{
    ((fake_t *)s)->kills++;
}

static int fake_finish(throng__source_t *s, throng__stats_t *const *gstats, char *err)
{
    fake_t *f = (fake_t *)s;
    (void)err;
    f->finishes++;
    gstats[f->group]->n.requests += f->requests;
    return 0;
}

static const throng__source_ops_t fake_ops = {fake_fd,     fake_pump,    fake_counts,
                                              fake_latest, fake_seconds, fake_stop,
                                              fake_kill,   fake_finish,  NULL};

/* A run of fakes: the loop, its groups' stats and its series. */
typedef struct run {
    throng__control_t c;
    throng__stats_t stats[FAKE_GROUPS];
    throng__stats_t *gstats[FAKE_GROUPS];
    throng__series_t series;
    fake_t fakes[4];
    throng__source_t *sources[4];
} run_t;

static void run_init(run_t *r, unsigned nfakes)
{
    memset(r, 0, sizeof *r);
    throng__control_init(&r->c);
    uint64_t now = uv_hrtime();
    for (unsigned g = 0; g < FAKE_GROUPS; g++) {
        throng__stats_init(&r->stats[g]);
        r->gstats[g] = &r->stats[g];
    }
    throng__series_init(&r->series);
    for (unsigned i = 0; i < nfakes; i++) {
        fake_t *f = &r->fakes[i];
        f->base.ops = &fake_ops;
        f->base.ending = THRONG_END_NONE;
        f->started_ns = now;
        f->group = i % FAKE_GROUPS;
        f->requests = 10 * (i + 1);
        r->sources[i] = &f->base;
    }
    r->c.sources = r->sources;
    r->c.nsources = nfakes;
    r->c.ngroups = FAKE_GROUPS;
    r->c.gstats = r->gstats;
    r->c.series = &r->series;
    r->c.started_ns = now;
    r->c.tick = 0.02;
}

static void run_free(run_t *r)
{
    for (unsigned g = 0; g < FAKE_GROUPS; g++)
        throng__stats_free(&r->stats[g]);
    throng__series_free(&r->series);
}

/* Runs the loop; returns the seconds of the run when it ended. */
static double run_loop(run_t *r)
{
    throng__control_run(&r->c);
    return since(r->c.started_ns);
}

/* Every fake finished exactly once, and each group holds its fakes' counts. */
static void check_merged_once(run_t *r)
{
    uint64_t want[FAKE_GROUPS] = {0};
    for (unsigned i = 0; i < r->c.nsources; i++) {
        CHECK_INT(r->fakes[i].finishes, 1);
        CHECK(r->fakes[i].base.finished);
        want[r->fakes[i].group] += r->fakes[i].requests;
    }
    for (unsigned g = 0; g < FAKE_GROUPS; g++)
        CHECK_INT(r->stats[g].n.requests, want[g]);
}

static void test_duration(void)
{
    run_t r;
    run_init(&r, 3);
    r.c.duration = 0.2;
    double took = run_loop(&r);
    CHECK_INT(r.c.ending, THRONG_END_DURATION);
    CHECK(took >= 0.2 && took < 0.9);
    for (unsigned i = 0; i < 3; i++) {
        CHECK_INT(r.fakes[i].stops, 1);
        CHECK_INT(r.fakes[i].stopped_with, THRONG_END_DURATION);
        CHECK_INT(r.fakes[i].kills, 0);
    }
    CHECK_INT(r.c.lost, 0);
    check_merged_once(&r);
    run_free(&r);
}

/* throng_stop() from another thread: an atomic, then a byte to the wake fd. */
typedef struct stopper {
    _Atomic int *flag;
    int fd;
} stopper_t;

static void *stop_soon(void *arg)
{
    stopper_t *s = arg;
    usleep(100 * 1000);
    atomic_store(s->flag, 1);
    ssize_t n = write(s->fd, "s", 1);
    (void)n;
    return NULL;
}

static void test_stop_wakes_the_loop(void)
{
    run_t r;
    run_init(&r, 2);
    r.c.tick = 5; /* no tick would wake it in time: the wake fd must */
    _Atomic int flag = 0;
    int wake[2];
    CHECK(pipe(wake) == 0);
    r.c.wake_fd = wake[0];
    r.c.stop_requested = &flag;
    stopper_t s = {&flag, wake[1]};
    pthread_t t;
    pthread_create(&t, NULL, stop_soon, &s);
    double took = run_loop(&r);
    pthread_join(t, NULL);
    CHECK_INT(r.c.ending, THRONG_END_STOPPED);
    CHECK(took >= 0.1 && took < 0.9); /* not the 5 s tick */
    for (unsigned i = 0; i < 2; i++) {
        CHECK_INT(r.fakes[i].stops, 1);
        CHECK_INT(r.fakes[i].stopped_with, THRONG_END_STOPPED);
    }
    check_merged_once(&r);
    close(wake[0]);
    close(wake[1]);
    run_free(&r);
}

/* Sources ending on their own at different times: nobody is stopped, and
 * their endings make the run's. */
static throng_ending_t own_run(throng_ending_t a, throng_ending_t b, int lose_b, unsigned *lost)
{
    run_t r;
    run_init(&r, 2);
    r.fakes[0].end_at = 0.05;
    r.fakes[0].own = a;
    if (lose_b)
        r.fakes[1].lose_at = 0.1;
    else
        r.fakes[1].end_at = 0.1;
    r.fakes[1].own = b;
    throng_ending_t ending = throng__control_run(&r.c);
    CHECK_INT(r.fakes[0].stops + r.fakes[1].stops, 0);
    check_merged_once(&r);
    *lost = r.c.lost;
    run_free(&r);
    return ending;
}

static void test_own_endings(void)
{
    unsigned lost;
    CHECK_INT(own_run(THRONG_END_CLIENTS, THRONG_END_CLIENTS, 0, &lost), THRONG_END_CLIENTS);
    CHECK_INT(lost, 0);
    CHECK_INT(own_run(THRONG_END_CLIENTS, THRONG_END_REQUESTS, 0, &lost), THRONG_END_REQUESTS);
    CHECK_INT(own_run(THRONG_END_ONCE, THRONG_END_CLIENTS, 0, &lost), THRONG_END_ONCE);
    CHECK_INT(own_run(THRONG_END_DURATION, THRONG_END_DURATION, 0, &lost), THRONG_END_DURATION);
    /* A lost source has no say in why the run ended. */
    CHECK_INT(own_run(THRONG_END_CLIENTS, THRONG_END_REQUESTS, 1, &lost), THRONG_END_CLIENTS);
    CHECK_INT(lost, 1);

    throng_ending_t mixed[] = {THRONG_END_CLIENTS, THRONG_END_ONCE, THRONG_END_DURATION};
    CHECK_INT(throng__control_own_ending(mixed, 3), THRONG_END_ONCE);
    CHECK_INT(throng__control_own_ending(mixed + 2, 1), THRONG_END_DURATION);
    CHECK_INT(throng__control_own_ending(mixed, 0), THRONG_END_REQUESTS);
}

static void test_lost(void)
{
    run_t r;
    run_init(&r, 3);
    r.fakes[1].lose_at = 0.05;
    r.c.duration = 0.3;
    throng__control_run(&r.c);
    CHECK_INT(r.c.ending, THRONG_END_DURATION);
    CHECK_INT(r.c.lost, 1);
    CHECK_STR(r.c.lost_sample, "fake source 1 lost");
    CHECK_INT(r.fakes[1].stops, 0); /* it was gone before the run ended */
    check_merged_once(&r);          /* its last figures are kept, once */
    run_free(&r);

    /* Every source lost: the run ends with them. */
    run_init(&r, 2);
    r.fakes[0].lose_at = 0.05;
    r.fakes[1].lose_at = 0.1;
    CHECK_INT(throng__control_run(&r.c), THRONG_END_PROCESSES);
    CHECK_INT(r.c.lost, 2);
    check_merged_once(&r);
    run_free(&r);
}

static void test_kill_after_grace(void)
{
    run_t r;
    run_init(&r, 2);
    r.fakes[1].deaf = 1;
    r.c.duration = 0.1;
    r.c.grace = 0.2;
    double took = run_loop(&r);
    CHECK_INT(r.c.ending, THRONG_END_DURATION);
    CHECK(took >= 0.3 && took < 1.0);
    CHECK_INT(r.fakes[0].kills, 0);
    CHECK(r.fakes[1].kills >= 1);
    CHECK_INT(r.c.lost, 1);
    CHECK_STR(r.c.lost_sample, "fake source 1 killed");
    check_merged_once(&r);
    run_free(&r);
}

/* A worker process's parent: asks for a stop after its third tick. */
typedef struct parent {
    throng__uplink_t base;
    int ticks;
    uint64_t latest; /* the requests the latest tick reported */
} parent_t;

static int parent_heard(throng__uplink_t *u, throng_ending_t *reason)
{
    if (((parent_t *)u)->ticks < 3) return 0;
    *reason = THRONG_END_REQUESTS;
    return 1;
}

static void parent_tick(throng__uplink_t *u, throng__control_t *c)
{
    parent_t *p = (parent_t *)u;
    throng__stats_t groups[FAKE_GROUPS];
    for (unsigned g = 0; g < FAKE_GROUPS; g++)
        throng__stats_init(&groups[g]);
    throng__control_latest(c, groups);
    p->latest = groups[0].n.requests + groups[1].n.requests;
    for (unsigned g = 0; g < FAKE_GROUPS; g++)
        throng__stats_free(&groups[g]);
    p->ticks++;
}

static void test_uplink(void)
{
    run_t r;
    run_init(&r, 2);
    parent_t p = {{-1, parent_heard, parent_tick}, 0, 0};
    r.c.uplink = &p.base;
    r.c.duration = 0; /* the parent keeps time */
    double took = run_loop(&r);
    CHECK_INT(r.c.ending, THRONG_END_REQUESTS);
    CHECK(took < 0.5);
    CHECK_INT(p.ticks, 3);
    CHECK_INT(p.latest, 10 + 20);
    CHECK_INT(r.fakes[0].stopped_with, THRONG_END_REQUESTS);
    CHECK_INT(r.fakes[1].stopped_with, THRONG_END_REQUESTS);
    check_merged_once(&r);
    run_free(&r);
}

/* Second 1 from a quick source at once and from a slow one (a worker
 * process) 1.7 s into the run: one point, its percentiles made from both. */
static void test_seconds_settled_once(void)
{
    run_t r;
    run_init(&r, 2);
    r.fakes[0].base.lag = 0.5;
    r.fakes[0].second_n = 3;
    r.fakes[0].second_ns = 1000000; /* 1 ms */
    r.fakes[1].base.lag = 1.0;
    r.fakes[1].second_at = 1.7;
    r.fakes[1].second_n = 4;
    r.fakes[1].second_ns = 100000000; /* 100 ms */
    r.c.duration = 2.2;
    throng__control_run(&r.c);
    throng__control_settle(&r.c, UINT64_MAX);
    size_t ones = 0;
    for (size_t i = 0; i < r.series.npoints; i++) {
        if (r.series.points[i].t != 1) continue;
        ones++;
        CHECK_INT(r.series.points[i].requests, 7);
        CHECK(r.series.points[i].p50 > 0.09 && r.series.points[i].p50 < 0.11);
        CHECK(r.series.points[i].max > 0.09);
    }
    CHECK_INT(ones, 1);
    CHECK_INT(r.series.npending, 0);
    run_free(&r);
}

static unsigned progress_calls;
static uint64_t progress_requests;

static void on_progress(const throng_progress_t *p, void *data)
{
    (void)data;
    progress_calls++;
    progress_requests = p->requests;
}

/* The progress line sums every running source's latest counts. */
static void test_progress(void)
{
    run_t r;
    run_init(&r, 3);
    r.c.duration = 0.35;
    r.c.progress = on_progress;
    r.c.progress_interval = 0.1;
    throng__control_run(&r.c);
    CHECK(progress_calls >= 2 && progress_calls <= 4);
    CHECK_INT(progress_requests, 10 + 20 + 30);
    run_free(&r);
}

int main(void)
{
    test_duration();
    test_stop_wakes_the_loop();
    test_own_endings();
    test_lost();
    test_kill_after_grace();
    test_uplink();
    test_seconds_settled_once();
    test_progress();
    return check_result("test_control");
}
