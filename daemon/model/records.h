/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

/* Managed mode's records, the one home of these facts in memory: the holds (devices passthrud took off the host
 * and where they go back), the hide pool, the running guests, the PFs' VF counts (as the database has them), and what the
 * last operations found (stuck and failed devices, in memory only). Devices carry none of it; the model derives
 * a device's state from here. */
typedef struct Records {
        StoredHold *holds;
        size_t n_holds;
        StoredHidden *hidden;
        size_t n_hidden;
        char **running_guests;
        StoredLease *leases;
        size_t n_leases;
        StoredVfCount *vf_counts;       /* SetVirtualFunctions' settings, by PF */
        size_t n_vf_counts;
        char **owners_gone;             /* guests whose owner ended (in memory: what the lease watch saw) */
        char **stuck, **failed;
} Records;

void records_done(Records *r);
/* Replaces the database-backed records with the store's; stuck and failed stay. */
int records_load(Records *r, Store *s);
const StoredHold *records_find_hold(const Records *r, const char *bdf);
const StoredHidden *records_find_hidden(const Records *r, const char *bdf);
const StoredVfCount *records_find_vf_count(const Records *r, const char *pf);
bool records_guest_running(const Records *r, const char *guest);
const StoredLease *records_find_lease(const Records *r, const char *guest);
bool records_stuck(const Records *r, const char *bdf);
bool records_failed(const Records *r, const char *bdf);
void records_set_stuck(Records *r, const char *bdf, bool stuck);
void records_set_failed(Records *r, const char *bdf, bool failed);
/* Every address any record names (holds, hidden, stuck, failed), appended to *l without duplicates. */
int records_addresses(const Records *r, char ***l);
