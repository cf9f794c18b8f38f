/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "job.h"

/* Runs one job at a time on a worker thread, so the main loop stays responsive while a driver takes its time
 * letting go of a device; the finished job comes back to the main loop through a pipe and is handed to 'done',
 * which takes it. */
typedef struct Executor Executor;
typedef void (*ExecutorDone)(Job *j, void *userdata);

typedef struct ExecutorConfig {
        const char *sysfs_root;
        const char *modprobe;
        uint64_t write_timeout_usec;
        Store *journal;         /* the worker thread's own connection to the database; the executor takes it */
        const char *xl;         /* in a Xen dom0, xl; else NULL */
} ExecutorConfig;

int executor_new(sd_event *event, const ExecutorConfig *c, ExecutorDone done, void *userdata, Executor **ret);
/* Lets the job under way finish (every write has its timeout), hands it to 'done', and frees the rest. */
Executor *executor_free(Executor *x);
/* Starts j on the worker; -EBUSY while another runs. On success the executor has it until 'done'. */
int executor_run(Executor *x, Job *j);
/* The job under way, or NULL. */
Job *executor_current(const Executor *x);
/* What the binder needs, for work done on the main thread (recovery before the bus). */
Binder executor_binder(const Executor *x, Store *journal);
