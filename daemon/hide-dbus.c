/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hide pool (xl pci-assignable-add/-remove/-list, but persistent): Manager.Hide / Unhide / ListHidden, and
 * claiming a hidden address's device when it appears. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "binder.h"
#include "log.h"
#include "manager.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "polkit.h"
#include "pt-util.h"

int hide_plan_claim(Manager *m, JobDevice *jd, const Device *d) {
        if (!d || d->running || streq(strempty(d->driver), jd->stub))
                return 0;
        jd->claim = true;
        jd->holder = strdup(STORE_HOLDER_HIDDEN);
        if (!jd->holder)
                return -ENOMEM;
        /* Back after a remove or a hot-unplug: it still belongs where the record says, not to whatever
         * grabbed it on the way in. */
        const StoredHold *h = manager_find_hold(m, d->bdf);
        return h ? job_device_origin_hold(jd, h) :
                   job_device_origin_current(jd, m->sysfs_root, d->driver, true);
}

static int plan_hide(Manager *m, Job *j, sd_bus_error *error) {
        JobDevice *jd = &j->devices[0];
        Device *d = inventory_find_bdf(&m->inventory, jd->bdf);
        int r;
        if (manager_find_hidden(m, jd->bdf))
                return sd_bus_error_setf(error, PT_ERROR_ALREADY_HIDDEN, "%s is already hidden (driver %s)", jd->bdf,
                                         manager_find_hidden(m, jd->bdf)->driver);
        if (d && d->is_bridge)
                return sd_bus_error_setf(error, PT_ERROR_NOT_ASSIGNABLE, "%s is a bridge; bridges cannot be hidden",
                                         d->bdf);
        if (d && (r = manager_check_safety(m, &d, 1, false, j->force, error)) < 0)
                return r;
        if (d && d->stuck)
                return sd_bus_error_setf(error, PT_ERROR_DEVICE_STUCK, "%s is stuck (a write to it timed out); "
                                         "reset it with 'ptctl reset %s' first", d->bdf, d->bdf);
        r = store_hide(m->store, jd->bdf, jd->stub);
        if (r < 0)
                return r;
        pt_log_full(LOG_INFO, PT_MESSAGE_HIDDEN, jd->bdf, NULL, jd->stub, "Hid %s from the host (driver %s)%s", jd->bdf, jd->stub,
                    d ? "" : "; no device there yet: it is claimed when one appears");
        r = manager_reload_lifecycle(m);
        if (r < 0)
                return r;
        r = hide_plan_claim(m, jd, d);
        if (r < 0)
                return r;
        j->noop = !jd->claim; /* nothing to do in sysfs: done */
        return 0;
}

static int plan_unhide(Manager *m, Job *j, sd_bus_error *error) {
        JobDevice *jd = &j->devices[0];
        Device *d = inventory_find_bdf(&m->inventory, jd->bdf);
        if (!manager_find_hidden(m, jd->bdf))
                return sd_bus_error_setf(error, PT_ERROR_NOT_HIDDEN, "%s is not hidden", jd->bdf);
        if (d && d->running)
                return sd_bus_error_setf(error, PT_ERROR_GUEST_RUNNING,
                                         "%s is in guest %s, which is running; stop the guest first", d->bdf, d->guest);
        int r = store_unhide(m->store, jd->bdf);
        if (r < 0)
                return r;
        pt_log_full(LOG_INFO, PT_MESSAGE_UNHIDDEN, jd->bdf, NULL, NULL, "Unhid %s", jd->bdf);
        r = manager_reload_lifecycle(m);
        if (r < 0)
                return r;

        const StoredHold *h = manager_find_hold(m, jd->bdf);
        if (d && h) {
                jd->release = true;
                if (job_device_origin_hold(jd, h) < 0)
                        return -ENOMEM;
        } else if (d && (device_on_stub(d) ||
                         (!jd->rebind && !isempty(d->driver)))) {
                /* On a stub with no record of where it came from (it appeared hidden), the kernel probes it;
                 * with --no-rebind it leaves whatever driver it has. */
                jd->release = true;
                if (job_device_origin_current(jd, m->sysfs_root, "", false) < 0)
                        return -ENOMEM;
        }
        j->noop = !jd->release;
        return 0;
}

int hide_plan(Manager *m, Job *j, sd_bus_error *error) {
        return j->kind == JOB_HIDE ? plan_hide(m, j, error) : plan_unhide(m, j, error);
}

