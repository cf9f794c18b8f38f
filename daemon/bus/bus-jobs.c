/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Manager's methods that move devices: StartGuest, StopGuest, ResetDevice, Hide, Unhide, AttachDevice,
 * DetachDevice, SetVirtualFunctions. Each validates what it can at once, is authorized, and becomes a job; the operations layer plans
 * it when its turn comes and the reply goes out when it has run (or was refused). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "bus-device.h"
#include "bus-error.h"
#include "bus-guest.h"
#include "bus-methods.h"
#include "bus-options.h"
#include "bus-polkit.h"
#include "log.h"
#include "passthru/pt-macros.h"
#include "plan.h"
#include "planning.h"
#include "pt-util.h"

typedef struct Request {
        Bus *bus;
        sd_bus_message *msg;
} Request;

static void request_free(void *userdata) {
        Request *q = userdata;
        if (!q)
                return;
        sd_bus_message_unref(q->msg);
        free(q);
}

static int reply_started(Bus *b, Job *j, sd_bus_message *msg) {
        const Model *m = b->model;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssbbis)");
        for (size_t i = 0; r >= 0 && i < j->n_devices; i++) {
                const JobDevice *jd = &j->devices[i];
                const Assignment *a = assignments_find(&m->assignments, jd->bdf);
                const Device *d = inventory_find_bdf(&m->inventory, jd->bdf);
                if (!a)
                        continue;
                /* Sent before the model is re-read: a claimed device is on its stub, the others as they were. */
                const char *driver = jd->claimed ? jd->stub : d ? strempty(d->driver) : "";
                r = sd_bus_message_append(reply, "(ssbbis)", a->stored.address, driver, (int) a->stored.managed,
                                          (int) a->stored.permissive, a->stored.vslot, strempty(a->stored.options));
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        return r;
}

