/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* At start, before the bus: every operation the journal says was under way when passthrud last stopped is
 * finished or rolled back against what sysfs shows now, and the hide pool is applied again. A guest start that
 * never completed is rolled back (its toolstack never got an answer); a stop or a release is completed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "plan.h"
#include "recovery.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"
#include "sysfs-write.h"
#include "sysfs.h"

static const StoredOperation *device_op(const StoredOperation *ops, size_t n, const char *bdf) {
        const StoredOperation *last = NULL;
        for (size_t i = 0; i < n; i++)
                if (streq(ops[i].address, bdf))
                        last = &ops[i];
        return last;
}

/* An attach or detach under way: the claim or release inside it is part of it. */
static const StoredOperation *hotplug_op(const StoredOperation *ops, size_t n, const char *bdf) {
        for (size_t i = 0; i < n; i++)
                if (streq(ops[i].address, bdf) && (streq(ops[i].kind, "attach") || streq(ops[i].kind, "detach")))
                        return &ops[i];
        return NULL;
}

static bool guest_op(const StoredOperation *op) {
        return streq(op->kind, "start") || streq(op->kind, "stop");
}

static JobDevice *add(Job *j, const StoredHold *h) {
        JobDevice *jd = job_add_device(j, h->address);
        if (!jd || !(jd->stub = strdup(h->stub)) || job_device_origin_hold(jd, h) < 0)
                return NULL;
        return jd;
}

