/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dry-run.h"
#include "passthru/pt-macros.h"
#include "plan.h"
#include "planning.h"
#include "pt-util.h"
#include "reset-scope.h"
#include "safety.h"
#include "vf-pool.h"

void dry_run_done(DryRun *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->steps[i].kind);
                free(d->steps[i].device);
                free(d->steps[i].detail);
        }
        free(d->steps);
        *d = (DryRun) {};
}

static int step(DryRun *d, const char *kind, const char *device, const char *fmt, ...) _printf_(4, 5);
static int step(DryRun *d, const char *kind, const char *device, const char *fmt, ...) {
        DryRunStep *grown = realloc(d->steps, (d->n + 1) * sizeof(DryRunStep));
        if (!grown)
                return -ENOMEM;
        d->steps = grown;
        DryRunStep *s = &d->steps[d->n];
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(&s->detail, fmt, ap);
        va_end(ap);
        s->kind = strdup(kind);
        s->device = strdup(strempty(device));
        if (k < 0 || !s->kind || !s->device) {
                free(s->kind);
                free(s->device);
                if (k >= 0)
                        free(s->detail);
                return -ENOMEM;
        }
        d->n++;
        return 0;
}

/* What taking d off its host driver costs the host. */
static int host_losses(const Model *m, const Device *d, DryRun *ret) {
        _cleanup_strv_free_ char **lost = NULL;
        int r = safety_host_consumers(m->sysfs_root, m->proc_root, d, &lost);
        for (char **l = lost; r >= 0 && l && *l; l++)
                r = step(ret, "host-loses", d->bdf, "%s", *l);
        for (char **vf = d->virtual_functions; r >= 0 && vf && *vf; vf++)
                r = step(ret, "host-loses", d->bdf, "its VF %s goes with it while its driver is away", *vf);
        return r;
}

/* A planned job, device by device: what leaves which driver for which stub, each reset with what it reaches. */
static int describe_job(const Model *m, const Job *j, DryRun *ret) {
        int r = 0;
        for (size_t i = 0; r >= 0 && i < j->n_devices; i++) {
                const JobDevice *jd = &j->devices[i];
                const Device *d = inventory_find_bdf(&m->inventory, jd->bdf);
                if (jd->claim && d && !isempty(d->driver) && !streq(d->driver, jd->stub)) {
                        r = step(ret, "detach", jd->bdf, "from %s", d->driver);
                        if (r >= 0 && !device_on_stub(d))
                                r = host_losses(m, d, ret);
                }
                if (r >= 0 && jd->claim)
                        r = step(ret, "bind", jd->bdf, "%s%s", jd->stub,
                                 d && streq_ptr(d->driver, jd->stub) ? " (already)" : "");
                if (r >= 0 && jd->reset) {
                        _cleanup_free_ char *scope = NULL;
                        size_t len = 0;
                        FILE *f = open_memstream(&scope, &len);
                        if (!f)
                                return -ENOMEM;
                        for (char **s = jd->reset_scope; s && *s; s++)
                                fprintf(f, "%s%s", s == jd->reset_scope ? "" : ", ", *s);
                        if (fclose(f) != 0)
                                return -ENOMEM;
                        r = step(ret, "reset", jd->bdf, "%s%s%s%s%s", jd->reset_method ? jd->reset_method :
                                 "the kernel's choice", jd->reset_bridge ? " of the bus below " : "",
                                 strempty(jd->reset_bridge), isempty(scope) ? "" : "; reaches ", strempty(scope));
                }
                if (r >= 0 && !jd->reset && jd->reset_note)
                        r = step(ret, "note", jd->bdf, "%s", jd->reset_note);
                if (r >= 0 && jd->release)
                        r = step(ret, "rebind", jd->bdf, "%s", isempty(jd->original_driver) ?
                                 "the kernel's probe" : jd->original_driver);
        }
        for (size_t i = 0; r >= 0 && i < j->n_notes; i++)
                r = step(ret, "note", j->notes[i].bdf, "%s", j->notes[i].text);
        return r;
}

static int dry_run_job(const Model *m, Job *j, DryRun *ret, PtError *e) {
        int r = plan_job(m, j, e);
        if (r < 0)
                return r;
        return describe_job(m, j, ret);
}

