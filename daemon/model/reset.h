/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* How hard passthrud insists on resetting a device on guest start and stop. */
typedef enum ResetPolicy {
        RESET_POLICY_STRICT,      /* no usable reset refuses the operation */
        RESET_POLICY_BEST_EFFORT, /* no usable reset is logged and skipped */
        RESET_POLICY_NONE,        /* never reset (logged) */
        _RESET_POLICY_INVALID = -1,
} ResetPolicy;

ResetPolicy reset_policy_from_string(const char *s); /* "" is strict */
const char *reset_policy_to_string(ResetPolicy p);

/* What the choice depends on, gathered from sysfs and config space by the caller. */
typedef struct ResetFacts {
        char **kernel_methods;  /* the kernel's reset_method list; NULL when the attribute does not exist */
        bool flr, af_flr, pm, pm_no_soft_reset;
        bool is_vf;
        /* Below a bridge whose secondary bus holds no bridge: passthrud can pulse that bridge's Secondary Bus Reset
         * itself when the kernel offers no reset of its own ("sbr"). */
        bool secondary_bus;
        /* Other functions share the bus: the kernel refuses its own bus reset then (it lists "bus" for a device
         * that was alone when it was enumerated, and rejects it once siblings appeared). */
        bool bus_shared;
        char **bus_blockers;    /* devices in the bus-reset scope that are neither this guest's nor idle on a stub */
} ResetFacts;

/* Picks flr, then af_flr, then pm (each resets the function alone), then the kernel's bus reset, then passthrud's
 * own secondary bus reset (each resets everything below the parent bridge). Never a bus reset for a VF. Returns 0
 * and the method, or -ENOENT with why nothing fits (malloc'd). With no reset_method attribute (old kernels) a
 * capability-backed method is returned but the kernel picks among its own when resetting. */
int reset_choose(const ResetFacts *f, const char **ret_method, char **ret_reason);
/* Whether the method resets more than the one function: "bus" and "sbr". */
bool reset_method_is_bus(const char *method);
