/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "coassign.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"

/* FLR and AF FLR reset one function; anything else reaches its siblings too. */
static bool function_resettable(const Device *d) {
        return d->flr || d->af_flr;
}

/* A bus reset is the only reset left: no FLR, no AF FLR, no effective PM reset. */
static bool only_bus_reset(const Device *d) {
        if (d->flr || d->af_flr || (d->has_pm && !d->pm_no_soft_reset))
                return false;
        for (char **m = d->reset_methods; m && *m; m++)
                if (!streq(*m, "bus"))
                        return false;
        return pt_strv_length(d->reset_methods) > 0;
}

static bool same_slot(const Device *a, const Device *b) {
        return a->address.domain == b->address.domain && a->address.bus == b->address.bus &&
               a->address.slot == b->address.slot;
}

/* Why x must go with d, or NULL; the most telling reason first (a conventional bridge is also why its devices
 * share an IOMMU group). */
static const char *rule_for(const Device *d, const Device *x, CoassignRule *kind) {
        if (d->parent_conventional && !isempty(d->parent_bridge) && streq(d->parent_bridge, x->parent_bridge)) {
                *kind = COASSIGN_CONVENTIONAL_BRIDGE;
                return "behind the same conventional PCI bridge";
        }
        if (same_slot(d, x) && (d->multifunction || x->multifunction) &&
            (!function_resettable(d) || !function_resettable(x))) {
                *kind = COASSIGN_MULTIFUNCTION;
                return "another function of the same device, which cannot be reset on its own";
        }
        if (d->iommu_group >= 0 && x->iommu_group == d->iommu_group) {
                *kind = COASSIGN_SAME_GROUP;
                return "same IOMMU group";
        }
        if (!isempty(d->parent_bridge) && streq(d->parent_bridge, x->parent_bridge) && isempty(d->physical_function) &&
            (only_bus_reset(d) || only_bus_reset(x))) {
                *kind = COASSIGN_BUS_RESET;
                return "on the same bus, which only a bus reset can reset";
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
        for (size_t i = 0; i < count; i++)
                for (size_t k = 0; k < inv->n; k++) {
                        Device *x = inv->devices[k];
                        if (x->is_bridge || contains(set, count, x))
                                continue;
                        CoassignRule kind;
                        const char *rule = rule_for(set[i], x, &kind);
                        if (!rule)
                                continue;
                        set[count++] = x;
                        needs[count_needs++] = (CoassignNeed) { .device = x, .kind = kind, .because = set[i],
                                                                .rule = rule };
                }
        *ret = TAKE_PTR(set);
        *n = count;
        *ret_needs = TAKE_PTR(needs);
        *n_needs = count_needs;
        return 0;
}

static bool idle_on_host_side(const Device *d) {
        return isempty(d->driver) || device_on_stub(d);
}

Device *coassign_group_blocker(const Inventory *inv, const Device *d, char *const *members) {
        for (char **p = d->iommu_group_members; p && *p; p++) {
                Device *x = inventory_find_bdf(inv, *p);
                if (x && !x->is_bridge && !pt_strv_contains(members, x->bdf) && !idle_on_host_side(x))
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
                if (pt_strv_contains(members, needs[i].device->bdf) ||
                    (needs[i].kind == COASSIGN_SAME_GROUP && idle_on_host_side(needs[i].device)))
                        continue;
                *ret = needs[i];
                return 1;
        }
        return 0;
}
