/* exchange.c - the ledger: each request's one begin and one outcome, and
 * the request limit they draw on. */
#include <assert.h>

#include "client/exchange.h"

static void tick(throng__ledger_t *l)
{
    if (l->clock) l->clock(l->clock_data);
}

int throng__ledger_spent(const throng__ledger_t *l)
{
    return l->budget &&
           atomic_load_explicit(&l->budget->issued, memory_order_relaxed) >= l->budget->limit;
}

/* Takes one request from the limit: 0, or -1 when none is left. */
static int take(throng__budget_t *b)
{
    if (!b) return 0;
    uint64_t n = atomic_load(&b->issued);
    while (n < b->limit)
        if (atomic_compare_exchange_weak(&b->issued, &n, n + 1)) return 0;
    return -1;
}

void throng__ledger_fault(throng__ledger_t *l, throng_fault_t kind, const char *msg)
{
    tick(l);
    throng__stats_fault(l->stats, -1, kind, msg);
}

void throng__ledger_unsolicited(throng__ledger_t *l, uint64_t received)
{
    tick(l);
    throng__stats_unsolicited(l->stats, received);
}

void throng__ledger_arrival(throng__ledger_t *l, int dropped)
{
    tick(l);
    l->stats->n.arrivals++;
    l->stats->n.dropped += dropped != 0;
}

int throng__exchange_begin(throng__exchange_t *x, throng__ledger_t *l, const char *name, size_t len)
{
    assert(x->outcome != THRONG__EXCHANGE_OPEN);
    if (take(l->budget) != 0) return -1;
    tick(l);
    x->ledger = l;
    x->name = throng__stats_name(l->stats, name, len);
    x->outcome = THRONG__EXCHANGE_OPEN;
    x->intended_ns = 0;
    throng__stats_begin(l->stats, x->name);
    return 0;
}

/* Every outcome goes through here: an exchange ends once. */
static throng__stats_t *end(throng__exchange_t *x, throng__outcome_t outcome)
{
    assert(x->outcome == THRONG__EXCHANGE_OPEN); /* no outcome yet */
    x->outcome = outcome;
    tick(x->ledger);
    return x->ledger->stats;
}

void throng__exchange_answered(throng__exchange_t *x, int status, uint64_t latency_ns,
                               uint64_t ttfb_ns)
{
    throng__stats_answered(end(x, THRONG__EXCHANGE_ANSWERED), x->name, status, latency_ns, ttfb_ns);
}

void throng__exchange_faulted(throng__exchange_t *x, throng_fault_t kind, const char *msg)
{
    throng__stats_faulted(end(x, THRONG__EXCHANGE_FAULTED), x->name, kind, msg);
}

void throng__exchange_cancelled(throng__exchange_t *x)
{
    throng__stats_cancelled(end(x, THRONG__EXCHANGE_CANCELLED), x->name);
}

void throng__exchange_verdict(throng__exchange_t *x, throng_fault_t kind, const char *msg)
{
    assert(x->outcome == THRONG__EXCHANGE_ANSWERED);
    tick(x->ledger);
    throng__stats_fault(x->ledger->stats, x->name, kind, msg);
}

void throng__exchange_bytes(throng__exchange_t *x, uint64_t sent, uint64_t received)
{
    assert(x->outcome == THRONG__EXCHANGE_OPEN);
    throng__stats_bytes(x->ledger->stats, x->name, sent, received);
}

void throng__exchange_connected(throng__exchange_t *x, uint64_t connect_ns)
{
    assert(x->outcome == THRONG__EXCHANGE_OPEN);
    throng__stats_connected(x->ledger->stats, connect_ns);
}

void throng__exchange_tls(throng__exchange_t *x, uint64_t handshake_ns, int resumed)
{
    assert(x->outcome == THRONG__EXCHANGE_OPEN);
    throng__stats_tls(x->ledger->stats, handshake_ns, resumed);
}
