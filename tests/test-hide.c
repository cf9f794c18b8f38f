/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hide pool on the fake kernel: hide and unhide, an address hidden before its device appears, hiding that
 * survives a daemon restart, a host driver taking the device back, and a sysfs remove + rescan; boot-config;
 * loading a stub driver's module; and every refusal. */
#include <string.h>

#include "harness.h"

typedef HarnessFixture Fixture;

static JsonObject *hidden_entry(JsonNode *list, const char *address) {
        return json_array_find_address(json_node_get_array(list), address);
}

static void test_hide_unhide(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_autofree char *out = NULL;
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "hide", "00:19.0", NULL), ==, 0);
        g_assert_cmpstr(out, ==, "Hid 0000:00:19.0 from the host\n");
        harness_assert_driver(h, "0000:00:19.0", "vfio-pci", "vfio-pci");
        g_assert_true(harness_wait_property(h, "0000:00:19.0", "State", "hidden"));

        g_autoptr(JsonNode) list = harness_ptctl_json(h, "hidden", "--json", NULL);
        JsonObject *e = hidden_entry(list, "0000:00:19.0");
        g_assert_nonnull(e);
        g_assert_cmpstr(json_object_get_string_member(e, "driver"), ==, "vfio-pci");
        g_assert_cmpstr(json_object_get_string_member(e, "state"), ==, "hidden");
        g_assert_cmpstr(json_object_get_string_member(e, "current_driver"), ==, "vfio-pci");
        g_assert_cmpstr(json_object_get_string_member(e, "original_driver"), ==, "e1000e");

        harness_ptctl_refused(h, "0000:00:19.0 is already hidden (driver vfio-pci)", "hide", "0:19.0", NULL);
        harness_ptctl_refused(h, "is a bridge; bridges cannot be hidden", "hide", "00:1c.0", NULL);
        harness_ptctl_refused(h, "driver must be a stub driver", "hide", "00:1b.0", "--driver", "e1000e", NULL);
        harness_ptctl_refused(h, "slot", "hide", "00:1g.0", NULL);
        harness_ptctl_refused(h, "0000:00:1b.0 is not hidden", "unhide", "00:1b.0", NULL);
        g_autofree char *name = harness_manager_call_error(h, "Unhide", g_variant_new_parsed("('00:1b.0', @a{sv} {})"));
        g_assert_cmpstr(name, ==, "org.passthru1.Error.NotHidden");

        /* Still hidden after a restart, and put back on its stub if someone bound the host driver meanwhile. */
        harness_stop_daemon(h);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:00:19.0/driver_override", "\n"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/vfio-pci/unbind", "0000:00:19.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/e1000e/bind", "0000:00:19.0"), ==, 0);
        harness_start_daemon(h, NULL);
        harness_assert_driver(h, "0000:00:19.0", "vfio-pci", "vfio-pci");

        /* A sysfs remove and rescan makes a new device without driver_override; e1000e takes it at once. */
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:00:19.0/remove", "1"), ==, 0);
        g_assert_true(harness_wait_device_gone(h, "0000:00:19.0"));
        g_assert_cmpint(harness_write(h, "bus/pci/rescan", "1"), ==, 0);
        g_assert_true(harness_wait_property(h, "0000:00:19.0", "Driver", "vfio-pci"));
        harness_assert_driver(h, "0000:00:19.0", "vfio-pci", "vfio-pci");
        g_assert_true(harness_log_contains(h, "bind 0000:00:19.0 e1000e\n"));
        /* It still goes back to e1000e: the record outlives the device's trip off the bus. */
        g_autoptr(JsonNode) again = harness_ptctl_json(h, "hidden", "--json", NULL);
        g_assert_cmpstr(json_object_get_string_member(hidden_entry(again, "0000:00:19.0"), "original_driver"), ==,
                        "e1000e");

        g_free(out);
        out = NULL;
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "unhide", "00:19.0", NULL), ==, 0);
        g_assert_cmpstr(out, ==, "Unhid 00:19.0\n");
        harness_assert_driver(h, "0000:00:19.0", "e1000e", NULL);
        g_assert_true(harness_wait_property(h, "0000:00:19.0", "State", "host"));
        g_autoptr(JsonNode) empty = harness_ptctl_json(h, "hidden", "--json", NULL);
        g_assert_cmpuint(json_array_get_length(json_node_get_array(empty)), ==, 0);

        /* --no-rebind: off the stub, and no driver at all. */
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "hide", "02:00.0", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "unhide", "02:00.0", "--no-rebind", NULL), ==, 0);
        harness_assert_driver(h, "0000:02:00.0", "", NULL);
}

