/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hotplug on the fake kernel: attach and detach to running guests, the rate limiter (the test drives the clock),
 * a uevent storm, a surprise removal and return, a host driver stealing a device, the migration guard, and the
 * configuration file. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

typedef HarnessFixture Fixture;

static guint64 manager_u64(Harness *h, const char *property) {
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(h->conn, "org.passthru1", "/org/passthru1",
                                                            "org.freedesktop.DBus.Properties", "Get",
                                                            g_variant_new("(ss)", "org.passthru1.Manager", property),
                                                            G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                                            NULL);
        g_assert_nonnull(r);
        g_autoptr(GVariant) v = NULL;
        g_variant_get(r, "(v)", &v);
        return g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32) ? g_variant_get_uint32(v) : g_variant_get_uint64(v);
}

static void wait_uevents(Harness *h, guint64 count) {
        for (int i = 0; i < 2000 && manager_u64(h, "UeventsProcessed") < count; i++)
                g_usleep(10000);
        g_assert_cmpuint(manager_u64(h, "UeventsProcessed"), ==, count);
}

static char *daemon_log(Harness *h) {
        char *text = NULL;
        g_assert_true(g_file_get_contents(h->daemon_log, &text, NULL, NULL));
        return text;
}

static void test_attach_detach(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_autofree char *out = NULL;
        harness_ptctl_ok(h, "assign", "g1", "02:00.0", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "attach", "g1", "00:19.0", "--vslot", "7", NULL), ==, 0);
        g_assert_cmpstr(out, ==, "Attached 0000:00:19.0 to g1 on vfio-pci, vslot 0x7\n");
        harness_assert_driver(h, "0000:00:19.0", "vfio-pci", "vfio-pci");
        g_assert_true(harness_log_contains(h, "reset 0000:00:19.0 pm"));
        g_assert_true(harness_wait_property(h, "0000:00:19.0", "State", "running"));
        g_autoptr(JsonNode) g = harness_ptctl_json(h, "guest", "g1", "--json", NULL);
        g_assert_cmpuint(json_array_get_length(json_object_get_array_member(json_node_get_object(g), "devices")), ==, 2);

        /* The migration guard says no while devices are attached, and which. */
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "can-migrate", "g1", NULL), ==, 1);
        g_assert_cmpstr(out, ==, "no: guest g1 has passthrough devices attached (0000:00:19.0, 0000:02:00.0): save, "
                                 "restore and live migration are impossible until they are detached\n");

        harness_ptctl_refused(h, "0000:00:19.0 is already attached to guest g1", "attach", "g1", "00:19.0", NULL);
        harness_ptctl_refused(h, "0000:02:00.0 is already assigned to guest g1", "attach", "g2", "02:00.0", NULL);
        harness_ptctl_refused(h, "0000:00:1b.0 is not attached to guest g1", "detach", "g1", "00:1b.0", NULL);
        harness_ptctl_refused(h, "no PCI device 0000:0f:00.0", "attach", "g1", "0f:00.0", NULL);
        harness_ptctl_refused(h, "is a bridge", "attach", "g1", "00:1c.0", NULL);
        harness_ptctl_refused(h, "has no usable reset", "attach", "g1", "00:1b.0", NULL);
        harness_ptctl_refused(h, "cannot attach 0000:06:00.0: IOMMU group 9 is not viable: 0000:06:00.1 is bound to "
                              "host driver e1000", "attach", "g1", "06:00.0", NULL);
        harness_assert_driver(h, "0000:06:00.0", "e1000", NULL);
        /* A stopped guest with devices gets more at its start, through Assign. */
        harness_ptctl_ok(h, "assign", "g3", "03:00.0", NULL);
        harness_ptctl_refused(h, "guest g3 is not running; 'ptctl assign' gives it the device at its start", "attach",
                              "g3", "00:1b.0", "--reset-policy", "none", NULL);

        g_clear_pointer(&out, g_free);
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "detach", "g1", "00:19.0", NULL), ==, 0);
        g_assert_cmpstr(out, ==, "Detached 00:19.0 from g1\n");
        harness_assert_driver(h, "0000:00:19.0", "e1000e", NULL);
        g_assert_true(harness_wait_property(h, "0000:00:19.0", "State", "host"));

        /* A guest started without passthrough gets its first device by attach. */
        harness_ptctl_ok(h, "attach", "fresh", "01:00.0", NULL);
        g_autofree char *state = harness_guest_state(h, "fresh");
        g_assert_cmpstr(state, ==, "running");
        harness_ptctl_ok(h, "detach", "fresh", "01:00.0", NULL);
        harness_assert_driver(h, "0000:01:00.0", "igb", NULL);
        harness_ptctl_refused(h, "no guest fresh", "guest", "fresh", NULL);
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "can-migrate", "fresh", NULL), ==, 0);
        g_assert_cmpstr(out, ==, "yes: guest fresh has no passthrough devices\n");

        harness_ptctl_ok(h, "stop", "g1", NULL);
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "can-migrate", "g1", NULL), ==, 0);
        g_assert_true(g_str_has_prefix(out, "yes: guest g1 is not running"));
}

