/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Manager object: its properties, the methods that only read, and the vtable. */
#include <errno.h>
#include <stddef.h>

#include "assign.h"
#include "bus-device.h"
#include "bus-error.h"
#include "bus-guest.h"
#include "bus-methods.h"
#include "bus-polkit.h"
#include "config.h"
#include "doctor.h"
#include "log.h"
#include "passthru/pt-address.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "planning.h"
#include "pt-util.h"

/* Replies "ao" with n paths, each path(i, data). */
static int reply_paths(sd_bus_message *msg, size_t n, const char *(*path)(size_t i, const void *data),
                       const void *data) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "o");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append_basic(reply, 'o', path(i, data));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const char *device_path(size_t i, const void *data) {
        const Inventory *inv = data;
        return inv->devices[i]->object_path;
}

static const char *strv_item(size_t i, const void *data) {
        char *const *l = data;
        return l[i];
}

static int method_list_devices(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        return reply_paths(msg, b->model->inventory.n, device_path, &b->model->inventory);
}

static int reply_inventory(sd_bus_message *msg, Bus *b, bool placement) {
        const Model *m = b->model;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', placement ? PT_INVENTORY2_ENTRY_SIGNATURE :
                                                                  PT_INVENTORY_ENTRY_SIGNATURE);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->inventory.n; i++) {
                r = bus_device_append_inventory_entry(b, reply, m->inventory.devices[i], placement);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_inventory(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return reply_inventory(msg, userdata, false);
}

static int method_get_inventory2(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return reply_inventory(msg, userdata, true);
}

static int method_doctor(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        DoctorReport report = {};
        const char *guest;
        PtError e = {};
        int r = sd_bus_message_read(msg, "s", &guest);
        if (r < 0)
                return r;
        if (!isempty(guest) && (r = plan_check_guest_known(b->model, guest, &e)) < 0)
                return bus_error_set(error, r, &e);
        r = bus_authorize(b->auth, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        model_refresh_xen(b->model);
        r = doctor_run(b->model, isempty(guest) ? NULL : guest, &report);
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

static int method_get_device(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Device *d;
        int r = bus_read_device(userdata, msg, &d, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "o", d->object_path);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_hypervisor(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        return sd_bus_message_append(reply, "s", host_kind_to_string(b->model->host));
}

static int property_get_stub_driver(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        return sd_bus_message_append(reply, "s", host_stub_driver(b->model->host));
}

static int property_get_iommu_groups(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        return sd_bus_message_append(reply, "b", (int) model_has_iommu_groups(b->model));
}

static int property_get_device_count(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        return sd_bus_message_append(reply, "u", (uint32_t) b->model->inventory.n);
}

static int property_get_uevents(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        return sd_bus_message_append(reply, "t", b->model->uevents);
}

static int property_get_burst(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        return sd_bus_message_append(reply, "u", (uint32_t) b->model->limiter.burst);
}

static int property_get_interval(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        return sd_bus_message_append(reply, "t", b->model->limiter.interval_usec);
}

static int method_list_guests(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_strv_free_ char **paths = NULL;
        int r = bus_guest_paths(userdata, &paths);
        if (r < 0)
                return r;
        return reply_paths(msg, pt_strv_length(paths), strv_item, paths);
}

static int method_get_guest(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL;
        const char *guest;
        int r = bus_read_guest(userdata, msg, &guest, error);
        if (r < 0)
                return r;
        r = guest_object_path(guest, &path);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "o", path);
}

static int method_list_hidden(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        const Model *m = b->model;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssss)");
        for (size_t i = 0; r >= 0 && i < m->records.n_hidden; i++) {
                const StoredHidden *h = &m->records.hidden[i];
                const StoredHold *hold = records_find_hold(&m->records, h->address);
                const Device *d = inventory_find_bdf(&m->inventory, h->address);
                r = sd_bus_message_append(reply, "(sssss)", h->address, h->driver,
                                          d ? model_device_state(m, d) : PT_STATE_MISSING, d ? strempty(d->driver) : "",
                                          hold ? hold->original_driver : "");
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* Save, restore and live migration are impossible while a device is passed through. */
static int method_can_migrate(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        _cleanup_free_ char *reason = NULL;
        const char *guest;
        PtError e = {};
        bool can = false;
        int r = sd_bus_message_read(msg, "s", &guest);
        if (r < 0)
                return r;
        r = migrate_verdict(b->model, guest, ops_guest_state(b->ops, guest), &can, &reason, &e);
        if (r < 0)
                return bus_error_set(error, r, &e);
        return sd_bus_reply_method_return(msg, "bs", (int) can, reason);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Hypervisor", "s", property_get_hypervisor, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StubDriver", "s", property_get_stub_driver, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("IommuGroups", "b", property_get_iommu_groups, 0, 0),
        SD_BUS_PROPERTY("DeviceCount", "u", property_get_device_count, 0, 0),
        SD_BUS_PROPERTY("UeventsProcessed", "t", property_get_uevents, 0, 0),
        SD_BUS_PROPERTY("RateLimitBurst", "u", property_get_burst, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("RateLimitIntervalUSec", "t", property_get_interval, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_NAMES("ListDevices", NULL, , "ao", SD_BUS_PARAM(devices), method_list_devices,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetInventory", NULL, , "a" PT_INVENTORY_ENTRY_SIGNATURE, SD_BUS_PARAM(devices),
                                 method_get_inventory, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetInventory2", NULL, , "a" PT_INVENTORY2_ENTRY_SIGNATURE, SD_BUS_PARAM(devices),
                                 method_get_inventory2, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetDevice", "s", SD_BUS_PARAM(address), "o", SD_BUS_PARAM(device),
                                 method_get_device, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Assign", "sasa{sv}", SD_BUS_PARAM(guest) SD_BUS_PARAM(devices) SD_BUS_PARAM(options),
                                 "as", SD_BUS_PARAM(assigned), bus_method_assign, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Unassign", "sas", SD_BUS_PARAM(guest) SD_BUS_PARAM(devices), "as",
                                 SD_BUS_PARAM(unassigned), bus_method_unassign, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ListGuests", NULL, , "ao", SD_BUS_PARAM(guests), method_list_guests,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetGuest", "s", SD_BUS_PARAM(name), "o", SD_BUS_PARAM(guest), method_get_guest,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("StartGuest", "s", SD_BUS_PARAM(guest), "a(ssbbis)", SD_BUS_PARAM(devices),
                                 bus_method_start_guest, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("StopGuest", "s", SD_BUS_PARAM(guest), NULL, , bus_method_stop_guest,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ResetDevice", "s", SD_BUS_PARAM(device), "s", SD_BUS_PARAM(method),
                                 bus_method_reset_device, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Hide", "sa{sv}", SD_BUS_PARAM(device) SD_BUS_PARAM(options), "s",
                                 SD_BUS_PARAM(address), bus_method_hide, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Unhide", "sa{sv}", SD_BUS_PARAM(device) SD_BUS_PARAM(options), NULL, , bus_method_unhide,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("DryRun", "ssasa{sv}", SD_BUS_PARAM(operation) SD_BUS_PARAM(guest)
                                 SD_BUS_PARAM(devices) SD_BUS_PARAM(options), "a(sss)", SD_BUS_PARAM(steps),
                                 bus_method_dry_run, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("SetVirtualFunctions", "sua{sv}", SD_BUS_PARAM(device) SD_BUS_PARAM(count)
                                 SD_BUS_PARAM(options), NULL, , bus_method_set_virtual_functions,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("AttachDevice", "ssa{sv}", SD_BUS_PARAM(guest) SD_BUS_PARAM(device)
                                 SD_BUS_PARAM(options), "(ssbbis)", SD_BUS_PARAM(attached), bus_method_attach_device,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("DetachDevice", "ss", SD_BUS_PARAM(guest) SD_BUS_PARAM(device), NULL, ,
                                 bus_method_detach_device, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("SetOwner", "sa{sv}", SD_BUS_PARAM(guest) SD_BUS_PARAM(owner), NULL, ,
                                 bus_method_set_owner, SD_BUS_VTABLE_UNPRIVILEGED),
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

int bus_setup(Bus *b) {
        int r = authorizer_new(&b->auth);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(b->bus, NULL, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, manager_vtable, b);
        if (r < 0)
                return log_error_errno(r, "Failed to register the manager object: %m");
        /* GetManagedObjects lets ptctl and toolstacks read every device in one round trip. */
        r = sd_bus_add_object_manager(b->bus, NULL, PT_MANAGER_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to register the object manager: %m");
        if ((r = bus_device_register(b)) < 0 || (r = bus_guest_register(b)) < 0)
                return r;
        r = sd_bus_request_name(b->bus, PT_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire bus name " PT_BUS_NAME ": %m");
        return 0;
}

void bus_done(Bus *b) {
        b->auth = authorizer_free(b->auth);
        if (b->bus)
                b->bus = sd_bus_flush_close_unref(b->bus);
}
