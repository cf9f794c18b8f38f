/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "job.h"
#include "model.h"

/* Planning a job when its turn comes: validates everything against the model and fills in what the executor is
 * to do, device by device. Changes nothing anywhere: a refusal (a negative errno and e) leaves the host, the
 * store and the model as they were, by construction. j->noop is set when there is nothing to do in sysfs. */
int plan_job(const Model *m, Job *j, PtError *e);

/* Hide's and Unhide's options: driver s, force b (Hide); rebind b (Unhide). */
typedef struct HideOptions {
        JobKind kind;
        const char *driver;     /* NULL: the host's stub */
        bool force, rebind;
} HideOptions;
int hide_options_set(const char *key, char type, bool b, const char *s, uint32_t u, void *userdata, PtError *e);

/* One per use case (plan-lifecycle.c, plan-hotplug.c, plan-hide.c). */
int plan_start(const Model *m, Job *j, PtError *e);
int plan_stop(const Model *m, Job *j, PtError *e);
int plan_reset_device(const Model *m, Job *j, PtError *e);
int plan_attach(const Model *m, Job *j, PtError *e);
int plan_detach(const Model *m, Job *j, PtError *e);
int plan_hide(const Model *m, Job *j, PtError *e);
int plan_unhide(const Model *m, Job *j, PtError *e);
int plan_set_vfs(const Model *m, Job *j, PtError *e);
/* A claim of hidden device d back onto its stub (the hide pool's driver for it); jd->claim stays false when
 * there is nothing to do (already there, or a running guest has it). */
int plan_hide_pool_claim(const Model *m, JobDevice *jd, const Device *d);
/* A claim of d for the running guest whose assignment a is, as at its start, with no reset (nothing has used it
 * since it came back). */
int plan_claim_for_guest(const Model *m, JobDevice *jd, const Device *d, const Assignment *a);
