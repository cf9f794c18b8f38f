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

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_data_func("/recovery/start", NULL, test_start);
        g_test_add_data_func("/recovery/stop", NULL, test_stop);
        g_test_add_data_func("/recovery/hide-unhide", NULL, test_hide_unhide);
        return harness_run();
}
