/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "coassign.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "reset-scope.h"

/* Why x must go with d, or NULL; the most telling reason first (a conventional bridge is also why its devices
 * share an IOMMU group). d_method: the reset d gets, when it reaches more than d. */
static const char *rule_for(const Inventory *inv, const Device *d, const char *d_method, const Device *x,
                            CoassignRule *kind) {
        if (d->parent_conventional && !isempty(d->parent_bridge) && streq(d->parent_bridge, x->parent_bridge)) {
                *kind = COASSIGN_CONVENTIONAL_BRIDGE;
                return "behind the same conventional PCI bridge";
        }
        if (d->iommu_group >= 0 && x->iommu_group == d->iommu_group) {
                *kind = COASSIGN_SAME_GROUP;
                return "same IOMMU group";
        }
        if (reset_method_is_bus(d_method)) {
                _cleanup_free_ Device **scope = NULL;
                size_t n = 0;
                if (reset_scope(inv, d, d_method, &scope, &n) < 0)
                        return NULL;
                for (size_t i = 0; i < n; i++)
                        if (scope[i] == x) {
                                *kind = COASSIGN_RESET_SCOPE;
                                return "reached by the bus reset that is its only reset";
                        }
        }
        return NULL;
}

static bool contains(Device **set, size_t n, const Device *d) {
        for (size_t i = 0; i < n; i++)
                if (set[i] == d)
                        return true;
        return false;
}

int coassign_closure(const Inventory *inv, Device *const *requested, size_t n_requested, Device ***ret, size_t *n,
                     CoassignNeed **ret_needs, size_t *n_needs) {
        _cleanup_free_ Device **set = calloc(inv->n + n_requested + 1, sizeof(Device *));
        _cleanup_free_ CoassignNeed *needs = calloc(inv->n + 1, sizeof(CoassignNeed));
        size_t count = 0, count_needs = 0;

        if (!set || !needs)
                return -ENOMEM;
        for (size_t i = 0; i < n_requested; i++)
                if (!contains(set, count, requested[i]))
                        set[count++] = requested[i];
        /* Each member pulls in its peers until nothing changes: the rules chain (a group member behind a
         * conventional bridge brings that bridge's other devices, and their groups). */
        for (size_t i = 0; i < count; i++) {
                _cleanup_free_ char *why = NULL;
                const char *method = reset_method_of(inv, set[i], &why);
                for (size_t k = 0; k < inv->n; k++) {
                        Device *x = inv->devices[k];
                        if (x->is_bridge || contains(set, count, x))
                                continue;
                        CoassignRule kind;
                        const char *rule = rule_for(inv, set[i], method, x, &kind);
                        if (!rule)
                                continue;
                        set[count++] = x;
                        needs[count_needs++] = (CoassignNeed) { .device = x, .kind = kind, .because = set[i],
                                                                .rule = rule };
                }
        }
        *ret = TAKE_PTR(set);
        *n = count;
        *ret_needs = TAKE_PTR(needs);
        *n_needs = count_needs;
        return 0;
}

bool coassign_idle(const Device *d) {
        return isempty(d->driver) || device_on_stub(d);
}

Device *coassign_group_blocker(const Inventory *inv, const Device *d, char *const *members) {
        for (char **p = d->iommu_group_members; p && *p; p++) {
                Device *x = inventory_find_bdf(inv, *p);
                if (x && !x->is_bridge && !pt_strv_contains(members, x->bdf) && !coassign_idle(x))
                        return x;
        }
        return NULL;
}

int coassign_first_unmet(const Inventory *inv, Device *const *devices, size_t n, char *const *members,
                         CoassignNeed *ret) {
        _cleanup_free_ Device **closure = NULL;
        _cleanup_free_ CoassignNeed *needs = NULL;
        size_t n_closure = 0, n_needs = 0;
        int r = coassign_closure(inv, devices, n, &closure, &n_closure, &needs, &n_needs);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_needs; i++) {
                if (pt_strv_contains(members, needs[i].device->bdf) || coassign_idle(needs[i].device))
                        continue;
                *ret = needs[i];
                return 1;
        }
        return 0;
}
