/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "store.h"

#include "store-private.h"

/* Each entry upgrades from the version before it; never edit one that has shipped, add the next. */
static const char *const migrations[] = {
        /* 1: devices, guests and their assignments */
        "CREATE TABLE devices ("
        "  address TEXT PRIMARY KEY,"
        "  vendor_id INTEGER NOT NULL, device_id INTEGER NOT NULL,"
        "  subsystem_vendor_id INTEGER NOT NULL, subsystem_id INTEGER NOT NULL,"
        "  class INTEGER NOT NULL, serial TEXT NOT NULL DEFAULT '');"
        "CREATE TABLE guests ("
        "  name TEXT PRIMARY KEY,"
        "  created INTEGER NOT NULL);"
        "CREATE TABLE assignments ("
        "  address TEXT PRIMARY KEY REFERENCES devices(address),"
        "  guest TEXT NOT NULL REFERENCES guests(name),"
        "  managed INTEGER NOT NULL, permissive INTEGER NOT NULL, vslot INTEGER NOT NULL,"
        "  assigned INTEGER NOT NULL);",
        /* 2: toolstack options per assignment; room for the hide pool and the intent journal of managed mode */
        "ALTER TABLE assignments ADD COLUMN options TEXT NOT NULL DEFAULT '';"
        "CREATE TABLE hidden ("
        "  address TEXT PRIMARY KEY,"
        "  driver TEXT NOT NULL,"
        "  hidden INTEGER NOT NULL);"
        "CREATE TABLE operations ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  kind TEXT NOT NULL, guest TEXT, address TEXT NOT NULL,"
        "  original_driver TEXT, original_module TEXT,"
        "  step TEXT NOT NULL, started INTEGER NOT NULL);",
        /* 3: managed mode: per-device stub and reset policy, running guests, and where each device passthrud
         * took off the host belongs (its hold) */
        "ALTER TABLE assignments ADD COLUMN driver TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE assignments ADD COLUMN reset_policy TEXT NOT NULL DEFAULT 'strict';"
        "ALTER TABLE guests ADD COLUMN running INTEGER NOT NULL DEFAULT 0;"
        "CREATE TABLE holds ("
        "  address TEXT PRIMARY KEY,"
        "  stub TEXT NOT NULL,"
        "  original_driver TEXT NOT NULL, original_module TEXT NOT NULL,"
        "  original_override TEXT NOT NULL DEFAULT '',"
        "  holder TEXT NOT NULL,"
        "  since INTEGER NOT NULL);",
        /* 4: the hotplug rate limiter's windows, so a restart does not reset them */
        "CREATE TABLE hotplug_events ("
        "  address TEXT NOT NULL,"
        "  at INTEGER NOT NULL);"
        "CREATE INDEX hotplug_events_address ON hotplug_events (address);",
        /* 5: facts about the host itself: the boot the running state belongs to (a guest running before a reboot
         * is not running after it); and the owner each running guest is leased to (its VMM process, or its Xen
         * domain) */
        "CREATE TABLE host ("
        "  key TEXT PRIMARY KEY,"
        "  value TEXT NOT NULL);"
        "CREATE TABLE leases ("
        "  guest TEXT PRIMARY KEY REFERENCES guests(name) ON DELETE CASCADE,"
        "  pid INTEGER NOT NULL DEFAULT 0,"
        "  start_time INTEGER NOT NULL DEFAULT 0,"
        "  domain TEXT NOT NULL DEFAULT '',"
        "  since INTEGER NOT NULL);",
        /* 6: how many SR-IOV VFs each PF is to have (SetVirtualFunctions), applied again at every start */
        "CREATE TABLE vf_counts ("
        "  pf TEXT PRIMARY KEY,"
        "  num_vfs INTEGER NOT NULL,"
        "  since INTEGER NOT NULL);",
};

int sql_error(Store *s, int rc, const char *what) {
        log_error("%s: %s failed: %s", s->path, what, sqlite3_errmsg(s->db));
        return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? -EBUSY : rc == SQLITE_FULL ? -ENOSPC : -EIO;
}

int store_exec(Store *s, const char *sql) {
        char *msg = NULL;
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
                log_error("%s: %s", s->path, msg ? msg : sqlite3_errstr(rc));
                sqlite3_free(msg);
                return rc == SQLITE_FULL ? -ENOSPC : -EIO;
        }
        return 0;
}

