/* report_json.h - the report as a JSON document, and the names of endings. */
#ifndef THRONG_REPORT_JSON_H
#define THRONG_REPORT_JSON_H

#include <cJSON.h>

#include "throng.h"

/* The ended run's whole report (docs/report.md); the caller deletes it. */
cJSON *throng__report_json(const throng_engine_t *engine);

/* "duration", "clients", ... as in the JSON report. */
const char *throng__ending_name(throng_ending_t ending);
/* "duration reached", "number of clients declined to zero", ... */
const char *throng__ending_text(throng_ending_t ending);

#endif
