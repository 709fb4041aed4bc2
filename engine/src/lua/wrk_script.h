/* wrk_script.h - a wrk script's control state: setup(thread) and
 * done(summary, latency, requests) as wrk's main thread runs them, the
 * groups running the script's threads, and wrk's figures. Its interface is
 * the public throng_wrk_* of throng.h; nothing else of the engine uses it. */
#ifndef THRONG_WRK_SCRIPT_H
#define THRONG_WRK_SCRIPT_H

#include "throng.h"

#endif
