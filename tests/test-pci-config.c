/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <string.h>

#include "passthru/pt-pci-config.h"

static void put16(uint8_t *c, size_t off, uint16_t v) {
        c[off] = v & 0xff;
        c[off + 1] = v >> 8;
}

static void put32(uint8_t *c, size_t off, uint32_t v) {
        put16(c, off, v & 0xffff);
        put16(c, off + 2, v >> 16);
}

static void header(uint8_t *c, uint16_t vendor, uint16_t device, uint32_t class_code, uint8_t header_type) {
        put16(c, 0, vendor);
        put16(c, 2, device);
        put32(c, 8, class_code << 8);
        c[0x0e] = header_type;
}

static void test_flr_endpoint(void) {
        uint8_t c[4096] = {};
        PtPciConfig p;

        header(c, 0x8086, 0x1521, 0x020000, 0x80);
        c[0x06] = 0x10;
        c[0x34] = 0x40;
        c[0x40] = 0x01; /* PM, No_Soft_Reset clear */
        c[0x41] = 0x70;
        c[0x70] = 0x10; /* PCIe endpoint, DevCap FLR */
        c[0x71] = 0x00;
        put16(c, 0x72, 0x0002);
        put32(c, 0x74, 1u << 28);
        put32(c, 0x100, 0x0003 | (1u << 16) | (0x140u << 20)); /* DSN */
        put32(c, 0x104, 0xff123456);
        put32(c, 0x108, 0xa0369fff);
        put32(c, 0x140, 0x0010 | (1u << 16)); /* SR-IOV, last */
        put16(c, 0x14e, 7);
        put16(c, 0x154, 0x80);
        put16(c, 0x156, 4);
        put16(c, 0x15a, 0x1520);

        g_assert_cmpint(pt_pci_config_parse(c, sizeof(c), &p), ==, 0);
        g_assert_true(p.readable);
        g_assert_false(p.off_bus);
        g_assert_cmphex(p.vendor_id, ==, 0x8086);
        g_assert_cmphex(p.class_code, ==, 0x020000);
        g_assert_true(p.multifunction);
        g_assert_cmpuint(p.header_type, ==, 0);
        g_assert_true(p.has_pm);
        g_assert_false(p.pm_no_soft_reset);
        g_assert_true(p.is_pcie);
        g_assert_cmpuint(p.pcie_type, ==, PT_PCIE_ENDPOINT);
        g_assert_true(p.flr);
        g_assert_false(p.has_af);
        g_assert_true(p.has_serial);
        g_assert_cmphex(p.serial, ==, 0xa0369fffff123456ULL);
        g_assert_true(p.has_sriov);
        g_assert_cmpuint(p.sriov_total_vfs, ==, 7);
        g_assert_cmpuint(p.sriov_vf_offset, ==, 0x80);
        g_assert_cmpuint(p.sriov_vf_stride, ==, 4);
        g_assert_cmphex(p.sriov_vf_device_id, ==, 0x1520);
}

static void test_af_flr_and_nosoftreset(void) {
        uint8_t c[256] = {};
        PtPciConfig p;

        header(c, 0x8086, 0x293e, 0x040300, 0x00);
        c[0x06] = 0x10;
        c[0x34] = 0x50;
        c[0x50] = 0x13; /* AF: TP + FLR */
        c[0x51] = 0x60;
        c[0x53] = 0x03;
        c[0x60] = 0x01; /* PM with No_Soft_Reset */
        put16(c, 0x64, 0x0008);
        g_assert_cmpint(pt_pci_config_parse(c, sizeof(c), &p), ==, 0);
        g_assert_false(p.is_pcie);
        g_assert_true(p.has_af);
        g_assert_true(p.af_flr);
        g_assert_true(p.pm_no_soft_reset);
        g_assert_false(p.flr);

        /* AF advertising FLR without TP is not usable for a reset. */
        c[0x53] = 0x02;
        g_assert_cmpint(pt_pci_config_parse(c, sizeof(c), &p), ==, 0);
        g_assert_false(p.af_flr);
}

static void test_bridge_types(void) {
        uint8_t c[4096] = {};
        PtPciConfig p;

        header(c, 0x8086, 0x2940, 0x060400, 0x01);
        c[0x06] = 0x10;
        c[0x34] = 0x40;
        c[0x40] = 0x10;
        put16(c, 0x42, 0x0042); /* root port */
        g_assert_cmpint(pt_pci_config_parse(c, sizeof(c), &p), ==, 0);
        g_assert_cmpuint(p.header_type, ==, 1);
        g_assert_cmpuint(p.pcie_type, ==, PT_PCIE_ROOT_PORT);
        g_assert_cmpstr(pt_pcie_type_to_string(p.pcie_type), ==, "root-port");

        put16(c, 0x42, 0x0072); /* PCIe-to-PCI bridge */
        g_assert_cmpint(pt_pci_config_parse(c, sizeof(c), &p), ==, 0);
        g_assert_cmpstr(pt_pcie_type_to_string(p.pcie_type), ==, "pcie-to-pci-bridge");
}

