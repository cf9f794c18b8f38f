/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Managed mode's records: holds (where a device passthrud took off the host belongs), the hide pool, running
 * guests and the intent journal. Every change is one transaction, as in store.c. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "store-private.h"

void stored_hold_done(StoredHold *h) {
        free(h->stub);
        free(h->original_driver);
        free(h->original_module);
        free(h->original_override);
        free(h->holder);
        *h = (StoredHold) {};
}

void stored_hidden_done(StoredHidden *h) {
        free(h->driver);
        *h = (StoredHidden) {};
}

void stored_operation_done(StoredOperation *o) {
        free(o->kind);
        free(o->guest);
        free(o->address);
        free(o->original_driver);
        free(o->original_module);
        free(o->step);
        *o = (StoredOperation) {};
}

static char *column_dup(sqlite3_stmt *st, int i) {
        const char *t = (const char *) sqlite3_column_text(st, i);
        return strdup(t ? t : "");
}

/* Runs a query and hands each row to fill(), which returns false when out of memory. */
static int load_rows(Store *s, const char *sql, size_t item_size, bool (*fill)(sqlite3_stmt *st, void *item),
                     void (*done)(void *item), void **ret, size_t *n, const char *what) {
        sqlite3_stmt *st = NULL;
        char *list = NULL;
        size_t count = 0;
        int rc, r = store_statement(s, sql, &st);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                char *grown = realloc(list, (count + 1) * item_size);
                if (!grown) {
                        rc = SQLITE_NOMEM;
                        break;
                }
                list = grown;
                memset(list + count * item_size, 0, item_size);
                count++;
                if (!fill(st, list + (count - 1) * item_size)) {
                        rc = SQLITE_NOMEM;
                        break;
                }
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
                for (size_t i = 0; i < count; i++)
                        done(list + i * item_size);
                free(list);
                return rc == SQLITE_NOMEM ? -ENOMEM : sql_error(s, rc, what);
        }
        *ret = list;
        *n = count;
        return 0;
}

static bool fill_hold(sqlite3_stmt *st, void *item) {
        StoredHold *h = item;
        snprintf(h->address, sizeof(h->address), "%s", (const char *) sqlite3_column_text(st, 0));
        h->stub = column_dup(st, 1);
        h->original_driver = column_dup(st, 2);
        h->original_module = column_dup(st, 3);
        h->holder = column_dup(st, 4);
        h->original_override = column_dup(st, 5);
        return h->stub && h->original_driver && h->original_module && h->holder && h->original_override;
}

static void done_hold(void *item) {
        stored_hold_done(item);
}

int store_load_holds(Store *s, StoredHold **ret, size_t *n) {
        return load_rows(s, "SELECT address, stub, original_driver, original_module, holder, original_override FROM holds "
                         "ORDER BY address",
                         sizeof(StoredHold), fill_hold, done_hold, (void **) ret, n, "reading holds");
}

static bool fill_hidden(sqlite3_stmt *st, void *item) {
        StoredHidden *h = item;
        snprintf(h->address, sizeof(h->address), "%s", (const char *) sqlite3_column_text(st, 0));
        h->driver = column_dup(st, 1);
        return h->driver;
}

static void done_hidden(void *item) {
        stored_hidden_done(item);
}

int store_load_hidden(Store *s, StoredHidden **ret, size_t *n) {
        return load_rows(s, "SELECT address, driver FROM hidden ORDER BY address", sizeof(StoredHidden), fill_hidden,
                         done_hidden, (void **) ret, n, "reading the hide pool");
}

static bool fill_operation(sqlite3_stmt *st, void *item) {
        StoredOperation *o = item;
        o->id = sqlite3_column_int64(st, 0);
        o->kind = column_dup(st, 1);
        o->guest = column_dup(st, 2);
        o->address = column_dup(st, 3);
        o->original_driver = column_dup(st, 4);
        o->original_module = column_dup(st, 5);
        o->step = column_dup(st, 6);
        return o->kind && o->guest && o->address && o->original_driver && o->original_module && o->step;
}

static void done_operation(void *item) {
        stored_operation_done(item);
}

int store_load_operations(Store *s, StoredOperation **ret, size_t *n) {
        return load_rows(s, "SELECT id, kind, guest, address, original_driver, original_module, step FROM operations "
                         "ORDER BY id", sizeof(StoredOperation), fill_operation, done_operation, (void **) ret, n,
                         "reading the operation journal");
}

