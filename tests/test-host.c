/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host as passthrud sees it (ptctl status, Xen dom0 and domU detection) and ptctl monitor. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

typedef HarnessFixture Fixture;

static void test_status(Fixture *f, gconstpointer data) {
        g_autoptr(JsonNode) n = harness_ptctl_json(f->h, "status", "--json", NULL);
        JsonObject *o = json_node_get_object(n);
        g_assert_cmpstr(json_object_get_string_member(o, "hypervisor"), ==, "none");
        g_assert_cmpstr(json_object_get_string_member(o, "stub_driver"), ==, "vfio-pci");
        g_assert_true(json_object_get_boolean_member(o, "iommu_groups"));
        g_assert_cmpint(json_object_get_int_member(o, "devices"), ==, 19);
        g_autofree char *out = NULL;
        g_assert_cmpint(harness_ptctl(f->h, &out, NULL, "status", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "Stub driver:  vfio-pci"));
}

/* A Xen dom0: hypervisor/type says xen, /proc/xen/capabilities says control_d. */
static void setup_xen(Fixture *f, gconstpointer proc_caps) {
        f->h = harness_new("xen.topo");
        g_autofree char *proc = g_build_filename(f->h->tmpdir, "proc", NULL);
        g_autofree char *xen = g_build_filename(proc, "xen", NULL);
        g_autofree char *caps = g_build_filename(xen, "capabilities", NULL);
        g_mkdir_with_parents(xen, 0755);
        if (proc_caps)
                g_assert_true(g_file_set_contents(caps, proc_caps, -1, NULL));
        const char *const args[] = { "--proc-root", proc, NULL };
        harness_start_daemon(f->h, args);
}

static void test_xen_dom0(Fixture *f, gconstpointer data) {
        g_autoptr(JsonNode) n = harness_ptctl_json(f->h, "status", "--json", NULL);
        JsonObject *o = json_node_get_object(n);
        g_assert_cmpstr(json_object_get_string_member(o, "hypervisor"), ==, "xen-dom0");
        g_assert_cmpstr(json_object_get_string_member(o, "stub_driver"), ==, "pciback");
        g_assert_false(json_object_get_boolean_member(o, "iommu_groups"));
        g_autofree char *out = NULL;
        g_assert_cmpint(harness_ptctl(f->h, &out, NULL, "status", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "none (Xen owns the IOMMU)"));

        /* Hidden by hand the xl way: the inventory shows it on pciback, a stub. */
        g_assert_cmpint(harness_write(f->h, "bus/pci/drivers/e1000e/unbind", "0000:01:00.0"), ==, 0);
        g_assert_cmpint(harness_write(f->h, "bus/pci/drivers/pciback/new_slot", "0000:01:00.0"), ==, 0);
        g_assert_cmpint(harness_write(f->h, "bus/pci/drivers/pciback/bind", "0000:01:00.0"), ==, 0);
        g_assert_true(harness_wait_property(f->h, "0000:01:00.0", "State", "claimed"));
        g_autoptr(JsonNode) d = harness_ptctl_json(f->h, "show", "01:00.0", "--json", NULL);
        g_assert_true(json_object_get_null_member(json_node_get_object(d), "iommu_group"));
        g_assert_cmpstr(json_object_get_string_member(json_node_get_object(d), "driver"), ==, "pciback");
}

static void test_xen_domu(Fixture *f, gconstpointer data) {
        g_autoptr(JsonNode) n = harness_ptctl_json(f->h, "status", "--json", NULL);
        g_assert_cmpstr(json_object_get_string_member(json_node_get_object(n), "hypervisor"), ==, "xen-domu");
        g_assert_cmpstr(json_object_get_string_member(json_node_get_object(n), "stub_driver"), ==, "vfio-pci");
}

static void test_monitor(Fixture *f, gconstpointer data) {
        g_autofree char *log = g_build_filename(f->h->tmpdir, "monitor.log", NULL);
        g_autofree char *cmd = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS='%s' exec '%s' monitor > '%s' 2>/dev/null",
                                               f->h->bus_address, g_getenv("PT_PTCTL"), log);
        char *argv[] = { "/bin/sh", "-c", cmd, NULL };
        GPid pid;
        g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, NULL));
        g_usleep(300000);
        g_assert_cmpint(harness_write(f->h, "bus/pci/drivers/e1000e/unbind", "0000:00:19.0"), ==, 0);
        harness_ctl(f->h, "add 0000:03:00.1 id=8086:153a class=020000 parent=0000:00:1c.2 pcie=endpoint group=31");
        g_assert_true(harness_wait_property(f->h, "0000:03:00.1", "Address", "0000:03:00.1"));
        harness_ctl(f->h, "unplug 0000:03:00.1");
        g_assert_true(harness_wait_device_gone(f->h, "0000:03:00.1"));
        harness_ptctl_ok(f->h, "assign", "g1", "02:00.0", NULL);
        harness_ptctl_ok(f->h, "start", "g1", NULL);
        harness_ptctl_ok(f->h, "stop", "g1", NULL);
        g_usleep(300000);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        g_autofree char *out = NULL;
        g_assert_true(g_file_get_contents(log, &out, NULL, NULL));
        g_test_message("ptctl monitor printed:\n%s", out);
        g_assert_nonnull(strstr(out, "Changed 0000:00:19.0 Driver=-\n"));
        g_assert_nonnull(strstr(out, "DeviceAdded 0000:03:00.1\n"));
        g_assert_nonnull(strstr(out, "DeviceRemoved 0000:03:00.1\n"));
        g_assert_nonnull(strstr(out, "GuestAdded g1\n"));
        g_assert_nonnull(strstr(out, "Assignments=(changed) State=starting NumaNodes=-\n"));
        g_assert_nonnull(strstr(out, " State=running"));
        g_assert_nonnull(strstr(out, "Changed 0000:02:00.0 Driver=vfio-pci"));
        g_assert_nonnull(strstr(out, "Assignments=(changed) State=stopping NumaNodes=-\n"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add("/host/status", Fixture, "standard.topo", harness_fixture_setup, test_status, harness_fixture_teardown);
        g_test_add("/host/monitor", Fixture, "standard.topo", harness_fixture_setup, test_monitor, harness_fixture_teardown);
        g_test_add("/host/xen/dom0", Fixture, "xen_cap_features\ncontrol_d\n", setup_xen, test_xen_dom0, harness_fixture_teardown);
        g_test_add("/host/xen/domu", Fixture, NULL, setup_xen, test_xen_domu, harness_fixture_teardown);
        return harness_run();
}
