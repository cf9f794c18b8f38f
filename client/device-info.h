/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* A device as ptctl reads it from org.passthru1.Device properties. */
typedef struct DeviceInfo {
        char *address;
        uint16_t vendor_id, device_id, subsystem_vendor_id, subsystem_id;
        uint8_t revision, header_type;
        uint32_t class_code;
        char *vendor_name, *device_name, *subsystem_name, *class_name;
        bool multifunction, pcie, bridge;
        char *pcie_type;
        char *driver, *driver_override;
        int32_t iommu_group;
        char **iommu_group_members;
        char *parent_bridge;
        bool parent_conventional;
        bool flr, af_flr, pm, pm_no_soft_reset;
        char **reset_methods;
        char *reset_description;       /* from the daemon's ResetDescription (show only) */
        char *xen_domain;              /* XenDomain (show only) */
        uint32_t sriov_total_vfs, sriov_num_vfs;
        char **virtual_functions;
        char *physical_function;
        char *serial_number;
        bool acs_known;                /* the ACS properties were read (show only; not in GetInventory) */
        bool acs;
        uint16_t acs_capability, acs_control;
        bool off_bus;
        char *state, *guest, *assignment_problem;
        int32_t numa_node;             /* -1: none */
        char *vfio_group_node, *vfio_device_node;  /* "" when there is none */
} DeviceInfo;

void device_info_free(DeviceInfo *d);

/* Reads an a{sv} of Device properties at the message's current position. */
int device_info_read_properties(sd_bus_message *m, DeviceInfo *d);

/* Every device in one Manager.GetInventory2 round trip, sorted by address (the daemon sorts). */
int device_info_list(sd_bus *bus, DeviceInfo **ret, size_t *n, sd_bus_error *error);

/* One device by any address notation the daemon accepts. */
int device_info_get(sd_bus *bus, const char *address, DeviceInfo *ret, sd_bus_error *error);
