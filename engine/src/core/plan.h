/* plan.h - plans: scripts that return a table of named groups, each with a
 * persona and its settings (implements throng_add_script()). */
#ifndef THRONG_PLAN_H
#define THRONG_PLAN_H

#include "throng.h"

#endif
