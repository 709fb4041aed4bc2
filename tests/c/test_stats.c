/* test_stats.c - what a worker counts: request names (found again, capped
 * into "(other)", cut when too long), the ledger's moves keeping
 * sent = requests + faulted + cancelled + in_flight, merging by name,
 * serialisation that round-trips and refuses truncated or corrupted input,
 * independent copies, and which fault kinds are failures. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stats/stats.h"
#include "util/rng.h"

#define NAME(s) (s), sizeof(s) - 1
#define MS 1000000ull

static throng__rng_t rng;

/* Stats hold three histograms: too big for the stack. */
static throng__stats_t *new_stats(void)
{
    throng__stats_t *s = malloc(sizeof *s);
    if (!s) abort();
    throng__stats_init(s);
    return s;
}

static void del_stats(throng__stats_t *s)
{
    throng__stats_free(s);
    free(s);
}

static const throng__name_stats_t *named(const throng__stats_t *s, const char *name)
{
    for (unsigned i = 0; i < s->nnames; i++)
        if (strcmp(s->names[i]->name, name) == 0) return s->names[i];
    return NULL;
}

static int hist_equal(const throng__hist_t *a, const throng__hist_t *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

static int name_equal(const throng__name_stats_t *a, const throng__name_stats_t *b)
{
    return memcmp(a, b, offsetof(throng__name_stats_t, latency)) == 0 &&
           hist_equal(&a->latency, &b->latency) && hist_equal(&a->ttfb, &b->ttfb);
}

/* Every figure a report reads, compared (the current second aside: it
 * travels in the series, not with the stats). */
static int stats_equal(const throng__stats_t *a, const throng__stats_t *b)
{
    if (memcmp(&a->n, &b->n, sizeof a->n) != 0) return 0;
    if (memcmp(a->sample, b->sample, sizeof a->sample) != 0) return 0;
    if (memcmp(a->codes, b->codes, sizeof a->codes) != 0) return 0;
    if (!hist_equal(&a->latency, &b->latency) || !hist_equal(&a->ttfb, &b->ttfb) ||
        !hist_equal(&a->connect, &b->connect) || !hist_equal(&a->service, &b->service) ||
        !hist_equal(&a->corrected, &b->corrected) ||
        a->expected_interval_ns != b->expected_interval_ns)
        return 0;
    if (a->nnames != b->nnames) return 0;
    for (unsigned i = 0; i < a->nnames; i++)
        if (!name_equal(a->names[i], b->names[i])) return 0;
    if (a->ntxns != b->ntxns || a->nchecks != b->nchecks) return 0;
    for (unsigned i = 0; i < a->ntxns; i++)
        if (strcmp(a->txns[i]->name, b->txns[i]->name) != 0 ||
            a->txns[i]->count != b->txns[i]->count ||
            a->txns[i]->failures != b->txns[i]->failures ||
            !hist_equal(&a->txns[i]->latency, &b->txns[i]->latency))
            return 0;
    return memcmp(a->checks, b->checks, a->nchecks * sizeof a->checks[0]) == 0;
}

/* A stats with a bit of everything: names, each outcome, faults with
 * samples, bytes, connects, and an exchange still in flight. */
static void fill(throng__stats_t *s, int nnames)
{
    static const char *names[] = {"home", "search", "checkout"};
    s->expected_interval_ns = 2 * MS;
    throng__stats_arrival(s, 0);
    throng__stats_arrival(s, 1);
    for (int i = 0; i < nnames; i++) {
        int n = throng__stats_name(s, names[i], strlen(names[i]));
        for (int k = 0; k < 5 + i; k++) {
            throng__stats_begin(s, n);
            throng__stats_answered(s, n, k % 2 ? 200 : 503, (uint64_t)(k + 1) * MS,
                                   (uint64_t)(k + 1) * MS, (uint64_t)(k + 1) * MS / 2);
            throng__stats_bytes(s, n, 100, 1000 + (uint64_t)k);
        }
        throng__stats_begin(s, n);
        throng__stats_waited(s, n, 5000 * MS, 5000 * MS);
        throng__stats_faulted(s, n, THRONG_FAULT_TIMED_OUT, "timed out after 5s");
        throng__stats_begin(s, n);
        throng__stats_cancelled(s, n);
        throng__stats_fault(s, n, THRONG_FAULT_INVALID, "body lacks \"ok\"");
    }
    throng__stats_begin(s, -1);
    throng__stats_answered(s, -1, 404, 7 * MS, 7 * MS, 3 * MS);
    throng__stats_begin(s, -1); /* still in flight */
    throng__stats_fault(s, -1, THRONG_FAULT_SCRIPT_ERROR, "persona.lua:3: boom");
    throng__stats_connected(s, 250000);
    throng__stats_connected(s, 1250000);
    s->n.sessions = 3;
    s->n.clients_active = 2;
    int t = throng__stats_txn(s, "checkout", 8);
    throng__stats_txn_done(s, t, 30 * MS, 0);
    throng__stats_txn_done(s, t, 90 * MS, 1);
    throng__stats_check(s, "logged in", 9, 1);
    throng__stats_check(s, "logged in", 9, 0);
    throng__stats_check(s, "cart", 4, 1);
}

/* ------------------------------------------------ transactions, checks */

static const throng__txn_stats_t *txn_named(const throng__stats_t *s, const char *name)
{
    for (unsigned i = 0; i < s->ntxns; i++)
        if (strcmp(s->txns[i]->name, name) == 0) return s->txns[i];
    return NULL;
}

static const throng__check_stats_t *check_named(const throng__stats_t *s, const char *name)
{
    for (unsigned i = 0; i < s->nchecks; i++)
        if (strcmp(s->checks[i].name, name) == 0) return &s->checks[i];
    return NULL;
}

/* Two threads' transactions and checks merge by name, a name only one
 * has is added, a copy is equal, and names past the limits are gathered as
 * "(other)" without losing a count. */
static void test_txns_checks(void)
{
    throng__stats_t *a = new_stats(), *b = new_stats(), *into = new_stats();
    fill(a, 1);
    fill(b, 1);
    int t = throng__stats_txn(b, "login", 5);
    throng__stats_txn_done(b, t, 5 * MS, 0);
    throng__stats_check(b, "token", 5, 0);
    CHECK_INT(throng__stats_merge(into, a), 0);
    CHECK_INT(throng__stats_merge(into, b), 0);
    const throng__txn_stats_t *co = txn_named(into, "checkout");
    CHECK(co && co->count == 4 && co->failures == 2);
    CHECK_INT(throng__hist_count(&co->latency), 4);
    CHECK(throng__hist_max(&co->latency) >= 89 * MS);
    CHECK(txn_named(into, "login") && txn_named(into, "login")->count == 1);
    const throng__check_stats_t *li = check_named(into, "logged in");
    CHECK(li && li->passes == 2 && li->fails == 2);
    CHECK(check_named(into, "token") && check_named(into, "token")->fails == 1);
    CHECK(a->n.sent == into->n.sent / 2); /* no ledger count moved by either */

    throng__stats_t *copy = new_stats();
    fill(copy, 3); /* its own names and transactions are replaced */
    CHECK_INT(throng__stats_copy(copy, into), 0);
    CHECK(stats_equal(copy, into));

    throng__stats_t *many = new_stats();
    char name[16];
    for (int i = 0; i < 100; i++) {
        int n = snprintf(name, sizeof name, "t%d", i);
        int k = throng__stats_txn(many, name, (size_t)n);
        CHECK(k >= 0 && k < THRONG__TXNS_MAX);
        throng__stats_txn_done(many, k, MS, 0);
        throng__stats_check(many, name, (size_t)n, i % 2);
    }
    CHECK_INT(many->ntxns, THRONG__TXNS_MAX);
    CHECK_STR(many->txns[THRONG__TXNS_MAX - 1]->name, "(other)");
    CHECK_INT(many->txns[THRONG__TXNS_MAX - 1]->count, 100 - (THRONG__TXNS_MAX - 1));
    CHECK_INT(many->nchecks, THRONG__CHECKS_MAX);
    const throng__check_stats_t *other = check_named(many, "(other)");
    CHECK(other && other->passes + other->fails == 100 - (THRONG__CHECKS_MAX - 1));
    del_stats(many);
    del_stats(copy);
    del_stats(a);
    del_stats(b);
    del_stats(into);
}

/* ------------------------------------------------------------ names */

static void test_names(void)
{
    throng__stats_t *s = new_stats();
    int home = throng__stats_name(s, NAME("home"));
    int search = throng__stats_name(s, NAME("search"));
    CHECK(home >= 0 && search >= 0 && home != search);
    CHECK_INT(throng__stats_name(s, NAME("home")), home);
    CHECK_INT(throng__stats_name(s, NAME("search")), search);
    /* A prefix or an extension of a name is another name. */
    int hom = throng__stats_name(s, NAME("hom"));
    int homes = throng__stats_name(s, NAME("homes"));
    CHECK(hom != home && homes != home && hom != homes);
    /* Only len bytes of the name are read: "homework" cut at 4 is "home". */
    CHECK_INT(throng__stats_name(s, "homework", 4), home);
    CHECK_STR(s->names[home]->name, "home");
    CHECK_STR(s->names[hom]->name, "hom");
    CHECK_INT(s->nnames, 4);
    del_stats(s);

    /* Past THRONG__NAMES_MAX - 1 names, every new one is "(other)". */
    s = new_stats();
    char buf[32];
    for (int i = 0; i < THRONG__NAMES_MAX - 1; i++) {
        int len = snprintf(buf, sizeof buf, "name-%d", i);
        CHECK_INT(throng__stats_name(s, buf, (size_t)len), i);
    }
    CHECK_INT(s->nnames, THRONG__NAMES_MAX - 1);
    int other = throng__stats_name(s, NAME("one-too-many"));
    CHECK_INT(other, THRONG__NAMES_MAX - 1);
    CHECK_STR(s->names[other]->name, "(other)");
    CHECK_INT(throng__stats_name(s, NAME("and-another")), other);
    CHECK_INT(throng__stats_name(s, NAME("one-too-many")), other);
    CHECK_INT(s->nnames, THRONG__NAMES_MAX);
    /* The names kept apart are still found. */
    CHECK_INT(throng__stats_name(s, NAME("name-0")), 0);
    CHECK_INT(throng__stats_name(s, NAME("name-126")), 126);
    CHECK_STR(s->names[126]->name, "name-126");
    /* What lands in "(other)" is counted there. */
    throng__stats_begin(s, other);
    throng__stats_answered(s, other, 200, MS, MS, MS);
    CHECK_INT(named(s, "(other)")->requests, 1);
    CHECK(throng__stats_balanced(s));
    del_stats(s);

    /* A name longer than THRONG__NAME_LEN - 1 is cut; read from a buffer
     * with no terminator, exactly as long as said, so an over-read shows
     * under ASan. */
    s = new_stats();
    size_t long_len = 300;
    char *longname = malloc(long_len);
    if (!longname) abort();
    memset(longname, 'x', long_len);
    int lx = throng__stats_name(s, longname, long_len);
    CHECK(lx >= 0);
    CHECK_INT(strlen(s->names[lx]->name), THRONG__NAME_LEN - 1);
    CHECK(memcmp(s->names[lx]->name, longname, THRONG__NAME_LEN - 1) == 0);
    /* The same name again, and one that differs only past the cut. */
    CHECK_INT(throng__stats_name(s, longname, long_len), lx);
    longname[long_len - 1] = 'y';
    CHECK_INT(throng__stats_name(s, longname, long_len), lx);
    /* Exactly THRONG__NAME_LEN - 1 bytes is kept whole: the same name. */
    CHECK_INT(throng__stats_name(s, longname, THRONG__NAME_LEN - 1), lx);
    /* One byte shorter is a different name. */
    int shorter = throng__stats_name(s, longname, THRONG__NAME_LEN - 2);
    CHECK(shorter != lx);
    CHECK_INT(strlen(s->names[shorter]->name), THRONG__NAME_LEN - 2);
    CHECK_INT(s->nnames, 2);
    free(longname);
    del_stats(s);
}

/* ----------------------------------------------------------- ledger */

static void test_ledger(void)
{
    throng__stats_t *s = new_stats();
    int a = throng__stats_name(s, NAME("a"));
    int b = throng__stats_name(s, NAME("b"));
    int balanced = 1;

    for (int i = 0; i < 5; i++) {
        throng__stats_begin(s, a);
        balanced &= throng__stats_balanced(s);
    }
    throng__stats_begin(s, b);
    throng__stats_begin(s, -1);
    throng__stats_begin(s, -1);
    balanced &= throng__stats_balanced(s);
    CHECK_INT(s->n.sent, 8);
    CHECK_INT(s->n.in_flight, 8);
    CHECK_INT(s->names[a]->sent, 5);
    CHECK_INT(s->names[a]->in_flight, 5);

    throng__stats_answered(s, a, 200, 10 * MS, 10 * MS, 4 * MS);
    balanced &= throng__stats_balanced(s);
    throng__stats_answered(s, a, 201, 20 * MS, 20 * MS, 5 * MS);
    balanced &= throng__stats_balanced(s);
    throng__stats_faulted(s, a, THRONG_FAULT_TIMED_OUT, "first timeout");
    balanced &= throng__stats_balanced(s);
    throng__stats_faulted(s, a, THRONG_FAULT_TIMED_OUT, "second timeout");
    balanced &= throng__stats_balanced(s);
    throng__stats_cancelled(s, a);
    balanced &= throng__stats_balanced(s);
    throng__stats_answered(s, b, 404, 30 * MS, 30 * MS, 6 * MS);
    balanced &= throng__stats_balanced(s);
    throng__stats_answered(s, -1, 700, 40 * MS, 40 * MS, 7 * MS); /* a status outside 100..599 */
    balanced &= throng__stats_balanced(s);
    throng__stats_faulted(s, -1, THRONG_FAULT_BUSY, "busy");
    balanced &= throng__stats_balanced(s);
    /* A fault outside an exchange moves no ledger count. */
    throng__stats_fault(s, a, THRONG_FAULT_INVALID, "bad body");
    throng__stats_fault(s, -1, THRONG_FAULT_SCRIPT_ERROR, NULL);
    balanced &= throng__stats_balanced(s);
    CHECK(balanced);

    CHECK_INT(s->n.sent, 8);
    CHECK_INT(s->n.requests, 4);
    CHECK_INT(s->n.faulted, 3);
    CHECK_INT(s->n.cancelled, 1);
    CHECK_INT(s->n.in_flight, 0);
    const throng__name_stats_t *na = s->names[a];
    CHECK_INT(na->sent, 5);
    CHECK_INT(na->requests, 2);
    CHECK_INT(na->faulted, 2);
    CHECK_INT(na->cancelled, 1);
    CHECK_INT(na->in_flight, 0);
    CHECK_INT(s->names[b]->requests, 1);

    /* Status classes and codes. */
    CHECK_INT(s->n.status[2], 2);
    CHECK_INT(s->n.status[4], 1);
    CHECK_INT(s->n.status[0], 1);
    CHECK_INT(s->codes[200], 1);
    CHECK_INT(s->codes[201], 1);
    CHECK_INT(s->codes[404], 1);
    CHECK_INT(s->codes[0], 1);
    CHECK_INT(na->codes[200], 1);
    CHECK_INT(na->codes[404], 0);

    /* Latencies: one per answer, for the group and the name. */
    CHECK_INT(throng__hist_count(&s->latency), 4);
    CHECK_INT(throng__hist_max(&s->latency), 40 * MS);
    CHECK_INT(throng__hist_min(&s->ttfb), 4 * MS);
    CHECK_INT(throng__hist_count(&na->latency), 2);
    CHECK_INT(throng__hist_max(&na->latency), 20 * MS);

    /* Faults by kind; the first message of each kind is kept. */
    CHECK_INT(s->n.faults[THRONG_FAULT_TIMED_OUT], 2);
    CHECK_INT(s->n.faults[THRONG_FAULT_BUSY], 1);
    CHECK_INT(s->n.faults[THRONG_FAULT_INVALID], 1);
    CHECK_INT(s->n.faults[THRONG_FAULT_SCRIPT_ERROR], 1);
    CHECK_INT(na->faults[THRONG_FAULT_TIMED_OUT], 2);
    CHECK_INT(na->faults[THRONG_FAULT_INVALID], 1);
    CHECK_STR(s->sample[THRONG_FAULT_TIMED_OUT], "first timeout");
    CHECK_STR(na->sample[THRONG_FAULT_TIMED_OUT], "first timeout");
    CHECK_STR(s->sample[THRONG_FAULT_SCRIPT_ERROR], "");
    /* A message longer than a sample is cut, terminated. */
    char longmsg[THRONG_SAMPLE_LEN * 2];
    memset(longmsg, 'm', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    throng__stats_fault(s, b, THRONG_FAULT_HTTP_ERROR, longmsg);
    CHECK_INT(strlen(s->sample[THRONG_FAULT_HTTP_ERROR]), THRONG_SAMPLE_LEN - 1);
    CHECK_INT(strlen(s->names[b]->sample[THRONG_FAULT_HTTP_ERROR]), THRONG_SAMPLE_LEN - 1);

    /* The current second: answers and failures, busy not being one. */
    CHECK_INT(s->second.requests, 4);
    CHECK_INT(s->second.max_ns, 40 * MS);
    CHECK_INT(s->second.failures, 5); /* 2 timeouts, invalid, script, http */

    /* Bytes and connections. */
    throng__stats_bytes(s, a, 10, 20);
    throng__stats_bytes(s, -1, 1, 2);
    CHECK_INT(s->n.bytes_sent, 11);
    CHECK_INT(s->n.bytes_received, 22);
    CHECK_INT(na->bytes_sent, 10);
    CHECK_INT(na->bytes_received, 20);
    throng__stats_connected(s, 123456);
    CHECK_INT(s->n.connects, 1);
    CHECK_INT(throng__hist_count(&s->connect), 1);
    CHECK_INT(throng__hist_max(&s->connect), 123456);

    /* Unbalanced figures are reported so: the counts' own ledger... */
    CHECK(throng__stats_balanced(s));
    s->n.requests++;
    CHECK(!throng__counts_balanced(&s->n));
    CHECK(!throng__stats_balanced(s));
    s->n.requests--;
    s->n.in_flight++;
    CHECK(!throng__stats_balanced(s));
    s->n.in_flight--;
    /* ... and a name's, even when the counts balance. */
    s->names[b]->cancelled++;
    CHECK(throng__counts_balanced(&s->n));
    CHECK(!throng__stats_balanced(s));
    s->names[b]->cancelled--;
    s->names[b]->sent++;
    CHECK(!throng__stats_balanced(s));
    s->names[b]->sent--;
    CHECK(throng__stats_balanced(s));
    del_stats(s);
}

/* ------------------------------------------------------------ merge */

static void test_merge(void)
{
    throng__stats_t *a = new_stats(), *b = new_stats(), *b_before = new_stats();
    /* a knows x, y; b knows y, z, x: names line up by name, not index. */
    int ax = throng__stats_name(a, NAME("x"));
    int ay = throng__stats_name(a, NAME("y"));
    int by = throng__stats_name(b, NAME("y"));
    int bz = throng__stats_name(b, NAME("z"));
    int bx = throng__stats_name(b, NAME("x"));

    for (int i = 0; i < 3; i++) {
        throng__stats_begin(a, ax);
        throng__stats_answered(a, ax, 200, 1 * MS, 1 * MS, MS / 2);
    }
    throng__stats_begin(a, ay);
    throng__stats_faulted(a, ay, THRONG_FAULT_TIMED_OUT, "a: timed out");
    throng__stats_begin(a, ay); /* in flight in a */
    throng__stats_connected(a, 1000);

    for (int i = 0; i < 5; i++) {
        throng__stats_begin(b, bx);
        throng__stats_answered(b, bx, 500, 9 * MS, 9 * MS, 2 * MS);
    }
    throng__stats_begin(b, by);
    throng__stats_faulted(b, by, THRONG_FAULT_TIMED_OUT, "b: timed out");
    throng__stats_begin(b, by);
    throng__stats_faulted(b, by, THRONG_FAULT_ABANDONED, "b: abandoned");
    throng__stats_begin(b, bz);
    throng__stats_cancelled(b, bz);
    throng__stats_begin(b, -1);
    throng__stats_answered(b, -1, 200, 100 * MS, 100 * MS, 50 * MS);
    throng__stats_connected(b, 9000);
    throng__stats_bytes(b, bx, 7, 70);
    CHECK_INT(throng__stats_copy(b_before, b), 0);

    CHECK_INT(throng__stats_merge(a, b), 0);
    CHECK(throng__stats_balanced(a));
    /* b is untouched. */
    CHECK(stats_equal(b, b_before));

    /* Counts add. */
    CHECK_INT(a->n.sent, 5 + 9);
    CHECK_INT(a->n.requests, 3 + 6);
    CHECK_INT(a->n.faulted, 1 + 2);
    CHECK_INT(a->n.cancelled, 1);
    CHECK_INT(a->n.in_flight, 1);
    CHECK_INT(a->n.connects, 2);
    CHECK_INT(a->n.bytes_received, 70);
    CHECK_INT(a->n.faults[THRONG_FAULT_TIMED_OUT], 2);
    CHECK_INT(a->n.faults[THRONG_FAULT_ABANDONED], 1);
    CHECK_INT(a->n.status[2], 4);
    CHECK_INT(a->n.status[5], 5);
    CHECK_INT(a->codes[200], 4);
    CHECK_INT(a->codes[500], 5);

    /* Histograms merge: counts, min and max over both. */
    CHECK_INT(throng__hist_count(&a->latency), 9);
    CHECK_INT(throng__hist_min(&a->latency), 1 * MS);
    CHECK_INT(throng__hist_max(&a->latency), 100 * MS);
    CHECK_INT(throng__hist_max(&a->ttfb), 50 * MS);
    CHECK_INT(throng__hist_count(&a->connect), 2);
    CHECK_INT(throng__hist_max(&a->connect), 9000);

    /* The first sample of each kind stays; missing ones come from b. */
    CHECK_STR(a->sample[THRONG_FAULT_TIMED_OUT], "a: timed out");
    CHECK_STR(a->sample[THRONG_FAULT_ABANDONED], "b: abandoned");

    /* Per name, by name. */
    CHECK_INT(a->nnames, 3);
    const throng__name_stats_t *x = named(a, "x"), *y = named(a, "y"), *z = named(a, "z");
    CHECK(x && y && z);
    if (x && y && z) {
        CHECK_INT(x->sent, 8);
        CHECK_INT(x->requests, 8);
        CHECK_INT(x->codes[200], 3);
        CHECK_INT(x->codes[500], 5);
        CHECK_INT(x->bytes_sent, 7);
        CHECK_INT(throng__hist_count(&x->latency), 8);
        CHECK_INT(throng__hist_min(&x->latency), 1 * MS);
        CHECK_INT(throng__hist_max(&x->latency), 9 * MS);
        CHECK_INT(throng__hist_max(&x->ttfb), 2 * MS);
        CHECK_INT(y->sent, 4);
        CHECK_INT(y->faulted, 3);
        CHECK_INT(y->in_flight, 1);
        CHECK_INT(y->requests, 0);
        CHECK_INT(y->faults[THRONG_FAULT_TIMED_OUT], 2);
        CHECK_INT(y->faults[THRONG_FAULT_ABANDONED], 1);
        CHECK_STR(y->sample[THRONG_FAULT_TIMED_OUT], "a: timed out");
        CHECK_STR(y->sample[THRONG_FAULT_ABANDONED], "b: abandoned");
        CHECK_INT(throng__hist_count(&y->latency), 0);
        CHECK_INT(z->sent, 1);
        CHECK_INT(z->cancelled, 1);
        CHECK_INT(z->requests, 0);
    }

    /* Merging into an empty stats gives the same figures back. */
    throng__stats_t *e = new_stats();
    CHECK_INT(throng__stats_merge(e, b), 0);
    CHECK(stats_equal(e, b));
    /* Merging an empty one changes nothing. */
    throng__stats_t *empty = new_stats();
    CHECK_INT(throng__stats_merge(e, empty), 0);
    CHECK(stats_equal(e, b));

    del_stats(a);
    del_stats(b);
    del_stats(b_before);
    del_stats(e);
    del_stats(empty);
}

/* A merge into a stats whose names are full: b's new names go to "(other)". */
static void test_merge_full(void)
{
    throng__stats_t *a = new_stats(), *b = new_stats();
    char buf[32];
    for (int i = 0; i < THRONG__NAMES_MAX + 3; i++) {
        int len = snprintf(buf, sizeof buf, "a-%d", i);
        throng__stats_name(a, buf, (size_t)len);
    }
    int bn = throng__stats_name(b, NAME("b-only"));
    int b0 = throng__stats_name(b, NAME("a-0"));
    throng__stats_begin(b, bn);
    throng__stats_answered(b, bn, 200, MS, MS, MS);
    throng__stats_begin(b, b0);
    throng__stats_answered(b, b0, 200, MS, MS, MS);
    CHECK_INT(throng__stats_merge(a, b), 0);
    CHECK_INT(a->nnames, THRONG__NAMES_MAX);
    CHECK(named(a, "b-only") == NULL);
    CHECK_INT(named(a, "(other)")->requests, 1);
    CHECK_INT(named(a, "a-0")->requests, 1);
    CHECK(throng__stats_balanced(a));
    del_stats(a);
    del_stats(b);
}

/* ---------------------------------------------------- serialisation */

/* Deserialises a copy of data exactly len bytes long, so that ASan sees a
 * read past its end. */
static int deserialize_exact(throng__stats_t *s, const char *data, size_t len)
{
    char *copy = malloc(len ? len : 1);
    if (!copy) abort();
    if (len) memcpy(copy, data, len);
    int rc = throng__stats_deserialize(s, copy, len);
    free(copy);
    return rc;
}

/* The offset of the name count in a serialised stats: after the counts,
 * samples, codes and three length-prefixed histograms. */
static size_t nnames_offset(const char *data)
{
    size_t off = sizeof(throng__counts_t) + sizeof(((throng__stats_t *)0)->sample) +
                 sizeof(((throng__stats_t *)0)->codes);
    for (int h = 0; h < 6; h++) { /* latency, service, corrected; ttfb, connect, tls */
        uint32_t len;
        memcpy(&len, data + off, sizeof len);
        off += sizeof len + len;
        if (h == 2) off += sizeof(uint64_t); /* the expected interval */
    }
    return off;
}

static void test_serialize(void)
{
    throng__stats_t *s = new_stats(), *back = new_stats();
    fill(s, 3);
    CHECK(throng__stats_balanced(s));
    throng__buf_t out = {0};
    CHECK_INT(throng__stats_serialize(s, &out), 0);
    CHECK(out.len > 0);
    CHECK_INT(deserialize_exact(back, out.data, out.len), 0);
    CHECK(stats_equal(s, back));
    CHECK(throng__stats_balanced(back));
    CHECK_INT(back->nnames, 3);
    CHECK_STR(back->names[1]->name, "search");
    CHECK_STR(back->sample[THRONG_FAULT_SCRIPT_ERROR], "persona.lua:3: boom");
    CHECK_INT(back->n.in_flight, 1);
    CHECK_INT(throng__hist_count(&back->connect), 2);
    CHECK_INT(back->ntxns, 1);
    CHECK_STR(back->txns[0]->name, "checkout");
    CHECK_INT(back->nchecks, 2);
    CHECK_STR(back->checks[1].name, "cart");

    /* Deserialising again into a stats that has names replaces them. */
    CHECK_INT(deserialize_exact(back, out.data, out.len), 0);
    CHECK(stats_equal(s, back));

    /* An empty stats round-trips too. */
    throng__stats_t *empty = new_stats();
    throng__buf_t eout = {0};
    CHECK_INT(throng__stats_serialize(empty, &eout), 0);
    CHECK_INT(deserialize_exact(back, eout.data, eout.len), 0);
    CHECK(stats_equal(empty, back));
    CHECK_INT(back->nnames, 0);

    /* Appending to a buffer that already holds something leaves it. */
    throng__buf_t two = {0};
    CHECK_INT(throng__buf_append(&two, "head", 4), 0);
    CHECK_INT(throng__stats_serialize(s, &two), 0);
    CHECK_INT(two.len, 4 + out.len);
    CHECK(memcmp(two.data, "head", 4) == 0 && memcmp(two.data + 4, out.data, out.len) == 0);
    throng__buf_free(&two);

    throng__buf_free(&eout);
    throng__buf_free(&out);
    del_stats(empty);
    del_stats(s);
    del_stats(back);
}

/* Truncations of a valid buffer are refused, without reading past it:
 * every length within 2 KiB of either end (the counts, the names, the
 * first and last histogram's edges), and every 509th between (inside the
 * histograms' bucket arrays, where one cut is like the next): every length
 * takes minutes under ThreadSanitizer, for nothing more. */
static void test_truncations(void)
{
    throng__stats_t *s = new_stats(), *back = new_stats();
    fill(s, 2);
    throng__buf_t out = {0};
    CHECK_INT(throng__stats_serialize(s, &out), 0);
    size_t accepted = 0;
    for (size_t len = 0; len < out.len; len++)
        if ((len < 2048 || len + 2048 > out.len || len % 509 == 0) &&
            deserialize_exact(back, out.data, len) != -1)
            accepted++;
    CHECK_INT(accepted, 0);
    /* One byte too many is refused as well. */
    char *longer = malloc(out.len + 1);
    if (!longer) abort();
    memcpy(longer, out.data, out.len);
    longer[out.len] = 0;
    CHECK_INT(deserialize_exact(back, longer, out.len + 1), -1);
    free(longer);
    /* And the whole buffer still works after all that. */
    CHECK_INT(deserialize_exact(back, out.data, out.len), 0);
    CHECK(stats_equal(s, back));
    throng__buf_free(&out);
    del_stats(s);
    del_stats(back);
}

static void test_corruption(void)
{
    throng__stats_t *s = new_stats(), *back = new_stats();
    fill(s, 2);
    throng__buf_t out = {0};
    CHECK_INT(throng__stats_serialize(s, &out), 0);
    char *bad = malloc(out.len);
    if (!bad) abort();
    size_t at_nnames = nnames_offset(out.data);
    size_t at_hist = sizeof(throng__counts_t) + sizeof s->sample + sizeof s->codes;
    uint32_t v;

    /* The name count is checked against the cap and against the data. */
    memcpy(&v, out.data + at_nnames, sizeof v);
    CHECK_INT(v, 2);
    memcpy(bad, out.data, out.len);
    v = THRONG__NAMES_MAX + 1;
    memcpy(bad + at_nnames, &v, sizeof v);
    CHECK_INT(deserialize_exact(back, bad, out.len), -1);
    v = 0xffffffffu;
    memcpy(bad + at_nnames, &v, sizeof v);
    CHECK_INT(deserialize_exact(back, bad, out.len), -1);
    v = 3; /* one more name than the data holds */
    memcpy(bad + at_nnames, &v, sizeof v);
    CHECK_INT(deserialize_exact(back, bad, out.len), -1);
    v = 1; /* one fewer: trailing bytes */
    memcpy(bad + at_nnames, &v, sizeof v);
    CHECK_INT(deserialize_exact(back, bad, out.len), -1);

    /* A histogram's length larger than what is left. */
    memcpy(bad, out.data, out.len);
    v = 0xfffffff0u;
    memcpy(bad + at_hist, &v, sizeof v);
    CHECK_INT(deserialize_exact(back, bad, out.len), -1);

    /* Samples and names with no terminator come back terminated. */
    memcpy(bad, out.data, out.len);
    memset(bad + sizeof(throng__counts_t), 'S', sizeof s->sample);
    memset(bad + at_nnames + 4, 'N', THRONG__NAME_LEN);
    CHECK_INT(deserialize_exact(back, bad, out.len), 0);
    CHECK_INT(strlen(back->sample[0]), THRONG_SAMPLE_LEN - 1);
    CHECK_INT(strlen(back->sample[THRONG_FAULT_KINDS - 1]), THRONG_SAMPLE_LEN - 1);
    CHECK(back->nnames == 2 && strlen(back->names[0]->name) == THRONG__NAME_LEN - 1);

    /* Random bytes changed anywhere: refused or accepted, never a crash,
     * and what is accepted can be freed and read. */
    unsigned refused = 0;
    for (int n = 0; n < 400; n++) {
        memcpy(bad, out.data, out.len);
        for (int k = 0; k < 1 + n % 4; k++) {
            size_t at = (size_t)throng__rng_range(&rng, 0, (int64_t)out.len - 1);
            bad[at] = (char)throng__rng_next(&rng);
        }
        int rc = deserialize_exact(back, bad, out.len);
        CHECK(rc == 0 || rc == -1);
        if (rc == -1)
            refused++;
        else
            CHECK(back->nnames <= THRONG__NAMES_MAX);
    }
    /* Most bytes are counts and codes, taken as they come; some land in
     * the histograms and lengths, which are checked. */
    CHECK(refused > 0);

    /* Garbage throughout. */
    for (int n = 0; n < 50; n++) {
        size_t len = (size_t)throng__rng_range(&rng, 0, (int64_t)out.len);
        for (size_t i = 0; i < len; i++)
            bad[i] = (char)throng__rng_next(&rng);
        CHECK_INT(deserialize_exact(back, bad, len), -1);
    }
    free(bad);
    throng__buf_free(&out);
    del_stats(s);
    del_stats(back);
}

/* ------------------------------------------------------------- copy */

static void test_copy(void)
{
    throng__stats_t *s = new_stats(), *c = new_stats();
    fill(s, 3);
    s->second.t = 7;
    s->second.requests = 11;
    CHECK_INT(throng__stats_copy(c, s), 0);
    CHECK(stats_equal(c, s));
    CHECK_INT(c->second.t, 7);
    CHECK_INT(c->second.requests, 11);
    /* The copy has its own name structs. */
    for (unsigned i = 0; i < c->nnames; i++)
        CHECK(c->names[i] != s->names[i]);

    /* Changing the original leaves the copy as it was, and back. */
    throng__stats_t *snap = new_stats();
    CHECK_INT(throng__stats_copy(snap, c), 0);
    throng__stats_begin(s, 0);
    throng__stats_answered(s, 0, 200, 3 * MS, 3 * MS, MS);
    throng__stats_name(s, NAME("new-name"));
    CHECK(stats_equal(c, snap));
    CHECK(!stats_equal(c, s));
    throng__stats_begin(c, 1);
    throng__stats_faulted(c, 1, THRONG_FAULT_CLOSED, "closed");
    CHECK_INT(s->names[1]->faults[THRONG_FAULT_CLOSED], 0);
    CHECK_STR(s->sample[THRONG_FAULT_CLOSED], "");

    /* Into a stats with more names (4 into one of 3, then 1 into 4) and
     * fewer: equal each time; the names dropped are freed (ASan's leak
     * check would say otherwise). */
    CHECK_INT(throng__stats_copy(c, s), 0);
    CHECK(stats_equal(c, s));
    CHECK_INT(c->nnames, 4);
    throng__stats_t *one = new_stats();
    fill(one, 1);
    CHECK_INT(throng__stats_copy(c, one), 0);
    CHECK(stats_equal(c, one));
    CHECK_INT(c->nnames, 1);
    throng__stats_t *empty = new_stats();
    CHECK_INT(throng__stats_copy(c, empty), 0);
    CHECK(stats_equal(c, empty));
    CHECK_INT(c->nnames, 0);

    del_stats(s);
    del_stats(c);
    del_stats(snap);
    del_stats(one);
    del_stats(empty);
}

/* --------------------------------------------------------- failures */

static void test_failures(void)
{
    throng__counts_t n;
    memset(&n, 0, sizeof n);
    uint64_t want = 0;
    for (int k = 0; k < THRONG_FAULT_KINDS; k++) {
        n.faults[k] = (uint64_t)1 << k;
        if (k != THRONG_FAULT_BUSY && k != THRONG_FAULT_ABORTED) want += (uint64_t)1 << k;
    }
    CHECK_INT(throng__counts_failures(&n), want);
    CHECK_INT(throng__faults_failures(n.faults), want);
    CHECK(!throng__fault_is_failure(THRONG_FAULT_BUSY));
    CHECK(!throng__fault_is_failure(THRONG_FAULT_ABORTED));
    CHECK(throng__fault_is_failure(THRONG_FAULT_TIMED_OUT));
    CHECK(throng__fault_is_failure(THRONG_FAULT_NOT_CONNECTED));

    /* Through the ledger: busy and aborted are faults, not failures. */
    throng__stats_t *s = new_stats();
    for (int k = 0; k < 3; k++) {
        throng__stats_begin(s, -1);
        throng__stats_faulted(s, -1, THRONG_FAULT_BUSY, "busy");
        throng__stats_begin(s, -1);
        throng__stats_faulted(s, -1, THRONG_FAULT_ABORTED, "stopped");
    }
    CHECK_INT(s->n.faulted, 6);
    CHECK_INT(throng__counts_failures(&s->n), 0);
    CHECK_INT(s->second.failures, 0);
    throng__stats_begin(s, -1);
    throng__stats_faulted(s, -1, THRONG_FAULT_ABANDONED, "reset");
    throng__stats_fault(s, -1, THRONG_FAULT_INVALID, "bad");
    CHECK_INT(throng__counts_failures(&s->n), 2);
    CHECK_INT(s->second.failures, 2);
    del_stats(s);
}

int main(void)
{
    throng__rng_seed(&rng, 20240612);
    test_names();
    test_ledger();
    test_merge();
    test_merge_full();
    test_serialize();
    test_truncations();
    test_corruption();
    test_copy();
    test_failures();
    test_txns_checks();
    return check_result("test_stats");
}
