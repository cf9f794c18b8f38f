/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define WAIT_MS 10000

static const char *env_or_fail(const char *name) {
        const char *v = g_getenv(name);
        if (!v)
                g_error("%s is not set: run the tests through 'meson test'", name);
        return v;
}

static char *skip_reason;

gboolean harness_enter_sandbox(char **reason) {
        if (geteuid() != 0) {
                *reason = g_strdup("needs root: the fake kernel mounts FUSE and uses a private network namespace");
                return FALSE;
        }
        if (access("/dev/fuse", R_OK | W_OK) < 0) {
                *reason = g_strdup_printf("/dev/fuse is not usable: %s", g_strerror(errno));
                return FALSE;
        }
        /* Mounts and uevents stay in here: nothing leaks to the host, whatever a test does. */
        if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0) {
                *reason = g_strdup_printf("cannot create private namespaces: %s", g_strerror(errno));
                return FALSE;
        }
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                *reason = g_strdup_printf("cannot make mounts private: %s", g_strerror(errno));
                return FALSE;
        }
        return TRUE;
}

int harness_run(void) {
        if (!skip_reason && !harness_enter_sandbox(&skip_reason)) {
                /* Reported as skipped with the reason, never as passed. */
                printf("1..0 # SKIP %s\n", skip_reason);
                return 0;
        }
        return g_test_run();
}

static gboolean wait_until(gboolean (*cond)(gpointer), gpointer data, int timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
        while (g_get_monotonic_time() < deadline) {
                while (g_main_context_iteration(NULL, FALSE))
                        ;
                if (cond(data))
                        return TRUE;
                g_usleep(5000);
        }
        return cond(data);
}

static gboolean fake_sysfs_mounted(gpointer data) {
        Harness *h = data;
        g_autofree char *p = g_build_filename(h->sys, "bus/pci/devices", NULL);
        return g_file_test(p, G_FILE_TEST_IS_DIR);
}

static gboolean bus_socket_ready(gpointer data) {
        Harness *h = data;
        g_autofree char *p = g_build_filename(h->tmpdir, "bus", NULL);
        return g_file_test(p, G_FILE_TEST_EXISTS);
}

/* Children die with the test, so a failed test never leaves a mount or a daemon behind. */
static void die_with_parent(gpointer data) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static GPid spawn_env(char **argv, const char *bus_address, int stderr_fd) {
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) envp = bus_address ? g_environ_setenv(g_get_environ(), "DBUS_SYSTEM_BUS_ADDRESS", bus_address, TRUE)
                                         : g_get_environ();
        GPid pid;
        if (!g_spawn_async_with_pipes_and_fds(NULL, (const char *const *) argv, (const char *const *) envp,
                                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH, die_with_parent, NULL,
                                              -1, -1, stderr_fd, NULL, NULL, 0, &pid, NULL, NULL, NULL, &error))
                g_error("cannot start %s: %s", argv[0], error->message);
        return pid;
}

static GPid spawn(char **argv, int stderr_fd) {
        return spawn_env(argv, NULL, stderr_fd);
}

/* Waits for pid; returns its wait status, or -1 if it did not exit within the timeout. */
static int wait_pid(GPid pid, int timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
        int status;
        do {
                pid_t r = waitpid(pid, &status, WNOHANG);
                if (r == pid)
                        return status;
                if (r < 0)
                        return -1;
                g_usleep(2000);
        } while (g_get_monotonic_time() < deadline);
        return -1;
}

