/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Manager.DryRun: what StartGuest, Assign, AttachDevice, Hide or SetVirtualFunctions would do, from the same
 * planning, changing nothing; a refusal is the call's own error. Read-only, so authorized as reading is. */
#include <errno.h>
#include <string.h>

#include "bus-error.h"
#include "bus-methods.h"
#include "bus-options.h"
#include "bus-polkit.h"
#include "dry-run.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"

typedef struct DryRunOptions {
        AssignOptions assign;
        uint32_t count;
} DryRunOptions;

static int dry_run_option(const char *key, char type, bool b, const char *s, uint32_t u, void *userdata, PtError *e) {
        DryRunOptions *o = userdata;
        if (type == 'u' && streq(key, "count")) {
                o->count = u;
                return 0;
        }
        return assign_options_set(&o->assign, key, type, b, s, u, e);
}

int bus_method_dry_run(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        _cleanup_strv_free_ char **devices = NULL;
        _cleanup_(dry_run_done) DryRun plan = {};
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *operation, *guest;
        DryRunOptions o = {};
        PtError e = {};
        int r;

        assign_options_init(&o.assign);
        if ((r = sd_bus_message_read(msg, "ss", &operation, &guest)) < 0 ||
            (r = sd_bus_message_read_strv(msg, &devices)) < 0)
                return r;
        if ((r = bus_read_options(msg, dry_run_option, &o, &e)) < 0)
                return bus_error_set(error, r, &e);
        r = bus_authorize(b->auth, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = dry_run(b->model, operation, guest, devices, &o.assign, o.count,
                    isempty(guest) ? PT_GUEST_STOPPED : ops_guest_state(b->ops, guest), &plan, &e);
        if (r < 0)
                return bus_error_set(error, r, &e);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (size_t i = 0; r >= 0 && i < plan.n; i++)
                r = sd_bus_message_append(reply, "(sss)", plan.steps[i].kind, plan.steps[i].device,
                                          plan.steps[i].detail);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}