/* What the udev rule runs at "add": the stub for a hidden address or a running guest's device, else exit 1. */
static int udev_override(Harness *h, const char *bdf, char **out) {
        g_autofree char *state = g_build_filename(h->tmpdir, "state", NULL);
        const char *argv[] = { g_getenv("PT_UDEV_OVERRIDE"), "--state-dir", state, bdf, NULL };
        return harness_spawn(h, argv, NULL, out, NULL);
}

/* Early boot (passthrud-early.service): before udev's coldplug, every hidden device present gets its override. */
static void test_early_apply(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "hide", "00:19.0", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "hide", "0f:00.0", NULL), ==, 0);
        harness_stop_daemon(h);
        /* As the host finds it at boot: no override yet. */
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:00:19.0/driver_override", "\n"), ==, 0);
        g_autofree char *state = g_build_filename(h->tmpdir, "state", NULL), *out = NULL;
        const char *argv[] = { g_getenv("PT_UDEV_OVERRIDE"), "--apply", "--state-dir", state, "--sysfs-root", h->sys,
                               NULL };
        g_assert_cmpint(harness_spawn(h, argv, NULL, &out, NULL), ==, 0);
        g_assert_nonnull(strstr(out, "0000:00:19.0: driver_override vfio-pci\n"));
        g_assert_nonnull(strstr(out, "0000:0f:00.0: not present\n"));
        g_autofree char *override = harness_read(h, "bus/pci/devices/0000:00:19.0/driver_override");
        g_assert_cmpstr(override, ==, "vfio-pci");
        g_autofree char *other = harness_read(h, "bus/pci/devices/0000:02:00.0/driver_override");
        g_assert_cmpstr(other, ==, "(null)");
        harness_start_daemon(h, NULL);
}

/* The initramfs-tools hook packs the hidden addresses (not a running guest's: no guest runs at the next boot);
 * the initramfs's init-top script claims them before its udev; passthrud-early then withdraws a claim on a
 * device unhidden since the initramfs was built, so its host driver binds it at coldplug. */
