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
static int apply_all(const char *me, const char *state_dir, const char *sysfs_root, const char *boot_id) {
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
                _cleanup_free_ char *rel = NULL, *path = NULL;
                if (asprintf(&rel, "bus/pci/devices/%s/driver_override", bdf) < 0 || !(path = pt_path_join(sysfs_root, rel)))
                        return 2;
                FILE *f = fopen(path, "we");
                if (!f) {
                        printf("%s: not present\n", bdf);
                        continue;
                }
                bool ok = fputs(stub, f) >= 0;
                ok = fclose(f) == 0 && ok;
                printf("%s: driver_override %s%s\n", bdf, stub, ok ? "" : " failed");
                failed += !ok;
        }
        return failed ? 1 : 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "state-dir", required_argument, NULL, 's' },
                { "proc-root", required_argument, NULL, 'p' },
                { "sysfs-root", required_argument, NULL, 'S' },
                { "apply", no_argument, NULL, 'a' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *state_dir = getenv("STATE_DIRECTORY") ?: PT_DEFAULT_STATE_DIR, *proc_root = "/proc",
                   *sysfs_root = PT_DEFAULT_SYSFS_ROOT;
        bool apply = false;
        char bdf[PT_ADDRESS_STRLEN];
        PtAddress a;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 's': state_dir = optarg; break;
                case 'p': proc_root = optarg; break;
                case 'S': sysfs_root = optarg; break;
                case 'a': apply = true; break;
                case 'h':
                        printf("Usage: %s [--state-dir DIR] [--proc-root DIR] PCI-ADDRESS\n"
                               "       %s --apply [--state-dir DIR] [--proc-root DIR] [--sysfs-root DIR]\n\n"
                               "Prints the stub driver passthrud keeps this device on, for udev's driver_override. A "
                               "guest that was running in an earlier boot (DIR/sys/kernel/random/boot_id) is not "
                               "running. With --apply (passthrud-early.service, before udev's coldplug), writes that "
                               "driver_override for every such device present.\n", argv[0], argv[0]);
                        return 0;
                default: return 2;
                }
        _cleanup_free_ char *stub = NULL, *why = NULL, *boot_id = NULL;
        _cleanup_free_ char *boot_path = pt_path_join(proc_root, "sys/kernel/random/boot_id");
        _cleanup_fclose_ FILE *bf = boot_path ? fopen(boot_path, "re") : NULL;
        char line[64] = "";
        if (bf && fgets(line, sizeof(line), bf)) {
                line[strcspn(line, "\n")] = 0;
                boot_id = strdup(line);
        }
        if (apply)
                return apply_all(argv[0], state_dir, sysfs_root, boot_id);
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
