/* stats.c - counting exchanges and faults, per group and per request name,
 * and merging or shipping what was counted. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

#define OTHER_NAME "(other)"

/* A name's stats, empty: calloc'ed, so that their histograms' pages
 * (hundreds of KB) are only touched where values land. */
static throng__name_stats_t *name_new(const char *name, size_t len)
{
    throng__name_stats_t *ns = calloc(1, sizeof *ns);
    if (!ns) return NULL;
    if (len >= THRONG__NAME_LEN) len = THRONG__NAME_LEN - 1;
    memcpy(ns->name, name, len);
    return ns;
}

void throng__stats_init(throng__stats_t *s)
{
    memset(s, 0, sizeof *s);
}

throng__stats_t *throng__stats_new(void)
{
    return calloc(1, sizeof(throng__stats_t));
}

void throng__stats_free(throng__stats_t *s)
{
    for (unsigned i = 0; i < s->nnames; i++)
        free(s->names[i]);
    s->nnames = 0;
    for (unsigned i = 0; i < s->ntxns; i++)
        free(s->txns[i]);
    s->ntxns = 0;
}

/* Names are few, and compared with memcmp: a linear search is enough, and
 * a client keeps the index it got for the length of an exchange. */
int throng__stats_name(throng__stats_t *s, const char *name, size_t len)
{
    if (len >= THRONG__NAME_LEN) len = THRONG__NAME_LEN - 1;
    for (unsigned i = 0; i < s->nnames; i++) {
        const char *n = s->names[i]->name;
        if (memcmp(n, name, len) == 0 && n[len] == '\0') return (int)i;
    }
    if (s->nnames == THRONG__NAMES_MAX - 1) {
        /* The last slot gathers every name past the limit. */
        name = OTHER_NAME;
        len = sizeof OTHER_NAME - 1;
        for (unsigned i = 0; i < s->nnames; i++)
            if (strcmp(s->names[i]->name, OTHER_NAME) == 0) return (int)i;
    }
    if (s->nnames == THRONG__NAMES_MAX) return (int)s->nnames - 1;
    throng__name_stats_t *ns = name_new(name, len);
    if (!ns) return -1;
    s->names[s->nnames] = ns;
    return (int)s->nnames++;
}

/* Where name (len bytes, cut to THRONG__NAME_LEN - 1) is among the n
 * structs whose first member is their name, or -1. */
static int find_name(const void *const *names, unsigned n, const char *name, size_t len)
{
    if (len >= THRONG__NAME_LEN) len = THRONG__NAME_LEN - 1;
    for (unsigned i = 0; i < n; i++) {
        const char *have = names[i];
        if (memcmp(have, name, len) == 0 && have[len] == '\0') return (int)i;
    }
    return -1;
}

int throng__stats_txn(throng__stats_t *s, const char *name, size_t len)
{
    int i = find_name((const void *const *)s->txns, s->ntxns, name, len);
    if (i >= 0) return i;
    if (s->ntxns >= THRONG__TXNS_MAX - 1) {
        /* The last slot gathers every name past the limit. */
        i = find_name((const void *const *)s->txns, s->ntxns, OTHER_NAME, sizeof OTHER_NAME - 1);
        if (i >= 0) return i;
        name = OTHER_NAME;
        len = sizeof OTHER_NAME - 1;
    }
    throng__txn_stats_t *t = calloc(1, sizeof *t);
    if (!t) return -1;
    if (len >= THRONG__NAME_LEN) len = THRONG__NAME_LEN - 1;
    memcpy(t->name, name, len);
    throng__hist_init(&t->latency);
    s->txns[s->ntxns] = t;
    return (int)s->ntxns++;
}

void throng__stats_txn_done(throng__stats_t *s, int txn, uint64_t wall_ns, int failed)
{
    throng__txn_stats_t *t = s->txns[txn];
    t->count++;
    if (failed) t->failures++;
    throng__hist_record(&t->latency, wall_ns);
}

/* The slot of a check name, made on first use; the last slot gathers the
 * names past the limit. */
static throng__check_stats_t *check_slot(throng__stats_t *s, const char *name, size_t len)
{
    if (len >= THRONG__NAME_LEN) len = THRONG__NAME_LEN - 1;
    for (unsigned i = 0; i < s->nchecks; i++) {
        const char *have = s->checks[i].name;
        if (memcmp(have, name, len) == 0 && have[len] == '\0') return &s->checks[i];
    }
    if (s->nchecks == THRONG__CHECKS_MAX - 1) {
        for (unsigned i = 0; i < s->nchecks; i++)
            if (strcmp(s->checks[i].name, OTHER_NAME) == 0) return &s->checks[i];
        name = OTHER_NAME;
        len = sizeof OTHER_NAME - 1;
    }
    if (s->nchecks == THRONG__CHECKS_MAX) return &s->checks[THRONG__CHECKS_MAX - 1];
    throng__check_stats_t *c = &s->checks[s->nchecks++];
    memset(c, 0, sizeof *c);
    memcpy(c->name, name, len);
    return c;
}

