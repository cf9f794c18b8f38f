/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "passthru/pt-address.h"
#include "passthru/pt-macros.h"

static void assert_parses(const char *input, const char *expected) {
        PtAddress a;
        char buf[PT_ADDRESS_STRLEN];
        _cleanup_free_ char *reason = NULL;
        int r = pt_address_parse(input, &a, &reason);
        if (r < 0)
                g_error("'%s' did not parse: %s", input, reason);
        g_assert_cmpstr(pt_address_format(&a, buf), ==, expected);
}

static void assert_refused(const char *input, const char *part) {
        PtAddress a;
        _cleanup_free_ char *reason = NULL;
        int r = pt_address_parse(input, &a, &reason);
        g_assert_cmpint(r, ==, -EINVAL);
        g_assert_nonnull(reason);
        if (!strstr(reason, part))
                g_error("reason for '%s' is \"%s\", which does not name \"%s\"", input, reason, part);
}

static void test_plain(void) {
        assert_parses("06:00.0", "0000:06:00.0");
        assert_parses("0000:06:00.0", "0000:06:00.0");
        assert_parses("6:0.0", "0000:06:00.0");
        assert_parses("  0000:0a:1f.7\n", "0000:0a:1f.7");
        assert_parses("0001:ff:1f.7", "0001:ff:1f.7");
        assert_parses("10000:00:00.0", "10000:00:00.0"); /* VMD domains have five digits */
        assert_parses("0A:04.1", "0000:0a:04.1");
}

static void test_plain_errors(void) {
        assert_refused("", "empty");
        assert_refused("06:0g.0", "slot \"0g\" is not a hexadecimal number");
        assert_refused("06:20.0", "slot 0x20 is out of range");
        assert_refused("06:00.8", "function 0x8 is out of range");
        assert_refused("100:00.0", "bus 0x100 is out of range");
        assert_refused("0600.0", "no ':'");
        assert_refused("06.00.0", "too many '.'");
        assert_refused("06:00", "no '.'");
        assert_refused("0:0:06:00.0", "too many ':'");
        assert_refused(":00.0", "bus is missing");
        assert_refused("06:.0", "slot is missing");
        assert_refused("06:00.", "function is missing");
        assert_refused("06:00.*", "function '*' names several devices");
        assert_refused("123456789:00:00.0", "domain \"123456789\" is too long");
}

static void test_xenserver(void) {
        assert_parses("0/0000:06:00.0", "0000:06:00.0");
        assert_parses("12/07:00.1", "0000:07:00.1");
        assert_refused("x/0000:06:00.0", "before '/' is not a number");
        assert_refused("/06:00.0", "nothing before '/'");
        assert_refused("0/06:00.9", "function 0x9");
}

static void test_hide_list(void) {
        _cleanup_free_ PtAddress *list = NULL;
        _cleanup_free_ char *reason = NULL;
        char buf[PT_ADDRESS_STRLEN];
        size_t n;

        g_assert_cmpint(pt_address_parse_hide_list("(0000:09:00.0)(0a:04.1)", &list, &n, &reason), ==, 0);
        g_assert_cmpuint(n, ==, 2);
        g_assert_cmpstr(pt_address_format(&list[0], buf), ==, "0000:09:00.0");
        g_assert_cmpstr(pt_address_format(&list[1], buf), ==, "0000:0a:04.1");

        assert_parses("(0000:09:00.0)", "0000:09:00.0");
        assert_refused("(0000:09:00.0)(0a:04.1)", "names 2 devices");
        assert_refused("(0000:09:00.0", "unterminated '('");
        assert_refused("(0000:09:00.0)x", "expected '('");
        assert_refused("(09:00.*)", "wildcard");
        assert_refused("(09:0z.0)", "slot \"0z\"");
}