static void test_initramfs(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "hide", "00:19.0", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "hide", "01:00.0", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "g1", "02:00.0", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "start", "g1", NULL), ==, 0);

        g_autofree char *state = g_build_filename(h->tmpdir, "state", NULL);
        g_autofree char *initrd = g_build_filename(h->tmpdir, "initrd", NULL);
        g_autofree char *run = g_build_filename(h->tmpdir, "run-passthru", NULL);
        g_autofree char *destdir = g_strconcat("DESTDIR=", initrd, NULL);
        g_autofree char *state_env = g_strconcat("PASSTHRUD_STATE_DIR=", state, NULL);
        g_autofree char *helper_env = g_strconcat("PASSTHRUD_UDEV_OVERRIDE=", g_getenv("PT_UDEV_OVERRIDE"), NULL);
        const char *hook[] = { "env", destdir, state_env, helper_env, g_getenv("PT_INITRAMFS_HOOK"), NULL };
        g_assert_cmpint(harness_spawn(h, hook, NULL, NULL, NULL), ==, 0);
        g_autofree char *claims_path = g_build_filename(initrd, "conf", "passthrud-claims", NULL), *claims = NULL;
        g_assert_true(g_file_get_contents(claims_path, &claims, NULL, NULL));
        g_assert_cmpstr(claims, ==, "0000:00:19.0 vfio-pci\n0000:01:00.0 vfio-pci\n");

        /* 01:00.0 is unhidden after the initramfs was built; then the host reboots. */
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "stop", "g1", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "unhide", "01:00.0", NULL), ==, 0);
        harness_stop_daemon(h);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/igb/unbind", "0000:01:00.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:00:19.0/driver_override", "\n"), ==, 0);

        g_autofree char *claims_env = g_strconcat("PASSTHRUD_CLAIMS=", claims_path, NULL);
        g_autofree char *sysfs_env = g_strconcat("PASSTHRUD_SYSFS_ROOT=", h->sys, NULL);
        g_autofree char *run_env = g_strconcat("PASSTHRUD_RUNTIME_DIR=", run, NULL);
        const char *init_top[] = { "env", claims_env, sysfs_env, run_env, g_getenv("PT_INITRAMFS_INIT_TOP"), NULL };
        g_assert_cmpint(harness_spawn(h, init_top, NULL, NULL, NULL), ==, 0);
        g_autofree char *a = harness_read(h, "bus/pci/devices/0000:00:19.0/driver_override");
        g_autofree char *b = harness_read(h, "bus/pci/devices/0000:01:00.0/driver_override");
        g_assert_cmpstr(a, ==, "vfio-pci");
        g_assert_cmpstr(b, ==, "vfio-pci");

        g_autofree char *claimed = g_build_filename(run, "initramfs-claims", NULL), *out = NULL;
        const char *apply[] = { g_getenv("PT_UDEV_OVERRIDE"), "--apply", "--state-dir", state, "--sysfs-root", h->sys,
                                "--initramfs-claims", claimed, NULL };
        g_assert_cmpint(harness_spawn(h, apply, NULL, &out, NULL), ==, 0);
        g_assert_nonnull(strstr(out, "0000:00:19.0: driver_override vfio-pci\n"));
        g_assert_nonnull(strstr(out, "0000:01:00.0: stale initramfs claim (vfio-pci) withdrawn\n"));
        g_clear_pointer(&a, g_free);
        g_clear_pointer(&b, g_free);
        a = harness_read(h, "bus/pci/devices/0000:00:19.0/driver_override");
        b = harness_read(h, "bus/pci/devices/0000:01:00.0/driver_override");
        g_assert_cmpstr(a, ==, "vfio-pci");
        g_assert_cmpstr(b, ==, "(null)");
        /* Coldplug: 01:00.0 goes to igb, 00:19.0 to nobody but vfio-pci. */
        g_assert_cmpint(harness_write(h, "bus/pci/drivers_probe", "0000:01:00.0"), ==, 0);
        harness_assert_driver(h, "0000:01:00.0", "igb", NULL);
        harness_start_daemon(h, NULL);
        harness_assert_driver(h, "0000:00:19.0", "vfio-pci", "vfio-pci");
}

static void test_udev_rule(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_autofree char *rule = NULL, *out = NULL;
        g_assert_true(g_file_get_contents(g_getenv("PT_UDEV_RULE"), &rule, NULL, NULL));
        g_assert_nonnull(strstr(rule, "ACTION==\"add\", SUBSYSTEM==\"pci\", PROGRAM=\""));
        g_assert_nonnull(strstr(rule, "/passthrud-udev-override %k\", ATTR{driver_override}=\"%c\""));

        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "hide", "0a:00.0", NULL), ==, 0);
        g_assert_cmpint(udev_override(h, "0000:0a:00.0", &out), ==, 0);
        g_assert_cmpstr(out, ==, "vfio-pci\n");
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(udev_override(h, "0000:02:00.0", &out), ==, 1);
        g_assert_cmpstr(out, ==, "");
        g_clear_pointer(&out, g_free);
        /* A running guest's device comes back on its stub too; a stopped guest's does not. */
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "g1", "02:00.0", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "start", "g1", NULL), ==, 0);
        g_assert_cmpint(udev_override(h, "02:00.0", &out), ==, 0);
        g_assert_cmpstr(out, ==, "vfio-pci\n");
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "stop", "g1", NULL), ==, 0);
        g_assert_cmpint(udev_override(h, "0000:02:00.0", NULL), ==, 1);
        g_assert_cmpint(udev_override(h, "not-an-address", NULL), ==, 2);
}