void throng__stats_check(throng__stats_t *s, const char *name, size_t len, int passed)
{
    throng__check_stats_t *c = check_slot(s, name, len);
    if (passed)
        c->passes++;
    else
        c->fails++;
}

static unsigned code_slot(int status)
{
    return (status >= 100 && status < THRONG__STATUS_CODES) ? (unsigned)status : 0;
}

void throng__stats_begin(throng__stats_t *s, int name)
{
    s->n.sent++;
    s->n.in_flight++;
    if (name < 0) return;
    s->names[name]->sent++;
    s->names[name]->in_flight++;
}

/* Takes an exchange out of flight; its outcome is the caller's to count. */
static void land(throng__stats_t *s, int name)
{
    assert(s->n.in_flight > 0);
    s->n.in_flight--;
    if (name < 0) return;
    assert(s->names[name]->in_flight > 0);
    s->names[name]->in_flight--;
}

void throng__stats_bytes(throng__stats_t *s, int name, uint64_t sent, uint64_t received)
{
    s->n.bytes_sent += sent;
    s->n.bytes_received += received;
    if (name < 0) return;
    s->names[name]->bytes_sent += sent;
    s->names[name]->bytes_received += received;
}

/* The group's latency histograms: measured, service and corrected. */
static void record_latency(throng__stats_t *s, uint64_t latency_ns, uint64_t service_ns)
{
    throng__hist_record(&s->latency, latency_ns);
    throng__hist_record(&s->service, service_ns);
    if (s->expected_interval_ns)
        throng__hist_record_corrected(&s->corrected, latency_ns, s->expected_interval_ns);
}

void throng__stats_answered(throng__stats_t *s, int name, int status, uint64_t latency_ns,
                            uint64_t service_ns, uint64_t ttfb_ns)
{
    land(s, name);
    s->n.requests++;
    s->n.status[(status >= 100 && status < 600) ? status / 100 : 0]++;
    s->codes[code_slot(status)]++;
    record_latency(s, latency_ns, service_ns);
    throng__hist_record(&s->ttfb, ttfb_ns);
    throng__second_record(&s->second, latency_ns);
    if (name < 0) return;
    throng__name_stats_t *ns = s->names[name];
    ns->requests++;
    ns->codes[code_slot(status)]++;
    throng__hist_record(&ns->latency, latency_ns);
    throng__hist_record(&ns->ttfb, ttfb_ns);
}

void throng__stats_waited(throng__stats_t *s, int name, uint64_t latency_ns, uint64_t service_ns)
{
    throng__hist_record(&s->latency, latency_ns);
    if (service_ns) throng__hist_record(&s->service, service_ns);
    if (s->expected_interval_ns)
        throng__hist_record_corrected(&s->corrected, latency_ns, s->expected_interval_ns);
    throng__second_record_timeout(&s->second, latency_ns);
    if (name >= 0) throng__hist_record(&s->names[name]->latency, latency_ns);
}

void throng__stats_arrival(throng__stats_t *s, int dropped)
{
    s->n.arrivals++;
    s->second.arrivals++;
    s->second.open = 1;
    if (dropped) {
        s->n.dropped++;
        s->second.dropped++;
    }
}

void throng__stats_fault(throng__stats_t *s, int name, throng_fault_t kind, const char *msg)
{
    s->n.faults[kind]++;
    if (throng__fault_is_failure(kind)) s->second.failures++;
    if (!s->sample[kind][0] && msg) snprintf(s->sample[kind], THRONG_SAMPLE_LEN, "%s", msg);
    if (name < 0) return;
    throng__name_stats_t *ns = s->names[name];
    ns->faults[kind]++;
    if (!ns->sample[kind][0] && msg) snprintf(ns->sample[kind], THRONG_SAMPLE_LEN, "%s", msg);
}

void throng__stats_faulted(throng__stats_t *s, int name, throng_fault_t kind, const char *msg)
{
    land(s, name);
    s->n.faulted++;
    if (name >= 0) s->names[name]->faulted++;
    throng__stats_fault(s, name, kind, msg);
}

