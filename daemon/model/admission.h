/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "model.h"

/* Whether the host may let these devices go. No passthrough without an IOMMU: NoIommu on a KVM host without IOMMU
 * groups, and in a Xen dom0 whose Xen reports none unless [Safety] AllowUnsafePVPassthrough=yes, which is then
 * logged as insecure for every device. */
int admission_check_iommu(const Model *m, Device *const *devices, size_t n, PtError *e);
/* HostCritical (force overrides it, logged), and for passthrough (not a mere hide) the IOMMU rule above. */
int admission_check(const Model *m, Device *const *devices, size_t n, bool passthrough, bool force, PtError *e);
