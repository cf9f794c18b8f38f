/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "lanes.h"
#include "log.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"
#include "sysfs.h"

static const char *const kind_names[] = {
        [JOB_START_GUEST] = "start", [JOB_STOP_GUEST] = "stop", [JOB_HIDE] = "hide",
        [JOB_UNHIDE] = "unhide", [JOB_RESET] = "reset", [JOB_RECOVER] = "recover", [JOB_ATTACH] = "attach",
        [JOB_DETACH] = "detach", [JOB_SET_VFS] = "vfs",
};

const char *job_kind_to_string(JobKind kind) {
        return kind_names[kind];
}

Job *job_new(JobKind kind, const char *guest) {
        Job *j = calloc(1, sizeof(*j));
        if (!j)
                return NULL;
        j->kind = kind;
        j->failed_index = -1;
        if (guest && !(j->guest = strdup(guest)))
                return job_free(j);
        return j;
}

Job *job_free(Job *j) {
        if (!j)
                return NULL;
        for (size_t i = 0; i < j->n_devices; i++) {
                JobDevice *d = &j->devices[i];
                free(d->stub);
                free(d->original_driver);
                free(d->original_module);
                free(d->original_override);
                free(d->holder);
                free(d->reset_note);
                free(d->reset_bridge);
                pt_strv_free(d->reset_scope);
        }
        free(j->devices);
        pt_strv_free(j->also_failed);
        pt_strv_free(j->bus_resets_done);
        for (size_t i = 0; i < j->n_notes; i++) {
                free(j->notes[i].text);
                free(j->notes[i].guest);
        }
        free(j->notes);
        stored_assignment_done(&j->record);
        free(j->guest);
        free(j->message);
        if (j->free_userdata)
                j->free_userdata(j->userdata);
        free(j);
        return NULL;
}

JobDevice *job_add_device(Job *j, const char *bdf) {
        JobDevice *grown = realloc(j->devices, (j->n_devices + 1) * sizeof(JobDevice));
        if (!grown)
                return NULL;
        j->devices = grown;
        JobDevice *d = &j->devices[j->n_devices++];
        *d = (JobDevice) { .rebind = true };
        snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
        return d;
}

int job_device_origin_current(JobDevice *jd, const char *sysfs_root, const char *driver, bool keep_override) {
        jd->original_driver = strdup(strempty(driver));
        jd->original_override = keep_override ? sysfs_read_driver_override(sysfs_root, jd->bdf) : strdup("");
        /* An override naming the stub it is claimed for is ours (or the udev rule's), not the admin's. */
        if (jd->original_override && jd->stub && streq(jd->original_override, jd->stub)) {
                free(jd->original_override);
                jd->original_override = strdup("");
        }
        if (isempty(driver) || binder_driver_module(sysfs_root, driver, &jd->original_module) < 0)
                jd->original_module = strdup("");
        return jd->original_driver && jd->original_override && jd->original_module ? 0 : -ENOMEM;
}

int job_device_origin_hold(JobDevice *jd, const StoredHold *h) {
        jd->original_driver = strdup(h->original_driver);
        jd->original_module = strdup(h->original_module);
        jd->original_override = strdup(h->original_override);
        if (!jd->holder)
                jd->holder = strdup(h->holder);
        return jd->original_driver && jd->original_module && jd->original_override && jd->holder ? 0 : -ENOMEM;
}

int job_add_note(Job *j, int priority, const char *message_id, const char *bdf, const char *guest, const char *fmt,
                 ...) {
        JobNote *grown = realloc(j->notes, (j->n_notes + 1) * sizeof(JobNote));
        if (!grown)
                return -ENOMEM;
        j->notes = grown;
        JobNote *n = &j->notes[j->n_notes];
        *n = (JobNote) { .priority = priority, .message_id = message_id };
        snprintf(n->bdf, sizeof(n->bdf), "%s", strempty(bdf));
        if (guest && !(n->guest = strdup(guest)))
                return -ENOMEM;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&n->text, fmt, ap);
        va_end(ap);
        if (r < 0) {
                free(n->guest);
                return -ENOMEM;
        }
        j->n_notes++;
        return 0;
}

