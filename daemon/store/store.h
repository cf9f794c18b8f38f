/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "passthru/pt-address.h"

/* The assignment database: SQLite in the state directory. Every change is one transaction with
 * synchronous=FULL, so an acknowledged change survives a crash or power loss, and a half-done one never shows. */
typedef struct Store Store;

#define STORE_SCHEMA_VERSION 6

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
        char *driver;  /* the stub for this device; "" = the host's default */
        char *reset_policy; /* strict | best-effort | none */
        StoredIdentity identity;
} StoredAssignment;

void stored_assignment_done(StoredAssignment *a);

/* Opens (creating, mode 0600) passthru.db under state_dir and upgrades its schema. A database that fails its
 * integrity check is left untouched and gives -EBADMSG, with the reason in *ret_reason. */
int store_open(const char *state_dir, Store **ret, char **ret_reason);
/* Another connection to the same database, for another thread. */
int store_open_again(const Store *primary, Store **ret);
Store *store_free(Store *s);
static inline void store_freep(Store **s) {
        store_free(*s);
}
const char *store_path(const Store *s);

int store_load(Store *s, StoredAssignment **ret, size_t *n);

/* Records these assignments to one guest in one transaction. */
int store_assign_rows(Store *s, const StoredAssignment *list, size_t n);
int store_unassign_rows(Store *s, const char *guest, char *const *addresses);
int store_assign(Store *s, const StoredAssignment *list, size_t n);
/* Removes these addresses from the guest's assignments in one transaction; the guest goes with its last device. */
int store_unassign(Store *s, const char *guest, char *const *addresses);

/* Managed mode (store-lifecycle.c). */

/* A device passthrud took off the host: the stub it went to, and where it goes back. */
typedef struct StoredHold {
        char address[PT_ADDRESS_STRLEN];
        char *stub;
        char *original_driver;  /* "" = it had none: the kernel probes it on release */
        char *original_module;  /* "" when built in or unknown */
        char *original_override; /* its driver_override then, "" for none */
        char *holder;           /* a guest name, or STORE_HOLDER_HIDDEN */
} StoredHold;

/* Guest names cannot start with '@'. */
#define STORE_HOLDER_HIDDEN "@hidden"

typedef struct StoredHidden {
        char address[PT_ADDRESS_STRLEN];
        char *driver;
} StoredHidden;

/* One unfinished step of the intent journal. Guest operations ("start", "stop") have address "";
 * device operations ("claim", "release") name the device and, for a claim, the original driver. */
typedef struct StoredOperation {
        int64_t id;
        char *kind, *guest, *address, *original_driver, *original_module, *step;
} StoredOperation;

/* How many VFs a PF is to have, as SetVirtualFunctions last set it (a count of 0 is no row). */
typedef struct StoredVfCount {
        char pf[PT_ADDRESS_STRLEN];
        uint32_t num_vfs;
} StoredVfCount;

void stored_hold_done(StoredHold *h);
void stored_hidden_done(StoredHidden *h);
void stored_operation_done(StoredOperation *o);

int store_load_holds(Store *s, StoredHold **ret, size_t *n);
int store_load_hidden(Store *s, StoredHidden **ret, size_t *n);
int store_load_operations(Store *s, StoredOperation **ret, size_t *n);
int store_load_running(Store *s, char ***ret);

int store_hide(Store *s, const char *address, const char *driver);      /* -EEXIST when already hidden */
int store_unhide(Store *s, const char *address);                       /* -ENOENT when not hidden */
int store_load_vf_counts(Store *s, StoredVfCount **ret, size_t *n);
int store_set_vf_count(Store *s, const char *pf, uint32_t num_vfs);    /* 0 removes the PF's row */

/* The journal. Beginning a claim records the hold (original driver) in the same transaction, before the first
 * sysfs write; ending a release drops it. Ending a guest operation sets the guest's running flag. */
int store_op_begin(Store *s, const char *kind, const char *guest, const char *address, const StoredHold *hold,
                   int64_t *ret_id);
int store_op_step(Store *s, int64_t id, const char *step);
typedef struct StoreOpEnd {
        const char *drop_hold;          /* address whose hold goes, or NULL */
        const char *running_guest;      /* guest whose running flag is set to 'running', or NULL */
        bool running;
        /* A step inside a larger operation (a claim, a release, a bus reset within a start or stop): committed
         * without waiting for the disk. It survives passthrud's own death (it is in the kernel's page cache) and is
         * made durable by the enclosing operation's end, which waits, before anyone is told of the outcome. */
        bool relaxed;
} StoreOpEnd;
int store_op_end(Store *s, int64_t id, const StoreOpEnd *effect);

/* Hotplug (store-lifecycle.c). A guest gains a device while running (attach: the assignment and the journal
 * entry in one transaction, the guest marked running) or loses it (the end of a detach, or of an attach undone:
 * the journal entry, the hold if drop_hold, and the assignment in one transaction). */
int store_attach_begin(Store *s, const StoredAssignment *a, int64_t *ret_id);
int store_detach_end(Store *s, int64_t id, const char *guest, const char *address, bool drop_hold);

/* The rate limiter's windows: every event since 'since' (wall-clock microseconds), and saving one device's. */
typedef struct StoredEvent {
        char address[PT_ADDRESS_STRLEN];
        uint64_t at;
} StoredEvent;
int store_load_hotplug_events(Store *s, uint64_t since, StoredEvent **ret, size_t *n);
int store_save_hotplug_window(Store *s, const char *address, const uint64_t *stamps, size_t n);
int store_begin(Store *s);
int store_commit(Store *s);

/* The owner a running guest is leased to: a VMM process (pid, and its start time in clock ticks since boot, so a
 * reused PID is never taken for it), or a Xen domain by name. */
typedef struct StoredLease {
        char *guest;
        uint32_t pid;
        uint64_t start_time;
        char *domain;           /* "" for a process */
} StoredLease;
void stored_lease_done(StoredLease *l);
int store_load_leases(Store *s, StoredLease **ret, size_t *n);
int store_set_lease(Store *s, const StoredLease *l);
int store_drop_lease(Store *s, const char *guest);   /* 0 also when there was none */

/* The boot (/proc/sys/kernel/random/boot_id) the running state belongs to: NULL in *ret when never recorded. */
int store_get_boot_id(Store *s, char **ret);
/* Another boot now: every guest recorded running is stopped (their names in *ret_stopped), and the boot is
 * recorded, in one transaction. The same boot: only recorded. */
int store_settle_boot(Store *s, const char *boot_id, char ***ret_stopped);

/* For the udev helper, read-only and without opening the store for writing: the stub a device at bdf must get as
 * its driver_override (a hidden address, or a device held for a guest running in this boot: boot_id, when the
 * database says which boot that was; a guest of an earlier boot is not running; "" is a boot not begun yet, in
 * which no guest runs: only hidden addresses count). 1 and *ret_stub when it has one,
 * 0 when not (no database: nothing is hidden), a negative errno (and *ret_error) when the database cannot be
 * read. */
int store_lookup_override(const char *state_dir, const char *bdf, const char *boot_id, char **ret_stub,
                          char **ret_error);
/* Every address the helper would give a driver_override now: "BDF STUB" lines (malloc'd strv). */
int store_list_overrides(const char *state_dir, const char *boot_id, char ***ret, char **ret_error);
