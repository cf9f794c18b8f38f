/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "log.h"
#include "passthru/pt-macros.h"

void inventory_done(Inventory *inv) {
        for (size_t i = 0; i < inv->n; i++)
                device_free(inv->devices[i]);
        free(inv->devices);
        *inv = (Inventory) {};
}

/* Index of a, or of where it would go. */
static size_t lower_bound(const Inventory *inv, const PtAddress *a, bool *found) {
        size_t lo = 0, hi = inv->n;
        uint64_t key = pt_address_key(a);
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (pt_address_key(&inv->devices[mid]->address) < key)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = lo < inv->n && pt_address_key(&inv->devices[lo]->address) == key;
        return lo;
}

Device *inventory_find(const Inventory *inv, const PtAddress *a) {
        bool found;
        size_t i = lower_bound(inv, a, &found);
        return found ? inv->devices[i] : NULL;
}

Device *inventory_find_bdf(const Inventory *inv, const char *bdf) {
        PtAddress a;
        return pt_address_parse_bdf(bdf, &a, NULL) >= 0 ? inventory_find(inv, &a) : NULL;
}

int inventory_insert(Inventory *inv, Device *d) {
        bool found;
        size_t i = lower_bound(inv, &d->address, &found);
        if (found)
                return -EEXIST;
        if (inv->n == inv->allocated) {
                size_t want = inv->allocated ? inv->allocated * 2 : 64;
                Device **grown = realloc(inv->devices, want * sizeof(Device *));
                if (!grown)
                        return -ENOMEM;
                inv->devices = grown;
                inv->allocated = want;
        }
        memmove(inv->devices + i + 1, inv->devices + i, (inv->n - i) * sizeof(Device *));
        inv->devices[i] = d;
        inv->n++;
        return 0;
}

Device *inventory_take(Inventory *inv, const PtAddress *a) {
        bool found;
        size_t i = lower_bound(inv, a, &found);
        if (!found)
                return NULL;
        Device *d = inv->devices[i];
        memmove(inv->devices + i, inv->devices + i + 1, (inv->n - i - 1) * sizeof(Device *));
        inv->n--;
        return d;
}

/* A parent bridge read earlier in this enumeration (bridges have lower bus numbers than what is below them). */
static const Device *find_loaded(void *userdata, const char *bdf) {
        return inventory_find_bdf(userdata, bdf);
}

int inventory_enumerate(Inventory *inv, const char *sysfs_root, PciAccess *pci) {
        _cleanup_free_ PtAddress *addrs = NULL;
        size_t n = 0;
        int r;

        r = pci_access_scan(pci, &addrs, &n);
        if (r < 0)
                return log_error_errno(r, "Failed to enumerate PCI devices under %s: %m", sysfs_root);
        inventory_done(inv);
        DeviceLoadCache cache = { .find = find_loaded, .userdata = inv };
        for (size_t i = 0; i < n; i++) {
                Device *d;
                r = device_load_cached(sysfs_root, pci, &addrs[i], &cache, &d);
                if (r == -ENODEV)
                        continue; /* gone between the scan and the load */
                if (r < 0) {
                        char buf[PT_ADDRESS_STRLEN];
                        log_warning_errno(r, "Failed to read %s, skipping: %m", pt_address_format(&addrs[i], buf));
                        continue;
                }
                r = inventory_insert(inv, d);
                if (r < 0) {
                        device_free(d);
                        if (r != -EEXIST) {
                                device_load_cache_done(&cache);
                                return r;
                        }
                }
        }
        device_load_cache_done(&cache);
        return 0;
}
