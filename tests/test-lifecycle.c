/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Managed mode on the fake kernel through the real ptctl and passthrud: guest start and stop, rollback after an
 * injected errno at each step, a blocking unbind, a device falling off the bus after its reset, reset policies,
 * group viability, and pciback in a Xen dom0. */
#include <string.h>

#include <signal.h>
#include <sys/wait.h>

#include <sys/prctl.h>

#include "harness.h"

/* A stand-in VMM must not outlive a failed test (nor hold its output open). */
static void die_with_test(gpointer data) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
}

typedef HarnessFixture Fixture;

static void assert_state(Harness *h, const char *bdf, const char *state) {
        g_assert_true(harness_wait_property(h, bdf, "State", state));
}

static void assert_guest(Harness *h, const char *guest, const char *state) {
        g_autofree char *now = harness_guest_state(h, guest);
        g_assert_cmpstr(now, ==, state);
}

static void test_start_stop(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ptctl_ok(h, "assign", "g1", "02:00.0", "--vslot", "5", NULL);
        harness_record_signals(h);

        g_autoptr(JsonNode) started = harness_ptctl_json(h, "start", "g1", "--json", NULL);
        JsonObject *d = json_array_get_object_element(json_node_get_array(started), 0);
        g_assert_cmpstr(json_object_get_string_member(d, "address"), ==, "0000:02:00.0");
        g_assert_cmpstr(json_object_get_string_member(d, "driver"), ==, "vfio-pci");
        g_assert_true(json_object_get_boolean_member(d, "managed"));
        g_assert_cmpint(json_object_get_int_member(d, "vslot"), ==, 5);
        harness_assert_driver(h, "0000:02:00.0", "vfio-pci", "vfio-pci");
        g_assert_true(harness_log_contains(h, "reset 0000:02:00.0 flr"));
        /* The kernel's own reset_method list is back after the one reset. */
        g_autofree char *methods = harness_read(h, "bus/pci/devices/0000:02:00.0/reset_method");
        g_assert_cmpstr(methods, ==, "flr pm bus");
        assert_state(h, "0000:02:00.0", "running");
        assert_guest(h, "g1", "running");
        g_assert_true(harness_wait_signal(h, "PropertiesChanged /org/passthru1/guest/g1 ('org.passthru1.Guest', "
                                             "{'Devices'"));
        g_assert_true(harness_wait_signal(h, "'State': <'running'>"));

        harness_ptctl_refused(h, "guest g1 is already running", "start", "g1", NULL);
        harness_ptctl_refused(h, "guest g1 is running; stop it first", "unassign", "g1", NULL);
        harness_ptctl_refused(h, "guest g1 is running; stop it first", "assign", "g1", "00:19.0", NULL);
        harness_ptctl_refused(h, "belongs to guest g1, which is running", "reset", "02:00.0", NULL);

        g_autofree char *out = NULL;
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "stop", "g1", NULL), ==, 0);
        g_assert_cmpstr(out, ==, "Guest g1 stopped\n");
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
        /* Home to the recorded driver by name, not a reprobe. */
        g_assert_true(harness_log_contains(h, "write bus/pci/drivers/nvme/bind \"0000:02:00.0\""));
        assert_state(h, "0000:02:00.0", "host");
        assert_guest(h, "g1", "stopped");
        harness_ptctl_refused(h, "guest g1 is not running", "stop", "g1", NULL);
        g_autofree char *name = harness_manager_call_error(h, "StopGuest", g_variant_new("(s)", "g1"));
        g_assert_cmpstr(name, ==, "org.passthru1.Error.GuestNotRunning");
        harness_ptctl_refused(h, "no guest nosuch", "start", "nosuch", NULL);
        harness_ptctl_refused(h, "invalid guest name", "start", "'bad/name'", NULL);
}

