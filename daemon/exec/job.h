/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "binder.h"
#include "error.h"
#include "store.h"

/* Managed mode's operations as the executor carries them out: the operations layer plans a job on the main loop
 * (validating everything first), the executor's worker thread runs it through the binder with the intent journal,
 * and the operations layer applies the outcome. A job knows nothing of who asked for it. */
typedef enum JobKind {
        JOB_START_GUEST,        /* claim managed devices, reset all; all or nothing */
        JOB_STOP_GUEST,         /* reset all, give managed devices back to their original driver */
        JOB_HIDE,               /* claim for the hide pool */
        JOB_UNHIDE,             /* give back (or leave driverless) */
        JOB_RESET,              /* reset one device; finishes a release a failed reset held up */
        JOB_RECOVER,            /* at start: finish or roll back what the journal says was under way */
        JOB_ATTACH,             /* one device into a running guest: recorded, claimed, reset; all or nothing */
        JOB_DETACH,             /* one device out of a running guest: reset, given back, record removed */
        JOB_SET_VFS,            /* a PF's sriov_numvfs set and recorded (devices[0] is the PF) */
} JobKind;

typedef struct JobDevice {
        char bdf[PT_ADDRESS_STRLEN];
        char *stub;                     /* where a claim takes it */
        char *original_driver;          /* where a release takes it ("" = let the kernel probe) */
        char *original_module;
        char *original_override;        /* its driver_override before the claim */
        char *holder;                   /* the hold a claim records */
        bool claim, release, rebind;
        bool reset;
        const char *reset_method;       /* static string; NULL: the kernel's choice; "sbr": passthrud's own */
        char *reset_bridge;             /* "bus", "sbr": the bridge whose secondary bus is reset */
        char **reset_scope;             /* "bus", "sbr": every function that reset reaches, this one first */
        char *reset_note;               /* why it is not reset, logged when the job runs */
        int reset_note_priority;
        bool reset_best_effort;         /* a failed reset is logged and passed over (the device still answers) */
        unsigned lane;                  /* planning's: devices of one lane are worked one after another, lanes
                                         * at the same time (see lanes.h); 0 for all by default */

        /* Outcome. */
        bool claimed, released, was_reset;
        bool forget;                    /* JOB_DETACH of a device that is gone: its hold goes too */
        bool stuck, failed, driver_missing, reset_failed;
        int error;
        char why[512];
} JobDevice;

/* Something planning decided that the log should say when the job runs (a reset skipped by policy, a device
 * left as it is). */
typedef struct JobNote {
        int priority;
        const char *message_id;         /* static, or NULL */
        char bdf[PT_ADDRESS_STRLEN];
        char *guest;                    /* NULL: the job's */
        char *text;
} JobNote;

typedef struct Job {
        JobKind kind;
        char *guest;                    /* JOB_START_GUEST / JOB_STOP_GUEST */
        JobDevice *devices;
        size_t n_devices;
        /* Who hears of the outcome once the operations layer has applied it (the bus edge's reply); NULL for the
         * daemon's own jobs. free_userdata drops userdata if the job ends without an outcome (shutdown). */
        void (*on_done)(struct Job *j, const PtError *error, void *userdata);
        void *userdata;
        void (*free_userdata)(void *userdata);
        bool noop;                      /* planned, and nothing to do in sysfs */
        bool force;                     /* JOB_HIDE, JOB_ATTACH: take a host-critical device anyway */
        StoredAssignment record;        /* JOB_ATTACH: the assignment it makes */
        uint32_t num_vfs;               /* JOB_SET_VFS: the count */
        JobNote *notes;
        size_t n_notes;

        char **also_failed;             /* devices outside the job a bus reset left not answering */
        char **bus_resets_done;         /* bridges whose bus this job reset already */

        /* Outcome: 0, or the first failure (which device: failed_index). */
        int error;
        ssize_t failed_index;
        bool rolled_back;
        char *message;

        struct Job *next;
} Job;

Job *job_new(JobKind kind, const char *guest);
Job *job_free(Job *j);
static inline void job_freep(Job **j) {
        job_free(*j);
}
JobDevice *job_add_device(Job *j, const char *bdf);
/* The job's entry for bdf; NULL when it has none (or j is NULL). */
JobDevice *job_find_device(const Job *j, const char *bdf);
/* Where a release takes the device: where it is now (driver, the driver's module, driver_override read from
 * sysfs; with keep_override false the override is to be cleared)... */
int job_device_origin_current(JobDevice *jd, const char *sysfs_root, const char *driver, bool keep_override);
/* ... or where its hold says it came from (the holder too). */
int job_device_origin_hold(JobDevice *jd, const StoredHold *h);

int job_add_note(Job *j, int priority, const char *message_id, const char *bdf, const char *guest, const char *fmt,
                 ...) __attribute__((format(printf, 6, 7)));
/* Logs the notes (once): job_execute does it first thing; a job that needs no executing logs them itself. */
void job_log_notes(Job *j);

/* Runs the job to its end: the worker thread's whole work. Never fails as a function; the outcome is in j. */
void job_execute(Job *j, Binder *b);

const char *job_kind_to_string(JobKind kind);
