/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fake kernel answers sysfs writes the way the kernel does, and its injections work: the later lifecycle
 * tests trust both. No daemon here: the writes come from the test itself. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

typedef struct {
        Harness *h;
} Fixture;

static void setup(Fixture *f, gconstpointer topology) {
        f->h = harness_new(topology);
}

static void teardown(Fixture *f, gconstpointer data) {
        harness_free(f->h);
}

static char *driver_of(Harness *h, const char *bdf) {
        g_autofree char *rel = g_strdup_printf("bus/pci/devices/%s/driver", bdf);
        g_autofree char *p = g_build_filename(h->sys, rel, NULL);
        g_autofree char *target = g_file_read_link(p, NULL);
        return target ? g_path_get_basename(target) : NULL;
}

static void test_bind_unbind(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_autofree char *d0 = driver_of(h, "0000:03:00.0");
        g_assert_null(d0);

        /* vfio-pci has no ID table: without an override it matches nothing. */
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/vfio-pci/bind", "0000:03:00.0"), ==, -ENODEV);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:03:00.0/driver_override", "vfio-pci\n"), ==, 0);
        g_autofree char *ov = harness_read(h, "bus/pci/devices/0000:03:00.0/driver_override");
        g_assert_cmpstr(ov, ==, "vfio-pci");
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/vfio-pci/bind", "0000:03:00.0\n"), ==, 0);
        g_autofree char *d1 = driver_of(h, "0000:03:00.0");
        g_assert_cmpstr(d1, ==, "vfio-pci");
        g_assert_true(g_file_test(g_build_filename(h->sys, "bus/pci/drivers/vfio-pci/0000:03:00.0", NULL),
                                  G_FILE_TEST_EXISTS));

        /* Bound already: EBUSY. Unbinding through the wrong driver: ENODEV. Unknown device: ENODEV. */
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/vfio-pci/bind", "0000:03:00.0"), ==, -EBUSY);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/e1000e/unbind", "0000:03:00.0"), ==, -ENODEV);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/vfio-pci/unbind", "0000:09:00.0"), ==, -ENODEV);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/vfio-pci/unbind", "0000:03:00.0"), ==, 0);
        g_autofree char *d2 = driver_of(h, "0000:03:00.0");
        g_assert_null(d2);

        /* The override keeps host drivers away even from a device their table matches. */
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/e1000e/unbind", "0000:00:19.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:00:19.0/driver_override", "pci-stub"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/e1000e/bind", "0000:00:19.0"), ==, -ENODEV);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers_probe", "0000:00:19.0"), ==, 0);
        g_autofree char *d3 = driver_of(h, "0000:00:19.0");
        g_assert_cmpstr(d3, ==, "pci-stub");
        /* Clearing the override and reprobing brings the host driver back. */
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/pci-stub/unbind", "0000:00:19.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:00:19.0/driver_override", "\n"), ==, 0);
        g_autofree char *ov2 = harness_read(h, "bus/pci/devices/0000:00:19.0/driver_override");
        g_assert_cmpstr(ov2, ==, "(null)");
        g_assert_cmpint(harness_write(h, "bus/pci/drivers_probe", "0000:00:19.0"), ==, 0);
        g_autofree char *d4 = driver_of(h, "0000:00:19.0");
        g_assert_cmpstr(d4, ==, "e1000e");
        g_assert_cmpint(harness_write(h, "bus/pci/drivers_probe", "0000:0f:00.0"), ==, -ENODEV);
}

static void test_new_id_is_global(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        /* new_id grabs every unbound device with that ID, not just the one meant: why we never use it. */
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/e1000/unbind", "0000:06:00.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/e1000/unbind", "0000:06:00.1"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/pci-stub/new_id", "8086 1079"), ==, 0);
        g_autofree char *a = driver_of(h, "0000:06:00.0"), *b = driver_of(h, "0000:06:00.1");
        g_assert_cmpstr(a, ==, "pci-stub");
        g_assert_cmpstr(b, ==, "pci-stub");
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/pci-stub/new_id", "8086 1079"), ==, -EEXIST);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/pci-stub/remove_id", "8086 1079"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/pci-stub/remove_id", "8086 1079"), ==, -ENODEV);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/pci-stub/new_id", "zz"), ==, -EINVAL);
}

