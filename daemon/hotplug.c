/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hotplug policy: the rate limiter's bookkeeping, and what a device of a running guest or of the hide pool coming,
 * going or being taken by a host driver means. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "manager.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"
#include "sysfs.h"

uint64_t manager_now(Manager *m) {
        if (m->clock_file) {
                _cleanup_free_ char *text = NULL;
                if (sysfs_read_string("/", m->clock_file, &text) >= 0) {
                        double sec = strtod(text, NULL);
                        if (sec > 0)
                                return (uint64_t) (sec * 1e6);
                }
                log_warning("Cannot read the clock file %s; using the real clock", m->clock_file);
        }
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        return (uint64_t) t.tv_sec * 1000000ULL + (uint64_t) t.tv_nsec / 1000;
}

void manager_hotplug_flush(Manager *m) {
        bool any = false;
        for (size_t i = 0; i < m->limiter.n; i++)
                any = any || m->limiter.windows[i].dirty;
        if (!any || !m->store)
                return;
        int r = store_begin(m->store);
        for (size_t i = 0; r >= 0 && i < m->limiter.n; i++) {
                RateWindow *w = &m->limiter.windows[i];
                if (!w->dirty)
                        continue;
                /* Oldest first, as they are read back. */
                uint64_t stamps[w->count ? w->count : 1];
                for (size_t k = 0; k < w->count; k++)
                        stamps[k] = w->stamps[(w->head + m->limiter.burst - w->count + k) % m->limiter.burst];
                r = store_save_hotplug_window(m->store, w->bdf, stamps, w->count);
        }
        if (r >= 0)
                r = store_commit(m->store);
        if (r < 0) {
                log_warning_errno(r, "Failed to save the hotplug rate-limit windows: %m");
                return;
        }
        for (size_t i = 0; i < m->limiter.n; i++)
                m->limiter.windows[i].dirty = false;
}

static int on_flush(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        manager_hotplug_flush(m);
        return 0;
}

void manager_hotplug_count(Manager *m, const char *bdf) {
        if (ratelimit_record(&m->limiter, bdf, manager_now(m)) < 0)
                return;
        /* A storm costs one save a second, not one per event. */
        int enabled = 0;
        if (m->flush_timer && sd_event_source_get_enabled(m->flush_timer, &enabled) >= 0 && enabled)
                return;
        uint64_t now;
        if (sd_event_now(m->event, CLOCK_MONOTONIC, &now) < 0)
                return;
        if (m->flush_timer) {
                (void) sd_event_source_set_time(m->flush_timer, now + 1000000);
                (void) sd_event_source_set_enabled(m->flush_timer, SD_EVENT_ONESHOT);
        } else
                (void) sd_event_add_time(m->event, &m->flush_timer, CLOCK_MONOTONIC, now + 1000000, 0, on_flush, m);
}

int manager_hotplug_setup(Manager *m) {
        StoredEvent *events = NULL;
        size_t n = 0;
        if (!m->store)
                return 0;
        uint64_t now = manager_now(m);
        int r = store_load_hotplug_events(m->store, now > m->limiter.interval_usec ? now - m->limiter.interval_usec : 0,
                                          &events, &n);
        if (r < 0)
                return log_error_errno(r, "Failed to read the hotplug rate-limit windows: %m");
        for (size_t i = 0; i < n; i++)
                (void) ratelimit_record(&m->limiter, events[i].address, events[i].at);
        for (size_t i = 0; i < m->limiter.n; i++)
                m->limiter.windows[i].dirty = false;
        free(events);
        if (n > 0)
                log_info("Hotplug rate limiter: %zu events of %zu devices in the last %llu s", n, m->limiter.n,
                         (unsigned long long) (m->limiter.interval_usec / 1000000));
        return 0;
}

void manager_hotplug_done(Manager *m) {
        manager_hotplug_flush(m);
        m->flush_timer = sd_event_source_disable_unref(m->flush_timer);
}

bool manager_job_pending(Manager *m, const char *bdf) {
        if (job_find_device(m->current, bdf))
                return true;
        for (Job *j = m->queue; j; j = j->next)
                if (job_find_device(j, bdf))
                        return true;
        return false;
}

/* A claim for the guest that has the device, as at its start, without a reset (nothing has used it yet). */
static void claim_for_guest(Manager *m, Device *d, const Assignment *a) {
        Job *j = job_new(JOB_RECOVER, NULL);
        JobDevice *jd = j ? job_add_device(j, d->bdf) : NULL;
        const StoredHold *h = manager_find_hold(m, d->bdf);
        if (!jd || !(jd->stub = strdup(isempty(a->stored.driver) ? host_stub_driver(m->host) : a->stored.driver)) ||
            !(jd->holder = strdup(a->stored.guest)) ||
            (h ? job_device_origin_hold(jd, h) : job_device_origin_current(jd, m->sysfs_root, d->driver, true)) < 0) {
                job_free(j);
                log_error("Out of memory claiming %s", d->bdf);
                return;
        }
        jd->claim = true;
        manager_enqueue(m, j);
}

