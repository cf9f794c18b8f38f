/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Taking a device from the host must not cost it its console, disks or network, nor, without an IOMMU, its
 * memory; force overrides the first (and is logged), nothing overrides the second. */
#include <errno.h>
#include <stdlib.h>

#include "admission.h"
#include <stdio.h>

#include "pt-util.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "safety.h"

int admission_check_iommu(const Model *m, Device *const *devices, size_t n, PtError *e) {
        if (m->host == HOST_BARE && !model_has_iommu_groups(m))
                return pt_error_set(e, PT_ERR_NO_IOMMU,
                                    "this host has no IOMMU groups: a passed-through device could reach all of "
                                    "host memory by DMA. Enable VT-d or AMD-Vi in the firmware and boot with "
                                    "intel_iommu=on (or amd_iommu=on)");
        if (m->host != HOST_XEN_DOM0 || m->xen_iommu != 0)
                return 0;
        if (!admission_insecure(m))
                return pt_error_set(e, PT_ERR_NO_IOMMU,
                                    "Xen reports no IOMMU (xl info: no directio in virt_caps): only PV passthrough "
                                    "is possible, and it lets the guest reach dom0's memory by DMA. Enable the "
                                    "IOMMU, or set [Safety] AllowUnsafePVPassthrough=yes in passthrud.conf to allow "
                                    "it anyway");
        return 0;
}

bool admission_insecure(const Model *m) {
        return m->host == HOST_XEN_DOM0 && m->xen_iommu == 0 && m->allow_unsafe_pv;
}

/* A PF whose VFs someone else uses: taking the PF from its driver takes the VFs from under them (the PF driver
 * removes them, or they stop working). Only a guest that has every VF in use itself may take the PF. */
static char *vfs_in_use(const Model *m, const Device *pf, const char *guest) {
        for (char **vf = pf->virtual_functions; vf && *vf; vf++) {
                const char *owner = model_device_guest(m, *vf);
                bool hidden = records_find_hidden(&m->records, *vf) || records_find_hold(&m->records, *vf);
                if ((owner && !streq_ptr(owner, guest)) || (!owner && hidden)) {
                        char *why = NULL;
                        if (asprintf(&why, "it is the PF of %s, which is %s%s", *vf,
                                     owner ? "assigned to guest " : "hidden", strempty(owner)) < 0)
                                return NULL;
                        return why;
                }
        }
        return NULL;
}

int admission_check(const Model *m, Device *const *devices, size_t n, const char *guest, bool passthrough,
                    bool force, char ***ret_forced, PtError *e) {
        int r;
        if (passthrough && (r = admission_check_iommu(m, devices, n, e)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *why = safety_host_critical(m->sysfs_root, m->proc_root, devices[i]);
                if (!why)
                        why = vfs_in_use(m, devices[i], guest);
                if (!why)
                        continue;
                if (!force)
                        return pt_error_set(e, PT_ERR_HOST_CRITICAL,
                                            "%s is host-critical: %s; the host may lose it for good. Pass --force "
                                            "(option force) to take it anyway", devices[i]->bdf, why);
                char *line = NULL;
                if (asprintf(&line, "Taking host-critical device %s anyway (forced): %s", devices[i]->bdf, why) < 0 ||
                    pt_strv_push(ret_forced, line) < 0)
                        return -ENOMEM;
        }
        return 0;
}
