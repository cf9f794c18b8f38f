/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "passthru/pt-address.h"

/* The assignment database: SQLite in the state directory. Every change is one transaction with
 * synchronous=FULL, so an acknowledged change survives a crash or power loss, and a half-done one never shows. */
typedef struct Store Store;

#define STORE_SCHEMA_VERSION 2

/* What identifies the hardware an assignment was made for; checked against what sits at the address now. */
typedef struct StoredIdentity {
        uint16_t vendor_id, device_id, subsystem_vendor_id, subsystem_id;
        uint32_t class_code;
        char *serial; /* "" without a Device Serial Number */
} StoredIdentity;

typedef struct StoredAssignment {
        char address[PT_ADDRESS_STRLEN];
        char *guest;
        bool managed;
        bool permissive;
        int32_t vslot; /* -1: not set */
        char *options; /* toolstack options, "key=value,..." (xl's msitranslate, seize, power_mgmt, rdm_policy) */
        StoredIdentity identity;
} StoredAssignment;

void stored_assignment_done(StoredAssignment *a);

/* Opens (creating, mode 0600) passthru.db under state_dir and upgrades its schema. A database that fails its
 * integrity check is left untouched and gives -EBADMSG, with the reason in *ret_reason. */
int store_open(const char *state_dir, Store **ret, char **ret_reason);
Store *store_free(Store *s);
static inline void store_freep(Store **s) {
        store_free(*s);
}
const char *store_path(const Store *s);

int store_load(Store *s, StoredAssignment **ret, size_t *n);

/* Records these assignments to one guest in one transaction. */
int store_assign(Store *s, const StoredAssignment *list, size_t n);
/* Removes these addresses from the guest's assignments in one transaction; the guest goes with its last device. */
int store_unassign(Store *s, const char *guest, char *const *addresses);
