/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passthrud-udev-override: called by the udev rule on every PCI "add" (70-passthru.rules). Prints the stub
 * driver a device at that address must get as its driver_override, read from passthrud's database: a hidden
 * address, or a device held for a running guest. Works before passthrud runs (early boot, coldplug), so no host
 * driver module loaded later by its modalias ever probes the device. Exit 0: printed; 1: leave the device alone;
 * 2: error. Read-only: the database is never changed here. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passthru/pt-address.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"
#include "store.h"

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "state-dir", required_argument, NULL, 's' },
                { "proc-root", required_argument, NULL, 'p' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *state_dir = getenv("STATE_DIRECTORY") ?: PT_DEFAULT_STATE_DIR, *proc_root = "/proc";
        char bdf[PT_ADDRESS_STRLEN];
        PtAddress a;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 's': state_dir = optarg; break;
                case 'p': proc_root = optarg; break;
                case 'h':
                        printf("Usage: %s [--state-dir DIR] [--proc-root DIR] PCI-ADDRESS\n\nPrints the stub driver "
                               "passthrud keeps this device on, for udev's driver_override. A guest that was running "
                               "in an earlier boot (DIR/sys/kernel/random/boot_id) is not running.\n", argv[0]);
                        return 0;
                default: return 2;
                }
        if (argc - optind != 1 || pt_address_parse(argv[optind], &a, NULL) < 0) {
                fprintf(stderr, "%s: expected one PCI address\n", argv[0]);
                return 2;
        }
        pt_address_format(&a, bdf);

        _cleanup_free_ char *stub = NULL, *why = NULL, *boot_id = NULL;
        _cleanup_free_ char *boot_path = pt_path_join(proc_root, "sys/kernel/random/boot_id");
        _cleanup_fclose_ FILE *bf = boot_path ? fopen(boot_path, "re") : NULL;
        char line[64] = "";
        if (bf && fgets(line, sizeof(line), bf)) {
                line[strcspn(line, "\n")] = 0;
                boot_id = strdup(line);
        }
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