static void test_unmanaged(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ptctl_ok(h, "assign", "g1", "00:19.0", "--unmanaged", NULL);
        harness_ptctl_refused(h, "device 0000:00:19.0 is still attached to host driver e1000e", "start", "g1", NULL);
        g_autofree char *name = harness_manager_call_error(h, "StartGuest", g_variant_new("(s)", "g1"));
        g_assert_cmpstr(name, ==, "org.passthru1.Error.StillAttached");
        harness_assert_driver(h, "0000:00:19.0", "e1000e", NULL);
        assert_guest(h, "g1", "stopped");

        /* The admin detaches it by hand, as unmanaged means. */
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:00:19.0/driver_override", "vfio-pci"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/e1000e/unbind", "0000:00:19.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers_probe", "0000:00:19.0"), ==, 0);
        harness_ptctl_ok(h, "start", "g1", NULL);
        g_assert_true(harness_log_contains(h, "reset 0000:00:19.0 pm"));
        harness_ptctl_ok(h, "stop", "g1", NULL);
        harness_assert_driver(h, "0000:00:19.0", "vfio-pci", "vfio-pci");
        assert_state(h, "0000:00:19.0", "claimed");
}

/* An admin's pinned driver_override (driverctl set-override, or a device parked on pci-stub) is put back as it
 * was at stop, not just cleared. */
static void test_original_override(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:03:00.0/driver_override", "pci-stub"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers_probe", "0000:03:00.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:00:19.0/driver_override", "e1000e"), ==, 0);
        harness_ptctl_ok(h, "assign", "g1", "03:00.0", NULL);
        harness_ptctl_ok(h, "assign", "g2", "00:19.0", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_ptctl_ok(h, "start", "g2", NULL);
        harness_assert_driver(h, "0000:03:00.0", "vfio-pci", "vfio-pci");
        harness_assert_driver(h, "0000:00:19.0", "vfio-pci", "vfio-pci");
        harness_ptctl_ok(h, "stop", "g1", NULL);
        harness_ptctl_ok(h, "stop", "g2", NULL);
        harness_assert_driver(h, "0000:03:00.0", "pci-stub", "pci-stub");
        harness_assert_driver(h, "0000:00:19.0", "e1000e", "e1000e");
}

/* libvirt's qemu hook: prepare starts the guest's passthrough, release stops it, unknown guests pass. */
static int hook(Harness *h, const char *guest, const char *operation, char **err) {
        g_autofree char *script = g_build_filename(g_getenv("PT_SOURCE_DIR"), "toolstack", "libvirt-hook-qemu", NULL);
        g_autofree char *cmd = g_strdup_printf("PT_HOOK_STATE_DIR='%s/hook-state' exec '%s' '%s' '%s' begin -",
                                               h->tmpdir, script, guest, operation);
        const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
        return harness_spawn(h, argv, NULL, NULL, err);
}

