/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Manager.Assign and Unassign: answered at once (no sysfs), in the handler shape read -> validate -> authorize ->
 * act (persist, model, log, signals) -> reply. */
#include <errno.h>
#include <string.h>

#include "assign.h"
#include "vf-pool.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-options.h"
#include "bus-polkit.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"

static int assign_option(const char *key, char type, bool b, const char *s, uint32_t u, void *userdata, PtError *e) {
        return assign_options_set(userdata, key, type, b, s, u, e);
}

static int reply_strv(sd_bus_message *msg, char **l) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, l);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int store_failed(sd_bus_error *error, const Model *m, const char *what, int r) {
        return sd_bus_error_setf(error, "org.passthru1.Error.Internal", "recording the %s in %s failed: %s", what,
                                 store_path(m->store), strerror(-r));
}

int bus_method_assign(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        _cleanup_strv_free_ char **addresses = NULL, **assigned = NULL, **resolved = NULL;
        _cleanup_(assign_plan_done) AssignPlan plan = {};
        const char *guest;
        AssignOptions o;
        PtError e = {};
        int r;

        assign_options_init(&o);
        if ((r = sd_bus_message_read(msg, "s", &guest)) < 0 || (r = sd_bus_message_read_strv(msg, &addresses)) < 0)
                return r;
        if ((r = bus_read_options(msg, assign_option, &o, &e)) < 0)
                return bus_error_set(error, r, &e);
        /* A pool's pick is made again each time the handler runs (after authorization too) and recorded in the
         * same turn: never the same VF twice. */
        if ((r = vf_pool_resolve(b->model, addresses, o.vf_of, o.vf_count, o.numa_node, &resolved, &e)) < 0)
                return bus_error_set(error, r, &e);
        r = assign_plan(b->model, guest, resolved, &o, ops_guest_state(b->ops, guest), &plan, &e);
        if (r < 0)
                return bus_error_set(error, r, &e);
        r = bus_authorize(b->auth, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = assign_apply(b->model, &plan, &assigned);
        if (r < 0)
                return store_failed(error, b->model, "assignment", r);
        return reply_strv(msg, assigned);
}

int bus_method_unassign(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        _cleanup_strv_free_ char **addresses = NULL, **removing = NULL;
        const char *guest;
        PtError e = {};
        int r;

        if ((r = sd_bus_message_read(msg, "s", &guest)) < 0 || (r = sd_bus_message_read_strv(msg, &addresses)) < 0)
                return r;
        r = unassign_plan(b->model, guest, addresses, ops_guest_state(b->ops, guest), &removing, &e);
        if (r < 0)
                return bus_error_set(error, r, &e);
        r = bus_authorize(b->auth, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = unassign_apply(b->model, guest, removing);
        if (r < 0)
                return store_failed(error, b->model, "change", r);
        return reply_strv(msg, removing);
}