void job_log_notes(Job *j) {
        for (size_t i = 0; i < j->n_devices; i++) {
                JobDevice *d = &j->devices[i];
                if (d->reset_note)
                        pt_log_full(d->reset_note_priority, NULL, d->bdf, j->guest, NULL, "%s", d->reset_note);
                free(d->reset_note);
                d->reset_note = NULL;
        }
        for (size_t i = 0; i < j->n_notes; i++)
                pt_log_full(j->notes[i].priority, j->notes[i].message_id,
                            isempty(j->notes[i].bdf) ? NULL : j->notes[i].bdf,
                            j->notes[i].guest ? j->notes[i].guest : j->guest, NULL, "%s", j->notes[i].text);
        for (size_t i = 0; i < j->n_notes; i++) {
                free(j->notes[i].text);
                free(j->notes[i].guest);
        }
        free(j->notes);
        j->notes = NULL;
        j->n_notes = 0;
}

JobDevice *job_find_device(const Job *j, const char *bdf) {
        for (size_t i = 0; j && i < j->n_devices; i++)
                if (streq(j->devices[i].bdf, bdf))
                        return &j->devices[i];
        return NULL;
}

static void take_failure(JobDevice *d, int r, const BindFailure *f) {
        d->error = r;
        d->stuck = d->stuck || f->stuck;
        d->failed = d->failed || f->off_bus;
        d->driver_missing = d->driver_missing || f->driver_missing;
        snprintf(d->why, sizeof(d->why), "%s", f->why);
}

/* Records the hold before the first write; the claim's own journal entry ends either way, since what is left to
 * undo is then the caller's (a rollback, or the recovery of the guest operation around it). */
static int claim(Binder *b, JobDevice *d) {
        StoredHold hold = { .stub = d->stub, .original_driver = d->original_driver,
                            .original_module = d->original_module, .original_override = d->original_override,
                            .holder = d->holder };
        BindFailure f = {};
        int64_t op = 0;
        snprintf(hold.address, sizeof(hold.address), "%s", d->bdf);
        int r = store_op_begin(b->journal, "claim", d->holder, d->bdf, &hold, &op);
        if (r < 0) {
                d->error = r;
                snprintf(d->why, sizeof(d->why), "could not record the claim of %s in the database", d->bdf);
                return r;
        }
        r = binder_claim(b, d->bdf, d->stub, op, &f);
        (void) store_op_end(b->journal, op, &(StoreOpEnd) { .relaxed = true });
        if (r < 0) {
                take_failure(d, r, &f);
                pt_log_full(LOG_ERR, PT_MESSAGE_OPERATION_FAILED, d->bdf, NULL, d->stub, "Claiming %s for %s failed: %s",
                            d->bdf, d->stub, d->why);
                return r;
        }
        d->claimed = true;
        pt_log_full(LOG_INFO, PT_MESSAGE_DEVICE_CLAIMED, d->bdf, d->holder[0] == '@' ? NULL : d->holder, d->stub,
                    "Device %s detached from %s and bound to %s", d->bdf,
                    isempty(d->original_driver) ? "no driver" : d->original_driver, d->stub);
        return 0;
}

