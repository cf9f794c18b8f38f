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
        free(d->path);
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
        pt_strv_free(d->virtual_functions);
        free(d->physical_function);
        free(d->serial_number);
        free(d->state);
        free(d->guest);
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
        F("SriovTotalVfs", T_U32, sriov_total_vfs),
        F("SriovNumVfs", T_U32, sriov_num_vfs),
        F("VirtualFunctions", T_STRV, virtual_functions),
        F("PhysicalFunction", T_STR, physical_function),
        F("SerialNumber", T_STR, serial_number),
        F("OffBus", T_BOOL, off_bus),
        F("State", T_STR, state),
        F("Guest", T_STR, guest),
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

static int cmp_info(const void *a, const void *b) {
        const DeviceInfo *x = a, *y = b;
        PtAddress pa = {}, pb = {};
        (void) pt_address_parse_bdf(strempty(x->address), &pa, NULL);
        (void) pt_address_parse_bdf(strempty(y->address), &pb, NULL);
        return pt_address_compare(&pa, &pb);
}

int device_info_list(sd_bus *bus, DeviceInfo **ret, size_t *n, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        DeviceInfo *list = NULL;
        size_t count = 0, allocated = 0;
        int r;

        r = sd_bus_call_method(bus, PT_BUS_NAME, PT_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", error, &reply, "");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                goto fail;
        while ((r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                const char *path;
                r = sd_bus_message_read(reply, "o", &path);
                if (r < 0)
                        goto fail;
                r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                if (r < 0)
                        goto fail;
                while ((r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                        const char *iface;
                        r = sd_bus_message_read(reply, "s", &iface);
                        if (r < 0)
                                goto fail;
                        if (streq(iface, PT_DEVICE_INTERFACE)) {
                                if (count == allocated) {
                                        allocated = allocated ? allocated * 2 : 64;
                                        DeviceInfo *grown = realloc(list, allocated * sizeof(DeviceInfo));
                                        if (!grown) {
                                                r = -ENOMEM;
                                                goto fail;
                                        }
                                        list = grown;
                                }
                                list[count] = (DeviceInfo) { .path = strdup(path) };
                                r = device_info_read_properties(reply, &list[count++]);
                        } else
                                r = sd_bus_message_skip(reply, "a{sv}");
                        if (r < 0)
                                goto fail;
                        r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                goto fail;
                }
                if (r < 0)
                        goto fail;
                if ((r = sd_bus_message_exit_container(reply)) < 0 || (r = sd_bus_message_exit_container(reply)) < 0)
                        goto fail;
        }
        if (r < 0)
                goto fail;
        if (count > 1)
                qsort(list, count, sizeof(DeviceInfo), cmp_info);
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
        *ret = (DeviceInfo) { .path = strdup(path) };
        r = device_info_read_properties(props, ret);
        if (r < 0)
                device_info_free(ret);
        return r;
}