void manager_hotplug_added(Manager *m, Device *d) {
        Assignment *a = assignments_find(&m->assignments, d->bdf);
        if (!a || !pt_strv_contains(m->running_guests, a->stored.guest))
                return;
        if (a->problem) {
                pt_log_full(LOG_ERR, PT_MESSAGE_DEVICE_RETURNED, d->bdf, a->stored.guest, NULL,
                            "Device %s of running guest %s is back, but %s; it is not given to the guest", d->bdf,
                            a->stored.guest, a->problem);
                return;
        }
        pt_log_full(LOG_NOTICE, PT_MESSAGE_DEVICE_RETURNED, d->bdf, a->stored.guest, NULL,
                    "Device %s of running guest %s is back, the same hardware%s", d->bdf, a->stored.guest,
                    a->stored.managed ? "; claiming it for the guest again" : "");
        if (a->stored.managed && !device_is_stub_driver(d->driver) && !manager_job_pending(m, d->bdf))
                claim_for_guest(m, d, a);
}

void manager_hotplug_removed(Manager *m, const char *bdf) {
        Assignment *a = assignments_find(&m->assignments, bdf);
        if (!a)
                return;
        bool running = pt_strv_contains(m->running_guests, a->stored.guest);
        pt_log_full(running ? LOG_WARNING : LOG_NOTICE, PT_MESSAGE_DEVICE_MISSING, bdf, a->stored.guest, NULL,
                    "Device %s of %s guest %s is gone (hot-unplug or surprise removal); it is missing until it "
                    "comes back and is the same hardware", bdf, running ? "running" : "stopped", a->stored.guest);
}

void manager_hotplug_driver_changed(Manager *m, Device *d) {
        if (isempty(d->driver) || device_is_stub_driver(d->driver) || manager_job_pending(m, d->bdf))
                return;
        if (d->running) {
                const Assignment *a = assignments_find(&m->assignments, d->bdf);
                if (a && !a->stored.managed && !manager_find_hold(m, d->bdf) && !d->hidden) {
                        /* An unmanaged device the admin put on a stub themselves: their business, but say it. */
                        pt_log_full(LOG_WARNING, PT_MESSAGE_DEVICE_STOLEN, d->bdf, d->guest, d->driver,
                                    "Host driver %s bound %s, an unmanaged device of running guest %s", d->driver,
                                    d->bdf, d->guest);
                        return;
                }
                pt_log_full(LOG_ALERT, PT_MESSAGE_DEVICE_STOLEN, d->bdf, d->guest, d->driver,
                            "Host driver %s bound %s while guest %s is running with it: the guest and the host now "
                            "both drive the device", d->driver, d->bdf, d->guest);
                return;
        }
        const StoredHidden *h = manager_find_hidden(m, d->bdf);
        if (!h)
                return;
        pt_log_full(LOG_WARNING, PT_MESSAGE_DEVICE_STOLEN, d->bdf, NULL, d->driver,
                    "Host driver %s bound hidden device %s; claiming it back for %s", d->driver, d->bdf, h->driver);
        manager_hide_pool_device_added(m, d);
}

int manager_reload_assignments(Manager *m) {
        _cleanup_strv_free_ char **before = assignments_guests(&m->assignments);
        Assignments fresh = {};
        int r = assignments_load(&fresh, m->store);
        if (r < 0)
                return r;
        for (size_t i = 0; i < fresh.n; i++) {
                Assignment *a = &fresh.items[i];
                Device *d = inventory_find_bdf(&m->inventory, a->stored.address);
                (void) assignment_check_identity(a, d);
        }
        assignments_done(&m->assignments);
        m->assignments = fresh;
        _cleanup_strv_free_ char **after = assignments_guests(&m->assignments);
        for (char **g = before; g && *g; g++)
                if (!pt_strv_contains(after, *g))
                        guest_dbus_emit_removed(m, *g);
        for (char **g = after; g && *g; g++) {
                if (!pt_strv_contains(before, *g))
                        guest_dbus_emit_added(m, *g);
                else
                        guest_dbus_emit_changed(m, *g);
        }
        static const char *props[] = { "Guest", "AssignmentProblem", "State", NULL };
        for (size_t i = 0; i < m->inventory.n; i++)
                if (manager_sync_device(m, m->inventory.devices[i]))
                        device_dbus_emit_changed(m, m->inventory.devices[i], props);
        return 0;
}
