/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "bus.h"

/* The Device objects, one per PCI function, with every property read from the model. */
int bus_device_register(Bus *b);
/* One GetInventory entry; with placement, GetInventory2's (NumaNode and the VFIO nodes after the rest). */
int bus_device_append_inventory_entry(Bus *b, sd_bus_message *reply, const Device *d, bool placement);
void bus_device_emit_added(Bus *b, Device *d);
/* While the device can still be found: InterfacesRemoved lists its interfaces. */
void bus_device_emit_removed(Bus *b, Device *d);
void bus_device_emit_changed(Bus *b, Device *d, const char *const *properties);
/* Reads a method's device argument ("s", any address form) and finds the device, or sets the named error. */
int bus_read_device(Bus *b, sd_bus_message *msg, Device **ret, sd_bus_error *error);
