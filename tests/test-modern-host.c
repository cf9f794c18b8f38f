/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The modern host on the fake kernel: NUMA placement of devices and guests, and the VFIO device nodes (group
 * and iommufd cdev) a VMM opens. */
#include <string.h>

#include "harness.h"

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

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add("/modern/numa", HarnessFixture, "modern.topo", harness_fixture_setup, test_numa,
                   harness_fixture_teardown);
        g_test_add("/modern/vfio-nodes", HarnessFixture, "modern.topo", harness_fixture_setup, test_vfio_nodes,
                   harness_fixture_teardown);
        return harness_run();
}
