/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The inventory's reading of one function from a sysfs tree written here by hand: what an older kernel or a
 * snapshot leaves out is read from config space, names come from pci.ids only, a CardBus bridge counts as a
 * conventional PCI parent, the uevent text is read for IDs and driver, and a threaded enumeration reads as a
 * device-by-device one does. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device.h"
#include "inventory.h"
#include "modules-alias.h"
#include "passthru/pt-macros.h"
#include "pci-access.h"

typedef struct {
        char *root;
        PciAccess *pci;
} Tree;

static void put16(uint8_t *c, size_t off, uint16_t v) {
        c[off] = v & 0xff;
        c[off + 1] = v >> 8;
}

/* A PCIe root port's config space (Intel 1e10): a PCI-to-PCI bridge with the PCIe capability at 0x40. */
static void root_port_config(uint8_t c[static 256], uint8_t header_type) {
        memset(c, 0, 256);
        put16(c, 0, 0x8086);
        put16(c, 2, 0x1e10);
        c[0x06] = 0x10;
        c[0x0b] = 0x06;
        c[0x0a] = 0x04;
        c[0x0e] = header_type;
        c[0x34] = 0x40;
        c[0x40] = 0x10;
        put16(c, 0x42, 0x0042); /* root port */
}

static void attr(const char *dir, const char *name, const char *value) {
        g_autofree char *p = g_build_filename(dir, name, NULL);
        g_assert_true(g_file_set_contents(p, value, -1, NULL));
}

/* A function at devices/<parent path>/<bdf> with the attributes given as NULL-terminated name, value pairs. */
static void add(Tree *t, const char *path, const uint8_t *config, size_t len, ...) {
        g_autofree char *dir = g_build_filename(t->root, "devices", path, NULL);
        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_autofree char *cfg = g_build_filename(dir, "config", NULL);
        g_assert_true(g_file_set_contents(cfg, (const char *) config, (gssize) len, NULL));
        va_list ap;
        va_start(ap, len);
        for (const char *name; (name = va_arg(ap, const char *));)
                attr(dir, name, va_arg(ap, const char *));
        va_end(ap);
        g_autofree char *bdf = g_path_get_basename(path);
        g_autofree char *link = g_build_filename(t->root, "bus/pci/devices", bdf, NULL);
        g_autofree char *target = g_build_filename("../../../devices", path, NULL);
        g_assert_cmpint(symlink(target, link), ==, 0);
}

static void tree_init(Tree *t) {
        t->root = g_dir_make_tmp("passthru-device-XXXXXX", NULL);
        g_autofree char *devs = g_build_filename(t->root, "bus/pci/devices", NULL);
        g_assert_cmpint(g_mkdir_with_parents(devs, 0755), ==, 0);
}

static Device *load(Tree *t, const char *bdf) {
        if (!t->pci)
                g_assert_cmpint(pci_access_new(t->root, "/usr/share/misc/pci.ids", false, &t->pci), ==, 0);
        PtAddress a;
        g_assert_cmpint(pt_address_parse_bdf(bdf, &a, NULL), ==, 0);
        Device *d = NULL;
        g_assert_cmpint(device_load(t->root, t->pci, &a, NULL, &d), ==, 0);
        return d;
}

static void tree_done(Tree *t) {
        pci_access_free(t->pci);
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", t->root);
        (void) !system(cmd);
        g_free(t->root);
}

/* No revision, subsystem or class attributes (an older kernel): read from config space. */
static void test_missing_attributes(void) {
        Tree t = {};
        tree_init(&t);
        uint8_t c[256] = {};
        put16(c, 0, 0x8086);
        put16(c, 2, 0x10d3);
        c[0x08] = 0x03;
        c[0x0b] = 0x02;
        put16(c, 0x2c, 0x8086);
        put16(c, 0x2e, 0xa01f);
        add(&t, "pci0000:00/0000:00:19.0", c, sizeof(c), "vendor", "0x8086\n", "device", "0x10d3\n", NULL);
        _cleanup_(device_freep) Device *d = load(&t, "0000:00:19.0");
        g_assert_cmphex(d->revision, ==, 0x03);
        g_assert_cmphex(d->class_code, ==, 0x020000);
        g_assert_cmphex(d->subsystem_vendor_id, ==, 0x8086);
        g_assert_cmphex(d->subsystem_id, ==, 0xa01f);
        g_assert_cmpstr(d->class_name, ==, "Ethernet controller");
        /* The kernel's attribute wins over config space when it is there (a quirk may have changed it). */
        g_autofree char *dir = g_build_filename(t.root, "devices/pci0000:00/0000:00:19.0", NULL);
        attr(dir, "revision", "0x07\n");
        _cleanup_(device_freep) Device *again = load(&t, "0000:00:19.0");
        g_assert_cmphex(again->revision, ==, 0x07);
        tree_done(&t);
}

