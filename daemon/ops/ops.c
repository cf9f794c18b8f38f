/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The job queue: one job at a time, in the order asked for; each planned when its turn comes (so it sees what the
 * jobs before it did), run by the executor, and finished here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "ops.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "plan.h"
#include "pt-util.h"
#include "sysfs-write.h"

static void job_done(Job *j, void *userdata);

int ops_new(Model *model, sd_event *event, const ExecutorConfig *c, Ops **ret) {
        Ops *o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->model = model;
        int r = executor_new(event, c, job_done, o, &o->exec);
        if (r < 0) {
                free(o);
                return r;
        }
        *ret = o;
        return 0;
}

Ops *ops_free(Ops *o) {
        if (!o)
                return NULL;
        while (o->queue) {
                Job *j = o->queue;
                o->queue = j->next;
                job_free(j);
        }
        executor_free(o->exec);
        free(o);
        return NULL;
}

const char *ops_guest_state(const Ops *o, const char *guest) {
        const Job *c = executor_current(o->exec);
        if (c && c->guest && (c->kind == JOB_START_GUEST || c->kind == JOB_STOP_GUEST) && streq(c->guest, guest))
                return c->kind == JOB_START_GUEST ? PT_GUEST_STARTING : PT_GUEST_STOPPING;
        return records_guest_running(&o->model->records, guest) ? PT_GUEST_RUNNING : PT_GUEST_STOPPED;
}

bool ops_job_pending(const Ops *o, const char *bdf) {
        if (job_find_device(executor_current(o->exec), bdf))
                return true;
        for (Job *j = o->queue; j; j = j->next)
                if (job_find_device(j, bdf))
                        return true;
        return false;
}

/* The outcome as the caller hears it: the failed device decides the error's code. */
static void job_error(const Job *j, PtError *e) {
        const JobDevice *d = j->failed_index >= 0 ? &j->devices[j->failed_index] : NULL;
        PtErrorCode code = !d ? PT_ERR_INTERNAL :
                           d->stuck ? PT_ERR_TIMEOUT :
                           j->kind == JOB_SET_VFS ? (d->error == -ENOENT ? PT_ERR_NOT_SRIOV :
                                                     d->error == -ERANGE || d->error == -EINVAL ?
                                                     PT_ERR_INVALID_VF_COUNT : PT_ERR_INTERNAL) :
                           d->driver_missing ? PT_ERR_DRIVER_UNAVAILABLE :
                           d->reset_failed || d->failed ? PT_ERR_RESET_FAILED : PT_ERR_BIND_FAILED;
        const char *what = j->kind == JOB_START_GUEST ? "cannot start guest" :
                           j->kind == JOB_STOP_GUEST ? "stopped guest" :
                           j->kind == JOB_ATTACH ? "cannot attach to guest" :
                           j->kind == JOB_DETACH ? "cannot detach from guest" : NULL;
        pt_error_set(e, code, "%s%s%s%s%s%s%s", what ? what : "", what ? " " : "", what ? j->guest : "",
                     what ? ": " : "", strempty(j->message),
                     d && d->stuck ? " (the device is marked stuck)" :
                     d && d->failed ? " (the device is marked failed and stays on its stub)" : "",
                     j->rolled_back ? "; everything done so far was undone" : "");
}

/* Applies a finished (or planned-away) job: what it found goes into the model, the caller hears, then what
 * happened is logged and told. */
