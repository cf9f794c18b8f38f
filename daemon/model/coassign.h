/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "inventory.h"

/* Which devices must go to the same guest together, from the live topology:
 *  - every endpoint of an IOMMU group (bridges excluded);
 *  - every function of a multifunction device whose functions cannot be reset one by one (no FLR or AF FLR);
 *  - every device behind the same conventional PCI bridge (they share its requester ID);
 *  - every device on a bus when a bus reset is the only reset they have. */
typedef enum CoassignRule {
        COASSIGN_CONVENTIONAL_BRIDGE,
        COASSIGN_MULTIFUNCTION,
        COASSIGN_SAME_GROUP,
        COASSIGN_BUS_RESET,
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
 * and is not the guest's. A group member idle on a stub or driverless is no danger (the group stays viable).
 * Returns 1 and *ret, 0 when every rule holds, or a negative errno. */
int coassign_first_unmet(const Inventory *inv, Device *const *devices, size_t n, char *const *members,
                         CoassignNeed *ret);
