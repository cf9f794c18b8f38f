/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-device.h"
#include "bus-error.h"
#include "log.h"
#include "reset-scope.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "planning.h"

/* The fallback vtable's object is the Bus; each getter finds its device by path (a binary search), so every
 * property is read from the one place that has it. */
static const Device *device_from_path(const Bus *b, const char *path) {
        PtAddress a;
        if (device_address_from_path(path, &a) < 0)
                return NULL;
        return inventory_find(&b->model->inventory, &a);
}

#define GETTER(name, sig, expr)                                                                                \
        static int property_get_##name(sd_bus *bus, const char *path, const char *interface,                  \
                                       const char *property, sd_bus_message *reply, void *userdata,            \
                                       sd_bus_error *error) {                                                  \
                Bus *b = userdata;                                                                             \
                const Device *d = device_from_path(b, path);                                                   \
                if (!d)                                                                                        \
                        return -ENOENT;                                                                        \
                return sd_bus_message_append(reply, sig, (expr));                                              \
        }

#define STRV_GETTER(name, field)                                                                               \
        static int property_get_##name(sd_bus *bus, const char *path, const char *interface,                  \
                                       const char *property, sd_bus_message *reply, void *userdata,            \
                                       sd_bus_error *error) {                                                  \
                const Device *d = device_from_path(userdata, path);                                            \
                if (!d)                                                                                        \
                        return -ENOENT;                                                                        \
                return sd_bus_message_append_strv(reply, d->field);                                            \
        }

GETTER(address, "s", d->bdf)
GETTER(vendor_id, "q", d->vendor_id)
GETTER(device_id, "q", d->device_id)
GETTER(subsystem_vendor_id, "q", d->subsystem_vendor_id)
GETTER(subsystem_id, "q", d->subsystem_id)
GETTER(revision, "y", d->revision)
GETTER(class, "u", d->class_code)
GETTER(vendor_name, "s", d->vendor_name)
GETTER(device_name, "s", d->device_name)
GETTER(subsystem_name, "s", d->subsystem_name)
GETTER(class_name, "s", d->class_name)
GETTER(header_type, "y", d->header_type)
GETTER(multifunction, "b", (int) d->multifunction)
GETTER(pcie, "b", (int) d->is_pcie)
GETTER(pcie_type, "s", d->pcie_type)
GETTER(bridge, "b", (int) d->is_bridge)
GETTER(driver, "s", d->driver)
GETTER(driver_override, "s", d->driver_override)
GETTER(iommu_group, "i", d->iommu_group)
STRV_GETTER(iommu_group_members, iommu_group_members)
GETTER(parent_bridge, "s", d->parent_bridge)
GETTER(parent_conventional, "b", (int) d->parent_conventional)
GETTER(flr, "b", (int) d->flr)
GETTER(af_flr, "b", (int) d->af_flr)
GETTER(pm, "b", (int) d->has_pm)
GETTER(pm_no_soft_reset, "b", (int) d->pm_no_soft_reset)
STRV_GETTER(reset_methods, reset_methods)
GETTER(sriov_total_vfs, "u", d->sriov_total_vfs)
GETTER(sriov_num_vfs, "u", d->sriov_num_vfs)
STRV_GETTER(virtual_functions, virtual_functions)
GETTER(physical_function, "s", d->physical_function)
GETTER(serial_number, "s", d->serial)
GETTER(acs, "b", (int) d->has_acs)
GETTER(acs_capability, "q", d->acs_cap)
GETTER(acs_control, "q", d->acs_ctrl)
GETTER(off_bus, "b", (int) d->off_bus)
GETTER(numa_node, "i", d->numa_node)
GETTER(vfio_group_node, "s", device_vfio_group_node(d, (char[DEVICE_NODE_MAX]) {}))
GETTER(vfio_device_node, "s", device_vfio_device_node(d, (char[DEVICE_NODE_MAX]) {}))
GETTER(state, "s", model_device_state(b->model, d))
GETTER(guest, "s", strempty(model_device_guest(b->model, d->bdf)))
GETTER(xen_domain, "s", strempty(model_device_xen_domain(b->model, d->bdf)))
GETTER(assignment_problem, "s", strempty(model_device_problem(b->model, d->bdf)))

/* The reset d would get and what it reaches (reset-scope.h). */
static int property_get_reset_method(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        const Device *d = device_from_path(b, path);
        _cleanup_free_ char *why = NULL;
        if (!d)
                return -ENOENT;
        return sd_bus_message_append(reply, "s", strempty(reset_method_of(&b->model->inventory, d, &why)));
}