/* passthrud killed at each write of an attach: at the next start the device is home and not the guest's. */
static void test_attach_crash(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        static const char *const steps[] = { "0000:00:19.0/driver_override", "drivers/e1000e/unbind",
                                             "0000:00:19.0/reset" };
        harness_ptctl_ok(h, "assign", "g1", "02:00.0", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
                harness_ctl(h, "crash %s", steps[i]);
                g_assert_cmpint(harness_ptctl(h, NULL, NULL, "attach", "g1", "00:19.0", NULL), !=, 0);
                harness_kill_daemon(h);
                harness_ctl(h, "clear");
                harness_start_daemon(h, NULL);
                harness_assert_driver(h, "0000:00:19.0", "e1000e", NULL);
                g_autoptr(JsonNode) g = harness_ptctl_json(h, "guest", "g1", "--json", NULL);
                JsonObject *o = json_node_get_object(g);
                g_assert_cmpstr(json_object_get_string_member(o, "state"), ==, "running");
                g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "devices")), ==, 1);
        }
        harness_ptctl_ok(h, "attach", "g1", "00:19.0", NULL);
        harness_ctl(h, "crash drivers/e1000e/bind");
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "detach", "g1", "00:19.0", NULL), !=, 0);
        harness_kill_daemon(h);
        harness_ctl(h, "clear");
        harness_start_daemon(h, NULL);
        harness_assert_driver(h, "0000:00:19.0", "e1000e", NULL);
        harness_ptctl_refused(h, "is not attached to guest g1", "detach", "g1", "00:19.0", NULL);
}

