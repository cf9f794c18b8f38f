/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planning a PF's VF count (SetVirtualFunctions): the kernel would pull every VF out from under whoever uses it,
 * so a change is refused while any of them is assigned, hidden, held on a stub or in a running guest. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "passthru/pt-macros.h"
#include "plan.h"
#include "planning.h"
#include "pt-util.h"

/* What a VF is to passthrud right now, or NULL when it is free. */
static const char *vf_use(const Model *m, const char *vf) {
        if (model_device_running(m, vf))
                return "in a running guest";
        if (model_device_guest(m, vf))
                return "assigned";
        if (records_find_hidden(&m->records, vf))
                return "hidden";
        if (records_find_hold(&m->records, vf))
                return "held on a stub";
        return NULL;
}

int plan_set_vfs(const Model *m, Job *j, PtError *e) {
        JobDevice *jd = &j->devices[0];
        const Device *pf = inventory_find_bdf(&m->inventory, jd->bdf);
        if (!pf)
                return pt_error_set(e, PT_ERR_NOT_FOUND, "no PCI device %s", jd->bdf);
        if (!isempty(pf->physical_function))
                return pt_error_set(e, PT_ERR_NOT_SRIOV, "%s is itself a VF (of %s); VFs are set on the PF", pf->bdf,
                                    pf->physical_function);
        if (pf->sriov_total_vfs == 0)
                return pt_error_set(e, PT_ERR_NOT_SRIOV, "%s has no SR-IOV capability", pf->bdf);
        if (j->num_vfs > pf->sriov_total_vfs)
                return pt_error_set(e, PT_ERR_INVALID_VF_COUNT, "%s supports at most %u VFs (sriov_totalvfs), not %u",
                                    pf->bdf, pf->sriov_total_vfs, j->num_vfs);
        if (isempty(pf->driver))
                return pt_error_set(e, PT_ERR_NOT_SRIOV, "%s has no driver, and it is the PF's driver that creates "
                                    "VFs; bind one first", pf->bdf);
        if (j->num_vfs != pf->sriov_num_vfs) {
                _cleanup_free_ char *in_use = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&in_use, &len);
                if (!f)
                        return -ENOMEM;
                unsigned n = 0;
                for (char **vf = pf->virtual_functions; vf && *vf; vf++) {
                        const char *use = vf_use(m, *vf);
                        if (use)
                                fprintf(f, "%s%s (%s%s%s)", n++ ? ", " : "", *vf, use,
                                        model_device_guest(m, *vf) ? ", guest " : "",
                                        strempty(model_device_guest(m, *vf)));
                }
                if (fclose(f) != 0)
                        return -ENOMEM;
                if (n > 0)
                        return pt_error_set(e, PT_ERR_VFS_IN_USE, "changing the VF count of %s would remove VFs in "
                                            "use: %s; unassign and unhide them first", pf->bdf, in_use);
        }
        return 0;
}
