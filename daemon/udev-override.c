/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passthrud-udev-override: called by the udev rule on every PCI "add" (70-passthru.rules). Prints the stub
 * driver a device at that address must get as its driver_override, read from passthrud's database: a hidden
 * address, or a device held for a running guest. Works before passthrud runs (early boot, coldplug), so no host
 * driver module loaded later by its modalias ever probes the device. Exit 0: printed; 1: leave the device alone;
 * 2: error. Read-only: the database is never changed here. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passthru/pt-address.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"
#include "store.h"

/* Early boot, before udev's coldplug loads host driver modules by modalias: every hidden (or held) device that is
 * there gets its override now, so the module loaded for a sibling with the same IDs does not take it. A device a
 * driver already has (built in, or loaded in the initramfs) is left to passthrud, which claims it back. */
/* The file's first line without its newline; NULL when it cannot be read. */
static char *read_first_line(const char *path) {
        _cleanup_fclose_ FILE *f = path ? fopen(path, "re") : NULL;
        char line[128];
        if (!f || !fgets(line, sizeof(line), f))
                return NULL;
        line[strcspn(line, "\n")] = 0;
        return strdup(line);
}

static char *device_path(const char *sysfs_root, const char *bdf, const char *attribute) {
        _cleanup_free_ char *rel = NULL;
        if (asprintf(&rel, "bus/pci/devices/%s/%s", bdf, attribute) < 0)
                return NULL;
        return pt_path_join(sysfs_root, rel);
}

/* 1 written, 0 no such device, -1 the write failed. */
static int write_override(const char *sysfs_root, const char *bdf, const char *value) {
        _cleanup_free_ char *path = device_path(sysfs_root, bdf, "driver_override");
        FILE *f = path ? fopen(path, "we") : NULL;
        if (!f)
                return path ? 0 : -1;
        bool ok = fputs(value, f) >= 0;
        ok = fclose(f) == 0 && ok;
        return ok ? 1 : -1;
}

static bool listed(char **l, const char *bdf) {
        size_t n = strlen(bdf);
        for (char **e = l; e && *e; e++)
                if (strncmp(*e, bdf, n) == 0 && (*e)[n] == ' ')
                        return true;
        return false;
}

/* The initramfs applied the claims of the day it was built (see initramfs-tools/). A device unhidden since then
 * still carries that override and, having no driver, would stay without one: its claim is withdrawn here, before
 * coldplug, so its host driver binds it. A device some driver has already taken is not touched. */
static int withdraw_stale_claims(const char *claims_file, const char *sysfs_root, char **current) {
        _cleanup_fclose_ FILE *f = fopen(claims_file, "re");
        if (!f)
                return 0;
        int failed = 0;
        char line[128];
        while (fgets(line, sizeof(line), f)) {
                char bdf[PT_ADDRESS_STRLEN] = "", stub[64] = "";
                if (sscanf(line, "%15s %63s", bdf, stub) != 2 || listed(current, bdf))
                        continue;
                _cleanup_free_ char *driver = device_path(sysfs_root, bdf, "driver"),
                                    *override = device_path(sysfs_root, bdf, "driver_override");
                if (!driver || !override)
                        return 2;
                _cleanup_free_ char *now = read_first_line(override);
                if (access(driver, F_OK) == 0 || !now || !streq(now, stub))
                        continue;
                int r = write_override(sysfs_root, bdf, "\n");
                printf("%s: stale initramfs claim (%s) withdrawn%s\n", bdf, stub, r < 0 ? " failed" : "");
                failed += r < 0;
        }
        return failed;
}

