/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>

#include "bus-error.h"
#include "log.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"

int bus_error_set(sd_bus_error *error, int r, const PtError *e) {
        const char *name = e ? pt_error_code_name(e->code) : NULL;
        if (!name) {
                /* Out of memory stays sd-bus's own; any other bare errno still gets a name and says where to look,
                 * and the log keeps it for whoever asks why. */
                if (r == -ENOMEM || r >= 0)
                        return r;
                log_warning("A call failed with a bare error: %s", strerror(-r));
                (void) sd_bus_error_setf(error, PT_ERROR_PREFIX "Internal", "passthrud failed: %s (an unnamed "
                                         "error; journalctl -u passthrud has the call's log)", strerror(-r));
                return r;
        }
        char full[128];
        snprintf(full, sizeof(full), PT_ERROR_PREFIX "%s", name);
        (void) sd_bus_error_set(error, full, e->message);
        return r < 0 ? r : -pt_error_code_errno(e->code);
}

int bus_reply_error(sd_bus_message *msg, int r, const PtError *e) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        r = bus_error_set(&error, r < 0 ? r : -EIO, e);
        if (sd_bus_error_is_set(&error))
                return sd_bus_reply_method_error(msg, &error);
        return sd_bus_reply_method_errno(msg, r, NULL);
}
