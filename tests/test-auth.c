/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Authorization: an unprivileged caller may list and show; every call that changes something is denied with
 * AccessDenied unless polkit (python-dbusmock's polkitd template on the private bus) allows
 * org.passthru1.manage. Root needs no polkit. polkit is asked asynchronously: a question that hangs holds up
 * nobody else. */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define NOBODY 65534

typedef struct Fixture {
        Harness *h;
        GPid polkit;
} Fixture;

static void become_nobody(gpointer data) {
        if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
                _exit(127);
}

static void mock_call(Fixture *f, const char *method, GVariant *params) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(f->h->conn, "org.freedesktop.PolicyKit1",
                                                            "/org/freedesktop/PolicyKit1/Authority",
                                                            "org.freedesktop.DBus.Mock", method, params, NULL,
                                                            G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
}

static gboolean polkit_on_bus(Fixture *f) {
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(f->h->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                            "org.freedesktop.DBus", "NameHasOwner",
                                                            g_variant_new("(s)", "org.freedesktop.PolicyKit1"),
                                                            G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                                            NULL);
        gboolean owned = FALSE;
        if (r)
                g_variant_get(r, "(b)", &owned);
        return owned;
}

static void setup(Fixture *f, gconstpointer with_polkit) {
        f->h = harness_new("standard.topo");
        /* uid 65534 must reach the private bus's socket. */
        g_assert_cmpint(chmod(f->h->tmpdir, 0755), ==, 0);
        if (with_polkit) {
                g_auto(GStrv) envp = g_environ_setenv(g_get_environ(), "DBUS_SYSTEM_BUS_ADDRESS", f->h->bus_address,
                                                       TRUE);
                const char *argv[] = { "/usr/bin/python3", "-m", "dbusmock", "--system", "--template", "polkitd",
                                       NULL };
                g_autoptr(GError) error = NULL;
                g_assert_true(g_spawn_async(NULL, (char **) argv, envp, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                            &f->polkit, &error));
                for (int i = 0; i < 1000 && !polkit_on_bus(f); i++)
                        g_usleep(10000);
                g_assert_true(polkit_on_bus(f));
        }
        harness_start_daemon(f->h, NULL);
}

static void teardown(Fixture *f, gconstpointer data) {
        if (f->polkit) {
                kill(f->polkit, SIGTERM);
                waitpid(f->polkit, NULL, 0);
        }
        harness_free(f->h);
}

static void test_polkit(Fixture *f, gconstpointer data) {
        g_autofree char *err = NULL;
        /* Reading is open. */
        g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, NULL, "list", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, NULL, "show", "02:00.0", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, NULL, "guests", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, NULL, "hidden", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, NULL, "can-migrate", "g1", NULL), ==, 0);

        /* Changing is polkit's to allow; it allows nothing yet. */
        static const char *const changes[][4] = {
                { "assign", "g1", "02:00.0", NULL }, { "hide", "00:19.0", NULL }, { "reset", "03:00.0", NULL },
                { "attach", "g2", "00:19.0", NULL },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(changes); i++) {
                g_clear_pointer(&err, g_free);
                g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, &err, changes[i][0], changes[i][1], changes[i][2], NULL), ==, 1);
                g_assert_nonnull(strstr(err, "not authorized to change passthrough (polkit action "
                                             "org.passthru1.manage)"));
        }
        harness_assert_driver(f->h, "0000:00:19.0", "e1000e", NULL);
        /* The error's name, as a toolstack sees it. */
        g_autofree char *address = g_strdup_printf("--address=%s", f->h->bus_address), *gerr = NULL;
        const char *gdbus[] = { "gdbus", "call", address, "--dest", "org.passthru1", "--object-path", "/org/passthru1",
                                "--method", "org.passthru1.Manager.Hide", "00:19.0", "{}", NULL };
        g_assert_cmpint(harness_spawn(f->h, gdbus, become_nobody, NULL, &gerr), !=, 0);
        g_assert_nonnull(strstr(gerr, "org.freedesktop.DBus.Error.AccessDenied"));
        g_autoptr(JsonNode) guests = harness_ptctl_json(f->h, "guests", "--json", NULL);
        g_assert_cmpuint(json_array_get_length(json_node_get_array(guests)), ==, 0);

        /* Root needs no polkit, and gets what it asks for; the others are still refused. */
        harness_ptctl_ok(f->h, "assign", "g1", "02:00.0", NULL);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, &err, "start", "g1", NULL), ==, 1);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, &err, "unassign", "g1", NULL), ==, 1);
        g_assert_nonnull(strstr(err, "not authorized"));

        /* Allowed by polkit: the same calls go through. */
        mock_call(f, "SetAllowed", g_variant_new_parsed("(['org.passthru1.manage'],)"));
        g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, NULL, "start", "g1", NULL), ==, 0);
        harness_assert_driver(f->h, "0000:02:00.0", "vfio-pci", "vfio-pci");
        g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, NULL, "stop", "g1", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, NULL, "hide", "00:19.0", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, NULL, "unhide", "00:19.0", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, NULL, "unassign", "g1", NULL), ==, 0);
}

