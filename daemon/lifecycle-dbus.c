/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Manager.StartGuest / StopGuest / ResetDevice: validation and planning when the job's turn comes (nothing is
 * touched on any refusal), then the reply once the worker is done. Errors get their D-Bus names here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "binder.h"
#include "coassign.h"
#include "log.h"
#include "manager.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "polkit.h"
#include "pt-util.h"
#include "sysfs-write.h"
#include "sysfs.h"

static const char *stub_for(Manager *m, const char *chosen) {
        return isempty(chosen) ? host_stub_driver(m->host) : chosen;
}

/* A device sits idle on a stub: nothing on the host uses it and no running guest has it. */
static bool idle(const Device *d) {
        return (isempty(d->driver) || device_on_stub(d)) && !d->running;
}

/* What reset_choose() needs, from the model; 'members' are the devices the reset may also hit freely. */
static int reset_facts(Manager *m, const Device *d, char **members, ResetFacts *f) {
        static char *none[] = { NULL };
        _cleanup_free_ char *rel = sysfs_device_attr(d->bdf, "reset_method");
        bool listed = rel && sysfs_exists(m->sysfs_root, rel);
        *f = (ResetFacts) { .flr = d->flr, .af_flr = d->af_flr, .pm = d->has_pm,
                            .pm_no_soft_reset = d->pm_no_soft_reset, .is_vf = !isempty(d->physical_function),
                            .kernel_methods = !listed ? NULL : d->reset_methods ? d->reset_methods : none };
        /* A bus reset hits everything below the same bridge. */
        for (size_t i = 0; !isempty(d->parent_bridge) && i < m->inventory.n; i++) {
                const Device *x = m->inventory.devices[i];
                if (x == d || !streq(x->parent_bridge, d->parent_bridge) || pt_strv_contains(members, x->bdf) ||
                    idle(x))
                        continue;
                char *text = NULL;
                if (asprintf(&text, "%s (%s)", x->bdf,
                             x->running ? "in a running guest" :
                             isempty(x->driver) ? "no driver" : x->driver) < 0 ||
                    pt_strv_push(&f->bus_blockers, text) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Fills in the reset for a job device by policy. Returns -ENOENT with *why when strict and nothing fits. */
static int plan_reset(Manager *m, const Device *d, char **members, const char *policy_name, bool explicit,
                      JobDevice *jd, char **why) {
        ResetFacts f;
        jd->reset_policy = explicit ? RESET_POLICY_STRICT : reset_policy_from_string(policy_name);
        if (jd->reset_policy == RESET_POLICY_NONE) {
                pt_log_full(LOG_NOTICE, NULL, d->bdf, d->guest, NULL, "Not resetting %s: its reset policy is none",
                            d->bdf);
                return 0;
        }
        int r = reset_facts(m, d, members, &f);
        if (r >= 0)
                r = reset_choose(&f, &jd->reset_method, why);
        pt_strv_free(f.bus_blockers);
        if (r == -ENOENT && jd->reset_policy == RESET_POLICY_BEST_EFFORT) {
                pt_log_full(LOG_WARNING, NULL, d->bdf, d->guest, NULL,
                            "Not resetting %s (reset policy best-effort): %s", d->bdf, *why);
                free(*why);
                *why = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        jd->reset = true;
        return 0;
}

static int check_usable(const Device *d, const char *guest, sd_bus_error *error) {
        if (d->stuck)
                return sd_bus_error_setf(error, PT_ERROR_DEVICE_STUCK,
                                         "cannot start guest %s: %s is stuck (a write to it timed out earlier); "
                                         "check the kernel log, then reset it with 'ptctl reset %s'", guest, d->bdf,
                                         d->bdf);
        if (d->failed || d->off_bus)
                return sd_bus_error_setf(error, PT_ERROR_DEVICE_FAILED,
                                         "cannot start guest %s: %s does not answer (config space reads 0xff); "
                                         "reset it with 'ptctl reset %s' or power-cycle the slot", guest, d->bdf,
                                         d->bdf);
        return 0;
}

static int plan_start(Manager *m, Job *j, sd_bus_error *error) {
        _cleanup_strv_free_ char **members = assignments_devices_of(&m->assignments, j->guest);
        _cleanup_free_ Device **set = NULL;
        CoassignNeed need;
        size_t n = 0;
        int r;

        if (!members)
                return -ENOMEM;
        if (pt_strv_contains(m->running_guests, j->guest))
                return sd_bus_error_setf(error, PT_ERROR_GUEST_RUNNING, "guest %s is already running", j->guest);
        /* uevents keep the model current, except for a device falling off the bus (or coming back), which
         * tells nobody: ask each device, and re-read the ones whose answer changed. */
        for (char **b = members; *b; b++) {
                Device *d = inventory_find_bdf(&m->inventory, *b);
                if (d && (sysfs_config_answers(m->sysfs_root, d->bdf) == -ENXIO) != d->off_bus) {
                        char *one[] = { *b, NULL };
                        manager_refresh_devices(m, one);
                }
        }
        set = calloc(pt_strv_length(members) + 1, sizeof(Device *));
        if (!set)
                return -ENOMEM;
        for (char **b = members; *b; b++) {
                Assignment *a = assignments_find(&m->assignments, *b);
                Device *d = inventory_find_bdf(&m->inventory, *b);
                if (a->problem || !d)
                        return sd_bus_error_setf(error, d ? PT_ERROR_DEVICE_MISMATCHED : PT_ERROR_DEVICE_MISSING,
                                                 "cannot start guest %s: %s: %s", j->guest, *b,
                                                 a->problem ? a->problem : "missing");
                if ((r = check_usable(d, j->guest, error)) < 0)
                        return r;
                if (!a->stored.managed && !device_on_stub(d))
                        return sd_bus_error_setf(error, PT_ERROR_STILL_ATTACHED, isempty(d->driver) ?
                                                 "cannot start guest %s: device %s%s has no driver; an unmanaged device "
                                                 "must already be bound to a stub driver" :
                                                 "cannot start guest %s: device %s is still attached to host driver %s",
                                                 j->guest, d->bdf, strempty(d->driver));
                set[n++] = d;
        }
        for (size_t i = 0; i < n; i++) {
                Device *x = coassign_group_blocker(&m->inventory, set[i], members);
                if (x)
                        return sd_bus_error_setf(error, PT_ERROR_GROUP_NOT_VIABLE,
                                                 "cannot start guest %s: IOMMU group %d is not viable: %s is bound to "
                                                 "host driver %s; assign it to %s too, hide it, or unbind it",
                                                 j->guest, set[i]->iommu_group, x->bdf, x->driver, j->guest);
        }
        if ((r = manager_check_iommu(m, set, n, error)) < 0)
                return r;
        /* Assignments made together can have been split since (Unassign), or the hardware changed. */
        r = coassign_first_unmet(&m->inventory, set, n, members, &need);
        if (r < 0)
                return r;
        if (r > 0)
                return sd_bus_error_setf(error, PT_ERROR_COASSIGNMENT_REQUIRED,
                                         "cannot start guest %s: %s must be co-assigned to the same guest with %s (%s)",
                                         j->guest, need.device->bdf, need.because->bdf, need.rule);

        for (size_t i = 0; i < n; i++) {
                Device *d = set[i];
                Assignment *a = assignments_find(&m->assignments, d->bdf);
                JobDevice *jd = job_add_device(j, d->bdf);
                _cleanup_free_ char *why = NULL;
                if (!jd)
                        return -ENOMEM;
                jd->stub = strdup(stub_for(m, a->stored.driver));
                jd->holder = strdup(d->hidden ? STORE_HOLDER_HIDDEN : j->guest);
                if (!jd->stub || !jd->holder)
                        return -ENOMEM;
                jd->claim = a->stored.managed && !streq(strempty(d->driver), jd->stub);
                if (jd->claim && (r = job_device_origin_current(jd, m->sysfs_root, d->driver, true)) < 0)
                        return r;
                r = plan_reset(m, d, members, a->stored.reset_policy, false, jd, &why);
                if (r == -ENOENT)
                        return sd_bus_error_setf(error, PT_ERROR_NO_RESET,
                                                 "cannot start guest %s: %s has %s; set its reset policy to "
                                                 "best-effort or none to start without one", j->guest, d->bdf, why);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int plan_stop(Manager *m, Job *j, sd_bus_error *error) {
        _cleanup_strv_free_ char **members = assignments_devices_of(&m->assignments, j->guest);
        if (!members)
                return -ENOMEM;
        if (!pt_strv_contains(m->running_guests, j->guest))
                return sd_bus_error_setf(error, PT_ERROR_GUEST_NOT_RUNNING, "guest %s is not running", j->guest);
        for (char **b = members; *b; b++) {
                Assignment *a = assignments_find(&m->assignments, *b);
                const StoredHold *h = manager_find_hold(m, *b);
                Device *d = inventory_find_bdf(&m->inventory, *b);
                _cleanup_free_ char *why = NULL;
                if (!d || d->stuck) {
                        pt_log_full(LOG_WARNING, NULL, *b, j->guest, NULL, "Stopping guest %s: %s is %s; leaving it "
                                    "as it is", j->guest, *b, d ? "stuck" : "missing");
                        continue;
                }
                JobDevice *jd = job_add_device(j, d->bdf);
                if (!jd)
                        return -ENOMEM;
                if (plan_reset(m, d, members, a->stored.reset_policy, false, jd, &why) == -ENOENT)
                        pt_log_full(LOG_WARNING, NULL, d->bdf, j->guest, NULL, "Stopping guest %s: not resetting "
                                    "%s: %s", j->guest, d->bdf, why);
                /* Hidden meanwhile: it stays on its stub, and unhiding sends it home. */
                if (h && streq(h->holder, j->guest) && !d->hidden) {
                        jd->release = true;
                        if (job_device_origin_hold(jd, h) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

static int plan_reset_device(Manager *m, Job *j, sd_bus_error *error) {
        JobDevice *jd = &j->devices[0];
        _cleanup_free_ char *why = NULL;
        /* Config space may answer again without any uevent saying so: read it fresh. */
        char *one[] = { jd->bdf, NULL };
        manager_refresh_devices(m, one);
        Device *d = manager_resolve_device(m, jd->bdf, error);
        if (!d)
                return -ENODEV;
        if (d->stuck)
                pt_log_full(LOG_NOTICE, NULL, d->bdf, NULL, NULL, "Resetting %s, which was stuck", d->bdf);
        if (d->running)
                return sd_bus_error_setf(error, PT_ERROR_GUEST_RUNNING,
                                         "%s belongs to guest %s, which is running; stop the guest first", d->bdf,
                                         d->guest);
        if (!isempty(d->driver) && !device_on_stub(d))
                return sd_bus_error_setf(error, PT_ERROR_STILL_ATTACHED,
                                         "%s is bound to host driver %s; passthrud resets only devices on a stub "
                                         "driver or without one", d->bdf, d->driver);
        char *self[] = { d->bdf, NULL };
        int r = plan_reset(m, d, self, NULL, true, jd, &why);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, PT_ERROR_NO_RESET, "%s has %s", d->bdf, why);
        if (r < 0)
                return r;
        /* A stop that could not reset it left it on the stub; clean now, it goes home. */
        const StoredHold *h = manager_find_hold(m, d->bdf);
        if (h && !d->hidden && !streq(h->holder, STORE_HOLDER_HIDDEN) &&
            !pt_strv_contains(m->running_guests, h->holder)) {
                jd->release = true;
                return job_device_origin_hold(jd, h);
        }
        return 0;
}

int lifecycle_plan_reset(Manager *m, const Device *d, char **members, const char *policy, JobDevice *jd, char **why) {
        return plan_reset(m, d, members, policy, false, jd, why);
}

int lifecycle_plan(Manager *m, Job *j, sd_bus_error *error) {
        if (m->store_problem && j->kind != JOB_RESET)
                return sd_bus_error_set(error, PT_ERROR_STORE_CORRUPT, m->store_problem);
        if (j->kind == JOB_ATTACH || j->kind == JOB_DETACH)
                return hotplug_plan(m, j, error);
        if (j->guest && !assignments_has_guest(&m->assignments, j->guest))
                return sd_bus_error_setf(error, PT_ERROR_UNKNOWN_GUEST, "no guest %s", j->guest);
        switch (j->kind) {
        case JOB_START_GUEST:
                return plan_start(m, j, error);
        case JOB_STOP_GUEST:
                return plan_stop(m, j, error);
        case JOB_RESET:
                return plan_reset_device(m, j, error);
        case JOB_HIDE:
        case JOB_UNHIDE:
                return hide_plan(m, j, error);
        case JOB_RECOVER:
                return 0;
        case JOB_ATTACH:
        case JOB_DETACH:
                break;
        }
        return -EINVAL;
}

/* The failed device decides the error's name. */
static int set_job_error(Manager *m, const Job *j, sd_bus_error *error) {
        const JobDevice *d = j->failed_index >= 0 ? &j->devices[j->failed_index] : NULL;
        const char *name = !d ? PT_ERROR_INTERNAL :
                           d->stuck ? PT_ERROR_TIMEOUT :
                           d->driver_missing ? PT_ERROR_DRIVER_UNAVAILABLE :
                           d->reset_failed || d->failed ? PT_ERROR_RESET_FAILED : PT_ERROR_BIND_FAILED;
        const char *what = j->kind == JOB_START_GUEST ? "cannot start guest" :
                           j->kind == JOB_STOP_GUEST ? "stopped guest" :
                           j->kind == JOB_ATTACH ? "cannot attach to guest" :
                           j->kind == JOB_DETACH ? "cannot detach from guest" : NULL;
        return sd_bus_error_setf(error, name, "%s%s%s%s%s%s%s", what ? what : "", what ? " " : "",
                                 what ? j->guest : "", what ? ": " : "", strempty(j->message),
                                 d && d->stuck ? " (the device is marked stuck)" :
                                 d && d->failed ? " (the device is marked failed and stays on its stub)" : "",
                                 j->rolled_back ? "; everything done so far was undone" : "");
}

static int reply_started(Manager *m, Job *j) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(j->request, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssbbis)");
        for (size_t i = 0; r >= 0 && i < j->n_devices; i++) {
                const JobDevice *jd = &j->devices[i];
                const Assignment *a = assignments_find(&m->assignments, jd->bdf);
                const Device *d = inventory_find_bdf(&m->inventory, jd->bdf);
                if (!a)
                        continue;
                /* Sent before the model is re-read: a claimed device is on its stub, the others as they were. */
                const char *driver = jd->claimed ? jd->stub : d ? strempty(d->driver) : "";
                r = sd_bus_message_append(reply, "(ssbbis)", a->stored.address, driver,
                                          (int) a->stored.managed, (int) a->stored.permissive, a->stored.vslot,
                                          strempty(a->stored.options));
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        return r;
}

static void reply(Manager *m, Job *j) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;
        if (j->error) {
                set_job_error(m, j, &error);
                r = sd_bus_reply_method_error(j->request, &error);
        } else if (j->kind == JOB_START_GUEST)
                r = reply_started(m, j);
        else if (j->kind == JOB_ATTACH)
                r = sd_bus_reply_method_return(j->request, "(ssbbis)", j->record.address, j->devices[0].stub,
                                               (int) j->record.managed, (int) j->record.permissive, j->record.vslot,
                                               strempty(j->record.options));
        else if (j->kind == JOB_HIDE)
                r = sd_bus_reply_method_return(j->request, "s", j->devices[0].bdf);
        else if (j->kind == JOB_RESET)
                r = sd_bus_reply_method_return(j->request, "s",
                                               j->devices[0].reset_method ? j->devices[0].reset_method : "");
        else
                r = sd_bus_reply_method_return(j->request, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to reply to %s: %m", sd_bus_message_get_member(j->request));
}

void lifecycle_finish(Manager *m, Job *j) {
        _cleanup_strv_free_ char **bdfs = NULL;
        for (size_t i = 0; !j->noop && i < j->n_devices; i++) {
                JobDevice *d = &j->devices[i];
                (void) pt_strv_push(&bdfs, strdup(d->bdf));
                pt_strv_set(&m->stuck, d->bdf, d->stuck);
                if (d->failed)
                        pt_strv_set(&m->failed, d->bdf, true);
                else if (d->was_reset || d->released)
                        pt_strv_set(&m->failed, d->bdf, false);
        }
        if (j->kind == JOB_HIDE && j->error)
                hide_undo(m, j);
        /* The caller hears first. Nothing else runs on the main loop until the model below is brought up to
         * date, so the next request, this caller's included, sees it updated. */
        if (j->request)
                reply(m, j);

        int r;
        if (j->kind == JOB_ATTACH || j->kind == JOB_DETACH) {
                r = manager_reload_assignments(m);
                if (r < 0)
                        log_warning_errno(r, "Failed to re-read the assignments: %m");
        }
        r = manager_reload_lifecycle(m);
        if (r < 0)
                log_warning_errno(r, "Failed to re-read the managed-mode records: %m");
        manager_refresh_devices(m, bdfs);

        if (j->kind == JOB_START_GUEST || j->kind == JOB_STOP_GUEST) {
                bool start = j->kind == JOB_START_GUEST;
                if (j->error)
                        pt_log_full(LOG_ERR, PT_MESSAGE_OPERATION_FAILED, NULL, j->guest, NULL, "%s guest %s%s: %s",
                                    start ? "Starting" : "Stopping", j->guest, start ? " failed" : " had failures",
                                    strempty(j->message));
                if (!start || !j->error)
                        pt_log_full(LOG_INFO, start ? PT_MESSAGE_GUEST_STARTED : PT_MESSAGE_GUEST_STOPPED, NULL,
                                    j->guest, NULL, "Guest %s %s: %zu devices", j->guest,
                                    start ? "started" : "stopped", j->n_devices);
                guest_dbus_emit_changed(m, j->guest);
        }
}

static int enqueue_guest_job(sd_bus_message *msg, Manager *m, JobKind kind, sd_bus_error *error) {
        const char *guest;
        int r = sd_bus_message_read(msg, "s", &guest);
        if (r < 0)
                return r;
        if (!guest_name_valid(guest))
                return sd_bus_error_setf(error, PT_ERROR_INVALID_GUEST_NAME, "invalid guest name");
        if (!assignments_has_guest(&m->assignments, guest))
                return sd_bus_error_setf(error, PT_ERROR_UNKNOWN_GUEST, "no guest %s", guest);
        r = polkit_authorize(msg, PT_ACTION_MANAGE, error);
        if (r < 0)
                return r;
        Job *j = job_new(kind, guest);
        if (!j)
                return -ENOMEM;
        j->request = sd_bus_message_ref(msg);
        manager_enqueue(m, j);
        return 1;
}

int method_start_guest(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return enqueue_guest_job(msg, userdata, JOB_START_GUEST, error);
}

int method_stop_guest(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return enqueue_guest_job(msg, userdata, JOB_STOP_GUEST, error);
}

int method_reset_device(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *address;
        int r = sd_bus_message_read(msg, "s", &address);
        if (r < 0)
                return r;
        Device *d = manager_resolve_device(m, address, error);
        if (!d)
                return -ENODEV;
        r = polkit_authorize(msg, PT_ACTION_MANAGE, error);
        if (r < 0)
                return r;
        Job *j = job_new(JOB_RESET, NULL);
        if (!j || !job_add_device(j, d->bdf)) {
                job_free(j);
                return -ENOMEM;
        }
        j->request = sd_bus_message_ref(msg);
        manager_enqueue(m, j);
        return 1;
}