Harness *harness_new(const char *topology) {
        g_autoptr(GError) error = NULL;
        Harness *h = g_new0(Harness, 1);
        g_autofree char *topo = g_build_filename(env_or_fail("PT_TOPOLOGY_DIR"), topology, NULL);
        g_autofree char *backing = NULL, *bus_path = NULL, *address_arg = NULL;

        h->tmpdir = g_dir_make_tmp("passthru-test-XXXXXX", &error);
        g_assert_no_error(error);
        h->sys = g_build_filename(h->tmpdir, "sys", NULL);
        backing = g_build_filename(h->tmpdir, "backing", NULL);
        g_mkdir_with_parents(h->sys, 0755);
        g_mkdir_with_parents(backing, 0755);

        char *fk_argv[] = { (char *) env_or_fail("PT_FAKEKERNEL"), "--topology", topo, "--backing", backing,
                            "--mount", h->sys, "--uevents", NULL };
        h->fakekernel = spawn(fk_argv, -1);
        if (!wait_until(fake_sysfs_mounted, h, WAIT_MS))
                g_error("the fake kernel did not mount %s", h->sys);

        bus_path = g_build_filename(h->tmpdir, "bus", NULL);
        address_arg = g_strdup_printf("unix:path=%s", bus_path);
        char *dbus_argv[] = { "dbus-daemon", "--config-file", (char *) env_or_fail("PT_TEST_BUS_CONF"), "--address",
                              address_arg, "--nofork", "--nopidfile", NULL };
        int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        h->dbus = spawn(dbus_argv, devnull);
        close(devnull);
        if (!wait_until(bus_socket_ready, h, WAIT_MS))
                g_error("dbus-daemon did not start");
        h->bus_address = g_steal_pointer(&address_arg);

        for (int i = 0; i < 200 && !h->conn; i++) {
                g_clear_error(&error);
                h->conn = g_dbus_connection_new_for_address_sync(
                        h->bus_address,
                        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                        NULL, NULL, &error);
                if (!h->conn)
                        g_usleep(10000);
        }
        g_assert_no_error(error);
        return h;
}

