/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-event.h>

#include "bus.h"
#include "daemon-config.h"
#include "model.h"
#include "leases.h"
#include "ops.h"
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
        const char *modules_alias;      /* NULL: the running kernel's */
        const char *xl;                 /* in a Xen dom0, what tells whether Xen has an IOMMU (default xl) */
        DaemonConfig settings;          /* the file's, with the command line's over it */
} ManagerConfig;

/* The composition root: builds the layers bottom-up, wires the model's and the operations' notifications to the
 * bus edge and to the operations (the only place that knows all of them), and runs the start order. */
typedef struct Manager {
        sd_event *event;
        char *state_dir, *runtime_dir, *uevent_source, *xl, *modprobe;
        uint64_t write_timeout_usec;
        Model *model;
        Ops *ops;
        Leases *leases;
        Bus bus;
        UdevWatch *udev;
} Manager;

int manager_new(const ManagerConfig *config, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) {
        manager_free(*m);
}

/* Enumerate, recover, connect to the bus, take the name, tell systemd we are ready. */
int manager_start(Manager *m);
int manager_run(Manager *m);