static void test_off_bus(void) {
        uint8_t c[256];
        PtPciConfig p;
        memset(c, 0xff, sizeof(c));
        g_assert_cmpint(pt_pci_config_parse(c, sizeof(c), &p), ==, 0);
        g_assert_true(p.off_bus);
        g_assert_false(p.has_pm);
}

static void test_sriov_vf(void) {
        uint8_t c[4096] = {};
        PtPciConfig p;

        /* A VF: vendor and device read 0xffff by design, everything else is a live PCIe endpoint with FLR. */
        header(c, 0xffff, 0xffff, 0x010802, 0x00);
        c[0x06] = 0x10;
        c[0x34] = 0x40;
        c[0x40] = 0x10;
        put16(c, 0x42, 0x0002);
        put32(c, 0x44, 1u << 28);
        g_assert_cmpint(pt_pci_config_parse(c, sizeof(c), &p), ==, 0);
        g_assert_false(p.off_bus);
        g_assert_true(p.is_pcie);
        g_assert_true(p.flr);
        g_assert_cmphex(p.class_code, ==, 0x010802);
}

static void test_hostile_lists(void) {
        uint8_t c[4096] = {};
        PtPciConfig p;

        header(c, 0x1234, 0x5678, 0x020000, 0x00);
        c[0x06] = 0x10;
        /* A standard list that points at itself, and one that runs off the end. */
        c[0x34] = 0x40;
        c[0x40] = 0x01;
        c[0x41] = 0x40;
        g_assert_cmpint(pt_pci_config_parse(c, 256, &p), ==, 0);
        g_assert_true(p.has_pm);
        c[0x41] = 0xfc;
        c[0xfc] = 0x10;
        g_assert_cmpint(pt_pci_config_parse(c, 256, &p), ==, 0);
        g_assert_false(p.is_pcie); /* PCIe cap truncated at the end of the image */

        /* An extended list that loops back. */
        memset(c + 0x40, 0, sizeof(c) - 0x40);
        c[0x34] = 0x40;
        c[0x40] = 0x10;
        put32(c, 0x100, 0x000d | (1u << 16) | (0x100u << 20));
        g_assert_cmpint(pt_pci_config_parse(c, sizeof(c), &p), ==, 0);
        g_assert_true(p.has_acs);

        /* Too short to be a header at all. */
        g_assert_cmpint(pt_pci_config_parse(c, 32, &p), ==, -ENODATA);
        g_assert_cmpint(pt_pci_config_parse(NULL, 64, &p), ==, -EINVAL);

        /* A 64-byte image (what an unprivileged reader gets) has no capability list to walk. */
        g_assert_cmpint(pt_pci_config_parse(c, 64, &p), ==, 0);
        g_assert_false(p.is_pcie);
}

/* Real extended lists link backwards (NVIDIA GPUs 0x258 -> 0x128, PLX ports 0xfb4 -> 0x138): what comes after
 * such a link, here a serial number and ACS with its control bits, must still be found. */
static void test_backward_link(void) {
        uint8_t c[4096] = {};
        PtPciConfig p;

        header(c, 0x10de, 0x1b80, 0x030000, 0x80);
        c[0x06] = 0x10;
        c[0x08] = 0xa1; /* revision */
        put16(c, 0x2c, 0x1043);
        put16(c, 0x2e, 0x85aa);
        c[0x34] = 0x60;
        c[0x60] = 0x10; /* PCIe endpoint */
        put16(c, 0x62, 0x0002);
        put32(c, 0x100, 0x0002 | (1u << 16) | (0x258u << 20));   /* VC, then forward to 0x258 */
        put32(c, 0x258, 0x001e | (1u << 16) | (0x128u << 20));   /* L1 PM substates, then back to 0x128 */
        put32(c, 0x128, 0x0003 | (1u << 16) | (0x140u << 20));   /* DSN */
        put32(c, 0x12c, 0x00000001);
        put32(c, 0x130, 0x12345678);
        put32(c, 0x140, 0x000d | (1u << 16));                    /* ACS, last */
        put16(c, 0x144, 0x005f);                                 /* SV TB RR CR UF, DT */
        put16(c, 0x146, 0x001d);                                 /* SV RR CR UF enabled */

        g_assert_cmpint(pt_pci_config_parse(c, sizeof(c), &p), ==, 0);
        g_assert_cmphex(p.revision, ==, 0xa1);
        g_assert_cmphex(p.subsystem_vendor_id, ==, 0x1043);
        g_assert_cmphex(p.subsystem_id, ==, 0x85aa);
        g_assert_true(p.has_serial);
        g_assert_cmphex(p.serial, ==, 0x1234567800000001ULL);
        g_assert_true(p.has_acs);
        g_assert_cmphex(p.acs_cap, ==, 0x005f);
        g_assert_cmphex(p.acs_ctrl, ==, PT_ACS_SV | PT_ACS_RR | PT_ACS_CR | PT_ACS_UF);
}

