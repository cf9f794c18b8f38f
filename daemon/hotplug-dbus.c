/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Manager.AttachDevice / DetachDevice (xm pci-attach / pci-detach) and CanMigrate: hot attach and detach of one
 * device to and from a running guest, through the rate limiter, and the migration guard. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "coassign.h"
#include "log.h"
#include "manager.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "polkit.h"
#include "pt-util.h"
#include "sysfs-write.h"

/* Every attach and detach of a device counts; past the burst in the window, it waits. */
static int check_rate(Manager *m, const char *bdf, const char *what, sd_bus_error *error) {
        uint64_t wait = 0;
        if (ratelimit_allowed(&m->limiter, bdf, manager_now(m), &wait)) {
                manager_hotplug_count(m, bdf);
                manager_hotplug_flush(m);
                return 0;
        }
        unsigned secs = (unsigned) ((wait + 999999) / 1000000);
        pt_log_full(LOG_WARNING, PT_MESSAGE_RATE_LIMITED, bdf, NULL, NULL,
                    "Refused to %s %s: %u hot(un)plugs in the last %llu s; allowed again in %u s", what, bdf,
                    m->limiter.burst, (unsigned long long) (m->limiter.interval_usec / 1000000), secs);
        return sd_bus_error_setf(error, PT_ERROR_RATE_LIMITED,
                                 "%s was hot(un)plugged %u times in the last %llu s, the most the kernel is trusted "
                                 "with; %s is allowed again in %u s", bdf, m->limiter.burst,
                                 (unsigned long long) (m->limiter.interval_usec / 1000000), what, secs);
}

static int plan_attach(Manager *m, Job *j, sd_bus_error *error) {
        JobDevice *jd = &j->devices[0];
        StoredAssignment *rec = &j->record;
        Device *d = manager_resolve_device(m, jd->bdf, error);
        if (!d)
                return -ENODEV;
        if (d->is_bridge)
                return sd_bus_error_setf(error, PT_ERROR_NOT_ASSIGNABLE, "%s is a bridge; bridges cannot be assigned",
                                         d->bdf);
        Assignment *a = assignments_find(&m->assignments, d->bdf);
        if (a)
                return sd_bus_error_setf(error, PT_ERROR_ALREADY_ASSIGNED, "%s is already %s guest %s", d->bdf,
                                         streq(a->stored.guest, j->guest) ? "attached to" : "assigned to",
                                         a->stored.guest);
        /* A guest passthrud has no devices for is taken to be running (it was started without passthrough); one
         * with devices that is not running gets them at its start instead. */
        if (assignments_has_guest(&m->assignments, j->guest) && !pt_strv_contains(m->running_guests, j->guest))
                return sd_bus_error_setf(error, PT_ERROR_GUEST_NOT_RUNNING, "guest %s is not running; 'ptctl assign' "
                                         "gives it the device at its start", j->guest);
        int r = manager_check_safety(m, &d, 1, true, j->force, error);
        if (r < 0)
                return r;
        if (d->stuck || d->failed || d->off_bus)
                return sd_bus_error_setf(error, d->stuck ? PT_ERROR_DEVICE_STUCK : PT_ERROR_DEVICE_FAILED,
                                         "%s is %s; reset it with 'ptctl reset %s' first", d->bdf,
                                         d->stuck ? "stuck (a write to it timed out)" : "not answering", d->bdf);
        if (!rec->managed && !device_on_stub(d))
                return sd_bus_error_setf(error, PT_ERROR_STILL_ATTACHED, isempty(d->driver) ?
                                         "device %s%s has no driver; an unmanaged device must already be bound to a "
                                         "stub driver" : "device %s is still attached to host driver %s", d->bdf,
                                         strempty(d->driver));

        /* The guest's devices with this one: the same viability and co-assignment rules as at start. */
        _cleanup_strv_free_ char **members = assignments_devices_of(&m->assignments, j->guest);
        if (!members || pt_strv_push(&members, strdup(d->bdf)) < 0)
                return -ENOMEM;
        Device *x = coassign_group_blocker(&m->inventory, d, members);
        if (x)
                return sd_bus_error_setf(error, PT_ERROR_GROUP_NOT_VIABLE,
                                         "cannot attach %s: IOMMU group %d is not viable: %s is bound to host "
                                         "driver %s", d->bdf, d->iommu_group, x->bdf, x->driver);
        CoassignNeed need;
        r = coassign_first_unmet(&m->inventory, &d, 1, members, &need);
        if (r < 0)
                return r;
        if (r > 0)
                return sd_bus_error_setf(error, PT_ERROR_COASSIGNMENT_REQUIRED,
                                         "cannot attach %s: %s must be co-assigned to the same guest with %s (%s)",
                                         d->bdf, need.device->bdf, need.because->bdf, need.rule);

        jd->stub = strdup(isempty(rec->driver) ? host_stub_driver(m->host) : rec->driver);
        jd->holder = strdup(d->hidden ? STORE_HOLDER_HIDDEN : j->guest);
        if (!jd->stub || !jd->holder)
                return -ENOMEM;
        jd->claim = rec->managed && !streq(strempty(d->driver), jd->stub);
        if (jd->claim && (r = job_device_origin_current(jd, m->sysfs_root, d->driver, true)) < 0)
                return r;
        _cleanup_free_ char *why = NULL;
        r = lifecycle_plan_reset(m, d, members, rec->reset_policy, jd, &why);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, PT_ERROR_NO_RESET, "cannot attach %s: it has %s; set its reset "
                                         "policy to best-effort or none to attach it without one", d->bdf, why);
        if (r < 0)
                return r;
        stored_identity_from_device(&rec->identity, d);
        rec->identity.serial = strdup(d->serial);
        if (!rec->identity.serial)
                return -ENOMEM;
        return check_rate(m, d->bdf, "attach", error);
}

