/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "guest.h"
#include "host.h"
#include "store.h"
#include "inventory.h"
#include "pci-access.h"
#include "udev-watch.h"

typedef struct ManagerConfig {
        const char *sysfs_root;
        const char *proc_root;
        const char *state_dir;
        const char *runtime_dir;
        const char *uevent_source;
        const char *pci_ids;
} ManagerConfig;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        char *sysfs_root, *proc_root, *state_dir, *runtime_dir, *uevent_source;
        HostKind host;
        Store *store;
        char *store_problem;    /* why assignments cannot be changed (a corrupt database), or NULL */
        Assignments assignments;
        PciAccess *pci;
        Inventory inventory;
        UdevWatch *udev;
} Manager;

int manager_new(const ManagerConfig *config, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) {
        manager_free(*m);
}

/* Enumerate, connect to the bus, take the name, watch uevents, tell systemd we are ready. */
int manager_start(Manager *m);
int manager_run(Manager *m);

void manager_handle_uevent(const char *action, const char *bdf, void *userdata);

/* assign-dbus.c */
int method_assign(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_unassign(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_guests(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_get_guest(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* manager-dbus.c */
int manager_dbus_register(Manager *m);
void manager_dbus_emit_device_added(Manager *m, Device *d);
void manager_dbus_emit_device_removed(Manager *m, Device *d);

/* Brings d's Guest and AssignmentProblem in line with the assignments; returns true when either changed. */
bool manager_sync_device(Manager *m, Device *d);

/* guest-dbus.c */
int guest_dbus_register(Manager *m);
int guest_dbus_paths(Manager *m, char ***ret);
void guest_dbus_emit_added(Manager *m, const char *name);
void guest_dbus_emit_removed(Manager *m, const char *name);
void guest_dbus_emit_changed(Manager *m, const char *name);

/* device-dbus.c */
int device_dbus_register(Manager *m);
void device_dbus_emit_changed(Manager *m, Device *d, const char **properties);
int device_dbus_append_inventory_entry(sd_bus_message *m, const Device *d);
