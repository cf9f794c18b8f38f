/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "executor.h"
#include "job.h"
#include "model.h"

/* The use cases: assign, start/stop, attach/detach, the hide pool, reset, recovery, doctor, the migration guard,
 * and what uevents mean for them. Requests that touch sysfs become jobs, queued here and planned when their turn
 * comes (planning reads the model and changes nothing), run by the executor, and finished here: the outcome is
 * applied to the model, logged, and handed to the job's on_done. Refusals are a PtError; nothing here knows
 * D-Bus. */

typedef struct OpsNotify {
        /* A guest's state moved to starting or stopping (a job for it began). */
        void (*guest_changed)(const char *guest, void *userdata);
        void *userdata;
} OpsNotify;

typedef struct Ops {
        Model *model;
        Executor *exec;
        Job *queue;             /* waiting, in order */
        OpsNotify notify;
} Ops;

int ops_new(Model *model, sd_event *event, const ExecutorConfig *c, Ops **ret);
/* Lets the job under way finish first. */
Ops *ops_free(Ops *o);

/* Queues j (taking it); it is planned when its turn comes, run, and j->on_done hears the outcome. */
void ops_submit(Ops *o, Job *j);
/* stopped, starting, running or stopping. */
const char *ops_guest_state(const Ops *o, const char *guest);
/* A queued or running job names bdf. */
bool ops_job_pending(const Ops *o, const char *bdf);
