/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "model.h"

/* Assign's "any free VF of these PFs": passthrud picks the VFs and records their concrete addresses like any
 * assignment. The pick and the record happen in one turn of the main loop (the handler runs again from the top
 * after authorization), so two picks never hand out the same VF. */

typedef struct VfCandidate {
        const char *bdf;
        int32_t numa_node;      /* -1: none */
        bool free;              /* present, answering, not assigned, hidden, held, stuck or failed */
} VfCandidate;

/* Chooses count free candidates, those on numa_node first when it is >= 0, otherwise in the order given (the PFs'
 * order, then each PF's VF order). Writes their indices to ret (room for count); -ENOSPC when too few are free. */
int vf_pool_choose(const VfCandidate *c, size_t n, unsigned count, int32_t numa_node, size_t *ret);

/* pfs: "PF[,PF...]" in any address notation. The chosen VFs' addresses in *ret (strv). NotFound, NotSriov, or
 * NoFreeVf naming what is free. */
int vf_pool_pick(const Model *m, const char *pfs, unsigned count, int32_t numa_node, char ***ret, PtError *e);

/* Assign's device list: the one given, or (vf_of set, no devices given) the pool's pick. */
int vf_pool_resolve(const Model *m, char *const *devices, const char *vf_of, unsigned count, int32_t numa_node,
                    char ***ret, PtError *e);
