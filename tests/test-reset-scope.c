/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reset scope on the fake kernel: the Xen wiki's bridge example (three functions given to a guest, the fourth
 * hidden) starts and stops with passthrud's own secondary bus reset, every function's header saved and restored;
 * a function that does not come back is marked failed; a host-used function in the scope stops it; a crash
 * with the bus in reset is recovered. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

typedef HarnessFixture Fixture;

static const char *const wiki[] = { "0000:06:00.0", "0000:06:00.1", "0000:06:00.2", NULL };

static char *daemon_log(Harness *h) {
        char *log = NULL;
        g_assert_true(g_file_get_contents(h->daemon_log, &log, NULL, NULL));
        return log;
}

/* A config-space dword of the device, as the fake kernel shows it now. */
static guint32 config_dword(Harness *h, const char *bdf, unsigned offset) {
        g_autofree char *path = g_strdup_printf("%s/bus/pci/devices/%s/config", h->sys, bdf);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        guint32 v = 0;
        g_assert_cmpint(pread(fd, &v, sizeof(v), offset), ==, sizeof(v));
        close(fd);
        return GUINT32_FROM_LE(v);
}

static guint sbr_count(Harness *h, const char *bdf) {
        g_autofree char *log = harness_read(h, "fakekernel/log");
        g_autofree char *needle = g_strdup_printf("sbr 0000:00:09.0 %s", bdf);
        guint n = 0;
        for (const char *p = log; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

static void test_wiki_flow(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        guint32 bar[3];
        for (int i = 0; i < 3; i++)
                bar[i] = config_dword(h, wiki[i], 0x10);
        /* The wiki: hide 06:03.0 too, give the guest the other three. */
        harness_ptctl_ok(h, "hide", "06:03.0", NULL);
        harness_ptctl_ok(h, "assign", "g", "06:00.0", "06:00.1", "06:00.2", NULL);
        g_autofree char *shown = NULL;
        g_assert_cmpint(harness_ptctl(h, &shown, NULL, "show", "06:00.1", NULL), ==, 0);
        g_assert_nonnull(strstr(shown, "bus reset (passthrud's) of 0000:00:09.0's secondary bus: 0000:06:00.0-2, "
                                       "0000:06:03.0"));
        g_autofree char *doctor = NULL;
        g_assert_cmpint(harness_ptctl(h, &doctor, NULL, "doctor", "g", NULL), ==, 0);
        g_assert_nonnull(strstr(doctor, "bus reset (passthrud's) of 0000:00:09.0's secondary bus"));

        harness_ptctl_ok(h, "start", "g", NULL);
        for (int i = 0; i < 3; i++) {
                harness_assert_driver(h, wiki[i], "vfio-pci", "vfio-pci");
                /* Reset once, its header back where it was. */
                g_assert_cmpuint(sbr_count(h, wiki[i]), ==, 1);
                g_assert_cmphex(config_dword(h, wiki[i], 0x10), ==, bar[i]);
                g_assert_cmphex(config_dword(h, wiki[i], 0x04) & 0xffff, ==, 0x0406);
        }
        g_assert_cmpuint(sbr_count(h, "0000:06:03.0"), ==, 1);
        /* The bridge let the bus go. */
        g_assert_cmphex((config_dword(h, "0000:00:09.0", 0x3c) >> 16) & 0x40, ==, 0);
        g_autofree char *log = daemon_log(h);
        g_assert_nonnull(strstr(log, "Bus reset of 0000:00:09.0's secondary bus: 0000:06:00.0, 0000:06:00.1, "
                                     "0000:06:00.2, 0000:06:03.0"));

        harness_ptctl_ok(h, "stop", "g", NULL);
        for (int i = 0; i < 3; i++) {
                harness_assert_driver(h, wiki[i], "e1000", NULL);
                g_assert_cmpuint(sbr_count(h, wiki[i]), ==, 2);
                g_assert_cmphex(config_dword(h, wiki[i], 0x10), ==, bar[i]);
        }
        /* The hidden sibling stays hidden. */
        harness_assert_driver(h, "0000:06:03.0", "vfio-pci", "vfio-pci");
        g_assert_true(harness_wait_property(h, "0000:06:03.0", "State", "hidden"));

        /* A scope reaching a device the host uses: refused, naming it, nothing touched. */
        harness_ptctl_ok(h, "unhide", "06:03.0", NULL);
        harness_assert_driver(h, "0000:06:03.0", "e1000", NULL);
        harness_ptctl_refused(h, "0000:06:03.0", "start", "g", NULL);
        harness_assert_driver(h, "0000:06:00.0", "e1000", NULL);
        g_assert_cmpuint(sbr_count(h, "0000:06:00.0"), ==, 2);
        harness_ptctl_ok(h, "unassign", "g", NULL);
}

static void test_group_flow(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        /* Assigning one without the others is refused, naming the host-used ones; --group takes all four. */
        harness_ptctl_refused(h, "must be co-assigned", "assign", "g", "06:00.0", NULL);
        harness_ptctl_ok(h, "assign", "g", "06:00.0", "--group", NULL);
        harness_ptctl_ok(h, "start", "g", NULL);
        harness_assert_driver(h, "0000:06:03.0", "vfio-pci", "vfio-pci");
        g_assert_cmpuint(sbr_count(h, "0000:06:03.0"), ==, 1);
        harness_ptctl_ok(h, "stop", "g", NULL);
        harness_assert_driver(h, "0000:06:03.0", "e1000", NULL);

        /* A PM-resettable function of a multifunction device is assigned alone. */
        harness_ptctl_ok(h, "assign", "solo", "00:05.2", NULL);
        harness_ptctl_ok(h, "start", "solo", NULL);
        g_assert_true(harness_log_contains(h, "reset 0000:00:05.2 pm"));
        harness_ptctl_ok(h, "stop", "solo", NULL);
}

static void test_dead_after_reset(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ptctl_ok(h, "hide", "06:03.0", NULL);
        harness_ptctl_ok(h, "assign", "g", "06:00.0", "06:00.1", "06:00.2", NULL);
        harness_ctl(h, "offbus-after-reset 0000:06:00.2");
        harness_ptctl_refused(h, "0000:06:00.2 does not answer after the bus reset of 0000:00:09.0", "start", "g",
                              NULL);
        /* All or nothing: the others go home; the dead one keeps its stub, marked failed. */
        harness_assert_driver(h, "0000:06:00.0", "e1000", NULL);
        harness_assert_driver(h, "0000:06:00.1", "e1000", NULL);
        harness_assert_driver(h, "0000:06:00.2", "vfio-pci", "vfio-pci");
        g_assert_true(harness_wait_property(h, "0000:06:00.2", "State", "failed"));
        g_assert_cmpstr(harness_guest_state(h, "g"), ==, "stopped");
}

static void test_crash_in_reset(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        guint32 bar = config_dword(h, "0000:06:00.0", 0x10);
        harness_ptctl_ok(h, "hide", "06:03.0", NULL);
        harness_ptctl_ok(h, "assign", "g", "06:00.0", "06:00.1", "06:00.2", NULL);
        /* passthrud dies right after asserting the bus reset: the bus stays held in reset. */
        harness_ctl(h, "crash 0000:00:09.0/config");
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "start", "g", NULL), !=, 0);
        g_assert_cmphex((config_dword(h, "0000:00:09.0", 0x3c) >> 16) & 0x40, ==, 0x40);
        g_assert_cmphex(config_dword(h, "0000:06:00.0", 0x10), ==, 0);
        harness_ctl(h, "clear");
        harness_start_daemon(h, NULL);
        /* Recovery: the bus let go, the headers back, the interrupted start rolled back. */
        g_assert_cmphex((config_dword(h, "0000:00:09.0", 0x3c) >> 16) & 0x40, ==, 0);
        g_assert_cmphex(config_dword(h, "0000:06:00.0", 0x10), ==, bar);
        for (int i = 0; i < 3; i++)
                harness_assert_driver(h, wiki[i], "e1000", NULL);
        harness_assert_driver(h, "0000:06:03.0", "vfio-pci", "vfio-pci");
        g_autofree char *log = daemon_log(h);
        g_assert_nonnull(strstr(log, "Recovery: the bus reset of 0000:00:09.0 was interrupted"));
        /* And the next start works. */
        harness_ptctl_ok(h, "start", "g", NULL);
        harness_ptctl_ok(h, "stop", "g", NULL);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, "bridge.topo", harness_fixture_setup, fn, harness_fixture_teardown)
        ADD("/reset-scope/wiki-flow", test_wiki_flow);
        ADD("/reset-scope/group-flow", test_group_flow);
        ADD("/reset-scope/dead-after-reset", test_dead_after_reset);
        ADD("/reset-scope/crash-in-reset", test_crash_in_reset);
        return harness_run();
}
