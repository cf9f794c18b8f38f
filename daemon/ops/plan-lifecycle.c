/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planning StartGuest, StopGuest and ResetDevice. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "admission.h"
#include "coassign.h"
#include "passthru/pt-macros.h"
#include "plan.h"
#include "planning.h"
#include "pt-util.h"

static int check_usable(const Model *m, const Device *d, const char *guest, PtError *e) {
        if (model_device_stuck(m, d->bdf))
                return pt_error_set(e, PT_ERR_DEVICE_STUCK,
                                    "cannot start guest %s: %s is stuck (a write to it timed out earlier); check the "
                                    "kernel log, then reset it with 'ptctl reset %s'", guest, d->bdf, d->bdf);
        if (model_device_failed(m, d->bdf))
                return pt_error_set(e, PT_ERR_DEVICE_FAILED,
                                    "cannot start guest %s: %s does not answer (config space reads 0xff); reset it "
                                    "with 'ptctl reset %s' or power-cycle the slot", guest, d->bdf, d->bdf);
        return 0;
}

int plan_start(const Model *m, Job *j, PtError *e) {
        _cleanup_strv_free_ char **members = assignments_devices_of(&m->assignments, j->guest);
        _cleanup_free_ Device **set = NULL;
        CoassignNeed need;
        size_t n = 0;
        int r;

        if (!members)
                return -ENOMEM;
        if (records_guest_running(&m->records, j->guest))
                return pt_error_set(e, PT_ERR_GUEST_RUNNING, "guest %s is already running", j->guest);
        set = calloc(pt_strv_length(members) + 1, sizeof(Device *));
        if (!set)
                return -ENOMEM;
        for (char **b = members; *b; b++) {
                Assignment *a = assignments_find(&m->assignments, *b);
                Device *d = inventory_find_bdf(&m->inventory, *b);
                if (a->problem || !d)
                        return pt_error_set(e, d ? PT_ERR_DEVICE_MISMATCHED : PT_ERR_DEVICE_MISSING,
                                            "cannot start guest %s: %s: %s", j->guest, *b,
                                            a->problem ? a->problem : "missing");
                if ((r = check_usable(m, d, j->guest, e)) < 0)
                        return r;
                if (!a->stored.managed && !device_on_stub(d))
                        return pt_error_set(e, PT_ERR_STILL_ATTACHED, isempty(d->driver) ?
                                            "cannot start guest %s: device %s%s has no driver; an unmanaged device "
                                            "must already be bound to a stub driver" :
                                            "cannot start guest %s: device %s is still attached to host driver %s",
                                            j->guest, d->bdf, strempty(d->driver));
                set[n++] = d;
        }
        for (size_t i = 0; i < n; i++) {
                Device *x = coassign_group_blocker(&m->inventory, set[i], members);
                if (x)
                        return pt_error_set(e, PT_ERR_GROUP_NOT_VIABLE,
                                            "cannot start guest %s: IOMMU group %d is not viable: %s is bound to host "
                                            "driver %s; assign it to %s too, hide it, or unbind it", j->guest,
                                            set[i]->iommu_group, x->bdf, x->driver, j->guest);
        }
        if ((r = admission_check_iommu(m, set, n, e)) < 0 || (r = plan_note_admission(m, j, set, n, NULL, true)) < 0)
                return r;
        /* Assignments made together can have been split since (Unassign), or the hardware changed. */
        r = coassign_first_unmet(&m->inventory, set, n, members, &need);
        if (r < 0)
                return r;
        if (r > 0)
                return pt_error_set(e, PT_ERR_COASSIGNMENT_REQUIRED,
                                    "cannot start guest %s: %s must be co-assigned to the same guest with %s (%s)",
                                    j->guest, need.device->bdf, need.because->bdf, need.rule);

        for (size_t i = 0; i < n; i++) {
                Device *d = set[i];
                Assignment *a = assignments_find(&m->assignments, d->bdf);
                JobDevice *jd = job_add_device(j, d->bdf);
                _cleanup_free_ char *why = NULL;
                if (!jd || !(jd->stub = strdup(plan_stub(m, a->stored.driver))))
                        return -ENOMEM;
                if (a->stored.managed &&
                    (r = plan_claim(m, jd, d, model_device_hidden(m, d->bdf) ? STORE_HOLDER_HIDDEN : j->guest)) < 0)
                        return r;
                r = plan_reset(m, d, members, a->stored.reset_policy, false, jd, &why);
                if (r == -ENOENT)
                        return pt_error_set(e, PT_ERR_NO_RESET,
                                            "cannot start guest %s: %s has %s; set its reset policy to best-effort or "
                                            "none to start without one", j->guest, d->bdf, why);
                if (r < 0)
                        return r;
        }
        return plan_lanes(m, j);
}

