/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Assignments through the real ptctl and passthrud on the fake kernel: rules, refusals, persistence. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

typedef HarnessFixture Fixture;

static JsonNode *guests(Harness *h) {
        return harness_ptctl_json(h, "guests", "--json", NULL);
}

static void test_basic(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_autofree char *out = NULL;
        harness_record_signals(h);
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "assign", "guest1", "2:0.0", "--permissive", "--vslot", "4", NULL), ==, 0);
        g_assert_cmpstr(out, ==, "Assigned 0000:02:00.0 to guest1\n");
        g_assert_true(harness_wait_signal(h, "GuestAdded /org/passthru1 ('/org/passthru1/guest/guest1', 'guest1')"));
        g_assert_true(harness_wait_signal(h, "PropertiesChanged /org/passthru1/device/pci_0000_02_00_0 "
                                             "('org.passthru1.Device', {'Guest': <'guest1'>"));

        g_autoptr(JsonNode) shown = harness_ptctl_json(h, "show", "02:00.0", "--json", NULL);
        g_assert_cmpstr(json_object_get_string_member(json_node_get_object(shown), "guest"), ==, "guest1");
        g_assert_true(json_object_get_null_member(json_node_get_object(shown), "assignment_problem"));

        g_autoptr(JsonNode) g = harness_ptctl_json(h, "guest", "guest1", "--json", NULL);
        JsonObject *o = json_node_get_object(g);
        g_assert_cmpstr(json_object_get_string_member(o, "name"), ==, "guest1");
        JsonObject *d = json_array_get_object_element(json_object_get_array_member(o, "devices"), 0);
        g_assert_cmpstr(json_object_get_string_member(d, "address"), ==, "0000:02:00.0");
        g_assert_true(json_object_get_boolean_member(d, "managed"));
        g_assert_true(json_object_get_boolean_member(d, "permissive"));
        g_assert_cmpint(json_object_get_int_member(d, "vslot"), ==, 4);

        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "guest1", "00:19.0", "--unmanaged", "--option",
                                      "msitranslate=1", "--option", "rdm_policy=relaxed", NULL), ==, 0);
        g_autoptr(JsonNode) g2 = harness_ptctl_json(h, "guest", "guest1", "--json", NULL);
        JsonObject *d0 = json_array_get_object_element(json_object_get_array_member(json_node_get_object(g2), "devices"), 0);
        g_assert_cmpstr(json_object_get_string_member(d0, "address"), ==, "0000:00:19.0");
        g_assert_cmpstr(json_object_get_string_member(d0, "options"), ==, "msitranslate=1,rdm_policy=relaxed");
        g_assert_false(json_object_get_boolean_member(d0, "managed"));
        g_autoptr(JsonNode) all = guests(h);
        g_assert_cmpuint(json_array_get_length(json_node_get_array(all)), ==, 1);
        g_autofree char *table = NULL;
        g_assert_cmpint(harness_ptctl(h, &table, NULL, "guests", NULL), ==, 0);
        g_assert_nonnull(strstr(table, "guest1"));
        g_assert_nonnull(strstr(table, "0000:00:19.0, 0000:02:00.0"));

        g_autofree char *un = NULL;
        g_assert_cmpint(harness_ptctl(h, &un, NULL, "unassign", "guest1", "02:00.0", NULL), ==, 0);
        g_assert_cmpstr(un, ==, "Unassigned 0000:02:00.0 from guest1\n");
        g_assert_true(harness_wait_property(h, "0000:02:00.0", "Guest", ""));
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "unassign", "guest1", NULL), ==, 0);
        g_assert_true(harness_wait_signal(h, "GuestRemoved /org/passthru1 ('/org/passthru1/guest/guest1', 'guest1')"));
        g_autoptr(JsonNode) none = guests(h);
        g_assert_cmpuint(json_array_get_length(json_node_get_array(none)), ==, 0);
}