int plan_recovery(const Model *m, Job *j, const StoredOperation *ops, size_t n_ops, char ***settling,
                  char ***failed) {
        for (size_t i = 0; i < n_ops; i++)
                if (guest_op(&ops[i]) && !pt_strv_contains(*settling, ops[i].guest) &&
                    pt_strv_push(settling, strdup(ops[i].guest)) < 0)
                        return -ENOMEM;

        for (size_t i = 0; i < m->records.n_holds; i++) {
                const StoredHold *h = &m->records.holds[i];
                const StoredOperation *op = device_op(ops, n_ops, h->address), *hop = hotplug_op(ops, n_ops, h->address);
                bool hidden = model_device_hidden(m, h->address);
                Device *d = inventory_find_bdf(&m->inventory, h->address);
                const char *why = NULL;
                bool claim = false;

                if (pt_strv_contains(*settling, h->holder))
                        why = "its guest's start or stop was interrupted";
                else if (hop)
                        why = streq(hop->kind, "attach") ? "its attach was interrupted (undone)" :
                                                           "its detach was interrupted";
                else if (streq(h->holder, STORE_HOLDER_HIDDEN) && !hidden)
                        why = "it was unhidden";
                else if (op && streq(op->kind, "release"))
                        why = "its release was interrupted";
                else if (op && streq(op->kind, "claim")) {
                        claim = streq(h->holder, STORE_HOLDER_HIDDEN) ||
                                records_guest_running(&m->records, h->holder);
                        why = "its claim was interrupted";
                } else if (!streq(h->holder, STORE_HOLDER_HIDDEN) && !records_guest_running(&m->records, h->holder) &&
                           !hidden)
                        why = "its guest is not running (an earlier write timed out or its reset failed)";
                if (!why)
                        continue;
                if (!d) {
                        if (job_add_note(j, LOG_WARNING, PT_MESSAGE_RECOVERED, h->address, NULL,
                                         "Recovery: %s is not present; its record (original driver %s) is kept",
                                         h->address, isempty(h->original_driver) ? "none" : h->original_driver) < 0)
                                return -ENOMEM;
                        continue;
                }
                if (d->off_bus) {
                        /* No host driver gets a device that does not answer; it keeps its record. */
                        if (job_add_note(j, LOG_WARNING, PT_MESSAGE_RECOVERED, h->address, NULL,
                                         "Recovery: %s does not answer; it stays as it is, recorded for %s", h->address,
                                         isempty(h->original_driver) ? "the host" : h->original_driver) < 0 ||
                            pt_strv_push(failed, strdup(h->address)) < 0)
                                return -ENOMEM;
                        continue;
                }
                JobDevice *jd = add(j, h);
                if (!jd)
                        return -ENOMEM;
                jd->claim = claim;
                jd->release = !claim;
                if (job_add_note(j, LOG_NOTICE, PT_MESSAGE_RECOVERED, h->address,
                                 h->holder[0] == '@' ? NULL : h->holder, "Recovery: %s %s, because %s",
                                 claim ? "completing the claim of" : "returning to its original driver", h->address,
                                 why) < 0)
                        return -ENOMEM;
        }

        /* The hide pool: a hidden device found on another driver goes back to its stub. */
        for (size_t i = 0; i < m->records.n_hidden; i++) {
                const StoredHidden *h = &m->records.hidden[i];
                Device *d = inventory_find_bdf(&m->inventory, h->address);
                bool planned = false;
                for (size_t k = 0; k < j->n_devices; k++)
                        planned = planned || streq(j->devices[k].bdf, h->address);
                if (!d || planned || model_device_running(m, d->bdf) || streq(strempty(d->driver), h->driver))
                        continue;
                JobDevice *jd = job_add_device(j, h->address);
                if (!jd || !(jd->stub = strdup(h->driver)) || plan_hide_pool_claim(m, jd, d) < 0)
                        return -ENOMEM;
                if (job_add_note(j, LOG_NOTICE, PT_MESSAGE_RECOVERED, h->address, NULL,
                                 "Hidden device %s is on %s: claiming it for %s", h->address,
                                 isempty(d->driver) ? "no driver" : d->driver, h->driver) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* A guest running in an earlier boot is not running in this one: settled as stopped before the journal is looked
 * at, so the recovery below sends its devices home like those of any stopped guest. */
static int settle_earlier_boot(Model *m) {
        _cleanup_free_ char *rel = pt_path_join(m->proc_root, "sys/kernel/random/boot_id"), *boot_id = NULL;
        _cleanup_strv_free_ char **stopped = NULL;
        if (!rel || sysfs_read_string("/", rel, &boot_id) < 0) {
                log_warning("Cannot read the boot id from %s; running guests are taken as this boot's", strempty(rel));
                return 0;
        }
        int r = store_settle_boot(m->store, boot_id, &stopped);
        if (r < 0)
                return log_error_errno(r, "Failed to record the boot: %m");
        for (char **g = stopped; g && *g; g++)
                pt_log_full(LOG_NOTICE, PT_MESSAGE_REBOOTED, NULL, *g, NULL, "Guest %s was running before the host "
                            "rebooted; it is stopped now and its devices go back to the host", *g);
        return stopped ? model_reload_records(m) : 0;
}

/* The VF counts SetVirtualFunctions recorded, before the hide pool and guests look for the VFs. Only a PF that has
 * none now gets them (after a reboot or a PF driver reload): one with another count may have VFs in use, which
 * the change would pull away; it is logged and left. */
static void apply_vf_counts(Ops *o) {
        Model *m = o->model;
        bool added = false;
        for (size_t i = 0; i < m->records.n_vf_counts; i++) {
                const StoredVfCount *v = &m->records.vf_counts[i];
                const Device *pf = inventory_find_bdf(&m->inventory, v->pf);
                if (!pf) {
                        pt_log_full(LOG_WARNING, NULL, v->pf, NULL, NULL, "PF %s is not present; its %u VFs are not "
                                    "created", v->pf, v->num_vfs);
                        continue;
                }
                if (pf->sriov_num_vfs == v->num_vfs)
                        continue;
                if (pf->sriov_num_vfs != 0) {
                        pt_log_full(LOG_WARNING, NULL, v->pf, NULL, NULL, "PF %s has %u VFs where %u are recorded; "
                                    "left as it is (ptctl vfs %s %u sets it)", v->pf, pf->sriov_num_vfs, v->num_vfs,
                                    v->pf, v->num_vfs);
                        continue;
                }
                Binder b = executor_binder(o->exec, m->store);
                BindFailure f = {};
                if (binder_set_num_vfs(&b, v->pf, v->num_vfs, &f) < 0) {
                        pt_log_full(LOG_ERR, NULL, v->pf, NULL, NULL, "Could not create the %u recorded VFs of %s: %s",
                                    v->num_vfs, v->pf, f.why);
                        continue;
                }
                pt_log_full(LOG_INFO, PT_MESSAGE_VFS_SET, v->pf, NULL, NULL, "Set %u VFs on %s, as recorded",
                            v->num_vfs, v->pf);
                added = true;
        }
        if (added)
                model_resync(m);
}

int ops_recover(Ops *o) {
        Model *m = o->model;
        _cleanup_(job_freep) Job *j = NULL;
        _cleanup_strv_free_ char **settling = NULL, **failed = NULL;
        StoredOperation *ops = NULL;
        size_t n_ops = 0;
        int r;

        if (!m->store)
                return 0;
        if ((r = settle_earlier_boot(m)) < 0)
                return r;
        r = store_load_operations(m->store, &ops, &n_ops);
        if (r < 0)
                return log_error_errno(r, "Failed to read the operation journal: %m");
        /* A bus reset cut short: the bus let go of and every saved header put back, before anything else looks at
         * those devices. */
        for (size_t i = 0; i < n_ops; i++)
                if (streq(ops[i].kind, "sbr")) {
                        Binder b = executor_binder(o->exec, m->store);
                        pt_log_full(LOG_NOTICE, PT_MESSAGE_RECOVERED, ops[i].address, ops[i].guest, NULL,
                                    "Recovery: the bus reset of %s was interrupted; restoring its functions' config "
                                    "space", ops[i].address);
                        (void) binder_bus_reset_recover(&b, ops[i].address, strempty(ops[i].step));
                }
        apply_vf_counts(o);
        j = job_new(JOB_RECOVER, NULL);
        if (!j)
                r = -ENOMEM;
        else
                r = plan_recovery(m, j, ops, n_ops, &settling, &failed);
        for (char **f = failed; r >= 0 && f && *f; f++)
                records_set_failed(&m->records, *f, true);
        if (r >= 0 && j->n_devices == 0)
                job_log_notes(j);
        if (r >= 0 && j->n_devices > 0) {
                Binder b = executor_binder(o->exec, m->store);
                /* A reset interrupted between choosing its method and restoring the kernel's list. */
                for (size_t i = 0; i < j->n_devices; i++) {
                        _cleanup_free_ char *rel = sysfs_device_attr(j->devices[i].bdf, "reset_method");
                        if (rel && sysfs_exists(m->sysfs_root, rel))
                                (void) sysfs_write_timeout(m->sysfs_root, rel, "default", b.timeout_usec);
                }
                job_execute(j, &b);
                for (size_t i = 0; i < j->n_devices; i++) {
                        records_set_stuck(&m->records, j->devices[i].bdf, j->devices[i].stuck);
                        records_set_failed(&m->records, j->devices[i].bdf, j->devices[i].failed);
                }
        }
        /* The old entries are settled now, one way or the other; an interrupted guest operation leaves the guest
         * stopped. */
        for (size_t i = 0; r >= 0 && i < n_ops; i++) {
                bool whole_guest = guest_op(&ops[i]);
                bool hotplug = streq(ops[i].kind, "attach") || streq(ops[i].kind, "detach");
                int k;
                if (hotplug) {
                        /* Undone or done, the device is no longer the guest's; its hold goes if it went home. */
                        const JobDevice *jd = job_find_device(j, ops[i].address);
                        bool home = !inventory_find_bdf(&m->inventory, ops[i].address) || (jd && jd->released);
                        k = store_detach_end(m->store, ops[i].id, ops[i].guest, ops[i].address, home);
                        if (k >= 0)
                                pt_log_full(LOG_NOTICE, PT_MESSAGE_RECOVERED, ops[i].address, ops[i].guest, NULL,
                                            "Recovery: the %s of %s %s guest %s was interrupted; it is not the "
                                            "guest's now", ops[i].kind, ops[i].address,
                                            streq(ops[i].kind, "attach") ? "to" : "from", ops[i].guest);
                } else
                        k = store_op_end(m->store, ops[i].id, &(StoreOpEnd) {
                                .running_guest = whole_guest ? ops[i].guest : NULL, .running = false });
                if (k < 0)
                        log_warning_errno(k, "Failed to settle journal entry %lld: %m", (long long) ops[i].id);
                else if (whole_guest)
                        pt_log_full(LOG_NOTICE, PT_MESSAGE_RECOVERED, NULL, ops[i].guest, NULL,
                                    "Recovery: the %s of guest %s was interrupted; the guest is stopped",
                                    ops[i].kind, ops[i].guest);
        }
        /* Attach and detach changed assignments. */
        if (r >= 0 && (r = model_reload_assignments(m)) < 0)
                log_error_errno(r, "Failed to re-read the assignments: %m");
        for (size_t i = 0; i < n_ops; i++)
                stored_operation_done(&ops[i]);
        free(ops);
        if (r < 0)
                return log_error_errno(r, "Recovery failed: %m");
        if (j->n_devices > 0 || n_ops > 0)
                log_info("Recovery: %zu journal entries settled, %zu devices handled%s", n_ops, j->n_devices,
                         j->error ? "; some could not be (see above)" : "");
        r = model_reload_records(m);
        if (r < 0)
                return log_error_errno(r, "Failed to re-read the managed-mode records: %m");
        for (size_t i = 0; i < j->n_devices; i++)
                model_refresh_devices(m, (char *[]) { j->devices[i].bdf, NULL });
        return 0;
}