static int plan_detach(Manager *m, Job *j, sd_bus_error *error) {
        JobDevice *jd = &j->devices[0];
        Assignment *a = assignments_find(&m->assignments, jd->bdf);
        if (!a || !streq(a->stored.guest, j->guest))
                return sd_bus_error_setf(error, PT_ERROR_NOT_ASSIGNED, "%s is not attached to guest %s", jd->bdf,
                                         j->guest);
        if (!pt_strv_contains(m->running_guests, j->guest))
                return sd_bus_error_setf(error, PT_ERROR_GUEST_NOT_RUNNING, "guest %s is not running; 'ptctl "
                                         "unassign' takes the device from it", j->guest);
        Device *d = inventory_find_bdf(&m->inventory, jd->bdf);
        int r = check_rate(m, jd->bdf, "detach", error);
        if (r < 0)
                return r;
        if (!d) {
                /* Surprise-removed: only the record is left to drop. */
                jd->forget = true;
                return 0;
        }
        if (d->stuck)
                return sd_bus_error_setf(error, PT_ERROR_DEVICE_STUCK, "%s is stuck (a write to it timed out); reset "
                                         "it with 'ptctl reset %s' first", d->bdf, d->bdf);
        _cleanup_strv_free_ char **members = assignments_devices_of(&m->assignments, j->guest);
        _cleanup_free_ char *why = NULL;
        if (lifecycle_plan_reset(m, d, members, a->stored.reset_policy, jd, &why) == -ENOENT)
                pt_log_full(LOG_WARNING, NULL, d->bdf, j->guest, NULL, "Detaching %s: not resetting it: %s", d->bdf,
                            why);
        const StoredHold *h = manager_find_hold(m, d->bdf);
        if (h && streq(h->holder, j->guest) && !d->hidden) {
                jd->release = true;
                return job_device_origin_hold(jd, h);
        }
        return 0;
}

int hotplug_plan(Manager *m, Job *j, sd_bus_error *error) {
        return j->kind == JOB_ATTACH ? plan_attach(m, j, error) : plan_detach(m, j, error);
}

