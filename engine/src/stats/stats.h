/* stats.h - what one worker thread counts, for its group and per request
 * name. Each thread owns its own stats and updates them without locks;
 * they are merged when reported (stats_merge), across threads and, through
 * stats_serialize, across processes. */
#ifndef THRONG_STATS_H
#define THRONG_STATS_H

#include <stdint.h>

#include "util/buf.h"
#include "stats/hist.h"
#include "stats/series.h"
#include "throng.h"

#define THRONG__NAME_LEN 64   /* a request name's longest form, NUL included */
#define THRONG__NAMES_MAX 128 /* names kept apart; later ones are counted as "(other)" */
#define THRONG__STATUS_CODES 600

/* The group's scalar counts: what the progress line and the report struct
 * read.
 *
 * The ledger: sent, requests, faulted, cancelled and in_flight are moved
 * only by an exchange (client/exchange.c), which begins once (sent and
 * in_flight) and ends once with one outcome (answered: requests; faulted;
 * cancelled), so that at every snapshot
 *
 *     sent == requests + faulted + cancelled + in_flight
 *
 * for a thread, a group, a process and each request name
 * (throng__stats_balanced). faults[] is another thing: events by kind. An
 * exchange's fault counts one there, and so does a verdict on an answered
 * exchange (busy, invalid, script-error from the response hook) or a fault
 * outside any exchange (a script error in the request hook, a fatal
 * client:check); those move no ledger count. */
typedef struct throng__counts {
    uint64_t requests;       /* exchanges answered: a complete response arrived */
    uint64_t sent;           /* exchanges begun (taken from the request limit) */
    uint64_t faulted;        /* exchanges that ended with a fault and no complete response */
    uint64_t cancelled;      /* exchanges throng ended before an answer: the run's end, or their
                                session ended on another exchange's fault or a check */
    uint64_t in_flight;      /* exchanges begun and not ended yet */
    uint64_t sessions;       /* sessions completed */
    uint64_t connects;       /* connections established */
    uint64_t tls_handshakes; /* TLS handshakes completed */
    uint64_t tls_resumed;    /* ... of which resumed a session */
    uint64_t unsolicited;    /* times a server sent bytes while no request was waiting (the
                                connection was closed); a protocol event, not a fault */
    uint64_t bytes_sent, bytes_received;
    uint64_t faults[THRONG_FAULT_KINDS];
    uint64_t status[6];        /* by status class; [0] = outside 100..599 */
    uint64_t clients_active;   /* clients still in the run */
    uint64_t clients_faulted;  /* clients that left after a fault */
    uint64_t clients_finished; /* clients with nothing more to do (--once, request limit) */
    uint64_t arrivals;         /* open model: arrivals due, dropped ones included; not a ledger
                                  count (a dropped arrival was never sent) */
    uint64_t dropped;          /* ... of which found no free client; not a fault */
    uint64_t clients_added;    /* open model: clients the pool added during the run */
} throng__counts_t;

/* What is counted for one request name. A name's stats are about 550 KB,
 * its two histograms making most of it. */
typedef struct throng__name_stats {
    char name[THRONG__NAME_LEN];
    uint64_t requests, sent, faulted, cancelled, in_flight; /* the ledger, as in counts */
    uint64_t bytes_sent, bytes_received;
    uint64_t faults[THRONG_FAULT_KINDS];
    char sample[THRONG_FAULT_KINDS][THRONG_SAMPLE_LEN];
    uint64_t codes[THRONG__STATUS_CODES]; /* responses by status code; [0] = outside 100..599 */
    throng__hist_t latency, ttfb;
} throng__name_stats_t;

/* One transaction name (client:transaction): how many ran to their end,
 * how many of those failed (a fault or a failed check inside, or an
 * error raised), and their wall times, failed ones included. About 270 KB,
 * the histogram making most of it. */
typedef struct throng__txn_stats {
    char name[THRONG__NAME_LEN];
    uint64_t count, failures;
    throng__hist_t latency;
} throng__txn_stats_t;

/* One check name (client:check, throng.check): passes and fails. */
typedef struct throng__check_stats {
    char name[THRONG__NAME_LEN];
    uint64_t passes, fails;
} throng__check_stats_t;

#define THRONG__TXNS_MAX 32   /* transaction names kept apart; later ones are "(other)" */
#define THRONG__CHECKS_MAX 64 /* check names kept apart; later ones are "(other)" */

typedef struct throng__stats {
    throng__counts_t n;
    char sample[THRONG_FAULT_KINDS][THRONG_SAMPLE_LEN]; /* the first message of each kind */
    uint64_t codes[THRONG__STATUS_CODES];
    /* latency: from the request's intended start (open model) or from when
     * it was written, to the response complete; service: from when it was
     * written. Both hold timed-out exchanges too, at the time they waited. */
    throng__hist_t latency;
    throng__hist_t service;
    /* expected_interval_ns > 0 only: each latency recorded as HdrHistogram's
     * recordValueWithExpectedInterval does (throng__hist_record_corrected) */
    throng__hist_t corrected;
    uint64_t expected_interval_ns; /* the group's expected interval; 0: none */
    throng__hist_t ttfb;           /* request written -> first byte of the response */
    throng__hist_t connect;        /* connect started -> connected */
    throng__hist_t tls;            /* connected -> TLS handshake done */
    throng__name_stats_t *names[THRONG__NAMES_MAX];
    unsigned nnames;
    throng__second_t second; /* the second being counted, for the series */
    throng__txn_stats_t *txns[THRONG__TXNS_MAX];
    unsigned ntxns;
    throng__check_stats_t checks[THRONG__CHECKS_MAX];
    unsigned nchecks;
} throng__stats_t;

