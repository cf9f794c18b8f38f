/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The read-only question the udev helper asks at a device's add event, answered from the store's own tables. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passthru/pt-macros.h"
#include <stdbool.h>
#include "pt-util.h"
#include "store.h"

static int lookup(sqlite3 *db, const char *sql, const char *bdf, char **ret) {
        sqlite3_stmt *st = NULL;
        int r = 0;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(st, 1, bdf, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
                *ret = strdup((const char *) sqlite3_column_text(st, 0));
                r = *ret ? 1 : -ENOMEM;
        }
        sqlite3_finalize(st);
        return r;
}

/* Opens the database read-only; 0 with *ret_db NULL when there is none (nothing is recorded yet). */
static int open_read_only(const char *state_dir, sqlite3 **ret_db, char **ret_error) {
        _cleanup_free_ char *path = pt_path_join(state_dir, "passthru.db");
        *ret_db = NULL;
        if (!path)
                return -ENOMEM;
        if (access(path, R_OK) < 0)
                return 0;
        sqlite3 *db = NULL;
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
                if (ret_error && asprintf(ret_error, "cannot open %s: %s", path,
                                          db ? sqlite3_errmsg(db) : "out of memory") < 0)
                        *ret_error = NULL;
                sqlite3_close(db);
                return -EIO;
        }
        sqlite3_busy_timeout(db, 2000);
        *ret_db = db;
        return 0;
}

int store_lookup_override(const char *state_dir, const char *bdf, const char *boot_id, char **ret_stub,
                          char **ret_error) {
        sqlite3 *db = NULL;
        int r = open_read_only(state_dir, &db, ret_error);
        if (r < 0 || !db)
                return r; /* no database: nothing is hidden */
        r = lookup(db, "SELECT driver FROM hidden WHERE address = ?", bdf, ret_stub);
        /* A guest marked running in another boot is not running: its devices go to their host drivers. */
        _cleanup_free_ char *recorded = NULL;
        bool same_boot = !boot_id ||
                         (boot_id[0] && (lookup(db, "SELECT value FROM host WHERE key = ?", "boot_id", &recorded) <= 0 ||
                                         streq(recorded, boot_id)));
        if (r == 0 && same_boot)
                r = lookup(db, "SELECT h.stub FROM holds h JOIN guests g ON g.name = h.holder "
                               "WHERE h.address = ? AND g.running", bdf, ret_stub);
        sqlite3_close(db);
        return r;
}

int store_list_overrides(const char *state_dir, const char *boot_id, char ***ret, char **ret_error) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        _cleanup_strv_free_ char **addresses = NULL;
        sqlite3 *db = NULL;
        int r = open_read_only(state_dir, &db, ret_error);
        if (r < 0)
                return r;
        if (!db) {
                *ret = TAKE_PTR(l);
                return 0;
        }
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT address FROM hidden UNION SELECT h.address FROM holds h JOIN guests g "
                               "ON g.name = h.holder WHERE g.running", -1, &st, NULL) == SQLITE_OK) {
                while (r >= 0 && sqlite3_step(st) == SQLITE_ROW)
                        r = pt_strv_push(&addresses, strdup((const char *) sqlite3_column_text(st, 0)));
                sqlite3_finalize(st);
        }
        sqlite3_close(db);
        if (r < 0)
                return r;
        /* Each through the one lookup, so the boot rule and the stub are decided in one place. */
        for (char **a = addresses; a && *a; a++) {
                _cleanup_free_ char *stub = NULL;
                int k = store_lookup_override(state_dir, *a, boot_id, &stub, ret_error);
                if (k < 0)
                        return k;
                char *line = NULL;
                if (k > 0 && (asprintf(&line, "%s %s", *a, stub) < 0 || pt_strv_push(&l, line) < 0))
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}