static void test_remove_rescan_loses_override(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/e1000/unbind", "0000:06:03.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:06:03.0/driver_override", "vfio-pci"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers_probe", "0000:06:03.0"), ==, 0);
        g_autofree char *d0 = driver_of(h, "0000:06:03.0");
        g_assert_cmpstr(d0, ==, "vfio-pci");
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:06:03.0/remove", "1"), ==, 0);
        g_assert_false(g_file_test(g_build_filename(h->sys, "bus/pci/devices/0000:06:03.0", NULL), G_FILE_TEST_EXISTS));
        g_assert_cmpint(harness_write(h, "bus/pci/rescan", "1"), ==, 0);
        /* A new pci_dev: no override, so the host driver takes it back. */
        g_autofree char *ov = harness_read(h, "bus/pci/devices/0000:06:03.0/driver_override");
        g_assert_cmpstr(ov, ==, "(null)");
        g_autofree char *d1 = driver_of(h, "0000:06:03.0");
        g_assert_cmpstr(d1, ==, "e1000");

        /* Removing a bridge takes everything behind it. */
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:00:1e.0/remove", "1"), ==, 0);
        g_assert_false(g_file_test(g_build_filename(h->sys, "bus/pci/devices/0000:06:00.2", NULL), G_FILE_TEST_EXISTS));
        g_assert_cmpint(harness_write(h, "bus/pci/rescan", "1"), ==, 0);
        g_assert_true(g_file_test(g_build_filename(h->sys, "bus/pci/devices/0000:06:00.2", NULL), G_FILE_TEST_EXISTS));
}

static void test_reset(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_autofree char *m = harness_read(h, "bus/pci/devices/0000:01:00.0/reset_method");
        g_assert_cmpstr(m, ==, "flr pm bus");
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:01:00.0/reset", "1"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:01:00.0/reset_method", "bus"), ==, 0);
        g_autofree char *m2 = harness_read(h, "bus/pci/devices/0000:01:00.0/reset_method");
        g_assert_cmpstr(m2, ==, "bus");
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:01:00.0/reset_method", "af_flr"), ==, -EINVAL);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:01:00.0/reset_method", "wiggle"), ==, -EINVAL);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:01:00.0/reset_method", "\n"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:01:00.0/reset", "1"), ==, -ENOTTY);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:01:00.0/reset_method", "default"), ==, 0);
        g_autofree char *m3 = harness_read(h, "bus/pci/devices/0000:01:00.0/reset_method");
        g_assert_cmpstr(m3, ==, "flr pm bus");

        /* No reset method at all: no reset file, like the kernel. */
        g_assert_false(g_file_test(g_build_filename(h->sys, "bus/pci/devices/0000:00:1b.0/reset", NULL),
                                   G_FILE_TEST_EXISTS));
        /* Only the sole device on a bus gets "bus"; multifunction siblings do not. */
        g_autofree char *m4 = harness_read(h, "bus/pci/devices/0000:06:00.0/reset_method");
        g_assert_cmpstr(m4, ==, "pm");

        g_autofree char *log = harness_read(h, "fakekernel/log");
        g_assert_nonnull(strstr(log, "reset 0000:01:00.0 flr"));
}