static guint64 uevents_processed(Fixture *f) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(f->h->conn, "org.passthru1", "/org/passthru1",
                                                            "org.freedesktop.DBus.Properties", "Get",
                                                            g_variant_new("(ss)", "org.passthru1.Manager",
                                                                          "UeventsProcessed"),
                                                            G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                                            &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) v = NULL;
        g_variant_get(r, "(v)", &v);
        return g_variant_get_uint64(v);
}

static gboolean polkit_has_hanging_calls(Fixture *f) {
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(f->h->conn, "org.freedesktop.PolicyKit1",
                                                            "/org/freedesktop/PolicyKit1/Authority",
                                                            "org.freedesktop.DBus.Mock", "HaveHangingCalls", NULL,
                                                            G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                                            NULL);
        gboolean hanging = FALSE;
        if (r)
                g_variant_get(r, "(b)", &hanging);
        return hanging;
}

/* polkit is asked without blocking: while one caller's question hangs (a password prompt nobody answers), root's
 * calls are served, uevents are processed, and the waiting call goes through once polkit answers. */
static void test_polkit_waiting(Fixture *f, gconstpointer data) {
        mock_call(f, "SetAllowed", g_variant_new_parsed("(['org.passthru1.manage'],)"));
        mock_call(f, "SimulateHang", g_variant_new("(b)", TRUE));

        g_auto(GStrv) envp = g_environ_setenv(g_get_environ(), "DBUS_SYSTEM_BUS_ADDRESS", f->h->bus_address, TRUE);
        const char *argv[] = { g_getenv("PT_PTCTL"), "hide", "00:19.0", NULL };
        g_autoptr(GError) error = NULL;
        GPid waiting;
        g_assert_true(g_spawn_async("/", (char **) argv, envp, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                    G_SPAWN_STDERR_TO_DEV_NULL,
                                    become_nobody, NULL, &waiting, &error));
        for (int i = 0; i < 1000 && !polkit_has_hanging_calls(f); i++)
                g_usleep(10000);
        g_assert_true(polkit_has_hanging_calls(f));

        /* Everyone else is served meanwhile: reads, root's changes, and uevents. */
        guint64 before = uevents_processed(f);
        harness_ptctl_ok(f->h, "list", NULL);
        harness_ptctl_ok(f->h, "assign", "g1", "02:00.0", NULL);
        harness_ptctl_ok(f->h, "start", "g1", NULL);
        harness_assert_driver(f->h, "0000:02:00.0", "vfio-pci", "vfio-pci");
        harness_ptctl_ok(f->h, "stop", "g1", NULL);
        harness_ctl(f->h, "uevent 0000:00:1b.0 change 3");
        for (int i = 0; i < 1000 && uevents_processed(f) < before + 3; i++)
                g_usleep(10000);
        g_assert_cmpuint(uevents_processed(f), >=, before + 3);
        /* The waiting call is still waiting, and has changed nothing. */
        g_assert_true(polkit_has_hanging_calls(f));
        g_assert_cmpint(waitpid(waiting, NULL, WNOHANG), ==, 0);
        harness_assert_driver(f->h, "0000:00:19.0", "e1000e", NULL);

        /* polkit answers: the call is dispatched again and goes through. */
        mock_call(f, "ReleaseHangingCalls", NULL);
        int status;
        g_assert_cmpint(waitpid(waiting, &status, 0), ==, waiting);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
        harness_assert_driver(f->h, "0000:00:19.0", "vfio-pci", "vfio-pci");
        harness_ptctl_ok(f->h, "unhide", "00:19.0", NULL);
}

static void test_no_polkit(Fixture *f, gconstpointer data) {
        g_autofree char *err = NULL;
        g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, NULL, "list", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl_as(f->h, become_nobody, NULL, &err, "hide", "00:19.0", NULL), ==, 1);
        g_assert_nonnull(strstr(err, "not authorized: polkit did not answer"));
        harness_ptctl_ok(f->h, "hide", "00:19.0", NULL);
        harness_ptctl_ok(f->h, "unhide", "00:19.0", NULL);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add("/auth/polkit", Fixture, GINT_TO_POINTER(1), setup, test_polkit, teardown);
        g_test_add("/auth/polkit-waiting", Fixture, GINT_TO_POINTER(1), setup, test_polkit_waiting, teardown);
        g_test_add("/auth/no-polkit", Fixture, NULL, setup, test_no_polkit, teardown);
        return harness_run();
}
