/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What kind of host this is, which decides the stub driver: a Xen dom0 hides devices with pciback (Xen owns
 * the IOMMU, so there are no IOMMU groups and no VFIO), everything else with vfio-pci. */
typedef enum HostKind {
        HOST_BARE,     /* bare metal or a KVM host */
        HOST_XEN_DOM0,
        HOST_XEN_DOMU,
} HostKind;

HostKind host_detect(const char *sysfs_root, const char *proc_root);
const char *host_kind_to_string(HostKind k);
const char *host_stub_driver(HostKind k);
