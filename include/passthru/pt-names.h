/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every name shared by daemon, client and tests lives here, so they cannot drift apart. */

#define PT_BUS_NAME             "org.passthru1"
#define PT_MANAGER_PATH         "/org/passthru1"
#define PT_MANAGER_INTERFACE    "org.passthru1.Manager"
#define PT_DEVICE_PATH_PREFIX   "/org/passthru1/device"
#define PT_DEVICE_INTERFACE     "org.passthru1.Device"
#define PT_GUEST_PATH_PREFIX    "/org/passthru1/guest"
#define PT_GUEST_INTERFACE      "org.passthru1.Guest"

/* Manager.GetInventory(): one struct per device, fields in the order of the Device properties in
 * dbus/org.passthru1.xml, less IommuGroupMembers and VirtualFunctions, which the other entries already say (and
 * which would make the reply grow with the square of the group size). Fixed for this method's lifetime. */
#define PT_INVENTORY_ENTRY_SIGNATURE_INNER "sqqqqyussssybbsbssisbbbbbasuussbsss"
#define PT_INVENTORY_ENTRY_SIGNATURE "(" PT_INVENTORY_ENTRY_SIGNATURE_INNER ")"

#define PT_ERROR_PREFIX         "org.passthru1.Error."
#define PT_ERROR_NOT_FOUND      PT_ERROR_PREFIX "NotFound"
#define PT_ERROR_INVALID_ADDRESS PT_ERROR_PREFIX "InvalidAddress"
#define PT_ERROR_INTERNAL       PT_ERROR_PREFIX "Internal"
#define PT_ERROR_INVALID_GUEST_NAME PT_ERROR_PREFIX "InvalidGuestName"
#define PT_ERROR_UNKNOWN_GUEST  PT_ERROR_PREFIX "UnknownGuest"
#define PT_ERROR_INVALID_OPTION PT_ERROR_PREFIX "InvalidOption"
#define PT_ERROR_NOT_ASSIGNABLE PT_ERROR_PREFIX "NotAssignable"
#define PT_ERROR_ALREADY_ASSIGNED PT_ERROR_PREFIX "AlreadyAssigned"
#define PT_ERROR_NOT_ASSIGNED   PT_ERROR_PREFIX "NotAssigned"
#define PT_ERROR_COASSIGNMENT_REQUIRED PT_ERROR_PREFIX "CoAssignmentRequired"
#define PT_ERROR_GROUP_CONFLICT PT_ERROR_PREFIX "GroupConflict"
#define PT_ERROR_STORE_CORRUPT  PT_ERROR_PREFIX "StoreCorrupt"

#define PT_DEFAULT_SYSFS_ROOT   "/sys"
#define PT_DEFAULT_STATE_DIR    "/var/lib/passthru"
#define PT_DEFAULT_RUNTIME_DIR  "/run/passthru"

/* Device states as shown on the bus and by ptctl. */
#define PT_STATE_HOST           "host"      /* bound to a host driver */
#define PT_STATE_UNBOUND        "unbound"   /* no driver at all */
#define PT_STATE_STUB           "stub"      /* bound to vfio-pci, pci-stub or pciback */
#define PT_STATE_OFFBUS         "offbus"    /* config space reads all 0xff: fell off the bus */

/* Journal MESSAGE_IDs (catalog: systemd/passthrud.catalog). */
#define PT_MESSAGE_STARTED      "4c1f6a3e8b2d4b0f9a7e51c2d3b4a501"
#define PT_MESSAGE_DEVICE_ADDED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a502"
#define PT_MESSAGE_DEVICE_REMOVED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a503"
#define PT_MESSAGE_DRIVER_CHANGED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a504"
