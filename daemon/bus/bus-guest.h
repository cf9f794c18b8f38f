/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "bus.h"

/* The Guest objects, one per guest that has assignments. */
int bus_guest_register(Bus *b);
int bus_guest_paths(Bus *b, char ***ret);
void bus_guest_emit_added(Bus *b, const char *name);
/* While the guest still has devices: InterfacesRemoved asks what it is. */
void bus_guest_emit_removed(Bus *b, const char *name);
void bus_guest_emit_changed(Bus *b, const char *name);
/* Reads a method's guest argument ("s") and checks passthrud knows that guest, or sets the named error. */
int bus_read_guest(Bus *b, sd_bus_message *msg, const char **ret, sd_bus_error *error);