/* Drops the hold once the device is back; a device that could not be given back keeps it. */
static int release(Binder *b, JobDevice *d) {
        BindFailure f = {};
        int64_t op = 0;
        int r = store_op_begin(b->journal, "release", d->holder, d->bdf, NULL, &op);
        if (r < 0) {
                d->error = r;
                snprintf(d->why, sizeof(d->why), "could not record the release of %s in the database", d->bdf);
                return r;
        }
        r = binder_release(b, d->bdf, d->original_driver, d->original_module, d->original_override, d->rebind, op,
                           &f);
        if (r == -ENODEV) {
                /* Gone from the bus: nothing to give back now; the hold goes, the device comes back fresh. */
                (void) store_op_end(b->journal, op, &(StoreOpEnd) { .drop_hold = d->bdf, .relaxed = true });
                d->released = true;
                return 0;
        }
        if (r < 0) {
                (void) store_op_end(b->journal, op, &(StoreOpEnd) { .relaxed = true });
                take_failure(d, r, &f);
                pt_log_full(LOG_ERR, PT_MESSAGE_OPERATION_FAILED, d->bdf, NULL, d->original_driver,
                            "Giving %s back to %s failed: %s", d->bdf,
                            isempty(d->original_driver) ? "the host" : d->original_driver, d->why);
                return r;
        }
        r = store_op_end(b->journal, op, &(StoreOpEnd) { .drop_hold = d->bdf, .relaxed = true });
        if (r < 0)
                log_warning_errno(r, "Failed to record the release of %s: %m", d->bdf);
        d->released = true;
        pt_log_full(LOG_INFO, PT_MESSAGE_DEVICE_RELEASED, d->bdf, d->holder && d->holder[0] != '@' ? d->holder : NULL,
                    isempty(d->original_driver) ? NULL : d->original_driver, "Device %s %s", d->bdf,
                    !d->rebind ? "released and left without a driver" :
                    isempty(d->original_driver) ? "released to the host (probed)" : "returned to its original driver");
        return 0;
}

/* A bus reset by passthrud itself, journaled on its own (with every header it saved) so that recovery can
 * finish it; once per bridge and job, however many of the job's devices it covers. */
static int bus_reset(Binder *b, Job *j, JobDevice *d, const char *guest, BindFailure *f) {
        if (pt_strv_contains(j->bus_resets_done, d->reset_bridge)) {
                pt_log_full(LOG_INFO, PT_MESSAGE_DEVICE_RESET, d->bdf, guest, NULL, "Device %s reset with the bus "
                            "below %s", d->bdf, d->reset_bridge);
                return 0;
        }
        int64_t op = 0;
        int r = store_op_begin(b->journal, "sbr", strempty(guest), d->reset_bridge, NULL, &op);
        if (r < 0) {
                snprintf(f->why, sizeof(f->why), "could not record the bus reset of %s in the database",
                         d->reset_bridge);
                return r;
        }
        _cleanup_strv_free_ char **dead = NULL;
        r = binder_bus_reset(b, d->reset_bridge, d->reset_scope, op, &dead, f);
        (void) store_op_end(b->journal, op, &(StoreOpEnd) { .relaxed = true });
        (void) pt_strv_push(&j->bus_resets_done, strdup(d->reset_bridge));
        const char *dead_member = NULL;
        for (char **x = dead; x && *x; x++) {
                JobDevice *other = job_find_device(j, *x);
                pt_log_full(LOG_ERR, PT_MESSAGE_OPERATION_FAILED, *x, guest, NULL, "%s does not answer after the "
                            "bus reset of %s", *x, d->reset_bridge);
                if (other) {
                        other->failed = true;
                        dead_member = dead_member ? dead_member : *x;
                } else
                        (void) pt_strv_push(&j->also_failed, strdup(*x));
        }
        /* One of the job's own devices gone dead fails the job, as its own reset would have. */
        if (r >= 0 && dead_member) {
                snprintf(f->why, sizeof(f->why), "%s does not answer after the bus reset of %s (config space reads "
                         "0xff)", dead_member, d->reset_bridge);
                r = -ENXIO;
        }
        if (r >= 0) {
                _cleanup_free_ char *scope = NULL;
                size_t len = 0;
                FILE *out = open_memstream(&scope, &len);
                for (char **x = d->reset_scope; out && x && *x; x++)
                        fprintf(out, "%s%s", x == d->reset_scope ? "" : ", ", *x);
                if (out)
                        fclose(out);
                pt_log_full(LOG_INFO, PT_MESSAGE_DEVICE_RESET, d->bdf, guest, NULL, "Bus reset of %s's secondary "
                            "bus: %s", d->reset_bridge, strempty(scope));
        }
        return r;
}