static void job_replied(Job *j, const PtError *e, void *userdata) {
        Request *q = userdata;
        sd_bus_message *msg = q->msg;
        int r;
        if (e)
                r = bus_reply_error(msg, -pt_error_code_errno(e->code), e);
        else if (j->kind == JOB_START_GUEST)
                r = reply_started(q->bus, j, msg);
        else if (j->kind == JOB_ATTACH)
                r = sd_bus_reply_method_return(msg, "(ssbbis)", j->record.address, j->devices[0].stub,
                                               (int) j->record.managed, (int) j->record.permissive, j->record.vslot,
                                               strempty(j->record.options));
        else if (j->kind == JOB_HIDE)
                r = sd_bus_reply_method_return(msg, "s", j->devices[0].bdf);
        else if (j->kind == JOB_RESET)
                r = sd_bus_reply_method_return(msg, "s", j->devices[0].reset_method ? j->devices[0].reset_method : "");
        else
                r = sd_bus_reply_method_return(msg, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to reply to %s: %m", sd_bus_message_get_member(msg));
}

/* Hands j to the operations layer; the reply goes to msg when it is done. */
static int submit(Bus *b, sd_bus_message *msg, Job *j) {
        Request *q = calloc(1, sizeof(*q));
        if (!q) {
                job_free(j);
                return -ENOMEM;
        }
        *q = (Request) { .bus = b, .msg = sd_bus_message_ref(msg) };
        j->on_done = job_replied;
        j->userdata = q;
        j->free_userdata = request_free;
        ops_submit(b->ops, j);
        return 1;
}

static int guest_job(sd_bus_message *msg, Bus *b, JobKind kind, sd_bus_error *error) {
        const char *guest;
        int r = bus_read_guest(b, msg, &guest, error);
        if (r < 0)
                return r;
        r = bus_authorize(b->auth, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        Job *j = job_new(kind, guest);
        if (!j)
                return -ENOMEM;
        return submit(b, msg, j);
}

int bus_method_start_guest(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return guest_job(msg, userdata, JOB_START_GUEST, error);
}

int bus_method_stop_guest(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return guest_job(msg, userdata, JOB_STOP_GUEST, error);
}

int bus_method_reset_device(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        Device *d;
        int r = bus_read_device(b, msg, &d, error);
        if (r < 0)
                return r;
        r = bus_authorize(b->auth, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        Job *j = job_new(JOB_RESET, NULL);
        if (!j || !job_add_device(j, d->bdf)) {
                job_free(j);
                return -ENOMEM;
        }
        return submit(b, msg, j);
}

static int pool_job(sd_bus_message *msg, Bus *b, JobKind kind, sd_bus_error *error) {
        HideOptions o = { .kind = kind, .rebind = true };
        const char *address;
        char bdf[PT_ADDRESS_STRLEN];
        PtAddress a;
        PtError e = {};
        int r = sd_bus_message_read(msg, "s", &address);
        if (r < 0)
                return r;
        if ((r = bus_read_options(msg, hide_options_set, &o, &e)) < 0 ||
            (r = plan_parse_address(address, &a, &e)) < 0 || (r = plan_check_store(b->model, &e)) < 0)
                return bus_error_set(error, r, &e);
        r = bus_authorize(b->auth, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        Job *j = job_new(kind, NULL);
        JobDevice *jd = j ? job_add_device(j, pt_address_format(&a, bdf)) : NULL;
        /* A hide without a driver gets its stub in planning, where the device (and its variant driver) is known. */
        if (!jd || ((kind != JOB_HIDE || o.driver) && !(jd->stub = strdup(plan_stub(b->model, o.driver))))) {
                job_free(j);
                return -ENOMEM;
        }
        jd->rebind = o.rebind;
        j->force = o.force;
        return submit(b, msg, j);
}

int bus_method_hide(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return pool_job(msg, userdata, JOB_HIDE, error);
}

int bus_method_unhide(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return pool_job(msg, userdata, JOB_UNHIDE, error);
}

static int no_option(const char *key, char type, bool b, const char *s, uint32_t u, void *userdata, PtError *e) {
        return pt_error_set(e, PT_ERR_INVALID_OPTION, "unknown option %s of type %c (none are known)", key, type);
}

int bus_method_set_virtual_functions(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        Device *pf;
        uint32_t count;
        PtError e = {};
        int r = bus_read_device(b, msg, &pf, error);
        if (r < 0)
                return r;
        if ((r = sd_bus_message_read(msg, "u", &count)) < 0)
                return r;
        if ((r = bus_read_options(msg, no_option, NULL, &e)) < 0 || (r = plan_check_store(b->model, &e)) < 0)
                return bus_error_set(error, r, &e);
        r = bus_authorize(b->auth, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        Job *j = job_new(JOB_SET_VFS, NULL);
        if (!j || !job_add_device(j, pf->bdf)) {
                job_free(j);
                return -ENOMEM;
        }
        j->num_vfs = count;
        return submit(b, msg, j);
}

static int assign_option(const char *key, char type, bool b, const char *s, uint32_t u, void *userdata, PtError *e) {
        return assign_options_set(userdata, key, type, b, s, u, e);
}

static int hotplug_job(sd_bus_message *msg, Bus *b, JobKind kind, sd_bus_error *error) {
        const char *guest, *address;
        char bdf[PT_ADDRESS_STRLEN];
        AssignOptions o;
        PtAddress a;
        PtError e = {};
        int r;

        assign_options_init(&o);
        if ((r = sd_bus_message_read(msg, "ss", &guest, &address)) < 0)
                return r;
        if (kind == JOB_ATTACH) {
                if ((r = bus_read_options(msg, assign_option, &o, &e)) < 0)
                        return bus_error_set(error, r, &e);
                if (o.group)
                        return bus_error_set(error, 0, &(PtError) { .code = PT_ERR_INVALID_OPTION, .message =
                                             "group does not apply to an attach: attach the devices one by one" });
                if (o.vf_of[0])
                        return bus_error_set(error, 0, &(PtError) { .code = PT_ERR_INVALID_OPTION, .message =
                                             "vf_of is Assign's: assign the VF, then attach it" });
        }
        if ((r = plan_check_guest_name(guest, &e)) < 0 || (r = plan_parse_address(address, &a, &e)) < 0 ||
            (r = plan_check_store(b->model, &e)) < 0)
                return bus_error_set(error, r, &e);
        r = bus_authorize(b->auth, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        _cleanup_(job_freep) Job *j = job_new(kind, guest);
        if (!j || !job_add_device(j, pt_address_format(&a, bdf)))
                return -ENOMEM;
        if (kind == JOB_ATTACH && assign_attach_record(j, &o) < 0)
                return -ENOMEM;
        return submit(b, msg, TAKE_PTR(j));
}

int bus_method_attach_device(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return hotplug_job(msg, userdata, JOB_ATTACH, error);
}

int bus_method_detach_device(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return hotplug_job(msg, userdata, JOB_DETACH, error);
}
