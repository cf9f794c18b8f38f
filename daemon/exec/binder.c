/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binder.h"
#include "log.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "sysfs-write.h"
#include "sysfs.h"
#include "xen.h"

extern char **environ;

static int fail(BindFailure *f, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(BindFailure *f, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->why, sizeof(f->why), fmt, ap);
        va_end(ap);
        if (r == -ETIMEDOUT)
                f->stuck = true;
        return r;
}

const char *binder_stub_module(const char *stub) {
        return streq(stub, "pciback") ? "xen-pciback" : stub;
}

int binder_driver_module(const char *root, const char *driver, char **ret) {
        _cleanup_free_ char *rel = NULL;
        if (asprintf(&rel, "bus/pci/drivers/%s/module", driver) < 0)
                return -ENOMEM;
        int r = sysfs_read_link_basename(root, rel, ret);
        if (r == -ENOENT) {
                *ret = strdup("");
                return *ret ? 0 : -ENOMEM;
        }
        return r;
}

static bool driver_loaded(const char *root, const char *driver) {
        _cleanup_free_ char *rel = NULL;
        return asprintf(&rel, "bus/pci/drivers/%s", driver) >= 0 && sysfs_exists(root, rel);
}

static int run_modprobe(Binder *b, const char *module) {
        char *argv[] = { (char *) b->modprobe, (char *) module, NULL };
        pid_t pid;
        int status;
        int r = posix_spawnp(&pid, b->modprobe, NULL, NULL, argv, environ);
        if (r != 0)
                return -r;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int ensure_driver(Binder *b, const char *driver, const char *module, BindFailure *f) {
        if (driver_loaded(b->root, driver))
                return 0;
        if (isempty(module) || !b->modprobe) {
                f->driver_missing = true;
                return fail(f, -ENOENT, "driver %s is not loaded and its module is unknown", driver);
        }
        log_info("Loading module %s for driver %s", module, driver);
        int r = run_modprobe(b, module);
        if (r < 0 || !driver_loaded(b->root, driver)) {
                f->driver_missing = true;
                return fail(f, -ENOENT, "driver %s is not available: %s %s %s", driver, b->modprobe, module,
                            r < 0 ? "failed" : "did not register it");
        }
        return 0;
}

static void journal(Binder *b, int64_t op, const char *step) {
        if (!b->journal || op <= 0)
                return;
        int r = store_op_step(b->journal, op, step);
        if (r < 0)
                log_warning_errno(r, "Failed to journal step %s of operation %lld: %m", step, (long long) op);
}

static int write_attr(Binder *b, const char *relpath, const char *value) {
        return sysfs_write_timeout(b->root, relpath, value, b->timeout_usec);
}

static int write_device_attr(Binder *b, const char *bdf, const char *attr, const char *value) {
        _cleanup_free_ char *rel = sysfs_device_attr(bdf, attr);
        return rel ? write_attr(b, rel, value) : -ENOMEM;
}

static int write_driver_attr(Binder *b, const char *driver, const char *attr, const char *value) {
        _cleanup_free_ char *rel = NULL;
        if (asprintf(&rel, "bus/pci/drivers/%s/%s", driver, attr) < 0)
                return -ENOMEM;
        return write_attr(b, rel, value);
}

static char *current_driver(Binder *b, const char *bdf) {
        _cleanup_free_ char *rel = sysfs_device_attr(bdf, "driver");
        char *name = NULL;
        if (!rel || sysfs_read_link_basename(b->root, rel, &name) < 0)
                return strdup("");
        return name;
}

static bool device_present(Binder *b, const char *bdf) {
        _cleanup_free_ char *rel = sysfs_device_attr(bdf, NULL);
        return rel && sysfs_exists(b->root, rel);
}

static bool pciback_has_slot(Binder *b, const char *bdf) {
        _cleanup_free_ char *slots = NULL;
        return sysfs_read_string(b->root, "bus/pci/drivers/pciback/slots", &slots) >= 0 && strstr(slots, bdf);
}

static int unbind_current(Binder *b, const char *bdf, const char *driver, int64_t op, BindFailure *f) {
        int r = write_driver_attr(b, driver, "unbind", bdf);
        if (r == -ENODEV) {
                /* Someone else unbound it in the meantime: what we wanted. */
                _cleanup_free_ char *now = current_driver(b, bdf);
                if (isempty(now))
                        r = 0;
        }
        if (r < 0)
                return fail(f, r, "unbinding %s from %s: %s", bdf, driver,
                            r == -ETIMEDOUT ? "timed out (the driver did not let go)" : strerror(-r));
        journal(b, op, "unbound");
        return 0;
}

/* On pciback in a dom0 the device is put in Xen's quarantine, as xl pci-assignable-add does: idle, its DMA goes
 * nowhere, and a domU can be given it. A failure leaves it usable and is said. */
static void quarantine(Binder *b, const char *bdf, const char *stub) {
        if (!b->xl || !streq(stub, "pciback"))
                return;
        _cleanup_free_ char *why = NULL;
        if (xen_quarantine(b->xl, bdf, b->timeout_usec, &why) < 0)
                pt_log_full(LOG_WARNING, NULL, bdf, NULL, "pciback", "%s is on pciback but not in Xen's quarantine: %s",
                            bdf, strempty(why));
}

/* Back to dom0 only out of Xen's quarantine (xl pci-assignable-remove, which also takes it off pciback), or dom0's
 * driver binds a device whose every DMA faults. A domU that still has it stops the release. */
static int dequarantine(Binder *b, const char *bdf, BindFailure *f) {
        _cleanup_free_ char *why = NULL, *domain = NULL;
        int r = xen_dequarantine(b->xl, bdf, b->timeout_usec, &why);
        if (r >= 0)
                return 0;
        int k = xen_device_domain(b->xl, bdf, b->timeout_usec, &domain);
        if (k > 0)
                return fail(f, -EBUSY, "%s is still assigned to Xen domain %s; destroy the domain or run 'xl "
                            "pci-detach %s %s' first", bdf, domain, domain, bdf);
        if (r == -ETIMEDOUT)
                return fail(f, r, "%s", strempty(why));
        /* Not quarantined (never was, or xl cannot tell): nothing of Xen's to undo. */
        pt_log_full(LOG_NOTICE, NULL, bdf, NULL, NULL, "%s was not in Xen's quarantine (%s)", bdf, strempty(why));
        return 0;
}

int binder_claim(Binder *b, const char *bdf, const char *stub, int64_t op, BindFailure *f) {
        int r;

        if (!device_present(b, bdf))
                return fail(f, -ENODEV, "%s is not present", bdf);
        r = ensure_driver(b, stub, binder_stub_module(stub), f);
        if (r < 0)
                return r;
        if (streq(stub, "pciback") && !pciback_has_slot(b, bdf)) {
                r = write_driver_attr(b, "pciback", "new_slot", bdf);
                if (r < 0)
                        return fail(f, r, "adding %s to pciback's slots: %s", bdf, strerror(-r));
                journal(b, op, "new_slot");
        }
        r = write_device_attr(b, bdf, "driver_override", stub);
        if (r < 0)
                return fail(f, r, "setting driver_override of %s to %s: %s", bdf, stub, strerror(-r));
        journal(b, op, "override");

        _cleanup_free_ char *driver = current_driver(b, bdf);
        if (streq(driver, stub)) {
                quarantine(b, bdf, stub);
                return 0;
        }
        if (!isempty(driver)) {
                r = unbind_current(b, bdf, driver, op, f);
                if (r < 0)
                        return r;
        }
        r = write_attr(b, "bus/pci/drivers_probe", bdf);
        if (r < 0 && r != -ENODEV)
                return fail(f, r, "probing %s: %s", bdf, strerror(-r));
        journal(b, op, "probed");

        /* A device announced by its add uevent is not matchable until the kernel finishes adding it; it then
         * attaches it itself, honouring the override just set. Give that a moment. */
        free(driver);
        driver = current_driver(b, bdf);
        for (int i = 0; i < 100 && isempty(driver); i++) {
                usleep(20 * 1000);
                free(driver);
                driver = current_driver(b, bdf);
        }
        if (!streq(driver, stub))
                return fail(f, -EIO, "%s did not bind to %s: %s", bdf, stub,
                            isempty(driver) ? "it has no driver" : driver);
        quarantine(b, bdf, stub);
        journal(b, op, "quarantined");
        return 0;
}

int binder_release(Binder *b, const char *bdf, const char *original_driver, const char *original_module,
                   const char *original_override, bool rebind, int64_t op, BindFailure *f) {
        int r;

        if (!device_present(b, bdf))
                return fail(f, -ENODEV, "%s is not present", bdf);
        r = write_device_attr(b, bdf, "driver_override", isempty(original_override) ? "\n" : original_override);
        if (r < 0)
                return fail(f, r, "%s driver_override of %s: %s", isempty(original_override) ? "clearing" : "restoring",
                            bdf, strerror(-r));
        journal(b, op, "override-cleared");

        _cleanup_free_ char *driver = current_driver(b, bdf);
        if (rebind && !isempty(original_driver) && streq(driver, original_driver))
                return 0;
        if (b->xl && streq(strempty(driver), "pciback")) {
                r = dequarantine(b, bdf, f);
                if (r < 0)
                        return r;
                journal(b, op, "dequarantined");
                free(driver);
                driver = current_driver(b, bdf);
        }
        if (!isempty(driver)) {
                r = unbind_current(b, bdf, driver, op, f);
                if (r < 0)
                        return r;
        }
        /* Off pciback's list too, or pciback seizes it again on the next probe. */
        if (pciback_has_slot(b, bdf)) {
                r = write_driver_attr(b, "pciback", "remove_slot", bdf);
                if (r < 0 && r != -ENOENT)
                        return fail(f, r, "removing %s from pciback's slots: %s", bdf, strerror(-r));
                journal(b, op, "slot-removed");
        }
        if (!rebind)
                return 0;

        if (isempty(original_driver)) {
                r = write_attr(b, "bus/pci/drivers_probe", bdf);
                if (r < 0 && r != -ENODEV)
                        return fail(f, r, "probing %s: %s", bdf, strerror(-r));
                journal(b, op, "probed");
                return 0;
        }
        r = ensure_driver(b, original_driver, original_module, f);
        if (r < 0)
                return r;
        /* By name: a reprobe could pick another driver that matches (or none, with a dynamic id gone). */
        r = write_driver_attr(b, original_driver, "bind", bdf);
        if (r < 0)
                return fail(f, r, "binding %s back to %s: %s", bdf, original_driver,
                            r == -ETIMEDOUT ? "timed out" : strerror(-r));
        journal(b, op, "bound");
        free(driver);
        driver = current_driver(b, bdf);
        if (!streq(driver, original_driver))
                return fail(f, -EIO, "%s did not go back to %s: %s", bdf, original_driver,
                            isempty(driver) ? "it has no driver" : driver);
        return 0;
}

int binder_reset(Binder *b, const char *bdf, const char *method, BindFailure *f) {
        _cleanup_free_ char *rel = sysfs_device_attr(bdf, "reset_method");
        bool choose = method && rel && sysfs_exists(b->root, rel);
        int r;

        if (choose) {
                r = write_device_attr(b, bdf, "reset_method", method);
                if (r < 0)
                        return fail(f, r, "selecting reset method %s for %s: %s", method, bdf, strerror(-r));
        }
        r = write_device_attr(b, bdf, "reset", "1");
        if (choose) {
                /* The kernel's own list again, whatever the reset did. */
                int k = write_device_attr(b, bdf, "reset_method", "default");
                if (k < 0 && r >= 0)
                        log_warning_errno(k, "Failed to restore reset_method of %s: %m", bdf);
        }
        if (r < 0) {
                if (r != -ETIMEDOUT && sysfs_config_answers(b->root, bdf) == -ENXIO)
                        f->off_bus = true;
                return fail(f, r, "%s reset of %s failed: %s", method ? method : "the", bdf,
                            r == -ETIMEDOUT ? "timed out" : strerror(-r));
        }
        if (sysfs_config_answers(b->root, bdf) == -ENXIO) {
                f->off_bus = true;
                return fail(f, -ENXIO, "%s does not answer after its %s reset (config space reads 0xff)", bdf,
                            method ? method : "");
        }
        return 0;
}

int binder_set_num_vfs(Binder *b, const char *pf, uint32_t num_vfs, BindFailure *f) {
        _cleanup_free_ char *rel = sysfs_device_attr(pf, "sriov_numvfs");
        uint64_t current = 0;
        char value[16];
        int r;

        if (!rel)
                return -ENOMEM;
        if ((r = sysfs_read_u64(b->root, rel, &current)) < 0)
                return fail(f, r, "%s has no sriov_numvfs: %s", pf, strerror(-r));
        if (current == num_vfs)
                return 0;
        /* The kernel changes a PF's VF count only from or to 0 (sriov_numvfs_store() answers EBUSY otherwise). */
        if (current != 0 && num_vfs != 0 && (r = write_device_attr(b, pf, "sriov_numvfs", "0")) < 0)
                return fail(f, r, "removing the %u VFs of %s failed: %s", (unsigned) current, pf,
                            r == -ETIMEDOUT ? "timed out" : strerror(-r));
        snprintf(value, sizeof(value), "%u", (unsigned) num_vfs);
        r = write_device_attr(b, pf, "sriov_numvfs", value);
        if (r == -ENOENT)
                /* "Driver does not support SRIOV configuration via sysfs", or no driver at all. */
                return fail(f, r, "the driver of %s does not create VFs (no sriov_configure)", pf);
        if (r < 0)
                return fail(f, r, "setting %u VFs on %s failed: %s", (unsigned) num_vfs, pf,
                            r == -ETIMEDOUT ? "timed out" : strerror(-r));
        return 0;
}

#define SBR_HEADER 64u
#define PCI_BRIDGE_CONTROL 0x3e
#define PCI_BRIDGE_CTL_BUS_RESET 0x40

static void hex_encode(const uint8_t *b, size_t n, char *out) {
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[b[i] >> 4];
                out[2 * i + 1] = digits[b[i] & 15];
        }
        out[2 * n] = 0;
}

