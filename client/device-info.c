/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device-info.h"
#include "passthru/pt-address.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"

void device_info_free(DeviceInfo *d) {
        free(d->address);
        free(d->vendor_name);
        free(d->device_name);
        free(d->subsystem_name);
        free(d->class_name);
        free(d->pcie_type);
        free(d->driver);
        free(d->driver_override);
        pt_strv_free(d->iommu_group_members);
        free(d->parent_bridge);
        pt_strv_free(d->reset_methods);
        free(d->reset_description);
        free(d->xen_domain);
        pt_strv_free(d->virtual_functions);
        free(d->physical_function);
        free(d->serial_number);
        free(d->state);
        free(d->guest);
        free(d->assignment_problem);
        free(d->vfio_group_node);
        free(d->vfio_device_node);
        *d = (DeviceInfo) {};
}

typedef enum { T_STR, T_STRV, T_U16, T_U8, T_U32, T_I32, T_BOOL } FieldType;

static const struct {
        const char *name;
        FieldType type;
        size_t offset;
} fields[] = {
#define F(n, t, f) { n, t, offsetof(DeviceInfo, f) }
        F("Address", T_STR, address),
        F("VendorId", T_U16, vendor_id),
        F("DeviceId", T_U16, device_id),
        F("SubsystemVendorId", T_U16, subsystem_vendor_id),
        F("SubsystemId", T_U16, subsystem_id),
        F("Revision", T_U8, revision),
        F("Class", T_U32, class_code),
        F("VendorName", T_STR, vendor_name),
        F("DeviceName", T_STR, device_name),
        F("SubsystemName", T_STR, subsystem_name),
        F("ClassName", T_STR, class_name),
        F("HeaderType", T_U8, header_type),
        F("Multifunction", T_BOOL, multifunction),
        F("Pcie", T_BOOL, pcie),
        F("PcieType", T_STR, pcie_type),
        F("Bridge", T_BOOL, bridge),
        F("Driver", T_STR, driver),
        F("DriverOverride", T_STR, driver_override),
        F("IommuGroup", T_I32, iommu_group),
        F("IommuGroupMembers", T_STRV, iommu_group_members),
        F("ParentBridge", T_STR, parent_bridge),
        F("ParentConventional", T_BOOL, parent_conventional),
        F("Flr", T_BOOL, flr),
        F("AfFlr", T_BOOL, af_flr),
        F("Pm", T_BOOL, pm),
        F("PmNoSoftReset", T_BOOL, pm_no_soft_reset),
        F("ResetMethods", T_STRV, reset_methods),
        F("ResetDescription", T_STR, reset_description),
        F("XenDomain", T_STR, xen_domain),
        F("SriovTotalVfs", T_U32, sriov_total_vfs),
        F("SriovNumVfs", T_U32, sriov_num_vfs),
        F("VirtualFunctions", T_STRV, virtual_functions),
        F("PhysicalFunction", T_STR, physical_function),
        F("SerialNumber", T_STR, serial_number),
        F("Acs", T_BOOL, acs),
        F("AcsCapability", T_U16, acs_capability),
        F("AcsControl", T_U16, acs_control),
        F("OffBus", T_BOOL, off_bus),
        F("State", T_STR, state),
        F("Guest", T_STR, guest),
        F("AssignmentProblem", T_STR, assignment_problem),
        F("NumaNode", T_I32, numa_node),
        F("VfioGroupNode", T_STR, vfio_group_node),
        F("VfioDeviceNode", T_STR, vfio_device_node),
#undef F
};

static const char *signature_of(FieldType t) {
        switch (t) {
        case T_STR: return "s";
        case T_STRV: return "as";
        case T_U16: return "q";
        case T_U8: return "y";
        case T_U32: return "u";
        case T_I32: return "i";
        case T_BOOL: return "b";
        }
        return "";
}

