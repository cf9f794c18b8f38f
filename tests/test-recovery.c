/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passthrud killed (SIGKILL, by the fake kernel, as the write happens) before or after each individual sysfs
 * write of a guest start, a guest stop, a hide and an unhide; restarted, it must put every device back where the
 * journal says it belongs: an interrupted start is rolled back, a stop, hide or unhide is completed. */
#include <string.h>

#include "harness.h"

static guint crashes(Harness *h) {
        g_autofree char *log = harness_read(h, "fakekernel/log");
        guint n = 0;
        for (const char *p = log; p && (p = strstr(p, "\ncrash ")); p++)
                n++;
        return n;
}

/* The call dies with the daemon; what it printed does not matter. */
static void crash_during(Harness *h, const char *crash, const char *a, const char *b) {
        g_test_message("crash at %s during ptctl %s %s", crash, a, b);
        guint before = crashes(h);
        harness_ctl(h, "crash %s", crash);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, a, b, NULL), !=, 0);
        g_assert_cmpuint(crashes(h), ==, before + 1);
        harness_kill_daemon(h); /* reaps it */
        harness_ctl(h, "clear");
        harness_start_daemon(h, NULL);
}

static void assert_recovered(Harness *h) {
        g_autofree char *log = NULL;
        g_assert_true(g_file_get_contents(h->daemon_log, &log, NULL, NULL));
        g_assert_nonnull(strstr(log, "Recovery"));
}

static const char *const start_steps[] = {
        "0000:01:00.0/driver_override", "drivers/igb/unbind", "bus/pci/drivers_probe", "0000:01:00.0/reset_method",
        "0000:01:00.0/reset", "0000:02:00.0/driver_override", "drivers/nvme/unbind", "0000:02:00.0/reset",
};

static void test_start(gconstpointer data) {
        Harness *h = harness_new("standard.topo");
        harness_start_daemon(h, NULL);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "g1", "01:00.0", "02:00.0", NULL), ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(start_steps); i++)
                for (int before = 0; before <= 1; before++) {
                        g_autofree char *crash = g_strdup_printf("%s%s", start_steps[i], before ? " before" : "");
                        crash_during(h, crash, "start", "g1");
                        assert_recovered(h);
                        harness_assert_driver(h, "0000:01:00.0", "igb", NULL);
                        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
                        g_autofree char *state = harness_guest_state(h, "g1");
                        g_assert_cmpstr(state, ==, "stopped");
                        g_assert_true(harness_wait_property(h, "0000:02:00.0", "State", "host"));
                        g_autofree char *methods = harness_read(h, "bus/pci/devices/0000:01:00.0/reset_method");
                        g_assert_cmpstr(methods, ==, "flr pm bus");
                }
        /* And it still works. */
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_ptctl_ok(h, "stop", "g1", NULL);
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
        harness_stop_daemon(h);
        harness_free(h);
}

static const char *const stop_steps[] = {
        "0000:01:00.0/reset", "0000:01:00.0/driver_override", "drivers/vfio-pci/unbind", "drivers/igb/bind",
        "0000:02:00.0/driver_override", "drivers/nvme/bind",
};

static void test_stop(gconstpointer data) {
        Harness *h = harness_new("standard.topo");
        harness_start_daemon(h, NULL);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "g1", "01:00.0", "02:00.0", NULL), ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(stop_steps); i++)
                for (int before = 0; before <= 1; before++) {
                        g_autofree char *crash = g_strdup_printf("%s%s", stop_steps[i], before ? " before" : "");
                        harness_ptctl_ok(h, "start", "g1", NULL);
                        crash_during(h, crash, "stop", "g1");
                        assert_recovered(h);
                        harness_assert_driver(h, "0000:01:00.0", "igb", NULL);
                        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
                        g_autofree char *state = harness_guest_state(h, "g1");
                        g_assert_cmpstr(state, ==, "stopped");
                }
        harness_stop_daemon(h);
        harness_free(h);
}

static const char *const hide_steps[] = {
        "0000:00:19.0/driver_override", "drivers/e1000e/unbind", "bus/pci/drivers_probe",
};
static const char *const unhide_steps[] = {
        "0000:00:19.0/driver_override", "drivers/vfio-pci/unbind", "drivers/e1000e/bind",
};

