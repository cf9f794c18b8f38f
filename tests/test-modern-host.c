/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The modern host on the fake kernel: NUMA placement of devices and guests, and the VFIO device nodes (group
 * and iommufd cdev) a VMM opens, and SR-IOV VF counts set through passthrud. */
#include <string.h>

#include "harness.h"
#include "passthru/pt-macros.h"

static JsonObject *shown(Harness *h, const char *address, JsonNode **keep) {
        *keep = harness_ptctl_json(h, "show", address, "--json", NULL);
        return json_node_get_object(*keep);
}

/* numa_node as the kernel says, in show, list --json and the list's NUMA column; -1 is null and "-". */
static void test_numa(HarnessFixture *f, gconstpointer data) {
        g_autoptr(JsonNode) n0 = NULL, n1 = NULL;
        g_assert_cmpint(json_object_get_int_member(shown(f->h, "01:00.0", &n0), "numa_node"), ==, 0);
        g_assert_cmpint(json_object_get_int_member(shown(f->h, "82:00.0", &n1), "numa_node"), ==, 1);
        g_autoptr(JsonNode) all = harness_ptctl_json(f->h, "list", "--json", NULL);
        JsonObject *o = json_array_find_address(json_node_get_array(all), "0000:81:00.0");
        g_assert_cmpint(json_object_get_int_member(o, "numa_node"), ==, 1);

        g_autofree char *out = NULL;
        g_assert_cmpint(harness_ptctl(f->h, &out, NULL, "list", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "NUMA"));
        g_autofree char *line = g_strdup(strstr(out, "0000:82:00.0"));
        g_assert_nonnull(line);
        *strchrnul(line, '\n') = 0;
        g_assert_nonnull(strstr(line, "  1  "));

        /* A guest on one node is quiet; one whose devices span both nodes is warned about. */
        harness_ptctl_ok(f->h, "assign", "g1", "01:00.0", "02:00.0", NULL);
        g_autofree char *quiet = NULL;
        g_assert_cmpint(harness_ptctl(f->h, &quiet, NULL, "guest", "g1", NULL), ==, 0);
        g_assert_null(strstr(quiet, "NUMA"));
        harness_ptctl_ok(f->h, "assign", "g1", "82:00.0", NULL);
        g_autofree char *warned = NULL;
        g_assert_cmpint(harness_ptctl(f->h, &warned, NULL, "guest", "g1", NULL), ==, 0);
        g_assert_nonnull(strstr(warned, "WARNING: the devices are on NUMA nodes 0, 1"));
        g_autoptr(JsonNode) g = harness_ptctl_json(f->h, "guest", "g1", "--json", NULL);
        JsonArray *nodes = json_object_get_array_member(json_node_get_object(g), "numa_nodes");
        g_assert_cmpuint(json_array_get_length(nodes), ==, 2);
        g_assert_cmpint(json_array_get_int_element(nodes, 1), ==, 1);
        harness_ptctl_ok(f->h, "unassign", "g1", NULL);
}

/* On vfio-pci the device has its group's node and, with VFIO cdev, its own; ptctl start --json gives both, and
 * they go when the device goes back to its driver. doctor finds /dev/iommu for them. */
static void test_vfio_nodes(HarnessFixture *f, gconstpointer data) {
        g_autoptr(JsonNode) before = NULL;
        JsonObject *o = shown(f->h, "02:00.0", &before);
        g_assert_true(json_object_get_null_member(o, "vfio_group_node"));
        g_assert_true(json_object_get_null_member(o, "vfio_device_node"));

        harness_ptctl_ok(f->h, "assign", "g2", "02:00.0", NULL);
        g_autoptr(JsonNode) started = harness_ptctl_json(f->h, "start", "g2", "--json", NULL);
        JsonObject *s = json_array_get_object_element(json_node_get_array(started), 0);
        g_assert_cmpstr(json_object_get_string_member(s, "vfio_group_node"), ==, "/dev/vfio/4");
        const char *node = json_object_get_string_member(s, "vfio_device_node");
        g_assert_true(g_str_has_prefix(node, "/dev/vfio/devices/vfio"));
        g_autoptr(JsonNode) during = NULL;
        o = shown(f->h, "02:00.0", &during);
        g_assert_cmpstr(json_object_get_string_member(o, "vfio_device_node"), ==, node);

        g_autofree char *doctor = NULL;
        harness_ptctl(f->h, &doctor, NULL, "doctor", NULL);
        g_assert_nonnull(strstr(doctor, "iommufd"));
        g_assert_nonnull(strstr(doctor, "/dev/iommu is there"));

        harness_ptctl_ok(f->h, "stop", "g2", NULL);
        g_autoptr(JsonNode) after = NULL;
        o = shown(f->h, "02:00.0", &after);
        g_assert_true(json_object_get_null_member(o, "vfio_group_node"));
        g_assert_true(json_object_get_null_member(o, "vfio_device_node"));
        harness_ptctl_ok(f->h, "unassign", "g2", NULL);
}