/* Names only from pci.ids: an unknown subsystem has none (never the device's own, as libpci 3.9's hwdb lookup
 * gives), nor has a base class pci.ids does not know; a known base with an unknown subclass is the base's name. */
static void test_names(void) {
        Tree t = {};
        tree_init(&t);
        uint8_t c[64] = {};
        put16(c, 0, 0x8086);
        put16(c, 2, 0x3a37); /* 82801JI (ICH10 Family) USB UHCI Controller #4 */
        c[0x0b] = 0x0c;
        c[0x0a] = 0x03;
        put16(c, 0x2c, 0x8086);
        put16(c, 0x2e, 0x4f53); /* a board pci.ids does not list */
        add(&t, "pci0000:00/0000:00:1a.0", c, sizeof(c), NULL);
        c[0x0b] = 0x15; /* no such base class */
        c[0x0a] = 0x00;
        put16(c, 0x2c, 0);
        put16(c, 0x2e, 0);
        add(&t, "pci0000:00/0000:00:1b.0", c, sizeof(c), NULL);
        c[0x0b] = 0x08; /* Generic system peripheral, with a subclass pci.ids does not list */
        c[0x0a] = 0x77;
        add(&t, "pci0000:00/0000:00:1c.0", c, sizeof(c), NULL);

        _cleanup_(device_freep) Device *usb = load(&t, "0000:00:1a.0");
        g_assert_cmpstr(usb->vendor_name, ==, "Intel Corporation");
        g_assert_cmpstr(usb->device_name, !=, "");
        g_assert_cmpstr(usb->subsystem_name, ==, "");
        _cleanup_(device_freep) Device *odd = load(&t, "0000:00:1b.0");
        g_assert_cmpstr(odd->class_name, ==, "");
        _cleanup_(device_freep) Device *generic = load(&t, "0000:00:1c.0");
        g_assert_cmpstr(generic->class_name, ==, "Generic system peripheral");
        tree_done(&t);
}

/* A function behind a CardBus bridge (header type 2) is behind conventional PCI, as the kernel's DMA alias rules
 * treat it; one behind a PCIe root port is not. */
static void test_cardbus_parent(void) {
        Tree t = {};
        tree_init(&t);
        uint8_t bridge[256] = {};
        put16(bridge, 0, 0x1180);
        put16(bridge, 2, 0x0476);
        bridge[0x0b] = 0x06;
        bridge[0x0a] = 0x07;
        bridge[0x0e] = 0x82;
        bridge[0x19] = 0x02;
        add(&t, "pci0000:00/0000:00:0f.0", bridge, sizeof(bridge), NULL);
        uint8_t card[64] = {};
        put16(card, 0, 0x10ec);
        put16(card, 2, 0x8139);
        card[0x0b] = 0x02;
        add(&t, "pci0000:00/0000:00:0f.0/0000:02:00.0", card, sizeof(card), NULL);

        uint8_t port[256];
        root_port_config(port, 0x81);
        port[0x19] = 0x03;
        add(&t, "pci0000:00/0000:00:1c.0", port, sizeof(port), NULL);
        add(&t, "pci0000:00/0000:00:1c.0/0000:03:00.0", card, sizeof(card), NULL);

        _cleanup_(device_freep) Device *cb = load(&t, "0000:02:00.0");
        g_assert_cmpstr(cb->parent_bridge, ==, "0000:00:0f.0");
        g_assert_true(cb->parent_conventional);
        _cleanup_(device_freep) Device *rp = load(&t, "0000:03:00.0");
        g_assert_cmpstr(rp->parent_bridge, ==, "0000:00:1c.0");
        g_assert_false(rp->parent_conventional);
        _cleanup_(device_freep) Device *b = load(&t, "0000:00:0f.0");
        g_assert_true(b->is_bridge);
        tree_done(&t);
}