static int read_field(sd_bus_message *m, FieldType t, void *p) {
        int r, b;
        const char *s;
        switch (t) {
        case T_STR:
                r = sd_bus_message_read(m, "s", &s);
                if (r < 0)
                        return r;
                free(*(char **) p);
                *(char **) p = strdup(s);
                return *(char **) p ? 0 : -ENOMEM;
        case T_STRV:
                pt_strv_free(*(char ***) p);
                *(char ***) p = NULL;
                return sd_bus_message_read_strv(m, (char ***) p);
        case T_U16: return sd_bus_message_read(m, "q", p);
        case T_U8: return sd_bus_message_read(m, "y", p);
        case T_U32: return sd_bus_message_read(m, "u", p);
        case T_I32: return sd_bus_message_read(m, "i", p);
        case T_BOOL:
                r = sd_bus_message_read(m, "b", &b);
                if (r >= 0)
                        *(bool *) p = b;
                return r;
        }
        return -EINVAL;
}

int device_info_read_properties(sd_bus_message *m, DeviceInfo *d) {
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *contents;
                bool known = false;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, NULL, &contents);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                        if (!streq(fields[i].name, name) || !streq(contents, signature_of(fields[i].type)))
                                continue;
                        r = sd_bus_message_enter_container(m, 'v', contents);
                        if (r < 0)
                                return r;
                        r = read_field(m, fields[i].type, (char *) d + fields[i].offset);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                        known = true;
                        if (streq(name, "Acs"))
                                d->acs_known = true;
                        break;
                }
                /* Properties added by a newer daemon are skipped, not fatal. */
                if (!known && (r = sd_bus_message_skip(m, "v")) < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_string(sd_bus_message *m, char **ret) {
        const char *s;
        int r = sd_bus_message_read_basic(m, 's', &s);
        if (r < 0)
                return r;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* One PT_INVENTORY2_ENTRY_SIGNATURE struct, the field order documented in dbus/org.passthru1.xml. */
static int read_inventory_entry(sd_bus_message *m, DeviceInfo *d) {
        const char *address, *vendor_name, *device_name, *subsystem_name, *class_name, *pcie_type, *driver, *override;
        int mf, pcie, bridge, conv, flr, af_flr, pm, nsr, off_bus;
        int r;

        r = sd_bus_message_enter_container(m, 'r', PT_INVENTORY2_ENTRY_SIGNATURE_INNER);
        if (r <= 0)
                return r;
        r = sd_bus_message_read(m, "sqqqqyussssybbsbssi", &address, &d->vendor_id, &d->device_id,
                                &d->subsystem_vendor_id, &d->subsystem_id, &d->revision, &d->class_code, &vendor_name,
                                &device_name, &subsystem_name, &class_name, &d->header_type, &mf, &pcie, &pcie_type,
                                &bridge, &driver, &override, &d->iommu_group);
        if (r < 0)
                return r;
        d->address = strdup(address);
        d->vendor_name = strdup(vendor_name);
        d->device_name = strdup(device_name);
        d->subsystem_name = strdup(subsystem_name);
        d->class_name = strdup(class_name);
        d->pcie_type = strdup(pcie_type);
        d->driver = strdup(driver);
        d->driver_override = strdup(override);
        d->multifunction = mf;
        d->pcie = pcie;
        d->bridge = bridge;
        if ((r = read_string(m, &d->parent_bridge)) < 0 ||
            (r = sd_bus_message_read(m, "bbbbb", &conv, &flr, &af_flr, &pm, &nsr)) < 0 ||
            (r = sd_bus_message_read_strv(m, &d->reset_methods)) < 0 ||
            (r = sd_bus_message_read(m, "uu", &d->sriov_total_vfs, &d->sriov_num_vfs)) < 0 ||
            (r = read_string(m, &d->physical_function)) < 0 || (r = read_string(m, &d->serial_number)) < 0 ||
            (r = sd_bus_message_read(m, "b", &off_bus)) < 0 || (r = read_string(m, &d->state)) < 0 ||
            (r = read_string(m, &d->guest)) < 0 || (r = read_string(m, &d->assignment_problem)) < 0 ||
            (r = sd_bus_message_read(m, "i", &d->numa_node)) < 0 || (r = read_string(m, &d->vfio_group_node)) < 0 ||
            (r = read_string(m, &d->vfio_device_node)) < 0)
                return r;
        d->parent_conventional = conv;
        d->flr = flr;
        d->af_flr = af_flr;
        d->pm = pm;
        d->pm_no_soft_reset = nsr;
        d->off_bus = off_bus;
        if (!d->address || !d->vendor_name || !d->device_name || !d->subsystem_name || !d->class_name ||
            !d->pcie_type || !d->driver || !d->driver_override)
                return -ENOMEM;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 1;
}

static int cmp_by_group(const void *a, const void *b) {
        const DeviceInfo *x = *(DeviceInfo * const *) a, *y = *(DeviceInfo * const *) b;
        return x->iommu_group < y->iommu_group ? -1 : x->iommu_group > y->iommu_group;
}

/* IommuGroupMembers and VirtualFunctions, rebuilt from the list the way the daemon would report them. */
static int derive_lists(DeviceInfo *list, size_t n) {
        _cleanup_free_ DeviceInfo **by_group = calloc(n ? n : 1, sizeof(DeviceInfo *));
        if (!by_group)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                by_group[i] = &list[i];
        /* Stable enough: qsort may reorder equal groups, so members are sorted by address below. */
        qsort(by_group, n, sizeof(DeviceInfo *), cmp_by_group);
        for (size_t i = 0; i < n;) {
                size_t end = i;
                while (end < n && by_group[end]->iommu_group == by_group[i]->iommu_group)
                        end++;
                for (size_t k = i; k < end; k++) {
                        DeviceInfo *d = by_group[k];
                        d->iommu_group_members = calloc(by_group[i]->iommu_group >= 0 ? end - i + 1 : 1, sizeof(char *));
                        if (!d->iommu_group_members)
                                return -ENOMEM;
                        if (d->iommu_group < 0)
                                continue;
                        for (size_t m = i; m < end; m++) {
                                d->iommu_group_members[m - i] = strdup(by_group[m]->address);
                                if (!d->iommu_group_members[m - i])
                                        return -ENOMEM;
                        }
                        pt_strv_sort(d->iommu_group_members);
                }
                i = end;
        }
        for (size_t i = 0; i < n; i++)
                if (!list[i].virtual_functions && !(list[i].virtual_functions = calloc(1, sizeof(char *))))
                        return -ENOMEM;
        /* The list is sorted by address, so each PF's VFs come out sorted too. */
        for (size_t i = 0; i < n; i++) {
                if (isempty(list[i].physical_function))
                        continue;
                for (size_t k = 0; k < n; k++)
                        if (streq(list[k].address, list[i].physical_function)) {
                                if (pt_strv_push(&list[k].virtual_functions, strdup(list[i].address)) < 0)
                                        return -ENOMEM;
                                break;
                        }
        }
        return 0;
}

int device_info_list(sd_bus *bus, DeviceInfo **ret, size_t *n, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        DeviceInfo *list = NULL;
        size_t count = 0, allocated = 0;
        int r;

        /* One compact reply: at thousands of devices, a{sv} dictionaries cost more than everything else. */
        r = sd_bus_call_method(bus, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "GetInventory2", error, &reply,
                               "");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', PT_INVENTORY2_ENTRY_SIGNATURE);
        if (r < 0)
                return r;
        for (;;) {
                if (count == allocated) {
                        allocated = allocated ? allocated * 2 : 256;
                        DeviceInfo *grown = realloc(list, allocated * sizeof(DeviceInfo));
                        if (!grown) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        list = grown;
                }
                list[count] = (DeviceInfo) {};
                r = read_inventory_entry(reply, &list[count]);
                if (r < 0) {
                        count++;
                        goto fail;
                }
                if (r == 0)
                        break;
                count++;
        }
        r = derive_lists(list, count);
        if (r < 0)
                goto fail;
        *ret = list;
        *n = count;
        return 0;
fail:
        for (size_t i = 0; i < count; i++)
                device_info_free(&list[i]);
        free(list);
        return r;
}

int device_info_get(sd_bus *bus, const char *address, DeviceInfo *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *props = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(bus, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "GetDevice", error, &reply,
                               "s", address);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, PT_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll", error, &props,
                               "s", PT_DEVICE_INTERFACE);
        if (r < 0)
                return r;
        *ret = (DeviceInfo) { .numa_node = -1 };
        r = device_info_read_properties(props, ret);
        if (r < 0)
                device_info_free(ret);
        return r;
}