static int hex_decode(const char *s, uint8_t *b, size_t n) {
        for (size_t i = 0; i < n; i++) {
                unsigned v;
                if (sscanf(s + 2 * i, "%2x", &v) != 1)
                        return -EINVAL;
                b[i] = (uint8_t) v;
        }
        return 0;
}

/* Waits until the function answers again (Configuration Request Retry ends within a second). */
static bool answers_within(Binder *b, const char *bdf, unsigned ms) {
        for (unsigned waited = 0;; waited += 10) {
                uint16_t vendor = 0xffff;
                if (sysfs_config_read(b->root, bdf, 0, &vendor, sizeof(vendor)) >= 0 && vendor != 0xffff)
                        return true;
                /* A VF reads 0xffff as its vendor: its class tells instead. */
                if (sysfs_config_answers(b->root, bdf) >= 0)
                        return true;
                if (waited >= ms)
                        return false;
                usleep(10 * 1000);
        }
}

/* Writes the standard header back, last dword first as the kernel does (the command register, which turns
 * decoding on, goes last); the IDs (dword 0) are read-only. */
static int restore_header(Binder *b, const char *bdf, const uint8_t *saved) {
        for (unsigned off = SBR_HEADER - 4; off >= 4; off -= 4) {
                int r = sysfs_config_write(b->root, bdf, off, saved + off, 4);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int pulse_secondary_bus_reset(Binder *b, const char *bridge) {
        uint16_t control;
        int r = sysfs_config_read(b->root, bridge, PCI_BRIDGE_CONTROL, &control, sizeof(control));
        if (r < 0)
                return r;
        uint16_t on = control | PCI_BRIDGE_CTL_BUS_RESET, off = control & ~PCI_BRIDGE_CTL_BUS_RESET;
        r = sysfs_config_write(b->root, bridge, PCI_BRIDGE_CONTROL, &on, sizeof(on));
        if (r < 0)
                return r;
        usleep(2 * 1000); /* Trst: at least 1 ms */
        r = sysfs_config_write(b->root, bridge, PCI_BRIDGE_CONTROL, &off, sizeof(off));
        if (r < 0)
                return r;
        usleep(100 * 1000); /* Trhfa: 100 ms before the first config request */
        return 0;
}

int binder_bus_reset(Binder *b, const char *bridge, char *const *scope, int64_t op, char ***ret_dead, BindFailure *f) {
        size_t n = pt_strv_length(scope);
        _cleanup_free_ uint8_t *saved = calloc(n ? n : 1, SBR_HEADER);
        _cleanup_free_ char *step = NULL;
        _cleanup_strv_free_ char **power = NULL;
        size_t step_len = 0;
        int r;

        if (!saved)
                return fail(f, -ENOMEM, "out of memory");
        FILE *out = open_memstream(&step, &step_len);
        if (!out)
                return fail(f, -ENOMEM, "out of memory");
        fprintf(out, "saved");
        for (size_t i = 0; i < n; i++) {
                char hex[2 * SBR_HEADER + 1];
                r = sysfs_config_read(b->root, scope[i], 0, saved + i * SBR_HEADER, SBR_HEADER);
                if (r < 0) {
                        fclose(out);
                        if (sysfs_config_answers(b->root, scope[i]) == -ENXIO && i == 0)
                                f->off_bus = true;
                        return fail(f, r, "saving the config space of %s before the bus reset failed: %s", scope[i],
                                    strerror(-r));
                }
                hex_encode(saved + i * SBR_HEADER, SBR_HEADER, hex);
                fprintf(out, " %s=%s", scope[i], hex);
        }
        if (fclose(out) != 0)
                return fail(f, -ENOMEM, "out of memory");
        /* What recovery needs to put the headers back if passthrud dies with the bus in reset. */
        if (b->journal && (r = store_op_step(b->journal, op, step)) < 0)
                return fail(f, r, "could not record the bus reset of %s in the database", bridge);

        /* Runtime PM would otherwise put an idle function in D3hot around the reset and restore a state the
         * reset already lost: held on ("on") for the duration, then given back. */
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *rel = sysfs_device_attr(scope[i], "power/control"), *old = NULL;
                if (rel && sysfs_read_string(b->root, rel, &old) >= 0 && !streq(old, "on") &&
                    sysfs_write_timeout(b->root, rel, "on", b->timeout_usec) >= 0)
                        (void) pt_strv_push(&power, strdup(scope[i]));
        }

        r = pulse_secondary_bus_reset(b, bridge);

        _cleanup_strv_free_ char **dead = NULL;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (!answers_within(b, scope[i], 1000)) {
                        (void) pt_strv_push(&dead, strdup(scope[i]));
                        continue;
                }
                int k = restore_header(b, scope[i], saved + i * SBR_HEADER);
                if (k < 0)
                        log_warning_errno(k, "Failed to restore the config space of %s after the bus reset: %m",
                                          scope[i]);
        }
        for (char **p = power; p && *p; p++) {
                _cleanup_free_ char *rel = sysfs_device_attr(*p, "power/control");
                if (rel)
                        (void) sysfs_write_timeout(b->root, rel, "auto", b->timeout_usec);
        }
        if (r < 0)
                return fail(f, r, "the secondary bus reset of %s failed: %s", bridge, strerror(-r));
        bool first_dead = dead && pt_strv_contains(dead, scope[0]);
        if (ret_dead)
                *ret_dead = TAKE_PTR(dead);
        if (first_dead) {
                f->off_bus = true;
                return fail(f, -ENXIO, "%s does not answer after the bus reset of %s (config space reads 0xff)",
                            scope[0], bridge);
        }
        return 0;
}