static int property_get_reset_scope(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        const Device *d = device_from_path(b, path);
        _cleanup_free_ char *why = NULL;
        _cleanup_free_ Device **scope = NULL;
        size_t n = 0;
        if (!d)
                return -ENOENT;
        const char *method = reset_method_of(&b->model->inventory, d, &why);
        int r = method ? reset_scope(&b->model->inventory, d, method, &scope, &n) : 0;
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append_basic(reply, 's', scope[i]->bdf);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int property_get_reset_description(sd_bus *bus, const char *path, const char *interface,
                                          const char *property, sd_bus_message *reply, void *userdata,
                                          sd_bus_error *error) {
        Bus *b = userdata;
        const Device *d = device_from_path(b, path);
        _cleanup_free_ char *why = NULL, *text = NULL;
        _cleanup_free_ Device **scope = NULL;
        size_t n = 0;
        if (!d)
                return -ENOENT;
        const char *method = reset_method_of(&b->model->inventory, d, &why);
        if (method && reset_scope(&b->model->inventory, d, method, &scope, &n) >= 0)
                text = reset_scope_describe(d, method, scope, n);
        return sd_bus_message_append(reply, "s", text ? text : why ? why : "");
}

#define CONST_PROP(n, s, g) SD_BUS_PROPERTY(n, s, property_get_##g, 0, SD_BUS_VTABLE_PROPERTY_CONST)
#define LIVE_PROP(n, s, g) SD_BUS_PROPERTY(n, s, property_get_##g, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)

static const sd_bus_vtable device_vtable[] = {
        SD_BUS_VTABLE_START(0),
        CONST_PROP("Address", "s", address),
        CONST_PROP("VendorId", "q", vendor_id),
        CONST_PROP("DeviceId", "q", device_id),
        CONST_PROP("SubsystemVendorId", "q", subsystem_vendor_id),
        CONST_PROP("SubsystemId", "q", subsystem_id),
        CONST_PROP("Revision", "y", revision),
        CONST_PROP("Class", "u", class),
        CONST_PROP("VendorName", "s", vendor_name),
        CONST_PROP("DeviceName", "s", device_name),
        CONST_PROP("SubsystemName", "s", subsystem_name),
        CONST_PROP("ClassName", "s", class_name),
        CONST_PROP("HeaderType", "y", header_type),
        CONST_PROP("Multifunction", "b", multifunction),
        CONST_PROP("Pcie", "b", pcie),
        CONST_PROP("PcieType", "s", pcie_type),
        CONST_PROP("Bridge", "b", bridge),
        LIVE_PROP("Driver", "s", driver),
        LIVE_PROP("DriverOverride", "s", driver_override),
        LIVE_PROP("IommuGroup", "i", iommu_group),
        LIVE_PROP("IommuGroupMembers", "as", iommu_group_members),
        CONST_PROP("ParentBridge", "s", parent_bridge),
        CONST_PROP("ParentConventional", "b", parent_conventional),
        CONST_PROP("Flr", "b", flr),
        CONST_PROP("AfFlr", "b", af_flr),
        CONST_PROP("Pm", "b", pm),
        CONST_PROP("PmNoSoftReset", "b", pm_no_soft_reset),
        LIVE_PROP("ResetMethods", "as", reset_methods),
        SD_BUS_PROPERTY("ResetMethod", "s", property_get_reset_method, 0, 0),
        SD_BUS_PROPERTY("ResetScope", "as", property_get_reset_scope, 0, 0),
        SD_BUS_PROPERTY("ResetDescription", "s", property_get_reset_description, 0, 0),
        CONST_PROP("SriovTotalVfs", "u", sriov_total_vfs),
        LIVE_PROP("SriovNumVfs", "u", sriov_num_vfs),
        LIVE_PROP("VirtualFunctions", "as", virtual_functions),
        LIVE_PROP("PhysicalFunction", "s", physical_function),
        CONST_PROP("SerialNumber", "s", serial_number),
        CONST_PROP("Acs", "b", acs),
        CONST_PROP("AcsCapability", "q", acs_capability),
        CONST_PROP("AcsControl", "q", acs_control),
        LIVE_PROP("OffBus", "b", off_bus),
        CONST_PROP("NumaNode", "i", numa_node),
        LIVE_PROP("VfioGroupNode", "s", vfio_group_node),
        LIVE_PROP("VfioDeviceNode", "s", vfio_device_node),
        LIVE_PROP("State", "s", state),
        LIVE_PROP("Guest", "s", guest),
        LIVE_PROP("AssignmentProblem", "s", assignment_problem),
        SD_BUS_PROPERTY("XenDomain", "s", property_get_xen_domain, 0, 0),
        SD_BUS_VTABLE_END
};

static int device_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                              sd_bus_error *error) {
        if (!device_from_path(userdata, path))
                return 0;
        *found = userdata;
        return 1;
}