static guint vf_count(Harness *h, const char *pf, JsonArray **ret_vfs, JsonNode **keep) {
        *keep = harness_ptctl_json(h, "vfs", pf, "--json", NULL);
        JsonObject *o = json_node_get_object(*keep);
        if (ret_vfs)
                *ret_vfs = json_object_get_array_member(o, "vfs");
        return (guint) json_object_get_int_member(o, "num_vfs");
}

/* Waits (4 s at most) until the guest's first device is missing, or present with no problem. */
static gboolean wait_first_missing(Harness *h, const char *guest, gboolean missing) {
        for (int i = 0; i < 200; i++) {
                g_autoptr(JsonNode) g = harness_ptctl_json(h, "guest", guest, "--json", NULL);
                JsonObject *item = json_array_get_object_element(
                        json_object_get_array_member(json_node_get_object(g), "devices"), 0);
                gboolean is_missing = streq(json_object_get_string_member(item, "state"), "missing");
                if (missing ? is_missing : !is_missing && json_object_get_null_member(item, "problem"))
                        return TRUE;
                g_usleep(20000);
        }
        return FALSE;
}

/* ptctl vfs / SetVirtualFunctions: VFs appear with the PF's NUMA node; a count the PF cannot have, a device
 * without SR-IOV and a VF are refused by name; a change that would take a VF in use is refused naming it and
 * changes nothing; the count is set again when passthrud starts after the VFs went (a reboot, a driver reload),
 * and 0 forgets it. */