/* A list that loops (two capabilities pointing at each other, or one at itself) ends by the count, having seen
 * what is on it, and never hangs. */
static void test_capability_loop(void) {
        uint8_t c[4096] = {};
        PtPciConfig p;

        header(c, 0x8086, 0x1521, 0x020000, 0);
        c[0x06] = 0x10;
        c[0x34] = 0x40;
        c[0x40] = 0x10; /* PCIe, then back to itself */
        c[0x41] = 0x40;
        put32(c, 0x44, 1u << 28);
        put32(c, 0x200, 0x0003 | (1u << 16) | (0x100u << 20)); /* DSN -> 0x100 */
        put32(c, 0x204, 0xdeadbeef);
        put32(c, 0x100, 0x0010 | (1u << 16) | (0x200u << 20)); /* SR-IOV -> 0x200 -> 0x100 ... */
        put16(c, 0x10e, 16);
        g_assert_cmpint(pt_pci_config_parse(c, sizeof(c), &p), ==, 0);
        g_assert_true(p.is_pcie);
        g_assert_true(p.flr);
        g_assert_true(p.has_sriov);
        g_assert_cmpuint(p.sriov_total_vfs, ==, 16);
        g_assert_true(p.has_serial);
        g_assert_cmphex(p.serial & 0xffffffff, ==, 0xdeadbeef);
}

/* Subsystem IDs where each header keeps them: type 0 at 0x2c, CardBus at 0x40, a PCI-PCI bridge in its SSVID
 * capability (none: zero). */
static void test_subsystem_ids(void) {
        uint8_t c[256] = {};
        PtPciConfig p;

        header(c, 0x1180, 0x0476, 0x060700, 0x82); /* Ricoh CardBus bridge, multifunction */
        put16(c, 0x40, 0x14ef);
        put16(c, 0x42, 0x0220);
        g_assert_cmpint(pt_pci_config_parse(c, sizeof(c), &p), ==, 0);
        g_assert_cmpuint(p.header_type, ==, 2);
        g_assert_cmphex(p.subsystem_vendor_id, ==, 0x14ef);
        g_assert_cmphex(p.subsystem_id, ==, 0x0220);
        /* Only 64 bytes of it: the CardBus registers are not there to read. */
        g_assert_cmpint(pt_pci_config_parse(c, 64, &p), ==, 0);
        g_assert_cmphex(p.subsystem_vendor_id, ==, 0);

        memset(c, 0, sizeof(c));
        header(c, 0x8086, 0x1e10, 0x060400, 0x81);
        c[0x06] = 0x10;
        c[0x34] = 0x90;
        c[0x90] = 0x0d; /* SSVID */
        put16(c, 0x94, 0x1043);
        put16(c, 0x96, 0x844d);
        put16(c, 0x2c, 0xffff); /* in a bridge these bytes are something else */
        g_assert_cmpint(pt_pci_config_parse(c, sizeof(c), &p), ==, 0);
        g_assert_cmphex(p.subsystem_vendor_id, ==, 0x1043);
        g_assert_cmphex(p.subsystem_id, ==, 0x844d);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/pci-config/flr-endpoint", test_flr_endpoint);
        g_test_add_func("/pci-config/af-flr-no-soft-reset", test_af_flr_and_nosoftreset);
        g_test_add_func("/pci-config/bridge-types", test_bridge_types);
        g_test_add_func("/pci-config/off-bus", test_off_bus);
        g_test_add_func("/pci-config/sriov-vf", test_sriov_vf);
        g_test_add_func("/pci-config/hostile-lists", test_hostile_lists);
        g_test_add_func("/pci-config/backward-link", test_backward_link);
        g_test_add_func("/pci-config/capability-loop", test_capability_loop);
        g_test_add_func("/pci-config/subsystem-ids", test_subsystem_ids);
        return g_test_run();
}
