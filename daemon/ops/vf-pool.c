/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passthru/pt-macros.h"
#include "planning.h"
#include "pt-util.h"
#include "vf-pool.h"

int vf_pool_choose(const VfCandidate *c, size_t n, unsigned count, int32_t numa_node, size_t *ret) {
        unsigned chosen = 0;
        /* Two passes: the guest's node first, then any (a VF on another node still works, slower). */
        for (int pass = numa_node >= 0 ? 0 : 1; pass < 2 && chosen < count; pass++)
                for (size_t i = 0; i < n && chosen < count; i++) {
                        if (!c[i].free || (pass == 0 && c[i].numa_node != numa_node))
                                continue;
                        bool taken = false;
                        for (unsigned k = 0; k < chosen && !taken; k++)
                                taken = ret[k] == i;
                        if (!taken)
                                ret[chosen++] = i;
                }
        return chosen == count ? 0 : -ENOSPC;
}

static bool vf_free(const Model *m, const Device *d) {
        return !d->off_bus && !model_device_guest(m, d->bdf) && !records_find_hidden(&m->records, d->bdf) &&
               !records_find_hold(&m->records, d->bdf) && !model_device_stuck(m, d->bdf) &&
               !model_device_failed(m, d->bdf);
}

int vf_pool_pick(const Model *m, const char *pfs, unsigned count, int32_t numa_node, char ***ret, PtError *e) {
        _cleanup_strv_free_ char **names = NULL, **picked = NULL;
        _cleanup_free_ VfCandidate *c = NULL;
        _cleanup_free_ size_t *chosen = NULL;
        size_t n = 0;
        int r;

        if (count == 0)
                return pt_error_set(e, PT_ERR_INVALID_OPTION, "vf_count must be at least 1");
        if ((r = pt_strv_split(pfs, ",", &names)) < 0)
                return r;
        if (!names[0])
                return pt_error_set(e, PT_ERR_INVALID_OPTION, "vf_of names no PF");
        for (char **p = names; *p; p++) {
                const Device *pf = plan_resolve_device(m, *p, e);
                if (!pf)
                        return -EINVAL;
                if (pf->sriov_total_vfs == 0 || !isempty(pf->physical_function))
                        return pt_error_set(e, PT_ERR_NOT_SRIOV, "%s is not an SR-IOV PF", pf->bdf);
                for (char **vf = pf->virtual_functions; vf && *vf; vf++) {
                        const Device *d = inventory_find_bdf(&m->inventory, *vf);
                        VfCandidate *grown = realloc(c, (n + 1) * sizeof(VfCandidate));
                        if (!grown)
                                return -ENOMEM;
                        c = grown;
                        c[n++] = (VfCandidate) { .bdf = *vf, .numa_node = d ? d->numa_node : -1,
                                                 .free = d && vf_free(m, d) };
                }
        }
        chosen = calloc(count, sizeof(size_t));
        if (!chosen)
                return -ENOMEM;
        if (vf_pool_choose(c, n, count, numa_node, chosen) < 0) {
                size_t n_free = 0;
                for (size_t i = 0; i < n; i++)
                        n_free += c[i].free;
                return pt_error_set(e, PT_ERR_NO_FREE_VF, "%u VF%s wanted from %s, but %zu of its %zu VFs %s free%s",
                                    count, count == 1 ? "" : "s", pfs, n_free, n, n_free == 1 ? "is" : "are",
                                    n == 0 ? " (it has none enabled: ptctl vfs PF COUNT)" : "");
        }
        for (unsigned k = 0; k < count; k++)
                if ((r = pt_strv_push(&picked, strdup(c[chosen[k]].bdf))) < 0)
                        return r;
        *ret = TAKE_PTR(picked);
        return 0;
}

int vf_pool_resolve(const Model *m, char *const *devices, const char *vf_of, unsigned count, int32_t numa_node,
                    char ***ret, PtError *e) {
        if (isempty(vf_of))
                return (*ret = pt_strv_copy((char **) devices)) ? 0 : -ENOMEM;
        if (pt_strv_length((char **) devices) > 0)
                return pt_error_set(e, PT_ERR_INVALID_OPTION, "give devices or vf_of, not both");
        return vf_pool_pick(m, vf_of, count, numa_node, ret, e);
}
