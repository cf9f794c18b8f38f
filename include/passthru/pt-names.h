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
/* GetInventory2: the same and then NumaNode, VfioGroupNode, VfioDeviceNode. */
#define PT_INVENTORY2_ENTRY_SIGNATURE_INNER PT_INVENTORY_ENTRY_SIGNATURE_INNER "iss"
#define PT_INVENTORY2_ENTRY_SIGNATURE "(" PT_INVENTORY2_ENTRY_SIGNATURE_INNER ")"

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
#define PT_ERROR_GUEST_RUNNING  PT_ERROR_PREFIX "GuestRunning"
#define PT_ERROR_GUEST_NOT_RUNNING PT_ERROR_PREFIX "GuestNotRunning"
#define PT_ERROR_DEVICE_MISSING PT_ERROR_PREFIX "DeviceMissing"
#define PT_ERROR_DEVICE_MISMATCHED PT_ERROR_PREFIX "DeviceMismatched"
#define PT_ERROR_DEVICE_STUCK   PT_ERROR_PREFIX "DeviceStuck"
#define PT_ERROR_DEVICE_FAILED  PT_ERROR_PREFIX "DeviceFailed"
#define PT_ERROR_STILL_ATTACHED PT_ERROR_PREFIX "StillAttached"
#define PT_ERROR_GROUP_NOT_VIABLE PT_ERROR_PREFIX "GroupNotViable"
#define PT_ERROR_NO_RESET       PT_ERROR_PREFIX "NoReset"
#define PT_ERROR_RESET_FAILED   PT_ERROR_PREFIX "ResetFailed"
#define PT_ERROR_DRIVER_UNAVAILABLE PT_ERROR_PREFIX "DriverUnavailable"
#define PT_ERROR_BIND_FAILED    PT_ERROR_PREFIX "BindFailed"
#define PT_ERROR_TIMEOUT        PT_ERROR_PREFIX "Timeout"
#define PT_ERROR_ALREADY_HIDDEN PT_ERROR_PREFIX "AlreadyHidden"
#define PT_ERROR_NOT_HIDDEN     PT_ERROR_PREFIX "NotHidden"
#define PT_ERROR_RATE_LIMITED   PT_ERROR_PREFIX "RateLimited"
#define PT_ERROR_HOST_CRITICAL  PT_ERROR_PREFIX "HostCritical"
#define PT_ERROR_NO_IOMMU       PT_ERROR_PREFIX "NoIommu"

#define PT_DEFAULT_SYSFS_ROOT   "/sys"
#define PT_DEFAULT_STATE_DIR    "/var/lib/passthru"
#define PT_DEFAULT_RUNTIME_DIR  "/run/passthru"

/* Device states as shown on the bus and by ptctl. */
#define PT_STATE_HOST           "host"      /* on a host driver or none, not hidden */
#define PT_STATE_HIDDEN         "hidden"    /* in the hide pool, not in a running guest */
#define PT_STATE_CLAIMED        "claimed"   /* on a stub driver (vfio-pci, pciback, pci-stub), no running guest */
#define PT_STATE_RUNNING        "running"   /* assigned to a running guest */
#define PT_STATE_STUCK          "stuck"     /* a sysfs write to it timed out; it may be in any state */
#define PT_STATE_FAILED         "failed"    /* it does not answer (config space reads 0xff) or could not be reset */
#define PT_STATE_MISSING        "missing"   /* recorded (assigned or hidden) but not present */

/* Guest states. */
#define PT_GUEST_STOPPED        "stopped"
#define PT_GUEST_STARTING       "starting"
#define PT_GUEST_RUNNING        "running"
#define PT_GUEST_STOPPING       "stopping"

/* Journal MESSAGE_IDs (catalog: systemd/passthrud.catalog). */
#define PT_MESSAGE_STARTED      "4c1f6a3e8b2d4b0f9a7e51c2d3b4a501"
#define PT_MESSAGE_DEVICE_ADDED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a502"
#define PT_MESSAGE_DEVICE_REMOVED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a503"
#define PT_MESSAGE_DRIVER_CHANGED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a504"
#define PT_MESSAGE_DEVICE_CLAIMED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a505"
#define PT_MESSAGE_DEVICE_RELEASED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a506"
#define PT_MESSAGE_DEVICE_RESET "4c1f6a3e8b2d4b0f9a7e51c2d3b4a507"
#define PT_MESSAGE_OPERATION_FAILED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a508"
#define PT_MESSAGE_GUEST_STARTED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a509"
#define PT_MESSAGE_GUEST_STOPPED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a50a"
#define PT_MESSAGE_RECOVERED    "4c1f6a3e8b2d4b0f9a7e51c2d3b4a50b"
#define PT_MESSAGE_DEVICE_ATTACHED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a50c"
#define PT_MESSAGE_DEVICE_DETACHED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a50d"
#define PT_MESSAGE_DEVICE_MISSING "4c1f6a3e8b2d4b0f9a7e51c2d3b4a50e"
#define PT_MESSAGE_DEVICE_RETURNED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a50f"
#define PT_MESSAGE_DEVICE_STOLEN "4c1f6a3e8b2d4b0f9a7e51c2d3b4a510"
#define PT_MESSAGE_RATE_LIMITED "4c1f6a3e8b2d4b0f9a7e51c2d3b4a511"
#define PT_MESSAGE_ASSIGNED     "4c1f6a3e8b2d4b0f9a7e51c2d3b4a512"
#define PT_MESSAGE_UNASSIGNED   "4c1f6a3e8b2d4b0f9a7e51c2d3b4a513"
#define PT_MESSAGE_HIDDEN       "4c1f6a3e8b2d4b0f9a7e51c2d3b4a514"
#define PT_MESSAGE_UNHIDDEN     "4c1f6a3e8b2d4b0f9a7e51c2d3b4a515"
#define PT_MESSAGE_INSECURE     "4c1f6a3e8b2d4b0f9a7e51c2d3b4a516"
#define PT_MESSAGE_REBOOTED     "4c1f6a3e8b2d4b0f9a7e51c2d3b4a517"
#define PT_MESSAGE_OWNER_GONE   "4c1f6a3e8b2d4b0f9a7e51c2d3b4a518"
#define PT_MESSAGE_VFS_SET      "4c1f6a3e8b2d4b0f9a7e51c2d3b4a519"
