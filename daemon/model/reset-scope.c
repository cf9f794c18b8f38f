/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "reset-scope.h"

/* x sits somewhere below the bridge at bdf. */
static bool below(const Inventory *inv, const Device *x, const char *bridge) {
        const Device *p = x;
        for (int depth = 0; p && !isempty(p->parent_bridge) && depth < 32; depth++) {
                if (streq(p->parent_bridge, bridge))
                        return true;
                p = inventory_find_bdf(inv, p->parent_bridge);
        }
        return false;
}

/* The bridge's secondary bus can be reset by passthrud: a real bridge, and only endpoints below it (a reset
 * across another bridge would take its bus numbers and windows too, which only the kernel can restore). */
static bool secondary_bus_resettable(const Inventory *inv, const Device *d) {
        const Device *bridge = isempty(d->parent_bridge) ? NULL : inventory_find_bdf(inv, d->parent_bridge);
        if (!bridge || !bridge->is_bridge || !isempty(d->physical_function))
                return false;
        for (size_t i = 0; i < inv->n; i++) {
                const Device *x = inv->devices[i];
                if (x->is_bridge && below(inv, x, bridge->bdf))
                        return false;
        }
        return true;
}

void reset_facts_of(const Inventory *inv, const Device *d, ResetFacts *ret) {
        static char *none[] = { NULL };
        *ret = (ResetFacts) { .flr = d->flr, .af_flr = d->af_flr, .pm = d->has_pm,
                              .pm_no_soft_reset = d->pm_no_soft_reset, .is_vf = !isempty(d->physical_function),
                              .kernel_methods = !d->reset_method_listed ? NULL :
                                                d->reset_methods ? d->reset_methods : none,
                              .secondary_bus = secondary_bus_resettable(inv, d) };
        for (size_t i = 0; !isempty(d->parent_bridge) && i < inv->n && !ret->bus_shared; i++) {
                const Device *x = inv->devices[i];
                ret->bus_shared = x != d && streq(x->parent_bridge, d->parent_bridge);
        }
}

const char *reset_method_of(const Inventory *inv, const Device *d, char **why) {
        ResetFacts f;
        const char *method = NULL;
        reset_facts_of(inv, d, &f);
        if (reset_choose(&f, &method, why) < 0)
                return NULL;
        return method;
}

int reset_scope(const Inventory *inv, const Device *d, const char *method, Device ***ret, size_t *n) {
        Device **l = calloc(inv->n + 2, sizeof(Device *));
        size_t count = 0;
        if (!l)
                return -ENOMEM;
        l[count++] = (Device *) d;
        for (size_t i = 0; reset_method_is_bus(method) && i < inv->n; i++) {
                Device *x = inv->devices[i];
                if (x != d && !x->is_bridge && below(inv, x, d->parent_bridge))
                        l[count++] = x;
        }
        *ret = l;
        *n = count;
        return 0;
}

char *reset_scope_describe(const Device *d, const char *method, Device *const *scope, size_t n) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                return NULL;
        if (!reset_method_is_bus(method))
                fprintf(f, "%s (this function only)", method);
        else {
                fprintf(f, "%s of %s's secondary bus:", streq(method, "sbr") ? "bus reset (passthrud's)" :
                        "bus reset (the kernel's)", d->parent_bridge);
                /* In address order, consecutive functions of one slot as a range. */
                Device **sorted = calloc(n + 1, sizeof(Device *));
                if (!sorted) {
                        fclose(f);
                        free(text);
                        return NULL;
                }
                memcpy(sorted, scope, n * sizeof(Device *));
                for (size_t i = 1; i < n; i++)
                        for (size_t k = i; k > 0 && strcmp(sorted[k - 1]->bdf, sorted[k]->bdf) > 0; k--) {
                                Device *t = sorted[k];
                                sorted[k] = sorted[k - 1];
                                sorted[k - 1] = t;
                        }
                for (size_t i = 0; i < n;) {
                        size_t k = i;
                        while (k + 1 < n && sorted[k + 1]->address.bus == sorted[i]->address.bus &&
                               sorted[k + 1]->address.slot == sorted[i]->address.slot &&
                               sorted[k + 1]->address.function == sorted[k]->address.function + 1)
                                k++;
                        fprintf(f, "%s %s", i ? "," : "", sorted[i]->bdf);
                        if (k > i)
                                fprintf(f, "-%u", sorted[k]->address.function);
                        i = k + 1;
                }
                free(sorted);
        }
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}