static void test_hide_before_present(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "hide", "0a:00.0", NULL), ==, 0);
        g_autoptr(JsonNode) list = harness_ptctl_json(h, "hidden", "--json", NULL);
        JsonObject *e = hidden_entry(list, "0000:0a:00.0");
        g_assert_cmpstr(json_object_get_string_member(e, "state"), ==, "missing");
        g_assert_true(json_object_get_null_member(e, "original_driver"));

        /* Hot-added: e1000e binds it in the kernel, passthrud takes it straight back for vfio-pci. */
        harness_ctl(h, "add 0000:0a:00.0 id=8086:153a class=020000 parent=0000:00:1c.2 pcie=endpoint flr group=40");
        g_assert_true(harness_wait_property(h, "0000:0a:00.0", "Driver", "vfio-pci"));
        g_assert_true(harness_wait_property(h, "0000:0a:00.0", "State", "hidden"));
        harness_assert_driver(h, "0000:0a:00.0", "vfio-pci", "vfio-pci");

        /* It was e1000e's for a moment: that is where it goes on unhide. */
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "unhide", "0a:00.0", NULL), ==, 0);
        harness_assert_driver(h, "0000:0a:00.0", "e1000e", NULL);
}

static void test_boot_config_xen(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_autofree char *out = NULL, *err = NULL;
        harness_ptctl_refused(h, "no devices are hidden with pciback", "boot-config", "--format", "cmdline", NULL);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "hide", "01:00.0", "--driver", "pciback", NULL), ==, 0);
        harness_assert_driver(h, "0000:01:00.0", "pciback", "pciback");
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "hide", "0000:06:00.0", "--driver", "pciback", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "boot-config", "--format", "cmdline", NULL), ==, 0);
        g_assert_cmpstr(out, ==, "xen-pciback.hide=(0000:01:00.0)(0000:06:00.0)\n");
        g_free(out);
        out = NULL;
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "boot-config", "--format", "modprobe", NULL), ==, 0);
        g_assert_cmpstr(out, ==, "options xen-pciback hide=(0000:01:00.0)(0000:06:00.0)\n");
        g_assert_cmpint(harness_ptctl(h, NULL, &err, "boot-config", "--format", "grub", NULL), ==, 2);
        g_assert_nonnull(strstr(err, "--format is cmdline, modprobe or vfio, not 'grub'"));
}

static void test_boot_config_vfio(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_autofree char *out = NULL, *err = NULL;
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "hide", "06:00.0", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "hide", "02:00.0", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl(h, &out, &err, "boot-config", NULL), ==, 0);
        /* The host's default is vfio here; the ID list is global, and says which other devices it would take. */
        g_assert_cmpstr(out, ==, "vfio-pci.ids=144d:a808,8086:1079\n");
        g_assert_nonnull(strstr(err, "vfio-pci.ids=8086:1079 also takes 0000:06:00.1, which is not hidden"));
}

/* vfio-pci's module is not loaded: passthrud loads it (through the fake kernel's modprobe) before binding. */
static void test_module_loading(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_autofree char *dir = g_build_filename(h->sys, "bus/pci/drivers/vfio-pci", NULL);
        g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "hide", "01:00.0", NULL), ==, 0);
        harness_assert_driver(h, "0000:01:00.0", "vfio-pci", "vfio-pci");
        g_assert_true(harness_log_contains(h, "load vfio-pci"));
        /* No module provides pci-stub here: the hide is refused and undone. */
        harness_ptctl_refused(h, "driver pci-stub is not available", "hide", "02:00.0", "--driver", "pci-stub", NULL);
        g_autofree char *name = harness_manager_call_error(
                h, "Hide", g_variant_new_parsed("('02:00.0', {'driver': <'pci-stub'>})"));
        g_assert_cmpstr(name, ==, "org.passthru1.Error.DriverUnavailable");
        harness_assert_driver(h, "0000:02:00.0", "e1000e", NULL);
        g_autoptr(JsonNode) list = harness_ptctl_json(h, "hidden", "--json", NULL);
        g_assert_null(hidden_entry(list, "0000:02:00.0"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, topo, fn) \
        g_test_add(path, Fixture, topo, harness_fixture_setup, fn, harness_fixture_teardown)
        ADD("/hide/hide-unhide", "standard.topo", test_hide_unhide);
        ADD("/hide/before-present", "standard.topo", test_hide_before_present);
        ADD("/hide/udev-rule", "standard.topo", test_udev_rule);
        ADD("/hide/early-apply", "standard.topo", test_early_apply);
        ADD("/hide/initramfs", "standard.topo", test_initramfs);
        ADD("/hide/boot-config-xen", "xen.topo", test_boot_config_xen);
        ADD("/hide/boot-config-vfio", "standard.topo", test_boot_config_vfio);
        ADD("/hide/module-loading", "modprobe.topo", test_module_loading);
        return harness_run();
}