static void test_toolstack_config(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "vm1", "02:00.0", "--permissive", "--vslot", "5",
                                      "--option", "msitranslate=0", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "vm1", "06:00.0", "--group", NULL), ==, 0);
        g_autofree char *xl = NULL, *libvirt = NULL, *xe = NULL, *xe_uuid = NULL;
        g_assert_cmpint(harness_ptctl(h, &xl, NULL, "config", "vm1", "--format", "xl", NULL), ==, 0);
        g_assert_cmpstr(xl, ==, "passthrough = \"enabled\"\n"
                                "pci = [ '0000:02:00.0@5,permissive=1,msitranslate=0', '0000:06:00.0', '0000:06:00.1', "
                                "'0000:06:00.2', '0000:06:03.0' ]\n");
        /* doctor checks a guest's xl file against its assignments. */
        g_autofree char *conf = g_build_filename(h->tmpdir, "vm1.cfg", NULL), *good = NULL, *bad = NULL;
        g_assert_true(g_file_set_contents(conf, xl, -1, NULL));
        g_assert_cmpint(harness_ptctl(h, &good, NULL, "doctor", "vm1", "--xl-config", conf, NULL), ==, 0);
        g_assert_nonnull(strstr(good, "gives the guest all 5 of its devices"));
        g_assert_true(g_file_set_contents(conf, "name = \"vm1\"\npassthrough = \"disabled\"\n"
                                                "pci = [ '06:00.0', '0000:00:19.0' ]\n", -1, NULL));
        g_assert_cmpint(harness_ptctl(h, &bad, NULL, "doctor", "vm1", "--xl-config", conf, NULL), ==, 1);
        g_assert_nonnull(strstr(bad, "does not give the guest 0000:02:00.0"));
        g_assert_nonnull(strstr(bad, "gives the guest 0000:00:19.0, which passthrud has not assigned to it"));
        g_assert_nonnull(strstr(bad, "passthrough = \"disabled\""));
        g_assert_cmpint(harness_ptctl(h, &libvirt, NULL, "config", "vm1", "--format", "libvirt", NULL), ==, 0);
        g_assert_true(g_str_has_prefix(libvirt, "<hostdev mode='subsystem' type='pci' managed='no'>\n  <source>\n"
                                                "    <address domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>\n"
                                                "  </source>\n  <address type='pci' domain='0x0000' bus='0x00' "
                                                "slot='0x05' function='0x0'/>\n</hostdev>\n"));
        g_assert_nonnull(strstr(libvirt, "<address domain='0x0000' bus='0x06' slot='0x03' function='0x0'/>"));
        /* What it prints, passthrud reads back. */
        g_autoptr(JsonNode) back = harness_ptctl_json(h, "show", "<address domain='0x0000' bus='0x06' slot='0x03' function='0x0'/>",
                                                      "--json", NULL);
        g_assert_cmpstr(json_object_get_string_member(json_node_get_object(back), "guest"), ==, "vm1");
        g_assert_cmpint(harness_ptctl(h, &xe, NULL, "config", "vm1", "--format", "xe", NULL), ==, 0);
        g_assert_cmpstr(xe, ==, "xe vm-param-set other-config:pci=0/0000:02:00.0,0/0000:06:00.0,0/0000:06:00.1,"
                                "0/0000:06:00.2,0/0000:06:03.0 uuid=<uuid>\n");
        g_assert_cmpint(harness_ptctl(h, &xe_uuid, NULL, "config", "vm1", "--format", "xe", "--uuid", "1b2c", NULL), ==, 0);
        g_assert_true(g_str_has_suffix(xe_uuid, " uuid=1b2c\n"));
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "config", "vm1", "--format", "qemu", NULL), ==, 2);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "config", "vm1", NULL), ==, 2);
        harness_ptctl_refused(h, "no guest nosuch has assigned devices", "config", "nosuch", "--format", "xl", NULL);
}

static void test_seed_bridge(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        /* The seed's story: 06:00.0 alone is refused, naming every device behind the conventional bridge. */
        harness_ptctl_refused(h, "0000:06:00.1 must be co-assigned to the same guest with 0000:06:00.0", "assign", "guest1", "06:00.0", NULL);
        harness_ptctl_refused(h, "0000:06:03.0 must be co-assigned to the same guest with 0000:06:00.0", "assign", "guest1", "06:00.0", NULL);
        harness_ptctl_refused(h, "or with --group", "assign", "guest1", "06:00.0", NULL);
        g_autoptr(JsonNode) none = guests(h);
        g_assert_cmpuint(json_array_get_length(json_node_get_array(none)), ==, 0); /* nothing changed */

        g_autofree char *out = NULL;
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "assign", "guest1", "06:00.0", "--group", NULL), ==, 0);
        g_assert_cmpstr(out, ==, "Assigned 0000:06:00.0, 0000:06:00.1, 0000:06:00.2, 0000:06:03.0 to guest1\n");
        /* Naming all of them works without --group too. */
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "guest2", "00:1f.0", "00:1f.2", "00:1f.3", NULL), ==, 0);
}

static void test_group_conflict(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "guest1", "02:00.0", NULL), ==, 0);
        /* A function appears in 02:00.0's IOMMU group: it can only go where 02:00.0 went. */
        harness_ctl(h, "add 0000:02:00.1 id=144d:a808 class=010802 parent=0000:00:1c.1 pcie=endpoint flr group=5");
        g_assert_true(harness_wait_property(h, "0000:02:00.1", "Address", "0000:02:00.1"));
        harness_ptctl_refused(h, "0000:02:00.0 must go to the same guest as 0000:02:00.1 (same IOMMU group), but it is assigned to guest guest1",
                "assign", "guest2", "02:00.1", "--group", NULL);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "guest1", "02:00.1", NULL), ==, 0);
}

