/* fault.c - the fault kinds' names. */
#include "util/fault.h"

#define THRONG__FAULT_NAME(kind, name) [kind] = name,
const char *const throng__fault_names[THRONG_FAULT_KINDS + 1] = {
    THRONG__FAULTS(THRONG__FAULT_NAME)[THRONG_FAULT_KINDS] = NULL,
};

/* Each kind of throng_fault_t is named once, in order. */
#define THRONG__FAULT_COUNT(kind, name) +1
_Static_assert(0 THRONG__FAULTS(THRONG__FAULT_COUNT) == THRONG_FAULT_KINDS,
               "THRONG__FAULTS names every fault kind");
