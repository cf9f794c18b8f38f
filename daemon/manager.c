/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "doctor.h"
#include "log.h"
#include "manager.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"

int manager_new(const ManagerConfig *c, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->sysfs_root = strdup(c->sysfs_root);
        m->proc_root = strdup(c->proc_root);
        m->state_dir = strdup(c->state_dir);
        m->runtime_dir = strdup(c->runtime_dir);
        m->uevent_source = strdup(c->uevent_source);
        m->modprobe = strdup(c->modprobe ? c->modprobe : "modprobe");
        m->write_timeout_usec = c->settings.write_timeout_usec ? c->settings.write_timeout_usec : 10 * 1000000ULL;
        ratelimit_init(&m->limiter, c->settings.rate_limit_burst ? c->settings.rate_limit_burst : 512,
                       c->settings.rate_limit_interval_usec ? c->settings.rate_limit_interval_usec : 60 * 1000000ULL);
        if (c->clock_file && !(m->clock_file = strdup(c->clock_file)))
                return -ENOMEM;
        m->allow_unsafe_pv = c->settings.allow_unsafe_pv;
        m->xen_iommu = -ENODATA;
        m->xl = strdup(c->xl ? c->xl : "xl");
        if (!m->xl)
                return -ENOMEM;
        m->job_pipe[0] = m->job_pipe[1] = -EBADF;
        if (!m->sysfs_root || !m->proc_root || !m->state_dir || !m->runtime_dir || !m->uevent_source || !m->modprobe)
                return -ENOMEM;

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        /* SIGTERM and SIGINT end the loop cleanly: exit status 0. */
        r = sd_event_add_signal(m->event, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to handle SIGTERM/SIGINT: %m");
        (void) sd_event_set_watchdog(m->event, true);

        r = pci_access_new(m->sysfs_root, c->pci_ids, &m->pci);
        if (r < 0)
                return log_error_errno(r, "Failed to set up libpci on %s: %m", m->sysfs_root);
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        udev_watch_free(m->udev);
        manager_jobs_done(m);
        manager_hotplug_done(m);
        sd_event_source_disable_unref(m->refresh_source);
        pt_strv_free(m->refresh_pending);
        lifecycle_state_free(m);
        if (m->job_pipe[0] >= 0)
                close(m->job_pipe[0]);
        /* The write end stays open: a worker still running may hand its job back into it. */
        free(m->modprobe);
        free(m->clock_file);
        free(m->xl);
        ratelimit_done(&m->limiter);
        assignments_done(&m->assignments);
        store_free(m->store);
        free(m->store_problem);
        inventory_done(&m->inventory);
        pci_access_free(m->pci);
        if (m->bus)
                sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        free(m->sysfs_root);
        free(m->proc_root);
        free(m->state_dir);
        free(m->runtime_dir);
        free(m->uevent_source);
        free(m);
        return NULL;
}

bool manager_sync_device(Manager *m, Device *d) {
        Assignment *a = assignments_find(&m->assignments, d->bdf);
        const char *guest = a ? a->stored.guest : NULL, *problem = a ? a->problem : NULL;
        bool hidden = manager_find_hidden(m, d->bdf), running = guest && pt_strv_contains(m->running_guests, guest),
             stuck = pt_strv_contains(m->stuck, d->bdf), failed = pt_strv_contains(m->failed, d->bdf);
        if (hidden == d->hidden && running == d->running && stuck == d->stuck && failed == d->failed &&
            streq_ptr(guest, d->guest) && streq_ptr(problem, d->assignment_problem))
                return false;
        d->hidden = hidden;
        d->running = running;
        d->stuck = stuck;
        d->failed = failed;
        free(d->guest);
        free(d->assignment_problem);
        d->guest = guest ? strdup(guest) : NULL;
        d->assignment_problem = problem ? strdup(problem) : NULL;
        return true;
}

/* The assignment at bdf, if any, checked against what is there now (d may be NULL: nothing is); the guest
 * hears of a changed verdict. Bringing the device object in line is the caller's: it may not be on the bus yet. */
static void recheck_assignment(Manager *m, const char *bdf, const Device *d) {
        Assignment *a = assignments_find(&m->assignments, bdf);
        if (!a || !assignment_check_identity(a, d))
                return;
        if (a->problem)
                pt_log_full(LOG_WARNING, d ? PT_MESSAGE_DEVICE_RETURNED : PT_MESSAGE_DEVICE_MISSING, bdf,
                            a->stored.guest, NULL, "Assignment of %s to guest %s: %s", bdf, a->stored.guest,
                            a->problem);
        else
                pt_log_full(LOG_INFO, PT_MESSAGE_DEVICE_RETURNED, bdf, a->stored.guest, NULL,
                            "Assignment of %s to guest %s matches the hardware again", bdf, a->stored.guest);
        guest_dbus_emit_changed(m, a->stored.guest);
}

/* Re-reads one device and signals whatever changed; a device that is gone is handled as removed. */
static void refresh_device(Manager *m, const PtAddress *a);
static void device_added(Manager *m, const PtAddress *a);

static void device_removed(Manager *m, Device *d) {
        pt_log_full(LOG_INFO, PT_MESSAGE_DEVICE_REMOVED, d->bdf, NULL, NULL, "Device %s removed", d->bdf);
        manager_dbus_emit_device_removed(m, d);
        char bdf[PT_ADDRESS_STRLEN];
        memcpy(bdf, d->bdf, sizeof(bdf));
        device_free(inventory_take(&m->inventory, &d->address));
        recheck_assignment(m, bdf, NULL);
        manager_hotplug_removed(m, bdf);

        /* Whoever lists it (group peers, its PF) is read again and loses it. Found by what they list, not by the
         * device's own last read: that can come from the middle of the removal, with its group link already
         * gone. And the kernel unlinks a device from its IOMMU group only after the remove uevent, so a re-read
         * may still list it: it goes from the lists here. */
        _cleanup_strv_free_ char **related = NULL;
        for (size_t i = 0; i < m->inventory.n; i++) {
                Device *x = m->inventory.devices[i];
                if (pt_strv_contains(x->iommu_group_members, bdf) || pt_strv_contains(x->virtual_functions, bdf))
                        (void) pt_strv_push(&related, strdup(x->bdf));
        }
        static const char *props[] = { "IommuGroupMembers", "VirtualFunctions", NULL };
        for (char **p = related; p && *p; p++) {
                manager_refresh_devices(m, (char *[]) { *p, NULL });
                Device *x = inventory_find_bdf(&m->inventory, *p);
                if (x && (pt_strv_contains(x->iommu_group_members, bdf) || pt_strv_contains(x->virtual_functions, bdf))) {
                        pt_strv_set(&x->iommu_group_members, bdf, false);
                        pt_strv_set(&x->virtual_functions, bdf, false);
                        device_dbus_emit_changed(m, x, props);
                }
        }
}

static void refresh_device(Manager *m, const PtAddress *a) {
        _cleanup_(device_freep) Device *fresh = NULL;
        _cleanup_free_ const char **changed = NULL;
        Device *d = inventory_find(&m->inventory, a);
        if (!d)
                return;
        int r = device_load(m->sysfs_root, m->pci, a, d, &fresh);
        if (r == -ENODEV) {
                device_removed(m, d);
                return;
        }
        if (r < 0) {
                log_warning_errno(r, "Failed to re-read %s: %m", d->bdf);
                return;
        }
        _cleanup_free_ char *old_driver = strdup(d->driver);
        r = device_update(d, fresh, &changed);
        if (r <= 0)
                return;
        device_dbus_emit_changed(m, d, changed);
        if (old_driver && !streq(old_driver, d->driver)) {
                pt_log_full(LOG_INFO, PT_MESSAGE_DRIVER_CHANGED, d->bdf, NULL, isempty(d->driver) ? NULL : d->driver,
                            "Device %s driver changed: %s -> %s", d->bdf, isempty(old_driver) ? "(none)" : old_driver,
                            isempty(d->driver) ? "(none)" : d->driver);
                manager_hotplug_driver_changed(m, d);
        }

        /* A VF's add uevent comes before the kernel links it to its PF: when the PF's VF list changes, the VFs
         * are read again, so they learn their PF. */
        for (const char **c = changed; *c; c++)
                if (streq(*c, "VirtualFunctions")) {
                        _cleanup_strv_free_ char **vfs = NULL;
                        for (char **v = d->virtual_functions; v && *v; v++)
                                (void) pt_strv_push(&vfs, strdup(*v));
                        for (char **v = vfs; v && *v; v++) {
                                PtAddress va;
                                if (pt_address_parse_bdf(*v, &va, NULL) >= 0)
                                        refresh_device(m, &va);
                        }
                }
}

void manager_refresh_devices(Manager *m, char *const *bdfs) {
        for (char *const *b = bdfs; b && *b; b++) {
                PtAddress a;
                if (pt_address_parse_bdf(*b, &a, NULL) < 0)
                        continue;
                if (inventory_find(&m->inventory, &a))
                        refresh_device(m, &a);
                else
                        device_added(m, &a);
        }
}

static void device_added(Manager *m, const PtAddress *a) {
        Device *d;
        int r = device_load(m->sysfs_root, m->pci, a, NULL, &d);
        if (r < 0) {
                if (r != -ENODEV)
                        log_warning_errno(r, "Failed to read new device: %m");
                return;
        }
        r = inventory_insert(&m->inventory, d);
        if (r < 0) {
                device_free(d);
                return;
        }
        /* Its assignment facts are in place before DeviceAdded announces it: no change signals for it first. */
        recheck_assignment(m, d->bdf, d);
        (void) manager_sync_device(m, d);
        pt_log_full(LOG_INFO, PT_MESSAGE_DEVICE_ADDED, d->bdf, NULL, isempty(d->driver) ? NULL : d->driver,
                    "Device %s added: %04x:%04x %s", d->bdf, d->vendor_id, d->device_id, d->device_name);
        manager_dbus_emit_device_added(m, d);
        /* A hidden address gets its device claimed as soon as it shows up; a running guest's device, back. */
        manager_hide_pool_device_added(m, d);
        manager_hotplug_added(m, d);

        _cleanup_strv_free_ char **related = NULL;
        for (char **p = d->iommu_group_members; p && *p; p++)
                if (!streq(*p, d->bdf))
                        (void) pt_strv_push(&related, strdup(*p));
        if (!isempty(d->physical_function))
                (void) pt_strv_push(&related, strdup(d->physical_function));
        for (char **p = related; p && *p; p++) {
                PtAddress pa;
                if (pt_address_parse_bdf(*p, &pa, NULL) >= 0)
                        refresh_device(m, &pa);
        }
}

/* After lost uevents: what is there now against what the inventory says, as if each difference had its event. */
static void manager_resync(void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ PtAddress *present = NULL;
        size_t n = 0;
        int r = pci_access_scan(m->pci, &present, &n);
        if (r < 0) {
                log_warning_errno(r, "Failed to re-scan the PCI bus: %m");
                return;
        }
        _cleanup_strv_free_ char **gone = NULL;
        for (size_t i = 0; i < m->inventory.n; i++) {
                bool there = false;
                for (size_t k = 0; k < n && !there; k++)
                        there = pt_address_equal(&present[k], &m->inventory.devices[i]->address);
                if (!there)
                        (void) pt_strv_push(&gone, strdup(m->inventory.devices[i]->bdf));
        }
        for (char **b = gone; b && *b; b++) {
                Device *d = inventory_find_bdf(&m->inventory, *b);
                if (d)
                        device_removed(m, d);
        }
        for (size_t k = 0; k < n; k++) {
                if (inventory_find(&m->inventory, &present[k]))
                        refresh_device(m, &present[k]);
                else
                        device_added(m, &present[k]);
        }
}

/* Devices whose uevents said "look again", read once per loop iteration however many came. */
static int on_refresh_pending(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **pending = TAKE_PTR(m->refresh_pending);
        manager_refresh_devices(m, pending);
        return 0;
}

void manager_handle_uevent(const char *action, const char *bdf, void *userdata) {
        Manager *m = userdata;
        PtAddress a;

        if (pt_address_parse_bdf(bdf, &a, NULL) < 0)
                return;
        log_debug("uevent %s %s", action, bdf);
        m->uevents++;
        if (streq(action, "add") || streq(action, "remove"))
                manager_hotplug_count(m, bdf);
        Device *d = inventory_find(&m->inventory, &a);
        if (streq(action, "remove")) {
                if (d)
                        device_removed(m, d);
                pt_strv_set(&m->refresh_pending, bdf, false);
        } else if (!d)
                device_added(m, &a);
        else if (!pt_strv_contains(m->refresh_pending, d->bdf)) {
                /* A storm of events for one device costs one re-read. */
                if (pt_strv_push(&m->refresh_pending, strdup(d->bdf)) < 0) {
                        refresh_device(m, &a);
                        return;
                }
                if (m->refresh_source)
                        (void) sd_event_source_set_enabled(m->refresh_source, SD_EVENT_ONESHOT);
                else
                        (void) sd_event_add_defer(m->event, &m->refresh_source, on_refresh_pending, m);
        }
}

/* A database that cannot be trusted is reported by name and left alone; inventory keeps working, assignment
 * changes are refused until an admin repairs or moves it aside. */
static int manager_open_store(Manager *m) {
        _cleanup_free_ char *reason = NULL, *path = pt_path_join(m->state_dir, "passthru.db");
        int r = store_open(m->state_dir, &m->store, &reason);
        if (r == -EBADMSG || r == -EPROTO) {
                if (asprintf(&m->store_problem, "the assignment database %s %s; passthrud changes no assignments "
                             "until it is repaired or moved aside", path,
                             r == -EPROTO ? "was written by a newer passthrud" : "failed its integrity check") < 0)
                        return -ENOMEM;
                pt_log_full(LOG_ERR, NULL, NULL, NULL, NULL, "%s%s%s", m->store_problem, reason ? ": " : "",
                            strempty(reason));
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to open the assignment database %s: %m", strempty(path));
        r = assignments_load(&m->assignments, m->store);
        if (r < 0)
                return log_error_errno(r, "Failed to read the assignment database %s: %m", store_path(m->store));
        r = manager_reload_lifecycle(m);
        if (r < 0)
                return log_error_errno(r, "Failed to read the managed-mode records of %s: %m", store_path(m->store));
        for (size_t i = 0; i < m->assignments.n; i++) {
                Assignment *a = &m->assignments.items[i];
                Device *d = inventory_find_bdf(&m->inventory, a->stored.address);
                if (assignment_check_identity(a, d) && a->problem)
                        pt_log_full(LOG_WARNING, NULL, a->stored.address, a->stored.guest, NULL,
                                    "Assignment of %s to guest %s: %s", a->stored.address, a->stored.guest,
                                    a->problem);
        }
        for (size_t i = 0; i < m->inventory.n; i++)
                (void) manager_sync_device(m, m->inventory.devices[i]);
        log_info("Assignment database %s: %zu assignments", store_path(m->store), m->assignments.n);
        return 0;
}

int manager_start(Manager *m) {
        int r;

        r = pt_mkdir_p(m->state_dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Failed to create state directory %s: %m", m->state_dir);
        r = pt_mkdir_p(m->runtime_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create runtime directory %s: %m", m->runtime_dir);

        m->host = host_detect(m->sysfs_root, m->proc_root);
        if (m->host == HOST_XEN_DOM0)
                m->xen_iommu = host_xen_iommu(m->xl);

        /* Watch before enumerating, so nothing that happens in between is missed. */
        r = udev_watch_new(m->event, m->uevent_source, manager_handle_uevent, manager_resync, m, &m->udev);
        if (r < 0)
                return r;
        r = inventory_enumerate(&m->inventory, m->sysfs_root, m->pci);
        if (r < 0)
                return r;

        r = manager_open_store(m);
        if (r < 0)
                return r;

        r = manager_jobs_setup(m);
        if (r < 0)
                return r;
        r = manager_hotplug_setup(m);
        if (r < 0)
                return r;
        /* Before the bus: nothing is offered until every device is where the journal says it belongs. */
        r = manager_recover(m);
        if (r < 0)
                return r;

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = manager_dbus_register(m);
        if (r < 0)
                return r;
        r = device_dbus_register(m);
        if (r < 0)
                return r;
        r = guest_dbus_register(m);
        if (r < 0)
                return r;
        r = sd_bus_request_name(m->bus, PT_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire bus name " PT_BUS_NAME ": %m");
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");

        /* What ptctl doctor would say about the host, in the journal from the start: interrupt remapping off
         * above all. */
        DoctorReport report = {};
        (void) doctor_run(m, NULL, &report);
        for (size_t i = 0; i < report.n; i++)
                if (!streq(report.checks[i].status, "ok"))
                        pt_log_full(streq(report.checks[i].status, "fail") ? LOG_ERR : LOG_WARNING, NULL, NULL, NULL,
                                    NULL, "Host check %s: %s%s%s", report.checks[i].name, report.checks[i].message,
                                    isempty(report.checks[i].fix) ? "" : "; fix: ", report.checks[i].fix);
        doctor_report_done(&report);

        pt_log_full(LOG_INFO, PT_MESSAGE_STARTED, NULL, NULL, NULL,
                    "passthrud " PACKAGE_VERSION " ready: %zu PCI devices under %s, hypervisor %s, stub driver %s",
                    m->inventory.n, m->sysfs_root, host_kind_to_string(m->host), host_stub_driver(m->host));
        (void) sd_notifyf(false, "READY=1\nSTATUS=Watching %zu PCI devices", m->inventory.n);
        return 0;
}

int manager_run(Manager *m) {
        int r = sd_event_loop(m->event);
        (void) sd_notify(false, "STOPPING=1");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        log_info("passthrud stopped");
        return r;
}