static gboolean daemon_on_bus(gpointer data) {
        Harness *h = data;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(h->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                             "org.freedesktop.DBus", "NameHasOwner",
                                                             g_variant_new("(s)", "org.passthru1"), G_VARIANT_TYPE("(b)"),
                                                             G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
        gboolean owned = FALSE;
        if (r)
                g_variant_get(r, "(b)", &owned);
        if (!owned && waitpid(h->daemon, NULL, WNOHANG) == h->daemon) {
                g_autofree char *log = NULL;
                g_file_get_contents(h->daemon_log, &log, NULL, NULL);
                g_error("passthrud exited during start-up:\n%s", log ? log : "");
        }
        return owned;
}

/* The daemon's modprobe: loads a module into the fake kernel. Never the host's modprobe, which would load real
 * modules into the machine running the tests. */
static char *fake_modprobe(Harness *h) {
        char *path = g_build_filename(h->tmpdir, "modprobe", NULL);
        g_autofree char *script = g_strdup_printf("#!/bin/sh\necho \"load $1\" > '%s/fakekernel/ctl'\n", h->sys);
        g_assert_true(g_file_set_contents(path, script, -1, NULL));
        g_assert_cmpint(chmod(path, 0755), ==, 0);
        return path;
}

void harness_start_daemon(Harness *h, const char *const *extra) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(argv, g_strdup(env_or_fail("PT_PASSTHRUD")));
        g_ptr_array_add(argv, g_strdup("--sysfs-root"));
        g_ptr_array_add(argv, g_strdup(h->sys));
        g_ptr_array_add(argv, g_strdup("--state-dir"));
        g_ptr_array_add(argv, g_build_filename(h->tmpdir, "state", NULL));
        g_ptr_array_add(argv, g_strdup("--runtime-dir"));
        g_ptr_array_add(argv, g_build_filename(h->tmpdir, "run", NULL));
        g_ptr_array_add(argv, g_strdup("--modprobe"));
        g_ptr_array_add(argv, fake_modprobe(h));
        /* Nor the host kernel's modules.alias: the tests' VFIO variant drivers. */
        g_ptr_array_add(argv, g_strdup("--modules-alias"));
        g_ptr_array_add(argv, g_build_filename(env_or_fail("PT_SOURCE_DIR"), "tests", "data", "modules.alias", NULL));
        /* Nor the host's xl: a test that wants one gives its own (later options win). */
        g_ptr_array_add(argv, g_strdup("--xl"));
        g_ptr_array_add(argv, g_strdup("/bin/false"));
        for (const char *const *e = extra; e && *e; e++)
                g_ptr_array_add(argv, g_strdup(*e));
        g_ptr_array_add(argv, NULL);

        if (!h->daemon_log)
                h->daemon_log = g_build_filename(h->tmpdir, "passthrud.log", NULL);
        int fd = open(h->daemon_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        g_assert_cmpint(fd, >=, 0);
        h->daemon = spawn_env((char **) argv->pdata, h->bus_address, fd);
        close(fd);
        if (!wait_until(daemon_on_bus, h, WAIT_MS))
                g_error("passthrud did not take org.passthru1");
}

void harness_stop_daemon(Harness *h) {
        if (!h->daemon)
                return;
        kill(h->daemon, SIGTERM);
        int status = wait_pid(h->daemon, WAIT_MS);
        GPid pid = h->daemon;
        h->daemon = 0;
        if (status < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                g_error("passthrud did not exit within %d ms of SIGTERM", WAIT_MS);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                g_autofree char *log = NULL;
                g_file_get_contents(h->daemon_log, &log, NULL, NULL);
                g_error("passthrud did not exit 0 on SIGTERM (status 0x%x); its log:\n%s", status, log ? log : "");
        }
}

void harness_kill_daemon(Harness *h) {
        if (!h->daemon)
                return;
        kill(h->daemon, SIGKILL);
        waitpid(h->daemon, NULL, 0);
        h->daemon = 0;
}

void harness_fixture_setup(HarnessFixture *f, gconstpointer topology) {
        f->h = harness_new(topology);
        harness_start_daemon(f->h, NULL);
}

void harness_fixture_teardown(HarnessFixture *f, gconstpointer data) {
        harness_free(f->h);
}

static void stop_process(GPid *pid) {
        if (!*pid)
                return;
        kill(*pid, SIGTERM);
        if (wait_pid(*pid, WAIT_MS) < 0) {
                kill(*pid, SIGKILL);
                waitpid(*pid, NULL, 0);
        }
        *pid = 0;
}

void harness_free(Harness *h) {
        if (!h)
                return;
        harness_stop_daemon(h);
        if (h->signal_sub)
                g_dbus_connection_signal_unsubscribe(h->conn, h->signal_sub);
        g_clear_object(&h->conn);
        stop_process(&h->dbus);
        stop_process(&h->fakekernel);
        umount2(h->sys, MNT_DETACH); /* in case the fake kernel could not unmount */
        if (g_test_failed() && h->daemon_log) {
                g_autofree char *log = NULL;
                if (g_file_get_contents(h->daemon_log, &log, NULL, NULL))
                        g_printerr("passthrud log:\n%s\n", log);
        }
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", h->tmpdir);
        (void) !system(cmd);
        g_free(h->tmpdir);
        g_free(h->sys);
        g_free(h->bus_address);
        g_free(h->daemon_log);
        if (h->signals)
                g_ptr_array_unref(h->signals);
        g_free(h);
}

int harness_spawn(Harness *h, const char *const *argv, GSpawnChildSetupFunc setup, char **out, char **err) {
        g_autoptr(GError) error = NULL;
        int status;
        /* The bus goes in the child's environment only: setenv() in a threaded test is unsafe. */
        g_auto(GStrv) envp = g_environ_setenv(g_get_environ(), "DBUS_SYSTEM_BUS_ADDRESS", h->bus_address, TRUE);
        envp = g_environ_setenv(envp, "PTCTL", env_or_fail("PT_PTCTL"), TRUE);
        /* Always captured: what a child prints must not end up in the test's TAP stream. */
        g_autofree char *own_out = NULL, *own_err = NULL;
        if (!g_spawn_sync("/", (char **) argv, envp, G_SPAWN_SEARCH_PATH, setup, NULL, out ? out : &own_out,
                          err ? err : &own_err, &status, &error))
                g_error("cannot run %s: %s", argv[0], error->message);
        g_assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

static int ptctl_v(Harness *h, GSpawnChildSetupFunc setup, char **out, char **err, va_list ap) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_ptr_array_add(argv, (char *) env_or_fail("PT_PTCTL"));
        for (const char *a; (a = va_arg(ap, const char *));)
                g_ptr_array_add(argv, (char *) a);
        g_ptr_array_add(argv, NULL);
        return harness_spawn(h, (const char *const *) argv->pdata, setup, out, err);
}

int harness_ptctl_as(Harness *h, GSpawnChildSetupFunc setup, char **out, char **err, ...) {
        va_list ap;
        va_start(ap, err);
        int r = ptctl_v(h, setup, out, err, ap);
        va_end(ap);
        return r;
}

int harness_ptctl(Harness *h, char **out, char **err, ...) {
        va_list ap;
        va_start(ap, err);
        int r = ptctl_v(h, NULL, out, err, ap);
        va_end(ap);
        return r;
}

void harness_ptctl_ok(Harness *h, ...) {
        g_autofree char *err = NULL;
        va_list ap;
        va_start(ap, h);
        int r = ptctl_v(h, NULL, NULL, &err, ap);
        va_end(ap);
        if (r != 0)
                g_error("ptctl failed with %d: %s", r, err);
}

JsonNode *harness_ptctl_json(Harness *h, ...) {
        g_autofree char *out = NULL, *err = NULL;
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;
        va_list ap;

        va_start(ap, h);
        int r = ptctl_v(h, NULL, &out, &err, ap);
        va_end(ap);
        if (r != 0)
                g_error("ptctl failed with %d: %s", r, err);
        if (!json_parser_load_from_data(parser, out, -1, &error))
                g_error("ptctl printed invalid JSON (%s):\n%s", error->message, out);
        return json_node_copy(json_parser_get_root(parser));
}

int harness_write(Harness *h, const char *relpath, const char *value) {
        g_autofree char *p = g_build_filename(h->sys, relpath, NULL);
        int fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, value, strlen(value));
        int r = n < 0 ? -errno : 0;
        close(fd);
        return r;
}

