/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "model.h"

/* Whether the host may let these devices go. No passthrough without an IOMMU: NoIommu on a KVM host without IOMMU
 * groups, and in a Xen dom0 whose Xen reports none unless [Safety] AllowUnsafePVPassthrough=yes. */
int admission_check_iommu(const Model *m, Device *const *devices, size_t n, PtError *e);
/* Passthrough allowed without an IOMMU (the dom0 case above): each device's act is to be logged as insecure. */
bool admission_insecure(const Model *m);
/* HostCritical (safety_host_critical, and a PF whose VFs are used by anyone but guest: NULL for a hide), and for
 * passthrough (not a mere hide) the IOMMU rule above. With force a host-critical device is let go; *ret_forced
 * gets the line the act is to log for it. */
int admission_check(const Model *m, Device *const *devices, size_t n, const char *guest, bool passthrough,
                    bool force, char ***ret_forced, PtError *e);