static void test_vfs(void) {
        Harness *h = harness_new("modern.topo");
        harness_start_daemon(h, NULL);
        harness_ptctl_ok(h, "vfs", "81:00.0", "3", NULL);
        g_autoptr(JsonNode) k1 = NULL;
        JsonArray *vfs = NULL;
        g_assert_cmpuint(vf_count(h, "81:00.0", &vfs, &k1), ==, 3);
        g_assert_cmpuint(json_array_get_length(vfs), ==, 3);
        g_assert_cmpstr(json_array_get_string_element(vfs, 1), ==, "0000:81:00.2");
        g_autoptr(JsonNode) vf = harness_ptctl_json(h, "show", "81:00.2", "--json", NULL);
        g_assert_cmpstr(json_object_get_string_member(json_node_get_object(vf), "physical_function"), ==,
                        "0000:81:00.0");
        g_assert_cmpint(json_object_get_int_member(json_node_get_object(vf), "numa_node"), ==, 1);
        g_assert_true(harness_daemon_log_contains(h, "Set 3 VFs on 0000:81:00.0"));

        harness_ptctl_refused(h, "supports at most 8 VFs (sriov_totalvfs), not 9", "vfs", "81:00.0", "9", NULL);
        harness_ptctl_refused(h, "the driver of 0000:82:00.0 does not create VFs", "vfs", "82:00.0", "2", NULL);
        harness_ptctl_refused(h, "0000:01:00.0 has no SR-IOV capability", "vfs", "01:00.0", "2", NULL);
        harness_ptctl_refused(h, "is itself a VF (of 0000:81:00.0)", "vfs", "81:00.1", "1", NULL);
        harness_ptctl_refused(h, "83:00.0", "vfs", "83:00.0", "1", NULL);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "vfs", "81:00.0", "two", NULL), ==, 2);

        harness_ptctl_ok(h, "assign", "g3", "81:00.2", NULL);
        harness_ptctl_refused(h, "0000:81:00.2 (assigned, guest g3)", "vfs", "81:00.0", "0", NULL);
        harness_ptctl_refused(h, "would remove VFs in use", "vfs", "81:00.0", "2", NULL);
        g_autoptr(JsonNode) k2 = NULL;
        g_assert_cmpuint(vf_count(h, "81:00.0", NULL, &k2), ==, 3);
        harness_ptctl_ok(h, "unassign", "g3", NULL);
        harness_ptctl_ok(h, "vfs", "81:00.0", "2", NULL);
        g_autoptr(JsonNode) k3 = NULL;
        g_assert_cmpuint(vf_count(h, "81:00.0", NULL, &k3), ==, 2);

        /* The VFs go while passthrud is down (a PF driver reload); its next start makes them again. */
        harness_stop_daemon(h);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:81:00.0/sriov_numvfs", "0"), ==, 0);
        harness_start_daemon(h, NULL);
        g_autoptr(JsonNode) k4 = NULL;
        g_assert_cmpuint(vf_count(h, "81:00.0", NULL, &k4), ==, 2);
        g_assert_true(harness_daemon_log_contains(h, "Set 2 VFs on 0000:81:00.0, as recorded"));
        g_autoptr(JsonNode) listed = harness_ptctl_json(h, "list", "--json", NULL);
        g_assert_nonnull(json_array_find_address(json_node_get_array(listed), "0000:81:00.2"));

        /* The PF's driver reloaded while passthrud runs: the VFs go with it and come back when it binds again. */
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/igb/unbind", "0000:81:00.0"), ==, 0);
        g_autofree char *gone = harness_read(h, "bus/pci/devices/0000:81:00.0/sriov_numvfs");
        g_assert_cmpstr(g_strstrip(gone), ==, "0");
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/igb/bind", "0000:81:00.0"), ==, 0);
        /* passthrud makes them on the bind's uevent, as its own job: wait for its view. */
        guint seen = 0;
        for (int i = 0; i < 200 && seen != 2; i++) {
                g_autoptr(JsonNode) k6 = NULL;
                if ((seen = vf_count(h, "81:00.0", NULL, &k6)) != 2)
                        g_usleep(20000);
        }
        g_assert_cmpuint(seen, ==, 2);
        g_autofree char *made = harness_read(h, "bus/pci/devices/0000:81:00.0/sriov_numvfs");
        g_assert_cmpstr(g_strstrip(made), ==, "2");
        g_assert_true(harness_daemon_log_contains(h, "has driver igb and no VFs; making its 2 recorded VFs"));

        /* An assigned VF that goes with its PF's driver is missing until it comes back, the same hardware. */
        harness_ptctl_ok(h, "assign", "g11", "81:00.2", NULL);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/igb/unbind", "0000:81:00.0"), ==, 0);
        g_assert_true(wait_first_missing(h, "g11", TRUE));
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/igb/bind", "0000:81:00.0"), ==, 0);
        g_assert_true(wait_first_missing(h, "g11", FALSE));
        harness_ptctl_ok(h, "unassign", "g11", NULL);

        /* 0 removes them and the record: the next start leaves the PF without VFs. */
        harness_ptctl_ok(h, "vfs", "81:00.0", "0", NULL);
        harness_stop_daemon(h);
        harness_start_daemon(h, NULL);
        g_autoptr(JsonNode) k5 = NULL;
        g_assert_cmpuint(vf_count(h, "81:00.0", NULL, &k5), ==, 0);
        harness_stop_daemon(h);
        harness_free(h);
}

/* The addresses a guest's assignments record. */
static char **guest_devices(Harness *h, const char *guest) {
        g_autoptr(JsonNode) g = harness_ptctl_json(h, "guest", guest, "--json", NULL);
        JsonArray *devices = json_object_get_array_member(json_node_get_object(g), "devices");
        char **l = g_new0(char *, json_array_get_length(devices) + 1);
        for (guint i = 0; i < json_array_get_length(devices); i++)
                l[i] = g_strdup(json_object_get_string_member(json_array_get_object_element(devices, i), "address"));
        return l;
}

/* assign --vf-of: free VFs picked (never one in use, never one twice), recorded by address like any assignment,
 * those on the asked NUMA node first; too few free is NoFreeVf, naming how many are. */