int store_load_running(Store *s, char ***ret) {
        sqlite3_stmt *st = NULL;
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int rc;
        if (!l)
                return -ENOMEM;
        int r = store_statement(s, "SELECT name FROM guests WHERE running ORDER BY name", &st);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                if (pt_strv_push(&l, column_dup(st, 0)) < 0) {
                        sqlite3_reset(st);
                        return -ENOMEM;
                }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return sql_error(s, rc, "reading running guests");
        *ret = TAKE_PTR(l);
        return 0;
}

/* One statement with text parameters as one transaction; returns the number of rows changed. */
static int change(Store *s, const char *sql, const char *what, const char *a, const char *b) {
        sqlite3_stmt *st = NULL;
        int r = store_statement(s, sql, &st);
        if (r < 0)
                return r;
        if (a)
                sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
        if (b)
                sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_CONSTRAINT)
                return -EEXIST;
        if (rc != SQLITE_DONE)
                return sql_error(s, rc, what);
        return sqlite3_changes(s->db);
}

static int hide_locked(Store *s, const char *address, const char *driver) {
        int r = change(s, "INSERT INTO hidden (address, driver, hidden) "
                          "VALUES (?, ?, CAST(strftime('%s', 'now') AS INTEGER))", "hiding", address, driver);
        return r < 0 ? r : 0;
}

static bool fill_vf_count(sqlite3_stmt *st, void *item) {
        StoredVfCount *v = item;
        snprintf(v->pf, sizeof(v->pf), "%s", (const char *) sqlite3_column_text(st, 0));
        v->num_vfs = (uint32_t) sqlite3_column_int64(st, 1);
        return true;
}

static void done_vf_count(void *item) {
}

int store_load_vf_counts(Store *s, StoredVfCount **ret, size_t *n) {
        pthread_mutex_lock(&s->lock);
        int r = load_rows(s, "SELECT pf, num_vfs FROM vf_counts ORDER BY pf", sizeof(StoredVfCount), fill_vf_count,
                          done_vf_count, (void **) ret, n, "reading the VF counts");
        pthread_mutex_unlock(&s->lock);
        return r;
}

/* How long a commit waits: for the disk (FULL), or only for the kernel's page cache (NORMAL, a step inside an
 * operation whose end waits). The pragma applies to the commits that follow it. */