void throng__stats_cancelled(throng__stats_t *s, int name)
{
    land(s, name);
    s->n.cancelled++;
    if (name >= 0) s->names[name]->cancelled++;
}

void throng__stats_unsolicited(throng__stats_t *s, uint64_t received)
{
    s->n.unsolicited++;
    throng__stats_bytes(s, -1, 0, received);
}

void throng__stats_connected(throng__stats_t *s, uint64_t connect_ns)
{
    s->n.connects++;
    throng__hist_record(&s->connect, connect_ns);
}

void throng__stats_tls(throng__stats_t *s, uint64_t handshake_ns, int resumed)
{
    s->n.tls_handshakes++;
    if (resumed) s->n.tls_resumed++;
    throng__hist_record(&s->tls, handshake_ns);
}

static int ledger_balanced(uint64_t sent, uint64_t requests, uint64_t faulted, uint64_t cancelled,
                           uint64_t in_flight)
{
    return sent == requests + faulted + cancelled + in_flight;
}

int throng__counts_balanced(const throng__counts_t *n)
{
    return ledger_balanced(n->sent, n->requests, n->faulted, n->cancelled, n->in_flight);
}

int throng__stats_balanced(const throng__stats_t *s)
{
    if (!throng__counts_balanced(&s->n)) return 0;
    for (unsigned i = 0; i < s->nnames; i++) {
        const throng__name_stats_t *ns = s->names[i];
        if (!ledger_balanced(ns->sent, ns->requests, ns->faulted, ns->cancelled, ns->in_flight))
            return 0;
    }
    return 1;
}

void throng__counts_add(throng__counts_t *into, const throng__counts_t *from)
{
    /* The struct is all uint64_t counters: add it as an array. */
    uint64_t *a = (uint64_t *)into;
    const uint64_t *b = (const uint64_t *)from;
    for (size_t i = 0; i < sizeof *into / sizeof(uint64_t); i++)
        a[i] += b[i];
}

static void add_samples(char (*into)[THRONG_SAMPLE_LEN], const char (*from)[THRONG_SAMPLE_LEN])
{
    for (int k = 0; k < THRONG_FAULT_KINDS; k++)
        if (!into[k][0] && from[k][0]) memcpy(into[k], from[k], THRONG_SAMPLE_LEN);
}

static void add_codes(uint64_t *into, const uint64_t *from)
{
    for (unsigned i = 0; i < THRONG__STATUS_CODES; i++)
        into[i] += from[i];
}

static void name_merge(throng__name_stats_t *into, const throng__name_stats_t *from)
{
    into->requests += from->requests;
    into->sent += from->sent;
    into->faulted += from->faulted;
    into->cancelled += from->cancelled;
    into->in_flight += from->in_flight;
    into->bytes_sent += from->bytes_sent;
    into->bytes_received += from->bytes_received;
    for (int k = 0; k < THRONG_FAULT_KINDS; k++)
        into->faults[k] += from->faults[k];
    add_samples(into->sample, from->sample);
    add_codes(into->codes, from->codes);
    throng__hist_merge(&into->latency, &from->latency);
    throng__hist_merge(&into->ttfb, &from->ttfb);
}

int throng__stats_merge(throng__stats_t *into, const throng__stats_t *from)
{
    throng__counts_add(&into->n, &from->n);
    add_samples(into->sample, from->sample);
    add_codes(into->codes, from->codes);
    throng__hist_merge(&into->latency, &from->latency);
    throng__hist_merge(&into->service, &from->service);
    throng__hist_merge(&into->corrected, &from->corrected);
    if (!into->expected_interval_ns) into->expected_interval_ns = from->expected_interval_ns;
    throng__hist_merge(&into->ttfb, &from->ttfb);
    throng__hist_merge(&into->connect, &from->connect);
    throng__hist_merge(&into->tls, &from->tls);
    for (unsigned i = 0; i < from->nnames; i++) {
        const throng__name_stats_t *ns = from->names[i];
        int j = throng__stats_name(into, ns->name, strlen(ns->name));
        if (j < 0) return -1;
        name_merge(into->names[j], ns);
    }
    for (unsigned i = 0; i < from->ntxns; i++) {
        const throng__txn_stats_t *t = from->txns[i];
        int j = throng__stats_txn(into, t->name, strlen(t->name));
        if (j < 0) return -1;
        into->txns[j]->count += t->count;
        into->txns[j]->failures += t->failures;
        throng__hist_merge(&into->txns[j]->latency, &t->latency);
    }
    for (unsigned i = 0; i < from->nchecks; i++) {
        const throng__check_stats_t *c = &from->checks[i];
        throng__check_stats_t *mine = check_slot(into, c->name, strlen(c->name));
        mine->passes += c->passes;
        mine->fails += c->fails;
    }
    assert(throng__stats_balanced(into));
    return 0;
}

