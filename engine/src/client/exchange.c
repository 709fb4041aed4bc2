/* exchange.c - the ledger: each request's one begin and one outcome, and
 * the request limit they draw on. */
#include <assert.h>

#include <uv.h>

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
    throng__stats_arrival(l->stats, dropped);
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
    x->sent_ns = 0;
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

/* The latency of an answer of service time service_ns: from the intended
 * start when there is one, and never less than the service time (a clock
 * read or an intended time a little off must not make it shorter). */
static uint64_t latency_of(const throng__exchange_t *x, uint64_t service_ns)
{
    if (!x->intended_ns) return service_ns;
    uint64_t done = x->sent_ns ? x->sent_ns + service_ns : uv_hrtime();
    uint64_t waited = done > x->intended_ns ? done - x->intended_ns : 0;
    return waited > service_ns ? waited : service_ns;
}

void throng__exchange_answered(throng__exchange_t *x, int status, uint64_t latency_ns,
                               uint64_t ttfb_ns)
{
    throng__stats_t *s = end(x, THRONG__EXCHANGE_ANSWERED);
    throng__stats_answered(s, x->name, status, latency_of(x, latency_ns), latency_ns, ttfb_ns);
}

/* A timed-out exchange waited from its intended start, or from its
 * sending, until now; nothing is recorded when neither is known. */
static void record_wait(throng__exchange_t *x, throng__stats_t *s)
{
    uint64_t from = x->intended_ns ? x->intended_ns : x->sent_ns;
    if (!from) return;
    uint64_t now = uv_hrtime();
    uint64_t service = x->sent_ns && now > x->sent_ns ? now - x->sent_ns : 0;
    uint64_t waited = now > from ? now - from : 0;
    throng__stats_waited(s, x->name, waited > service ? waited : service, service);
}

void throng__exchange_faulted(throng__exchange_t *x, throng_fault_t kind, const char *msg)
{
    throng__stats_t *s = end(x, THRONG__EXCHANGE_FAULTED);
    if (kind == THRONG_FAULT_TIMED_OUT) record_wait(x, s);
    throng__stats_faulted(s, x->name, kind, msg);
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
