/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "guest.h"
#include "host.h"
#include "inventory.h"
#include "ratelimit.h"
#include "records.h"
#include "store.h"

/* What the model tells the layers above, by callback: it never calls them. Each may be NULL. */
typedef struct ModelNotify {
        void (*device_added)(Device *d, void *userdata);
        /* Before it leaves the inventory: d can still be looked up. */
        void (*device_removed)(Device *d, void *userdata);
        /* properties: NULL-terminated D-Bus property names. */
        void (*device_changed)(Device *d, const char *const *properties, void *userdata);
        /* After device_changed, when a host or stub driver bound or let go. */
        void (*driver_changed)(Device *d, const char *old_driver, void *userdata);
        void (*guest_added)(const char *guest, void *userdata);
        /* Before the guest's last assignment goes: its devices can still be listed. */
        void (*guest_removed)(const char *guest, void *userdata);
        void (*guest_changed)(const char *guest, void *userdata);
        void *userdata;
} ModelNotify;

typedef struct ModelConfig {
        const char *sysfs_root, *proc_root, *pci_ids;
        const char *clock_file;         /* tests: the wall clock in seconds, read from this file */
        const char *modules_alias;      /* the kernel's modules.alias (VFIO variant drivers); NULL: the running
                                         * kernel's */
        unsigned rate_limit_burst;
        uint64_t rate_limit_interval_usec;
        bool allow_unsafe_pv;
        bool names_from_hwdb;           /* device names also from udev's hwdb, not only pci.ids */
} ModelConfig;

/* Everything passthrud knows about the host, each fact in one place: the PCI inventory (from the kernel), the
 * assignments and managed-mode records (from the store), the host's kind and IOMMU, and the hotplug rate windows.
 * Everything a device's or a guest's D-Bus properties say is read or derived from here. */
typedef struct Model {
        sd_event *event;
        char *sysfs_root, *proc_root, *clock_file;
        char *modules_alias;
        PciAccess *pci;
        HostKind host;
        int xen_iommu;                  /* in a dom0: 1 Xen has an IOMMU, 0 not, <0 unknown */
        unsigned xen_major, xen_minor;  /* in a dom0, when xl said */
        char *xl;                       /* in a dom0: what is asked */
        uint64_t xen_asked_usec;        /* when xl info was last asked (monotonic) */
        char **xen_assigned;            /* Xen's view: "BDF DOMAIN" for each device xl lists in a domU */
        bool allow_unsafe_pv;

        Inventory inventory;
        Assignments assignments;
        Records records;
        Store *store;                   /* NULL when it could not be opened */
        char *store_problem;            /* why assignments cannot be changed (a corrupt database), or NULL */

        RateLimiter limiter;
        sd_event_source *flush_timer;   /* saves the limiter's windows, at most once a second */
        uint64_t uevents;               /* received, for the UeventsProcessed property */
        char **refresh_pending;         /* devices to re-read once this loop iteration's uevents are in */
        sd_event_source *refresh_source;
        sd_event_source *names_source;  /* lets go of pci.ids's names a while after the last new device */

        ModelNotify notify;
} Model;

int model_new(sd_event *event, const ModelConfig *c, Model **ret);
Model *model_free(Model *m);
static inline void model_freep(Model **m) {
        model_free(*m);
}

/* Reads the whole bus. */
int model_enumerate(Model *m);
/* Opens the database under state_dir and reads the assignments, records and rate windows. A database that fails
 * its integrity check is reported (store_problem) and left alone: returns 0, with no store. */
int model_open_store(Model *m, const char *state_dir);

/* The udev watcher's handlers (UdevWatchHandler, UdevWatchOverflowHandler; userdata is the Model). */
void model_handle_uevent(const char *action, const char *bdf, void *userdata);
void model_resync(void *userdata);
/* Re-reads these devices (NULL: none) from sysfs, and tells whatever changed. */
void model_refresh_devices(Model *m, char *const *bdfs);

/* Re-reads the managed-mode records, or the assignments, from the store after it changed, and tells every
 * device and guest whose derived facts changed. */
int model_reload_records(Model *m);
int model_reload_assignments(Model *m);
/* The assignments just recorded in the store, or removed from it; tells guests and devices. */
int model_add_assignments(Model *m, const StoredAssignment *list, size_t n);
void model_remove_assignments(Model *m, const char *guest, char *const *addresses);
/* What the last operation found about a device; tells it. */
void model_set_stuck(Model *m, const char *bdf, bool stuck);
void model_set_failed(Model *m, const char *bdf, bool failed);

/* Derived facts of the device at bdf (d may be NULL where only the address matters). */
const char *model_device_guest(const Model *m, const char *bdf);     /* NULL when unassigned */
const char *model_device_problem(const Model *m, const char *bdf);   /* NULL when fine */
bool model_device_hidden(const Model *m, const char *bdf);
bool model_device_running(const Model *m, const char *bdf);          /* assigned to a running guest */
bool model_device_stuck(const Model *m, const char *bdf);
bool model_device_failed(const Model *m, const char *bdf);            /* failed, or off the bus */
const char *model_device_state(const Model *m, const Device *d);
/* In a dom0, the domU Xen has the device assigned to, by xl's last word; NULL when none. */
const char *model_device_xen_domain(const Model *m, const char *bdf);
bool model_has_iommu_groups(const Model *m);

/* In a dom0, asks xl info again when Xen's facts are not known (xenstored was not up yet, or xl failed), at most
 * every 30 s and for at most 2 s: before a passthrough is planned and when the doctor looks. */
void model_refresh_xen(Model *m);

/* Hotplug rate windows (wall-clock microseconds; the test clock file when given). */
uint64_t model_now(const Model *m);
void model_hotplug_count(Model *m, const char *bdf);
/* Saves the windows that changed (now, not at the next tick). */
void model_hotplug_flush(Model *m);
