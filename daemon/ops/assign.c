/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Assign and Unassign: a guest's device set, validated whole (co-assignment, ownership, safety) before one
 * transaction records it. And the migration guard, which reads the same set. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "admission.h"
#include "assign.h"
#include "log.h"
#include "coassign.h"
#include "log.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "planning.h"
#include "pt-util.h"
#include "reset.h"

void assign_options_init(AssignOptions *o) {
        *o = (AssignOptions) { .managed = true, .vslot = -1, .reset_policy = "strict", .vf_count = 1, .numa_node = -1 };
}

static void add_extra(AssignOptions *o, const char *key, const char *value) {
        size_t l = strlen(o->extra);
        snprintf(o->extra + l, sizeof(o->extra) - l, "%s%s=%s", l ? "," : "", key, value);
}

int assign_options_set(AssignOptions *o, const char *key, char type, bool b, const char *s, uint32_t u, PtError *e) {
        if (type == 'b' && streq(key, "managed"))
                o->managed = b;
        else if (type == 'b' && streq(key, "permissive"))
                o->permissive = b;
        else if (type == 'b' && streq(key, "force"))
                o->force = b;
        else if (type == 'b' && streq(key, "group"))
                o->group = b;
        else if (type == 'b' && (streq(key, "msitranslate") || streq(key, "seize") || streq(key, "power_mgmt")))
                add_extra(o, key, b ? "1" : "0");
        else if (type == 's' && streq(key, "rdm_policy")) {
                if (!streq(s, "strict") && !streq(s, "relaxed"))
                        return pt_error_set(e, PT_ERR_INVALID_OPTION, "rdm_policy must be strict or relaxed, not "
                                            "'%s'", s);
                add_extra(o, key, s);
        } else if (type == 's' && streq(key, "driver")) {
                if (!device_is_stub_driver(s))
                        return pt_error_set(e, PT_ERR_INVALID_OPTION, "driver must be a stub driver (vfio-pci, a VFIO "
                                            "variant driver, pciback or pci-stub), not '%s'", s);
                if (strlen(s) >= sizeof(o->driver))
                        return pt_error_set(e, PT_ERR_INVALID_OPTION, "driver '%s' is too long", s);
                snprintf(o->driver, sizeof(o->driver), "%s", s);
        } else if (type == 's' && streq(key, "reset_policy")) {
                if (reset_policy_from_string(s) < 0)
                        return pt_error_set(e, PT_ERR_INVALID_OPTION, "reset_policy must be strict, best-effort or "
                                            "none, not '%s'", s);
                snprintf(o->reset_policy, sizeof(o->reset_policy), "%s", s);
        } else if (type == 's' && streq(key, "vf_of")) {
                if (strlen(s) >= sizeof(o->vf_of))
                        return pt_error_set(e, PT_ERR_INVALID_OPTION, "vf_of is too long");
                snprintf(o->vf_of, sizeof(o->vf_of), "%s", s);
        } else if (type == 'u' && streq(key, "vf_count")) {
                if (u == 0 || u > 256)
                        return pt_error_set(e, PT_ERR_INVALID_OPTION, "vf_count must be 1-256, not %u", u);
                o->vf_count = u;
        } else if (type == 'u' && streq(key, "numa_node")) {
                if (u > 1023)
                        return pt_error_set(e, PT_ERR_INVALID_OPTION, "numa_node %u is out of range", u);
                o->numa_node = (int32_t) u;
        } else if (type == 'u' && streq(key, "vslot")) {
                if (u > 0x1f)
                        return pt_error_set(e, PT_ERR_INVALID_OPTION, "vslot %u is out of range (0-0x1f)", u);
                o->vslot = (int32_t) u;
        } else
                return pt_error_set(e, PT_ERR_INVALID_OPTION,
                                    "unknown option %s of type %c (known: managed b, permissive b, vslot u, group b, "
                                    "force b, driver s, reset_policy s, msitranslate b, seize b, power_mgmt b, "
                                    "rdm_policy s, vf_of s, vf_count u, numa_node u)", key, type);
        return 0;
}

