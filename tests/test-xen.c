/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A Xen dom0 on the fake kernel, with a stand-in xl that logs what it is asked: Xen's ownership follows the
 * pciback binding (quarantined on claim, out of quarantine before dom0's driver gets the device back), a device
 * a domU still has is not given back to dom0, and the Xen facts are asked again when they were not known. */
#include <string.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "harness.h"

typedef struct Fixture {
        Harness *h;
        char *xl, *calls, *domu;
} Fixture;

/* xl as passthrud uses it: info, pci-assignable-add/-remove (the remove fails while the marker file says domU
 * "pv1" has 0000:01:00.0), list and pci-list. */
static const char xl_script[] =
        "#!/bin/sh\n"
        "echo \"$*\" >> '%s'\n"
        "domu='%s'\n"
        "case \"$1\" in\n"
        "info) [ -f \"$domu.noinfo\" ] && exit 1\n"
        "      echo 'xen_major              : 4'; echo 'xen_minor              : 17'\n"
        "      echo 'virt_caps              : pv hvm hvm_directio pv_directio' ;;\n"
        "pci-assignable-add) exit 0 ;;\n"
        "pci-assignable-remove) if [ -f \"$domu\" ]; then echo \"libxl: error: failed to de-quarantine $2\" >&2; exit 1; fi ;;\n"
        "list) echo 'Name ID Mem VCPUs State Time(s)'; echo 'Domain-0 0 400 1 r----- 1.0'\n"
        "      [ -f \"$domu\" ] && echo 'pv1 3 128 1 -b---- 0.5' ;;\n"
        "pci-list) echo 'Vdev Device'; [ -f \"$domu\" ] && [ \"$2\" = pv1 ] && echo '00.0 0000:01:00.0' ;;\n"
        "esac\n"
        "exit 0\n";

static void setup(Fixture *f, gconstpointer data) {
        f->h = harness_new("xen.topo");
        g_autofree char *proc = g_build_filename(f->h->tmpdir, "proc", NULL);
        g_autofree char *xen = g_build_filename(proc, "xen", NULL);
        g_autofree char *caps = g_build_filename(xen, "capabilities", NULL);
        g_mkdir_with_parents(xen, 0755);
        g_assert_true(g_file_set_contents(caps, "control_d\n", -1, NULL));
        f->xl = g_build_filename(f->h->tmpdir, "xl", NULL);
        f->calls = g_build_filename(f->h->tmpdir, "xl.calls", NULL);
        f->domu = g_build_filename(f->h->tmpdir, "domu", NULL);
        g_autofree char *script = g_strdup_printf(xl_script, f->calls, f->domu);
        g_assert_true(g_file_set_contents(f->xl, script, -1, NULL));
        g_assert_cmpint(chmod(f->xl, 0755), ==, 0);
        const char *args[] = { "--proc-root", proc, "--xl", f->xl, NULL };
        harness_start_daemon(f->h, args);
}

static void teardown(Fixture *f, gconstpointer data) {
        harness_free(f->h);
        g_free(f->xl);
        g_free(f->calls);
        g_free(f->domu);
}

static char *calls(Fixture *f) {
        char *text = NULL;
        if (!g_file_get_contents(f->calls, &text, NULL, NULL))
                return g_strdup("");
        return text;
}

static void forget_calls(Fixture *f) {
        g_assert_true(g_file_set_contents(f->calls, "", -1, NULL));
}

static void test_quarantine(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        forget_calls(f);
        harness_ptctl_ok(h, "assign", "g1", "01:00.0", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_assert_driver(h, "0000:01:00.0", "pciback", "pciback");
        g_autofree char *started = calls(f);
        g_assert_nonnull(strstr(started, "pci-assignable-add 0000:01:00.0\n"));

        /* The domU still has it (no xl destroy yet): not given back to dom0, and the stop says why. */
        g_assert_true(g_file_set_contents(f->domu, "", -1, NULL));
        harness_ptctl_refused(h, "0000:01:00.0 is still assigned to Xen domain pv1; destroy the domain or run "
                              "'xl pci-detach pv1 0000:01:00.0' first", "stop", "g1", NULL);
        harness_assert_driver(h, "0000:01:00.0", "pciback", NULL);
        /* Destroyed: a later reset finishes sending it home, out of quarantine first. */
        g_assert_cmpint(g_unlink(f->domu), ==, 0);
        forget_calls(f);
        harness_ptctl_ok(h, "reset", "01:00.0", NULL);
        harness_assert_driver(h, "0000:01:00.0", "e1000e", NULL);
        g_autofree char *released = calls(f);
        g_assert_nonnull(strstr(released, "pci-assignable-remove 0000:01:00.0\n"));

        /* The hide pool likewise. */
        forget_calls(f);
        harness_ptctl_ok(h, "hide", "01:00.0", NULL);
        harness_ptctl_ok(h, "unhide", "01:00.0", NULL);
        harness_assert_driver(h, "0000:01:00.0", "e1000e", NULL);
        g_autofree char *pool = calls(f);
        g_assert_nonnull(strstr(pool, "pci-assignable-add 0000:01:00.0\npci-assignable-remove 0000:01:00.0\n"));
}

static void test_stop_returns(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ptctl_ok(h, "assign", "g1", "01:00.0", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);
        forget_calls(f);
        harness_ptctl_ok(h, "stop", "g1", NULL);
        harness_assert_driver(h, "0000:01:00.0", "e1000e", NULL);
        g_autofree char *stopped = calls(f);
        g_assert_nonnull(strstr(stopped, "pci-assignable-remove 0000:01:00.0\n"));
        /* A crash between the domU's end and the stop: recovery does the same. */
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_ctl(h, "crash 0000:01:00.0/driver_override");
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "stop", "g1", NULL), !=, 0);
        harness_ctl(h, "clear");
        forget_calls(f);
        g_autofree char *proc = g_build_filename(h->tmpdir, "proc", NULL);
        const char *again[] = { "--proc-root", proc, "--xl", f->xl, NULL };
        harness_start_daemon(h, again);
        harness_assert_driver(h, "0000:01:00.0", "e1000e", NULL);
        g_autofree char *recovered = calls(f);
        g_assert_nonnull(strstr(recovered, "pci-assignable-remove 0000:01:00.0\n"));
}

