/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "model.h"
#include "modules-alias.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"
#include "sysfs.h"
#include "xen.h"

int model_new(sd_event *event, const ModelConfig *c, Model **ret) {
        _cleanup_(model_freep) Model *m = calloc(1, sizeof(*m));
        int r;
        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(event);
        m->sysfs_root = strdup(c->sysfs_root);
        m->proc_root = strdup(c->proc_root);
        if (!m->sysfs_root || !m->proc_root || (c->clock_file && !(m->clock_file = strdup(c->clock_file))))
                return -ENOMEM;
        m->modules_alias = c->modules_alias ? strdup(c->modules_alias) : modules_alias_default_path();
        if (!m->modules_alias)
                return -ENOMEM;
        m->allow_unsafe_pv = c->allow_unsafe_pv;
        m->xen_iommu = -ENODATA;
        ratelimit_init(&m->limiter, c->rate_limit_burst ? c->rate_limit_burst : 512,
                       c->rate_limit_interval_usec ? c->rate_limit_interval_usec : 60 * 1000000ULL);
        r = pci_access_new(m->sysfs_root, c->pci_ids, c->names_from_hwdb, &m->pci);
        if (r < 0)
                return log_error_errno(r, "Failed to set up libpci on %s: %m", m->sysfs_root);
        *ret = TAKE_PTR(m);
        return 0;
}

Model *model_free(Model *m) {
        if (!m)
                return NULL;
        model_hotplug_flush(m);
        sd_event_source_disable_unref(m->flush_timer);
        sd_event_source_disable_unref(m->refresh_source);
        sd_event_source_disable_unref(m->names_source);
        pt_strv_free(m->refresh_pending);
        ratelimit_done(&m->limiter);
        records_done(&m->records);
        assignments_done(&m->assignments);
        store_free(m->store);
        free(m->store_problem);
        inventory_done(&m->inventory);
        pci_access_free(m->pci);
        sd_event_unref(m->event);
        free(m->sysfs_root);
        free(m->proc_root);
        free(m->clock_file);
        free(m->modules_alias);
        free(m->xl);
        pt_strv_free(m->xen_assigned);
        free(m);
        return NULL;
}

/* Derived facts. */

const char *model_device_guest(const Model *m, const char *bdf) {
        const Assignment *a = assignments_find(&m->assignments, bdf);
        return a ? a->stored.guest : NULL;
}

const char *model_device_problem(const Model *m, const char *bdf) {
        const Assignment *a = assignments_find(&m->assignments, bdf);
        return a ? a->problem : NULL;
}

bool model_device_hidden(const Model *m, const char *bdf) {
        return records_find_hidden(&m->records, bdf);
}

bool model_device_running(const Model *m, const char *bdf) {
        return records_guest_running(&m->records, model_device_guest(m, bdf));
}

bool model_device_stuck(const Model *m, const char *bdf) {
        return records_stuck(&m->records, bdf);
}

bool model_device_failed(const Model *m, const char *bdf) {
        const Device *d = inventory_find_bdf(&m->inventory, bdf);
        return records_failed(&m->records, bdf) || (d && d->off_bus);
}

const char *model_device_state(const Model *m, const Device *d) {
        if (model_device_stuck(m, d->bdf))
                return PT_STATE_STUCK;
        if (records_failed(&m->records, d->bdf) || d->off_bus)
                return PT_STATE_FAILED;
        if (model_device_running(m, d->bdf))
                return PT_STATE_RUNNING;
        if (model_device_hidden(m, d->bdf))
                return PT_STATE_HIDDEN;
        if (device_on_stub(d))
                return PT_STATE_CLAIMED;
        return PT_STATE_HOST;
}

const char *model_device_xen_domain(const Model *m, const char *bdf) {
        size_t n = strlen(bdf);
        for (char **e = m->xen_assigned; e && *e; e++)
                if (strncmp(*e, bdf, n) == 0 && (*e)[n] == ' ')
                        return *e + n + 1;
        return NULL;
}

bool model_has_iommu_groups(const Model *m) {
        for (size_t i = 0; i < m->inventory.n; i++)
                if (m->inventory.devices[i]->iommu_group >= 0)
                        return true;
        return false;
}

/* What a device's derived properties say, before and after a change of records or assignments, so that exactly
 * the devices whose State, Guest or AssignmentProblem changed hear of it. */
typedef struct Facts {
        char **addresses;
        char **values;
} Facts;