static void test_libvirt_hook(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ptctl_ok(h, "assign", "vm1", "02:00.0", NULL);
        g_assert_cmpint(hook(h, "vm1", "prepare", NULL), ==, 0);
        harness_assert_driver(h, "0000:02:00.0", "vfio-pci", "vfio-pci");
        assert_guest(h, "vm1", "running");
        g_assert_cmpint(hook(h, "vm1", "started", NULL), ==, 0);
        /* With the pid libvirt records for QEMU, "started" leases the guest to it: QEMU killed with no release,
         * passthrud stops the guest. */
        g_autofree char *run = g_build_filename(h->tmpdir, "libvirt-qemu", NULL);
        g_autofree char *pidfile = g_build_filename(run, "vm1.pid", NULL);
        const char *sleeper[] = { "/bin/sleep", "600", NULL };
        GPid qemu;
        g_assert_true(g_spawn_async(NULL, (char **) sleeper, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                    die_with_test, NULL, &qemu, NULL));
        g_assert_cmpint(g_mkdir_with_parents(run, 0755), ==, 0);
        g_autofree char *pidtext = g_strdup_printf("%d", (int) qemu);
        g_assert_true(g_file_set_contents(pidfile, pidtext, -1, NULL));
        g_autofree char *script = g_build_filename(g_getenv("PT_SOURCE_DIR"), "toolstack", "libvirt-hook-qemu", NULL);
        g_autofree char *cmd = g_strdup_printf("PT_HOOK_STATE_DIR='%s/hook-state' PT_LIBVIRT_RUN_DIR='%s' exec '%s' vm1 "
                                               "started begin -", h->tmpdir, run, script);
        const char *started[] = { "/bin/sh", "-c", cmd, NULL };
        g_assert_cmpint(harness_spawn(h, started, NULL, NULL, NULL), ==, 0);
        kill(qemu, SIGKILL);
        waitpid(qemu, NULL, 0);
        for (int i = 0; i < 500; i++) {
                g_autofree char *now = harness_guest_state(h, "vm1");
                if (g_strcmp0(now, "stopped") == 0)
                        break;
                g_usleep(20000);
        }
        assert_guest(h, "vm1", "stopped");
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
        /* libvirt's release comes later, or never: nothing left to do. */
        g_assert_cmpint(hook(h, "vm1", "prepare", NULL), ==, 0);
        g_assert_cmpint(hook(h, "vm1", "release", NULL), ==, 0);
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
        assert_guest(h, "vm1", "stopped");
        /* libvirt releases after a failed start too. */
        g_assert_cmpint(hook(h, "vm1", "release", NULL), ==, 0);
        g_assert_cmpint(hook(h, "other", "prepare", NULL), ==, 0);
        /* A refusal stops libvirt from starting the guest, saying why. */
        harness_ptctl_ok(h, "assign", "vm2", "00:19.0", "--unmanaged", NULL);
        g_autofree char *err = NULL;
        g_assert_cmpint(hook(h, "vm2", "prepare", &err), ==, 1);
        g_assert_nonnull(strstr(err, "device 0000:00:19.0 is still attached to host driver e1000e"));
        /* A guest running for someone else (started with ptctl): libvirt's start is refused, and the release libvirt
         * runs after it leaves that guest's devices where they are. */
        harness_ptctl_ok(h, "unassign", "vm1", NULL);
        harness_ptctl_ok(h, "assign", "vm3", "02:00.0", NULL);
        harness_ptctl_ok(h, "start", "vm3", NULL);
        g_autofree char *err3 = NULL;
        g_assert_cmpint(hook(h, "vm3", "prepare", &err3), ==, 1);
        g_assert_nonnull(strstr(err3, "guest vm3 is already running"));
        g_assert_cmpint(hook(h, "vm3", "release", NULL), ==, 0);
        assert_guest(h, "vm3", "running");
        harness_assert_driver(h, "0000:02:00.0", "vfio-pci", "vfio-pci");
        harness_ptctl_ok(h, "stop", "vm3", NULL);
}

typedef struct Injection {
        const char *ctl, *says, *error;
} Injection;

static void test_rollback(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        static const Injection injections[] = {
                { "fail 0000:02:00.0/driver_override EIO", "setting driver_override of 0000:02:00.0 to vfio-pci",
                  "BindFailed" },
                { "fail drivers/nvme/unbind EBUSY", "unbinding 0000:02:00.0 from nvme", "BindFailed" },
                /* drivers_probe is one file for the bus: whichever device's lane probes first meets the failure. */
                { "fail bus/pci/drivers_probe ENOMEM", "Cannot allocate memory; everything done so far was undone",
                  "BindFailed" },
                { "fail 0000:02:00.0/reset_method EINVAL", "selecting reset method flr for 0000:02:00.0",
                  "ResetFailed" },
                { "fail 0000:02:00.0/reset EIO", "reset of 0000:02:00.0 failed", "ResetFailed" },
        };
        /* 01:00.0 goes first: every failure on 02:00.0 has a completed device to undo. */
        harness_ptctl_ok(h, "assign", "g1", "02:00.0", "01:00.0", NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(injections); i++) {
                g_test_message("injecting: %s", injections[i].ctl);
                harness_ctl(h, "%s", injections[i].ctl);
                harness_ptctl_refused(h, injections[i].says, "start", "g1", NULL);
                harness_assert_driver(h, "0000:01:00.0", "igb", NULL);
                harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
                assert_guest(h, "g1", "stopped");
                assert_state(h, "0000:01:00.0", "host");
                harness_ctl(h, "clear");
                harness_ctl(h, "%s", injections[i].ctl);
                g_autofree char *name = harness_manager_call_error(h, "StartGuest", g_variant_new("(s)", "g1"));
                g_autofree char *want = g_strconcat("org.passthru1.Error.", injections[i].error, NULL);
                g_assert_cmpstr(name, ==, want);
                harness_ctl(h, "clear");
        }
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_assert_driver(h, "0000:01:00.0", "vfio-pci", "vfio-pci");
        harness_ptctl_ok(h, "stop", "g1", NULL);
        harness_assert_driver(h, "0000:01:00.0", "igb", NULL);
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
}