static void test_xl_spec(void) {
        PtPciSpec spec;
        _cleanup_free_ char *reason = NULL;
        char buf[PT_ADDRESS_STRLEN];

        g_assert_cmpint(pt_pci_spec_parse("36:00.0@1a,seize=1,permissive=1,rdm_policy=relaxed,msitranslate=0,"
                                          "power_mgmt=1", &spec, &reason), ==, 0);
        g_assert_cmpstr(pt_address_format(&spec.address, buf), ==, "0000:36:00.0");
        g_assert_cmpint(spec.vslot, ==, 0x1a);
        g_assert_cmpint(spec.seize, ==, 1);
        g_assert_cmpint(spec.permissive, ==, 1);
        g_assert_cmpint(spec.msitranslate, ==, 0);
        g_assert_cmpint(spec.power_mgmt, ==, 1);
        g_assert_cmpint(spec.rdm_policy, ==, PT_RDM_POLICY_RELAXED);
        pt_pci_spec_done(&spec);

        /* The three spellings xl documents as equivalent. */
        g_assert_cmpint(pt_pci_spec_parse("bdf=36:00.0,vslot=14,seize=1", &spec, NULL), ==, 0);
        g_assert_cmpint(spec.vslot, ==, 0x14);
        g_assert_true(spec.has_address);
        pt_pci_spec_done(&spec);
        g_assert_cmpint(pt_pci_spec_parse("36:00.0,vslot=0x14", &spec, NULL), ==, 0);
        g_assert_cmpint(spec.vslot, ==, 0x14);
        pt_pci_spec_done(&spec);

        g_assert_cmpint(pt_pci_spec_parse("0000:36:00.*@8", &spec, NULL), ==, 0);
        g_assert_true(spec.all_functions);
        pt_pci_spec_done(&spec);

        g_assert_cmpint(pt_pci_spec_parse("name=gpu0,vslot=3", &spec, NULL), ==, 0);
        g_assert_false(spec.has_address);
        g_assert_cmpstr(spec.name, ==, "gpu0");
        pt_pci_spec_done(&spec);

        assert_parses("06:00.0@4,permissive=1", "0000:06:00.0");
        assert_parses("bdf=06:00.1", "0000:06:00.1");
        assert_refused("06:00.0,frobnicate=1", "unknown PCI_SPEC_STRING option \"frobnicate\"");
        assert_refused("06:00.0,permissive=yes", "permissive=yes must be 0 or 1");
        assert_refused("06:00.0,rdm_policy=loose", "unknown rdm_policy \"loose\"");
        assert_refused("06:00.0@20", "vslot 0x20 is out of range");
        assert_refused("06:00.0,,seize=1", "empty option");
        assert_refused("06:00.0,seize", "has no '='");
        assert_refused("06:00.*@2", "function '*' names several devices");
        assert_refused("name=gpu0", "by name");
        assert_refused("bdf=06:00.0,bdf=06:00.1", "given twice");
}

static void test_libvirt(void) {
        assert_parses("<address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/>", "0000:06:12.5");
        assert_parses("<address type='pci' domain=\"0x0001\" bus=\"6\" slot=\"0x1f\" function=\"7\"/>",
                      "0001:06:1f.7");
        assert_parses("  <address bus='0x06' slot='0x00' function='0x1' multifunction='on'></address>",
                      "0000:06:00.1");
        assert_refused("<address domain='0x0000' bus='0x06' slot='0x20' function='0x0'/>", "slot='0x20' is out of range");
        assert_refused("<address domain='0x0000' slot='0x02' function='0x0'/>", "bus is missing");
        assert_refused("<address bus='0x06' slot='0x02' function='0x0'", "not closed");
        assert_refused("<address bus='0x6g' slot='0x02' function='0x0'/>", "bus='0x6g' is not a number");
        assert_refused("<address bus='0x06' bus='0x07' slot='0x02' function='0x0'/>", "given twice");
        assert_refused("<address type='drive' controller='0' bus='0' unit='0'/>", "not a PCI address");
        assert_refused("<address bus='0x06' slot='0x02' function='0x0' colour='red'/>", "unknown attribute colour");
        assert_refused("<adress bus='0x06'/>", "<address");
}

static void test_roundtrip_and_order(void) {
        PtAddress a = { .domain = 0, .bus = 6, .slot = 0, .function = 1 }, b = { .domain = 0, .bus = 6, .slot = 3 };
        g_assert_cmpint(pt_address_compare(&a, &b), <, 0);
        g_assert_cmpint(pt_address_compare(&b, &a), >, 0);
        g_assert_true(pt_address_equal(&a, &a));
        for (unsigned bus = 0; bus < 256; bus += 17)
                for (unsigned slot = 0; slot < 32; slot += 5)
                        for (unsigned fn = 0; fn < 8; fn++) {
                                PtAddress x = { .domain = bus * 7, .bus = (uint8_t) bus, .slot = (uint8_t) slot,
                                                .function = (uint8_t) fn }, y;
                                char buf[PT_ADDRESS_STRLEN];
                                g_assert_cmpint(pt_address_parse_bdf(pt_address_format(&x, buf), &y, NULL), ==, 0);
                                g_assert_true(pt_address_equal(&x, &y));
                        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/address/plain", test_plain);
        g_test_add_func("/address/plain-errors", test_plain_errors);
        g_test_add_func("/address/xenserver", test_xenserver);
        g_test_add_func("/address/hide-list", test_hide_list);
        g_test_add_func("/address/xl-spec", test_xl_spec);
        g_test_add_func("/address/libvirt", test_libvirt);
        g_test_add_func("/address/roundtrip", test_roundtrip_and_order);
        return g_test_run();
}
