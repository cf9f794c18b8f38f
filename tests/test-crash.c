/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A burst of 1000 assign/unassign calls while passthrud is SIGKILLed at random moments: after every restart,
 * each acknowledged change is there, an unacknowledged one is either wholly there or wholly absent (never one
 * device of a pair), and the database passes PRAGMA integrity_check. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/wait.h>
#include <sqlite3.h>
#include <string.h>

#include "harness.h"

#define CALLS 1000

/* Pairs of devices that need no co-assignment partners, assigned and unassigned two at a time. */
static const char *const pairs[][2] = {
        { "0000:02:00.0", "0000:00:19.0" },
        { "0000:01:00.1", "0000:01:00.2" },
        { "0000:00:1b.0", "0000:03:00.0" }, /* not the VFs' PF 01:00.0: while they are assigned it is host-critical */
};
#define N_PAIRS G_N_ELEMENTS(pairs)

typedef struct {
        Harness *h;
        volatile gint stop;
        volatile gint armed; /* the daemon is up and serving: a kill now lands mid-burst, not mid-start-up */
} Killer;

static gpointer killer_thread(gpointer data) {
        Killer *k = data;
        while (!g_atomic_int_get(&k->stop)) {
                g_usleep(g_random_int_range(20000, 120000));
                GPid pid = k->h->daemon;
                if (pid > 0 && g_atomic_int_compare_and_exchange(&k->armed, 1, 0))
                        kill(pid, SIGKILL); /* the main thread notices the dead bus peer and restarts it */
        }
        return NULL;
}

static char *device_guest(Harness *h, const char *bdf) {
        g_autoptr(GVariant) v = harness_device_property(h, bdf, "Guest");
        g_assert_nonnull(v);
        return g_variant_dup_string(v, NULL);
}

static void check_integrity(const char *db) {
        sqlite3 *s;
        sqlite3_stmt *st;
        g_assert_cmpint(sqlite3_open_v2(db, &s, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
        g_assert_cmpint(sqlite3_prepare_v2(s, "PRAGMA integrity_check", -1, &st, NULL), ==, SQLITE_OK);
        g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
        g_assert_cmpstr((const char *) sqlite3_column_text(st, 0), ==, "ok");
        sqlite3_finalize(st);
        sqlite3_close(s);
}

static void test_burst(void) {
        Harness *h = harness_new("standard.topo");
        g_autofree char *db = g_build_filename(h->tmpdir, "state", "passthru.db", NULL);
        char *acked[N_PAIRS] = {};      /* the guest each pair has by acknowledged calls, NULL for none */
        char *pending[N_PAIRS] = {};    /* the guest of an unacknowledged assign, or "" for an unacknowledged unassign */
        bool in_flight[N_PAIRS] = {};
        int calls = 0, acknowledged = 0, restarts = 0;
        Killer k = { .h = h };

        harness_start_daemon(h, NULL);
        g_atomic_int_set(&k.armed, 1);
        GThread *killer = g_thread_new("killer", killer_thread, &k);
        while (calls < CALLS) {
                size_t p = (size_t) g_random_int_range(0, N_PAIRS);
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r = NULL;
                char guest[8];
                snprintf(guest, sizeof(guest), "g%d", g_random_int_range(0, 3));
                const char *target = acked[p] ? acked[p] : guest;
                const char *devs[] = { pairs[p][0], pairs[p][1], NULL };
                if (acked[p])
                        r = g_dbus_connection_call_sync(h->conn, "org.passthru1", "/org/passthru1", "org.passthru1.Manager",
                                                        "Unassign", g_variant_new("(s^as)", target, devs),
                                                        NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
                else
                        r = g_dbus_connection_call_sync(h->conn, "org.passthru1", "/org/passthru1", "org.passthru1.Manager",
                                                        "Assign", g_variant_new("(s^asa{sv})", target, devs, NULL),
                                                        NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
                calls++;
                if (r) {
                        acknowledged++;
                        g_free(acked[p]);
                        acked[p] = acked[p] ? NULL : g_strdup(target);
                        continue;
                }
                /* No reply: the daemon died (before, during or after the commit). */
                in_flight[p] = true;
                g_free(pending[p]);
                pending[p] = g_strdup(acked[p] ? "" : target);

                /* The daemon was killed: no reply, or nobody owns the name any more. It may not be reaped yet. */
                if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
                    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
                    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
                    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT)) {
                        waitpid(h->daemon, NULL, 0);
                        h->daemon = 0;
                        check_integrity(db);
                        harness_start_daemon(h, NULL);
                        restarts++;
                        for (size_t i = 0; i < N_PAIRS; i++) {
                                g_autofree char *a = device_guest(h, pairs[i][0]), *b = device_guest(h, pairs[i][1]);
                                /* Both devices of a pair moved together, or neither did. */
                                g_assert_cmpstr(a, ==, b);
                                const char *want = acked[i] ? acked[i] : "";
                                if (!g_str_equal(a, want)) {
                                        /* Only the one unacknowledged call may have taken effect. */
                                        g_assert_true(in_flight[i]);
                                        g_assert_cmpstr(a, ==, pending[i]);
                                        g_free(acked[i]);
                                        acked[i] = *a ? g_strdup(a) : NULL;
                                }
                                in_flight[i] = false;
                        }
                        g_atomic_int_set(&k.armed, 1); /* only once the state is verified */
                } else {
                        /* A refusal, not a crash: nothing may have changed. */
                        g_assert_nonnull(error);
                        if (!g_dbus_error_is_remote_error(error))
                                g_error("call failed without the daemon dying: %s", error->message);
                        g_error("refused: %s", error->message);
                }
        }
        g_atomic_int_set(&k.stop, 1);
        g_atomic_int_set(&k.armed, 0);
        g_thread_join(killer);
        g_test_message("%d calls, %d acknowledged, %d crashes survived", calls, acknowledged, restarts);
        g_assert_cmpint(restarts, >, 0);
        if (!h->daemon || kill(h->daemon, 0) < 0) {
                h->daemon = 0;
                harness_start_daemon(h, NULL);
        }
        for (size_t i = 0; i < N_PAIRS; i++) {
                g_autofree char *a = device_guest(h, pairs[i][0]);
                g_assert_cmpstr(a, ==, acked[i] ? acked[i] : "");
                g_free(acked[i]);
                g_free(pending[i]);
        }
        harness_stop_daemon(h);
        check_integrity(db);
        harness_free(h);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/crash/burst-with-sigkill", test_burst);
        return harness_run();
}