static int device_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                                  sd_bus_error *error) {
        Bus *b = userdata;
        const Inventory *inv = &b->model->inventory;
        char **l = calloc(inv->n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < inv->n; i++) {
                l[i] = strdup(inv->devices[i]->object_path);
                if (!l[i]) {
                        pt_strv_free(l);
                        return -ENOMEM;
                }
        }
        *nodes = l;
        return 1;
}

int bus_device_register(Bus *b) {
        int r = sd_bus_add_fallback_vtable(b->bus, NULL, PT_DEVICE_PATH_PREFIX, PT_DEVICE_INTERFACE, device_vtable,
                                           device_object_find, b);
        if (r < 0)
                return log_error_errno(r, "Failed to register device objects: %m");
        r = sd_bus_add_node_enumerator(b->bus, NULL, PT_DEVICE_PATH_PREFIX, device_node_enumerator, b);
        if (r < 0)
                return log_error_errno(r, "Failed to register the device enumerator: %m");
        return 0;
}

int bus_device_append_inventory_entry(Bus *b, sd_bus_message *m, const Device *d, bool placement) {
        int r;

        r = sd_bus_message_open_container(m, 'r', placement ? PT_INVENTORY2_ENTRY_SIGNATURE_INNER :
                                                              PT_INVENTORY_ENTRY_SIGNATURE_INNER);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "sqqqqyussssybbsbssi", d->bdf, d->vendor_id, d->device_id,
                                  d->subsystem_vendor_id, d->subsystem_id, d->revision, d->class_code, d->vendor_name,
                                  d->device_name, d->subsystem_name, d->class_name, d->header_type,
                                  (int) d->multifunction, (int) d->is_pcie, d->pcie_type, (int) d->is_bridge,
                                  d->driver, d->driver_override, d->iommu_group);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "sbbbbb", d->parent_bridge, (int) d->parent_conventional, (int) d->flr,
                                  (int) d->af_flr, (int) d->has_pm, (int) d->pm_no_soft_reset);
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(m, d->reset_methods);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "uussbsss", d->sriov_total_vfs, d->sriov_num_vfs, d->physical_function,
                                  d->serial, (int) d->off_bus, model_device_state(b->model, d),
                                  strempty(model_device_guest(b->model, d->bdf)),
                                  strempty(model_device_problem(b->model, d->bdf)));
        if (r >= 0 && placement) {
                char group[DEVICE_NODE_MAX], node[DEVICE_NODE_MAX];
                r = sd_bus_message_append(m, "iss", d->numa_node, device_vfio_group_node(d, group),
                                          device_vfio_device_node(d, node));
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

void bus_device_emit_changed(Bus *b, Device *d, const char *const *properties) {
        if (!b->bus || !properties || !properties[0])
                return;
        (void) sd_bus_emit_properties_changed_strv(b->bus, d->object_path, PT_DEVICE_INTERFACE,
                                                   (char **) properties);
}

void bus_device_emit_added(Bus *b, Device *d) {
        if (!b->bus)
                return;
        (void) sd_bus_emit_object_added(b->bus, d->object_path);
        (void) sd_bus_emit_signal(b->bus, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "DeviceAdded", "os",
                                  d->object_path, d->bdf);
}

void bus_device_emit_removed(Bus *b, Device *d) {
        if (!b->bus)
                return;
        (void) sd_bus_emit_object_removed(b->bus, d->object_path);
        (void) sd_bus_emit_signal(b->bus, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "DeviceRemoved", "os",
                                  d->object_path, d->bdf);
}

int bus_read_device(Bus *b, sd_bus_message *msg, Device **ret, sd_bus_error *error) {
        const char *address;
        PtError e = {};
        int r = sd_bus_message_read(msg, "s", &address);
        if (r < 0)
                return r;
        *ret = plan_resolve_device(b->model, address, &e);
        return *ret ? 0 : bus_error_set(error, -ENODEV, &e);
}