static void test_vf_pool(void) {
        Harness *h = harness_new("modern.topo");
        harness_start_daemon(h, NULL);
        harness_ptctl_ok(h, "vfs", "81:00.0", "4", NULL);
        harness_ptctl_ok(h, "vfs", "03:00.0", "2", NULL);
        harness_ptctl_ok(h, "hide", "81:00.1", NULL);

        harness_ptctl_ok(h, "assign", "g1", "--vf-of", "81:00.0", "--count", "2", NULL);
        g_auto(GStrv) g1 = guest_devices(h, "g1");
        g_assert_cmpuint(g_strv_length(g1), ==, 2);
        g_assert_cmpstr(g1[0], ==, "0000:81:00.2");
        g_assert_cmpstr(g1[1], ==, "0000:81:00.3");
        harness_ptctl_ok(h, "assign", "g2", "--vf-of", "81:00.0", NULL);
        g_auto(GStrv) g2 = guest_devices(h, "g2");
        g_assert_cmpuint(g_strv_length(g2), ==, 1);
        g_assert_cmpstr(g2[0], ==, "0000:81:00.4");
        harness_ptctl_refused(h, "1 VF wanted from 81:00.0, but 0 of its 4 VFs are free", "assign", "g3", "--vf-of",
                              "81:00.0", NULL);
        harness_ptctl_refused(h, "is not an SR-IOV PF", "assign", "g3", "--vf-of", "01:00.0", NULL);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "g3", "02:00.0", "--vf-of", "81:00.0", NULL), ==, 2);

        /* Picks at the same time: each its own VF. */
        harness_ptctl_ok(h, "unassign", "g2", NULL);
        harness_ptctl_ok(h, "unassign", "g1", NULL);
        g_autofree char *both = g_strdup_printf(
                "export DBUS_SYSTEM_BUS_ADDRESS='%s'; p='%s'; ($p assign c1 --vf-of 81:00.0 & $p assign c2 --vf-of 81:00.0 "
                "& $p assign c3 --vf-of 81:00.0 & wait) > /dev/null", h->bus_address, g_getenv("PT_PTCTL"));
        g_assert_cmpint(system(both), ==, 0);
        g_auto(GStrv) c1 = guest_devices(h, "c1");
        g_auto(GStrv) c2 = guest_devices(h, "c2");
        g_auto(GStrv) c3 = guest_devices(h, "c3");
        g_assert_cmpstr(c1[0], !=, c2[0]);
        g_assert_cmpstr(c1[0], !=, c3[0]);
        g_assert_cmpstr(c2[0], !=, c3[0]);
        harness_ptctl_ok(h, "unassign", "c1", NULL);
        harness_ptctl_ok(h, "unassign", "c2", NULL);
        harness_ptctl_ok(h, "unassign", "c3", NULL);
        harness_ptctl_ok(h, "assign", "g1", "--vf-of", "81:00.0", "--count", "2", NULL);
        harness_ptctl_ok(h, "assign", "g2", "--vf-of", "81:00.0", NULL);

        /* With two PFs, the guest's node first even when its PF is named second. */
        harness_ptctl_ok(h, "assign", "g4", "--vf-of", "03:00.0,81:00.0", "--numa-node", "1", NULL);
        g_auto(GStrv) g4 = guest_devices(h, "g4");
        g_assert_cmpstr(g4[0], ==, "0000:03:00.1"); /* node 1's VFs are all taken: node 0's then */
        harness_ptctl_ok(h, "unassign", "g2", NULL);
        harness_ptctl_ok(h, "assign", "g5", "--vf-of", "03:00.0,81:00.0", "--numa-node", "1", NULL);
        g_auto(GStrv) g5 = guest_devices(h, "g5");
        g_assert_cmpstr(g5[0], ==, "0000:81:00.4");

        /* The PF of VFs in use is host-critical: for another guest, for the hide pool, but not for the one guest
         * that has every VF in use. */
        harness_ptctl_refused(h, "it is the PF of 0000:81:00.1, which is hidden", "assign", "g9", "81:00.0", NULL);
        harness_ptctl_refused(h, "is host-critical", "hide", "81:00.0", NULL);
        harness_ptctl_ok(h, "unhide", "81:00.1", NULL);
        harness_ptctl_refused(h, "which is assigned to guest g1", "assign", "g9", "81:00.0", NULL);
        harness_ptctl_ok(h, "unassign", "g1", NULL);
        harness_ptctl_ok(h, "unassign", "g5", NULL);
        harness_ptctl_ok(h, "assign", "g10", "--vf-of", "81:00.0", "--count", "4", NULL);
        harness_ptctl_ok(h, "assign", "g10", "81:00.0", NULL);
        harness_stop_daemon(h);
        harness_free(h);
}

/* On a KVM host the kernel's VFIO variant driver for a device is its stub (the most specific alias of two), loaded
 * on demand, recorded and shown; --driver vfio-pci overrides it. */
