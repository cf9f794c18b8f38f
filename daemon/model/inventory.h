/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "device.h"

/* Every PCI function present, sorted by address, so lookups are a binary search even with thousands. */
typedef struct Inventory {
        Device **devices;
        size_t n, allocated;
} Inventory;

void inventory_done(Inventory *inv);
Device *inventory_find(const Inventory *inv, const PtAddress *a);
/* By full BDF (as records and sysfs write it); NULL when absent or not a BDF. */
Device *inventory_find_bdf(const Inventory *inv, const char *bdf);
int inventory_insert(Inventory *inv, Device *d); /* takes ownership; -EEXIST if present */
Device *inventory_take(Inventory *inv, const PtAddress *a);

/* Full enumeration through libpci; replaces the contents. */
int inventory_enumerate(Inventory *inv, const char *sysfs_root, PciAccess *pci);
