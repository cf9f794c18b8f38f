/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "assign.h"
#include "error.h"
#include "model.h"

/* --dry-run: what a call would do, from the same planning the call itself runs (which changes nothing), and
 * what the host would lose. A refusal is the same named error the call would give. */

typedef struct DryRunStep {
        char *kind;     /* "assign", "detach", "bind", "reset", "vfs", "note", "host-loses" */
        char *device;   /* the BDF it is about, "" for the whole call */
        char *detail;
} DryRunStep;

typedef struct DryRun {
        DryRunStep *steps;
        size_t n;
} DryRun;

void dry_run_done(DryRun *d);

/* operation: "start", "assign", "attach", "hide" or "vfs". guest: for start, assign and attach. devices: assign's
 * list, attach's and hide's one, the PF for vfs (count: its VF count). o: assign's and attach's options. */
int dry_run(const Model *m, const char *operation, const char *guest, char *const *devices, const AssignOptions *o,
            uint32_t count, const char *state, DryRun *ret, PtError *e);
