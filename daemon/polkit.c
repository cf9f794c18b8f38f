/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>

#include "log.h"
#include "passthru/pt-macros.h"
#include "polkit.h"

int polkit_authorize(sd_bus_message *msg, const char *action, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error pk_error = SD_BUS_ERROR_NULL;
        const char *sender = sd_bus_message_get_sender(msg);
        uid_t uid = (uid_t) -1;
        int authorized = 0, challenge = 0, r;

        r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r >= 0 && uid == 0)
                return 1;
        if (!sender)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "the caller cannot be identified");

        /* Interactive authentication only when the caller said it can wait for a password prompt. */
        uint32_t flags = sd_bus_message_get_allow_interactive_authorization(msg) ? 1 : 0;
        r = sd_bus_call_method(sd_bus_message_get_bus(msg), "org.freedesktop.PolicyKit1",
                               "/org/freedesktop/PolicyKit1/Authority", "org.freedesktop.PolicyKit1.Authority",
                               "CheckAuthorization", &pk_error, &reply, "(sa{sv})sa{ss}us", "system-bus-name", 1,
                               "name", "s", sender, action, 0, flags, "");
        if (r < 0) {
                log_warning("polkit could not be asked about %s for %s: %s", action, sender,
                            pk_error.message ? pk_error.message : "no answer");
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "not authorized: polkit did not answer (%s), and only root may change "
                                         "passthrough without it", pk_error.message ? pk_error.message : "no answer");
        }
        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0)
                return r;
        if (authorized)
                return 1;
        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "not authorized to change passthrough (polkit "
                                 "action %s)%s", action,
                                 challenge ? "; it needs authentication: run ptctl as root or through pkexec" : "");
}
