/* conn_host.h - the host a test's conns run on: one loop, the worker
 * settings (2 s connect and exchange timeouts), the stats its ledger counts
 * in, no log and a buffer pool; a listener on a free loopback port, and
 * its address. Shared by the tests of conn, its connect
 * queue and its memory budget; everything here is static, so each test
 * binary has its own. */
#ifndef THRONG_TEST_CONN_HOST_H
#define THRONG_TEST_CONN_HOST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "check.h"
#include "client/host.h"
#include "util/address.h"

static uv_loop_t loop;
static throng__host_t host; /* big: its read buffer */
static throng__worker_settings_t settings;
static throng__stats_t stats;

/* Sets up loop, stats, settings and host; call once, first in main. */
static void conn_host_init(void)
{
    CHECK_INT(uv_loop_init(&loop), 0);
    throng__stats_init(&stats);
    settings.connect_timeout = 2;
    settings.timeout = 2;
    host.loop = &loop;
    host.set = &settings;
    host.ledger.stats = &stats;
    host.log_level = -1;
    throng__bufpool_init(&host.pool);
}

/* Starts l listening on a free port of 127.0.0.1 (on loop), with backlog
 * and cb; returns the port. */
static int conn_host_listen(uv_tcp_t *l, int backlog, uv_connection_cb cb)
{
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    uv_tcp_init(&loop, l);
    CHECK_INT(uv_tcp_bind(l, (struct sockaddr *)&sa, 0), 0);
    CHECK_INT(uv_listen((uv_stream_t *)l, backlog, cb), 0);
    int len = sizeof sa;
    uv_tcp_getsockname(l, (struct sockaddr *)&sa, &len);
    return ntohs(sa.sin_port);
}

/* The address of port on 127.0.0.1, as a conn is given it. */
static throng__address_t local(int port)
{
    throng__address_t a;
    memset(&a, 0, sizeof a);
    struct sockaddr_in *sa = (struct sockaddr_in *)&a.sa;
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.salen = sizeof *sa;
    a.port = port;
    snprintf(a.host, sizeof a.host, "127.0.0.1");
    snprintf(a.authority, sizeof a.authority, "127.0.0.1:%d", port);
    return a;
}

#endif