static void test_variant_driver(HarnessFixture *f, gconstpointer data) {
        harness_ptctl_ok(f->h, "assign", "g6", "04:00.0", NULL);
        g_autoptr(JsonNode) g = harness_ptctl_json(f->h, "guest", "g6", "--json", NULL);
        JsonObject *item = json_array_get_object_element(
                json_object_get_array_member(json_node_get_object(g), "devices"), 0);
        g_assert_cmpstr(json_object_get_string_member(item, "driver"), ==, "mlx5_vfio_pci");
        g_assert_true(harness_daemon_log_contains(f->h, "stub mlx5_vfio_pci: the kernel's VFIO variant driver"));
        g_autofree char *shown_text = NULL;
        g_assert_cmpint(harness_ptctl(f->h, &shown_text, NULL, "show", "04:00.0", NULL), ==, 0);
        g_assert_nonnull(strstr(shown_text, "Guest's stub:    mlx5_vfio_pci (at the guest's start)"));

        g_autoptr(JsonNode) started = harness_ptctl_json(f->h, "start", "g6", "--json", NULL);
        JsonObject *s = json_array_get_object_element(json_node_get_array(started), 0);
        g_assert_cmpstr(json_object_get_string_member(s, "driver"), ==, "mlx5_vfio_pci");
        g_assert_cmpstr(json_object_get_string_member(s, "vfio_group_node"), ==, "/dev/vfio/12");
        g_assert_true(g_str_has_prefix(json_object_get_string_member(s, "vfio_device_node"), "/dev/vfio/devices/"));
        harness_assert_driver(f->h, "0000:04:00.0", "mlx5_vfio_pci", "mlx5_vfio_pci");
        g_autoptr(JsonNode) shown = harness_ptctl_json(f->h, "show", "04:00.0", "--json", NULL);
        g_assert_cmpstr(json_object_get_string_member(json_node_get_object(shown), "state"), ==, "running");
        harness_ptctl_ok(f->h, "stop", "g6", NULL);
        harness_assert_driver(f->h, "0000:04:00.0", "mlx5_core", NULL);
        harness_ptctl_ok(f->h, "unassign", "g6", NULL);

        /* The hide pool's stub too. */
        harness_ptctl_ok(f->h, "hide", "04:00.0", NULL);
        harness_assert_driver(f->h, "0000:04:00.0", "mlx5_vfio_pci", "mlx5_vfio_pci");
        g_autoptr(JsonNode) hidden = harness_ptctl_json(f->h, "hidden", "--json", NULL);
        g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(json_node_get_array(hidden), 0),
                                                      "driver"), ==, "mlx5_vfio_pci");
        harness_ptctl_ok(f->h, "unhide", "04:00.0", NULL);
        harness_assert_driver(f->h, "0000:04:00.0", "mlx5_core", NULL);

        harness_ptctl_ok(f->h, "assign", "g7", "04:00.0", "--driver", "vfio-pci", NULL);
        g_autoptr(JsonNode) g7 = harness_ptctl_json(f->h, "guest", "g7", "--json", NULL);
        item = json_array_get_object_element(json_object_get_array_member(json_node_get_object(g7), "devices"), 0);
        g_assert_cmpstr(json_object_get_string_member(item, "driver"), ==, "vfio-pci");
        /* An NVMe controller has no variant driver: the host's vfio-pci. */
        harness_ptctl_ok(f->h, "assign", "g7", "01:00.0", NULL);
        g_autoptr(JsonNode) g7b = harness_ptctl_json(f->h, "guest", "g7", "--json", NULL);
        item = json_array_get_object_element(json_object_get_array_member(json_node_get_object(g7b), "devices"), 0);
        g_assert_cmpstr(json_object_get_string_member(item, "address"), ==, "0000:01:00.0");
        g_assert_cmpstr(json_object_get_string_member(item, "driver"), ==, "vfio-pci");
        harness_ptctl_ok(f->h, "unassign", "g7", NULL);
}

static gboolean has_step(JsonArray *steps, const char *kind, const char *device, const char *detail_part) {
        for (guint i = 0; i < json_array_get_length(steps); i++) {
                JsonObject *o = json_array_get_object_element(steps, i);
                if (streq(json_object_get_string_member(o, "kind"), kind) &&
                    (!device || g_strcmp0(json_object_get_string_member(o, "device"), device) == 0) &&
                    strstr(json_object_get_string_member(o, "detail"), detail_part))
                        return TRUE;
        }
        return FALSE;
}

