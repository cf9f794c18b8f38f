/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "bus-device.h"
#include "bus-guest.h"
#include "config.h"
#include "doctor.h"
#include "log.h"
#include "manager.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"
#include "reactions.h"
#include "recovery.h"

/* The model's notifications: the bus edge signals, the operations react. */
static void on_device_added(Device *d, void *userdata) {
        Manager *m = userdata;
        bus_device_emit_added(&m->bus, d);
        if (m->ops)
                ops_device_added(m->ops, d);
}

static void on_device_removed(Device *d, void *userdata) {
        Manager *m = userdata;
        bus_device_emit_removed(&m->bus, d);
        if (m->ops)
                ops_device_removed(m->ops, d);
}

static void on_device_changed(Device *d, const char *const *properties, void *userdata) {
        Manager *m = userdata;
        bus_device_emit_changed(&m->bus, d, properties);
        if (m->ops)
                ops_device_changed(m->ops, d, properties);
}

static void on_driver_changed(Device *d, const char *old_driver, void *userdata) {
        Manager *m = userdata;
        if (m->ops)
                ops_driver_changed(m->ops, d);
}

static void on_guest_added(const char *guest, void *userdata) {
        Manager *m = userdata;
        bus_guest_emit_added(&m->bus, guest);
}

static void on_guest_removed(const char *guest, void *userdata) {
        Manager *m = userdata;
        bus_guest_emit_removed(&m->bus, guest);
}

static void on_guest_changed(const char *guest, void *userdata) {
        Manager *m = userdata;
        bus_guest_emit_changed(&m->bus, guest);
}

int manager_new(const ManagerConfig *c, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->state_dir = strdup(c->state_dir);
        m->runtime_dir = strdup(c->runtime_dir);
        m->uevent_source = strdup(c->uevent_source);
        m->modprobe = strdup(c->modprobe ? c->modprobe : "modprobe");
        m->xl = strdup(c->xl ? c->xl : "xl");
        m->write_timeout_usec = c->settings.write_timeout_usec ? c->settings.write_timeout_usec : 10 * 1000000ULL;
        if (!m->state_dir || !m->runtime_dir || !m->uevent_source || !m->modprobe || !m->xl)
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

        ModelConfig mc = { .sysfs_root = c->sysfs_root, .proc_root = c->proc_root, .pci_ids = c->pci_ids,
                           .clock_file = c->clock_file, .modules_alias = c->modules_alias,
                           .rate_limit_burst = c->settings.rate_limit_burst,
                           .rate_limit_interval_usec = c->settings.rate_limit_interval_usec,
                           .allow_unsafe_pv = c->settings.allow_unsafe_pv,
                           .names_from_hwdb = c->settings.names_from_hwdb };
        r = model_new(m->event, &mc, &m->model);
        if (r < 0)
                return r;
        m->model->notify = (ModelNotify) {
                .device_added = on_device_added, .device_removed = on_device_removed,
                .device_changed = on_device_changed, .driver_changed = on_driver_changed,
                .guest_added = on_guest_added, .guest_removed = on_guest_removed, .guest_changed = on_guest_changed,
                .userdata = m,
        };
        m->bus.model = m->model;
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        udev_watch_free(m->udev);
        m->leases = leases_free(m->leases);
        m->bus.leases = NULL;
        /* The job under way finishes and its caller hears, before the bus goes. */
        m->ops = ops_free(m->ops);
        m->bus.ops = NULL;
        bus_done(&m->bus);
        model_free(m->model);
        sd_event_unref(m->event);
        free(m->state_dir);
        free(m->runtime_dir);
        free(m->uevent_source);
        free(m->xl);
        free(m->modprobe);
        free(m);
        return NULL;
}

int manager_start(Manager *m) {
        Model *model = m->model;
        int r;

        r = pt_mkdir_p(m->state_dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Failed to create state directory %s: %m", m->state_dir);
        r = pt_mkdir_p(m->runtime_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create runtime directory %s: %m", m->runtime_dir);

        model->host = host_detect(model->sysfs_root, model->proc_root);
        if (model->host == HOST_XEN_DOM0) {
                if (!(model->xl = strdup(m->xl)))
                        return -ENOMEM;
                model_refresh_xen(model);
        }

        /* Watch before enumerating, so nothing that happens in between is missed. */
        r = udev_watch_new(m->event, m->uevent_source, model_handle_uevent, model_resync, model, &m->udev);
        if (r < 0)
                return r;
        r = model_enumerate(model);
        if (r < 0)
                return r;
        r = model_open_store(model, m->state_dir);
        if (r < 0)
                return r;

        Store *journal = NULL;
        if (model->store && (r = store_open_again(model->store, &journal)) < 0)
                return log_error_errno(r, "Failed to open the assignment database for the worker: %m");
        ExecutorConfig xc = { .sysfs_root = model->sysfs_root, .modprobe = m->modprobe,
                              .write_timeout_usec = m->write_timeout_usec, .journal = journal,
                              .xl = model->host == HOST_XEN_DOM0 ? m->xl : NULL };
        r = ops_new(model, m->event, &xc, &m->ops);
        if (r < 0) {
                store_free(journal);
                return r;
        }
        m->ops->notify = (OpsNotify) { .guest_changed = on_guest_changed, .userdata = m };
        m->bus.ops = m->ops;
        /* Before the bus: nothing is offered until every device is where the journal says it belongs. */
        r = ops_recover(m->ops);
        if (r < 0)
                return r;
        /* Owners that ended while passthrud was down have their guests stopped now. */
        r = leases_new(m->ops, m->event, &m->leases);
        if (r < 0)
                return r;
        m->bus.leases = m->leases;
        leases_watch_all(m->leases);

        r = sd_bus_open_system(&m->bus.bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = bus_setup(&m->bus);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(m->bus.bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");

        /* What ptctl doctor would say about the host, in the journal from the start: interrupt remapping off
         * above all. */
        DoctorReport report = {};
        (void) doctor_run(model, NULL, &report);
        for (size_t i = 0; i < report.n; i++)
                if (!streq(report.checks[i].status, "ok"))
                        pt_log_full(streq(report.checks[i].status, "fail") ? LOG_ERR : LOG_WARNING, NULL, NULL, NULL,
                                    NULL, "Host check %s: %s%s%s", report.checks[i].name, report.checks[i].message,
                                    isempty(report.checks[i].fix) ? "" : "; fix: ", report.checks[i].fix);
        doctor_report_done(&report);

        pt_log_full(LOG_INFO, PT_MESSAGE_STARTED, NULL, NULL, NULL,
                    "passthrud " PACKAGE_VERSION " ready: %zu PCI devices under %s, hypervisor %s, stub driver %s",
                    model->inventory.n, model->sysfs_root, host_kind_to_string(model->host),
                    host_stub_driver(model->host));
        (void) sd_notifyf(false, "READY=1\nSTATUS=Watching %zu PCI devices", model->inventory.n);
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
