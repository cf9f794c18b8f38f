/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "inventory.h"

/* Idle on the host side: bound to a stub or to no driver at all. */
bool coassign_idle(const Device *d);

/* Which devices must go to the same guest together, from the live topology:
 *  - every endpoint of an IOMMU group (bridges excluded);
 *  - every device behind the same conventional PCI bridge (they share its requester ID);
 *  - everything a device's reset reaches when its only reset is a bus reset (reset-scope.h); a function with a
 *    reset of its own (FLR, AF FLR, a PM reset without No_Soft_Reset) needs nobody for its reset.
 * Each need is met by the device being the same guest's, or by it sitting idle on a stub or with no driver (hidden:
 * the Xen wiki hides a bridge's other device and gives the guest the rest). */
typedef enum CoassignRule {
        COASSIGN_CONVENTIONAL_BRIDGE,
        COASSIGN_SAME_GROUP,
        COASSIGN_RESET_SCOPE,
} CoassignRule;

typedef struct CoassignNeed {
        Device *device;    /* must come along */
        CoassignRule kind;
        Device *because;   /* with this one */
        const char *rule;  /* why, for the message */
} CoassignNeed;

/* The closure of 'requested' under the rules, requested devices first. Bridges are never part of a set.
 * Returns the number of devices in *ret (malloc'd); *ret_needs lists, for each added device, what pulled it in. */
int coassign_closure(const Inventory *inv, Device *const *requested, size_t n_requested, Device ***ret, size_t *n,
                     CoassignNeed **ret_needs, size_t *n_needs);

/* Group viability, for giving the devices named in 'members' to a guest: the first member of d's IOMMU group that
 * is none of them, not a bridge, and bound to a host driver; NULL when the group is viable. */
Device *coassign_group_blocker(const Inventory *inv, const Device *d, char *const *members);

/* The first rule the devices break for a guest owning 'members' (they among them): a device that must come along
 * and is not the guest's. One idle on a stub or driverless is no danger (the group stays viable, the reset touches
 * nothing the host uses).
 * Returns 1 and *ret, 0 when every rule holds, or a negative errno. */
int coassign_first_unmet(const Inventory *inv, Device *const *devices, size_t n, char *const *members,
                         CoassignNeed *ret);