static void set_sync(Store *s, bool relaxed) {
        if (s->relaxed_sync == relaxed)
                return;
        if (store_exec(s, relaxed ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL") >= 0)
                s->relaxed_sync = relaxed;
}

/* The journal connection is shared by the executor's lanes: one transaction at a time. */
int store_hide(Store *s, const char *address, const char *driver) {
        pthread_mutex_lock(&s->lock);
        set_sync(s, false);
        int r = hide_locked(s, address, driver);
        pthread_mutex_unlock(&s->lock);
        return r;
}

int store_set_vf_count(Store *s, const char *pf, uint32_t num_vfs) {
        sqlite3_stmt *st = NULL;
        pthread_mutex_lock(&s->lock);
        set_sync(s, false);
        int r = num_vfs == 0 ? store_statement(s, "DELETE FROM vf_counts WHERE pf = ?", &st) :
                               store_statement(s, "INSERT OR REPLACE INTO vf_counts (pf, num_vfs, since) "
                                                  "VALUES (?, ?, CAST(strftime('%s', 'now') AS INTEGER))", &st);
        if (r >= 0) {
                sqlite3_bind_text(st, 1, pf, -1, SQLITE_STATIC);
                if (num_vfs > 0)
                        sqlite3_bind_int64(st, 2, num_vfs);
                int rc = sqlite3_step(st);
                sqlite3_reset(st);
                if (rc != SQLITE_DONE)
                        r = sql_error(s, rc, "recording the VF count");
        }
        pthread_mutex_unlock(&s->lock);
        return r < 0 ? r : 0;
}

static int unhide_locked(Store *s, const char *address) {
        int r = change(s, "DELETE FROM hidden WHERE address = ?", "unhiding", address, NULL);
        return r < 0 ? r : r == 0 ? -ENOENT : 0;
}

int store_unhide(Store *s, const char *address) {
        pthread_mutex_lock(&s->lock);
        set_sync(s, false);
        int r = unhide_locked(s, address);
        pthread_mutex_unlock(&s->lock);
        return r;
}

static int op_begin_locked(Store *s, const char *kind, const char *guest, const char *address, const StoredHold *hold,
                   int64_t *ret_id) {
        sqlite3_stmt *op = NULL, *h = NULL;
        int64_t now = (int64_t) time(NULL);
        int r;

        if ((r = store_run(s, "BEGIN IMMEDIATE")) < 0)
                return r;
        if ((r = store_statement(s, "INSERT INTO operations (kind, guest, address, original_driver, original_module, "
                                    "step, started) VALUES (?, ?, ?, ?, ?, 'begin', ?)", &op)) < 0)
                goto rollback;
        sqlite3_bind_text(op, 1, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(op, 2, strempty(guest), -1, SQLITE_STATIC);
        sqlite3_bind_text(op, 3, strempty(address), -1, SQLITE_STATIC);
        sqlite3_bind_text(op, 4, hold ? hold->original_driver : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(op, 5, hold ? hold->original_module : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(op, 6, now);
        if ((r = step_bound(s, op, "journaling an operation")) < 0)
                goto rollback;
        *ret_id = sqlite3_last_insert_rowid(s->db);
        if (hold) {
                if ((r = store_statement(s, "INSERT OR REPLACE INTO holds (address, stub, original_driver, "
                                            "original_module, holder, since, original_override) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                            &h)) < 0)
                        goto rollback;
                sqlite3_bind_text(h, 1, hold->address, -1, SQLITE_STATIC);
                sqlite3_bind_text(h, 2, hold->stub, -1, SQLITE_STATIC);
                sqlite3_bind_text(h, 3, hold->original_driver, -1, SQLITE_STATIC);
                sqlite3_bind_text(h, 4, hold->original_module, -1, SQLITE_STATIC);
                sqlite3_bind_text(h, 5, hold->holder, -1, SQLITE_STATIC);
                sqlite3_bind_int64(h, 6, now);
                sqlite3_bind_text(h, 7, strempty(hold->original_override), -1, SQLITE_STATIC);
                if ((r = step_bound(s, h, "recording a hold")) < 0)
                        goto rollback;
        }
        return store_run(s, "COMMIT");
rollback:
        (void) store_run(s, "ROLLBACK");
        return r;
}

int store_op_begin(Store *s, const char *kind, const char *guest, const char *address, const StoredHold *hold,
                   int64_t *ret_id) {
        pthread_mutex_lock(&s->lock);
        set_sync(s, true);
        int r = op_begin_locked(s, kind, guest, address, hold, ret_id);
        pthread_mutex_unlock(&s->lock);
        return r;
}

static int op_step_locked(Store *s, int64_t id, const char *step) {
        char idtext[32];
        snprintf(idtext, sizeof(idtext), "%lld", (long long) id);
        int r = change(s, "UPDATE operations SET step = ? WHERE id = ?", "journaling a step", step, idtext);
        return r < 0 ? r : 0;
}

int store_op_step(Store *s, int64_t id, const char *step) {
        pthread_mutex_lock(&s->lock);
        set_sync(s, true);
        int r = op_step_locked(s, id, step);
        pthread_mutex_unlock(&s->lock);
        return r;
}

static int op_end_locked(Store *s, int64_t id, const StoreOpEnd *e) {
        char idtext[32];
        int r;
        snprintf(idtext, sizeof(idtext), "%lld", (long long) id);
        if ((r = store_run(s, "BEGIN IMMEDIATE")) < 0)
                return r;
        if ((r = change(s, "DELETE FROM operations WHERE id = ?", "ending an operation", idtext, NULL)) < 0)
                goto rollback;
        if (e && e->drop_hold &&
            (r = change(s, "DELETE FROM holds WHERE address = ?", "dropping a hold", e->drop_hold, NULL)) < 0)
                goto rollback;
        if (e && e->running_guest &&
            (r = change(s, e->running ? "UPDATE guests SET running = 1 WHERE name = ?" :
                                        "UPDATE guests SET running = 0 WHERE name = ?",
                        "recording the guest state", e->running_guest, NULL)) < 0)
                goto rollback;
        return store_run(s, "COMMIT");
rollback:
        (void) store_run(s, "ROLLBACK");
        return r;
}

int store_op_end(Store *s, int64_t id, const StoreOpEnd *e) {
        pthread_mutex_lock(&s->lock);
        set_sync(s, e && e->relaxed);
        int r = op_end_locked(s, id, e);
        pthread_mutex_unlock(&s->lock);
        return r;
}

static int attach_begin_locked(Store *s, const StoredAssignment *a, int64_t *ret_id) {
        sqlite3_stmt *op;
        int r;
        if ((r = store_run(s, "BEGIN IMMEDIATE")) < 0)
                return r;
        if ((r = store_statement(s, "INSERT INTO operations (kind, guest, address, original_driver, original_module, "
                                    "step, started) VALUES ('attach', ?, ?, '', '', 'begin', ?)", &op)) < 0)
                goto rollback;
        sqlite3_bind_text(op, 1, a->guest, -1, SQLITE_STATIC);
        sqlite3_bind_text(op, 2, a->address, -1, SQLITE_STATIC);
        sqlite3_bind_int64(op, 3, (int64_t) time(NULL));
        if ((r = step_bound(s, op, "journaling an attach")) < 0)
                goto rollback;
        *ret_id = sqlite3_last_insert_rowid(s->db);
        if ((r = store_assign_rows(s, a, 1)) < 0 ||
            (r = change(s, "UPDATE guests SET running = 1 WHERE name = ?", "recording the guest state", a->guest,
                        NULL)) < 0)
                goto rollback;
        return store_run(s, "COMMIT");
rollback:
        (void) store_run(s, "ROLLBACK");
        return r;
}

int store_attach_begin(Store *s, const StoredAssignment *a, int64_t *ret_id) {
        pthread_mutex_lock(&s->lock);
        set_sync(s, false);
        int r = attach_begin_locked(s, a, ret_id);
        pthread_mutex_unlock(&s->lock);
        return r;
}

static int detach_end_locked(Store *s, int64_t id, const char *guest, const char *address, bool drop_hold) {
        char idtext[32];
        char *addresses[] = { (char *) address, NULL };
        int r;
        snprintf(idtext, sizeof(idtext), "%lld", (long long) id);
        if ((r = store_run(s, "BEGIN IMMEDIATE")) < 0)
                return r;
        if ((r = change(s, "DELETE FROM operations WHERE id = ?", "ending an operation", idtext, NULL)) < 0 ||
            (drop_hold && (r = change(s, "DELETE FROM holds WHERE address = ?", "dropping a hold", address, NULL)) < 0) ||
            (r = store_unassign_rows(s, guest, addresses)) < 0)
                goto rollback;
        return store_run(s, "COMMIT");
rollback:
        (void) store_run(s, "ROLLBACK");
        return r;
}

int store_detach_end(Store *s, int64_t id, const char *guest, const char *address, bool drop_hold) {
        pthread_mutex_lock(&s->lock);
        set_sync(s, false);
        int r = detach_end_locked(s, id, guest, address, drop_hold);
        pthread_mutex_unlock(&s->lock);
        return r;
}

int store_begin(Store *s) {
        return store_run(s, "BEGIN IMMEDIATE");
}

int store_commit(Store *s) {
        int r = store_run(s, "COMMIT");
        if (r < 0)
                (void) store_run(s, "ROLLBACK");
        return r;
}

static bool fill_event(sqlite3_stmt *st, void *item) {
        StoredEvent *e = item;
        snprintf(e->address, sizeof(e->address), "%s", (const char *) sqlite3_column_text(st, 0));
        e->at = (uint64_t) sqlite3_column_int64(st, 1);
        return true;
}

static void done_event(void *item) {
}

int store_load_hotplug_events(Store *s, uint64_t since, StoredEvent **ret, size_t *n) {
        char sql_since[32];
        snprintf(sql_since, sizeof(sql_since), "%llu", (unsigned long long) since);
        /* Old events are dropped on the way: nothing reads them again. */
        int r = change(s, "DELETE FROM hotplug_events WHERE at < ?", "pruning hotplug events", sql_since, NULL);
        if (r < 0)
                return r;
        return load_rows(s, "SELECT address, at FROM hotplug_events ORDER BY address, at", sizeof(StoredEvent),
                         fill_event, done_event, (void **) ret, n, "reading hotplug events");
}

/* Inside the caller's transaction (store_begin/store_commit): one device's window replaces what was saved. */
int store_save_hotplug_window(Store *s, const char *address, const uint64_t *stamps, size_t n) {
        sqlite3_stmt *ins;
        int r = change(s, "DELETE FROM hotplug_events WHERE address = ?", "saving hotplug events", address, NULL);
        if (r < 0)
                return r;
        if ((r = store_statement(s, "INSERT INTO hotplug_events (address, at) VALUES (?, ?)", &ins)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                sqlite3_bind_text(ins, 1, address, -1, SQLITE_STATIC);
                sqlite3_bind_int64(ins, 2, (int64_t) stamps[i]);
                if ((r = step_bound(s, ins, "saving hotplug events")) < 0)
                        return r;
        }
        return 0;
}

int store_get_boot_id(Store *s, char **ret) {
        sqlite3_stmt *st = NULL;
        int r = store_statement(s, "SELECT value FROM host WHERE key = 'boot_id'", &st);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        *ret = rc == SQLITE_ROW ? column_dup(st, 0) : NULL;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return sql_error(s, rc, "reading the boot id");
        return rc == SQLITE_ROW && !*ret ? -ENOMEM : 0;
}

int store_settle_boot(Store *s, const char *boot_id, char ***ret_stopped) {
        _cleanup_free_ char *before = NULL;
        _cleanup_strv_free_ char **running = NULL;
        int r = store_get_boot_id(s, &before);
        if (r < 0)
                return r;
        bool other = before && !streq(before, boot_id);
        if (other && (r = store_load_running(s, &running)) < 0)
                return r;
        if ((r = store_begin(s)) < 0)
                return r;
        if (other)
                r = change(s, "UPDATE guests SET running = 0 WHERE running", "settling an earlier boot", NULL, NULL);
        if (other && r >= 0)
                r = change(s, "DELETE FROM leases", "dropping the leases of an earlier boot", NULL, NULL);
        if (r >= 0)
                r = change(s, "INSERT OR REPLACE INTO host (key, value) VALUES ('boot_id', ?)", "recording the boot",
                           boot_id, NULL);
        if (r < 0) {
                (void) store_exec(s, "ROLLBACK");
                return r;
        }
        if ((r = store_commit(s)) < 0)
                return r;
        *ret_stopped = TAKE_PTR(running);
        return 0;
}

void stored_lease_done(StoredLease *l) {
        free(l->guest);
        free(l->domain);
        *l = (StoredLease) {};
}

int store_load_leases(Store *s, StoredLease **ret, size_t *n) {
        sqlite3_stmt *st = NULL;
        StoredLease *l = NULL;
        size_t count = 0;
        int rc, r = store_statement(s, "SELECT guest, pid, start_time, domain FROM leases ORDER BY guest", &st);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                StoredLease *grown = realloc(l, (count + 1) * sizeof(StoredLease));
                if (!grown) {
                        r = -ENOMEM;
                        break;
                }
                l = grown;
                l[count] = (StoredLease) { .guest = column_dup(st, 0), .pid = (uint32_t) sqlite3_column_int64(st, 1),
                                           .start_time = (uint64_t) sqlite3_column_int64(st, 2),
                                           .domain = column_dup(st, 3) };
                if (!l[count++].guest || !l[count - 1].domain) {
                        r = -ENOMEM;
                        break;
                }
        }
        sqlite3_reset(st);
        if (r >= 0 && rc != SQLITE_DONE)
                r = sql_error(s, rc, "reading leases");
        if (r < 0) {
                for (size_t i = 0; i < count; i++)
                        stored_lease_done(&l[i]);
                free(l);
                return r;
        }
        *ret = l;
        *n = count;
        return 0;
}

int store_set_lease(Store *s, const StoredLease *l) {
        sqlite3_stmt *st = NULL;
        int r = store_statement(s, "INSERT OR REPLACE INTO leases (guest, pid, start_time, domain, since) "
                                   "VALUES (?, ?, ?, ?, CAST(strftime('%s', 'now') AS INTEGER))", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, l->guest, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, l->pid);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) l->start_time);
        sqlite3_bind_text(st, 4, l->domain ? l->domain : "", -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : sql_error(s, rc, "recording a lease");
}

int store_drop_lease(Store *s, const char *guest) {
        int r = change(s, "DELETE FROM leases WHERE guest = ?", "dropping a lease", guest, NULL);
        return r < 0 ? r : 0;
}