typedef struct Pending {
        gboolean done;
        char *error;
} Pending;

static void on_reply(GObject *source, GAsyncResult *res, gpointer data) {
        Pending *p = data;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        p->error = r ? NULL : g_dbus_error_get_remote_error(error);
        p->done = TRUE;
}

static const char *const short_timeout[] = { "--write-timeout", "1", NULL };

/* passthrud with a 1 s write timeout, and guest g1's start under way, its unbind of 02:00.0 from nvme blocked. */
static Harness *start_blocked(Pending *p) {
        Harness *h = harness_new("standard.topo");
        harness_start_daemon(h, short_timeout);
        harness_ptctl_ok(h, "assign", "g1", "02:00.0", NULL);
        harness_ctl(h, "block drivers/nvme/unbind");
        g_dbus_connection_call(h->conn, "org.passthru1", "/org/passthru1", "org.passthru1.Manager", "StartGuest",
                               g_variant_new("(s)", "g1"), NULL, G_DBUS_CALL_FLAGS_NONE, 60000, NULL, on_reply, p);
        while (!harness_log_contains(h, "block bus/pci/drivers/nvme/unbind"))
                g_main_context_iteration(NULL, FALSE);
        return h;
}

static void test_blocking_unbind(gconstpointer data) {
        Pending p = {};
        Harness *h = start_blocked(&p);
        /* While the unbind blocks, the bus answers. */
        g_autoptr(JsonNode) status = harness_ptctl_json(h, "status", "--json", NULL);
        g_assert_false(p.done);
        assert_guest(h, "g1", "starting");
        while (!p.done)
                g_main_context_iteration(NULL, TRUE);
        g_assert_cmpstr(p.error, ==, "org.passthru1.Error.Timeout");
        g_free(p.error);
        assert_state(h, "0000:02:00.0", "stuck");
        assert_guest(h, "g1", "stopped");
        harness_ptctl_refused(h, "0000:02:00.0 is stuck", "start", "g1", NULL);
        harness_ptctl_refused(h, "0000:02:00.0 is stuck (a write to it timed out)", "hide", "02:00.0", NULL);

        /* The driver lets go in the end; a reset clears the device and sends it home. */
        harness_ctl(h, "release drivers/nvme/unbind");
        g_assert_true(harness_wait_property(h, "0000:02:00.0", "Driver", ""));
        g_autofree char *out = NULL;
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "reset", "02:00.0", NULL), ==, 0);
        g_assert_cmpstr(out, ==, "Reset 02:00.0 (flr)\n");
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
        assert_state(h, "0000:02:00.0", "host");
        harness_stop_daemon(h);
        harness_free(h);
}

/* SIGTERM while a write blocks: passthrud lets the operation time out and finish, exits 0, and at the next start
 * sends the device the blocked write left behind home. */
static void test_sigterm_while_blocked(gconstpointer data) {
        Pending p = {};
        Harness *h = start_blocked(&p);
        harness_stop_daemon(h); /* fails the test unless it exits 0 */
        while (!p.done)
                g_main_context_iteration(NULL, TRUE);
        g_free(p.error);

        harness_ctl(h, "release drivers/nvme/unbind");
        harness_start_daemon(h, short_timeout);
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
        g_assert_true(harness_wait_property(h, "0000:02:00.0", "State", "host"));
        g_autofree char *state = harness_guest_state(h, "g1");
        g_assert_cmpstr(state, ==, "stopped");
        harness_stop_daemon(h);
        harness_free(h);
}