int store_statement(Store *s, const char *sql, sqlite3_stmt **ret) {
        size_t i;
        for (i = 0; i < STORE_STATEMENT_CACHE && s->cache[i].sql; i++)
                if (s->cache[i].sql == sql) {
                        sqlite3_reset(s->cache[i].st);
                        sqlite3_clear_bindings(s->cache[i].st);
                        *ret = s->cache[i].st;
                        return 0;
                }
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v3(s->db, sql, -1, i < STORE_STATEMENT_CACHE ? SQLITE_PREPARE_PERSISTENT : 0, &st,
                                    NULL);
        if (rc != SQLITE_OK)
                return sql_error(s, rc, "preparing a statement");
        if (i == STORE_STATEMENT_CACHE) {
                /* Never expected (the statements are a fixed set); correctness does not depend on the cache. */
                sqlite3_finalize(s->cache[0].st);
                i = 0;
        }
        s->cache[i].sql = sql;
        s->cache[i].st = st;
        *ret = st;
        return 0;
}

int store_run(Store *s, const char *sql) {
        sqlite3_stmt *st;
        int r = store_statement(s, sql, &st);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sql_error(s, rc, sql);
}

const char *store_path(const Store *s) {
        return s->path;
}

Store *store_free(Store *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < STORE_STATEMENT_CACHE; i++)
                sqlite3_finalize(s->cache[i].st);
        if (s->db)
                sqlite3_close_v2(s->db);
        free(s->path);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
}

/* Read-only: nothing is written to a file that might be damaged. */
static int check_integrity(Store *s, char **ret_reason) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL);
        char *reason = NULL;

        if (rc == SQLITE_OK) {
                rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        const char *r = (const char *) sqlite3_column_text(st, 0);
                        if (!r || strcmp(r, "ok") != 0)
                                reason = strdup(r ? r : "integrity check failed");
                        rc = SQLITE_OK;
                }
        }
        if (rc != SQLITE_OK && !reason)
                reason = strdup(sqlite3_errmsg(s->db));
        sqlite3_finalize(st);
        if (reason) {
                *ret_reason = reason;
                return -EBADMSG;
        }
        return 0;
}

static int user_version(Store *s, int *ret) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                *ret = sqlite3_column_int(st, 0);
                rc = SQLITE_OK;
        }
        sqlite3_finalize(st);
        return rc == SQLITE_OK ? 0 : sql_error(s, rc, "reading the schema version");
}

static int migrate(Store *s) {
        int version = 0, r;

        r = user_version(s, &version);
        if (r < 0)
                return r;
        if (version > STORE_SCHEMA_VERSION) {
                log_error("%s has schema version %d, newer than this passthrud knows (%d); refusing to touch it",
                          s->path, version, STORE_SCHEMA_VERSION);
                return -EPROTO;
        }
        for (int v = version; v < STORE_SCHEMA_VERSION; v++) {
                char bump[64];
                snprintf(bump, sizeof(bump), "PRAGMA user_version = %d;", v + 1);
                if ((r = store_exec(s, "BEGIN IMMEDIATE")) < 0)
                        return r;
                if ((r = store_exec(s, migrations[v])) < 0 || (r = store_exec(s, bump)) < 0) {
                        (void) store_exec(s, "ROLLBACK");
                        return r;
                }
                if ((r = store_exec(s, "COMMIT")) < 0)
                        return r;
                if (v > 0 || version > 0)
                        log_info("%s: schema upgraded to version %d", s->path, v + 1);
        }
        return 0;
}

/* A second connection for the lifecycle worker thread: the database was checked and migrated by store_open(),
 * and SQLite's locking orders the two connections' transactions. */
