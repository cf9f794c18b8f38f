/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
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

/* One enumeration's devices, read by several threads: the reads are system calls that wait on the kernel, not
 * on each other. Each worker takes the next index; results land in their slots, in scan order. */
typedef struct Enumeration {
        const char *sysfs_root;
        const PtAddress *addresses;
        size_t n;
        size_t next;
        Device **devices;
        int *results;
        DeviceLoadCache cache;
} Enumeration;

static void *enumerate_worker(void *userdata) {
        Enumeration *e = userdata;
        for (;;) {
                size_t i = __atomic_fetch_add(&e->next, 1, __ATOMIC_RELAXED);
                if (i >= e->n)
                        return NULL;
                e->results[i] = device_load_cached(e->sysfs_root, &e->addresses[i], &e->cache, &e->devices[i]);
        }
}

static unsigned enumeration_threads(size_t n) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        if (n < 256 || cpus <= 1)
                return 1;
        return cpus > 4 ? 4 : (unsigned) cpus;
}

int inventory_enumerate(Inventory *inv, const char *sysfs_root, PciAccess *pci) {
        _cleanup_free_ PtAddress *addrs = NULL;
        size_t n = 0;
        int r;

        r = pci_access_scan(pci, &addrs, &n);
        if (r < 0)
                return log_error_errno(r, "Failed to enumerate PCI devices under %s: %m", sysfs_root);
        inventory_done(inv);

        _cleanup_free_ Device **devices = calloc(n ?: 1, sizeof(Device *));
        _cleanup_free_ int *results = calloc(n ?: 1, sizeof(int));
        if (!devices || !results)
                return -ENOMEM;
        Enumeration e = { .sysfs_root = sysfs_root, .addresses = addrs, .n = n, .devices = devices,
                          .results = results, .cache = DEVICE_LOAD_CACHE_INIT };
        pthread_t threads[3];
        unsigned started = 0, want = enumeration_threads(n) - 1;
        for (; started < want; started++)
                if (pthread_create(&threads[started], NULL, enumerate_worker, &e) != 0)
                        break; /* fewer helpers: the rest is this thread's */
        enumerate_worker(&e);
        for (unsigned t = 0; t < started; t++)
                pthread_join(threads[t], NULL);
        device_load_cache_done(&e.cache);

        /* In scan order, so each parent bridge (on a lower bus) is in the inventory before what is below it. */
        for (size_t i = 0; i < n; i++) {
                Device *d = devices[i];
                if (results[i] == -ENODEV)
                        continue; /* gone between the scan and the load */
                if (results[i] < 0) {
                        char buf[PT_ADDRESS_STRLEN];
                        log_warning_errno(results[i], "Failed to read %s, skipping: %m",
                                          pt_address_format(&addrs[i], buf));
                        continue;
                }
                devices[i] = NULL;
                const Device *parent = isempty(d->parent_bridge) ? NULL : inventory_find_bdf(inv, d->parent_bridge);
                if (parent)
                        device_take_parent_kind(d, parent);
                else
                        device_read_parent_kind(sysfs_root, d);
                r = device_load_names(d, pci);
                if (r >= 0)
                        r = inventory_insert(inv, d);
                if (r < 0) {
                        device_free(d);
                        if (r != -EEXIST) {
                                for (size_t k = i + 1; k < n; k++)
                                        device_free(devices[k]);
                                return r;
                        }
                }
        }
        return 0;
}