static void set_clock(const char *path, double seconds) {
        g_autofree char *text = g_strdup_printf("%.3f\n", seconds);
        g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* Exactly 512 hot(un)plugs of a device in 60 s: the 513th attach is refused, also after a restart, and allowed
 * once the window has passed. The clock is the test's. */
static void test_rate_limit(gconstpointer data) {
        Harness *h = harness_new("standard.topo");
        g_autofree char *clock = g_build_filename(h->tmpdir, "clock", NULL);
        const double t0 = 1800000000;
        set_clock(clock, t0);
        const char *args[] = { "--clock-file", clock, NULL };
        harness_start_daemon(h, args);
        g_assert_cmpuint(manager_u64(h, "RateLimitBurst"), ==, 512);
        g_assert_cmpuint(manager_u64(h, "RateLimitIntervalUSec"), ==, 60000000);
        harness_ptctl_ok(h, "assign", "g1", "02:00.0", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);

        /* 500 udev add events count (the kernel does not ask), then 6 attach + 6 detach: 512. */
        guint64 before = manager_u64(h, "UeventsProcessed");
        harness_ctl(h, "uevent 0000:00:19.0 add 500");
        wait_uevents(h, before + 500);
        for (int i = 0; i < 6; i++) {
                harness_ptctl_ok(h, "attach", "g1", "00:19.0", NULL);
                harness_ptctl_ok(h, "detach", "g1", "00:19.0", NULL);
        }
        set_clock(clock, t0 + 59);
        harness_ptctl_refused(h, "0000:00:19.0 was hot(un)plugged 512 times in the last 60 s, the most the kernel is "
                              "trusted with; attach is allowed again in 1 s", "attach", "g1", "00:19.0", NULL);
        g_autofree char *name = harness_manager_call_error(
                h, "AttachDevice", g_variant_new_parsed("('g1', '00:19.0', @a{sv} {})"));
        g_assert_cmpstr(name, ==, "org.passthru1.Error.RateLimited");
        harness_assert_driver(h, "0000:00:19.0", "e1000e", NULL);
        g_autofree char *log = daemon_log(h);
        g_assert_nonnull(strstr(log, "Refused to attach 0000:00:19.0: 512 hot(un)plugs in the last 60 s; allowed "
                                     "again in 1 s"));
        /* Other devices are not held back. */
        harness_ptctl_ok(h, "attach", "g1", "01:00.0", NULL);
        harness_ptctl_ok(h, "detach", "g1", "01:00.0", NULL);

        /* The window survives a restart. */
        harness_stop_daemon(h);
        harness_start_daemon(h, args);
        harness_ptctl_refused(h, "attach is allowed again in 1 s", "attach", "g1", "00:19.0", NULL);

        set_clock(clock, t0 + 60);
        harness_ptctl_ok(h, "attach", "g1", "00:19.0", NULL);
        harness_ptctl_ok(h, "detach", "g1", "00:19.0", NULL);
        harness_stop_daemon(h);
        harness_free(h);
}

static void test_config_file(gconstpointer data) {
        Harness *h = harness_new("standard.topo");
        g_autofree char *conf = g_build_filename(h->tmpdir, "passthrud.conf", NULL);
        g_assert_true(g_file_set_contents(conf, "[Hotplug]\nRateLimitBurst=2\nRateLimitIntervalSec=1h\n", -1, NULL));
        const char *args[] = { "--config", conf, NULL };
        harness_start_daemon(h, args);
        g_assert_cmpuint(manager_u64(h, "RateLimitBurst"), ==, 2);
        g_assert_cmpuint(manager_u64(h, "RateLimitIntervalUSec"), ==, 3600000000ULL);
        harness_ptctl_ok(h, "attach", "g1", "00:19.0", NULL);
        harness_ptctl_ok(h, "detach", "g1", "00:19.0", NULL);
        harness_ptctl_refused(h, "hot(un)plugged 2 times in the last 3600 s", "attach", "g1", "00:19.0", NULL);
        harness_stop_daemon(h);

        /* A bad line keeps passthrud from starting, naming file, line and why. */
        g_assert_true(g_file_set_contents(conf, "[Hotplug]\nRateLimitBurst=many\n", -1, NULL));
        g_autofree char *err = NULL;
        int status;
        const char *argv[] = { g_getenv("PT_PASSTHRUD"), "--config", conf, "--sysfs-root", h->sys, NULL };
        g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                                   &status, NULL));
        g_assert_false(g_spawn_check_wait_status(status, NULL));
        g_assert_nonnull(strstr(err, "passthrud.conf:2: RateLimitBurst= takes a count 1-1000000, not 'many'"));
        harness_free(h);
}

static long rss_kib(GPid pid) {
        g_autofree char *path = g_strdup_printf("/proc/%d/status", (int) pid), *text = NULL;
        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        const char *p = strstr(text, "VmRSS:");
        g_assert_nonnull(p);
        return strtol(p + 6, NULL, 10);
}

/* 10,000 uevents: every one processed, the bus still answers, memory flat. */
static void test_storm(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ptctl_ok(h, "hide", "00:19.0", NULL);
        guint64 before = manager_u64(h, "UeventsProcessed");
        /* A warm-up storm, so the allocator has settled, then the measured one. */
        harness_ctl(h, "uevent 0000:00:19.0 change 1000");
        wait_uevents(h, before + 1000);
        long rss0 = rss_kib(h->daemon);
        harness_ctl(h, "uevent 0000:00:19.0 add 2500");
        harness_ctl(h, "uevent 0000:02:00.0 change 2500");
        harness_ctl(h, "uevent 0000:00:1b.0 add 2500");
        g_autoptr(JsonNode) status = harness_ptctl_json(h, "status", "--json", NULL);
        harness_ctl(h, "uevent 0000:01:00.0 bind 2500");
        wait_uevents(h, before + 11000);
        long rss1 = rss_kib(h->daemon);
        g_test_message("VmRSS %ld KiB before the storm, %ld KiB after", rss0, rss1);
        /* Under memcheck the process's size is valgrind's; memcheck itself checks for leaks there. */
        if (!g_getenv("PT_PASSTHRUD_REAL"))
                g_assert_cmpint(rss1 - rss0, <, 2048);
        /* The hidden device went through 2500 remove events without going anywhere. */
        harness_assert_driver(h, "0000:00:19.0", "vfio-pci", "vfio-pci");
        g_assert_true(harness_wait_property(h, "0000:00:19.0", "State", "hidden"));
}

/* A running guest's device vanishes and comes back: missing, then checked and claimed again; other hardware in
 * its place is not given to the guest. */