int assign_attach_record(Job *j, const AssignOptions *o) {
        JobDevice *jd = &j->devices[0];
        j->record = (StoredAssignment) { .guest = strdup(j->guest), .managed = o->managed, .permissive = o->permissive,
                                         .vslot = o->vslot, .options = strdup(o->extra), .driver = strdup(o->driver),
                                         .reset_policy = strdup(o->reset_policy) };
        memcpy(j->record.address, jd->bdf, sizeof(jd->bdf));
        j->force = o->force;
        return j->record.guest && j->record.options && j->record.driver && j->record.reset_policy ? 0 : -ENOMEM;
}

void assign_plan_done(AssignPlan *p) {
        for (size_t i = 0; i < p->n; i++)
                free(p->records[i].identity.serial);
        free(p->records);
        free(p->drivers);
        free(p->guest);
        pt_strv_free(p->forced);
        *p = (AssignPlan) {};
}

/* A running guest's device set is what its toolstack was given; it changes by stopping first, or by hot attach
 * and detach. */
static int check_not_running(const char *guest, const char *state, PtError *e) {
        if (streq(state, PT_GUEST_STOPPED))
                return 0;
        return pt_error_set(e, PT_ERR_GUEST_RUNNING, "guest %s is %s; stop it first", guest, state);
}