int binder_bus_reset_recover(Binder *b, const char *bridge, const char *saved) {
        _cleanup_strv_free_ char **words = NULL;
        uint16_t control;
        int r = pt_strv_split(saved, " ", &words);
        if (r < 0)
                return r;
        /* A bus held in reset is never right: let it go first. */
        if (sysfs_config_read(b->root, bridge, PCI_BRIDGE_CONTROL, &control, sizeof(control)) >= 0 &&
            (control & PCI_BRIDGE_CTL_BUS_RESET)) {
                control &= ~PCI_BRIDGE_CTL_BUS_RESET;
                (void) sysfs_config_write(b->root, bridge, PCI_BRIDGE_CONTROL, &control, sizeof(control));
                usleep(100 * 1000);
        }
        for (char **w = words; *w; w++) {
                char *eq = strchr(*w, '=');
                uint8_t header[SBR_HEADER];
                if (!eq || strlen(eq + 1) != 2 * SBR_HEADER)
                        continue;
                *eq = 0;
                if (hex_decode(eq + 1, header, SBR_HEADER) < 0 || !answers_within(b, *w, 1000))
                        continue;
                r = restore_header(b, *w, header);
                if (r < 0)
                        log_warning_errno(r, "Recovery: failed to restore the config space of %s: %m", *w);
        }
        return 0;
}