/* --dry-run says what the call would do and changes nothing; the real call then does that; a refusal is the
 * call's own. */
static void test_dry_run(HarnessFixture *f, gconstpointer data) {
        g_autoptr(JsonNode) a = harness_ptctl_json(f->h, "--json", "assign", "g8", "02:00.0", "--dry-run", NULL);
        g_assert_true(has_step(json_node_get_array(a), "assign", "0000:02:00.0", "stub vfio-pci"));
        harness_ptctl_refused(f->h, "no guest g8", "guest", "g8", NULL);

        harness_ptctl_ok(f->h, "assign", "g8", "02:00.0", NULL);
        g_autoptr(JsonNode) plan = harness_ptctl_json(f->h, "start", "g8", "--dry-run", "--json", NULL);
        JsonArray *steps = json_node_get_array(plan);
        g_assert_true(has_step(steps, "detach", "0000:02:00.0", "from nvme"));
        g_assert_true(has_step(steps, "bind", "0000:02:00.0", "vfio-pci"));
        g_assert_true(has_step(steps, "reset", "0000:02:00.0", "flr"));
        harness_assert_driver(f->h, "0000:02:00.0", "nvme", NULL);
        g_autoptr(JsonNode) started = harness_ptctl_json(f->h, "start", "g8", "--json", NULL);
        JsonObject *s = json_array_get_object_element(json_node_get_array(started), 0);
        g_assert_cmpstr(json_object_get_string_member(s, "driver"), ==, "vfio-pci");
        g_assert_true(harness_log_contains(f->h, "reset 0000:02:00.0"));
        harness_ptctl_ok(f->h, "stop", "g8", NULL);

        /* The host's losses: the NIC's interface; the VFs a count change creates or removes. */
        g_autoptr(JsonNode) hide = harness_ptctl_json(f->h, "hide", "04:00.0", "--dry-run", "--json", NULL);
        g_assert_true(has_step(json_node_get_array(hide), "host-loses", "0000:04:00.0", "network interface enp4s0"));
        g_assert_true(has_step(json_node_get_array(hide), "bind", "0000:04:00.0", "mlx5_vfio_pci"));
        harness_assert_driver(f->h, "0000:04:00.0", "mlx5_core", NULL);
        g_autoptr(JsonNode) vfs = harness_ptctl_json(f->h, "vfs", "81:00.0", "3", "--dry-run", "--json", NULL);
        g_assert_true(has_step(json_node_get_array(vfs), "vfs", "0000:81:00.0", "sriov_numvfs 0 -> 3"));
        g_autofree char *numvfs = harness_read(f->h, "bus/pci/devices/0000:81:00.0/sriov_numvfs");
        g_assert_cmpstr(g_strstrip(numvfs), ==, "0");

        /* Refused as the call itself is. */
        g_autofree char *real_err = NULL, *dry_err = NULL;
        g_assert_cmpint(harness_ptctl(f->h, NULL, &real_err, "start", "g9", NULL), ==, 1);
        g_assert_cmpint(harness_ptctl(f->h, NULL, &dry_err, "start", "g9", "--dry-run", NULL), ==, 1);
        g_assert_nonnull(strstr(real_err, "no guest g9"));
        g_assert_nonnull(strstr(dry_err, "no guest g9"));
        harness_ptctl_refused(f->h, "supports at most 8 VFs", "vfs", "81:00.0", "9", "--dry-run", NULL);
        harness_ptctl_ok(f->h, "unassign", "g8", NULL);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add("/modern/numa", HarnessFixture, "modern.topo", harness_fixture_setup, test_numa,
                   harness_fixture_teardown);
        g_test_add("/modern/vfio-nodes", HarnessFixture, "modern.topo", harness_fixture_setup, test_vfio_nodes,
                   harness_fixture_teardown);
        g_test_add("/modern/variant-driver", HarnessFixture, "modern.topo", harness_fixture_setup,
                   test_variant_driver, harness_fixture_teardown);
        g_test_add("/modern/dry-run", HarnessFixture, "modern.topo", harness_fixture_setup, test_dry_run,
                   harness_fixture_teardown);
        g_test_add_func("/modern/vfs", test_vfs);
        g_test_add_func("/modern/vf-pool", test_vf_pool);
        return harness_run();
}