/* Hiding is all or nothing too: a device that could not be claimed is not left in the pool. */
void hide_undo(Manager *m, Job *j) {
        for (size_t i = 0; i < j->n_devices; i++) {
                int r = store_unhide(m->store, j->devices[i].bdf);
                if (r < 0 && r != -ENOENT)
                        log_warning_errno(r, "Failed to take %s out of the hide pool again: %m", j->devices[i].bdf);
        }
}

void manager_hide_pool_device_added(Manager *m, Device *d) {
        const StoredHidden *h = manager_find_hidden(m, d->bdf);
        if (!h)
                return;
        Job *j = job_new(JOB_RECOVER, NULL);
        JobDevice *jd = j ? job_add_device(j, d->bdf) : NULL;
        if (!jd || !(jd->stub = strdup(h->driver)) || hide_plan_claim(m, jd, d) < 0) {
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
        manager_enqueue(m, j);
}

static int read_hide_options(sd_bus_message *msg, const char **driver, int *rebind, int *force,
                             sd_bus_error *error) {
        int r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key, *sig;
                if ((r = sd_bus_message_read(msg, "s", &key)) < 0 || (r = sd_bus_message_peek_type(msg, NULL, &sig)) < 0)
                        return r;
                if (driver && streq(key, "driver") && streq(sig, "s"))
                        r = sd_bus_message_read(msg, "v", "s", driver);
                else if (rebind && streq(key, "rebind") && streq(sig, "b"))
                        r = sd_bus_message_read(msg, "v", "b", rebind);
                else if (force && streq(key, "force") && streq(sig, "b"))
                        r = sd_bus_message_read(msg, "v", "b", force);
                else
                        return sd_bus_error_setf(error, PT_ERROR_INVALID_OPTION, "unknown option %s of type %s "
                                                 "(known: %s)", key, sig, driver ? "driver s, force b" : "rebind b");
                if (r < 0 || (r = sd_bus_message_exit_container(msg)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static int enqueue_pool_job(sd_bus_message *msg, Manager *m, JobKind kind, sd_bus_error *error) {
        const char *address, *driver = NULL;
        int rebind = true, force = false;
        PtAddress a;
        int r = sd_bus_message_read(msg, "s", &address);
        if (r < 0)
                return r;
        r = read_hide_options(msg, kind == JOB_HIDE ? &driver : NULL, kind == JOB_UNHIDE ? &rebind : NULL,
                              kind == JOB_HIDE ? &force : NULL, error);
        if (r < 0)
                return r;
        r = manager_parse_address(address, &a, error);
        if (r < 0)
                return r;
        if (driver && !device_is_stub_driver(driver))
                return sd_bus_error_setf(error, PT_ERROR_INVALID_OPTION,
                                         "driver must be a stub driver (vfio-pci, pciback or pci-stub), not '%s'", driver);
        if (m->store_problem)
                return sd_bus_error_set(error, PT_ERROR_STORE_CORRUPT, m->store_problem);
        r = polkit_authorize(msg, PT_ACTION_MANAGE, error);
        if (r < 0)
                return r;

        char bdf[PT_ADDRESS_STRLEN];
        Job *j = job_new(kind, NULL);
        JobDevice *jd = j ? job_add_device(j, pt_address_format(&a, bdf)) : NULL;
        if (!jd || !(jd->stub = strdup(driver ? driver : host_stub_driver(m->host)))) {
                job_free(j);
                return -ENOMEM;
        }
        jd->rebind = rebind;
        j->force = force;
        j->request = sd_bus_message_ref(msg);
        manager_enqueue(m, j);
        return 1;
}

int method_hide(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return enqueue_pool_job(msg, userdata, JOB_HIDE, error);
}

int method_unhide(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return enqueue_pool_job(msg, userdata, JOB_UNHIDE, error);
}

int method_list_hidden(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssss)");
        for (size_t i = 0; r >= 0 && i < m->n_hidden; i++) {
                const StoredHidden *h = &m->hidden[i];
                const StoredHold *hold = manager_find_hold(m, h->address);
                const Device *d = inventory_find_bdf(&m->inventory, h->address);
                r = sd_bus_message_append(reply, "(sssss)", h->address, h->driver,
                                          d ? device_state(d) : PT_STATE_MISSING, d ? strempty(d->driver) : "",
                                          hold ? hold->original_driver : "");
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}