int assign_plan(const Model *m, const char *guest, char *const *addresses, const AssignOptions *o, const char *state,
                AssignPlan *ret, PtError *e) {
        _cleanup_free_ Device **requested = NULL, **closure = NULL;
        _cleanup_free_ CoassignNeed *needs = NULL;
        size_t n_requested = 0, n_closure = 0, n_needs = 0;
        int r;

        if ((r = plan_check_guest_name(guest, e)) < 0)
                return r;
        if (pt_strv_length(addresses) == 0)
                return pt_error_set(e, PT_ERR_INVALID_OPTION, "no devices given");
        if (o->vslot >= 0 && pt_strv_length(addresses) > 1)
                return pt_error_set(e, PT_ERR_INVALID_OPTION,
                                    "vslot names one device's slot in the guest; assign devices one at a time");
        if ((r = plan_check_store(m, e)) < 0 || (r = check_not_running(guest, state, e)) < 0)
                return r;

        requested = calloc(pt_strv_length(addresses) + 1, sizeof(Device *));
        if (!requested)
                return -ENOMEM;
        for (char *const *a = addresses; *a; a++) {
                Device *d = plan_resolve_device(m, *a, e);
                if (!d)
                        return -EINVAL;
                if (d->is_bridge)
                        return pt_error_set(e, PT_ERR_NOT_ASSIGNABLE, "%s is a %s; bridges cannot be assigned to a "
                                            "guest", d->bdf,
                                            (d->class_code >> 8) == 0x0600 ? "host bridge" : "bridge");
                const char *owner = model_device_guest(m, d->bdf);
                if (owner)
                        return pt_error_set(e, PT_ERR_ALREADY_ASSIGNED, "%s is already assigned to guest %s", d->bdf,
                                            owner);
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
                const char *owner = model_device_guest(m, needs[i].device->bdf);
                if (owner && !streq(owner, guest))
                        return pt_error_set(e, PT_ERR_GROUP_CONFLICT, "%s must go to the same guest as %s (%s), but "
                                            "it is assigned to guest %s", needs[i].device->bdf, needs[i].because->bdf,
                                            needs[i].rule, owner);
                /* Hidden, or idle on a stub or with no driver: no host user to lose, the need is met. */
                if (owner || coassign_idle(needs[i].device))
                        continue;
                fprintf(lines, "%s must be co-assigned to the same guest with %s (%s)\n", needs[i].device->bdf,
                        needs[i].because->bdf, needs[i].rule);
                n_missing++;
        }
        if (fflush(lines) != 0)
                return -ENOMEM;
        if (n_missing > 0 && !o->group)
                return pt_error_set(e, PT_ERR_COASSIGNMENT_REQUIRED, "%sAssign them together, or with --group "
                                    "(option group=true).", missing);
        _cleanup_strv_free_ char **forced = NULL;
        if ((r = admission_check(m, closure, n_closure, guest, true, o->force, &forced, e)) < 0)
                return r;

        AssignPlan p = { .managed = o->managed, .permissive = o->permissive, .insecure = admission_insecure(m),
                         .forced = TAKE_PTR(forced) };
        p.guest = strdup(guest);
        p.records = calloc(n_closure + 1, sizeof(StoredAssignment));
        if (!p.guest || !p.records) {
                assign_plan_done(&p);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n_closure; i++) {
                Device *d = closure[i];
                /* Without group, what the guest gets is what was asked for: a need met by an idle device (the
                 * hidden sibling) leaves that device where it is. */
                if (model_device_guest(m, d->bdf) || (!o->group && i >= n_requested))
                        continue;
                StoredAssignment *s = &p.records[p.n++];
                *s = (StoredAssignment) { .guest = p.guest, .managed = o->managed, .permissive = o->permissive,
                                          .vslot = i == 0 ? o->vslot : -1 };
                memcpy(s->address, d->bdf, sizeof(s->address));
                stored_identity_from_device(&s->identity, d);
                s->identity.serial = strdup(d->serial);
                if (!s->identity.serial) {
                        assign_plan_done(&p);
                        return -ENOMEM;
                }
        }
        *ret = p;
        snprintf(ret->reset_policy, sizeof(ret->reset_policy), "%s", o->reset_policy);
        snprintf(ret->extra, sizeof(ret->extra), "%s", o->extra);
        snprintf(ret->driver, sizeof(ret->driver), "%s", o->driver);
        ret->drivers = calloc(ret->n ?: 1, sizeof(*ret->drivers));
        if (!ret->drivers) {
                assign_plan_done(ret);
                return -ENOMEM;
        }
        for (size_t i = 0; i < ret->n; i++) {
                ret->records[i].options = ret->extra;
                ret->records[i].reset_policy = ret->reset_policy;
                ret->records[i].driver = ret->drivers[i];
                if (o->driver[0]) {
                        snprintf(ret->drivers[i], sizeof(ret->drivers[i]), "%s", o->driver);
                        continue;
                }
                _cleanup_free_ char *variant =
                        plan_variant_driver(m, inventory_find_bdf(&m->inventory, ret->records[i].address));
                if (variant && strlen(variant) < sizeof(ret->drivers[i]))
                        snprintf(ret->drivers[i], sizeof(ret->drivers[i]), "%s", variant);
        }
        return 0;
}

int assign_apply(Model *m, const AssignPlan *p, char ***ret_assigned) {
        _cleanup_strv_free_ char **assigned = NULL;
        int r = store_assign(m->store, p->records, p->n);
        if (r < 0)
                return r;
        r = model_add_assignments(m, p->records, p->n);
        if (r < 0)
                return r;
        for (char **f = p->forced; f && *f; f++)
                pt_log_full(LOG_WARNING, NULL, NULL, p->guest, NULL, "%s", *f);
        for (size_t i = 0; i < p->n; i++) {
                const char *a = p->records[i].address;
                if (p->insecure)
                        pt_log_full(LOG_WARNING, PT_MESSAGE_INSECURE, a, p->guest, NULL, "Insecure: passing %s "
                                    "through without an IOMMU (AllowUnsafePVPassthrough=yes); the guest can reach "
                                    "dom0's memory by DMA", a);
                if (pt_strv_push(&assigned, strdup(a)) < 0)
                        return -ENOMEM;
                const char *driver = p->records[i].driver;
                bool variant = !p->driver[0] && !isempty(driver);
                pt_log_full(LOG_INFO, PT_MESSAGE_ASSIGNED, a, p->guest, NULL, "Assigned %s to guest %s (%s%s%s%s%s)",
                            a, p->guest, p->managed ? "managed" : "unmanaged", p->permissive ? ", permissive" : "",
                            isempty(driver) ? "" : ", stub ", strempty(driver),
                            variant ? ": the kernel's VFIO variant driver for it" : "");
                if (!streq(p->reset_policy, "strict"))
                        pt_log_full(LOG_WARNING, NULL, a, p->guest, NULL, "Reset policy of %s in guest %s relaxed to "
                                    "%s: it %s", a, p->guest, p->reset_policy, streq(p->reset_policy, "none") ?
                                    "is never reset" : "may start without a reset when none is usable");
        }
        *ret_assigned = TAKE_PTR(assigned);
        return 0;
}

