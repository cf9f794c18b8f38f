/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Co-assignment rules over fake-kernel topologies, read through the daemon's real inventory code. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "coassign.h"
#include "reset-scope.h"
#include "pt-util.h"
#include "passthru/pt-macros.h"
#include "pci-access.h"

typedef struct {
        char *dir;
        PciAccess *pci;
        Inventory inv;
} Fixture;

static void setup(Fixture *f, gconstpointer topology) {
        g_autofree char *topo = g_build_filename(g_getenv("PT_TOPOLOGY_DIR"), topology, NULL);
        f->dir = g_dir_make_tmp("passthru-coassign-XXXXXX", NULL);
        char *argv[] = { (char *) g_getenv("PT_FAKEKERNEL"), "--topology", topo, "--backing", f->dir, "--render-only",
                         NULL };
        int status;
        g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, NULL));
        g_assert_cmpint(status, ==, 0);
        g_assert_cmpint(pci_access_new(f->dir, "/usr/share/misc/pci.ids", false, &f->pci), ==, 0);
        g_assert_cmpint(inventory_enumerate(&f->inv, f->dir, f->pci), ==, 0);
}

static void teardown(Fixture *f, gconstpointer data) {
        inventory_done(&f->inv);
        pci_access_free(f->pci);
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
        (void) !system(cmd);
        g_free(f->dir);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* The closure of one device as "addr addr ..." sorted. */
static char *closure_of(Fixture *f, const char *bdf) {
        PtAddress a;
        g_assert_cmpint(pt_address_parse_bdf(bdf, &a, NULL), ==, 0);
        Device *d = inventory_find(&f->inv, &a);
        g_assert_nonnull(d);
        _cleanup_free_ Device **set = NULL;
        _cleanup_free_ CoassignNeed *needs = NULL;
        size_t n, n_needs;
        g_assert_cmpint(coassign_closure(&f->inv, &d, 1, &set, &n, &needs, &n_needs), ==, 0);
        g_assert_cmpuint(n_needs, ==, n - 1);
        const char **sorted = g_new0(const char *, n + 1);
        for (size_t i = 0; i < n; i++)
                sorted[i] = set[i]->bdf;
        qsort(sorted, n, sizeof(char *), cmp_str);
        g_autoptr(GString) s = g_string_new(NULL);
        for (size_t i = 0; i < n; i++)
                g_string_append_printf(s, "%s%s", i ? " " : "", sorted[i]);
        g_free(sorted);
        return g_string_free(g_steal_pointer(&s), FALSE);
}

static void test_seed_bridge_example(Fixture *f, gconstpointer data) {
        /* The seed's example: 06:00.0-06:00.2 and 06:03.0 behind one bridge go together, whichever is asked for;
         * the bridge itself never does. */
        const char *want = "0000:06:00.0 0000:06:00.1 0000:06:00.2 0000:06:03.0";
        g_autofree char *a = closure_of(f, "0000:06:00.0"), *b = closure_of(f, "0000:06:03.0");
        g_assert_cmpstr(a, ==, want);
        g_assert_cmpstr(b, ==, want);
}

static void test_multi_endpoint_group(Fixture *f, gconstpointer data) {
        g_autofree char *c = closure_of(f, "0000:00:1f.2");
        g_assert_cmpstr(c, ==, "0000:00:1f.0 0000:00:1f.2 0000:00:1f.3");
}

static void test_alone(Fixture *f, gconstpointer data) {
        /* An FLR-capable device alone in its group needs nobody; a VF is its own group. */
        g_autofree char *a = closure_of(f, "0000:02:00.0"), *b = closure_of(f, "0000:01:00.1");
        g_assert_cmpstr(a, ==, "0000:02:00.0");
        g_assert_cmpstr(b, ==, "0000:01:00.1");
}

static void test_no_iommu_rules(Fixture *f, gconstpointer data) {
        /* Without IOMMU groups the topology rules still hold: the only-bus-reset device behind its port is
         * alone on that bus; the multifunction pair has a PM reset per function, so each goes alone. */
        g_autofree char *a = closure_of(f, "0000:01:00.0"), *b = closure_of(f, "0000:05:00.0");
        g_assert_cmpstr(a, ==, "0000:01:00.0");
        g_assert_cmpstr(b, ==, "0000:05:00.0");
        g_autofree char *c = closure_of(f, "0000:07:00.0");
        g_assert_cmpstr(c, ==, "0000:07:00.0 0000:07:01.0"); /* bus reset is all they have */
}

static char *scope_of(Fixture *f, const char *bdf, const char **ret_method) {
        Device *d = inventory_find_bdf(&f->inv, bdf);
        g_assert_nonnull(d);
        g_autofree char *why = NULL;
        const char *method = reset_method_of(&f->inv, d, &why);
        *ret_method = method;
        if (!method)
                return g_strdup(why);
        _cleanup_free_ Device **scope = NULL;
        size_t n = 0;
        g_assert_cmpint(reset_scope(&f->inv, d, method, &scope, &n), ==, 0);
        g_assert_true(scope[0] == d);
        return reset_scope_describe(d, method, scope, n);
}

static void test_reset_scope(Fixture *f, gconstpointer data) {
        const char *method;
        /* The seed's bridge: no function resets alone, the bus below the bridge is reset by passthrud. */
        g_autofree char *wiki = scope_of(f, "0000:06:00.1", &method);
        g_assert_cmpstr(method, ==, "sbr");
        g_assert_cmpstr(wiki, ==, "bus reset (passthrud's) of 0000:00:09.0's secondary bus: 0000:06:00.0-2, "
                                  "0000:06:03.0");
        /* A function with its own PM reset: itself only. */
        g_autofree char *pm = scope_of(f, "0000:00:05.2", &method);
        g_assert_cmpstr(method, ==, "pm");
        g_assert_cmpstr(pm, ==, "pm (this function only)");
        /* None at all on the root bus: never across a root bus. */
        g_autofree char *none = scope_of(f, "0000:00:05.0", &method);
        g_assert_null(method);
        g_assert_nonnull(strstr(none, "no usable reset"));
        /* Alone below a root port: the kernel's own bus reset. */
        g_autofree char *lone = scope_of(f, "0000:02:00.0", &method);
        g_assert_cmpstr(method, ==, "bus");
        g_assert_cmpstr(lone, ==, "bus reset (the kernel's) of 0000:00:1c.0's secondary bus: 0000:02:00.0");
        /* Two functions without FLR below a root port: both. */
        g_autofree char *pair = scope_of(f, "0000:03:00.0", &method);
        g_assert_cmpstr(method, ==, "sbr");
        g_assert_cmpstr(pair, ==, "bus reset (passthrud's) of 0000:00:1c.1's secondary bus: 0000:03:00.0-1");
        /* Alone below a switch's downstream port: the kernel's bus reset of that port's bus. */
        g_autofree char *sw = scope_of(f, "0000:09:00.0", &method);
        g_assert_cmpstr(method, ==, "bus");
        g_assert_cmpstr(sw, ==, "bus reset (the kernel's) of 0000:08:00.0's secondary bus: 0000:09:00.0");
        /* A VF: its FLR, never its bus. */
        Device *pf = inventory_find_bdf(&f->inv, "0000:04:00.0");
        g_assert_cmpuint(pt_strv_length(pf->virtual_functions), ==, 1);
        g_autofree char *vf = scope_of(f, pf->virtual_functions[0], &method);
        g_assert_cmpstr(method, ==, "flr");
}

static void test_scope_coassignment(Fixture *f, gconstpointer data) {
        /* The wiki's four go together (bridge, group and bus reset alike); the PM-resettable function alone. */
        g_autofree char *wiki = closure_of(f, "0000:06:00.2"), *pm = closure_of(f, "0000:00:05.2"),
                        *pair = closure_of(f, "0000:03:00.1");
        g_assert_cmpstr(wiki, ==, "0000:06:00.0 0000:06:00.1 0000:06:00.2 0000:06:03.0");
        g_assert_cmpstr(pm, ==, "0000:00:05.2");
        g_assert_cmpstr(pair, ==, "0000:03:00.0 0000:03:00.1");
        /* A hidden (idle, on a stub) member meets the need: the guest owning the other three is fine. */
        Device *d = inventory_find_bdf(&f->inv, "0000:06:00.0"), *hidden = inventory_find_bdf(&f->inv, "0000:06:03.0");
        char *members[] = { "0000:06:00.0", "0000:06:00.1", "0000:06:00.2", NULL };
        CoassignNeed need;
        g_assert_cmpint(coassign_first_unmet(&f->inv, &d, 1, members, &need), ==, 1);
        g_assert_true(need.device == hidden);
        g_free(hidden->driver);
        hidden->driver = g_strdup("vfio-pci");
        g_assert_cmpint(coassign_first_unmet(&f->inv, &d, 1, members, &need), ==, 0);
        g_assert_null(coassign_group_blocker(&f->inv, d, members));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add("/coassign/seed-bridge-example", Fixture, "standard.topo", setup, test_seed_bridge_example, teardown);
        g_test_add("/coassign/multi-endpoint-group", Fixture, "standard.topo", setup, test_multi_endpoint_group, teardown);
        g_test_add("/coassign/alone", Fixture, "standard.topo", setup, test_alone, teardown);
        g_test_add("/coassign/no-iommu", Fixture, "coassign.topo", setup, test_no_iommu_rules, teardown);
        g_test_add("/coassign/reset-scope", Fixture, "bridge.topo", setup, test_reset_scope, teardown);
        g_test_add("/coassign/scope-coassignment", Fixture, "bridge.topo", setup, test_scope_coassignment, teardown);
        return g_test_run();
}