static void test_hide_unhide(gconstpointer data) {
        Harness *h = harness_new("standard.topo");
        harness_start_daemon(h, NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(hide_steps); i++)
                for (int before = 0; before <= 1; before++) {
                        g_autofree char *crash = g_strdup_printf("%s%s", hide_steps[i], before ? " before" : "");
                        crash_during(h, crash, "hide", "00:19.0");
                        /* Recorded before the first write: the hide is completed. */
                        harness_assert_driver(h, "0000:00:19.0", "vfio-pci", "vfio-pci");
                        g_assert_true(harness_wait_property(h, "0000:00:19.0", "State", "hidden"));
                        harness_ptctl_ok(h, "unhide", "00:19.0", NULL);
                        harness_assert_driver(h, "0000:00:19.0", "e1000e", NULL);
                }
        for (size_t i = 0; i < G_N_ELEMENTS(unhide_steps); i++)
                for (int before = 0; before <= 1; before++) {
                        g_autofree char *crash = g_strdup_printf("%s%s", unhide_steps[i], before ? " before" : "");
                        harness_ptctl_ok(h, "hide", "00:19.0", NULL);
                        crash_during(h, crash, "unhide", "00:19.0");
                        harness_assert_driver(h, "0000:00:19.0", "e1000e", NULL);
                        g_assert_true(harness_wait_property(h, "0000:00:19.0", "State", "host"));
                }
        harness_stop_daemon(h);
        harness_free(h);
}

/* What the udev helper says for an address, as the rule runs it at boot (exit 1: leave the device alone). */
static int udev_override(Harness *h, const char *proc, const char *bdf, char **out) {
        g_autofree char *state = g_build_filename(h->tmpdir, "state", NULL);
        const char *argv[] = { g_getenv("PT_UDEV_OVERRIDE"), "--state-dir", state, "--proc-root", proc, bdf, NULL };
        return harness_spawn(h, argv, NULL, out, NULL);
}

/* A host reboot with a guest running: its VMM died with the old boot, so at the first start after it the guest is
 * stopped and its device goes home; a hidden device stays hidden; the udev helper no longer keeps the guest's
 * device from its driver; the guest starts again at the first try. */
static void test_reboot(gconstpointer data) {
        Harness *h = harness_new("standard.topo");
        g_autofree char *proc = g_build_filename(h->tmpdir, "proc", NULL);
        g_autofree char *random = g_build_filename(proc, "sys", "kernel", "random", NULL);
        g_autofree char *boot_id = g_build_filename(random, "boot_id", NULL);
        g_assert_cmpint(g_mkdir_with_parents(random, 0755), ==, 0);
        g_assert_true(g_file_set_contents(boot_id, "9c5a0b7e-0000-4000-8000-000000000001\n", -1, NULL));
        const char *args[] = { "--proc-root", proc, NULL };
        harness_start_daemon(h, args);
        harness_ptctl_ok(h, "hide", "00:19.0", NULL);
        harness_ptctl_ok(h, "assign", "g1", "02:00.0", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);
        g_autofree char *before = NULL;
        g_assert_cmpint(udev_override(h, proc, "0000:02:00.0", &before), ==, 0);
        g_assert_cmpstr(before, ==, "vfio-pci\n");
        harness_stop_daemon(h);

        /* The reboot: a new boot id. The udev helper already knows the guest is not running in it. */
        g_assert_true(g_file_set_contents(boot_id, "9c5a0b7e-0000-4000-8000-000000000002\n", -1, NULL));
        g_autofree char *stale = NULL, *hidden = NULL;
        g_assert_cmpint(udev_override(h, proc, "0000:02:00.0", &stale), ==, 1);
        g_assert_cmpint(udev_override(h, proc, "0000:00:19.0", &hidden), ==, 0);
        g_assert_cmpstr(hidden, ==, "vfio-pci\n");

        harness_start_daemon(h, args);
        g_autofree char *state = harness_guest_state(h, "g1");
        g_assert_cmpstr(state, ==, "stopped");
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
        harness_assert_driver(h, "0000:00:19.0", "vfio-pci", "vfio-pci");
        g_autofree char *log = NULL;
        g_assert_true(g_file_get_contents(h->daemon_log, &log, NULL, NULL));
        g_assert_nonnull(strstr(log, "Guest g1 was running before the host rebooted; it is stopped now"));
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_ptctl_ok(h, "stop", "g1", NULL);
        /* A restart in the same boot changes nothing. */
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_stop_daemon(h);
        harness_start_daemon(h, args);
        g_autofree char *again = harness_guest_state(h, "g1");
        g_assert_cmpstr(again, ==, "running");
        harness_free(h);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_data_func("/recovery/start", NULL, test_start);
        g_test_add_data_func("/recovery/stop", NULL, test_stop);
        g_test_add_data_func("/recovery/hide-unhide", NULL, test_hide_unhide);
        g_test_add_data_func("/recovery/reboot", NULL, test_reboot);
        return harness_run();
}