static void test_off_bus_after_reset(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ctl(h, "offbus-after-reset 0000:02:00.0");
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:02:00.0/reset", "1"), ==, 0);
        g_autofree char *p = g_build_filename(h->sys, "bus/pci/devices/0000:02:00.0/config", NULL);
        g_autofree guchar *cfg = NULL;
        gsize len;
        g_assert_true(g_file_get_contents(p, (char **) &cfg, &len, NULL));
        g_assert_cmpuint(len, ==, 4096);
        for (gsize i = 0; i < len; i++)
                g_assert_cmphex(cfg[i], ==, 0xff);
        /* A device that never answers cannot be reset again. */
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:02:00.0/reset", "1"), ==, -ENOTTY);
        harness_ctl(h, "onbus 0000:02:00.0");
        g_autofree guchar *cfg2 = NULL;
        g_assert_true(g_file_get_contents(p, (char **) &cfg2, &len, NULL));
        g_assert_cmphex(cfg2[0], ==, 0x4d); /* 144d */
}

static void test_sriov(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:01:00.0/sriov_numvfs", "3"), ==, -EBUSY);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:01:00.0/sriov_numvfs", "8"), ==, -ERANGE);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:01:00.0/sriov_numvfs", "0"), ==, 0);
        g_assert_false(g_file_test(g_build_filename(h->sys, "bus/pci/devices/0000:01:00.1", NULL), G_FILE_TEST_EXISTS));
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/igb/unbind", "0000:01:00.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:01:00.0/sriov_numvfs", "2"), ==, -ENOENT);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers_probe", "0000:01:00.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:01:00.0/sriov_numvfs", "2"), ==, 0);
        g_autofree char *pf = g_file_read_link(g_build_filename(h->sys, "bus/pci/devices/0000:01:00.2/physfn", NULL), NULL);
        g_assert_nonnull(pf);
        g_assert_true(g_str_has_suffix(pf, "0000:01:00.0"));
}

static void test_inject_errno(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ctl(h, "fail drivers/e1000e/unbind EBUSY 2");
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/e1000e/unbind", "0000:00:19.0"), ==, -EBUSY);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/e1000e/unbind", "0000:00:19.0"), ==, -EBUSY);
        g_autofree char *d = driver_of(h, "0000:00:19.0");
        g_assert_cmpstr(d, ==, "e1000e"); /* a failed write changed nothing */
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/e1000e/unbind", "0000:00:19.0"), ==, 0);

        harness_ctl(h, "fail 0000:02:00.0/driver_override EIO 0");
        for (int i = 0; i < 3; i++)
                g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:02:00.0/driver_override", "vfio-pci"), ==, -EIO);
        harness_ctl(h, "clear");
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:02:00.0/driver_override", "vfio-pci"), ==, 0);
        g_assert_cmpint(harness_write(h, "fakekernel/ctl", "fail x ENOTANERRNO"), ==, -EINVAL);
        g_assert_cmpint(harness_write(h, "fakekernel/ctl", "bogus"), ==, -EINVAL);
        /* Read-only attributes refuse writes. */
        g_assert_cmpint(harness_write(h, "bus/pci/devices/0000:02:00.0/vendor", "0x1234"), ==, -EACCES);
}

typedef struct {
        Harness *h;
        int result;
} WriterThread;

static gpointer blocked_writer(gpointer data) {
        WriterThread *w = data;
        w->result = harness_write(w->h, "bus/pci/drivers/nvme/unbind", "0000:02:00.0");
        return NULL;
}

static void test_blocking_unbind(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        WriterThread w = { h, 1 };
        harness_ctl(h, "block drivers/nvme/unbind");
        GThread *t = g_thread_new("writer", blocked_writer, &w);
        g_usleep(300000);
        g_assert_cmpint(g_atomic_int_get(&w.result), ==, 1); /* still inside write() */
        /* Only that writer waits: the rest of sysfs answers. */
        g_autofree char *m = harness_read(h, "bus/pci/devices/0000:02:00.0/reset_method");
        g_assert_cmpstr(m, ==, "flr pm bus");
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/e1000e/unbind", "0000:00:19.0"), ==, 0);
        harness_ctl(h, "release drivers/nvme/unbind");
        g_thread_join(t);
        g_assert_cmpint(w.result, ==, 0);
        g_autofree char *d = driver_of(h, "0000:02:00.0");
        g_assert_null(d);
}