static int reset(Binder *b, Job *j, JobDevice *d, const char *guest) {
        BindFailure f = {};
        bool sbr = d->reset_method && streq(d->reset_method, "sbr");
        int r = sbr ? bus_reset(b, j, d, guest, &f) : binder_reset(b, d->bdf, d->reset_method, &f);
        if (r < 0) {
                take_failure(d, r, &f);
                d->reset_failed = true;
                pt_log_full(!d->reset_best_effort || f.off_bus ? LOG_ERR : LOG_WARNING,
                            PT_MESSAGE_OPERATION_FAILED, d->bdf, guest, NULL, "Reset of %s failed: %s%s", d->bdf,
                            d->why, d->reset_best_effort && !f.off_bus ?
                            " (reset policy best-effort: going on)" : "");
                if (d->reset_best_effort && !f.off_bus && !f.stuck) {
                        d->error = 0;
                        d->reset_failed = false;
                        return 0;
                }
                return r;
        }
        d->was_reset = true;
        if (!sbr)
                pt_log_full(LOG_INFO, PT_MESSAGE_DEVICE_RESET, d->bdf, guest, NULL, "Device %s reset (%s)", d->bdf,
                            d->reset_method ? d->reset_method : "the kernel's choice");
        return 0;
}

/* A bus reset reaches the job's other devices: in a start they are all claimed before it, in a stop all reset
 * before any goes back to the host. */
static bool has_bus_reset(const Job *j) {
        for (size_t i = 0; i < j->n_devices; i++)
                if (j->devices[i].reset && j->devices[i].reset_method && streq(j->devices[i].reset_method, "sbr"))
                        return true;
        return false;
}

static void fail_job(Job *j, size_t index) {
        JobDevice *d = &j->devices[index];
        if (j->error)
                return;
        j->error = d->error ? d->error : -EIO;
        j->failed_index = (ssize_t) index;
        free(j->message);
        j->message = strdup(d->why[0] ? d->why : "failed");
}

/* The job's lanes, as planning numbered them. (A job with a bus reset does not use lanes: the reset reaches
 * beyond its device, so claims and resets keep their one safe sequence.) */
static unsigned lane_count(const Job *j) {
        unsigned n = 0;
        for (size_t i = 0; i < j->n_devices; i++)
                if (j->devices[i].lane + 1 > n)
                        n = j->devices[i].lane + 1;
        return n;
}

typedef struct LaneWork {
        Job *j;
        Binder *b;
        atomic_bool failed;             /* a start's lane failed: the others stop before their next device */
} LaneWork;

/* One lane of a start: claim and reset each of its devices in turn. */
static void start_lane(void *p, unsigned lane) {
        LaneWork *w = p;
        for (size_t i = 0; i < w->j->n_devices && !atomic_load(&w->failed); i++) {
                JobDevice *d = &w->j->devices[i];
                if (d->lane != lane)
                        continue;
                if ((d->claim && claim(w->b, d) < 0) || (d->reset && reset(w->b, w->j, d, w->j->guest) < 0)) {
                        atomic_store(&w->failed, true);
                        return;
                }
        }
}

#define ALL_LANES UINT_MAX

/* One lane of a rollback (or every device, ALL_LANES), last first: what was claimed (or half-claimed by a failed
 * claim) goes back. A device that is stuck or does not answer keeps its hold (the record of where it belongs)
 * and its stub. */
static void rollback_lane(void *p, unsigned lane) {
        LaneWork *w = p;
        for (size_t k = w->j->n_devices; k-- > 0;) {
                JobDevice *d = &w->j->devices[k];
                if ((lane != ALL_LANES && d->lane != lane) || !d->claim || d->stuck || d->failed || (!d->claimed && !d->error))
                        continue;
                (void) release(w->b, d);
        }
}

/* One lane of a stop: reset, then give back; a device whose reset failed is not given back unclean. */
static void stop_lane(void *p, unsigned lane) {
        LaneWork *w = p;
        for (size_t i = 0; i < w->j->n_devices; i++) {
                JobDevice *d = &w->j->devices[i];
                if (d->lane != lane)
                        continue;
                if (d->reset && reset(w->b, w->j, d, w->j->guest) < 0)
                        continue;
                if (d->release)
                        (void) release(w->b, d);
        }
}

