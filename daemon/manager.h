/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "guest.h"
#include "host.h"
#include "store.h"
#include "inventory.h"
#include "lifecycle.h"
#include "daemon-config.h"
#include "pci-access.h"
#include "ratelimit.h"
#include "udev-watch.h"

typedef struct ManagerConfig {
        const char *sysfs_root;
        const char *proc_root;
        const char *state_dir;
        const char *runtime_dir;
        const char *uevent_source;
        const char *pci_ids;
        const char *modprobe;
        uint64_t write_timeout_usec;    /* from the command line; 0: unset */
        const char *config_file;        /* NULL: the default, which may be absent */
        const char *clock_file;
        const char *xl;                 /* in a Xen dom0, what tells whether Xen has an IOMMU (default xl) */
        DaemonConfig settings;          /* the file's, with the command line's over it */
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

        /* Hotplug. */
        RateLimiter limiter;
        char *clock_file;
        int xen_iommu;                  /* in a dom0: 1 Xen has an IOMMU, 0 not, <0 unknown */
        char *xl;
        bool allow_unsafe_pv;
        sd_event_source *flush_timer;   /* saves the limiter's windows, at most once a second */
        uint64_t uevents;               /* received, for the UeventsProcessed property */
        char **refresh_pending;         /* devices to re-read once this loop iteration's uevents are in */
        sd_event_source *refresh_source;
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
Binder manager_binder(Manager *m, Store *journal);
/* Re-reads the devices from sysfs and signals whatever changed. */
void manager_refresh_devices(Manager *m, char *const *bdfs);

/* hotplug.c */
int manager_hotplug_setup(Manager *m);
void manager_hotplug_done(Manager *m);
/* Wall-clock microseconds (or the test's clock file). */
uint64_t manager_now(Manager *m);
/* Counts a hot(un)plug event of bdf in its rate-limit window. */
void manager_hotplug_count(Manager *m, const char *bdf);
/* Saves the windows that changed (now, not at the next tick). */
void manager_hotplug_flush(Manager *m);
/* What the udev watcher's events mean beyond the inventory: a device of a running guest or the hide pool came
 * back, went missing, or a host driver took it. */
void manager_hotplug_added(Manager *m, Device *d);
void manager_hotplug_removed(Manager *m, const char *bdf);
void manager_hotplug_driver_changed(Manager *m, Device *d);
bool manager_job_pending(Manager *m, const char *bdf);
/* Re-reads the assignments after the worker changed them (attach, detach); guests hear of it. */
int manager_reload_assignments(Manager *m);

/* hotplug-dbus.c */
int hotplug_plan(Manager *m, Job *j, sd_bus_error *error);
int method_attach_device(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_detach_device(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_can_migrate(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* doctor.c */
typedef struct DoctorReport DoctorReport;
int doctor_run(Manager *m, const char *guest, DoctorReport *r);

/* recovery.c: finishes or rolls back the journal's unfinished operations and re-applies the hide pool. */
int manager_recover(Manager *m);

/* lifecycle-dbus.c */
int lifecycle_plan(Manager *m, Job *j, sd_bus_error *error);
/* The reset a start would do for d by its policy ('members': devices a bus reset may hit freely); -ENOENT with
 * *why when the policy is strict and there is none. */
int lifecycle_plan_reset(Manager *m, const Device *d, char **members, const char *policy, JobDevice *jd, char **why);
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
typedef struct AssignOptions {
        bool managed, permissive, group, force;
        int32_t vslot;
        char extra[128]; /* toolstack options kept for the guest config, "key=value,..." */
        char driver[16];  /* the stub, "" for the host's default */
        char reset_policy[16];
} AssignOptions;
/* Assign's and AttachDevice's a{sv}: managed, permissive, group, vslot, driver, reset_policy and xl's keys. */
int assign_options_read(sd_bus_message *msg, AssignOptions *o, sd_bus_error *error);
int method_assign(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_unassign(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_guests(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_get_guest(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* manager-dbus.c */
int manager_dbus_register(Manager *m);
/* Parses any notation; sets InvalidAddress or (when the device must be present) NotFound. */
int manager_parse_address(const char *address, PtAddress *ret, sd_bus_error *error);
Device *manager_resolve_device(Manager *m, const char *address, sd_bus_error *error);
bool manager_has_iommu_groups(const Manager *m);
/* No passthrough without an IOMMU: NoIommu on a KVM host without IOMMU groups, and in a Xen dom0 whose Xen reports
 * none unless [Safety] AllowUnsafePVPassthrough=yes, which is then logged as insecure for every device. */
int manager_check_iommu(Manager *m, Device *const *devices, size_t n, sd_bus_error *error);
/* Refuses taking these devices from the host: HostCritical (force overrides it, logged), and for passthrough
 * (not a mere hide) NoIommu on a KVM host without IOMMU groups. */
int manager_check_safety(Manager *m, Device *const *devices, size_t n, bool passthrough, bool force,
                         sd_bus_error *error);
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