static int enqueue(sd_bus_message *msg, Manager *m, JobKind kind, const char *guest, const char *address,
                   const AssignOptions *o, sd_bus_error *error) {
        PtAddress a;
        char bdf[PT_ADDRESS_STRLEN];
        if (!guest_name_valid(guest))
                return sd_bus_error_setf(error, PT_ERROR_INVALID_GUEST_NAME, "invalid guest name");
        int r = manager_parse_address(address, &a, error);
        if (r < 0)
                return r;
        if (m->store_problem)
                return sd_bus_error_set(error, PT_ERROR_STORE_CORRUPT, m->store_problem);
        r = polkit_authorize(msg, PT_ACTION_MANAGE, error);
        if (r < 0)
                return r;
        _cleanup_(job_freep) Job *j = job_new(kind, guest);
        if (!j || !job_add_device(j, pt_address_format(&a, bdf)))
                return -ENOMEM;
        if (o) {
                j->record = (StoredAssignment) { .guest = strdup(guest), .managed = o->managed,
                                                 .permissive = o->permissive, .vslot = o->vslot,
                                                 .options = strdup(o->extra), .driver = strdup(o->driver),
                                                 .reset_policy = strdup(o->reset_policy) };
                memcpy(j->record.address, bdf, sizeof(bdf));
                if (!j->record.guest || !j->record.options || !j->record.driver || !j->record.reset_policy)
                        return -ENOMEM;
        }
        j->force = o && o->force;
        j->request = sd_bus_message_ref(msg);
        manager_enqueue(m, TAKE_PTR(j));
        return 1;
}

int method_attach_device(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *guest, *address;
        AssignOptions o;
        int r = sd_bus_message_read(msg, "ss", &guest, &address);
        if (r < 0)
                return r;
        r = assign_options_read(msg, &o, error);
        if (r < 0)
                return r;
        if (o.group)
                return sd_bus_error_set(error, PT_ERROR_INVALID_OPTION, "group does not apply to an attach: attach "
                                        "the devices one by one");
        return enqueue(msg, userdata, JOB_ATTACH, guest, address, &o, error);
}

int method_detach_device(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *guest, *address;
        int r = sd_bus_message_read(msg, "ss", &guest, &address);
        if (r < 0)
                return r;
        return enqueue(msg, userdata, JOB_DETACH, guest, address, NULL, error);
}

/* Save, restore and live migration are impossible while a device is passed through. */
int method_can_migrate(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *guest;
        _cleanup_free_ char *reason = NULL;
        int r = sd_bus_message_read(msg, "s", &guest);
        if (r < 0)
                return r;
        if (!guest_name_valid(guest))
                return sd_bus_error_setf(error, PT_ERROR_INVALID_GUEST_NAME, "invalid guest name");
        _cleanup_strv_free_ char **devices = assignments_devices_of(&m->assignments, guest);
        if (!devices)
                return -ENOMEM;
        bool running = pt_strv_contains(m->running_guests, guest) || streq(manager_guest_state(m, guest),
                                                                            PT_GUEST_STARTING);
        bool can = pt_strv_length(devices) == 0 || !running;
        if (pt_strv_length(devices) == 0)
                r = asprintf(&reason, "guest %s has no passthrough devices", guest);
        else if (!running)
                r = asprintf(&reason, "guest %s is not running; its %zu assigned devices are given to it at its start "
                             "on this host", guest, pt_strv_length(devices));
        else {
                _cleanup_free_ char *list = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&list, &len);
                if (!f)
                        return -ENOMEM;
                for (char **d = devices; *d; d++)
                        fprintf(f, "%s%s", d == devices ? "" : ", ", *d);
                if (fclose(f) != 0)
                        return -ENOMEM;
                r = asprintf(&reason, "guest %s has passthrough devices attached (%s): save, restore and live "
                             "migration are impossible until they are detached", guest, list);
        }
        if (r < 0)
                return -ENOMEM;
        return sd_bus_reply_method_return(msg, "bs", (int) can, reason);
}