int unassign_plan(const Model *m, const char *guest, char *const *addresses, const char *state, char ***ret_removing,
                  PtError *e) {
        _cleanup_strv_free_ char **removing = NULL;
        int r;
        if ((r = plan_check_guest_known(m, guest, e)) < 0 || (r = plan_check_store(m, e)) < 0 ||
            (r = check_not_running(guest, state, e)) < 0)
                return r;
        if (pt_strv_length(addresses) == 0)
                removing = assignments_devices_of(&m->assignments, guest);
        else
                for (char *const *a = addresses; *a; a++) {
                        char bdf[PT_ADDRESS_STRLEN];
                        PtAddress addr;
                        if ((r = plan_parse_address(*a, &addr, e)) < 0)
                                return r;
                        pt_address_format(&addr, bdf);
                        const char *owner = model_device_guest(m, bdf);
                        if (!owner || !streq(owner, guest))
                                return pt_error_set(e, PT_ERR_NOT_ASSIGNED, "%s is not assigned to guest %s%s%s", bdf,
                                                    guest, owner ? "; it belongs to guest " : "", strempty(owner));
                        if (!pt_strv_contains(removing, bdf) && pt_strv_push(&removing, strdup(bdf)) < 0)
                                return -ENOMEM;
                }
        if (!removing)
                return -ENOMEM;
        *ret_removing = TAKE_PTR(removing);
        return 0;
}

int unassign_apply(Model *m, const char *guest, char *const *removing) {
        int r = store_unassign(m->store, guest, removing);
        if (r < 0)
                return r;
        _cleanup_free_ char *name = strdup(guest);
        if (!name)
                return -ENOMEM;
        model_remove_assignments(m, name, removing);
        for (char *const *a = removing; *a; a++)
                pt_log_full(LOG_INFO, PT_MESSAGE_UNASSIGNED, *a, name, NULL, "Unassigned %s from guest %s", *a, name);
        return 0;
}

int migrate_verdict(const Model *m, const char *guest, const char *state, bool *ret_can, char **ret_reason,
                    PtError *e) {
        int r = plan_check_guest_name(guest, e);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **devices = assignments_devices_of(&m->assignments, guest);
        if (!devices)
                return -ENOMEM;
        bool running = streq(state, PT_GUEST_RUNNING) || streq(state, PT_GUEST_STARTING) ||
                       streq(state, PT_GUEST_STOPPING);
        size_t n = pt_strv_length(devices);
        *ret_can = n == 0 || !running;
        if (n == 0)
                r = asprintf(ret_reason, "guest %s has no passthrough devices", guest);
        else if (!running)
                r = asprintf(ret_reason, "guest %s is not running; its %zu assigned devices are given to it at its "
                             "start on this host", guest, n);
        else {
                _cleanup_free_ char *list = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&list, &len);
                if (!f)
                        return -ENOMEM;
                for (char **d = devices; *d; d++)
                        fprintf(f, "%s%s", d == devices ? "" : ", ", *d);
                if (fclose(f) != 0)
                        return -ENOMEM;
                r = asprintf(ret_reason, "guest %s has passthrough devices attached (%s): save, restore and live "
                             "migration are impossible until they are detached", guest, list);
        }
        return r < 0 ? -ENOMEM : 0;
}