static void test_crash_between_steps(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        /* A writer is killed right after its unbind took effect: the device is left driverless, and the writer
         * never ran its next step. This is what the lifecycle's crash recovery is tested against. */
        harness_ctl(h, "crash drivers/e1000e/unbind after");
        pid_t pid = fork();
        if (pid == 0) {
                harness_write(h, "bus/pci/drivers/e1000e/unbind", "0000:00:19.0");
                harness_write(h, "bus/pci/devices/0000:00:19.0/driver_override", "vfio-pci");
                _exit(0);
        }
        int status;
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFSIGNALED(status));
        g_assert_cmpint(WTERMSIG(status), ==, SIGKILL);
        g_autofree char *d = driver_of(h, "0000:00:19.0");
        g_assert_null(d);
        g_autofree char *ov = harness_read(h, "bus/pci/devices/0000:00:19.0/driver_override");
        g_assert_cmpstr(ov, ==, "(null)");

        /* "before": killed without the write taking effect. */
        harness_ctl(h, "crash drivers/nvme/unbind before");
        pid = fork();
        if (pid == 0) {
                harness_write(h, "bus/pci/drivers/nvme/unbind", "0000:02:00.0");
                _exit(0);
        }
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFSIGNALED(status));
        g_autofree char *d2 = driver_of(h, "0000:02:00.0");
        g_assert_cmpstr(d2, ==, "nvme");
}

static void test_pciback(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_autofree char *hv = harness_read(h, "hypervisor/type");
        g_assert_cmpstr(hv, ==, "xen");
        g_assert_false(g_file_test(g_build_filename(h->sys, "bus/pci/devices/0000:01:00.0/iommu_group", NULL),
                                   G_FILE_TEST_EXISTS));
        /* pciback takes only seized slots (or an override). */
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/e1000e/unbind", "0000:01:00.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/pciback/bind", "0000:01:00.0"), ==, -ENODEV);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/pciback/new_slot", "0000:01:00.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/pciback/new_slot", "0000:01:00.0"), ==, 0);
        g_autofree char *slots = harness_read(h, "bus/pci/drivers/pciback/slots");
        g_assert_cmpstr(slots, ==, "0000:01:00.0");
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/pciback/bind", "0000:01:00.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/pciback/permissive", "0000:01:00.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/pciback/unbind", "0000:01:00.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/pciback/remove_slot", "0000:01:00.0"), ==, 0);
        g_assert_cmpint(harness_write(h, "bus/pci/drivers/pciback/remove_slot", "0000:01:00.0"), ==, -ENOENT);
        g_assert_true(g_file_test(g_build_filename(h->sys, "module/xen_pciback", NULL), G_FILE_TEST_IS_DIR));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, topo, fn) g_test_add(path, Fixture, topo, setup, fn, teardown)
        ADD("/fakekernel/bind-unbind", "standard.topo", test_bind_unbind);
        ADD("/fakekernel/new-id-is-global", "standard.topo", test_new_id_is_global);
        ADD("/fakekernel/remove-rescan", "standard.topo", test_remove_rescan_loses_override);
        ADD("/fakekernel/reset", "standard.topo", test_reset);
        ADD("/fakekernel/off-bus-after-reset", "standard.topo", test_off_bus_after_reset);
        ADD("/fakekernel/sriov", "standard.topo", test_sriov);
        ADD("/fakekernel/inject-errno", "standard.topo", test_inject_errno);
        ADD("/fakekernel/blocking-unbind", "standard.topo", test_blocking_unbind);
        ADD("/fakekernel/crash-between-steps", "standard.topo", test_crash_between_steps);
        ADD("/fakekernel/pciback", "xen.topo", test_pciback);
        return harness_run();
}
