/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Asynchronous polkit checks. The main loop never waits for polkit: a call that needs its answer is parked with
 * a pending CheckAuthorization, and when the answer arrives the call is put back into sd-bus' read queue, so its
 * handler runs again from the top (reading, validating) and this time finds the verdict. While one caller sits at
 * a password prompt, everyone else is served and uevents are handled. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus-polkit.h"
#include "log.h"
#include "passthru/pt-macros.h"

/* Default deny: every Manager method is here with its action, or it is refused. */
static const struct {
        const char *member;
        const char *action;
} authorization_table[] = {
        { "ListDevices", PT_ACTION_READ },
        { "GetInventory", PT_ACTION_READ },
        { "GetInventory2", PT_ACTION_READ },
        { "DryRun", PT_ACTION_READ },
        { "GetDevice", PT_ACTION_READ },
        { "ListGuests", PT_ACTION_READ },
        { "GetGuest", PT_ACTION_READ },
        { "ListHidden", PT_ACTION_READ },
        { "CanMigrate", PT_ACTION_READ },
        { "Doctor", PT_ACTION_READ },
        { "Assign", PT_ACTION_MANAGE },
        { "Unassign", PT_ACTION_MANAGE },
        { "StartGuest", PT_ACTION_MANAGE },
        { "StopGuest", PT_ACTION_MANAGE },
        { "ResetDevice", PT_ACTION_MANAGE },
        { "Hide", PT_ACTION_MANAGE },
        { "SetVirtualFunctions", PT_ACTION_MANAGE },
        { "Unhide", PT_ACTION_MANAGE },
        { "AttachDevice", PT_ACTION_MANAGE },
        { "DetachDevice", PT_ACTION_MANAGE },
        { "SetOwner", PT_ACTION_MANAGE },
};

const char *bus_method_action(const char *member) {
        for (size_t i = 0; member && i < ELEMENTSOF(authorization_table); i++)
                if (streq(authorization_table[i].member, member))
                        return authorization_table[i].action;
        return NULL;
}

typedef struct Query {
        Authorizer *owner;
        sd_bus_message *request;
        sd_bus_slot *slot;
        const char *action;
        bool done, allowed;
        char *denial;
        struct Query *next;
} Query;

struct Authorizer {
        Query *queries;
};

int authorizer_new(Authorizer **ret) {
        *ret = calloc(1, sizeof(Authorizer));
        return *ret ? 0 : -ENOMEM;
}

static Query *query_free(Query *q) {
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        free(q->denial);
        Query *next = q->next;
        free(q);
        return next;
}

Authorizer *authorizer_free(Authorizer *a) {
        if (!a)
                return NULL;
        for (Query *q = a->queries; q;)
                q = query_free(q);
        free(a);
        return NULL;
}

static void query_unlink(Authorizer *a, Query *q) {
        for (Query **p = &a->queries; *p; p = &(*p)->next)
                if (*p == q) {
                        *p = q->next;
                        q->next = NULL;
                        return;
                }
}

static int on_polkit_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Query *q = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int authorized = 0, challenge = 0, r = 0;

        q->slot = sd_bus_slot_unref(q->slot);
        q->done = true;
        if (e) {
                log_warning("polkit could not be asked about %s for %s: %s", q->action,
                            strempty(sd_bus_message_get_sender(q->request)), e->message ? e->message : e->name);
                r = asprintf(&q->denial, "not authorized: polkit did not answer (%s), and only root may change "
                             "passthrough without it", e->message ? e->message : e->name);
        } else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                q->allowed = r >= 0 && authorized;
                if (!q->allowed)
                        r = asprintf(&q->denial, "not authorized to change passthrough (polkit action %s)%s",
                                     q->action, challenge ? "; it needs authentication: run ptctl as root or "
                                     "through pkexec" : "");
        }
        if (r < 0 && !q->allowed && !q->denial)
                q->denial = NULL; /* out of memory: denied all the same */

        /* The call runs again from the top and finds this verdict. */
        sd_bus *bus = sd_bus_message_get_bus(q->request);
        r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(bus, q->request);
        if (r < 0) {
                log_warning_errno(r, "Failed to resume a call after polkit answered: %m");
                (void) sd_bus_reply_method_errorf(q->request, SD_BUS_ERROR_ACCESS_DENIED, "%s",
                                                  q->denial ? q->denial : "not authorized");
                query_unlink(q->owner, q);
                query_free(q);
        }
        return 0;
}

int bus_authorize(Authorizer *a, sd_bus_message *msg, sd_bus_error *error) {
        const char *member = sd_bus_message_get_member(msg), *action = bus_method_action(member);
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uid_t uid = (uid_t) -1;
        int r;

        if (!action)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "%s is not in passthrud's authorization "
                                         "table", strempty(member));
        if (streq(action, PT_ACTION_READ))
                return 1;
        r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r >= 0 && uid == 0)
                return 1;

        for (Query *q = a->queries; q; q = q->next) {
                if (q->request != msg)
                        continue;
                if (!q->done)
                        return 0;
                bool allowed = q->allowed;
                if (!allowed)
                        sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, q->denial ? q->denial : "not authorized");
                query_unlink(a, q);
                query_free(q);
                return allowed ? 1 : -EACCES;
        }

        const char *sender = sd_bus_message_get_sender(msg);
        if (!sender)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "the caller cannot be identified");
        Query *q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        *q = (Query) { .owner = a, .request = sd_bus_message_ref(msg), .action = action };
        /* Interactive authentication only when the caller said it can wait for a password prompt. */
        uint32_t flags = sd_bus_message_get_allow_interactive_authorization(msg) ? 1 : 0;
        r = sd_bus_call_method_async(sd_bus_message_get_bus(msg), &q->slot, "org.freedesktop.PolicyKit1",
                                     "/org/freedesktop/PolicyKit1/Authority", "org.freedesktop.PolicyKit1.Authority",
                                     "CheckAuthorization", on_polkit_answer, q, "(sa{sv})sa{ss}us", "system-bus-name", 1,
                                     "name", "s", sender, action, 0, flags, "");
        if (r < 0) {
                query_free(q);
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "not authorized: polkit could not be "
                                         "asked (%s), and only root may change passthrough without it", strerror(-r));
        }
        q->next = a->queries;
        a->queries = q;
        return 0;
}