static void test_surprise_removal(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ptctl_ok(h, "assign", "g1", "02:00.0", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_record_signals(h);
        harness_ctl(h, "unplug 0000:02:00.0");
        g_assert_true(harness_wait_device_gone(h, "0000:02:00.0"));
        g_assert_true(harness_wait_signal(h, "DeviceRemoved /org/passthru1 ('/org/passthru1/device/pci_0000_02_00_0'"));
        g_autoptr(JsonNode) g = harness_ptctl_json(h, "guest", "g1", "--json", NULL);
        JsonObject *d = json_array_get_object_element(
                json_object_get_array_member(json_node_get_object(g), "devices"), 0);
        g_assert_cmpstr(json_object_get_string_member(d, "state"), ==, "missing");
        g_assert_true(g_str_has_prefix(json_object_get_string_member(d, "problem"), "missing:"));
        g_autofree char *log = daemon_log(h);
        g_assert_nonnull(strstr(log, "Device 0000:02:00.0 of running guest g1 is gone"));

        /* The same card back in the slot: nvme probes it first, passthrud takes it back for the guest. */
        harness_ctl(h, "add 0000:02:00.0");
        g_assert_true(harness_wait_property(h, "0000:02:00.0", "Driver", "vfio-pci"));
        g_assert_true(harness_wait_property(h, "0000:02:00.0", "State", "running"));
        harness_assert_driver(h, "0000:02:00.0", "vfio-pci", "vfio-pci");

        /* Other hardware in its place: named, and left to the host. */
        harness_ctl(h, "unplug 0000:02:00.0");
        g_assert_true(harness_wait_device_gone(h, "0000:02:00.0"));
        harness_ctl(h, "add 0000:02:00.0 id=8086:10d3 class=020000 parent=0000:00:1c.1 pcie=endpoint flr group=41");
        g_assert_true(harness_wait_property(h, "0000:02:00.0", "AssignmentProblem",
                                            "mismatched: 0000:02:00.0 now holds 8086:10d3 (subsystem 8086:10d3, class "
                                            "020000); recorded 144d:a808 (subsystem 144d:a801, class 010802)"));
        g_free(log);
        log = daemon_log(h);
        g_assert_nonnull(strstr(log, "Device 0000:02:00.0 of running guest g1 is back, but mismatched"));
        harness_assert_driver(h, "0000:02:00.0", "", NULL);
}

/* A host driver binds a device that belongs on a stub: a hidden one is taken back, a running guest's is an alert. */
static void test_stolen(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ptctl_ok(h, "hide", "00:19.0", NULL);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:00:19.0/driver_override", "\n"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/vfio-pci/unbind", "0000:00:19.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/e1000e/bind", "0000:00:19.0"), ==, 0);
        g_assert_true(harness_wait_property(h, "0000:00:19.0", "Driver", "vfio-pci"));
        harness_assert_driver(h, "0000:00:19.0", "vfio-pci", "vfio-pci");

        harness_ptctl_ok(h, "assign", "g1", "02:00.0", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:02:00.0/driver_override", "\n"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/vfio-pci/unbind", "0000:02:00.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/nvme/bind", "0000:02:00.0"), ==, 0);
        g_assert_true(harness_wait_property(h, "0000:02:00.0", "Driver", "nvme"));
        g_autofree char *log = NULL;
        for (int i = 0; i < 500 && (!log || !strstr(log, "<1>Host driver nvme bound 0000:02:00.0 while guest g1 is "
                                                         "running with it")); i++) {
                g_free(log);
                log = daemon_log(h);
                g_usleep(10000);
        }
        g_assert_nonnull(strstr(log, "<1>Host driver nvme bound 0000:02:00.0 while guest g1 is running with it"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, topo, fn) \
        g_test_add(path, Fixture, topo, harness_fixture_setup, fn, harness_fixture_teardown)
        ADD("/hotplug/attach-detach", "standard.topo", test_attach_detach);
        ADD("/hotplug/attach-crash", "standard.topo", test_attach_crash);
        g_test_add_data_func("/hotplug/rate-limit", NULL, test_rate_limit);
        g_test_add_data_func("/hotplug/config-file", NULL, test_config_file);
        ADD("/hotplug/storm", "standard.topo", test_storm);
        ADD("/hotplug/surprise-removal", "standard.topo", test_surprise_removal);
        ADD("/hotplug/stolen", "standard.topo", test_stolen);
        return harness_run();
}