/* copy's helpers: what is not a histogram copied whole, each histogram
 * through throng__hist_copy (the buckets in use only: the tick copies the
 * stats four times a second, and their histograms are 1.6 MB and more, a
 * request name's 540 KB, nearly all of it empty buckets). A struct made
 * here is calloc'ed, so that its histograms are empty ones. */
static void name_copy(throng__name_stats_t *into, const throng__name_stats_t *from)
{
    memcpy(into, from, offsetof(throng__name_stats_t, latency));
    throng__hist_copy(&into->latency, &from->latency);
    throng__hist_copy(&into->ttfb, &from->ttfb);
}

static int copy_txns(throng__stats_t *into, const throng__stats_t *from)
{
    for (unsigned i = 0; i < from->ntxns; i++) {
        if (i >= into->ntxns) {
            if (!(into->txns[i] = calloc(1, sizeof *into->txns[i]))) return -1;
            into->ntxns = i + 1;
        }
        throng__txn_stats_t *t = into->txns[i];
        memcpy(t, from->txns[i], offsetof(throng__txn_stats_t, latency));
        throng__hist_copy(&t->latency, &from->txns[i]->latency);
    }
    for (unsigned i = from->ntxns; i < into->ntxns; i++)
        free(into->txns[i]);
    into->ntxns = from->ntxns;
    return 0;
}

int throng__stats_copy(throng__stats_t *into, const throng__stats_t *from)
{
    if (into == from) return 0;
    into->n = from->n;
    memcpy(into->sample, from->sample, sizeof from->sample);
    memcpy(into->codes, from->codes, sizeof from->codes);
    throng__hist_copy(&into->latency, &from->latency);
    throng__hist_copy(&into->service, &from->service);
    throng__hist_copy(&into->corrected, &from->corrected);
    into->expected_interval_ns = from->expected_interval_ns;
    throng__hist_copy(&into->ttfb, &from->ttfb);
    throng__hist_copy(&into->connect, &from->connect);
    throng__hist_copy(&into->tls, &from->tls);
    into->second = from->second;
    /* Names keep their order, so into's name structs line up with from's. */
    for (unsigned i = 0; i < from->nnames; i++) {
        if (i >= into->nnames) {
            if (!(into->names[i] = calloc(1, sizeof *into->names[i]))) return -1;
            into->nnames = i + 1;
        }
        name_copy(into->names[i], from->names[i]);
    }
    for (unsigned i = from->nnames; i < into->nnames; i++) {
        free(into->names[i]);
        into->names[i] = NULL;
    }
    into->nnames = from->nnames;
    memcpy(into->checks, from->checks, sizeof from->checks);
    into->nchecks = from->nchecks;
    return copy_txns(into, from);
}

uint64_t throng__faults_failures(const uint64_t *faults)
{
    uint64_t f = 0;
    for (int k = 0; k < THRONG_FAULT_KINDS; k++)
        if (throng__fault_is_failure((throng_fault_t)k)) f += faults[k];
    return f;
}

uint64_t throng__counts_failures(const throng__counts_t *n)
{
    return throng__faults_failures(n->faults);
}

/* ------------------------------------------------------ serialisation */

/* One histogram as its length (4 bytes) and compact form. */
static int put_hist(const throng__hist_t *h, throng__buf_t *out)
{
    size_t need = throng__hist_serialize(h, NULL, 0);
    uint32_t len = (uint32_t)need;
    if (throng__buf_append(out, &len, sizeof len) != 0 || throng__buf_reserve(out, need) != 0)
        return -1;
    throng__hist_serialize(h, (uint8_t *)out->data + out->len, need);
    out->len += need;
    return 0;
}

static int get_bytes(void *dst, size_t n, const char **p, const char *end)
{
    if ((size_t)(end - *p) < n) return -1;
    memcpy(dst, *p, n);
    *p += n;
    return 0;
}

static int get_hist(throng__hist_t *h, const char **p, const char *end)
{
    uint32_t len;
    if (get_bytes(&len, sizeof len, p, end) != 0 || (size_t)(end - *p) < len) return -1;
    if (throng__hist_deserialize(h, (const uint8_t *)*p, len) != 0) return -1;
    *p += len;
    return 0;
}

