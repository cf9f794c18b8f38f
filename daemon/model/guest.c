/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "guest.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"

static int cmp_index(const void *x, const void *y, void *userdata) {
        const Assignments *as = userdata;
        return strcmp(as->items[*(const size_t *) x].stored.address, as->items[*(const size_t *) y].stored.address);
}

/* After any change to items: the address index again (a host may have a thousand guests, looked up per call). */
static int reindex(Assignments *as) {
        size_t *idx = realloc(as->by_address, (as->n ? as->n : 1) * sizeof(size_t));
        if (!idx)
                return -ENOMEM;
        as->by_address = idx;
        for (size_t i = 0; i < as->n; i++)
                idx[i] = i;
        qsort_r(idx, as->n, sizeof(size_t), cmp_index, as);
        return 0;
}

void assignments_done(Assignments *as) {
        for (size_t i = 0; i < as->n; i++) {
                stored_assignment_done(&as->items[i].stored);
                free(as->items[i].problem);
        }
        free(as->items);
        free(as->by_address);
        *as = (Assignments) {};
}

int assignments_load(Assignments *as, Store *store) {
        StoredAssignment *list = NULL;
        size_t n = 0;
        int r = store_load(store, &list, &n);
        if (r < 0)
                return r;
        assignments_done(as);
        as->items = calloc(n ? n : 1, sizeof(Assignment));
        if (!as->items) {
                for (size_t i = 0; i < n; i++)
                        stored_assignment_done(&list[i]);
                free(list);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                as->items[i].stored = list[i]; /* takes ownership */
        as->n = n;
        free(list);
        return reindex(as);
}

Assignment *assignments_find(const Assignments *as, const char *bdf) {
        size_t lo = 0, hi = as->by_address ? as->n : 0;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                Assignment *a = &as->items[as->by_address[mid]];
                int c = strcmp(a->stored.address, bdf);
                if (c == 0)
                        return a;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

bool assignments_has_guest(const Assignments *as, const char *guest) {
        for (size_t i = 0; i < as->n; i++)
                if (streq(as->items[i].stored.guest, guest))
                        return true;
        return false;
}

char **assignments_guests(const Assignments *as) {
        char **l = calloc(1, sizeof(char *));
        for (size_t i = 0; l && i < as->n; i++)
                if (!pt_strv_contains(l, as->items[i].stored.guest) &&
                    pt_strv_push(&l, strdup(as->items[i].stored.guest)) < 0)
                        return NULL;
        pt_strv_sort(l);
        return l;
}

char **assignments_devices_of(const Assignments *as, const char *guest) {
        char **l = calloc(1, sizeof(char *));
        for (size_t i = 0; l && i < as->n; i++)
                if (streq(as->items[i].stored.guest, guest) && pt_strv_push(&l, strdup(as->items[i].stored.address)) < 0)
                        return NULL;
        pt_strv_sort(l);
        return l;
}

int assignments_numa_nodes(const Assignments *as, const Inventory *inv, const char *guest, int32_t **ret,
                           size_t *ret_n) {
        int32_t *nodes = NULL;
        size_t n = 0;
        for (size_t i = 0; i < as->n; i++) {
                if (!streq(as->items[i].stored.guest, guest))
                        continue;
                const Device *d = inventory_find_bdf(inv, as->items[i].stored.address);
                if (!d || d->numa_node < 0)
                        continue;
                size_t k = 0;
                while (k < n && nodes[k] < d->numa_node)
                        k++;
                if (k < n && nodes[k] == d->numa_node)
                        continue;
                int32_t *grown = realloc(nodes, (n + 1) * sizeof(int32_t));
                if (!grown) {
                        free(nodes);
                        return -ENOMEM;
                }
                nodes = grown;
                memmove(nodes + k + 1, nodes + k, (n - k) * sizeof(int32_t));
                nodes[k] = d->numa_node;
                n++;
        }
        *ret = nodes;
        *ret_n = n;
        return 0;
}

int assignments_add(Assignments *as, const StoredAssignment *a) {
        Assignment *grown = realloc(as->items, (as->n + 1) * sizeof(Assignment));
        if (!grown)
                return -ENOMEM;
        as->items = grown;
        /* Kept sorted by guest, then address, as the database returns them. */
        size_t at = 0;
        while (at < as->n) {
                int c = strcmp(as->items[at].stored.guest, a->guest);
                if (c > 0 || (c == 0 && strcmp(as->items[at].stored.address, a->address) > 0))
                        break;
                at++;
        }
        memmove(&as->items[at + 1], &as->items[at], (as->n - at) * sizeof(Assignment));
        Assignment *x = &as->items[at];
        *x = (Assignment) { .stored = *a };
        x->stored.guest = strdup(a->guest);
        x->stored.identity.serial = strdup(strempty(a->identity.serial));
        x->stored.options = strdup(strempty(a->options));
        x->stored.driver = strdup(strempty(a->driver));
        x->stored.reset_policy = strdup(a->reset_policy ? a->reset_policy : "strict");
        if (!x->stored.guest || !x->stored.identity.serial || !x->stored.options || !x->stored.driver ||
            !x->stored.reset_policy) {
                stored_assignment_done(&x->stored);
                memmove(&as->items[at], &as->items[at + 1], (as->n - at) * sizeof(Assignment));
                return -ENOMEM;
        }
        as->n++;
        return reindex(as);
}

void assignments_remove(Assignments *as, const char *bdf) {
        for (size_t i = 0; i < as->n; i++)
                if (streq(as->items[i].stored.address, bdf)) {
                        stored_assignment_done(&as->items[i].stored);
                        free(as->items[i].problem);
                        memmove(&as->items[i], &as->items[i + 1], (as->n - i - 1) * sizeof(Assignment));
                        as->n--;
                        (void) reindex(as); /* shrinking: the index array is big enough */
                        return;
                }
}

void stored_identity_from_device(StoredIdentity *id, const Device *d) {
        *id = (StoredIdentity) { .vendor_id = d->vendor_id, .device_id = d->device_id,
                                 .subsystem_vendor_id = d->subsystem_vendor_id, .subsystem_id = d->subsystem_id,
                                 .class_code = d->class_code, .serial = d->serial };
}

bool assignment_check_identity(Assignment *a, const Device *d) {
        const StoredIdentity *id = &a->stored.identity;
        char *problem = NULL;

        if (!d) {
                if (asprintf(&problem, "missing: no device at %s", a->stored.address) < 0)
                        problem = NULL;
        } else if (d->vendor_id != id->vendor_id || d->device_id != id->device_id ||
                   d->subsystem_vendor_id != id->subsystem_vendor_id || d->subsystem_id != id->subsystem_id ||
                   d->class_code != id->class_code) {
                if (asprintf(&problem, "mismatched: %s now holds %04x:%04x (subsystem %04x:%04x, class %06x); "
                             "recorded %04x:%04x (subsystem %04x:%04x, class %06x)", a->stored.address,
                             d->vendor_id, d->device_id, d->subsystem_vendor_id, d->subsystem_id, d->class_code,
                             id->vendor_id, id->device_id, id->subsystem_vendor_id, id->subsystem_id,
                             id->class_code) < 0)
                        problem = NULL;
        } else if (!isempty(id->serial) && !isempty(d->serial) && !streq(id->serial, d->serial)) {
                if (asprintf(&problem, "mismatched: %s now has serial number %s; recorded %s", a->stored.address,
                             d->serial, id->serial) < 0)
                        problem = NULL;
        }
        bool changed = !streq_ptr(problem, a->problem);
        free(a->problem);
        a->problem = problem;
        return changed;
}

bool guest_name_valid(const char *name) {
        size_t n = name ? strlen(name) : 0;
        if (n < 1 || n > 64 || name[0] == '.' || name[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '.' || c == '-'))
                        return false;
        }
        return true;
}

int guest_object_path(const char *name, char **ret) {
        return sd_bus_path_encode(PT_GUEST_PATH_PREFIX, name, ret);
}
