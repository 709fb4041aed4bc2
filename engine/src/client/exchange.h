/* exchange.h - the ledger: the life of one request, from the moment it is
 * taken from the run's request limit to its one outcome.
 *
 * A client *begins* an exchange (one taken from the request limit, counted
 * sent and in flight for the thread, its group and its request name); a
 * connection carries it and reports back to the client, which *ends* it
 * with exactly one outcome:
 *
 *   answered   a complete response arrived (the persona's verdict may then
 *              count a busy, invalid or script-error fault on it);
 *   faulted    no complete response (not-connected, timed-out, abandoned,
 *              http-error, closed, aborted);
 *   cancelled  throng ended it before an answer: the run reached its
 *              duration or request limit, or its session ended on another
 *              exchange's fault or a check.
 *
 * Nothing else moves those counters, so sent == requests + faulted +
 * cancelled + in_flight holds at every snapshot (stats/stats.h). Every
 * call is on the thread that owns the ledger, with no lock; only the
 * request limit is shared (an atomic). */
#ifndef THRONG_EXCHANGE_H
#define THRONG_EXCHANGE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/stats.h"
#include "throng.h"

/* The run's request limit: one count for every thread and worker process
 * (in memory shared across fork), so no thread's share is lost when its
 * clients leave early. */
typedef struct throng__budget {
    _Atomic uint64_t issued;
    uint64_t limit;
} throng__budget_t;

/* One thread's books: where its exchanges are counted. */
typedef struct throng__ledger {
    throng__stats_t *stats;
    throng__budget_t *budget; /* NULL: no limit */
    /* Called before anything is counted, so that the owner can close a
     * second the clock has left (the per-second series). May be NULL. */
    void (*clock)(void *data);
    void *clock_data;
} throng__ledger_t;

typedef enum {
    THRONG__EXCHANGE_NONE,     /* never begun */
    THRONG__EXCHANGE_OPEN,     /* begun, no outcome yet */
    THRONG__EXCHANGE_ANSWERED, /* the outcomes */
    THRONG__EXCHANGE_FAULTED,
    THRONG__EXCHANGE_CANCELLED
} throng__outcome_t;

/* One request's life. The struct is reused: a new begin follows an end.
 *
 * Its times (uv_hrtime(), ns; 0 = not known): intended_ns, when the request
 * was meant to start, set by its owner right after begin (an open model's
 * arrival); sent_ns, when the connection wrote it. An answer's latency runs
 * from intended_ns when set (never less than its service time), else from
 * sent_ns; its service time from sent_ns, as the connection measured it. */
typedef struct throng__exchange {
    throng__ledger_t *ledger;
    throng__outcome_t outcome;
    int name;             /* the request name's index in the ledger's stats, or -1 */
    uint64_t intended_ns; /* set by the owner after begin; begin resets it to 0 */
    uint64_t sent_ns;     /* set by the connection as it writes the request; begin resets it */
} throng__exchange_t;

/* 1 when the run's request limit is reached: no exchange can begin. */
int throng__ledger_spent(const throng__ledger_t *l);

/* A fault outside any exchange (a script error in a request hook before
 * its request, a failed check): counted by
 * kind, with no ledger count moved. */
void throng__ledger_fault(throng__ledger_t *l, throng_fault_t kind, const char *msg);

/* A server sent received bytes on a connection with no exchange waiting
 * for them (two responses to one request, say): a protocol event of the
 * connection, counted apart (unsolicited) with its bytes (0 when they
 * were counted with the exchange they followed); no fault, no ledger
 * count. */
void throng__ledger_unsolicited(throng__ledger_t *l, uint64_t received);

/* One arrival of the open model, dropped (no free client was there to
 * take it) or not: counted for the group and the current second. Not a
 * ledger count (a dropped arrival was never sent) and not a fault. */
void throng__ledger_arrival(throng__ledger_t *l, int dropped);

/* Begins an exchange for the request named name (len bytes): takes one
 * from the request limit and counts it sent and in flight. Returns 0, or
 * -1 when the limit is reached: then nothing is counted and x is not open.
 * x must not be open. */
int throng__exchange_begin(throng__exchange_t *x, throng__ledger_t *l, const char *name,
                           size_t len);

/* 1 while x is begun and has no outcome. */
static inline int throng__exchange_open(const throng__exchange_t *x)
{
    return x->outcome == THRONG__EXCHANGE_OPEN;
}

/* The outcomes: each asserts that x is open, and leaves it closed.
 * answered: latency_ns is the connection's, request written to response
 * complete: the service time. faulted with THRONG_FAULT_TIMED_OUT also
 * records the time the exchange waited (from intended_ns, else sent_ns, to
 * now) in the latency histograms, so that the slowest requests stay in
 * the percentiles. */
void throng__exchange_answered(throng__exchange_t *x, int status, uint64_t latency_ns,
                               uint64_t ttfb_ns);
void throng__exchange_faulted(throng__exchange_t *x, throng_fault_t kind, const char *msg);
void throng__exchange_cancelled(throng__exchange_t *x);

/* The persona's verdict on an answered exchange when it is not ok (busy,
 * invalid, script-error): a fault event for the exchange's request name.
 * The outcome stays answered. */
void throng__exchange_verdict(throng__exchange_t *x, throng_fault_t kind, const char *msg);

/* What the connection carrying an open exchange measures on its way. */
void throng__exchange_bytes(throng__exchange_t *x, uint64_t sent, uint64_t received);
void throng__exchange_connected(throng__exchange_t *x, uint64_t connect_ns);
void throng__exchange_tls(throng__exchange_t *x, uint64_t handshake_ns, int resumed);

#endif