void harness_ctl(Harness *h, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        g_autofree char *cmd = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        int r = harness_write(h, "fakekernel/ctl", cmd);
        if (r < 0)
                g_error("fake kernel refused '%s': %s", cmd, g_strerror(-r));
}

char *harness_read(Harness *h, const char *relpath) {
        g_autofree char *p = g_build_filename(h->sys, relpath, NULL);
        char *s = NULL;
        if (!g_file_get_contents(p, &s, NULL, NULL))
                return NULL;
        return g_strchomp(s);
}

static char *device_path(const char *bdf) {
        unsigned d, b, s, f;
        g_assert_cmpint(sscanf(bdf, "%x:%x:%x.%x", &d, &b, &s, &f), ==, 4);
        return g_strdup_printf("/org/passthru1/device/pci_%04x_%02x_%02x_%x", d, b, s, f);
}

GVariant *harness_device_property(Harness *h, const char *bdf, const char *property) {
        g_autofree char *path = device_path(bdf);
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(h->conn, "org.passthru1", path,
                                                             "org.freedesktop.DBus.Properties", "Get",
                                                             g_variant_new("(ss)", "org.passthru1.Device", property),
                                                             G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                                             NULL);
        GVariant *v = NULL;
        if (r)
                g_variant_get(r, "(v)", &v);
        return v;
}

typedef struct {
        Harness *h;
        const char *bdf, *property, *expected;
} PropertyWait;

static gboolean property_matches(gpointer data) {
        PropertyWait *w = data;
        g_autoptr(GVariant) v = harness_device_property(w->h, w->bdf, w->property);
        if (!v)
                return FALSE;
        g_autofree char *s = g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) ? g_variant_dup_string(v, NULL)
                                                                            : g_variant_print(v, FALSE);
        return g_str_equal(s, w->expected);
}

gboolean harness_wait_property(Harness *h, const char *bdf, const char *property, const char *expected) {
        PropertyWait w = { h, bdf, property, expected };
        return wait_until(property_matches, &w, WAIT_MS);
}

static gboolean device_gone(gpointer data) {
        PropertyWait *w = data;
        g_autoptr(GVariant) v = harness_device_property(w->h, w->bdf, "Address");
        return v == NULL;
}

gboolean harness_wait_device_gone(Harness *h, const char *bdf) {
        PropertyWait w = { h, bdf, NULL, NULL };
        return wait_until(device_gone, &w, WAIT_MS);
}

static void on_signal(GDBusConnection *c, const char *sender, const char *path, const char *iface, const char *member,
                      GVariant *params, gpointer data) {
        Harness *h = data;
        g_autofree char *args = g_variant_print(params, FALSE);
        g_ptr_array_add(h->signals, g_strdup_printf("%s %s %s", member, path, args));
}

void harness_record_signals(Harness *h) {
        h->signals = g_ptr_array_new_with_free_func(g_free);
        h->signal_sub = g_dbus_connection_signal_subscribe(h->conn, NULL, NULL, NULL, NULL, NULL,
                                                           G_DBUS_SIGNAL_FLAGS_NONE, on_signal, h, NULL);
}