int plan_stop(const Model *m, Job *j, PtError *e) {
        _cleanup_strv_free_ char **members = assignments_devices_of(&m->assignments, j->guest);
        if (!members)
                return -ENOMEM;
        if (!records_guest_running(&m->records, j->guest))
                return pt_error_set(e, PT_ERR_GUEST_NOT_RUNNING, "guest %s is not running", j->guest);
        for (char **b = members; *b; b++) {
                Assignment *a = assignments_find(&m->assignments, *b);
                Device *d = inventory_find_bdf(&m->inventory, *b);
                _cleanup_free_ char *why = NULL;
                int r;
                if (!d || model_device_stuck(m, *b)) {
                        if (job_add_note(j, LOG_WARNING, NULL, *b, NULL, "Stopping guest %s: %s is %s; leaving it as it is",
                                         j->guest, *b, d ? "stuck" : "missing") < 0)
                                return -ENOMEM;
                        continue;
                }
                JobDevice *jd = job_add_device(j, d->bdf);
                if (!jd)
                        return -ENOMEM;
                r = plan_reset(m, d, members, a->stored.reset_policy, false, jd, &why);
                if (r == -ENOENT && job_add_note(j, LOG_WARNING, NULL, d->bdf, NULL, "Stopping guest %s: not resetting %s: %s",
                                                 j->guest, d->bdf, why) < 0)
                        return -ENOMEM;
                if (r < 0 && r != -ENOENT)
                        return r;
                if ((r = plan_release_held(m, jd, d, j->guest)) < 0)
                        return r;
        }
        return plan_lanes(m, j);
}

int plan_reset_device(const Model *m, Job *j, PtError *e) {
        JobDevice *jd = &j->devices[0];
        _cleanup_free_ char *why = NULL;
        Device *d = plan_resolve_device(m, jd->bdf, e);
        if (!d)
                return -ENODEV;
        if (model_device_stuck(m, d->bdf) &&
            job_add_note(j, LOG_NOTICE, NULL, d->bdf, NULL, "Resetting %s, which was stuck", d->bdf) < 0)
                return -ENOMEM;
        if (model_device_running(m, d->bdf))
                return pt_error_set(e, PT_ERR_GUEST_RUNNING,
                                    "%s belongs to guest %s, which is running; stop the guest first", d->bdf,
                                    model_device_guest(m, d->bdf));
        if (!isempty(d->driver) && !device_on_stub(d))
                return pt_error_set(e, PT_ERR_STILL_ATTACHED,
                                    "%s is bound to host driver %s; passthrud resets only devices on a stub driver "
                                    "or without one", d->bdf, d->driver);
        char *self[] = { d->bdf, NULL };
        int r = plan_reset(m, d, self, NULL, true, jd, &why);
        if (r == -ENOENT)
                return pt_error_set(e, PT_ERR_NO_RESET, "%s has %s", d->bdf, why);
        if (r < 0)
                return r;
        /* A stop that could not reset it left it on the stub; clean now, it goes home. */
        const StoredHold *h = records_find_hold(&m->records, d->bdf);
        if (h && !model_device_hidden(m, d->bdf) && !streq(h->holder, STORE_HOLDER_HIDDEN) &&
            !records_guest_running(&m->records, h->holder)) {
                jd->release = true;
                return job_device_origin_hold(jd, h);
        }
        return 0;
}
