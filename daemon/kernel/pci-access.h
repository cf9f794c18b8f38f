/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "passthru/pt-address.h"
#include "pt-util.h"

/* libpci bound to one sysfs root: enumeration, config-space reads and pci.ids names. */
typedef struct PciAccess PciAccess;

int pci_access_new(const char *sysfs_root, const char *ids_file, bool use_hwdb, PciAccess **ret);
PciAccess *pci_access_free(PciAccess *a);
static inline void pci_access_freep(PciAccess **a) {
        pci_access_free(*a);
}

/* Every function the bus shows, sorted. */
int pci_access_scan(PciAccess *a, PtAddress **ret, size_t *n);

/* Names from pci.ids; each returns NULL when the database does not know the ID. */
char *pci_access_vendor_name(PciAccess *a, uint16_t vendor);
char *pci_access_device_name(PciAccess *a, uint16_t vendor, uint16_t device);
char *pci_access_subsystem_name(PciAccess *a, uint16_t vendor, uint16_t device, uint16_t subvendor,
                                uint16_t subdevice);
char *pci_access_class_name(PciAccess *a, uint32_t class_code);
/* Lets go of the names libpci read from pci.ids (a few MiB of heap, given back to the system); the next lookup
 * reads them again. For a daemon that names devices in bursts (start-up, hot-plug) and idles in between. */
void pci_access_drop_names(PciAccess *a);