static char *facts_of(const Model *m, const char *bdf) {
        const Device *d = inventory_find_bdf(&m->inventory, bdf);
        char *s = NULL;
        if (asprintf(&s, "%s\037%s\037%s", d ? model_device_state(m, d) : "", strempty(model_device_guest(m, bdf)),
                     strempty(model_device_problem(m, bdf))) < 0)
                return NULL;
        return s;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Every address with an assignment or a record, sorted, each once (a host may have a thousand). */
static char **facts_addresses(const Model *m) {
        _cleanup_strv_free_ char **records = NULL;
        if (records_addresses(&m->records, &records) < 0)
                return NULL;
        size_t nr = pt_strv_length(records), n = 0;
        char **all = calloc(m->assignments.n + nr + 1, sizeof(char *));
        if (!all)
                return NULL;
        for (size_t i = 0; i < m->assignments.n; i++)
                all[n++] = m->assignments.items[i].stored.address;
        for (size_t i = 0; i < nr; i++)
                all[n++] = records[i];
        qsort(all, n, sizeof(char *), cmp_str);
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (k == 0 || !streq(all[k - 1], all[i]))
                        all[k++] = all[i];
        for (size_t i = 0; i < k; i++)
                if (!(all[i] = strdup(all[i]))) {
                        all[i] = NULL;
                        pt_strv_free(all);
                        return NULL;
                }
        all[k] = NULL;
        return all;
}

static void facts_begin(Facts *f, const Model *m) {
        *f = (Facts) { .addresses = facts_addresses(m) };
        size_t n = pt_strv_length(f->addresses);
        f->values = calloc(n + 1, sizeof(char *));
        for (size_t i = 0; f->values && i < n; i++)
                f->values[i] = facts_of(m, f->addresses[i]);
}

/* Every device whose derived facts differ from before hears of it, including those that gained or lost a
 * record or assignment. */
static void facts_end(Facts *f, Model *m) {
        static const char *const props[] = { "Guest", "AssignmentProblem", "State", NULL };
        _cleanup_strv_free_ char **now = facts_addresses(m);
        size_t nb = pt_strv_length(f->addresses), nn = pt_strv_length(now), i = 0, k = 0;
        while (i < nb || k < nn) {
                int c = i >= nb ? 1 : k >= nn ? -1 : strcmp(f->addresses[i], now[k]);
                const char *bdf = c <= 0 ? f->addresses[i] : now[k];
                const char *before = c <= 0 && f->values ? f->values[i] : "";
                Device *d = inventory_find_bdf(&m->inventory, bdf);
                _cleanup_free_ char *after = d ? facts_of(m, bdf) : NULL;
                if (d && after && (!before || !streq(after, before)) && m->notify.device_changed)
                        m->notify.device_changed(d, props, m->notify.userdata);
                if (c <= 0)
                        i++;
                if (c >= 0)
                        k++;
        }
        pt_strv_free(f->addresses);
        pt_strv_free(f->values);
        *f = (Facts) {};
}

static void notify_guest(Model *m, void (*cb)(const char *, void *), const char *guest) {
        if (cb)
                cb(guest, m->notify.userdata);
}

/* The inventory. */

/* The assignment at bdf, if any, checked against what is there now (d may be NULL: nothing is); the guest hears
 * of a changed verdict. */
static void recheck_assignment(Model *m, const char *bdf, const Device *d) {
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
        notify_guest(m, m->notify.guest_changed, a->stored.guest);
}

static void refresh_device(Model *m, const PtAddress *a);
static void device_added(Model *m, const PtAddress *a);

static void device_removed(Model *m, Device *d) {
        pt_log_full(LOG_INFO, PT_MESSAGE_DEVICE_REMOVED, d->bdf, NULL, NULL, "Device %s removed", d->bdf);
        if (m->notify.device_removed)
                m->notify.device_removed(d, m->notify.userdata);
        char bdf[PT_ADDRESS_STRLEN];
        memcpy(bdf, d->bdf, sizeof(bdf));
        device_free(inventory_take(&m->inventory, &d->address));
        recheck_assignment(m, bdf, NULL);

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
        static const char *const props[] = { "IommuGroupMembers", "VirtualFunctions", NULL };
        for (char **p = related; p && *p; p++) {
                model_refresh_devices(m, (char *[]) { *p, NULL });
                Device *x = inventory_find_bdf(&m->inventory, *p);
                if (x && (pt_strv_contains(x->iommu_group_members, bdf) || pt_strv_contains(x->virtual_functions, bdf))) {
                        pt_strv_set(&x->iommu_group_members, bdf, false);
                        pt_strv_set(&x->virtual_functions, bdf, false);
                        if (m->notify.device_changed)
                                m->notify.device_changed(x, props, m->notify.userdata);
                }
        }
}

static void refresh_device(Model *m, const PtAddress *a) {
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
        _cleanup_free_ char *old_driver = strdup(d->driver), *old_state = strdup(model_device_state(m, d));
        r = device_update(d, fresh, &changed);
        if (r < 0)
                return;
        if (old_state && !streq(old_state, model_device_state(m, d)))
                changed[r++] = "State";
        if (r == 0)
                return;
        if (m->notify.device_changed)
                m->notify.device_changed(d, changed, m->notify.userdata);
        if (old_driver && !streq(old_driver, d->driver)) {
                pt_log_full(LOG_INFO, PT_MESSAGE_DRIVER_CHANGED, d->bdf, NULL, isempty(d->driver) ? NULL : d->driver,
                            "Device %s driver changed: %s -> %s", d->bdf, isempty(old_driver) ? "(none)" : old_driver,
                            isempty(d->driver) ? "(none)" : d->driver);
                if (m->notify.driver_changed)
                        m->notify.driver_changed(d, old_driver, m->notify.userdata);
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

void model_refresh_devices(Model *m, char *const *bdfs) {
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

static int on_names_idle(sd_event_source *s, uint64_t usec, void *userdata) {
        pci_access_drop_names(((Model *) userdata)->pci);
        return 0;
}

/* A hot-plug burst reads pci.ids once; ten seconds after its last device the names go again. */
static void drop_names_later(Model *m) {
        uint64_t when = 0;
        if (sd_event_now(m->event, CLOCK_MONOTONIC, &when) < 0)
                return;
        when += 10 * 1000000ULL;
        if (m->names_source) {
                (void) sd_event_source_set_time(m->names_source, when);
                (void) sd_event_source_set_enabled(m->names_source, SD_EVENT_ONESHOT);
        } else
                (void) sd_event_add_time(m->event, &m->names_source, CLOCK_MONOTONIC, when, 1000000ULL,
                                         on_names_idle, m);
}

static void device_added(Model *m, const PtAddress *a) {
        Device *d;
        drop_names_later(m);
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
        /* Its assignment's verdict is in place before it is announced: no change signals for it first. */
        recheck_assignment(m, d->bdf, d);
        pt_log_full(LOG_INFO, PT_MESSAGE_DEVICE_ADDED, d->bdf, NULL, isempty(d->driver) ? NULL : d->driver,
                    "Device %s added: %04x:%04x %s", d->bdf, d->vendor_id, d->device_id, d->device_name);
        if (m->notify.device_added)
                m->notify.device_added(d, m->notify.userdata);

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

int model_enumerate(Model *m) {
        int r = inventory_enumerate(&m->inventory, m->sysfs_root, m->pci);
        /* Every device is named; the names table is read again for the next new device. */
        pci_access_drop_names(m->pci);
        return r;
}

/* After lost uevents: what is there now against what the inventory says, as if each difference had its event. */
void model_resync(void *userdata) {
        Model *m = userdata;
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
        Model *m = userdata;
        _cleanup_strv_free_ char **pending = TAKE_PTR(m->refresh_pending);
        model_refresh_devices(m, pending);
        return 0;
}

void model_handle_uevent(const char *action, const char *bdf, void *userdata) {
        Model *m = userdata;
        PtAddress a;

        if (pt_address_parse_bdf(bdf, &a, NULL) < 0)
                return;
        log_debug("uevent %s %s", action, bdf);
        m->uevents++;
        if (streq(action, "add") || streq(action, "remove"))
                model_hotplug_count(m, bdf);
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

/* The store's records. */

int model_open_store(Model *m, const char *state_dir) {
        _cleanup_free_ char *reason = NULL, *path = pt_path_join(state_dir, "passthru.db");
        int r = store_open(state_dir, &m->store, &reason);
        if (r == -EBADMSG || r == -EPROTO) {
                /* A database that cannot be trusted is reported by name and left alone; inventory keeps working,
                 * assignment changes are refused until an admin repairs or moves it aside. */
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
        r = records_load(&m->records, m->store);
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
        log_info("Assignment database %s: %zu assignments", store_path(m->store), m->assignments.n);

        /* The rate windows of the last interval: a restart does not reset them. */
        StoredEvent *events = NULL;
        size_t n = 0;
        uint64_t now = model_now(m);
        r = store_load_hotplug_events(m->store, now > m->limiter.interval_usec ? now - m->limiter.interval_usec : 0,
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

int model_reload_records(Model *m) {
        if (!m->store)
                return 0;
        _cleanup_strv_free_ char **before = pt_strv_copy(m->records.running_guests);
        Facts f;
        facts_begin(&f, m);
        int r = records_load(&m->records, m->store);
        if (r < 0) {
                pt_strv_free(f.addresses);
                pt_strv_free(f.values);
                return r;
        }
        /* Guests whose running flag flipped hear of it. */
        for (char **g = before; g && *g; g++)
                if (!records_guest_running(&m->records, *g))
                        notify_guest(m, m->notify.guest_changed, *g);
        for (char **g = m->records.running_guests; g && *g; g++)
                if (!pt_strv_contains(before, *g))
                        notify_guest(m, m->notify.guest_changed, *g);
        facts_end(&f, m);
        return 0;
}

int model_reload_assignments(Model *m) {
        if (!m->store)
                return 0;
        _cleanup_strv_free_ char **before = assignments_guests(&m->assignments);
        Assignments fresh = {};
        int r = assignments_load(&fresh, m->store);
        if (r < 0)
                return r;
        for (size_t i = 0; i < fresh.n; i++) {
                Assignment *a = &fresh.items[i];
                (void) assignment_check_identity(a, inventory_find_bdf(&m->inventory, a->stored.address));
        }
        _cleanup_strv_free_ char **after = assignments_guests(&fresh);
        /* A guest that is gone is announced while it can still be asked about. */
        for (char **g = before; g && *g; g++)
                if (!pt_strv_contains(after, *g))
                        notify_guest(m, m->notify.guest_removed, *g);
        Facts f;
        facts_begin(&f, m);
        assignments_done(&m->assignments);
        m->assignments = fresh;
        for (char **g = after; g && *g; g++)
                notify_guest(m, pt_strv_contains(before, *g) ? m->notify.guest_changed : m->notify.guest_added, *g);
        facts_end(&f, m);
        return 0;
}

int model_add_assignments(Model *m, const StoredAssignment *list, size_t n) {
        if (n == 0)
                return 0;
        bool new_guest = !assignments_has_guest(&m->assignments, list[0].guest);
        Facts f;
        facts_begin(&f, m);
        int r = 0;
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = assignments_add(&m->assignments, &list[i]);
        facts_end(&f, m);
        notify_guest(m, new_guest ? m->notify.guest_added : m->notify.guest_changed, list[0].guest);
        return r;
}

void model_remove_assignments(Model *m, const char *guest, char *const *addresses) {
        _cleanup_free_ char *name = strdup(guest); /* guest may point into what goes */
        if (!name)
                return;
        _cleanup_strv_free_ char **all = assignments_devices_of(&m->assignments, name);
        bool last = pt_strv_length(addresses) >= pt_strv_length(all);
        if (last)
                notify_guest(m, m->notify.guest_removed, name);
        Facts f;
        facts_begin(&f, m);
        for (char *const *a = addresses; a && *a; a++)
                assignments_remove(&m->assignments, *a);
        facts_end(&f, m);
        if (!last)
                notify_guest(m, m->notify.guest_changed, name);
}

static void set_flag(Model *m, const char *bdf, bool stuck_flag, bool value) {
        if ((stuck_flag ? records_stuck(&m->records, bdf) : records_failed(&m->records, bdf)) == value)
                return;
        Device *d = inventory_find_bdf(&m->inventory, bdf);
        const char *before = d ? model_device_state(m, d) : NULL;
        if (stuck_flag)
                records_set_stuck(&m->records, bdf, value);
        else
                records_set_failed(&m->records, bdf, value);
        static const char *const props[] = { "State", NULL };
        if (d && !streq(before, model_device_state(m, d)) && m->notify.device_changed)
                m->notify.device_changed(d, props, m->notify.userdata);
}

void model_set_stuck(Model *m, const char *bdf, bool stuck) {
        set_flag(m, bdf, true, stuck);
}

void model_set_failed(Model *m, const char *bdf, bool failed) {
        set_flag(m, bdf, false, failed);
}

void model_refresh_xen(Model *m) {
        if (m->host != HOST_XEN_DOM0 || m->xen_iommu >= 0 || !m->xl)
                return;
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        uint64_t now = (uint64_t) t.tv_sec * 1000000ULL + (uint64_t) t.tv_nsec / 1000;
        if (m->xen_asked_usec && now - m->xen_asked_usec < 30 * 1000000ULL)
                return;
        m->xen_asked_usec = now;
        XenInfo info;
        int r = xen_info(m->xl, 2 * 1000000ULL, &info);
        if (r < 0) {
                log_debug("xl info still cannot tell Xen's facts: %s", strerror(-r));
                return;
        }
        m->xen_iommu = info.iommu;
        m->xen_major = info.major;
        m->xen_minor = info.minor;
        log_info("Xen %u.%u: %s", info.major, info.minor, info.iommu ? "I/O virtualisation (an IOMMU) enabled" :
                 "no IOMMU");
}

/* Hotplug rate windows. */

uint64_t model_now(const Model *m) {
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

void model_hotplug_flush(Model *m) {
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
        model_hotplug_flush(userdata);
        return 0;
}

void model_hotplug_count(Model *m, const char *bdf) {
        if (ratelimit_record(&m->limiter, bdf, model_now(m)) < 0)
                return;
        /* A storm costs one save a second, not one per event. */
        int enabled = 0;
        if (!m->event || (m->flush_timer && sd_event_source_get_enabled(m->flush_timer, &enabled) >= 0 && enabled))
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