/* Empties s. Zeroed memory is empty stats already: a struct of calloc's,
 * or throng__stats_new's, needs no init (and its megabyte or so of
 * histogram pages is only touched where values land). */
void throng__stats_init(throng__stats_t *s);
/* Empty stats on the heap (calloc'ed), or NULL; free with
 * throng__stats_free, then free(). */
throng__stats_t *throng__stats_new(void);
/* Frees the per-name stats (the struct itself is the caller's). */
void throng__stats_free(throng__stats_t *s);

/* The index of a request name, made on first use; past THRONG__NAMES_MAX
 * names, the index of "(other)". -1 when memory runs out. */
int throng__stats_name(throng__stats_t *s, const char *name, size_t len);

/* The index of a transaction name, made on first use (past
 * THRONG__TXNS_MAX names, "(other)"'s); -1 when memory runs out. */
int throng__stats_txn(throng__stats_t *s, const char *name, size_t len);

/* A transaction (index from throng__stats_txn) ended after wall_ns,
 * failed or not. Moves no ledger count. */
void throng__stats_txn_done(throng__stats_t *s, int txn, uint64_t wall_ns, int failed);

/* A named check passed or failed (past THRONG__CHECKS_MAX names, counted
 * as "(other)"). Moves no ledger count and counts no fault. */
void throng__stats_check(throng__stats_t *s, const char *name, size_t len, int passed);

/* The ledger's moves, made only by client/exchange.c; name is an index
 * from throng__stats_name, or -1 for none. begin counts an exchange sent
 * and in flight; each end takes it out of flight with its one outcome. */
void throng__stats_begin(throng__stats_t *s, int name);
void throng__stats_answered(throng__stats_t *s, int name, int status, uint64_t latency_ns,
                            uint64_t service_ns, uint64_t ttfb_ns);
void throng__stats_faulted(throng__stats_t *s, int name, throng_fault_t kind, const char *msg);
void throng__stats_cancelled(throng__stats_t *s, int name);

/* A timed-out exchange's wait (latency from its intended start or its
 * sending, service from its sending; service_ns 0 when it was never
 * written), recorded in the latency histograms as an answer's would be;
 * moves no count. Called beside throng__stats_faulted. */
void throng__stats_waited(throng__stats_t *s, int name, uint64_t latency_ns, uint64_t service_ns);

/* One arrival of the open model, dropped (no free client) or taken: counted
 * for the group and the current second; no ledger count, no fault. */
void throng__stats_arrival(throng__stats_t *s, int dropped);

/* Counts a fault event of kind (faults[]), keeping its message when it is
 * the first of its kind; moves no ledger count. name is -1 when the fault
 * belongs to no request. */
void throng__stats_fault(throng__stats_t *s, int name, throng_fault_t kind, const char *msg);

/* A server sent received bytes while no request was waiting: counted
 * apart (unsolicited), with the bytes; no fault, no ledger count. */
void throng__stats_unsolicited(throng__stats_t *s, uint64_t received);

/* Bytes on the wire, and one connection made in connect_ns. */
void throng__stats_bytes(throng__stats_t *s, int name, uint64_t sent, uint64_t received);
void throng__stats_connected(throng__stats_t *s, uint64_t connect_ns);
/* One TLS handshake done in handshake_ns, resumed or full. */
void throng__stats_tls(throng__stats_t *s, uint64_t handshake_ns, int resumed);

/* 1 when sent == requests + faulted + cancelled + in_flight holds for the
 * counts and for every request name. */
int throng__counts_balanced(const throng__counts_t *n);
int throng__stats_balanced(const throng__stats_t *s);

/* Adds from into into: counts, samples still missing, histograms, and each
 * name's stats into the same name's. 0, or -1 when memory runs out. */
int throng__stats_merge(throng__stats_t *into, const throng__stats_t *from);
void throng__counts_add(throng__counts_t *into, const throng__counts_t *from);

/* Copies from into into (into's names are reused or made). */
int throng__stats_copy(throng__stats_t *into, const throng__stats_t *from);

/* Appends s's whole state to out, for a worker process to send its parent.
 * 0, or -1 when memory runs out. */
int throng__stats_serialize(const throng__stats_t *s, throng__buf_t *out);

/* Rebuilds s (initialised) from exactly len bytes of serialize's output;
 * -1 when malformed, never reading outside data[0..len). */
int throng__stats_deserialize(throng__stats_t *s, const char *data, size_t len);

/* Faults that count as failures: every kind but busy (the server said so,
 * on purpose) and aborted (the run was stopped: the user's doing). */
static inline int throng__fault_is_failure(throng_fault_t kind)
{
    return kind != THRONG_FAULT_BUSY && kind != THRONG_FAULT_ABORTED;
}
uint64_t throng__counts_failures(const throng__counts_t *n);
uint64_t throng__faults_failures(const uint64_t *faults);

#endif
