/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "device.h"
#include "inventory.h"
#include "store.h"

/* One device's assignment: the stored record plus what the live topology says about it now. */
typedef struct Assignment {
        StoredAssignment stored;
        char *problem;  /* NULL when the address holds the recorded hardware; else why not ("mismatched: ...") */
} Assignment;

/* Every assignment, sorted by guest then address. Guests exist through their assignments. */
typedef struct Assignments {
        Assignment *items;      /* sorted by guest, then address */
        size_t n;
        size_t *by_address;     /* items' indices sorted by address: a lookup by address is a binary search */
} Assignments;

void assignments_done(Assignments *as);
int assignments_load(Assignments *as, Store *store);
Assignment *assignments_find(const Assignments *as, const char *bdf);
bool assignments_has_guest(const Assignments *as, const char *guest);
/* Sorted, unique guest names (malloc'd strv). */
char **assignments_guests(const Assignments *as);
/* The guest's device addresses (malloc'd strv). */
char **assignments_devices_of(const Assignments *as, const char *guest);
int assignments_add(Assignments *as, const StoredAssignment *a);      /* copies */
/* The NUMA nodes the guest's present devices are attached to, ascending, each once (none: n = 0). A guest whose
 * devices span nodes moves its DMA across the interconnect. */
int assignments_numa_nodes(const Assignments *as, const Inventory *inv, const char *guest, int32_t **ret,
                           size_t *ret_n);
void assignments_remove(Assignments *as, const char *bdf);

/* Compares the recorded identity with what the device at the address is now; sets or clears a->problem.
 * Returns true when the problem changed. d may be NULL (nothing at the address). */
bool assignment_check_identity(Assignment *a, const Device *d);
void stored_identity_from_device(StoredIdentity *id, const Device *d);

/* 1-64 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
bool guest_name_valid(const char *name);
int guest_object_path(const char *name, char **ret);
