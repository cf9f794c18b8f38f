/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "inventory.h"
#include "reset.h"

/* Reset scope: which reset a device gets and everything that reset reaches, from the topology and the kernel.
 * A function reset (flr, af_flr, pm) reaches the function alone; a bus reset (the kernel's "bus", or passthrud's
 * own secondary bus reset "sbr") reaches every function below the device's parent bridge. Co-assignment, group
 * viability, start, stop, attach, detach, ResetDevice and doctor all ask this one place. */

/* What reset_choose() needs to know about d from the inventory; bus_blockers is left empty (who owns the rest of
 * the scope is the caller's question). */
void reset_facts_of(const Inventory *inv, const Device *d, ResetFacts *ret);
/* The reset d would get were everything in its scope free: its method (static), or NULL and *why (malloc'd). */
const char *reset_method_of(const Inventory *inv, const Device *d, char **why);
/* Everything a reset of d by method reaches, d first (malloc'd array; the devices are the inventory's). */
int reset_scope(const Inventory *inv, const Device *d, const char *method, Device ***ret, size_t *n);
/* For people: "flr (this function only)", or "bus reset of 0000:00:09.0's secondary bus: 0000:06:00.0-2,
 * 0000:06:03.0" (functions of one slot in a row are shortened). malloc'd. */
char *reset_scope_describe(const Device *d, const char *method, Device *const *scope, size_t n);
