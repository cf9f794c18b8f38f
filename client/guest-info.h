/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <systemd/sd-bus.h>

/* A guest as ptctl reads it from org.passthru1.Guest. */
typedef struct GuestInfo {
        char *name, *state, *owner;
        char **devices;
        struct {
                char *address, *options, *problem, *driver, *reset_policy, *state;
                int managed, permissive, vslot;
        } *items;
        size_t n_items;
        int32_t *numa_nodes;    /* ascending */
        size_t n_numa_nodes;
} GuestInfo;

int guest_info_read(sd_bus *bus, const char *path, GuestInfo *g, sd_bus_error *error);
/* By name, through Manager.GetGuest. */
int guest_info_get(sd_bus *bus, const char *name, GuestInfo *g, sd_bus_error *error);
void guest_info_free(GuestInfo *g);