int store_open_again(const Store *primary, Store **ret) {
        _cleanup_(store_freep) Store *s = calloc(1, sizeof(*s));
        int r;
        if (!s)
                return -ENOMEM;
        pthread_mutex_init(&s->lock, NULL);
        s->path = strdup(primary->path);
        if (!s->path)
                return -ENOMEM;
        int rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
        if (rc != SQLITE_OK)
                return sql_error(s, rc, "opening");
        sqlite3_busy_timeout(s->db, 5000);
        if ((r = store_exec(s, "PRAGMA synchronous = FULL")) < 0 || (r = store_exec(s, "PRAGMA foreign_keys = ON")) < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int store_open(const char *state_dir, Store **ret, char **ret_reason) {
        _cleanup_(store_freep) Store *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        pthread_mutex_init(&s->lock, NULL);
        s->path = pt_path_join(state_dir, "passthru.db");
        if (!s->path)
                return -ENOMEM;
        /* Created by us with 0600 before SQLite sees it; SQLite's journal files inherit the mode. */
        int fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return log_error_errno(-errno, "Failed to open %s: %m", s->path);
        (void) fchmod(fd, 0600);
        close(fd);

        int rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
        if (rc != SQLITE_OK)
                return sql_error(s, rc, "opening");
        sqlite3_busy_timeout(s->db, 5000);

        r = check_integrity(s, ret_reason);
        if (r < 0)
                return r;
        /* WAL with synchronous=FULL: a commit is on disk before it is acknowledged. */
        if ((r = store_exec(s, "PRAGMA journal_mode = WAL")) < 0 || (r = store_exec(s, "PRAGMA synchronous = FULL")) < 0 ||
            (r = store_exec(s, "PRAGMA foreign_keys = ON")) < 0)
                return r;
        r = migrate(s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

void stored_assignment_done(StoredAssignment *a) {
        free(a->options);
        free(a->driver);
        free(a->reset_policy);
        a->options = a->driver = a->reset_policy = NULL;
        free(a->guest);
        free(a->identity.serial);
        a->guest = a->identity.serial = NULL;
}

int store_load(Store *s, StoredAssignment **ret, size_t *n) {
        static const char sql[] =
                "SELECT a.address, a.guest, a.managed, a.permissive, a.vslot, d.vendor_id, d.device_id,"
                " d.subsystem_vendor_id, d.subsystem_id, d.class, d.serial, a.options, a.driver, a.reset_policy"
                " FROM assignments a JOIN devices d ON d.address = a.address ORDER BY a.guest, a.address";
        sqlite3_stmt *st = NULL;
        StoredAssignment *list = NULL;
        size_t count = 0;
        int rc;

        rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(s, rc, "reading assignments");
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                StoredAssignment *grown = realloc(list, (count + 1) * sizeof(StoredAssignment));
                if (!grown) {
                        rc = SQLITE_NOMEM;
                        break;
                }
                list = grown;
                StoredAssignment *a = &list[count++];
                *a = (StoredAssignment) {};
                snprintf(a->address, sizeof(a->address), "%s", (const char *) sqlite3_column_text(st, 0));
                a->guest = strdup((const char *) sqlite3_column_text(st, 1));
                a->managed = sqlite3_column_int(st, 2);
                a->permissive = sqlite3_column_int(st, 3);
                a->vslot = sqlite3_column_int(st, 4);
                a->identity.vendor_id = (uint16_t) sqlite3_column_int(st, 5);
                a->identity.device_id = (uint16_t) sqlite3_column_int(st, 6);
                a->identity.subsystem_vendor_id = (uint16_t) sqlite3_column_int(st, 7);
                a->identity.subsystem_id = (uint16_t) sqlite3_column_int(st, 8);
                a->identity.class_code = (uint32_t) sqlite3_column_int(st, 9);
                a->identity.serial = strdup((const char *) sqlite3_column_text(st, 10));
                a->options = strdup((const char *) sqlite3_column_text(st, 11));
                a->driver = strdup((const char *) sqlite3_column_text(st, 12));
                a->reset_policy = strdup((const char *) sqlite3_column_text(st, 13));
                if (!a->guest || !a->identity.serial || !a->options || !a->driver || !a->reset_policy) {
                        rc = SQLITE_NOMEM;
                        break;
                }
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
                for (size_t i = 0; i < count; i++)
                        stored_assignment_done(&list[i]);
                free(list);
                return rc == SQLITE_NOMEM ? -ENOMEM : sql_error(s, rc, "reading assignments");
        }
        *ret = list;
        *n = count;
        return 0;
}

int step_bound(Store *s, sqlite3_stmt *st, const char *what) {
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return rc == SQLITE_DONE ? 0 : sql_error(s, rc, what);
}

/* The rows of these assignments, inside the caller's transaction. */
int store_assign_rows(Store *s, const StoredAssignment *list, size_t n) {
        sqlite3_stmt *guest, *dev, *assign;
        int64_t now = (int64_t) time(NULL);
        int r;

        if ((r = store_statement(s, "INSERT OR IGNORE INTO guests (name, created) VALUES (?, ?)", &guest)) < 0 ||
            (r = store_statement(s, "INSERT OR REPLACE INTO devices (address, vendor_id, device_id, "
                                    "subsystem_vendor_id, subsystem_id, class, serial) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 &dev)) < 0 ||
            (r = store_statement(s, "INSERT INTO assignments (address, guest, managed, permissive, vslot, assigned, "
                                    "options, driver, reset_policy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", &assign)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                const StoredAssignment *a = &list[i];
                sqlite3_bind_text(guest, 1, a->guest, -1, SQLITE_STATIC);
                sqlite3_bind_int64(guest, 2, now);
                if ((r = step_bound(s, guest, "recording the guest")) < 0)
                        return r;
                sqlite3_bind_text(dev, 1, a->address, -1, SQLITE_STATIC);
                sqlite3_bind_int(dev, 2, a->identity.vendor_id);
                sqlite3_bind_int(dev, 3, a->identity.device_id);
                sqlite3_bind_int(dev, 4, a->identity.subsystem_vendor_id);
                sqlite3_bind_int(dev, 5, a->identity.subsystem_id);
                sqlite3_bind_int64(dev, 6, a->identity.class_code);
                sqlite3_bind_text(dev, 7, strempty(a->identity.serial), -1, SQLITE_STATIC);
                if ((r = step_bound(s, dev, "recording the device")) < 0)
                        return r;
                sqlite3_bind_text(assign, 1, a->address, -1, SQLITE_STATIC);
                sqlite3_bind_text(assign, 2, a->guest, -1, SQLITE_STATIC);
                sqlite3_bind_int(assign, 3, a->managed);
                sqlite3_bind_int(assign, 4, a->permissive);
                sqlite3_bind_int(assign, 5, a->vslot);
                sqlite3_bind_int64(assign, 6, now);
                sqlite3_bind_text(assign, 7, strempty(a->options), -1, SQLITE_STATIC);
                sqlite3_bind_text(assign, 8, strempty(a->driver), -1, SQLITE_STATIC);
                sqlite3_bind_text(assign, 9, a->reset_policy ? a->reset_policy : "strict", -1, SQLITE_STATIC);
                if ((r = step_bound(s, assign, "recording the assignment")) < 0)
                        return r;
        }
        return 0;
}

int store_assign(Store *s, const StoredAssignment *list, size_t n) {
        int r;
        if (n == 0)
                return 0;
        if ((r = store_run(s, "BEGIN IMMEDIATE")) < 0)
                return r;
        if ((r = store_assign_rows(s, list, n)) < 0) {
                (void) store_run(s, "ROLLBACK");
                return r;
        }
        return store_run(s, "COMMIT");
}

/* Inside the caller's transaction. A guest is the set of its devices: with the last one, it goes too. */
int store_unassign_rows(Store *s, const char *guest_name, char *const *addresses) {
        sqlite3_stmt *del;
        int r = store_statement(s, "DELETE FROM assignments WHERE guest = ? AND address = ?", &del);
        if (r < 0)
                return r;
        for (char *const *a = addresses; a && *a; a++) {
                sqlite3_bind_text(del, 1, guest_name, -1, SQLITE_STATIC);
                sqlite3_bind_text(del, 2, *a, -1, SQLITE_STATIC);
                if ((r = step_bound(s, del, "removing the assignment")) < 0)
                        return r;
        }
        if ((r = store_run(s, "DELETE FROM guests WHERE name NOT IN (SELECT guest FROM assignments)")) < 0 ||
            (r = store_run(s, "DELETE FROM devices WHERE address NOT IN (SELECT address FROM assignments)")) < 0)
                return r;
        return 0;
}

int store_unassign(Store *s, const char *guest_name, char *const *addresses) {
        int r;
        if ((r = store_run(s, "BEGIN IMMEDIATE")) < 0)
                return r;
        if ((r = store_unassign_rows(s, guest_name, addresses)) < 0) {
                (void) store_run(s, "ROLLBACK");
                return r;
        }
        return store_run(s, "COMMIT");
}