static void test_errors(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        harness_ptctl_refused(h, "invalid guest name \".hidden\"", "assign", ".hidden", "02:00.0", NULL);
        harness_ptctl_refused(h, "invalid guest name \"a/b\"", "assign", "a/b", "02:00.0", NULL);
        g_autofree char *long_name = g_strnfill(65, 'g');
        harness_ptctl_refused(h, "invalid guest name", "assign", long_name, "02:00.0", NULL);
        harness_ptctl_refused(h, "0000:00:1c.0 is a bridge; bridges cannot be assigned", "assign", "guest1", "00:1c.0", NULL);
        harness_ptctl_refused(h, "0000:00:00.0 is a host bridge", "assign", "guest1", "00:00.0", NULL);
        harness_ptctl_refused(h, "no PCI device 0000:0f:00.0 on this host", "assign", "guest1", "0f:00.0", NULL);
        harness_ptctl_refused(h, "invalid PCI address \"02:00.9\": function 0x9", "assign", "guest1", "02:00.9", NULL);
        harness_ptctl_refused(h, "vslot names one device", "assign", "guest1", "02:00.0", "00:19.0", "--vslot", "3", NULL);
        harness_ptctl_refused(h, "rdm_policy must be strict or relaxed, not 'loose'", "assign", "guest1", "02:00.0", "--option",
                "rdm_policy=loose", NULL);
        harness_ptctl_refused(h, "unknown option colour of type s", "assign", "guest1", "02:00.0", "--option", "colour=red", NULL);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "guest1", "02:00.0", "--vslot", "99", NULL), ==, 2);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "guest1", NULL), ==, 2);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "guest1", "02:00.0", NULL), ==, 0);
        harness_ptctl_refused(h, "0000:02:00.0 is already assigned to guest guest1", "assign", "guest2", "02:00.0", NULL);
        harness_ptctl_refused(h, "no guest nosuch has assigned devices", "unassign", "nosuch", NULL);
        harness_ptctl_refused(h, "no guest nosuch has assigned devices", "guest", "nosuch", NULL);
        harness_ptctl_refused(h, "0000:00:19.0 is not assigned to guest guest1", "unassign", "guest1", "00:19.0", NULL);
        g_autoptr(JsonNode) g = harness_ptctl_json(h, "guest", "guest1", "--json", NULL);
        g_assert_cmpuint(json_array_get_length(json_object_get_array_member(json_node_get_object(g), "devices")), ==, 1);
}

static void test_restart_keeps_everything(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "vm-a", "06:00.0", "--group", "--unmanaged", NULL), ==, 0);
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "vm.b", "02:00.0", "--vslot", "0x1f", NULL), ==, 0);
        g_autoptr(JsonNode) before = guests(h);
        harness_stop_daemon(h);
        harness_start_daemon(h, NULL);
        g_autoptr(JsonNode) after = guests(h);
        g_autofree char *a = json_to_string(before, FALSE), *b = json_to_string(after, FALSE);
        g_assert_cmpstr(a, ==, b);
        g_assert_true(harness_wait_property(h, "0000:06:03.0", "Guest", "vm-a"));
        g_autofree char *db = g_build_filename(h->tmpdir, "state", "passthru.db", NULL);
        GStatBuf st;
        g_assert_cmpint(g_stat(db, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 0777, ==, 0600);
}

static void test_identity_mismatch(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_assert_cmpint(harness_ptctl(h, NULL, NULL, "assign", "guest1", "03:00.0", NULL), ==, 0);
        harness_stop_daemon(h);
        /* While passthrud was down, the card in that slot was swapped for another model. */
        harness_ctl(h, "unplug 0000:03:00.0");
        harness_ctl(h, "add 0000:03:00.1 id=8086:153a class=020000 parent=0000:00:1c.2 pcie=endpoint group=40");
        harness_ctl(h, "unplug 0000:03:00.1");
        g_assert_cmpint(harness_write(h, "fakekernel/ctl", "add 0000:03:00.0"), ==, 0); /* back, same card */
        harness_start_daemon(h, NULL);
        g_autoptr(JsonNode) ok = harness_ptctl_json(h, "show", "03:00.0", "--json", NULL);
        g_assert_true(json_object_get_null_member(json_node_get_object(ok), "assignment_problem"));

        /* Pulled out while running: the assignment stays, marked missing. */
        harness_ctl(h, "unplug 0000:03:00.0");
        g_assert_true(harness_wait_device_gone(h, "0000:03:00.0"));
        g_autoptr(JsonNode) g = harness_ptctl_json(h, "guest", "guest1", "--json", NULL);
        JsonObject *d = json_array_get_object_element(json_object_get_array_member(json_node_get_object(g), "devices"), 0);
        g_assert_true(g_str_has_prefix(json_object_get_string_member(d, "problem"), "missing: no device at 0000:03:00.0"));
}

