/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reset selection: flr, then af_flr, then pm, then bus; bus never for a VF nor over someone else's device. */
#include <errno.h>
#include <glib.h>

#include "reset.h"

static char *flr_pm_bus[] = { "flr", "pm", "bus", NULL };
static char *pm_bus[] = { "pm", "bus", NULL };
static char *bus_only[] = { "bus", NULL };
static char *none[] = { NULL };

static void expect(const ResetFacts *f, const char *method) {
        const char *got = NULL;
        g_autofree char *why = NULL;
        g_assert_cmpint(reset_choose(f, &got, &why), ==, 0);
        g_assert_cmpstr(got, ==, method);
}

static void expect_none(const ResetFacts *f, const char *says) {
        const char *got = NULL;
        g_autofree char *why = NULL;
        g_assert_cmpint(reset_choose(f, &got, &why), ==, -ENOENT);
        g_test_message("%s", why);
        g_assert_nonnull(strstr(why, says));
}

static void test_order(void) {
        expect(&(ResetFacts) { .kernel_methods = flr_pm_bus, .flr = true, .pm = true }, "flr");
        expect(&(ResetFacts) { .kernel_methods = (char *[]) { "af_flr", "pm", NULL }, .af_flr = true, .pm = true },
               "af_flr");
        expect(&(ResetFacts) { .kernel_methods = pm_bus, .pm = true }, "pm");
        /* PM with No_Soft_Reset keeps the device's state: not a reset. */
        expect(&(ResetFacts) { .kernel_methods = pm_bus, .pm = true, .pm_no_soft_reset = true }, "bus");
        /* The kernel did not list FLR (it probed it broken): not used, whatever the capability says. */
        expect(&(ResetFacts) { .kernel_methods = pm_bus, .flr = true, .pm = true }, "pm");
        /* An old kernel without reset_method: the capabilities decide; bus is the kernel's to know. */
        expect(&(ResetFacts) { .flr = true }, "flr");
        expect_none(&(ResetFacts) { .pm = true, .pm_no_soft_reset = true }, "no reset_method in sysfs");
}

static void test_bus_scope(void) {
        char *blockers[] = { "0000:06:00.1 (e1000)", "0000:06:00.2 (in a running guest)", NULL };
        expect_none(&(ResetFacts) { .kernel_methods = bus_only, .bus_blockers = blockers },
                    "a bus reset would also reset 0000:06:00.1 (e1000), 0000:06:00.2 (in a running guest)");
        expect_none(&(ResetFacts) { .kernel_methods = bus_only, .is_vf = true, .flr = false },
                    "never used for an SR-IOV virtual function");
        expect_none(&(ResetFacts) { .kernel_methods = none }, "the kernel offers none");
}

static void test_secondary_bus(void) {
        /* Several devices on a bus: the kernel offers no bus reset, passthrud does its own. */
        expect(&(ResetFacts) { .kernel_methods = none, .secondary_bus = true }, "sbr");
        /* A function reset of its own comes first; the kernel's bus reset before passthrud's. */
        expect(&(ResetFacts) { .kernel_methods = pm_bus, .pm = true, .secondary_bus = true }, "pm");
        expect(&(ResetFacts) { .kernel_methods = bus_only, .secondary_bus = true }, "bus");
        /* The kernel listed "bus" while the device was alone; with siblings it refuses it: passthrud's own. */
        expect(&(ResetFacts) { .kernel_methods = bus_only, .secondary_bus = true, .bus_shared = true }, "sbr");
        char *blockers[] = { "0000:06:03.0 (e1000)", NULL };
        expect_none(&(ResetFacts) { .kernel_methods = none, .secondary_bus = true, .bus_blockers = blockers },
                    "a bus reset would also reset 0000:06:03.0 (e1000)");
        expect_none(&(ResetFacts) { .kernel_methods = none, .secondary_bus = true, .is_vf = true },
                    "never used for an SR-IOV virtual function");
        g_assert_true(reset_method_is_bus("sbr"));
        g_assert_true(reset_method_is_bus("bus"));
        g_assert_false(reset_method_is_bus("pm"));
}

static void test_policy_names(void) {
        g_assert_cmpint(reset_policy_from_string(""), ==, RESET_POLICY_STRICT);
        g_assert_cmpint(reset_policy_from_string("strict"), ==, RESET_POLICY_STRICT);
        g_assert_cmpint(reset_policy_from_string("best-effort"), ==, RESET_POLICY_BEST_EFFORT);
        g_assert_cmpint(reset_policy_from_string("none"), ==, RESET_POLICY_NONE);
        g_assert_cmpint(reset_policy_from_string("sometimes"), ==, _RESET_POLICY_INVALID);
        g_assert_cmpstr(reset_policy_to_string(RESET_POLICY_BEST_EFFORT), ==, "best-effort");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/reset/order", test_order);
        g_test_add_func("/reset/bus-scope", test_bus_scope);
        g_test_add_func("/reset/secondary-bus", test_secondary_bus);
        g_test_add_func("/reset/policy-names", test_policy_names);
        return g_test_run();
}
