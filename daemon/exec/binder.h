/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The sysfs side of managed mode: moving one device between its host driver and a stub, and resetting it.
 * Runs on the lifecycle worker thread. Every write has a timeout, and every completed write is journaled as a
 * step of the operation 'op' before the next one starts. Each action is idempotent: run again on a device left
 * half-way (a crash), it finishes the job. */
typedef struct Binder {
        const char *root;
        uint64_t timeout_usec;
        const char *modprobe;   /* the command that loads a missing driver's module */
        Store *journal;
        const char *xl;         /* in a Xen dom0: what keeps Xen's ownership in step with pciback; else NULL */
} Binder;

/* Why an action failed, for the caller's message; the return value is the errno. */
typedef struct BindFailure {
        bool stuck;             /* a write timed out: the device may be in any state */
        bool driver_missing;    /* the driver is not loaded and its module could not be loaded */
        bool off_bus;           /* the device stopped answering */
        char why[512];
} BindFailure;

/* The module that provides a stub driver ("pciback" comes from xen-pciback). */
const char *binder_stub_module(const char *stub);
/* The module behind a loaded driver ("" when built in); malloc'd. */
int binder_driver_module(const char *root, const char *driver, char **ret);

/* driver_override = stub, unbind from whatever has it, drivers_probe, and read the driver link back.
 * For pciback the slot is also added to new_slot, once. */
int binder_claim(Binder *b, const char *bdf, const char *stub, int64_t op, BindFailure *f);

/* Puts driver_override back as it was (cleared, usually), unbinds from the stub, and binds the original driver by
 * name (its module loaded first if needed); with no original driver the kernel probes it, and with rebind=false
 * it stays driverless. */
int binder_release(Binder *b, const char *bdf, const char *original_driver, const char *original_module,
                   const char *original_override, bool rebind, int64_t op, BindFailure *f);

/* Resets with this method (the kernel's reset_method is set for the one reset and restored), then checks that
 * the device still answers. method NULL: the kernel chooses. */
int binder_reset(Binder *b, const char *bdf, const char *method, BindFailure *f);

/* A Secondary Bus Reset of the bridge's bus, done by passthrud for any stub (the kernel offers none when a bus has
 * several functions, and VFIO's hot reset exists neither for pciback nor pci-stub): the standard header of every
 * function in scope is saved (and journaled as a step of op, so recovery can restore it), runtime power
 * management is held off, Bridge Control's Secondary Bus Reset bit is held 2 ms, the bus gets 100 ms to come back
 * (PCI's Trhfa), and then each function must answer within a second before its header is written back.
 * Functions that stay silent are listed in *ret_dead (malloc'd strv; their header cannot be restored); the first
 * in scope being one of them fails the call (-ENXIO). */
int binder_bus_reset(Binder *b, const char *bridge, char *const *scope, int64_t op, char ***ret_dead, BindFailure *f);
/* sriov_numvfs = num_vfs (through 0 when changing one count to another, as the kernel requires). */
int binder_set_num_vfs(Binder *b, const char *pf, uint32_t num_vfs, BindFailure *f);
/* Recovery of a bus reset cut short: the bit released and every saved header written back to whatever answers. */
int binder_bus_reset_recover(Binder *b, const char *bridge, const char *saved);