static int dry_run_assign(const Model *m, const char *guest, char *const *devices, const AssignOptions *o,
                          const char *state, DryRun *ret, PtError *e) {
        _cleanup_(assign_plan_done) AssignPlan p = {};
        _cleanup_strv_free_ char **resolved = NULL;
        int r = vf_pool_resolve(m, devices, o->vf_of, o->vf_count, o->numa_node, &resolved, e);
        if (r < 0)
                return r;
        r = assign_plan(m, guest, resolved, o, state, &p, e);
        for (size_t i = 0; r >= 0 && i < p.n; i++)
                r = step(ret, "assign", p.records[i].address, "to guest %s, %s, stub %s", guest,
                         p.managed ? "managed" : "unmanaged", plan_stub(m, p.records[i].driver));
        for (char **f = p.forced; r >= 0 && f && *f; f++)
                r = step(ret, "note", "", "%s", *f);
        return r;
}

static int dry_run_vfs(const Model *m, const char *pf, uint32_t count, DryRun *ret, PtError *e) {
        _cleanup_(job_freep) Job *j = job_new(JOB_SET_VFS, NULL);
        PtAddress a;
        char bdf[PT_ADDRESS_STRLEN];
        int r = plan_parse_address(pf, &a, e);
        if (r < 0)
                return r;
        if (!j || !job_add_device(j, pt_address_format(&a, bdf)))
                return -ENOMEM;
        j->num_vfs = count;
        if ((r = plan_job(m, j, e)) < 0)
                return r;
        const Device *d = inventory_find_bdf(&m->inventory, bdf);
        if (d->sriov_num_vfs == count)
                return step(ret, "vfs", bdf, "already %u VFs: nothing changes", count);
        for (char **vf = d->virtual_functions; r >= 0 && vf && *vf; vf++) {
                const Device *v = inventory_find_bdf(&m->inventory, *vf);
                const char *driver = v ? v->driver : NULL;
                r = step(ret, "host-loses", *vf, "the VF is removed%s%s", isempty(driver) ? "" : " from its driver ",
                         strempty(driver));
        }
        if (r >= 0)
                r = step(ret, "vfs", bdf, "sriov_numvfs %u -> %u%s", d->sriov_num_vfs, count,
                         d->sriov_num_vfs && count ? " (through 0)" : "");
        return r;
}

int dry_run(const Model *m, const char *operation, const char *guest, char *const *devices, const AssignOptions *o,
            uint32_t count, const char *state, DryRun *ret, PtError *e) {
        _cleanup_(job_freep) Job *j = NULL;
        PtAddress a;
        char bdf[PT_ADDRESS_STRLEN];
        int r;

        *ret = (DryRun) {};
        if (streq(operation, "assign"))
                r = dry_run_assign(m, guest, devices, o, state, ret, e);
        else if (streq(operation, "vfs")) {
                if (pt_strv_length(devices) != 1)
                        return pt_error_set(e, PT_ERR_INVALID_OPTION, "vfs takes one PF");
                r = dry_run_vfs(m, devices[0], count, ret, e);
        } else if (streq(operation, "start")) {
                if ((r = plan_check_guest_name(guest, e)) < 0)
                        return r;
                if (!(j = job_new(JOB_START_GUEST, guest)))
                        return -ENOMEM;
                r = dry_run_job(m, j, ret, e);
        } else if (streq(operation, "hide") || streq(operation, "attach")) {
                bool hide = streq(operation, "hide");
                if (pt_strv_length(devices) != 1)
                        return pt_error_set(e, PT_ERR_INVALID_OPTION, "%s takes one device", operation);
                if ((!hide && (r = plan_check_guest_name(guest, e)) < 0) ||
                    (r = plan_parse_address(devices[0], &a, e)) < 0)
                        return r;
                j = job_new(hide ? JOB_HIDE : JOB_ATTACH, hide ? NULL : guest);
                JobDevice *jd = j ? job_add_device(j, pt_address_format(&a, bdf)) : NULL;
                if (!jd || ((!hide || o->driver[0]) && !(jd->stub = strdup(plan_stub(m, o->driver)))))
                        return -ENOMEM;
                if (hide)
                        j->force = o->force;
                else if ((r = assign_attach_record(j, o)) < 0)
                        return r;
                r = dry_run_job(m, j, ret, e);
        } else
                return pt_error_set(e, PT_ERR_INVALID_OPTION, "no dry run for '%s' (start, assign, attach, hide, vfs)",
                                    operation);
        if (r < 0)
                dry_run_done(ret);
        return r;
}
