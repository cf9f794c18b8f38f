/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guest-info.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"

void guest_info_free(GuestInfo *g) {
        free(g->name);
        free(g->state);
        free(g->owner);
        pt_strv_free(g->devices);
        for (size_t i = 0; i < g->n_items; i++) {
                free(g->items[i].address);
                free(g->items[i].options);
                free(g->items[i].problem);
                free(g->items[i].driver);
                free(g->items[i].reset_policy);
                free(g->items[i].state);
        }
        free(g->items);
        free(g->numa_nodes);
        *g = (GuestInfo) {};
}

int guest_info_read(sd_bus *bus, const char *path, GuestInfo *g, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;
        *g = (GuestInfo) {};
        if ((r = sd_bus_get_property_string(bus, PT_BUS_NAME, path, PT_GUEST_INTERFACE, "Name", error, &g->name)) < 0 ||
            (r = sd_bus_get_property_string(bus, PT_BUS_NAME, path, PT_GUEST_INTERFACE, "State", error, &g->state)) < 0 ||
            (r = sd_bus_get_property_string(bus, PT_BUS_NAME, path, PT_GUEST_INTERFACE, "Owner", error, &g->owner)) < 0 ||
            (r = sd_bus_get_property_strv(bus, PT_BUS_NAME, path, PT_GUEST_INTERFACE, "Devices", error, &g->devices)) < 0)
                return r;
        r = sd_bus_get_property(bus, PT_BUS_NAME, path, PT_GUEST_INTERFACE, "Assignments", error, &reply, "a(sbbisssss)");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(sbbisssss)");
        if (r < 0)
                return r;
        for (;;) {
                const char *address, *options, *problem, *driver, *reset_policy, *state;
                int managed, permissive, vslot;
                r = sd_bus_message_read(reply, "(sbbisssss)", &address, &managed, &permissive, &vslot, &options,
                                        &problem, &driver, &reset_policy, &state);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                void *grown = realloc(g->items, (g->n_items + 1) * sizeof(*g->items));
                if (!grown)
                        return -ENOMEM;
                g->items = grown;
                g->items[g->n_items].address = strdup(address);
                g->items[g->n_items].options = strdup(options);
                g->items[g->n_items].problem = strdup(problem);
                g->items[g->n_items].driver = strdup(driver);
                g->items[g->n_items].reset_policy = strdup(reset_policy);
                g->items[g->n_items].state = strdup(state);
                g->items[g->n_items].managed = managed;
                g->items[g->n_items].permissive = permissive;
                g->items[g->n_items].vslot = vslot;
                g->n_items++;
        }
        sd_bus_message_unref(reply);
        reply = NULL;
        r = sd_bus_get_property(bus, PT_BUS_NAME, path, PT_GUEST_INTERFACE, "NumaNodes", error, &reply, "ai");
        if (r < 0)
                return r;
        const void *nodes;
        size_t size;
        r = sd_bus_message_read_array(reply, 'i', &nodes, &size);
        if (r < 0)
                return r;
        if (size > 0) {
                g->numa_nodes = malloc(size);
                if (!g->numa_nodes)
                        return -ENOMEM;
                memcpy(g->numa_nodes, nodes, size);
        }
        g->n_numa_nodes = size / sizeof(int32_t);
        return 0;
}


int guest_info_get(sd_bus *bus, const char *name, GuestInfo *g, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int r;

        *g = (GuestInfo) {};
        r = sd_bus_call_method(bus, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "GetGuest", error, &reply, "s",
                               name);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0)
                r = guest_info_read(bus, path, g, error);
        return r;
}
