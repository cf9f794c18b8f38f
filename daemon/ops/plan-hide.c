/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planning the hide pool (xl pci-assignable-add/-remove, but persistent): Hide, Unhide, and claiming a hidden
 * address's device when it appears or a host driver takes it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "passthru/pt-macros.h"
#include "plan.h"
#include "planning.h"
#include "pt-util.h"

int hide_options_set(const char *key, char type, bool b, const char *s, uint32_t u, void *userdata, PtError *e) {
        HideOptions *o = userdata;
        bool hide = o->kind == JOB_HIDE;
        if (hide && type == 's' && streq(key, "driver")) {
                if (!device_is_stub_driver(s))
                        return pt_error_set(e, PT_ERR_INVALID_OPTION, "driver must be a stub driver (vfio-pci, a VFIO "
                                            "variant driver, pciback or pci-stub), not '%s'", s);
                o->driver = s;
        } else if (hide && type == 'b' && streq(key, "force"))
                o->force = b;
        else if (!hide && type == 'b' && streq(key, "rebind"))
                o->rebind = b;
        else
                return pt_error_set(e, PT_ERR_INVALID_OPTION, "unknown option %s of type %c (known: %s)", key, type,
                                    hide ? "driver s, force b" : "rebind b");
        return 0;
}

int plan_hide_pool_claim(const Model *m, JobDevice *jd, const Device *d) {
        if (!d || model_device_running(m, d->bdf))
                return 0;
        return plan_claim(m, jd, d, STORE_HOLDER_HIDDEN);
}

int plan_hide(const Model *m, Job *j, PtError *e) {
        JobDevice *jd = &j->devices[0];
        Device *d = inventory_find_bdf(&m->inventory, jd->bdf);
        const StoredHidden *h = records_find_hidden(&m->records, jd->bdf);
        int r;
        /* No driver asked for: the device's VFIO variant driver on a KVM host, else the host's stub. */
        if (!jd->stub && !(jd->stub = plan_variant_driver(m, d)) && !(jd->stub = strdup(plan_stub(m, NULL))))
                return -ENOMEM;
        if (h)
                return pt_error_set(e, PT_ERR_ALREADY_HIDDEN, "%s is already hidden (driver %s)", jd->bdf, h->driver);
        if (d && d->is_bridge)
                return pt_error_set(e, PT_ERR_NOT_ASSIGNABLE, "%s is a bridge; bridges cannot be hidden", d->bdf);
        _cleanup_strv_free_ char **forced = NULL;
        if (d && ((r = admission_check(m, &d, 1, NULL, false, j->force, &forced, e)) < 0 ||
                  (r = plan_note_admission(m, j, &d, 1, forced, false)) < 0))
                return r;
        if (d && model_device_stuck(m, d->bdf))
                return pt_error_set(e, PT_ERR_DEVICE_STUCK, "%s is stuck (a write to it timed out); reset it with "
                                    "'ptctl reset %s' first", d->bdf, d->bdf);
        return plan_hide_pool_claim(m, jd, d);
}

int plan_unhide(const Model *m, Job *j, PtError *e) {
        JobDevice *jd = &j->devices[0];
        Device *d = inventory_find_bdf(&m->inventory, jd->bdf);
        if (!records_find_hidden(&m->records, jd->bdf))
                return pt_error_set(e, PT_ERR_NOT_HIDDEN, "%s is not hidden", jd->bdf);
        if (d && model_device_running(m, d->bdf))
                return pt_error_set(e, PT_ERR_GUEST_RUNNING, "%s is in guest %s, which is running; stop the guest "
                                    "first", d->bdf, model_device_guest(m, d->bdf));
        const StoredHold *h = records_find_hold(&m->records, jd->bdf);
        if (d && h) {
                jd->release = true;
                return job_device_origin_hold(jd, h);
        }
        if (d && (device_on_stub(d) || (!jd->rebind && !isempty(d->driver)))) {
                /* On a stub with no record of where it came from (it appeared hidden), the kernel probes it; with
                 * --no-rebind it leaves whatever driver it has. */
                jd->release = true;
                return job_device_origin_current(jd, m->sysfs_root, "", false);
        }
        return 0;
}
