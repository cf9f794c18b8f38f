/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "plan.h"
#include "reactions.h"

static void claim_hidden(Ops *o, Device *d) {
        const StoredHidden *h = records_find_hidden(&o->model->records, d->bdf);
        if (!h)
                return;
        Job *j = job_new(JOB_RECOVER, NULL);
        JobDevice *jd = j ? job_add_device(j, d->bdf) : NULL;
        if (!jd || !(jd->stub = strdup(h->driver)) || plan_hide_pool_claim(o->model, jd, d) < 0) {
                job_free(j);
                log_error("Out of memory claiming hidden device %s", d->bdf);
                return;
        }
        if (!jd->claim) {
                job_free(j);
                return;
        }
        pt_log_full(LOG_INFO, NULL, d->bdf, NULL, h->driver, "Hidden device %s appeared on %s: claiming it for %s",
                    d->bdf, isempty(d->driver) ? "no driver" : d->driver, h->driver);
        ops_submit(o, j);
}

/* A PF with a recorded VF count that has a driver and no VFs (its driver was reloaded, or it was hot-plugged
 * back; an unbind and a bind may reach the model as one re-read that only shows the VFs gone): its VFs are made
 * again, before anyone looks for them. The record is what counts: 'ptctl vfs PF 0' drops it. */
static void restore_vfs(Ops *o, Device *d) {
        const StoredVfCount *v = records_find_vf_count(&o->model->records, d->bdf);
        if (!v || d->sriov_num_vfs != 0 || isempty(d->driver) || ops_job_pending(o, d->bdf))
                return;
        Job *j = job_new(JOB_SET_VFS, NULL);
        if (!j || !job_add_device(j, d->bdf)) {
                job_free(j);
                log_error("Out of memory making the VFs of %s", d->bdf);
                return;
        }
        j->num_vfs = v->num_vfs;
        pt_log_full(LOG_INFO, NULL, d->bdf, NULL, d->driver, "PF %s has driver %s and no VFs; making its %u recorded "
                    "VFs", d->bdf, d->driver, v->num_vfs);
        ops_submit(o, j);
}

void ops_device_added(Ops *o, Device *d) {
        Model *m = o->model;
        claim_hidden(o, d);
        restore_vfs(o, d);
        Assignment *a = assignments_find(&m->assignments, d->bdf);
        if (!a || !records_guest_running(&m->records, a->stored.guest))
                return;
        if (a->problem) {
                pt_log_full(LOG_ERR, PT_MESSAGE_DEVICE_RETURNED, d->bdf, a->stored.guest, NULL,
                            "Device %s of running guest %s is back, but %s; it is not given to the guest", d->bdf,
                            a->stored.guest, a->problem);
                return;
        }
        pt_log_full(LOG_NOTICE, PT_MESSAGE_DEVICE_RETURNED, d->bdf, a->stored.guest, NULL,
                    "Device %s of running guest %s is back, the same hardware%s", d->bdf, a->stored.guest,
                    a->stored.managed ? "; claiming it for the guest again" : "");
        if (!a->stored.managed || device_is_stub_driver(d->driver) || ops_job_pending(o, d->bdf))
                return;
        Job *j = job_new(JOB_RECOVER, NULL);
        JobDevice *jd = j ? job_add_device(j, d->bdf) : NULL;
        if (!jd || plan_claim_for_guest(m, jd, d, a) < 0) {
                job_free(j);
                log_error("Out of memory claiming %s", d->bdf);
                return;
        }
        ops_submit(o, j);
}

void ops_device_changed(Ops *o, Device *d, const char *const *properties) {
        for (const char *const *p = properties; p && *p; p++)
                if (streq(*p, "SriovNumVfs"))
                        restore_vfs(o, d);
}

void ops_device_removed(Ops *o, const Device *d) {
        Model *m = o->model;
        Assignment *a = assignments_find(&m->assignments, d->bdf);
        if (!a)
                return;
        bool running = records_guest_running(&m->records, a->stored.guest);
        pt_log_full(running ? LOG_WARNING : LOG_NOTICE, PT_MESSAGE_DEVICE_MISSING, d->bdf, a->stored.guest, NULL,
                    "Device %s of %s guest %s is gone (hot-unplug or surprise removal); it is missing until it "
                    "comes back and is the same hardware", d->bdf, running ? "running" : "stopped", a->stored.guest);
}

void ops_driver_changed(Ops *o, Device *d) {
        Model *m = o->model;
        restore_vfs(o, d);
        if (isempty(d->driver) || device_is_stub_driver(d->driver) || ops_job_pending(o, d->bdf))
                return;
        if (model_device_running(m, d->bdf)) {
                const Assignment *a = assignments_find(&m->assignments, d->bdf);
                const char *guest = a->stored.guest;
                if (!a->stored.managed && !records_find_hold(&m->records, d->bdf) && !model_device_hidden(m, d->bdf)) {
                        /* An unmanaged device the admin put on a stub themselves: their business, but say it. */
                        pt_log_full(LOG_WARNING, PT_MESSAGE_DEVICE_STOLEN, d->bdf, guest, d->driver,
                                    "Host driver %s bound %s, an unmanaged device of running guest %s", d->driver,
                                    d->bdf, guest);
                        return;
                }
                pt_log_full(LOG_ALERT, PT_MESSAGE_DEVICE_STOLEN, d->bdf, guest, d->driver,
                            "Host driver %s bound %s while guest %s is running with it: the guest and the host now "
                            "both drive the device", d->driver, d->bdf, guest);
                return;
        }
        const StoredHidden *h = records_find_hidden(&m->records, d->bdf);
        if (!h)
                return;
        pt_log_full(LOG_WARNING, PT_MESSAGE_DEVICE_STOLEN, d->bdf, NULL, d->driver,
                    "Host driver %s bound hidden device %s; claiming it back for %s", d->driver, d->bdf, h->driver);
        claim_hidden(o, d);
}
