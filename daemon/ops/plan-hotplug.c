/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planning AttachDevice and DetachDevice (xm pci-attach / pci-detach): one device into or out of a running guest,
 * with the same checks as a start or a stop, through the rate limiter. */
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

/* Every attach and detach of a device counts; past the burst in the window, it waits. Counting is the act's. */
static int check_rate(const Model *m, const char *bdf, const char *what, PtError *e) {
        uint64_t wait = 0;
        if (ratelimit_allowed((RateLimiter *) &m->limiter, bdf, model_now(m), &wait))
                return 0;
        unsigned secs = (unsigned) ((wait + 999999) / 1000000);
        return pt_error_set(e, PT_ERR_RATE_LIMITED,
                            "%s was hot(un)plugged %u times in the last %llu s, the most the kernel is trusted with; "
                            "%s is allowed again in %u s", bdf, m->limiter.burst,
                            (unsigned long long) (m->limiter.interval_usec / 1000000), what, secs);
}

int plan_attach(const Model *m, Job *j, PtError *e) {
        JobDevice *jd = &j->devices[0];
        StoredAssignment *rec = &j->record;
        Device *d = plan_resolve_device(m, jd->bdf, e);
        int r;
        if (!d)
                return -ENODEV;
        if (d->is_bridge)
                return pt_error_set(e, PT_ERR_NOT_ASSIGNABLE, "%s is a bridge; bridges cannot be assigned", d->bdf);
        Assignment *a = assignments_find(&m->assignments, d->bdf);
        if (a)
                return pt_error_set(e, PT_ERR_ALREADY_ASSIGNED, "%s is already %s guest %s", d->bdf,
                                    streq(a->stored.guest, j->guest) ? "attached to" : "assigned to",
                                    a->stored.guest);
        /* A guest passthrud has no devices for is taken to be running (it was started without passthrough); one
         * with devices that is not running gets them at its start instead. */
        if (pt_strv_contains(m->records.owners_gone, j->guest))
                return pt_error_set(e, PT_ERR_GUEST_NOT_RUNNING, "the owner of guest %s has ended; it is being "
                                    "stopped, not given devices", j->guest);
        if (assignments_has_guest(&m->assignments, j->guest) && !records_guest_running(&m->records, j->guest))
                return pt_error_set(e, PT_ERR_GUEST_NOT_RUNNING, "guest %s is not running; 'ptctl assign' gives it "
                                    "the device at its start", j->guest);
        _cleanup_strv_free_ char **forced = NULL;
        if ((r = admission_check(m, &d, 1, j->guest, true, j->force, &forced, e)) < 0 ||
            (r = plan_note_admission(m, j, &d, 1, forced, true)) < 0)
                return r;
        bool stuck = model_device_stuck(m, d->bdf);
        if (stuck || model_device_failed(m, d->bdf))
                return pt_error_set(e, stuck ? PT_ERR_DEVICE_STUCK : PT_ERR_DEVICE_FAILED,
                                    "%s is %s; reset it with 'ptctl reset %s' first", d->bdf,
                                    stuck ? "stuck (a write to it timed out)" : "not answering", d->bdf);
        if (!rec->managed && !device_on_stub(d))
                return pt_error_set(e, PT_ERR_STILL_ATTACHED, isempty(d->driver) ?
                                    "device %s%s has no driver; an unmanaged device must already be bound to a stub "
                                    "driver" : "device %s is still attached to host driver %s", d->bdf,
                                    strempty(d->driver));

        /* The guest's devices with this one: the same viability and co-assignment rules as at start. */
        _cleanup_strv_free_ char **members = assignments_devices_of(&m->assignments, j->guest);
        if (!members || pt_strv_push(&members, strdup(d->bdf)) < 0)
                return -ENOMEM;
        Device *x = coassign_group_blocker(&m->inventory, d, members);
        if (x)
                return pt_error_set(e, PT_ERR_GROUP_NOT_VIABLE, "cannot attach %s: IOMMU group %d is not viable: %s "
                                    "is bound to host driver %s", d->bdf, d->iommu_group, x->bdf, x->driver);
        CoassignNeed need;
        r = coassign_first_unmet(&m->inventory, &d, 1, members, &need);
        if (r < 0)
                return r;
        if (r > 0)
                return pt_error_set(e, PT_ERR_COASSIGNMENT_REQUIRED,
                                    "cannot attach %s: %s must be co-assigned to the same guest with %s (%s)", d->bdf,
                                    need.device->bdf, need.because->bdf, need.rule);

        if (!(jd->stub = strdup(plan_stub(m, rec->driver))))
                return -ENOMEM;
        if (rec->managed &&
            (r = plan_claim(m, jd, d, model_device_hidden(m, d->bdf) ? STORE_HOLDER_HIDDEN : j->guest)) < 0)
                return r;
        _cleanup_free_ char *why = NULL;
        r = plan_reset(m, d, members, rec->reset_policy, false, jd, &why);
        if (r == -ENOENT)
                return pt_error_set(e, PT_ERR_NO_RESET, "cannot attach %s: it has %s; set its reset policy to "
                                    "best-effort or none to attach it without one", d->bdf, why);
        if (r < 0)
                return r;
        stored_identity_from_device(&rec->identity, d);
        if (!(rec->identity.serial = strdup(d->serial)))
                return -ENOMEM;
        return check_rate(m, d->bdf, "attach", e);
}

int plan_detach(const Model *m, Job *j, PtError *e) {
        JobDevice *jd = &j->devices[0];
        Assignment *a = assignments_find(&m->assignments, jd->bdf);
        if (!a || !streq(a->stored.guest, j->guest))
                return pt_error_set(e, PT_ERR_NOT_ASSIGNED, "%s is not attached to guest %s", jd->bdf, j->guest);
        if (!records_guest_running(&m->records, j->guest))
                return pt_error_set(e, PT_ERR_GUEST_NOT_RUNNING, "guest %s is not running; 'ptctl unassign' takes "
                                    "the device from it", j->guest);
        Device *d = inventory_find_bdf(&m->inventory, jd->bdf);
        int r = check_rate(m, jd->bdf, "detach", e);
        if (r < 0)
                return r;
        if (!d) {
                /* Surprise-removed: only the record is left to drop. */
                jd->forget = true;
                return 0;
        }
        if (model_device_stuck(m, d->bdf))
                return pt_error_set(e, PT_ERR_DEVICE_STUCK, "%s is stuck (a write to it timed out); reset it with "
                                    "'ptctl reset %s' first", d->bdf, d->bdf);
        _cleanup_strv_free_ char **members = assignments_devices_of(&m->assignments, j->guest);
        _cleanup_free_ char *why = NULL;
        r = plan_reset(m, d, members, a->stored.reset_policy, false, jd, &why);
        if (r == -ENOENT && job_add_note(j, LOG_WARNING, NULL, d->bdf, NULL, "Detaching %s: not resetting it: %s", d->bdf, why) < 0)
                return -ENOMEM;
        if (r < 0 && r != -ENOENT)
                return r;
        return plan_release_held(m, jd, d, j->guest);
}

int plan_claim_for_guest(const Model *m, JobDevice *jd, const Device *d, const Assignment *a) {
        if (!(jd->stub = strdup(plan_stub(m, a->stored.driver))))
                return -ENOMEM;
        return plan_claim(m, jd, d, a->stored.guest);
}
