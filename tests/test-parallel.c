/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Many-device guests: the devices of a start or stop that share nothing are detached, reset and given back at
 * the same time, with the same guarantees as one after another. Resets take 150 ms here (as an FLR takes at least
 * 100 ms); the fake kernel logs every reset's begin and end, and any two at once within one slot or group. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *const nvmes[] = {
        "0000:01:00.0", "0000:02:00.0", "0000:03:00.0", "0000:04:00.0",
        "0000:05:00.0", "0000:06:00.0", "0000:07:00.0", "0000:08:00.0",
};

static void assign_all(Harness *h) {
        harness_ptctl_ok(h, "assign", "g1", "01:00.0", "02:00.0", "03:00.0", "04:00.0", "05:00.0", "06:00.0",
                         "07:00.0", "08:00.0", "09:00.0", "09:00.1", NULL);
}

/* The most resets the fake kernel saw under way at once since the log's start. */
static unsigned max_in_flight(Harness *h) {
        g_autofree char *log = harness_read(h, "fakekernel/log");
        unsigned most = 0;
        for (const char *p = log; p && (p = strstr(p, "reset-begin ")); p++) {
                const char *n = strstr(p, "in-flight=");
                if (n)
                        most = MAX(most, (unsigned) strtoul(n + 10, NULL, 10));
        }
        return most;
}

static void assert_home(Harness *h) {
        for (size_t i = 0; i < G_N_ELEMENTS(nvmes); i++)
                harness_assert_driver(h, nvmes[i], "nvme", NULL);
        harness_assert_driver(h, "0000:09:00.0", "igb", NULL);
        harness_assert_driver(h, "0000:09:00.1", "igb", NULL);
}

static void test_together(void) {
        Harness *h = harness_new("parallel.topo");
        harness_start_daemon(h, NULL);
        harness_ctl(h, "latency reset 150");
        assign_all(h);
        harness_ptctl_ok(h, "start", "g1", NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(nvmes); i++)
                harness_assert_driver(h, nvmes[i], "vfio-pci", "vfio-pci");
        /* Devices that share nothing were reset at the same time... */
        unsigned started_together = max_in_flight(h);
        g_test_message("at most %u resets under way at once in the start", started_together);
        g_assert_cmpuint(started_together, >=, 2);
        harness_ptctl_ok(h, "stop", "g1", NULL);
        assert_home(h);
        /* ... and never two in one slot or IOMMU group (09:00.0 and 09:00.1 share both). */
        g_assert_false(harness_log_contains(h, "overlap "));
        g_assert_true(harness_log_contains(h, "reset-begin 0000:09:00.1"));
        g_autofree char *state = harness_guest_state(h, "g1");
        g_assert_cmpstr(state, ==, "stopped");
        harness_stop_daemon(h);
        harness_free(h);
}

/* A claim failing in one lane rolls back every lane's devices: all or nothing, as one after another. */
static void test_rollback(void) {
        Harness *h = harness_new("parallel.topo");
        harness_start_daemon(h, NULL);
        harness_ctl(h, "latency reset 150");
        assign_all(h);
        harness_ctl(h, "fail 0000:05:00.0/driver_override EIO");
        harness_ptctl_refused(h, "setting driver_override of 0000:05:00.0 to vfio-pci", "start", "g1", NULL);
        assert_home(h);
        g_autofree char *state = harness_guest_state(h, "g1");
        g_assert_cmpstr(state, ==, "stopped");
        /* A reset failing late in one lane, while the others have claimed and reset theirs. */
        harness_ctl(h, "fail 0000:08:00.0/reset EIO");
        harness_ptctl_refused(h, "reset of 0000:08:00.0 failed", "start", "g1", NULL);
        assert_home(h);
        harness_ctl(h, "clear");
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_ptctl_ok(h, "stop", "g1", NULL);
        assert_home(h);
        harness_stop_daemon(h);
        harness_free(h);
}

/* passthrud SIGKILLed as the fake kernel takes one device's reset, while other lanes are in theirs; restarted, it
 * must leave every device where the journal says: a start rolled back, a stop finished. */
static void crash_and_recover(Harness *h, const char *reset_of, const char *verb) {
        harness_ctl(h, "crash %s/reset after", reset_of);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, verb, "g1", NULL), !=, 0);
        harness_kill_daemon(h);
        harness_ctl(h, "clear");
        harness_start_daemon(h, NULL);
        assert_home(h);
        g_autofree char *state = harness_guest_state(h, "g1");
        g_assert_cmpstr(state, ==, "stopped");
}

static void test_crash(void) {
        Harness *h = harness_new("parallel.topo");
        harness_start_daemon(h, NULL);
        harness_ctl(h, "latency reset 150");
        assign_all(h);
        crash_and_recover(h, "0000:06:00.0", "start");
        harness_ptctl_ok(h, "start", "g1", NULL);
        crash_and_recover(h, "0000:03:00.0", "stop");
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_ptctl_ok(h, "stop", "g1", NULL);
        harness_stop_daemon(h);
        harness_free(h);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/parallel/together", test_together);
        g_test_add_func("/parallel/rollback", test_rollback);
        g_test_add_func("/parallel/crash", test_crash);
        return harness_run();
}
