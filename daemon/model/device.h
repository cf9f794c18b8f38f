/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "passthru/pt-address.h"
#include "pci-access.h"

/* One PCI function as the host sees it now: identity, names, driver, topology and reset facts. */
typedef struct Device {
        PtAddress address;
        char bdf[PT_ADDRESS_STRLEN];
        char *object_path;

        uint16_t vendor_id, device_id, subsystem_vendor_id, subsystem_id;
        uint32_t class_code;
        uint8_t revision;
        char *vendor_name, *device_name, *subsystem_name, *class_name; /* "" when pci.ids does not know */

        uint8_t header_type;
        bool multifunction;
        bool is_pcie;
        const char *pcie_type;          /* "" for conventional PCI */
        bool is_bridge;                 /* header type 1 or 2, or a host bridge */

        char *driver;                   /* "" when unbound */
        char *driver_override;          /* "" when unset */

        int32_t iommu_group;            /* -1 without an IOMMU */
        char **iommu_group_members;     /* BDFs, itself included */

        char *parent_bridge;            /* "" on a root bus */
        bool parent_conventional;       /* the parent is a conventional PCI (or PCIe-to-PCI) bridge */

        bool flr, af_flr, has_pm, pm_no_soft_reset;
        char **reset_methods;           /* the kernel's reset_method list */
        bool reset_method_listed;       /* the kernel has the reset_method attribute (5.15 and later) */

        uint32_t sriov_total_vfs, sriov_num_vfs;
        char *physical_function;        /* "" unless a VF */
        char **virtual_functions;

        char *serial;                   /* "" without a Device Serial Number capability */
        bool has_acs;                   /* an ACS capability; whether a group split can be trusted rests on it */
        uint16_t acs_cap, acs_ctrl;     /* its capability and control registers (PT_ACS_* bits) */
        bool off_bus;                   /* config space reads all 0xff */
        char *modalias;                 /* the kernel's pci:v...d...sv...sd...bc..sc..i.. ("" when not known) */
        int32_t numa_node;              /* the kernel's numa_node: -1 when none */
        char *vfio_device;              /* "vfio3" (vfio-dev/ under the device, VFIO cdev, 6.6+) or "" */

} Device;

/* What a whole enumeration's loaders share, so that 4096 functions do not each read it again: each IOMMU
 * group's member list is read once. Safe to share between threads. */
typedef struct DeviceLoadGroup {
        int32_t group;
        char **members;         /* NULL: a free slot */
} DeviceLoadGroup;
typedef struct DeviceLoadCache {
        pthread_mutex_t lock;
        DeviceLoadGroup *slots;
        size_t n_slots, n_groups;
} DeviceLoadCache;
#define DEVICE_LOAD_CACHE_INIT { .lock = PTHREAD_MUTEX_INITIALIZER }
void device_load_cache_done(DeviceLoadCache *c);
/* For an enumeration's worker threads: reads what sysfs says, without the names (libpci is the caller's, from
 * one thread: device_load_names) or the parent's kind (device_take_parent_kind, once the parent is read). */
int device_load_cached(const char *sysfs_root, const PtAddress *address, DeviceLoadCache *cache, Device **ret);
int device_load_names(Device *d, PciAccess *pci);
void device_take_parent_kind(Device *d, const Device *parent);
/* The same from the parent bridge's config space, when it was not read with the rest. */
void device_read_parent_kind(const char *sysfs_root, Device *d);

/* Reads the device at address. With 'previous' (the same device, still answering), what only config space says
 * is taken from it instead of read again. */
int device_load(const char *sysfs_root, PciAccess *pci, const PtAddress *address, const Device *previous,
                Device **ret);
Device *device_free(Device *d);
static inline void device_freep(Device **d) {
        device_free(*d);
}

/* The device's uevent attribute, parsed. */
typedef struct DeviceUevent {
        bool parsed;
        bool has_id, has_subsys_id, has_class;
        uint16_t vendor_id, device_id, subsystem_vendor_id, subsystem_id;
        uint32_t class_code;
        const char *driver;             /* NULL when unbound */
        const char *modalias;           /* NULL when absent */
} DeviceUevent;
void device_uevent_parse(char *text, DeviceUevent *ret);

/* vfio-pci, pci-stub, pciback, or a VFIO variant driver. */
bool device_is_stub_driver(const char *driver);
/* vfio-pci or a VFIO variant driver (mlx5_vfio_pci, virtio_vfio_pci, ...): what gives a /dev/vfio node. */
bool device_is_vfio_driver(const char *driver);
/* The device nodes a VMM opens for it: "/dev/vfio/12" (its group's, while on a VFIO driver) and
 * "/dev/vfio/devices/vfio3" (iommufd's per-device node); "" when there is none. */
#define DEVICE_NODE_MAX 64
const char *device_vfio_group_node(const Device *d, char buf[static DEVICE_NODE_MAX]);
const char *device_vfio_device_node(const Device *d, char buf[static DEVICE_NODE_MAX]);
/* Bound to vfio-pci, pciback or pci-stub. */
bool device_on_stub(const Device *d);

/* Takes the fresh snapshot into 'd' (the old one goes to 'fresh', for the caller to free) and lists the D-Bus
 * properties that changed (NULL-terminated static strings with room for one more; free *ret_changed, not its
 * items). State is the model's to compare: it depends on records a Device does not carry. */
int device_update(Device *d, Device *fresh, const char ***ret_changed);

int device_object_path(const PtAddress *a, char **ret);
int device_address_from_path(const char *path, PtAddress *ret);
