/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>

#include "config.h"
#include "doctor.h"
#include "safety.h"
#include "log.h"
#include "manager.h"
#include "passthru/pt-address.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"

static int method_list_devices(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "o");
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->inventory.n; i++) {
                r = sd_bus_message_append_basic(reply, 'o', m->inventory.devices[i]->object_path);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_inventory(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', PT_INVENTORY_ENTRY_SIGNATURE);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->inventory.n; i++) {
                r = device_dbus_append_inventory_entry(reply, m->inventory.devices[i]);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

bool manager_has_iommu_groups(const Manager *m) {
        for (size_t i = 0; i < m->inventory.n; i++)
                if (m->inventory.devices[i]->iommu_group >= 0)
                        return true;
        return false;
}

/* Taking a device from the host must not cost it its console, disks or network, nor, without an IOMMU, its
 * memory; --force overrides the first (and is logged), nothing overrides the second. */
int manager_check_iommu(Manager *m, Device *const *devices, size_t n, sd_bus_error *error) {
        if (m->host == HOST_BARE && !manager_has_iommu_groups(m))
                return sd_bus_error_set(error, PT_ERROR_NO_IOMMU,
                                        "this host has no IOMMU groups: a passed-through device could reach all of "
                                        "host memory by DMA. Enable VT-d or AMD-Vi in the firmware and boot with "
                                        "intel_iommu=on (or amd_iommu=on)");
        if (m->host != HOST_XEN_DOM0 || m->xen_iommu != 0)
                return 0;
        if (!m->allow_unsafe_pv)
                return sd_bus_error_set(error, PT_ERROR_NO_IOMMU,
                                        "Xen reports no IOMMU (xl info: no directio in virt_caps): only PV "
                                        "passthrough is possible, and it lets the guest reach dom0's memory by DMA. "
                                        "Enable the IOMMU, or set [Safety] AllowUnsafePVPassthrough=yes in "
                                        "passthrud.conf to allow it anyway");
        for (size_t i = 0; i < n; i++)
                pt_log_full(LOG_WARNING, PT_MESSAGE_INSECURE, devices[i]->bdf, devices[i]->guest, NULL,
                            "Insecure: passing %s through without an IOMMU (AllowUnsafePVPassthrough=yes); the guest "
                            "can reach dom0's memory by DMA", devices[i]->bdf);
        return 0;
}

int manager_check_safety(Manager *m, Device *const *devices, size_t n, bool passthrough, bool force,
                         sd_bus_error *error) {
        int r;
        if (passthrough && (r = manager_check_iommu(m, devices, n, error)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *why = safety_host_critical(m->sysfs_root, m->proc_root, devices[i]);
                if (!why)
                        continue;
                if (!force)
                        return sd_bus_error_setf(error, PT_ERROR_HOST_CRITICAL,
                                                 "%s is host-critical: %s; the host may lose it for good. Pass "
                                                 "--force (option force) to take it anyway", devices[i]->bdf, why);
                pt_log_full(LOG_WARNING, NULL, devices[i]->bdf, NULL, NULL, "Taking host-critical device %s "
                            "anyway (forced): %s", devices[i]->bdf, why);
        }
        return 0;
}

static int method_doctor(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        DoctorReport report = {};
        const char *guest;
        int r = sd_bus_message_read(msg, "s", &guest);
        if (r < 0)
                return r;
        if (!isempty(guest) && !guest_name_valid(guest))
                return sd_bus_error_setf(error, PT_ERROR_INVALID_GUEST_NAME, "invalid guest name");
        if (!isempty(guest) && !assignments_has_guest(&m->assignments, guest))
                return sd_bus_error_setf(error, PT_ERROR_UNKNOWN_GUEST, "no guest %s", guest);
        r = doctor_run(m, isempty(guest) ? NULL : guest, &report);
        if (r >= 0)
                r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssss)");
        for (size_t i = 0; r >= 0 && i < report.n; i++)
                r = sd_bus_message_append(reply, "(ssss)", report.checks[i].name, report.checks[i].status,
                                          report.checks[i].message, report.checks[i].fix);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        doctor_report_done(&report);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int manager_parse_address(const char *address, PtAddress *ret, sd_bus_error *error) {
        _cleanup_free_ char *reason = NULL;
        int r = pt_address_parse(address, ret, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_set(error, PT_ERROR_INVALID_ADDRESS, reason ? reason : "invalid PCI address");
        return 0;
}

Device *manager_resolve_device(Manager *m, const char *address, sd_bus_error *error) {
        char bdf[PT_ADDRESS_STRLEN];
        PtAddress a;
        if (manager_parse_address(address, &a, error) < 0)
                return NULL;
        Device *d = inventory_find(&m->inventory, &a);
        if (!d)
                sd_bus_error_setf(error, PT_ERROR_NOT_FOUND, "no PCI device %s on this host", pt_address_format(&a, bdf));
        return d;
}

static int method_get_device(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *reason = NULL;
        const char *address;
        PtAddress a;
        char bdf[PT_ADDRESS_STRLEN];
        int r;

        r = sd_bus_message_read(msg, "s", &address);
        if (r < 0)
                return r;
        r = pt_address_parse(address, &a, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_set(error, PT_ERROR_INVALID_ADDRESS, reason ? reason : "invalid PCI address");
        Device *d = inventory_find(&m->inventory, &a);
        if (!d)
                return sd_bus_error_setf(error, PT_ERROR_NOT_FOUND, "no PCI device %s on this host",
                                         pt_address_format(&a, bdf));
        return sd_bus_reply_method_return(msg, "o", d->object_path);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_hypervisor(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", host_kind_to_string(m->host));
}

static int property_get_stub_driver(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", host_stub_driver(m->host));
}

static int property_get_iommu_groups(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "b", (int) manager_has_iommu_groups(userdata));
}

static int property_get_device_count(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "u", (uint32_t) m->inventory.n);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Hypervisor", "s", property_get_hypervisor, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StubDriver", "s", property_get_stub_driver, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("IommuGroups", "b", property_get_iommu_groups, 0, 0),
        SD_BUS_PROPERTY("DeviceCount", "u", property_get_device_count, 0, 0),
        SD_BUS_PROPERTY("UeventsProcessed", "t", NULL, offsetof(Manager, uevents), 0),
        SD_BUS_PROPERTY("RateLimitBurst", "u", NULL, offsetof(Manager, limiter.burst), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("RateLimitIntervalUSec", "t", NULL, offsetof(Manager, limiter.interval_usec),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_NAMES("ListDevices", NULL, , "ao", SD_BUS_PARAM(devices), method_list_devices,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetInventory", NULL, , "a" PT_INVENTORY_ENTRY_SIGNATURE, SD_BUS_PARAM(devices),
                                 method_get_inventory, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetDevice", "s", SD_BUS_PARAM(address), "o", SD_BUS_PARAM(device),
                                 method_get_device, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Assign", "sasa{sv}", SD_BUS_PARAM(guest) SD_BUS_PARAM(devices) SD_BUS_PARAM(options),
                                 "as", SD_BUS_PARAM(assigned), method_assign, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Unassign", "sas", SD_BUS_PARAM(guest) SD_BUS_PARAM(devices), "as",
                                 SD_BUS_PARAM(unassigned), method_unassign, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ListGuests", NULL, , "ao", SD_BUS_PARAM(guests), method_list_guests,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetGuest", "s", SD_BUS_PARAM(name), "o", SD_BUS_PARAM(guest), method_get_guest,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("StartGuest", "s", SD_BUS_PARAM(guest), "a(ssbbis)", SD_BUS_PARAM(devices),
                                 method_start_guest, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("StopGuest", "s", SD_BUS_PARAM(guest), NULL, , method_stop_guest,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ResetDevice", "s", SD_BUS_PARAM(device), "s", SD_BUS_PARAM(method),
                                 method_reset_device, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Hide", "sa{sv}", SD_BUS_PARAM(device) SD_BUS_PARAM(options), "s",
                                 SD_BUS_PARAM(address), method_hide, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Unhide", "sa{sv}", SD_BUS_PARAM(device) SD_BUS_PARAM(options), NULL, , method_unhide,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("AttachDevice", "ssa{sv}", SD_BUS_PARAM(guest) SD_BUS_PARAM(device)
                                 SD_BUS_PARAM(options), "(ssbbis)", SD_BUS_PARAM(attached), method_attach_device,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("DetachDevice", "ss", SD_BUS_PARAM(guest) SD_BUS_PARAM(device), NULL, ,
                                 method_detach_device, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("CanMigrate", "s", SD_BUS_PARAM(guest), "bs", SD_BUS_PARAM(can)
                                 SD_BUS_PARAM(reason), method_can_migrate, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Doctor", "s", SD_BUS_PARAM(guest), "a(ssss)", SD_BUS_PARAM(checks),
                                 method_doctor, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ListHidden", NULL, , "a(sssss)", SD_BUS_PARAM(hidden), method_list_hidden,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("GuestAdded", "os", SD_BUS_PARAM(guest) SD_BUS_PARAM(name), 0),
        SD_BUS_SIGNAL_WITH_NAMES("GuestRemoved", "os", SD_BUS_PARAM(guest) SD_BUS_PARAM(name), 0),
        SD_BUS_SIGNAL_WITH_NAMES("DeviceAdded", "os", SD_BUS_PARAM(device) SD_BUS_PARAM(address), 0),
        SD_BUS_SIGNAL_WITH_NAMES("DeviceRemoved", "os", SD_BUS_PARAM(device) SD_BUS_PARAM(address), 0),
        SD_BUS_VTABLE_END
};

int manager_dbus_register(Manager *m) {
        int r = sd_bus_add_object_vtable(m->bus, NULL, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the manager object: %m");
        /* GetManagedObjects lets ptctl and toolstacks read every device in one round trip. */
        r = sd_bus_add_object_manager(m->bus, NULL, PT_MANAGER_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to register the object manager: %m");
        return 0;
}

void manager_dbus_emit_device_added(Manager *m, Device *d) {
        if (!m->bus)
                return;
        (void) sd_bus_emit_object_added(m->bus, d->object_path);
        (void) sd_bus_emit_signal(m->bus, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "DeviceAdded", "os",
                                  d->object_path, d->bdf);
}

/* Must run while the device can still be found: InterfacesRemoved lists its interfaces. */
void manager_dbus_emit_device_removed(Manager *m, Device *d) {
        if (!m->bus)
                return;
        (void) sd_bus_emit_object_removed(m->bus, d->object_path);
        (void) sd_bus_emit_signal(m->bus, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "DeviceRemoved", "os",
                                  d->object_path, d->bdf);
}
