/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "store.h"

typedef struct {
        char *dir;
        char *db;
} Fixture;

static void setup(Fixture *f, gconstpointer data) {
        f->dir = g_dir_make_tmp("passthru-store-XXXXXX", NULL);
        f->db = g_build_filename(f->dir, "passthru.db", NULL);
}

static void teardown(Fixture *f, gconstpointer data) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
        (void) !system(cmd);
        g_free(f->dir);
        g_free(f->db);
}

static StoredAssignment make(const char *address, const char *guest) {
        StoredAssignment a = { .guest = (char *) guest, .managed = true, .vslot = -1,
                               .identity = { 0x8086, 0x1521, 0x8086, 0x0001, 0x020000, (char *) "" } };
        snprintf(a.address, sizeof(a.address), "%s", address);
        return a;
}

static size_t count_rows(Store *s) {
        StoredAssignment *list = NULL;
        size_t n = 0;
        g_assert_cmpint(store_load(s, &list, &n), ==, 0);
        for (size_t i = 0; i < n; i++)
                stored_assignment_done(&list[i]);
        free(list);
        return n;
}

static int query_int(const char *db, const char *sql) {
        sqlite3 *h;
        sqlite3_stmt *st;
        int v = -1;
        g_assert_cmpint(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
        g_assert_cmpint(sqlite3_prepare_v2(h, sql, -1, &st, NULL), ==, SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(h);
        return v;
}

static void test_fresh(Fixture *f, gconstpointer data) {
        _cleanup_(store_freep) Store *s = NULL;
        g_autofree char *reason = NULL;
        struct stat st;

        g_assert_cmpint(store_open(f->dir, &s, &reason), ==, 0);
        g_assert_cmpint(stat(f->db, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 0777, ==, 0600);
        g_assert_cmpint(count_rows(s), ==, 0);
        g_assert_cmpint(query_int(f->db, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
}

static void test_roundtrip(Fixture *f, gconstpointer data) {
        _cleanup_(store_freep) Store *s = NULL;
        StoredAssignment two[] = { make("0000:06:00.0", "guest1"), make("0000:06:00.1", "guest1") };
        StoredAssignment other = make("0000:01:00.0", "guest2");

        g_assert_cmpint(store_open(f->dir, &s, NULL), ==, 0);
        g_assert_cmpint(store_assign(s, two, 2), ==, 0);
        g_assert_cmpint(store_assign(s, &other, 1), ==, 0);
        /* An address belongs to one guest: a second assignment fails and changes nothing. */
        StoredAssignment dup = make("0000:06:00.0", "guest2");
        g_assert_cmpint(store_assign(s, &dup, 1), <, 0);
        g_assert_cmpint(count_rows(s), ==, 3);
        s = store_free(s);

        g_assert_cmpint(store_open(f->dir, &s, NULL), ==, 0);
        StoredAssignment *list = NULL;
        size_t n = 0;
        g_assert_cmpint(store_load(s, &list, &n), ==, 0);
        g_assert_cmpuint(n, ==, 3);
        g_assert_cmpstr(list[0].guest, ==, "guest1");
        g_assert_cmpstr(list[0].address, ==, "0000:06:00.0");
        g_assert_true(list[0].managed);
        g_assert_cmpint(list[0].vslot, ==, -1);
        g_assert_cmphex(list[0].identity.device_id, ==, 0x1521);
        for (size_t i = 0; i < n; i++)
                stored_assignment_done(&list[i]);
        free(list);

        char *addrs[] = { (char *) "0000:06:00.0", NULL };
        g_assert_cmpint(store_unassign(s, "guest1", addrs), ==, 0);
        g_assert_cmpint(count_rows(s), ==, 2);
        char *rest[] = { (char *) "0000:06:00.1", NULL };
        g_assert_cmpint(store_unassign(s, "guest1", rest), ==, 0);
        g_assert_cmpint(query_int(f->db, "SELECT count(*) FROM guests WHERE name = 'guest1'"), ==, 0);
        g_assert_cmpint(query_int(f->db, "SELECT count(*) FROM guests"), ==, 1);
}

static void test_upgrade_from_v1(Fixture *f, gconstpointer data) {
        sqlite3 *h;
        /* A database as the first schema wrote it, with one assignment. */
        g_assert_cmpint(sqlite3_open(f->db, &h), ==, SQLITE_OK);
        g_assert_cmpint(sqlite3_exec(h,
                "CREATE TABLE devices (address TEXT PRIMARY KEY, vendor_id INTEGER NOT NULL, device_id INTEGER NOT NULL,"
                " subsystem_vendor_id INTEGER NOT NULL, subsystem_id INTEGER NOT NULL, class INTEGER NOT NULL,"
                " serial TEXT NOT NULL DEFAULT '');"
                "CREATE TABLE guests (name TEXT PRIMARY KEY, created INTEGER NOT NULL);"
                "CREATE TABLE assignments (address TEXT PRIMARY KEY REFERENCES devices(address),"
                " guest TEXT NOT NULL REFERENCES guests(name), managed INTEGER NOT NULL, permissive INTEGER NOT NULL,"
                " vslot INTEGER NOT NULL, assigned INTEGER NOT NULL);"
                "INSERT INTO devices VALUES ('0000:02:00.0', 5197, 43016, 5197, 43009, 67586, 'ab');"
                "INSERT INTO guests VALUES ('old', 1);"
                "INSERT INTO assignments VALUES ('0000:02:00.0', 'old', 0, 1, 4, 1);"
                "PRAGMA user_version = 1;", NULL, NULL, NULL), ==, SQLITE_OK);
        sqlite3_close(h);

        _cleanup_(store_freep) Store *s = NULL;
        g_assert_cmpint(store_open(f->dir, &s, NULL), ==, 0);
        g_assert_cmpint(query_int(f->db, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
        g_assert_cmpint(query_int(f->db, "SELECT count(*) FROM hidden"), ==, 0);
        g_assert_cmpint(query_int(f->db, "SELECT count(*) FROM holds"), ==, 0);
        g_assert_cmpint(query_int(f->db, "SELECT count(*) FROM guests WHERE running = 0"), ==, 1);
        g_assert_cmpint(query_int(f->db, "SELECT count(*) FROM assignments WHERE driver = '' AND "
                                         "reset_policy = 'strict'"), ==, 1);
        g_assert_cmpint(query_int(f->db, "SELECT count(*) FROM operations"), ==, 0);
        g_assert_cmpint(query_int(f->db, "SELECT count(*) FROM assignments WHERE options = ''"), ==, 1);
        StoredAssignment *list = NULL;
        size_t n = 0;
        g_assert_cmpint(store_load(s, &list, &n), ==, 0);
        g_assert_cmpuint(n, ==, 1);
        g_assert_cmpstr(list[0].guest, ==, "old");
        g_assert_false(list[0].managed);
        g_assert_true(list[0].permissive);
        g_assert_cmpint(list[0].vslot, ==, 4);
        g_assert_cmpstr(list[0].identity.serial, ==, "ab");
        stored_assignment_done(&list[0]);
        free(list);
}

static void test_corrupt_is_refused_and_kept(Fixture *f, gconstpointer data) {
        g_autofree char *garbage = g_strnfill(8192, 'x');
        memcpy(garbage, "SQLite format 3", 16); /* a header that promises a database, and nothing else */
        g_assert_true(g_file_set_contents(f->db, garbage, 8192, NULL));
        _cleanup_(store_freep) Store *s = NULL;
        g_autofree char *reason = NULL;
        g_assert_cmpint(store_open(f->dir, &s, &reason), ==, -EBADMSG);
        g_assert_nonnull(reason);
        g_test_message("reason: %s", reason);
        g_autofree char *after = NULL;
        gsize len;
        g_assert_true(g_file_get_contents(f->db, &after, &len, NULL));
        g_assert_cmpuint(len, ==, 8192);
        g_assert_cmpint(memcmp(after, garbage, 8192), ==, 0);
}

static void test_newer_schema_refused(Fixture *f, gconstpointer data) {
        sqlite3 *h;
        g_assert_cmpint(sqlite3_open(f->db, &h), ==, SQLITE_OK);
        g_assert_cmpint(sqlite3_exec(h, "CREATE TABLE x (a); PRAGMA user_version = 99;", NULL, NULL, NULL), ==, SQLITE_OK);
        sqlite3_close(h);
        _cleanup_(store_freep) Store *s = NULL;
        g_assert_cmpint(store_open(f->dir, &s, NULL), ==, -EPROTO);
        g_assert_cmpint(query_int(f->db, "PRAGMA user_version"), ==, 99);
}

/* The intent journal: a claim records its hold with the operation, a release drops it only when it ends, a
 * guest operation's end sets the running flag; unfinished entries are what recovery reads. */
static void test_journal(Fixture *f, gconstpointer data) {
        _cleanup_(store_freep) Store *s = NULL;
        g_assert_cmpint(store_open(f->dir, &s, NULL), ==, 0);
        StoredAssignment a = { .address = "0000:02:00.0", .guest = (char *) "g1", .managed = true, .vslot = -1 };
        g_assert_cmpint(store_assign(s, &a, 1), ==, 0);

        int64_t start = 0, claim = 0, release = 0;
        g_assert_cmpint(store_op_begin(s, "start", "g1", NULL, NULL, &start), ==, 0);
        StoredHold hold = { .address = "0000:02:00.0", .stub = (char *) "vfio-pci", .original_driver = (char *) "nvme",
                            .original_module = (char *) "nvme", .holder = (char *) "g1" };
        g_assert_cmpint(store_op_begin(s, "claim", "g1", "0000:02:00.0", &hold, &claim), ==, 0);
        g_assert_cmpint(store_op_step(s, claim, "override"), ==, 0);
        g_assert_cmpint(query_int(f->db, "SELECT count(*) FROM holds WHERE original_driver = 'nvme'"), ==, 1);

        StoredOperation *ops = NULL;
        size_t n = 0;
        g_assert_cmpint(store_load_operations(s, &ops, &n), ==, 0);
        g_assert_cmpuint(n, ==, 2);
        g_assert_cmpstr(ops[0].kind, ==, "start");
        g_assert_cmpstr(ops[0].address, ==, "");
        g_assert_cmpstr(ops[1].step, ==, "override");
        g_assert_cmpstr(ops[1].original_driver, ==, "nvme");
        for (size_t i = 0; i < n; i++)
                stored_operation_done(&ops[i]);
        free(ops);

        g_assert_cmpint(store_op_end(s, claim, NULL), ==, 0);
        g_assert_cmpint(store_op_end(s, start, &(StoreOpEnd) { .running_guest = "g1", .running = true }), ==, 0);
        _cleanup_strv_free_ char **running = NULL;
        g_assert_cmpint(store_load_running(s, &running), ==, 0);
        g_assert_cmpstr(running[0], ==, "g1");
        g_assert_cmpint(query_int(f->db, "SELECT count(*) FROM operations"), ==, 0);

        g_assert_cmpint(store_op_begin(s, "release", "g1", "0000:02:00.0", NULL, &release), ==, 0);
        g_assert_cmpint(query_int(f->db, "SELECT count(*) FROM holds"), ==, 1); /* kept until the release ends */
        g_assert_cmpint(store_op_end(s, release, &(StoreOpEnd) { .drop_hold = "0000:02:00.0" }), ==, 0);
        g_assert_cmpint(query_int(f->db, "SELECT count(*) FROM holds"), ==, 0);
}

static void test_hide_pool(Fixture *f, gconstpointer data) {
        _cleanup_(store_freep) Store *s = NULL;
        g_assert_cmpint(store_open(f->dir, &s, NULL), ==, 0);
        g_assert_cmpint(store_hide(s, "0000:06:00.0", "pciback"), ==, 0);
        g_assert_cmpint(store_hide(s, "0000:06:00.0", "vfio-pci"), ==, -EEXIST);
        StoredHidden *h = NULL;
        size_t n = 0;
        g_assert_cmpint(store_load_hidden(s, &h, &n), ==, 0);
        g_assert_cmpuint(n, ==, 1);
        g_assert_cmpstr(h[0].driver, ==, "pciback");
        stored_hidden_done(&h[0]);
        free(h);
        g_assert_cmpint(store_unhide(s, "0000:06:00.0"), ==, 0);
        g_assert_cmpint(store_unhide(s, "0000:06:00.0"), ==, -ENOENT);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
        ADD("/store/fresh", test_fresh);
        ADD("/store/roundtrip", test_roundtrip);
        ADD("/store/upgrade-from-v1", test_upgrade_from_v1);
        ADD("/store/corrupt", test_corrupt_is_refused_and_kept);
        ADD("/store/newer-schema", test_newer_schema_refused);
        ADD("/store/journal", test_journal);
        ADD("/store/hide-pool", test_hide_pool);
        return g_test_run();
}