/* The kernel's uevent text: IDs, class, driver and modalias; what it lacks or garbles is left unset. */
static void test_uevent_parse(void) {
        char text[] = "DRIVER=e1000e\nPCI_CLASS=20000\nPCI_ID=8086:10D3\nPCI_SUBSYS_ID=8086:A01F\n"
                      "PCI_SLOT_NAME=0000:00:19.0\nMODALIAS=pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00";
        DeviceUevent ev;
        device_uevent_parse(text, &ev);
        g_assert_true(ev.parsed && ev.has_id && ev.has_subsys_id && ev.has_class);
        g_assert_cmphex(ev.vendor_id, ==, 0x8086);
        g_assert_cmphex(ev.device_id, ==, 0x10d3);
        g_assert_cmphex(ev.subsystem_id, ==, 0xa01f);
        g_assert_cmphex(ev.class_code, ==, 0x020000);
        g_assert_cmpstr(ev.driver, ==, "e1000e");
        g_assert_cmpstr(ev.modalias, ==, "pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00");

        char unbound[] = "PCI_CLASS=20000\nPCI_ID=8086:10D3x\nPCI_SUBSYS_ID=zz\n";
        device_uevent_parse(unbound, &ev);
        g_assert_true(ev.parsed && ev.has_class);
        g_assert_false(ev.has_id || ev.has_subsys_id);
        g_assert_null(ev.driver);
        g_assert_null(ev.modalias);
}

/* Where the kernel writes a uevent attribute, IDs and driver come from it (one read), not from the others. */
static void test_uevent_read(void) {
        Tree t = {};
        tree_init(&t);
        uint8_t c[64] = {};
        put16(c, 0, 0xffff); /* a VF's config space: the IDs are the kernel's to say */
        put16(c, 2, 0xffff);
        c[0x0b] = 0x02;
        add(&t, "pci0000:00/0000:00:19.0", c, sizeof(c), "uevent",
            "DRIVER=ixgbevf\nPCI_CLASS=20000\nPCI_ID=8086:10ED\nPCI_SUBSYS_ID=8086:7B11\n"
            "MODALIAS=pci:v00008086d000010EDsv00008086sd00007B11bc02sc00i00\n", NULL);
        _cleanup_(device_freep) Device *d = load(&t, "0000:00:19.0");
        g_assert_cmphex(d->vendor_id, ==, 0x8086);
        g_assert_cmphex(d->device_id, ==, 0x10ed);
        g_assert_cmphex(d->subsystem_id, ==, 0x7b11);
        g_assert_cmpstr(d->driver, ==, "ixgbevf");
        g_assert_cmpstr(d->modalias, ==, "pci:v00008086d000010EDsv00008086sd00007B11bc02sc00i00");
        tree_done(&t);
}

static void link_group(Tree *t, const char *path, int group) {
        g_autofree char *bdf = g_path_get_basename(path);
        g_autofree char *gdir = g_strdup_printf("%s/kernel/iommu_groups/%d/devices", t->root, group);
        g_assert_cmpint(g_mkdir_with_parents(gdir, 0755), ==, 0);
        g_autofree char *member = g_build_filename(gdir, bdf, NULL);
        g_autofree char *target = g_build_filename("../../../../devices", path, NULL);
        g_assert_cmpint(symlink(target, member), ==, 0);
        g_autofree char *link = g_build_filename(t->root, "devices", path, "iommu_group", NULL);
        g_autofree char *gtarget = g_strdup_printf("../../../kernel/iommu_groups/%d", group);
        g_assert_cmpint(symlink(gtarget, link), ==, 0);
}

/* An enumeration of hundreds of functions reads them on several threads: each device comes out as a read of it
 * alone would have it, with its group's members and its parent's kind. */
