/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-guest.h"
#include "planning.h"
#include "bus-error.h"
#include "log.h"
#include "process.h"
#include "pt-util.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"

static char *name_from_path(const char *path) {
        char *name = NULL;
        if (sd_bus_path_decode(path, PT_GUEST_PATH_PREFIX, &name) <= 0)
                return NULL;
        return name;
}

static int property_get_name(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *name = name_from_path(path);
        return sd_bus_message_append(reply, "s", strempty(name));
}

static int property_get_devices(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        Model *m = b->model;
        _cleanup_free_ char *name = name_from_path(path);
        _cleanup_strv_free_ char **devices = name ? assignments_devices_of(&m->assignments, name) : NULL;
        return sd_bus_message_append_strv(reply, devices);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        _cleanup_free_ char *name = name_from_path(path);
        return sd_bus_message_append(reply, "s", name ? ops_guest_state(b->ops, name) : PT_GUEST_STOPPED);
}

static int property_get_assignments(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        Model *m = b->model;
        _cleanup_free_ char *name = name_from_path(path);
        int r = sd_bus_message_open_container(reply, 'a', "(sbbisssss)");
        if (r < 0)
                return r;
        for (size_t i = 0; name && i < m->assignments.n; i++) {
                const Assignment *a = &m->assignments.items[i];
                if (!streq(a->stored.guest, name))
                        continue;
                const Device *d = inventory_find_bdf(&m->inventory, a->stored.address);
                r = sd_bus_message_append(reply, "(sbbisssss)", a->stored.address, (int) a->stored.managed,
                                          (int) a->stored.permissive, a->stored.vslot, strempty(a->stored.options),
                                          strempty(a->problem),
                                          isempty(a->stored.driver) ? host_stub_driver(m->host) : a->stored.driver,
                                          a->stored.reset_policy, d ? model_device_state(m, d) : PT_STATE_MISSING);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_get_numa_nodes(sd_bus *bus, const char *path, const char *interface, const char *property,
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        _cleanup_free_ char *name = name_from_path(path);
        _cleanup_free_ int32_t *nodes = NULL;
        size_t n = 0;
        int r = name ? assignments_numa_nodes(&b->model->assignments, &b->model->inventory, name, &nodes, &n) : 0;
        if (r < 0)
                return r;
        return sd_bus_message_append_array(reply, 'i', nodes, n * sizeof(int32_t));
}

/* "pid 1234 (qemu-system-x86), alive" or "... ended"; "" without a lease. */
static int property_get_owner(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        _cleanup_free_ char *name = name_from_path(path), *comm = NULL, *text = NULL;
        const StoredLease *lease = name ? records_find_lease(&b->model->records, name) : NULL;
        if (!lease)
                return sd_bus_message_append(reply, "s", "");
        if (lease->domain[0]) {
                if (asprintf(&text, "Xen domain %s, %s", lease->domain,
                             pt_strv_contains(b->model->records.owners_gone, name) ? "ended" : "alive") < 0)
                        return -ENOMEM;
                return sd_bus_message_append(reply, "s", text);
        }
        bool gone = pt_strv_contains(b->model->records.owners_gone, name) ||
                    process_comm(b->model->proc_root, (pid_t) lease->pid, &comm) < 0;
        if (asprintf(&text, "pid %u (%s), %s", lease->pid, comm ? comm : "?", gone ? "ended" : "alive") < 0)
                return -ENOMEM;
        return sd_bus_message_append(reply, "s", text);
}

static const sd_bus_vtable guest_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_get_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Devices", "as", property_get_devices, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Owner", "s", property_get_owner, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("Assignments", "a(sbbisssss)", property_get_assignments, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NumaNodes", "ai", property_get_numa_nodes, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END
};

static int guest_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                             sd_bus_error *error) {
        Bus *b = userdata;
        Model *m = b->model;
        _cleanup_free_ char *name = name_from_path(path);
        if (!name || !assignments_has_guest(&m->assignments, name))
                return 0;
        *found = b;
        return 1;
}

int bus_guest_paths(Bus *b, char ***ret) {
        _cleanup_strv_free_ char **names = assignments_guests(&b->model->assignments), **paths = calloc(1, sizeof(char *));
        if (!names || !paths)
                return -ENOMEM;
        for (char **n = names; *n; n++) {
                char *p = NULL;
                if (guest_object_path(*n, &p) < 0 || pt_strv_push(&paths, p) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(paths);
        return 0;
}

static int guest_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        int r = bus_guest_paths(userdata, nodes);
        return r < 0 ? r : 1;
}

int bus_guest_register(Bus *b) {
        int r = sd_bus_add_fallback_vtable(b->bus, NULL, PT_GUEST_PATH_PREFIX, PT_GUEST_INTERFACE, guest_vtable,
                                           guest_object_find, b);
        if (r < 0)
                return log_error_errno(r, "Failed to register guest objects: %m");
        r = sd_bus_add_node_enumerator(b->bus, NULL, PT_GUEST_PATH_PREFIX, guest_node_enumerator, b);
        if (r < 0)
                return log_error_errno(r, "Failed to register the guest enumerator: %m");
        return 0;
}

void bus_guest_emit_added(Bus *b, const char *name) {
        _cleanup_free_ char *path = NULL;
        if (!b->bus || guest_object_path(name, &path) < 0)
                return;
        (void) sd_bus_emit_object_added(b->bus, path);
        (void) sd_bus_emit_signal(b->bus, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "GuestAdded", "os", path, name);
}

/* Must run while the guest still has devices: InterfacesRemoved asks what it is. */
void bus_guest_emit_removed(Bus *b, const char *name) {
        _cleanup_free_ char *path = NULL;
        if (!b->bus || guest_object_path(name, &path) < 0)
                return;
        (void) sd_bus_emit_object_removed(b->bus, path);
        (void) sd_bus_emit_signal(b->bus, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "GuestRemoved", "os", path, name);
}

void bus_guest_emit_changed(Bus *b, const char *name) {
        _cleanup_free_ char *path = NULL;
        if (!b->bus || guest_object_path(name, &path) < 0)
                return;
        (void) sd_bus_emit_properties_changed(b->bus, path, PT_GUEST_INTERFACE, "Devices", "Assignments", "State",
                                              "NumaNodes", NULL);
}

int bus_read_guest(Bus *b, sd_bus_message *msg, const char **ret, sd_bus_error *error) {
        PtError e = {};
        int r = sd_bus_message_read(msg, "s", ret);
        if (r < 0)
                return r;
        r = plan_check_guest_known(b->model, *ret, &e);
        return r < 0 ? bus_error_set(error, r, &e) : 0;
}