static void finish(Ops *o, Job *j, const PtError *refusal) {
        Model *m = o->model;
        PtError e = {};
        if (refusal) {
                uint64_t wait = 0;
                if (refusal->code == PT_ERR_RATE_LIMITED &&
                    !ratelimit_allowed(&m->limiter, j->devices[0].bdf, model_now(m), &wait))
                        pt_log_full(LOG_WARNING, PT_MESSAGE_RATE_LIMITED, j->devices[0].bdf, NULL, NULL,
                                    "Refused to %s %s: %u hot(un)plugs in the last %llu s; allowed again in %u s",
                                    job_kind_to_string(j->kind), j->devices[0].bdf, m->limiter.burst,
                                    (unsigned long long) (m->limiter.interval_usec / 1000000),
                                    (unsigned) ((wait + 999999) / 1000000));
                if (j->on_done)
                        j->on_done(j, refusal, j->userdata);
                return;
        }
        job_log_notes(j);
        _cleanup_strv_free_ char **bdfs = NULL;
        for (size_t i = 0; i < j->n_devices; i++) {
                JobDevice *d = &j->devices[i];
                (void) pt_strv_push(&bdfs, strdup(d->bdf));
                model_set_stuck(m, d->bdf, d->stuck);
                if (d->failed)
                        model_set_failed(m, d->bdf, true);
                else if (d->was_reset || d->released)
                        model_set_failed(m, d->bdf, false);
        }
        for (char **x = j->also_failed; x && *x; x++)
                model_set_failed(m, *x, true);
        if (j->error)
                job_error(j, &e);
        /* The caller hears first. Nothing else runs on the main loop until the model below is brought up to
         * date, so the next request, this caller's included, sees it updated. */
        if (j->on_done)
                j->on_done(j, j->error ? &e : NULL, j->userdata);

        int r;
        /* A stopped guest has no owner any more: the lease ends with it. */
        if (j->kind == JOB_STOP_GUEST && m->store && (r = store_drop_lease(m->store, j->guest)) < 0)
                log_warning_errno(r, "Failed to drop the lease of guest %s: %m", j->guest);
        if (j->kind == JOB_STOP_GUEST)
                pt_strv_set(&m->records.owners_gone, j->guest, false);
        if (j->kind == JOB_ATTACH || j->kind == JOB_DETACH) {
                r = model_reload_assignments(m);
                if (r < 0)
                        log_warning_errno(r, "Failed to re-read the assignments: %m");
        }
        r = model_reload_records(m);
        if (r < 0)
                log_warning_errno(r, "Failed to re-read the managed-mode records: %m");
        model_refresh_devices(m, bdfs);
        /* The kernel added or removed the VFs before the write returned: take them in now, not when their
         * uevents come, so that the next request sees them. */
        if (j->kind == JOB_SET_VFS)
                model_resync(m);

        const JobDevice *first = j->n_devices > 0 ? &j->devices[0] : NULL;
        if (j->kind == JOB_HIDE && !j->error)
                pt_log_full(LOG_INFO, PT_MESSAGE_HIDDEN, first->bdf, NULL, first->stub,
                            "Hid %s from the host (driver %s)%s", first->bdf, first->stub,
                            inventory_find_bdf(&m->inventory, first->bdf) ? "" :
                            "; no device there yet: it is claimed when one appears");
        else if (j->kind == JOB_UNHIDE && !j->error)
                pt_log_full(LOG_INFO, PT_MESSAGE_UNHIDDEN, first->bdf, NULL, NULL, "Unhid %s", first->bdf);
        else if (j->kind == JOB_SET_VFS && !j->error)
                pt_log_full(LOG_INFO, PT_MESSAGE_VFS_SET, first->bdf, NULL, NULL, "Set %u VFs on %s%s", j->num_vfs,
                            first->bdf, j->num_vfs ? "; set again at every start" : "");
        else if (j->kind == JOB_START_GUEST || j->kind == JOB_STOP_GUEST) {
                bool start = j->kind == JOB_START_GUEST;
                if (j->error)
                        pt_log_full(LOG_ERR, PT_MESSAGE_OPERATION_FAILED, NULL, j->guest, NULL, "%s guest %s%s: %s",
                                    start ? "Starting" : "Stopping", j->guest, start ? " failed" : " had failures",
                                    strempty(j->message));
                if (!start || !j->error)
                        pt_log_full(LOG_INFO, start ? PT_MESSAGE_GUEST_STARTED : PT_MESSAGE_GUEST_STOPPED, NULL,
                                    j->guest, NULL, "Guest %s %s: %zu devices", j->guest,
                                    start ? "started" : "stopped", j->n_devices);
                if (o->notify.guest_changed)
                        o->notify.guest_changed(j->guest, o->notify.userdata);
        }
}