/* The first failure in device order, whichever lane met it first. */
static void fail_job_first(Job *j) {
        for (size_t i = 0; i < j->n_devices && !j->error; i++)
                if (j->devices[i].error)
                        fail_job(j, i);
}

static void start_guest(Job *j, Binder *b) {
        int64_t op = 0;
        size_t i;
        int r = store_op_begin(b->journal, "start", j->guest, NULL, NULL, &op);
        if (r < 0) {
                j->error = r;
                j->message = strdup("could not record the guest start in the database");
                return;
        }
        if (!has_bus_reset(j)) {
                /* Each lane claims and resets its devices; any lane failing rolls every lane back (all or
                 * nothing, with one lane as with many). */
                LaneWork w = { .j = j, .b = b };
                unsigned lanes = lane_count(j);
                atomic_init(&w.failed, false);
                lanes_run(lanes, start_lane, &w);
                if (atomic_load(&w.failed)) {
                        fail_job_first(j);
                        lanes_run(lanes, rollback_lane, &w);
                        j->rolled_back = true;
                }
                goto done;
        }
        /* A bus reset: every device claimed before the reset, which reaches them all. */
        for (i = 0; i < j->n_devices; i++)
                if (j->devices[i].claim && claim(b, &j->devices[i]) < 0)
                        break;
        for (size_t k = 0; i == j->n_devices && k < j->n_devices; k++)
                if (j->devices[k].reset && reset(b, j, &j->devices[k], j->guest) < 0)
                        i = k;
        if (i < j->n_devices) {
                fail_job(j, i);
                /* What was done goes back, last first. */
                LaneWork w = { .j = j, .b = b };
                rollback_lane(&w, ALL_LANES);
                j->rolled_back = true;
        }
done:
        r = store_op_end(b->journal, op, &(StoreOpEnd) { .running_guest = j->guest, .running = j->error == 0 });
        if (r < 0 && j->error == 0) {
                j->error = r;
                j->message = strdup("could not record the running guest in the database");
        }
}

static void stop_guest(Job *j, Binder *b) {
        int64_t op = 0;
        int r = store_op_begin(b->journal, "stop", j->guest, NULL, NULL, &op);
        if (r < 0) {
                j->error = r;
                j->message = strdup("could not record the guest stop in the database");
                return;
        }
        /* A stop cannot be undone: every device gets its turn, failures are collected. */
        if (!has_bus_reset(j)) {
                LaneWork w = { .j = j, .b = b };
                lanes_run(lane_count(j), stop_lane, &w);
                fail_job_first(j);
        } else {
                /* Every reset before any release: a bus reset must not reach a device back on its host driver. */
                for (size_t i = 0; i < j->n_devices; i++)
                        if (j->devices[i].reset && reset(b, j, &j->devices[i], j->guest) < 0) {
                                fail_job(j, i);
                                j->devices[i].release = false; /* unclean: it keeps its stub and hold */
                        }
                for (size_t i = 0; i < j->n_devices; i++)
                        if (j->devices[i].release && release(b, &j->devices[i]) < 0)
                                fail_job(j, i);
        }
        r = store_op_end(b->journal, op, &(StoreOpEnd) { .running_guest = j->guest, .running = false });
        if (r < 0 && j->error == 0) {
                j->error = r;
                j->message = strdup("could not record the stopped guest in the database");
        }
}

