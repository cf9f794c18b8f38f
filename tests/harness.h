/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/* One hermetic world per test: a fake kernel mounted with FUSE, a private system bus and the real passthrud,
 * all inside the private mount and network namespace the test binary entered at start. */
typedef struct Harness {
        char *tmpdir;
        char *sys;                /* the fake sysfs root */
        char *bus_address;
        GPid fakekernel, dbus, daemon;
        char *daemon_log;
        GDBusConnection *conn;
        GPtrArray *signals;       /* "Member path arg" lines, when recording */
        guint signal_sub;
} Harness;

/* The common fixture: a harness on the topology named by the test data, with the daemon running. */
typedef struct HarnessFixture {
        Harness *h;
} HarnessFixture;
void harness_fixture_setup(HarnessFixture *f, gconstpointer topology);
void harness_fixture_teardown(HarnessFixture *f, gconstpointer data); /* asserts exit 0 on SIGTERM */

/* Enters a private mount and network namespace; FALSE (with a reason) when that is not possible here. */
gboolean harness_enter_sandbox(char **reason);
/* Runs the test program's tests, or reports them all skipped with the reason. */
int harness_run(void);

Harness *harness_new(const char *topology);        /* fake kernel + bus, no daemon */
void harness_start_daemon(Harness *h, const char *const *extra_args);
void harness_stop_daemon(Harness *h);              /* SIGTERM; the test fails unless it exits 0 */
void harness_kill_daemon(Harness *h);              /* SIGKILL, as a crash would */
void harness_free(Harness *h);

/* Runs argv (searched in PATH, from /) with the harness's bus and $PTCTL in its environment, and setup in the child
 * (to become another user); returns the exit status. out/err may be NULL: the output is swallowed, not leaked into
 * the TAP stream. */
int harness_spawn(Harness *h, const char *const *argv, GSpawnChildSetupFunc setup, char **out, char **err);
/* ptctl with the harness's bus; returns the exit status. out/err may be NULL. */
int harness_ptctl(Harness *h, char **out, char **err, ...) G_GNUC_NULL_TERMINATED;
/* The same, with setup run in the child. */
int harness_ptctl_as(Harness *h, GSpawnChildSetupFunc setup, char **out, char **err, ...) G_GNUC_NULL_TERMINATED;
/* ptctl ... that must succeed (its output is not wanted). */
void harness_ptctl_ok(Harness *h, ...) G_GNUC_NULL_TERMINATED;
/* ptctl ... that must fail with exit status 1 and say 'expected' on stderr. */
void harness_ptctl_refused(Harness *h, const char *expected, ...) G_GNUC_NULL_TERMINATED;
/* ptctl ... that must succeed and print JSON. */
JsonNode *harness_ptctl_json(Harness *h, ...) G_GNUC_NULL_TERMINATED;

/* Writes into the fake sysfs like "echo value > file"; returns 0 or -errno. */
int harness_write(Harness *h, const char *relpath, const char *value);
void harness_ctl(Harness *h, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
char *harness_read(Harness *h, const char *relpath);

/* Device properties straight from the bus. */
GVariant *harness_device_property(Harness *h, const char *bdf, const char *property);
/* Polls (iterating the main context) until the string property equals expected; FALSE on timeout. */
gboolean harness_wait_property(Harness *h, const char *bdf, const char *property, const char *expected);
gboolean harness_wait_device_gone(Harness *h, const char *bdf);

void harness_record_signals(Harness *h);
gboolean harness_wait_signal(Harness *h, const char *line);

JsonObject *json_array_find_address(JsonArray *a, const char *address);

/* The fake sysfs as the kernel would show it: the bound driver's name ("" when none). */
char *harness_driver_of(Harness *h, const char *bdf);
/* The device's driver and driver_override must be these (override NULL: unset); the test fails otherwise. */
void harness_assert_driver(Harness *h, const char *bdf, const char *driver, const char *override);
/* Calls a Manager method (params floating or NULL); NULL on success, else the D-Bus error name. */
char *harness_manager_call_error(Harness *h, const char *method, GVariant *params);
char *harness_guest_state(Harness *h, const char *guest);
/* The fake kernel's log of writes and what came of them. */
gboolean harness_log_contains(Harness *h, const char *needle);
/* What passthrud wrote to its log (stderr) in this harness, across its restarts. */
gboolean harness_daemon_log_contains(Harness *h, const char *needle);
