/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Manager.Assign / Unassign / ListGuests / GetGuest. Each handler reads its arguments, validates everything
 * (changing nothing on any refusal), persists in one transaction, then updates the model and emits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "coassign.h"
#include "log.h"
#include "manager.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "polkit.h"
#include "pt-util.h"


static void add_extra(AssignOptions *o, const char *key, const char *value) {
        size_t l = strlen(o->extra);
        snprintf(o->extra + l, sizeof(o->extra) - l, "%s%s=%s", l ? "," : "", key, value);
}

int assign_options_read(sd_bus_message *msg, AssignOptions *o, sd_bus_error *error) {
        int r;
        *o = (AssignOptions) { .managed = true, .vslot = -1, .reset_policy = "strict" };
        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key, *sig;
                int b;
                uint32_t u;
                r = sd_bus_message_read(msg, "s", &key);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(msg, NULL, &sig);
                if (r < 0)
                        return r;
                if ((streq(key, "managed") || streq(key, "permissive") || streq(key, "group") || streq(key, "force")) &&
                    streq(sig, "b")) {
                        r = sd_bus_message_read(msg, "v", "b", &b);
                        if (r < 0)
                                return r;
                        if (streq(key, "managed"))
                                o->managed = b;
                        else if (streq(key, "permissive"))
                                o->permissive = b;
                        else if (streq(key, "force"))
                                o->force = b;
                        else
                                o->group = b;
                } else if ((streq(key, "msitranslate") || streq(key, "seize") || streq(key, "power_mgmt")) &&
                           streq(sig, "b")) {
                        r = sd_bus_message_read(msg, "v", "b", &b);
                        if (r < 0)
                                return r;
                        add_extra(o, key, b ? "1" : "0");
                } else if (streq(key, "rdm_policy") && streq(sig, "s")) {
                        const char *v;
                        r = sd_bus_message_read(msg, "v", "s", &v);
                        if (r < 0)
                                return r;
                        if (!streq(v, "strict") && !streq(v, "relaxed"))
                                return sd_bus_error_setf(error, PT_ERROR_INVALID_OPTION,
                                                         "rdm_policy must be strict or relaxed, not '%s'", v);
                        add_extra(o, key, v);
                } else if ((streq(key, "driver") || streq(key, "reset_policy")) && streq(sig, "s")) {
                        const char *v;
                        r = sd_bus_message_read(msg, "v", "s", &v);
                        if (r < 0)
                                return r;
                        if (streq(key, "driver") && !device_is_stub_driver(v))
                                return sd_bus_error_setf(error, PT_ERROR_INVALID_OPTION, "driver must be a stub driver "
                                                         "(vfio-pci, pciback or pci-stub), not '%s'", v);
                        if (streq(key, "reset_policy") && reset_policy_from_string(v) < 0)
                                return sd_bus_error_setf(error, PT_ERROR_INVALID_OPTION, "reset_policy must be "
                                                         "strict, best-effort or none, not '%s'", v);
                        snprintf(streq(key, "driver") ? o->driver : o->reset_policy, sizeof(o->driver), "%s", v);
                } else if (streq(key, "vslot") && streq(sig, "u")) {
                        r = sd_bus_message_read(msg, "v", "u", &u);
                        if (r < 0)
                                return r;
                        if (u > 0x1f)
                                return sd_bus_error_setf(error, PT_ERROR_INVALID_OPTION,
                                                         "vslot %u is out of range (0-0x1f)", u);
                        o->vslot = (int32_t) u;
                } else
                        return sd_bus_error_setf(error, PT_ERROR_INVALID_OPTION,
                                                 "unknown option %s of type %s (known: managed b, permissive b, "
                                                 "vslot u, group b, force b, driver s, reset_policy s, "
                                                 "msitranslate b, seize b, power_mgmt b, rdm_policy s)", key, sig);
                r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static int check_guest_name(const char *guest, sd_bus_error *error) {
        if (guest_name_valid(guest))
                return 0;
        _cleanup_free_ char *shown = pt_str_quote_limited(guest, 80);
        return sd_bus_error_setf(error, PT_ERROR_INVALID_GUEST_NAME,
                                 "invalid guest name %s: use 1-64 of A-Z a-z 0-9 _ . -, not starting with . or -",
                                 strempty(shown));
}

/* A running guest's device set is what its toolstack was given; it changes by stopping first (or, later,
 * by hot attach and detach). */
static int check_not_running(Manager *m, const char *guest, sd_bus_error *error) {
        const char *state = manager_guest_state(m, guest);
        if (streq(state, PT_GUEST_STOPPED))
                return 0;
        return sd_bus_error_setf(error, PT_ERROR_GUEST_RUNNING, "guest %s is %s; stop it first", guest, state);
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

static void sync_and_emit(Manager *m, char *const *addresses) {
        static const char *props[] = { "Guest", "AssignmentProblem", "State", NULL };
        for (char *const *a = addresses; a && *a; a++) {
                Device *d = inventory_find_bdf(&m->inventory, *a);
                if (d && manager_sync_device(m, d))
                        device_dbus_emit_changed(m, d, props);
        }
}

int method_assign(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **addresses = NULL, **assigned = NULL;
        _cleanup_free_ Device **requested = NULL, **closure = NULL;
        _cleanup_free_ CoassignNeed *needs = NULL;
        _cleanup_free_ StoredAssignment *records = NULL;
        const char *guest;
        AssignOptions o;
        size_t n_requested = 0, n_closure = 0, n_needs = 0, n_records = 0;
        int r;

        r = sd_bus_message_read(msg, "s", &guest);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(msg, &addresses);
        if (r < 0)
                return r;
        r = assign_options_read(msg, &o, error);
        if (r < 0)
                return r;

        r = check_guest_name(guest, error);
        if (r < 0)
                return r;
        if (pt_strv_length(addresses) == 0)
                return sd_bus_error_set(error, PT_ERROR_INVALID_OPTION, "no devices given");
        if (o.vslot >= 0 && pt_strv_length(addresses) > 1)
                return sd_bus_error_set(error, PT_ERROR_INVALID_OPTION,
                                        "vslot names one device's slot in the guest; assign devices one at a time");
        if (m->store_problem)
                return sd_bus_error_set(error, PT_ERROR_STORE_CORRUPT, m->store_problem);
        r = check_not_running(m, guest, error);
        if (r < 0)
                return r;

        requested = calloc(pt_strv_length(addresses) + 1, sizeof(Device *));
        if (!requested)
                return -ENOMEM;
        for (char **a = addresses; *a; a++) {
                Device *d = manager_resolve_device(m, *a, error);
                if (!d)
                        return -EINVAL;
                if (d->is_bridge)
                        return sd_bus_error_setf(error, PT_ERROR_NOT_ASSIGNABLE,
                                                 "%s is a %s; bridges cannot be assigned to a guest", d->bdf,
                                                 (d->class_code >> 8) == 0x0600 ? "host bridge" : "bridge");
                Assignment *existing = assignments_find(&m->assignments, d->bdf);
                if (existing)
                        return sd_bus_error_setf(error, PT_ERROR_ALREADY_ASSIGNED, "%s is already assigned to guest %s",
                                                 d->bdf, existing->stored.guest);
                bool dup = false;
                for (size_t i = 0; i < n_requested; i++)
                        dup = dup || requested[i] == d;
                if (!dup)
                        requested[n_requested++] = d;
        }

        r = coassign_closure(&m->inventory, requested, n_requested, &closure, &n_closure, &needs, &n_needs);
        if (r < 0)
                return r;
        /* Peers owned by another guest can never be satisfied; peers this guest owns already are fine. */
        _cleanup_free_ char *missing = NULL;
        size_t missing_len = 0, n_missing = 0;
        _cleanup_fclose_ FILE *lines = open_memstream(&missing, &missing_len);
        if (!lines)
                return -ENOMEM;
        for (size_t i = 0; i < n_needs; i++) {
                Assignment *owner = assignments_find(&m->assignments, needs[i].device->bdf);
                if (owner && !streq(owner->stored.guest, guest))
                        return sd_bus_error_setf(error, PT_ERROR_GROUP_CONFLICT,
                                                 "%s must go to the same guest as %s (%s), but it is assigned to "
                                                 "guest %s", needs[i].device->bdf, needs[i].because->bdf,
                                                 needs[i].rule, owner->stored.guest);
                if (owner)
                        continue;
                fprintf(lines, "%s must be co-assigned to the same guest with %s (%s)\n", needs[i].device->bdf,
                        needs[i].because->bdf, needs[i].rule);
                n_missing++;
        }
        if (fflush(lines) != 0)
                return -ENOMEM;
        if (n_missing > 0 && !o.group)
                return sd_bus_error_setf(error, PT_ERROR_COASSIGNMENT_REQUIRED,
                                         "%sAssign them together, or with --group (option group=true).", missing);

        records = calloc(n_closure + 1, sizeof(StoredAssignment));
        if (!records)
                return -ENOMEM;
        for (size_t i = 0; i < n_closure; i++) {
                Device *d = closure[i];
                if (assignments_find(&m->assignments, d->bdf))
                        continue;
                StoredAssignment *s = &records[n_records++];
                *s = (StoredAssignment) { .guest = (char *) guest, .managed = o.managed, .permissive = o.permissive,
                                          .vslot = i == 0 ? o.vslot : -1, .options = o.extra,
                                          .driver = o.driver, .reset_policy = o.reset_policy };
                memcpy(s->address, d->bdf, sizeof(s->address));
                stored_identity_from_device(&s->identity, d);
        }

        r = manager_check_safety(m, closure, n_closure, true, o.force, error);
        if (r < 0)
                return r;
        r = polkit_authorize(msg, PT_ACTION_MANAGE, error);
        if (r < 0)
                return r;
        bool new_guest = !assignments_has_guest(&m->assignments, guest);
        r = store_assign(m->store, records, n_records);
        if (r < 0)
                return sd_bus_error_setf(error, PT_ERROR_INTERNAL, "recording the assignment in %s failed: %s",
                                         store_path(m->store), strerror(-r));
        for (size_t i = 0; i < n_records; i++) {
                r = assignments_add(&m->assignments, &records[i]);
                if (r < 0)
                        return r;
                (void) pt_strv_push(&assigned, strdup(records[i].address));
                pt_log_full(LOG_INFO, PT_MESSAGE_ASSIGNED, records[i].address, guest, NULL, "Assigned %s to guest %s (%s%s)",
                            records[i].address, guest, o.managed ? "managed" : "unmanaged",
                            o.permissive ? ", permissive" : "");
                if (!streq(o.reset_policy, "strict"))
                        pt_log_full(LOG_WARNING, NULL, records[i].address, guest, NULL,
                                    "Reset policy of %s in guest %s relaxed to %s: it %s", records[i].address, guest,
                                    o.reset_policy, streq(o.reset_policy, "none") ? "is never reset" :
                                    "may start without a reset when none is usable");
        }
        sync_and_emit(m, assigned);
        if (new_guest)
                guest_dbus_emit_added(m, guest);
        else
                guest_dbus_emit_changed(m, guest);
        return reply_strv(msg, assigned);
}

int method_unassign(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **addresses = NULL, **removing = NULL;
        const char *guest;
        int r;

        r = sd_bus_message_read(msg, "s", &guest);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(msg, &addresses);
        if (r < 0)
                return r;
        r = check_guest_name(guest, error);
        if (r < 0)
                return r;
        if (!assignments_has_guest(&m->assignments, guest))
                return sd_bus_error_setf(error, PT_ERROR_UNKNOWN_GUEST, "no guest %s has assigned devices", guest);
        if (m->store_problem)
                return sd_bus_error_set(error, PT_ERROR_STORE_CORRUPT, m->store_problem);
        r = check_not_running(m, guest, error);
        if (r < 0)
                return r;

        if (pt_strv_length(addresses) == 0)
                removing = assignments_devices_of(&m->assignments, guest);
        else
                for (char **a = addresses; *a; a++) {
                        _cleanup_free_ char *reason = NULL;
                        char bdf[PT_ADDRESS_STRLEN];
                        PtAddress addr;
                        if (pt_address_parse(*a, &addr, &reason) < 0)
                                return sd_bus_error_set(error, PT_ERROR_INVALID_ADDRESS, reason);
                        pt_address_format(&addr, bdf);
                        Assignment *x = assignments_find(&m->assignments, bdf);
                        if (!x || !streq(x->stored.guest, guest))
                                return sd_bus_error_setf(error, PT_ERROR_NOT_ASSIGNED, "%s is not assigned to guest %s%s%s",
                                                         bdf, guest, x ? "; it belongs to guest " : "",
                                                         x ? x->stored.guest : "");
                        if (!pt_strv_contains(removing, bdf))
                                (void) pt_strv_push(&removing, strdup(bdf));
                }
        if (!removing)
                return -ENOMEM;

        r = polkit_authorize(msg, PT_ACTION_MANAGE, error);
        if (r < 0)
                return r;
        r = store_unassign(m->store, guest, removing);
        if (r < 0)
                return sd_bus_error_setf(error, PT_ERROR_INTERNAL, "recording the change in %s failed: %s",
                                         store_path(m->store), strerror(-r));
        _cleanup_strv_free_ char **all = assignments_devices_of(&m->assignments, guest);
        bool last = pt_strv_length(removing) == pt_strv_length(all);
        _cleanup_free_ char *name = strdup(guest); /* guest points into the message, which outlives this */
        if (last)
                guest_dbus_emit_removed(m, name);
        for (char **a = removing; *a; a++) {
                assignments_remove(&m->assignments, *a);
                pt_log_full(LOG_INFO, PT_MESSAGE_UNASSIGNED, *a, name, NULL, "Unassigned %s from guest %s", *a, name);
        }
        sync_and_emit(m, removing);
        if (!last)
                guest_dbus_emit_changed(m, name);
        return reply_strv(msg, removing);
}

int method_list_guests(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = guest_dbus_paths(userdata, &paths);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "o");
        for (char **p = paths; r >= 0 && *p; p++)
                r = sd_bus_message_append_basic(reply, 'o', *p);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int method_get_guest(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *path = NULL;
        const char *guest;
        int r = sd_bus_message_read(msg, "s", &guest);
        if (r < 0)
                return r;
        r = check_guest_name(guest, error);
        if (r < 0)
                return r;
        if (!assignments_has_guest(&m->assignments, guest))
                return sd_bus_error_setf(error, PT_ERROR_UNKNOWN_GUEST, "no guest %s has assigned devices", guest);
        r = guest_object_path(guest, &path);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "o", path);
}