/* Like a guest start for one device, the assignment recorded with the journal entry and undone with it. */
static void attach(Job *j, Binder *b) {
        JobDevice *d = &j->devices[0];
        int64_t op = 0;
        int r = store_attach_begin(b->journal, &j->record, &op);
        if (r < 0) {
                j->error = r;
                j->message = strdup("could not record the attach in the database");
                return;
        }
        if ((d->claim && claim(b, d) < 0) || (d->reset && reset(b, j, d, j->guest) < 0)) {
                fail_job(j, 0);
                bool undo = d->claim && !d->stuck && !d->failed;
                if (undo)
                        (void) release(b, d);
                j->rolled_back = true;
                r = store_detach_end(b->journal, op, j->guest, d->bdf, undo && d->released);
        } else
                r = store_op_end(b->journal, op, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to close the journal entry of the attach of %s: %m", d->bdf);
        if (!j->error)
                pt_log_full(LOG_INFO, PT_MESSAGE_DEVICE_ATTACHED, d->bdf, j->guest, d->stub,
                            "Device %s attached to running guest %s", d->bdf, j->guest);
}

/* Like a guest stop for one device; the assignment goes only when the device is clean and back. */
static void detach(Job *j, Binder *b) {
        JobDevice *d = &j->devices[0];
        int64_t op = 0;
        int r = store_op_begin(b->journal, "detach", j->guest, d->bdf, NULL, &op);
        if (r < 0) {
                j->error = r;
                j->message = strdup("could not record the detach in the database");
                return;
        }
        if ((d->reset && reset(b, j, d, j->guest) < 0) || (d->release && release(b, d) < 0)) {
                fail_job(j, 0);
                (void) store_op_end(b->journal, op, NULL);
                return;
        }
        r = store_detach_end(b->journal, op, j->guest, d->bdf, d->released || d->forget);
        if (r < 0) {
                j->error = r;
                j->message = strdup("could not record the detach in the database");
                return;
        }
        pt_log_full(LOG_INFO, PT_MESSAGE_DEVICE_DETACHED, d->bdf, j->guest, NULL,
                    "Device %s detached from running guest %s", d->bdf, j->guest);
}

/* The hide pool's record is the intent, written first, so a crash mid-claim is completed at the next start; a
 * claim that fails takes it out again (hiding is all or nothing). Unhiding drops it first, then sends the device
 * home. */
static void hide(Job *j, Binder *b) {
        JobDevice *d = &j->devices[0];
        int r = store_hide(b->journal, d->bdf, d->stub);
        if (r < 0) {
                j->error = r;
                j->message = strdup("could not record the hidden device in the database");
                return;
        }
        if (d->claim && claim(b, d) < 0) {
                fail_job(j, 0);
                r = store_unhide(b->journal, d->bdf);
                if (r < 0 && r != -ENOENT)
                        log_warning_errno(r, "Failed to take %s out of the hide pool again: %m", d->bdf);
        }
}

static void unhide(Job *j, Binder *b) {
        JobDevice *d = &j->devices[0];
        int r = store_unhide(b->journal, d->bdf);
        if (r < 0) {
                j->error = r;
                j->message = strdup("could not record the unhidden device in the database");
                return;
        }
        if (d->release && release(b, d) < 0)
                fail_job(j, 0);
}

/* The count first, then its record: a PF the kernel refused keeps the count it had, in sysfs and database. */
static void set_vfs(Job *j, Binder *b) {
        JobDevice *d = &j->devices[0];
        BindFailure f = {};
        int r = binder_set_num_vfs(b, d->bdf, j->num_vfs, &f);
        if (r < 0) {
                take_failure(d, r, &f);
                fail_job(j, 0);
                return;
        }
        r = store_set_vf_count(b->journal, d->bdf, j->num_vfs);
        if (r < 0) {
                j->error = r;
                j->message = strdup("could not record the VF count in the database");
        }
}

void job_execute(Job *j, Binder *b) {
        job_log_notes(j);
        switch (j->kind) {
        case JOB_ATTACH:
                attach(j, b);
                return;
        case JOB_DETACH:
                detach(j, b);
                return;
        case JOB_START_GUEST:
                start_guest(j, b);
                return;
        case JOB_STOP_GUEST:
                stop_guest(j, b);
                return;
        case JOB_HIDE:
                hide(j, b);
                return;
        case JOB_UNHIDE:
                unhide(j, b);
                return;
        case JOB_SET_VFS:
                set_vfs(j, b);
                return;
        case JOB_RESET:
        case JOB_RECOVER:
                for (size_t i = 0; i < j->n_devices; i++) {
                        JobDevice *d = &j->devices[i];
                        if (d->reset && reset(b, j, d, NULL) < 0) {
                                fail_job(j, i);
                                continue;
                        }
                        if (d->claim && claim(b, d) < 0)
                                fail_job(j, i);
                        else if (d->release && release(b, d) < 0)
                                fail_job(j, i);
                }
                return;
        }
}