static void setup_swapped(Fixture *f, gconstpointer topology) {
        f->h = harness_new(topology);
        harness_start_daemon(f->h, NULL);
        g_assert_cmpint(harness_ptctl(f->h, NULL, NULL, "assign", "guest1", "03:00.0", NULL), ==, 0);
        harness_stop_daemon(f->h);
        harness_ctl(f->h, "unplug 0000:03:00.0");
}

static void test_swapped_hardware(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        /* While passthrud was down, another model went into the recorded slot. */
        harness_ctl(h, "add 0000:03:00.0 id=8086:153a class=020000 parent=0000:00:1c.2 pcie=endpoint group=6");
        harness_start_daemon(h, NULL);
        static const char want[] = "mismatched: 0000:03:00.0 now holds 8086:153a (subsystem 8086:153a, class 020000); "
                                   "recorded 8086:10d3 (subsystem 8086:10d3, class 020000)";
        g_autoptr(JsonNode) g = harness_ptctl_json(h, "guest", "guest1", "--json", NULL);
        JsonObject *d = json_array_get_object_element(json_object_get_array_member(json_node_get_object(g), "devices"), 0);
        g_assert_cmpstr(json_object_get_string_member(d, "problem"), ==, want);
        g_autoptr(JsonNode) shown = harness_ptctl_json(h, "show", "03:00.0", "--json", NULL);
        g_assert_cmpstr(json_object_get_string_member(json_node_get_object(shown), "assignment_problem"), ==, want);
        g_autofree char *out = NULL, *show = NULL;
        g_assert_cmpint(harness_ptctl(h, &out, NULL, "guest", "guest1", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "PROBLEM: mismatched: 0000:03:00.0 now holds 8086:153a"));
        g_assert_cmpint(harness_ptctl(h, &show, NULL, "show", "03:00.0", NULL), ==, 0);
        g_assert_nonnull(strstr(show, "PROBLEM:"));
}

static void setup_corrupt(Fixture *f, gconstpointer topology) {
        f->h = harness_new(topology);
        g_autofree char *state = g_build_filename(f->h->tmpdir, "state", NULL);
        g_autofree char *db = g_build_filename(state, "passthru.db", NULL);
        g_mkdir_with_parents(state, 0700);
        g_autofree char *garbage = g_strnfill(4096, 'z');
        memcpy(garbage, "SQLite format 3", 16);
        g_assert_true(g_file_set_contents(db, garbage, 4096, NULL));
        harness_start_daemon(f->h, NULL);
}

static void test_corrupt_database(Fixture *f, gconstpointer data) {
        Harness *h = f->h;
        g_autofree char *db = g_build_filename(h->tmpdir, "state", "passthru.db", NULL);
        /* The inventory still works; assignments are refused, naming the file; the file is untouched. */
        g_autoptr(JsonNode) list = harness_ptctl_json(h, "list", "--json", NULL);
        g_assert_cmpuint(json_array_get_length(json_node_get_array(list)), >, 0);
        g_autofree char *expected = g_strdup_printf("the assignment database %s failed its integrity check", db);
        harness_ptctl_refused(h, expected, "assign", "guest1", "02:00.0", NULL);
        g_autofree char *after = NULL;
        gsize len;
        g_assert_true(g_file_get_contents(db, &after, &len, NULL));
        g_assert_cmpuint(len, ==, 4096);
        g_assert_true(g_str_has_prefix(after, "SQLite format 3"));
        g_assert_cmpint(after[100], ==, 'z');
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, "standard.topo", harness_fixture_setup, fn, harness_fixture_teardown)
        ADD("/assign/basic", test_basic);
        ADD("/assign/seed-bridge", test_seed_bridge);
        ADD("/assign/toolstack-config", test_toolstack_config);
        ADD("/assign/group-conflict", test_group_conflict);
        ADD("/assign/errors", test_errors);
        ADD("/assign/restart", test_restart_keeps_everything);
        ADD("/assign/identity", test_identity_mismatch);
        g_test_add("/assign/swapped-hardware", Fixture, "standard.topo", setup_swapped, test_swapped_hardware, harness_fixture_teardown);
        g_test_add("/assign/corrupt-database", Fixture, "standard.topo", setup_corrupt, test_corrupt_database, harness_fixture_teardown);
        return harness_run();
}