static int apply_all(const char *me, const char *state_dir, const char *sysfs_root, const char *boot_id,
                     const char *claims_file) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *why = NULL;
        int r = store_list_overrides(state_dir, boot_id, &l, &why);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", me, why ? why : strerror(-r));
                return 2;
        }
        int failed = 0;
        for (char **e = l; *e; e++) {
                char bdf[PT_ADDRESS_STRLEN] = "", stub[64] = "";
                if (sscanf(*e, "%15s %63s", bdf, stub) != 2)
                        continue;
                r = write_override(sysfs_root, bdf, stub);
                if (r == 0)
                        printf("%s: not present\n", bdf);
                else
                        printf("%s: driver_override %s%s\n", bdf, stub, r < 0 ? " failed" : "");
                failed += r < 0;
        }
        if (claims_file) {
                r = withdraw_stale_claims(claims_file, sysfs_root, l);
                if (r == 2)
                        return 2;
                failed += r;
        }
        return failed ? 1 : 0;
}

/* For the initramfs hook: what the initramfs claims at the next boot. Only hidden addresses: no guest is
 * running at a boot that has not begun. */
static int list_hidden(const char *me, const char *state_dir) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *why = NULL;
        int r = store_list_overrides(state_dir, "", &l, &why);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", me, why ? why : strerror(-r));
                return 2;
        }
        for (char **e = l; *e; e++)
                puts(*e);
        return 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "state-dir", required_argument, NULL, 's' },
                { "proc-root", required_argument, NULL, 'p' },
                { "sysfs-root", required_argument, NULL, 'S' },
                { "apply", no_argument, NULL, 'a' },
                { "list-hidden", no_argument, NULL, 'l' },
                { "initramfs-claims", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *state_dir = getenv("STATE_DIRECTORY") ?: PT_DEFAULT_STATE_DIR, *proc_root = "/proc",
                   *sysfs_root = PT_DEFAULT_SYSFS_ROOT;
        const char *claims_file = PT_DEFAULT_RUNTIME_DIR "/initramfs-claims";
        bool apply = false, hidden = false;
        char bdf[PT_ADDRESS_STRLEN];
        PtAddress a;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 's': state_dir = optarg; break;
                case 'p': proc_root = optarg; break;
                case 'S': sysfs_root = optarg; break;
                case 'a': apply = true; break;
                case 'l': hidden = true; break;
                case 'c': claims_file = optarg; break;
                case 'h':
                        printf("Usage: %s [--state-dir DIR] [--proc-root DIR] PCI-ADDRESS\n"
                               "       %s --apply [--state-dir DIR] [--proc-root DIR] [--sysfs-root DIR]\n"
                               "                  [--initramfs-claims FILE]\n"
                               "       %s --list-hidden [--state-dir DIR]\n\n"
                               "Prints the stub driver passthrud keeps this device on, for udev's driver_override. A "
                               "guest that was running in an earlier boot (DIR/sys/kernel/random/boot_id) is not "
                               "running. With --apply (passthrud-early.service, before udev's coldplug), writes that "
                               "driver_override for every such device present, and withdraws the initramfs's claims "
                               "(FILE, default " PT_DEFAULT_RUNTIME_DIR "/initramfs-claims) on devices no longer "
                               "hidden that no driver has. With --list-hidden (the initramfs-tools hook), prints "
                               "\"ADDRESS STUB\" for every hidden address.\n", argv[0], argv[0], argv[0]);
                        return 0;
                default: return 2;
                }
        _cleanup_free_ char *stub = NULL, *why = NULL;
        _cleanup_free_ char *boot_path = pt_path_join(proc_root, "sys/kernel/random/boot_id");
        _cleanup_free_ char *boot_id = read_first_line(boot_path);
        if (hidden)
                return list_hidden(argv[0], state_dir);
        if (apply)
                return apply_all(argv[0], state_dir, sysfs_root, boot_id, claims_file);
        if (argc - optind != 1 || pt_address_parse(argv[optind], &a, NULL) < 0) {
                fprintf(stderr, "%s: expected one PCI address\n", argv[0]);
                return 2;
        }
        pt_address_format(&a, bdf);

        int r = store_lookup_override(state_dir, bdf, boot_id, &stub, &why);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", argv[0], why ? why : strerror(-r));
                return 2;
        }
        if (r == 0)
                return 1;
        puts(stub);
        return 0;
}
