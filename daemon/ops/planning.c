/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <syslog.h>

#include "admission.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "modules-alias.h"
#include "planning.h"
#include "pt-util.h"
#include "reset-scope.h"

int plan_check_guest_name(const char *guest, PtError *e) {
        if (guest_name_valid(guest))
                return 0;
        _cleanup_free_ char *shown = pt_str_quote_limited(guest, 80);
        return pt_error_set(e, PT_ERR_INVALID_GUEST_NAME,
                            "invalid guest name %s: use 1-64 of A-Z a-z 0-9 _ . -, not starting with . or -",
                            strempty(shown));
}

int plan_check_guest_known(const Model *m, const char *guest, PtError *e) {
        int r = plan_check_guest_name(guest, e);
        if (r < 0)
                return r;
        if (!assignments_has_guest(&m->assignments, guest))
                return pt_error_set(e, PT_ERR_UNKNOWN_GUEST, "no guest %s has assigned devices", guest);
        return 0;
}

int plan_check_store(const Model *m, PtError *e) {
        if (m->store_problem)
                return pt_error_set(e, PT_ERR_STORE_CORRUPT, "%s", m->store_problem);
        return 0;
}

int plan_parse_address(const char *address, PtAddress *ret, PtError *e) {
        _cleanup_free_ char *reason = NULL;
        int r = pt_address_parse(address, ret, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return pt_error_set(e, PT_ERR_INVALID_ADDRESS, "%s", reason ? reason : "invalid PCI address");
        return 0;
}

Device *plan_resolve_device(const Model *m, const char *address, PtError *e) {
        char bdf[PT_ADDRESS_STRLEN];
        PtAddress a;
        if (plan_parse_address(address, &a, e) < 0)
                return NULL;
        Device *d = inventory_find(&m->inventory, &a);
        if (!d)
                pt_error_set(e, PT_ERR_NOT_FOUND, "no PCI device %s on this host", pt_address_format(&a, bdf));
        return d;
}

int plan_note_admission(const Model *m, Job *j, Device *const *devices, size_t n, char *const *forced,
                        bool passthrough) {
        for (char *const *f = forced; f && *f; f++)
                if (job_add_note(j, LOG_WARNING, NULL, NULL, NULL, "%s", *f) < 0)
                        return -ENOMEM;
        for (size_t i = 0; passthrough && admission_insecure(m) && i < n; i++)
                if (job_add_note(j, LOG_WARNING, PT_MESSAGE_INSECURE, devices[i]->bdf, NULL,
                                 "Insecure: passing %s through without an IOMMU (AllowUnsafePVPassthrough=yes); the "
                                 "guest can reach dom0's memory by DMA", devices[i]->bdf) < 0)
                        return -ENOMEM;
        return 0;
}

const char *plan_stub(const Model *m, const char *chosen) {
        return isempty(chosen) ? host_stub_driver(m->host) : chosen;
}

char *plan_variant_driver(const Model *m, const Device *d) {
        if (!d || !streq(host_stub_driver(m->host), "vfio-pci"))
                return NULL;
        /* On a KVM host, the kernel's VFIO variant driver for the device where it has one, as libvirt picks it:
         * vfio-pci with the vendor's live migration support. */
        char *variant = NULL;
        /* Unreadable is as good as absent here (planning logs nothing); ptctl doctor says why. */
        (void) modules_alias_vfio_variant(m->modules_alias, d->modalias, &variant);
        return variant;
}

int plan_claim(const Model *m, JobDevice *jd, const Device *d, const char *holder) {
        if (!d || streq(strempty(d->driver), jd->stub))
                return 0;
        jd->claim = true;
        if (!jd->holder && !(jd->holder = strdup(holder)))
                return -ENOMEM;
        const StoredHold *h = records_find_hold(&m->records, d->bdf);
        return h ? job_device_origin_hold(jd, h) : job_device_origin_current(jd, m->sysfs_root, d->driver, true);
}

int plan_release_held(const Model *m, JobDevice *jd, const Device *d, const char *holder) {
        const StoredHold *h = records_find_hold(&m->records, d->bdf);
        if (!h || !streq(h->holder, holder) || model_device_hidden(m, d->bdf))
                return 0;
        jd->release = true;
        return job_device_origin_hold(jd, h);
}

/* A device sits idle on a stub: nothing on the host uses it and no running guest has it. */
static bool idle(const Model *m, const Device *d) {
        return (isempty(d->driver) || device_on_stub(d)) && !model_device_running(m, d->bdf);
}

/* Who is in the way of a bus reset of d: every other device in its scope that is neither the guest's ('members')
 * nor idle (on a stub or driverless, and in no running guest). */
static int reset_blockers(const Model *m, const Device *d, char *const *members, ResetFacts *f) {
        _cleanup_free_ Device **scope = NULL;
        size_t n = 0;
        int r = reset_scope(&m->inventory, d, "sbr", &scope, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; !isempty(d->parent_bridge) && i < n; i++) {
                const Device *x = scope[i];
                if (x == d || pt_strv_contains(members, x->bdf) || idle(m, x))
                        continue;
                char *text = NULL;
                if (asprintf(&text, "%s (%s)", x->bdf,
                             model_device_running(m, x->bdf) ? "in a running guest" :
                             isempty(x->driver) ? "no driver" : x->driver) < 0 ||
                    pt_strv_push(&f->bus_blockers, text) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int plan_reset(const Model *m, const Device *d, char *const *members, const char *policy_name, bool explicit,
               JobDevice *jd, char **why) {
        ResetFacts f;
        ResetPolicy policy = explicit ? RESET_POLICY_STRICT : reset_policy_from_string(policy_name);
        jd->reset_best_effort = policy == RESET_POLICY_BEST_EFFORT;
        if (policy == RESET_POLICY_NONE) {
                jd->reset_note_priority = LOG_NOTICE;
                return asprintf(&jd->reset_note, "Not resetting %s: its reset policy is none", d->bdf) < 0 ? -ENOMEM : 0;
        }
        reset_facts_of(&m->inventory, d, &f);
        int r = reset_blockers(m, d, members, &f);
        if (r >= 0)
                r = reset_choose(&f, &jd->reset_method, why);
        pt_strv_free(f.bus_blockers);
        if (r == -ENOENT && policy == RESET_POLICY_BEST_EFFORT) {
                jd->reset_note_priority = LOG_WARNING;
                r = asprintf(&jd->reset_note, "Not resetting %s (reset policy best-effort): %s", d->bdf, *why);
                free(*why);
                *why = NULL;
                        return r < 0 ? -ENOMEM : 0;
        }
        if (r < 0)
                return r;
        jd->reset = true;
        if (!reset_method_is_bus(jd->reset_method))
                return 0;
        /* What the executor needs for a bus reset: the bridge, and everything it reaches (to save, check and
         * restore). */
        _cleanup_free_ Device **scope = NULL;
        size_t n = 0;
        if ((r = reset_scope(&m->inventory, d, jd->reset_method, &scope, &n)) < 0)
                return r;
        if (!(jd->reset_bridge = strdup(d->parent_bridge)))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (pt_strv_push(&jd->reset_scope, strdup(scope[i]->bdf)) < 0)
                        return -ENOMEM;
        return 0;
}

static size_t lane_root(size_t *parent, size_t i) {
        while (parent[i] != i)
                i = parent[i] = parent[parent[i]];
        return i;
}

static bool share_lane(const Model *m, const JobDevice *x, const JobDevice *y) {
        const Device *a = inventory_find_bdf(&m->inventory, x->bdf), *b = inventory_find_bdf(&m->inventory, y->bdf);
        if (!a || !b)
                return true; /* not knowing is no reason to hurry */
        if (a->iommu_group >= 0 && a->iommu_group == b->iommu_group)
                return true;
        if (a->address.domain == b->address.domain && a->address.bus == b->address.bus &&
            a->address.slot == b->address.slot)
                return true;
        if (streq(a->physical_function, b->bdf) || streq(b->physical_function, a->bdf) ||
            (!isempty(a->physical_function) && streq(a->physical_function, b->physical_function)))
                return true;
        return pt_strv_contains(x->reset_scope, y->bdf) || pt_strv_contains(y->reset_scope, x->bdf);
}

int plan_lanes(const Model *m, Job *j) {
        _cleanup_free_ size_t *parent = calloc(j->n_devices ? j->n_devices : 1, sizeof(size_t));
        _cleanup_free_ unsigned *number = calloc(j->n_devices ? j->n_devices : 1, sizeof(unsigned));
        if (!parent || !number)
                return -ENOMEM;
        for (size_t i = 0; i < j->n_devices; i++)
                parent[i] = i;
        for (size_t i = 0; i < j->n_devices; i++)
                for (size_t k = i + 1; k < j->n_devices; k++)
                        if (share_lane(m, &j->devices[i], &j->devices[k]))
                                parent[lane_root(parent, k)] = lane_root(parent, i);
        /* Lanes numbered in the order of their first device. */
        unsigned lanes = 0;
        for (size_t i = 0; i < j->n_devices; i++) {
                size_t root = lane_root(parent, i);
                if (root == i)
                        number[i] = lanes++;
                j->devices[i].lane = number[root];
        }
        return 0;
}
