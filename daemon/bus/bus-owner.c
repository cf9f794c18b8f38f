/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Manager.SetOwner: a running guest's lease to its VMM process. */
#include <errno.h>
#include <string.h>

#include "bus-error.h"
#include "bus-methods.h"
#include "bus-options.h"
#include "bus-polkit.h"
#include "passthru/pt-macros.h"

typedef struct OwnerOptions {
        uint32_t pid;
        const char *domain;
} OwnerOptions;

static int owner_option(const char *key, char type, bool b, const char *s, uint32_t u, void *userdata, PtError *e) {
        OwnerOptions *o = userdata;
        if (type == 'u' && streq(key, "pid") && u > 0) {
                o->pid = u;
                return 0;
        }
        if (type == 's' && streq(key, "xen_domain") && s[0]) {
                o->domain = s;
                return 0;
        }
        return pt_error_set(e, PT_ERR_INVALID_OPTION, "unknown owner %s of type %c (known: pid u, a process other "
                            "than 0; xen_domain s, a domain's name)", key, type);
}

int bus_method_set_owner(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        OwnerOptions o = {};
        const char *guest;
        PtError e = {};
        int r = sd_bus_message_read(msg, "s", &guest);
        if (r < 0)
                return r;
        if ((r = bus_read_options(msg, owner_option, &o, &e)) < 0)
                return bus_error_set(error, r, &e);
        if (!o.pid == !o.domain)
                return bus_error_set(error, -EINVAL, &(PtError) { .code = PT_ERR_INVALID_OPTION,
                                     .message = "which owner? (pid u, or xen_domain s)" });
        r = bus_authorize(b->auth, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = o.domain ? leases_set_domain_owner(b->leases, guest, b->model->xl, o.domain, &e) :
                       leases_set_owner(b->leases, guest, (pid_t) o.pid, &e);
        if (r < 0)
                return bus_error_set(error, r, &e);
        return sd_bus_reply_method_return(msg, NULL);
}