/* What planning reads must be current. uevents keep the model so, except for a device falling off the bus (or
 * coming back), which tells nobody: ask each device a start or reset is about, and re-read the ones whose answer
 * changed. */
static void refresh_before_planning(Ops *o, const Job *j) {
        Model *m = o->model;
        _cleanup_strv_free_ char **members = NULL;
        if (j->kind == JOB_START_GUEST || j->kind == JOB_ATTACH)
                model_refresh_xen(m);
        if (j->kind == JOB_START_GUEST)
                members = assignments_devices_of(&m->assignments, j->guest);
        else if (j->kind == JOB_RESET) {
                /* Config space may answer again without any uevent saying so: read it fresh. */
                model_refresh_devices(m, (char *[]) { (char *) j->devices[0].bdf, NULL });
                return;
        }
        for (char **b = members; b && *b; b++) {
                Device *d = inventory_find_bdf(&m->inventory, *b);
                if (d && (sysfs_config_answers(m->sysfs_root, d->bdf) == -ENXIO) != d->off_bus)
                        model_refresh_devices(m, (char *[]) { *b, NULL });
        }
}

static void run_next(Ops *o) {
        while (!executor_current(o->exec) && o->queue) {
                Job *j = o->queue;
                o->queue = j->next;
                j->next = NULL;

                PtError e = {};
                refresh_before_planning(o, j);
                int r = plan_job(o->model, j, &e);
                if (r < 0) {
                        if (!pt_error_is_set(&e))
                                pt_error_set(&e, PT_ERR_INTERNAL, "planning failed: %s", strerror(-r));
                        finish(o, j, &e);
                        job_free(j);
                        continue;
                }
                /* Acting starts here: a hot(un)plug counts in its device's window. */
                if (j->kind == JOB_ATTACH || j->kind == JOB_DETACH) {
                        pt_log_full(LOG_DEBUG, NULL, j->devices[0].bdf, j->guest, NULL, "Counting the %s of %s",
                                    job_kind_to_string(j->kind), j->devices[0].bdf);
                        model_hotplug_count(o->model, j->devices[0].bdf);
                        model_hotplug_flush(o->model);
                }
                if (j->noop) {
                        finish(o, j, NULL);
                        job_free(j);
                        continue;
                }
                (void) sd_notifyf(false, "STATUS=%s %s", job_kind_to_string(j->kind),
                                  j->guest ? j->guest : j->n_devices > 0 ? j->devices[0].bdf : "");
                r = executor_run(o->exec, j);
                if (r < 0) {
                        j->error = r;
                        j->message = strdup("could not start the worker thread");
                        finish(o, j, NULL);
                        job_free(j);
                        continue;
                }
                /* The worker is under way; the guest is "starting" (or "stopping") now. */
                if (j->guest && o->notify.guest_changed)
                        o->notify.guest_changed(j->guest, o->notify.userdata);
        }
}

static void job_done(Job *j, void *userdata) {
        Ops *o = userdata;
        finish(o, j, NULL);
        job_free(j);
        run_next(o);
        if (!executor_current(o->exec))
                (void) sd_notifyf(false, "STATUS=Watching %zu PCI devices, %zu guests running",
                                  o->model->inventory.n, pt_strv_length(o->model->records.running_guests));
}

void ops_submit(Ops *o, Job *j) {
        Job **tail = &o->queue;
        while (*tail)
                tail = &(*tail)->next;
        *tail = j;
        run_next(o);
}
