/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "records.h"

static void holds_free(StoredHold *h, size_t n) {
        for (size_t i = 0; i < n; i++)
                stored_hold_done(&h[i]);
        free(h);
}

static void hidden_free(StoredHidden *h, size_t n) {
        for (size_t i = 0; i < n; i++)
                stored_hidden_done(&h[i]);
        free(h);
}

static void leases_free(StoredLease *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                stored_lease_done(&l[i]);
        free(l);
}

void records_done(Records *r) {
        holds_free(r->holds, r->n_holds);
        hidden_free(r->hidden, r->n_hidden);
        pt_strv_free(r->running_guests);
        leases_free(r->leases, r->n_leases);
        free(r->vf_counts);
        pt_strv_free(r->owners_gone);
        pt_strv_free(r->stuck);
        pt_strv_free(r->failed);
        *r = (Records) {};
}

int records_load(Records *r, Store *s) {
        StoredHold *holds = NULL;
        StoredHidden *hidden = NULL;
        size_t n_holds = 0, n_hidden = 0;
        char **running = NULL;
        StoredLease *leases = NULL;
        StoredVfCount *vf_counts = NULL;
        size_t n_leases = 0, n_vf_counts = 0;
        int k;

        if ((k = store_load_holds(s, &holds, &n_holds)) < 0)
                return k;
        if ((k = store_load_hidden(s, &hidden, &n_hidden)) < 0 || (k = store_load_running(s, &running)) < 0 ||
            (k = store_load_leases(s, &leases, &n_leases)) < 0 ||
            (k = store_load_vf_counts(s, &vf_counts, &n_vf_counts)) < 0) {
                leases_free(leases, n_leases);
                holds_free(holds, n_holds);
                hidden_free(hidden, n_hidden);
                pt_strv_free(running);
                return k;
        }
        leases_free(r->leases, r->n_leases);
        r->leases = leases;
        r->n_leases = n_leases;
        free(r->vf_counts);
        r->vf_counts = vf_counts;
        r->n_vf_counts = n_vf_counts;
        holds_free(r->holds, r->n_holds);
        hidden_free(r->hidden, r->n_hidden);
        pt_strv_free(r->running_guests);
        r->holds = holds;
        r->n_holds = n_holds;
        r->hidden = hidden;
        r->n_hidden = n_hidden;
        r->running_guests = running;
        return 0;
}

const StoredHold *records_find_hold(const Records *r, const char *bdf) {
        for (size_t i = 0; i < r->n_holds; i++)
                if (streq(r->holds[i].address, bdf))
                        return &r->holds[i];
        return NULL;
}

const StoredVfCount *records_find_vf_count(const Records *r, const char *pf) {
        for (size_t i = 0; i < r->n_vf_counts; i++)
                if (streq(r->vf_counts[i].pf, pf))
                        return &r->vf_counts[i];
        return NULL;
}

const StoredHidden *records_find_hidden(const Records *r, const char *bdf) {
        for (size_t i = 0; i < r->n_hidden; i++)
                if (streq(r->hidden[i].address, bdf))
                        return &r->hidden[i];
        return NULL;
}

bool records_guest_running(const Records *r, const char *guest) {
        return guest && pt_strv_contains(r->running_guests, guest);
}

const StoredLease *records_find_lease(const Records *r, const char *guest) {
        for (size_t i = 0; i < r->n_leases; i++)
                if (streq(r->leases[i].guest, guest))
                        return &r->leases[i];
        return NULL;
}

bool records_stuck(const Records *r, const char *bdf) {
        return pt_strv_contains(r->stuck, bdf);
}

bool records_failed(const Records *r, const char *bdf) {
        return pt_strv_contains(r->failed, bdf);
}

void records_set_stuck(Records *r, const char *bdf, bool stuck) {
        pt_strv_set(&r->stuck, bdf, stuck);
}

void records_set_failed(Records *r, const char *bdf, bool failed) {
        pt_strv_set(&r->failed, bdf, failed);
}

static int add_unique(char ***l, const char *s) {
        if (pt_strv_contains(*l, s))
                return 0;
        return pt_strv_push(l, strdup(s));
}

int records_addresses(const Records *r, char ***l) {
        int k = 0;
        for (size_t i = 0; k >= 0 && i < r->n_holds; i++)
                k = add_unique(l, r->holds[i].address);
        for (size_t i = 0; k >= 0 && i < r->n_hidden; i++)
                k = add_unique(l, r->hidden[i].address);
        for (char **s = r->stuck; k >= 0 && s && *s; s++)
                k = add_unique(l, *s);
        for (char **s = r->failed; k >= 0 && s && *s; s++)
                k = add_unique(l, *s);
        return k < 0 ? k : 0;
}