/* A guest leased to its Xen domain is stopped by passthrud when xl no longer lists the domain. */
static void test_domain_lease(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ptctl_ok(h, "assign", "g1", "01:00.0", NULL);
        harness_ptctl_refused(h, "guest g1 is stopped", "set-owner", "g1", "--xen-domain", "pv1", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_ptctl_refused(h, "xl lists no Xen domain pv1", "set-owner", "g1", "--xen-domain", "pv1", NULL);
        g_assert_true(g_file_set_contents(f->domu, "", -1, NULL));
        harness_ptctl_ok(h, "set-owner", "g1", "--xen-domain", "pv1", NULL);
        /* Asked again and again: still there after several rounds. */
        g_usleep(7 * G_USEC_PER_SEC);
        g_autofree char *alive = harness_guest_state(h, "g1");
        g_assert_cmpstr(alive, ==, "running");
        /* Xen's view, next to the driver link. */
        g_autofree char *shown = NULL;
        g_assert_cmpint(harness_ptctl(h, &shown, NULL, "show", "01:00.0", NULL), ==, 0);
        g_assert_nonnull(strstr(shown, "Xen:             assigned to Xen domain pv1\n"));
        g_autofree char *out = NULL;
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "guest", "g1", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "owner Xen domain pv1, alive"));
        /* xl destroy pv1, and nobody calls ptctl stop. */
        g_assert_cmpint(g_unlink(f->domu), ==, 0);
        for (int i = 0; i < 600; i++) {
                g_autofree char *state = harness_guest_state(h, "g1");
                if (g_strcmp0(state, "stopped") == 0)
                        break;
                g_usleep(20000);
        }
        g_autofree char *state = harness_guest_state(h, "g1");
        g_assert_cmpstr(state, ==, "stopped");
        harness_assert_driver(h, "0000:01:00.0", "e1000e", NULL);
        g_autofree char *log = NULL;
        g_assert_true(g_file_get_contents(h->daemon_log, &log, NULL, NULL));
        g_assert_nonnull(strstr(log, "Owner of guest g1 (Xen domain pv1) is gone without stopping it"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add("/xen/quarantine", Fixture, NULL, setup, test_quarantine, teardown);
        g_test_add("/xen/stop-returns", Fixture, NULL, setup, test_stop_returns, teardown);
        g_test_add("/xen/domain-lease", Fixture, NULL, setup, test_domain_lease, teardown);
        return harness_run();
}
