/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* What passthrud asks Xen's toolstack in a dom0, through xl (the one tool every Xen host has; libxl would tie
 * passthrud to one Xen release's ABI, libxenctrl to its hypercall ABI). Every call gets a time limit: an xl that
 * hangs (no xenstored yet) costs that long and no more. */

/* Runs "xl ARGS..." for at most timeout_usec; returns its exit status (0-255), or a negative errno when it could
 * not be run (-ENOENT: no xl) or timed out (-ETIMEDOUT). What it printed goes to ret_out and ret_err (either
 * may be NULL). */
int xen_xl(const char *xl, const char *const *args, uint64_t timeout_usec, char **ret_out, char **ret_err);

typedef struct XenInfo {
        int iommu;              /* 1: virt_caps lists directio (an IOMMU), 0: it does not */
        unsigned major, minor;  /* xen_major, xen_minor */
} XenInfo;
/* xl info: -ENODATA when it answered without the facts (no xenstored), or xen_xl()'s error. */
int xen_info(const char *xl, uint64_t timeout_usec, XenInfo *ret);

/* Xen's own ownership of a device next to the driver binding: "xl pci-assignable-add" on a device already on
 * pciback quarantines it (assigns it to DOMID_IO, ready for a domU); "xl pci-assignable-remove" takes it out of
 * quarantine (and off pciback) so dom0's driver can do DMA again. On failure *ret_why (malloc'd) says what xl
 * said. */
int xen_quarantine(const char *xl, const char *bdf, uint64_t timeout_usec, char **ret_why);
int xen_dequarantine(const char *xl, const char *bdf, uint64_t timeout_usec, char **ret_why);
/* The Xen domain (by name) that has the device assigned, from xl list and xl pci-list: 1 and *ret_domain, 0 when
 * no domU has it, or a negative errno. */
int xen_device_domain(const char *xl, const char *bdf, uint64_t timeout_usec, char **ret_domain);