typedef struct {
        Harness *h;
        const char *needle;
} SignalWait;

static gboolean signal_seen(gpointer data) {
        SignalWait *w = data;
        for (guint i = 0; i < w->h->signals->len; i++)
                if (strstr(g_ptr_array_index(w->h->signals, i), w->needle))
                        return TRUE;
        return FALSE;
}

gboolean harness_wait_signal(Harness *h, const char *needle) {
        SignalWait w = { h, needle };
        gboolean ok = wait_until(signal_seen, &w, WAIT_MS);
        if (!ok)
                for (guint i = 0; i < h->signals->len; i++)
                        g_printerr("seen: %s\n", (char *) g_ptr_array_index(h->signals, i));
        return ok;
}

JsonObject *json_array_find_address(JsonArray *a, const char *address) {
        for (guint i = 0; i < json_array_get_length(a); i++) {
                JsonObject *o = json_array_get_object_element(a, i);
                if (g_str_equal(json_object_get_string_member(o, "address"), address))
                        return o;
        }
        return NULL;
}

void harness_ptctl_refused(Harness *h, const char *expected, ...) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        va_list ap;
        va_start(ap, expected);
        for (const char *a; (a = va_arg(ap, const char *));)
                g_ptr_array_add(argv, (char *) a);
        va_end(ap);
        g_ptr_array_add(argv, NULL);
        g_autofree char *joined = g_strjoinv(" ", (char **) argv->pdata);
        g_autofree char *cmd = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS='%s' '%s' %s", h->bus_address,
                                               env_or_fail("PT_PTCTL"), joined);
        g_autofree char *out = NULL, *err = NULL;
        int status;
        char *sh[] = { "/bin/sh", "-c", cmd, NULL };
        g_assert_true(g_spawn_sync(NULL, sh, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, NULL));
        if (!g_spawn_check_wait_status(status, NULL) && WIFEXITED(status) && WEXITSTATUS(status) == 1 &&
            strstr(err, expected))
                return;
        g_error("ptctl %s: exit %d, said \"%s\"; expected exit 1 saying \"%s\"", joined, WEXITSTATUS(status), err,
                expected);
}

char *harness_driver_of(Harness *h, const char *bdf) {
        g_autofree char *link = g_build_filename(h->sys, "bus/pci/devices", bdf, "driver", NULL);
        g_autofree char *target = g_file_read_link(link, NULL);
        return target ? g_path_get_basename(target) : g_strdup("");
}

void harness_assert_driver(Harness *h, const char *bdf, const char *driver, const char *override) {
        g_autofree char *now = harness_driver_of(h, bdf);
        g_autofree char *rel = g_strdup_printf("bus/pci/devices/%s/driver_override", bdf);
        g_autofree char *ov = harness_read(h, rel);
        if (!g_str_equal(now, driver) || !g_str_equal(ov ? ov : "", override ? override : "(null)"))
                g_error("%s: driver '%s' and driver_override '%s'; expected '%s' and '%s'", bdf, now, ov ? ov : "",
                        driver, override ? override : "(null)");
}

char *harness_manager_call_error(Harness *h, const char *method, GVariant *params) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(h->conn, "org.passthru1", "/org/passthru1",
                                                            "org.passthru1.Manager", method, params, NULL,
                                                            G_DBUS_CALL_FLAGS_NONE, 300000, NULL, &error);
        if (r)
                return NULL;
        return g_dbus_error_get_remote_error(error);
}

char *harness_guest_state(Harness *h, const char *guest) {
        g_autoptr(JsonNode) g = harness_ptctl_json(h, "guest", guest, "--json", NULL);
        return g_strdup(json_object_get_string_member(json_node_get_object(g), "state"));
}

gboolean harness_log_contains(Harness *h, const char *needle) {
        g_autofree char *log = harness_read(h, "fakekernel/log");
        return log && strstr(log, needle);
}

gboolean harness_daemon_log_contains(Harness *h, const char *needle) {
        g_autofree char *log = NULL;
        return h->daemon_log && g_file_get_contents(h->daemon_log, &log, NULL, NULL) && strstr(log, needle);
}