static void terminate_samples(char (*sample)[THRONG_SAMPLE_LEN])
{
    for (int k = 0; k < THRONG_FAULT_KINDS; k++)
        sample[k][THRONG_SAMPLE_LEN - 1] = '\0';
}

/* A name's fixed part (everything before its histograms), then both. */
#define NAME_FIXED offsetof(throng__name_stats_t, latency)
#define TXN_FIXED offsetof(throng__txn_stats_t, latency)

/* The counts, samples and codes travel as they are in memory: both ends
 * are the same program, forked. */
int throng__stats_serialize(const throng__stats_t *s, throng__buf_t *out)
{
    uint32_t nnames = s->nnames;
    if (throng__buf_append(out, &s->n, sizeof s->n) != 0 ||
        throng__buf_append(out, s->sample, sizeof s->sample) != 0 ||
        throng__buf_append(out, s->codes, sizeof s->codes) != 0 || put_hist(&s->latency, out) ||
        put_hist(&s->service, out) || put_hist(&s->corrected, out) ||
        throng__buf_append(out, &s->expected_interval_ns, sizeof s->expected_interval_ns) != 0 ||
        put_hist(&s->ttfb, out) || put_hist(&s->connect, out) || put_hist(&s->tls, out) ||
        throng__buf_append(out, &nnames, sizeof nnames) != 0)
        return -1;
    for (unsigned i = 0; i < s->nnames; i++) {
        const throng__name_stats_t *ns = s->names[i];
        if (throng__buf_append(out, ns, NAME_FIXED) != 0 || put_hist(&ns->latency, out) ||
            put_hist(&ns->ttfb, out))
            return -1;
    }
    uint32_t ntxns = s->ntxns, nchecks = s->nchecks;
    if (throng__buf_append(out, &ntxns, sizeof ntxns) != 0) return -1;
    for (unsigned i = 0; i < s->ntxns; i++)
        if (throng__buf_append(out, s->txns[i], TXN_FIXED) != 0 ||
            put_hist(&s->txns[i]->latency, out))
            return -1;
    if (throng__buf_append(out, &nchecks, sizeof nchecks) != 0 ||
        throng__buf_append(out, s->checks, nchecks * sizeof s->checks[0]) != 0)
        return -1;
    return 0;
}

int throng__stats_deserialize(throng__stats_t *s, const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    uint32_t nnames;
    throng__stats_free(s);
    if (get_bytes(&s->n, sizeof s->n, &p, end) || get_bytes(s->sample, sizeof s->sample, &p, end) ||
        get_bytes(s->codes, sizeof s->codes, &p, end) || get_hist(&s->latency, &p, end) ||
        get_hist(&s->service, &p, end) || get_hist(&s->corrected, &p, end) ||
        get_bytes(&s->expected_interval_ns, sizeof s->expected_interval_ns, &p, end) ||
        get_hist(&s->ttfb, &p, end) || get_hist(&s->connect, &p, end) ||
        get_hist(&s->tls, &p, end) || get_bytes(&nnames, sizeof nnames, &p, end) ||
        nnames > THRONG__NAMES_MAX)
        return -1;
    terminate_samples(s->sample);
    for (uint32_t i = 0; i < nnames; i++) {
        throng__name_stats_t *ns = malloc(sizeof *ns);
        if (!ns) return -1;
        s->names[s->nnames++] = ns;
        if (get_bytes(ns, NAME_FIXED, &p, end) || get_hist(&ns->latency, &p, end) ||
            get_hist(&ns->ttfb, &p, end))
            return -1;
        ns->name[THRONG__NAME_LEN - 1] = '\0';
        terminate_samples(ns->sample);
    }
    uint32_t ntxns, nchecks;
    if (get_bytes(&ntxns, sizeof ntxns, &p, end) || ntxns > THRONG__TXNS_MAX) return -1;
    for (uint32_t i = 0; i < ntxns; i++) {
        throng__txn_stats_t *t = malloc(sizeof *t);
        if (!t) return -1;
        s->txns[s->ntxns++] = t;
        if (get_bytes(t, TXN_FIXED, &p, end) || get_hist(&t->latency, &p, end)) return -1;
        t->name[THRONG__NAME_LEN - 1] = '\0';
    }
    if (get_bytes(&nchecks, sizeof nchecks, &p, end) || nchecks > THRONG__CHECKS_MAX ||
        get_bytes(s->checks, nchecks * sizeof s->checks[0], &p, end))
        return -1;
    s->nchecks = nchecks;
    for (uint32_t i = 0; i < nchecks; i++)
        s->checks[i].name[THRONG__NAME_LEN - 1] = '\0';
    return p == end ? 0 : -1;
}