static void test_offbus_after_reset(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ptctl_ok(h, "assign", "g1", "01:00.0", "02:00.0", NULL);
        harness_ctl(h, "offbus-after-reset 0000:02:00.0");
        harness_ptctl_refused(h, "0000:02:00.0 does not answer after its flr reset", "start", "g1", NULL);
        harness_assert_driver(h, "0000:01:00.0", "igb", NULL);
        /* Not handed to a host driver while it does not answer: it keeps its stub and its record. */
        harness_assert_driver(h, "0000:02:00.0", "vfio-pci", "vfio-pci");
        assert_state(h, "0000:02:00.0", "failed");
        harness_ptctl_refused(h, "0000:02:00.0 does not answer", "start", "g1", NULL);

        harness_ctl(h, "onbus 0000:02:00.0");
        harness_ptctl_ok(h, "reset", "02:00.0", NULL);
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
        assert_state(h, "0000:02:00.0", "host");
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_ptctl_ok(h, "stop", "g1", NULL);

        /* At stop: the guest is stopped, the device that fails its reset stays on the stub, the other goes home. */
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_ctl(h, "offbus-after-reset 0000:01:00.0");
        g_autofree char *name = harness_manager_call_error(h, "StopGuest", g_variant_new("(s)", "g1"));
        g_assert_cmpstr(name, ==, "org.passthru1.Error.ResetFailed");
        assert_guest(h, "g1", "stopped");
        harness_assert_driver(h, "0000:01:00.0", "vfio-pci", "vfio-pci");
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
        harness_ctl(h, "onbus 0000:01:00.0");
        harness_ptctl_ok(h, "reset", "01:00.0", NULL);
        harness_assert_driver(h, "0000:01:00.0", "igb", NULL);
}

