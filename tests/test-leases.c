/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Leases: a guest bound to its VMM process is stopped by passthrud when that process ends without a stop; across
 * a restart of passthrud too; and a reused PID (the same number, another start time) is not taken for the owner. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/prctl.h>

#include "harness.h"

/* A stand-in VMM must not outlive a failed test (nor hold its output open). */
static void die_with_test(gpointer data) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
}

typedef HarnessFixture Fixture;

/* A stand-in VMM: a process the test can kill. */
static GPid spawn_owner(void) {
        const char *argv[] = { "/bin/sleep", "600", NULL };
        GPid pid;
        g_autoptr(GError) error = NULL;
        g_assert_true(g_spawn_async(NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                    die_with_test, NULL, &pid, &error));
        return pid;
}

static void end_owner(GPid pid) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

static char *daemon_log(Harness *h) {
        char *log = NULL;
        g_assert_true(g_file_get_contents(h->daemon_log, &log, NULL, NULL));
        return log;
}

static gboolean wait_stopped(Harness *h, const char *guest) {
        for (int i = 0; i < 500; i++) {
                g_autofree char *state = harness_guest_state(h, guest);
                if (g_strcmp0(state, "stopped") == 0)
                        return TRUE;
                g_usleep(20000);
        }
        return FALSE;
}

static guint count(const char *text, const char *needle) {
        guint n = 0;
        for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

static void test_owner_dies(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        GPid owner = spawn_owner();
        g_autofree char *pid = g_strdup_printf("%d", (int) owner), *out = NULL;
        harness_ptctl_ok(h, "assign", "g1", "02:00.0", NULL);
        harness_ptctl_ok(h, "start", "g1", "--pid", pid, NULL);
        harness_assert_driver(h, "0000:02:00.0", "vfio-pci", "vfio-pci");
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "guest", "g1", NULL), ==, 0);
        g_autofree char *owned = g_strdup_printf("owner pid %s (sleep), alive", pid);
        g_assert_nonnull(strstr(out, owned));

        /* The VMM is killed; nobody calls stop. */
        end_owner(owner);
        g_assert_true(wait_stopped(h, "g1"));
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
        g_autofree char *log = daemon_log(h);
        g_autofree char *said = g_strdup_printf("Owner of guest g1 (pid %s) exited without stopping it", pid);
        g_assert_nonnull(strstr(log, said));
        /* The toolstack's late stop is told the guest is not running; the lease is gone. */
        harness_ptctl_refused(h, "guest g1 is not running", "stop", "g1", NULL);
        g_autoptr(JsonNode) g = harness_ptctl_json(h, "guest", "g1", "--json", NULL);
        g_assert_true(json_object_get_null_member(json_node_get_object(g), "owner"));

        /* A stop racing the owner's end happens once. */
        GPid second = spawn_owner();
        g_autofree char *pid2 = g_strdup_printf("%d", (int) second);
        harness_ptctl_ok(h, "start", "g1", "--pid", pid2, NULL);
        end_owner(second);
        (void) harness_ptctl(h, NULL, NULL, "stop", "g1", NULL);
        g_assert_true(wait_stopped(h, "g1"));
        g_usleep(300000);
        g_autofree char *log2 = daemon_log(h);
        g_assert_cmpuint(count(log2, "Guest g1 stopped"), ==, 2);
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
}

static void test_across_restart(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        GPid owner = spawn_owner();
        g_autofree char *pid = g_strdup_printf("%d", (int) owner);
        harness_ptctl_ok(h, "assign", "g1", "02:00.0", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_ptctl_ok(h, "set-owner", "g1", "--pid", pid, NULL);
        harness_stop_daemon(h);
        harness_start_daemon(h, NULL);
        g_autofree char *state = harness_guest_state(h, "g1");
        g_assert_cmpstr(state, ==, "running");
        end_owner(owner);
        g_assert_true(wait_stopped(h, "g1"));
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);

        /* Gone while passthrud was down. */
        GPid again = spawn_owner();
        g_autofree char *pid2 = g_strdup_printf("%d", (int) again);
        harness_ptctl_ok(h, "start", "g1", "--pid", pid2, NULL);
        harness_stop_daemon(h);
        end_owner(again);
        harness_start_daemon(h, NULL);
        g_assert_true(wait_stopped(h, "g1"));
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
        /* Refusals: no such process; a guest that is not running. */
        harness_ptctl_refused(h, "guest g1 is stopped", "set-owner", "g1", "--pid", "1", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_ptctl_refused(h, "no process 2147483647", "set-owner", "g1", "--pid", "2147483647", NULL);
        harness_ptctl_ok(h, "stop", "g1", NULL);

        /* A leased guest made of hot-attached devices: detaching the last one ends the guest and its lease. */
        GPid vmm = spawn_owner();
        g_autofree char *pid3 = g_strdup_printf("%d", (int) vmm);
        harness_ptctl_ok(h, "attach", "g2", "00:19.0", NULL);
        harness_ptctl_ok(h, "set-owner", "g2", "--pid", pid3, NULL);
        harness_ptctl_ok(h, "detach", "g2", "00:19.0", NULL);
        harness_ptctl_refused(h, "no guest g2", "guest", "g2", NULL);
        end_owner(vmm);
}

/* The same PID, another process: passthrud knows its owner by start time too (read here from a stand-in /proc). */
static void test_pid_reused(gconstpointer data) {
        Harness *h = harness_new("standard.topo");
        GPid owner = spawn_owner();
        g_autofree char *proc = g_build_filename(h->tmpdir, "proc", NULL);
        g_autofree char *dir = g_strdup_printf("%s/%d", proc, (int) owner);
        g_autofree char *stat = g_build_filename(dir, "stat", NULL), *comm = g_build_filename(dir, "comm", NULL);
        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_autofree char *line = g_strdup_printf("%d (qemu-system-x86) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 "
                                                "4242 0 0\n", (int) owner);
        g_assert_true(g_file_set_contents(stat, line, -1, NULL));
        g_assert_true(g_file_set_contents(comm, "qemu-system-x86\n", -1, NULL));
        const char *args[] = { "--proc-root", proc, NULL };
        harness_start_daemon(h, args);
        g_autofree char *pid = g_strdup_printf("%d", (int) owner);
        harness_ptctl_ok(h, "assign", "g1", "02:00.0", NULL);
        harness_ptctl_ok(h, "start", "g1", "--pid", pid, NULL);
        harness_stop_daemon(h);
        /* Another process has the number now (its start time differs). */
        g_autofree char *other = g_strdup_printf("%d (bash) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9999 0 0\n",
                                                 (int) owner);
        g_assert_true(g_file_set_contents(stat, other, -1, NULL));
        harness_start_daemon(h, args);
        g_assert_true(wait_stopped(h, "g1"));
        harness_assert_driver(h, "0000:02:00.0", "nvme", NULL);
        g_autofree char *log = daemon_log(h);
        g_assert_nonnull(strstr(log, "its PID is another process's now"));
        end_owner(owner);
        harness_free(h);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add("/leases/owner-dies", Fixture, "standard.topo", harness_fixture_setup, test_owner_dies,
                   harness_fixture_teardown);
        g_test_add("/leases/across-restart", Fixture, "standard.topo", harness_fixture_setup, test_across_restart,
                   harness_fixture_teardown);
        g_test_add_data_func("/leases/pid-reused", NULL, test_pid_reused);
        return harness_run();
}
