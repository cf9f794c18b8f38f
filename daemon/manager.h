/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "guest.h"
#include "host.h"
#include "store.h"
#include "inventory.h"
#include "lifecycle.h"
#include "pci-access.h"
#include "udev-watch.h"

typedef struct ManagerConfig {
        const char *sysfs_root;
        const char *proc_root;
        const char *state_dir;
        const char *runtime_dir;
        const char *uevent_source;
        const char *pci_ids;
        const char *modprobe;
        uint64_t write_timeout_usec;
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

        /* Managed mode. The records mirror the database; the worker thread has its own connection. */
        char *modprobe;
        uint64_t write_timeout_usec;
        StoredHold *holds;
        size_t n_holds;
        StoredHidden *hidden;
        size_t n_hidden;
        char **running_guests;
        char **stuck, **failed;         /* in memory: what the last operations found */
        Store *worker_store;
        Job *queue;                     /* waiting, in order */
        Job *current;                   /* on the worker thread */
        int job_pipe[2];                /* the worker hands the finished job back through it */
        sd_event_source *job_source;
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

/* jobs.c */
int manager_jobs_setup(Manager *m);
void manager_jobs_done(Manager *m);
void lifecycle_state_free(Manager *m);
/* Takes the job; it is planned when its turn comes and answered when it has run. */
void manager_enqueue(Manager *m, Job *j);
int manager_reload_lifecycle(Manager *m);
const StoredHold *manager_find_hold(const Manager *m, const char *bdf);
const StoredHidden *manager_find_hidden(const Manager *m, const char *bdf);
const char *manager_guest_state(const Manager *m, const char *guest);
void manager_set_flag(char ***list, const char *bdf, bool on);
Binder manager_binder(Manager *m, Store *journal);
/* Re-reads the devices from sysfs and signals whatever changed. */
void manager_refresh_devices(Manager *m, char *const *bdfs);

/* recovery.c: finishes or rolls back the journal's unfinished operations and re-applies the hide pool. */
int manager_recover(Manager *m);

/* lifecycle-dbus.c */
int lifecycle_plan(Manager *m, Job *j, sd_bus_error *error);
void lifecycle_finish(Manager *m, Job *j);
int method_start_guest(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_stop_guest(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_reset_device(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_hide(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_unhide(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_hidden(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* hide-dbus.c */
int hide_plan(Manager *m, Job *j, sd_bus_error *error);
/* Plans claiming d for the hide pool (jd->stub set), unless it is on its stub already or in a running guest;
 * where it goes back is its hold's record when it has one. */
int hide_plan_claim(Manager *m, JobDevice *jd, const Device *d);
void hide_undo(Manager *m, Job *j);
void manager_hide_pool_device_added(Manager *m, Device *d);

/* assign-dbus.c */
int method_assign(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_unassign(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_guests(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_get_guest(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* manager-dbus.c */
int manager_dbus_register(Manager *m);
/* Parses any notation; sets InvalidAddress or (when the device must be present) NotFound. */
int manager_parse_address(const char *address, PtAddress *ret, sd_bus_error *error);
Device *manager_resolve_device(Manager *m, const char *address, sd_bus_error *error);
void manager_dbus_emit_device_added(Manager *m, Device *d);
void manager_dbus_emit_device_removed(Manager *m, Device *d);

/* Brings d's Guest, AssignmentProblem and managed-mode facts in line; returns true when any changed. */
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