static void test_reset_policies(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        /* Audio with no reset at all. */
        harness_ptctl_ok(h, "assign", "g1", "00:1b.0", NULL);
        harness_ptctl_refused(h, "0000:00:1b.0 has no usable reset: the kernel lists no reset method", "start", "g1", NULL);
        g_autofree char *name = harness_manager_call_error(h, "StartGuest", g_variant_new("(s)", "g1"));
        g_assert_cmpstr(name, ==, "org.passthru1.Error.NoReset");
        harness_assert_driver(h, "0000:00:1b.0", "snd_hda_intel", NULL);
        harness_ptctl_ok(h, "unassign", "g1", NULL);
        harness_ptctl_ok(h, "assign", "g1", "00:1b.0", "--reset-policy", "best-effort", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_assert_driver(h, "0000:00:1b.0", "vfio-pci", "vfio-pci");
        harness_ptctl_ok(h, "stop", "g1", NULL);
        harness_assert_driver(h, "0000:00:1b.0", "snd_hda_intel", NULL);
        g_autofree char *log = g_strdup(h->daemon_log);
        g_autofree char *text = NULL;
        g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
        g_assert_nonnull(strstr(text, "Not resetting 0000:00:1b.0 (reset policy best-effort)"));
        g_assert_nonnull(strstr(text, "Reset policy of 0000:00:1b.0 in guest g1 relaxed to best-effort"));

        /* Alone behind its root port, no FLR, PM keeps state: a bus reset, and it had no driver to go back to. */
        harness_ptctl_ok(h, "assign", "g2", "03:00.0", NULL);
        harness_ptctl_ok(h, "start", "g2", NULL);
        g_assert_true(harness_log_contains(h, "reset 0000:03:00.0 bus"));
        harness_ptctl_ok(h, "stop", "g2", NULL);
        harness_assert_driver(h, "0000:03:00.0", "", NULL);

        harness_ptctl_refused(h, "reset_policy must be strict, best-effort or none", "assign", "g3", "00:19.0",
                              "--reset-policy", "sometimes", NULL);
        harness_ptctl_refused(h, "driver must be a stub driver", "assign", "g3", "00:19.0", "--driver", "e1000e",
                              NULL);
        harness_ptctl_refused(h, "bound to host driver e1000e; passthrud resets only devices on a stub", "reset",
                              "00:19.0", NULL);
        harness_ptctl_refused(h, "no PCI device 0000:0f:00.0", "reset", "0f:00.0", NULL);
}

static void test_viability(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ptctl_ok(h, "assign", "g1", "06:00.0", "--group", NULL);
        harness_ptctl_ok(h, "unassign", "g1", "06:03.0", NULL);
        harness_ptctl_refused(h, "IOMMU group 9 is not viable: 0000:06:03.0 is bound to host driver e1000", "start",
                              "g1", NULL);
        g_autofree char *name = harness_manager_call_error(h, "StartGuest", g_variant_new("(s)", "g1"));
        g_assert_cmpstr(name, ==, "org.passthru1.Error.GroupNotViable");
        /* Hidden (idle on a stub), the member no longer endangers the host, and the Xen wiki's layout (the bridge's
         * other device hidden, the rest to the guest) starts; the hidden one stays hidden through the stop. */
        harness_ptctl_ok(h, "hide", "06:03.0", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_assert_driver(h, "0000:06:00.0", "vfio-pci", "vfio-pci");
        harness_ptctl_ok(h, "stop", "g1", NULL);
        harness_assert_driver(h, "0000:06:00.0", "e1000", NULL);
        harness_assert_driver(h, "0000:06:00.1", "e1000", NULL);
        harness_assert_driver(h, "0000:06:00.2", "e1000", NULL);
        harness_assert_driver(h, "0000:06:03.0", "vfio-pci", "vfio-pci");
        assert_guest(h, "g1", "stopped");
}

static void test_pciback(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ptctl_ok(h, "assign", "g1", "01:00.0", "--driver", "pciback", NULL);
        g_autoptr(JsonNode) started = harness_ptctl_json(h, "start", "g1", "--json", NULL);
        JsonObject *d = json_array_get_object_element(json_node_get_array(started), 0);
        g_assert_cmpstr(json_object_get_string_member(d, "driver"), ==, "pciback");
        harness_assert_driver(h, "0000:01:00.0", "pciback", "pciback");
        g_autofree char *slots = harness_read(h, "bus/pci/drivers/pciback/slots");
        g_assert_cmpstr(slots, ==, "0000:01:00.0");
        harness_ptctl_ok(h, "stop", "g1", NULL);
        harness_assert_driver(h, "0000:01:00.0", "e1000e", NULL);
        g_autofree char *after = harness_read(h, "bus/pci/drivers/pciback/slots");
        g_assert_cmpstr(after, ==, "");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, topo, fn) \
        g_test_add(path, Fixture, topo, harness_fixture_setup, fn, harness_fixture_teardown)
        ADD("/lifecycle/start-stop", "standard.topo", test_start_stop);
        ADD("/lifecycle/unmanaged", "standard.topo", test_unmanaged);
        ADD("/lifecycle/original-override", "standard.topo", test_original_override);
        ADD("/lifecycle/rollback", "standard.topo", test_rollback);
        g_test_add_data_func("/lifecycle/blocking-unbind", NULL, test_blocking_unbind);
        g_test_add_data_func("/lifecycle/sigterm-while-blocked", NULL, test_sigterm_while_blocked);
        ADD("/lifecycle/offbus-after-reset", "standard.topo", test_offbus_after_reset);
        ADD("/lifecycle/reset-policies", "standard.topo", test_reset_policies);
        ADD("/lifecycle/viability", "standard.topo", test_viability);
        ADD("/lifecycle/pciback", "xen.topo", test_pciback);
        ADD("/lifecycle/libvirt-hook", "standard.topo", test_libvirt_hook);
        return harness_run();
}
