/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passthrud-udev-override: called by the udev rule on every PCI "add" (70-passthru.rules). Prints the stub
 * driver a device at that address must get as its driver_override, read from passthrud's database: a hidden
 * address, or a device held for a running guest. Works before passthrud runs (early boot, coldplug), so no host
 * driver module loaded later by its modalias ever probes the device. Exit 0: printed; 1: leave the device alone;
 * 2: error. Read-only: the database is never changed here. */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passthru/pt-address.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"

static const char *lookup(sqlite3 *db, const char *sql, const char *bdf, char *out, size_t size) {
        sqlite3_stmt *st = NULL;
        const char *found = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
                return NULL;
        sqlite3_bind_text(st, 1, bdf, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
                snprintf(out, size, "%s", (const char *) sqlite3_column_text(st, 0));
                found = out;
        }
        sqlite3_finalize(st);
        return found;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "state-dir", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *state_dir = getenv("STATE_DIRECTORY") ?: PT_DEFAULT_STATE_DIR;
        char bdf[PT_ADDRESS_STRLEN], driver[64];
        PtAddress a;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 's': state_dir = optarg; break;
                case 'h':
                        printf("Usage: %s [--state-dir DIR] PCI-ADDRESS\n\nPrints the stub driver passthrud keeps "
                               "this device on, for udev's driver_override.\n", argv[0]);
                        return 0;
                default: return 2;
                }
        if (argc - optind != 1 || pt_address_parse(argv[optind], &a, NULL) < 0) {
                fprintf(stderr, "%s: expected one PCI address\n", argv[0]);
                return 2;
        }
        pt_address_format(&a, bdf);

        _cleanup_free_ char *path = pt_path_join(state_dir, "passthru.db");
        if (!path || access(path, R_OK) < 0)
                return 1; /* no database: nothing is hidden */
        sqlite3 *db = NULL;
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
                fprintf(stderr, "%s: cannot open %s: %s\n", argv[0], path, db ? sqlite3_errmsg(db) : "out of memory");
                sqlite3_close(db);
                return 2;
        }
        sqlite3_busy_timeout(db, 2000);
        const char *stub = lookup(db, "SELECT driver FROM hidden WHERE address = ?", bdf, driver, sizeof(driver));
        if (!stub)
                stub = lookup(db, "SELECT h.stub FROM holds h JOIN guests g ON g.name = h.holder "
                                  "WHERE h.address = ? AND g.running", bdf, driver, sizeof(driver));
        sqlite3_close(db);
        if (!stub)
                return 1;
        puts(stub);
        return 0;
}
