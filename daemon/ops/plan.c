/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "plan.h"
#include "planning.h"

int plan_job(const Model *m, Job *j, PtError *e) {
        int r;
        if (j->kind != JOB_RESET && (r = plan_check_store(m, e)) < 0)
                return r;
        if (j->guest && j->kind != JOB_ATTACH && j->kind != JOB_DETACH &&
            !assignments_has_guest(&m->assignments, j->guest))
                return pt_error_set(e, PT_ERR_UNKNOWN_GUEST, "no guest %s", j->guest);
        switch (j->kind) {
        case JOB_START_GUEST:
                return plan_start(m, j, e);
        case JOB_STOP_GUEST:
                return plan_stop(m, j, e);
        case JOB_RESET:
                return plan_reset_device(m, j, e);
        case JOB_HIDE:
                return plan_hide(m, j, e);
        case JOB_UNHIDE:
                return plan_unhide(m, j, e);
        case JOB_ATTACH:
                return plan_attach(m, j, e);
        case JOB_DETACH:
                return plan_detach(m, j, e);
        case JOB_SET_VFS:
                return plan_set_vfs(m, j, e);
        case JOB_RECOVER:
                /* Planned by whoever made it (recovery, the hide pool, a returning device). */
                return 0;
        }
        return -EINVAL;
}