static void test_enumerate_parallel(void) {
        Tree t = {};
        tree_init(&t);
        uint8_t cardbus[256] = {}, port[256] = {}, fn[64] = {};
        put16(cardbus, 0, 0x1180);
        put16(cardbus, 2, 0x0476);
        cardbus[0x0b] = 0x06;
        cardbus[0x0a] = 0x07;
        cardbus[0x0e] = 0x02;
        root_port_config(port, 0x01);
        put16(fn, 0, 0x8086);
        put16(fn, 2, 0x10d3);
        fn[0x0b] = 0x02;
        add(&t, "pci0000:00/0000:00:0f.0", cardbus, sizeof(cardbus), NULL);
        add(&t, "pci0000:00/0000:00:1c.0", port, sizeof(port), NULL);
        link_group(&t, "pci0000:00/0000:00:0f.0", 1000);
        link_group(&t, "pci0000:00/0000:00:1c.0", 1001);
        size_t n = 2;
        for (int bus = 2; bus <= 3; bus++)
                for (int slot = 0; slot < 32; slot++)
                        for (int f = 0; f < 5; f++, n++) {
                                g_autofree char *path = g_strdup_printf("pci0000:00/0000:00:%s/0000:%02x:%02x.%d",
                                                                        bus == 2 ? "0f.0" : "1c.0", bus, slot, f);
                                add(&t, path, fn, sizeof(fn), "driver_override", f == 4 ? "vfio-pci\n" : "(null)\n",
                                    NULL);
                                link_group(&t, path, bus * 100 + slot); /* a slot's functions share a group */
                        }
        g_assert_cmpint(pci_access_new(t.root, "/usr/share/misc/pci.ids", false, &t.pci), ==, 0);
        Inventory inv = {};
        g_assert_cmpint(inventory_enumerate(&inv, t.root, t.pci), ==, 0);
        g_assert_cmpuint(inv.n, ==, n);
        for (size_t i = 0; i < inv.n; i++) {
                const Device *d = inv.devices[i];
                _cleanup_(device_freep) Device *alone = load(&t, d->bdf);
                g_assert_cmpstr(d->bdf, ==, alone->bdf);
                g_assert_cmpint(d->iommu_group, ==, alone->iommu_group);
                g_assert_cmpuint(g_strv_length(d->iommu_group_members), ==, d->address.bus >= 2 ? 5 : 1);
                for (size_t k = 0; alone->iommu_group_members[k]; k++)
                        g_assert_cmpstr(d->iommu_group_members[k], ==, alone->iommu_group_members[k]);
                g_assert_cmpstr(d->parent_bridge, ==, alone->parent_bridge);
                g_assert_cmpint(d->parent_conventional, ==, alone->parent_conventional);
                g_assert_cmpint(d->parent_conventional, ==, d->address.bus == 2);
                g_assert_cmpstr(d->device_name, ==, alone->device_name);
                g_assert_cmpstr(d->class_name, ==, alone->class_name);
                g_assert_cmpstr(d->driver_override, ==, alone->driver_override);
        }
        inventory_done(&inv);
        tree_done(&t);
}

/* modules.alias: only vfio_pci: aliases count, the most specific match wins wherever it stands, and no match,
 * no file or no modalias is no variant. */
static void test_vfio_variant(void) {
        g_autofree char *dir = g_dir_make_tmp("passthru-alias-XXXXXX", NULL);
        g_autofree char *path = g_build_filename(dir, "modules.alias", NULL);
        g_assert_true(g_file_set_contents(path,
                "alias pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_core\n"
                "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
                "alias vfio_pci:v000015B3d*sv*sd*bc*sc*i* vendor_vfio_pci\n"
                "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n"
                "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* second_vfio_pci\n"
                "alias vfio_pci:v00001AF4d00001041sv*sd*bc*sc*i* virtio_vfio_pci\n", -1, NULL));
        char *v = NULL;
        g_assert_cmpint(modules_alias_vfio_variant(path, "pci:v000015B3d0000101Esv000015B3sd00000007bc02sc00i00", &v),
                        ==, 0);
        g_assert_cmpstr(v, ==, "mlx5_vfio_pci");
        free(v);
        g_assert_cmpint(modules_alias_vfio_variant(path, "pci:v000015B3d00001017sv000015B3sd00000007bc02sc00i00", &v),
                        ==, 0);
        g_assert_cmpstr(v, ==, "vendor_vfio_pci");
        free(v);
        g_assert_cmpint(modules_alias_vfio_variant(path, "pci:v00008086d00001521sv00008086sd00000001bc02sc00i00", &v),
                        ==, 0);
        g_assert_null(v);
        g_assert_cmpint(modules_alias_vfio_variant(path, "", &v), ==, 0);
        g_assert_null(v);
        g_autofree char *absent = g_build_filename(dir, "none", NULL);
        g_assert_cmpint(modules_alias_vfio_variant(absent, "pci:v000015B3d0000101Esv0sd0bc02sc00i00", &v), ==, 0);
        g_assert_null(v);
        g_unlink(path);
        g_rmdir(dir);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/device/missing-attributes", test_missing_attributes);
        g_test_add_func("/device/names", test_names);
        g_test_add_func("/device/cardbus-parent", test_cardbus_parent);
        g_test_add_func("/device/uevent-parse", test_uevent_parse);
        g_test_add_func("/device/uevent-read", test_uevent_read);
        g_test_add_func("/device/enumerate-parallel", test_enumerate_parallel);
        g_test_add_func("/device/vfio-variant", test_vfio_variant);
        return g_test_run();
}
