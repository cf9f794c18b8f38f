/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The real passthrud on a private bus against the fake kernel, driven by the real ptctl. */
#include <string.h>

#include "harness.h"

typedef HarnessFixture Fixture;

static const char *const standard_endpoints[] = {
        "0000:00:19.0", "0000:00:1b.0", "0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.3", "0000:01:00.0",
        "0000:01:00.1", "0000:01:00.2", "0000:02:00.0", "0000:03:00.0", "0000:06:00.0", "0000:06:00.1",
        "0000:06:00.2", "0000:06:03.0",
};

static void test_list_json(Fixture *f, gconstpointer data) {
        g_autoptr(JsonNode) root = harness_ptctl_json(f->h, "list", "--json", NULL);
        JsonArray *a = json_node_get_array(root);

        g_assert_cmpuint(json_array_get_length(a), ==, G_N_ELEMENTS(standard_endpoints));
        for (size_t i = 0; i < G_N_ELEMENTS(standard_endpoints); i++) {
                JsonObject *o = json_array_find_address(a, standard_endpoints[i]);
                g_assert_nonnull(o);
                /* The documented minimum schema. */
                static const char *const keys[] = { "address", "vendor_id", "device_id", "class", "driver",
                                                    "iommu_group", "reset_methods", "state", "guest" };
                for (size_t k = 0; k < G_N_ELEMENTS(keys); k++)
                        g_assert_true(json_object_has_member(o, keys[k]));
                g_assert_true(json_object_get_null_member(o, "guest"));
        }

        JsonObject *nic = json_array_find_address(a, "0000:01:00.0");
        g_assert_cmpstr(json_object_get_string_member(nic, "vendor_id"), ==, "8086");
        g_assert_cmpstr(json_object_get_string_member(nic, "device_id"), ==, "1521");
        g_assert_cmpstr(json_object_get_string_member(nic, "class"), ==, "020000");
        g_assert_cmpstr(json_object_get_string_member(nic, "driver"), ==, "igb");
        g_assert_cmpint(json_object_get_int_member(nic, "iommu_group"), ==, 4);
        g_assert_cmpstr(json_object_get_string_member(nic, "state"), ==, "host");
        JsonArray *resets = json_object_get_array_member(nic, "reset_methods");
        g_assert_cmpuint(json_array_get_length(resets), ==, 3);
        g_assert_cmpstr(json_array_get_string_element(resets, 0), ==, "flr");

        JsonObject *unbound = json_array_find_address(a, "0000:03:00.0");
        g_assert_true(json_object_get_null_member(unbound, "driver"));
        g_assert_cmpstr(json_object_get_string_member(unbound, "state"), ==, "host");

        JsonObject *audio = json_array_find_address(a, "0000:00:1b.0");
        g_assert_cmpuint(json_array_get_length(json_object_get_array_member(audio, "reset_methods")), ==, 0);

        g_autoptr(JsonNode) all = harness_ptctl_json(f->h, "list", "--all", "--json", NULL);
        JsonArray *aa = json_node_get_array(all);
        g_assert_cmpuint(json_array_get_length(aa), ==, 19);

        /* list reads Manager.GetInventory, show reads the Device properties: every object must agree, the
         * group member and VF lists ptctl derives included. "acs" is show's alone (GetInventory's signature is
         * fixed), and show always has it. */
        for (guint i = 0; i < json_array_get_length(aa); i++) {
                JsonObject *o = json_array_get_object_element(aa, i);
                const char *address = json_object_get_string_member(o, "address");
                g_autoptr(JsonNode) shown = harness_ptctl_json(f->h, "show", address, "--json", NULL);
                g_assert_false(json_object_has_member(o, "acs"));
                g_assert_true(json_object_has_member(json_node_get_object(shown), "acs"));
                json_object_remove_member(json_node_get_object(shown), "acs");
                g_autoptr(JsonNode) listed = json_node_alloc();
                json_node_init_object(listed, o);
                g_autofree char *from_list = json_to_string(listed, TRUE), *from_show = json_to_string(shown, TRUE);
                g_assert_cmpstr(from_list, ==, from_show);
        }
        JsonObject *conv = json_array_find_address(aa, "0000:06:03.0");
        g_assert_cmpuint(json_array_get_length(json_object_get_array_member(conv, "iommu_group_members")), ==, 5);
        g_assert_cmpuint(json_array_get_length(json_object_get_array_member(nic, "virtual_functions")), ==, 2);
        JsonObject *host_bridge = json_array_find_address(aa, "0000:00:00.0");
        g_assert_true(json_object_get_boolean_member(host_bridge, "bridge"));
}

static void test_no_iommu(Fixture *f, gconstpointer data) {
        g_autoptr(JsonNode) root = harness_ptctl_json(f->h, "--json", "list", NULL);
        JsonArray *a = json_node_get_array(root);
        g_assert_cmpuint(json_array_get_length(a), >, 0);
        for (guint i = 0; i < json_array_get_length(a); i++) {
                JsonObject *o = json_array_get_object_element(a, i);
                g_assert_true(json_object_get_null_member(o, "iommu_group"));
                g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "iommu_group_members")), ==, 0);
        }
}

static void test_list_table(Fixture *f, gconstpointer data) {
        g_autofree char *out = NULL, *err = NULL;
        g_assert_cmpint(harness_ptctl(f->h, &out, &err, "list", NULL), ==, 0);
        g_assert_true(g_str_has_prefix(out, "ADDRESS"));
        g_assert_nonnull(strstr(out, "DRIVER"));
        g_assert_nonnull(strstr(out, "RESET"));
        g_assert_nonnull(strstr(out, "0000:06:03.0"));
        g_assert_nonnull(strstr(out, "flr,pm,bus"));
        g_assert_nonnull(strstr(out, "(5 bridges hidden; --all shows them)"));
        g_assert_null(strstr(out, "0000:00:1c.0"));

        g_autofree char *out2 = NULL;
        g_assert_cmpint(harness_ptctl(f->h, &out2, NULL, NULL), ==, 0); /* no command = list */
        g_assert_cmpstr(out, ==, out2);
}

static void test_show_notations(Fixture *f, gconstpointer data) {
        static const char *const notations[] = {
                "06:00.1", "0000:06:00.1", "6:0.1", "0/0000:06:00.1", "(0000:06:00.1)", "06:00.1@4,permissive=1",
                "bdf=06:00.1,seize=1", "<address domain='0x0000' bus='0x06' slot='0x00' function='0x1'/>",
                "  0000:06:00.1\n",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(notations); i++) {
                g_autoptr(JsonNode) n = harness_ptctl_json(f->h, "show", notations[i], "--json", NULL);
                g_assert_cmpstr(json_object_get_string_member(json_node_get_object(n), "address"), ==, "0000:06:00.1");
        }
}

static void test_show_details(Fixture *f, gconstpointer data) {
        g_autoptr(JsonNode) pf = harness_ptctl_json(f->h, "show", "01:00.0", "--json", NULL);
        JsonObject *o = json_node_get_object(pf);
        g_assert_cmpstr(json_object_get_string_member(o, "parent_bridge"), ==, "0000:00:1c.0");
        g_assert_false(json_object_get_boolean_member(o, "parent_conventional"));
        g_assert_true(json_object_get_boolean_member(o, "flr"));
        g_assert_true(json_object_get_boolean_member(o, "pcie"));
        g_assert_cmpstr(json_object_get_string_member(o, "pcie_type"), ==, "endpoint");
        g_assert_cmpint(json_object_get_int_member(o, "sriov_total_vfs"), ==, 7);
        g_assert_cmpint(json_object_get_int_member(o, "sriov_num_vfs"), ==, 2);
        JsonArray *vfs = json_object_get_array_member(o, "virtual_functions");
        g_assert_cmpuint(json_array_get_length(vfs), ==, 2);
        g_assert_cmpstr(json_array_get_string_element(vfs, 0), ==, "0000:01:00.1");
        g_assert_cmpstr(json_object_get_string_member(o, "serial_number"), ==, "a0-36-9f-ff-ff-12-34-56");
        g_assert_cmpstr(json_object_get_string_member(o, "vendor_name"), ==, "Intel Corporation");
        g_assert_cmpstr(json_object_get_string_member(o, "device_name"), ==, "I350 Gigabit Network Connection");

        g_autoptr(JsonNode) vf = harness_ptctl_json(f->h, "show", "01:00.2", "--json", NULL);
        g_assert_cmpstr(json_object_get_string_member(json_node_get_object(vf), "physical_function"), ==, "0000:01:00.0");

        g_autoptr(JsonNode) conv = harness_ptctl_json(f->h, "show", "06:03.0", "--json", NULL);
        o = json_node_get_object(conv);
        g_assert_cmpstr(json_object_get_string_member(o, "parent_bridge"), ==, "0000:00:1e.0");
        g_assert_true(json_object_get_boolean_member(o, "parent_conventional"));
        g_assert_false(json_object_get_boolean_member(o, "pcie"));
        g_assert_true(json_object_get_null_member(o, "pcie_type"));
        JsonArray *members = json_object_get_array_member(o, "iommu_group_members");
        g_assert_cmpuint(json_array_get_length(members), ==, 5); /* the bridge and its four devices */

        g_autoptr(JsonNode) mf = harness_ptctl_json(f->h, "show", "06:00.2", "--json", NULL);
        g_assert_true(json_object_get_boolean_member(json_node_get_object(mf), "multifunction"));

        g_autoptr(JsonNode) rciep = harness_ptctl_json(f->h, "show", "00:19.0", "--json", NULL);
        o = json_node_get_object(rciep);
        g_assert_cmpstr(json_object_get_string_member(o, "pcie_type"), ==, "rc-integrated-endpoint");
        g_assert_true(json_object_get_null_member(o, "parent_bridge"));
        g_assert_true(json_object_get_boolean_member(o, "pm"));
        g_assert_false(json_object_get_boolean_member(o, "pm_no_soft_reset"));

        g_autoptr(JsonNode) audio = harness_ptctl_json(f->h, "show", "00:1b.0", "--json", NULL);
        g_assert_true(json_object_get_boolean_member(json_node_get_object(audio), "pm_no_soft_reset"));

        g_autoptr(JsonNode) rp = harness_ptctl_json(f->h, "show", "00:1c.0", "--json", NULL);
        o = json_node_get_object(rp);
        g_assert_true(json_object_get_boolean_member(o, "bridge"));
        g_assert_cmpstr(json_object_get_string_member(o, "pcie_type"), ==, "root-port");
        /* ACS, as the kernel leaves a port: capable of SV TB RR CR UF, with SV RR CR UF enabled. */
        JsonObject *acs = json_object_get_object_member(o, "acs");
        JsonObject *ctl = json_object_get_object_member(acs, "control"), *cap = json_object_get_object_member(acs,
                                                                                                             "capability");
        g_assert_true(json_object_get_boolean_member(ctl, "rr"));
        g_assert_false(json_object_get_boolean_member(ctl, "tb"));
        g_assert_true(json_object_get_boolean_member(cap, "tb"));
        g_assert_false(json_object_get_boolean_member(cap, "dt"));
        g_autoptr(JsonNode) no_acs = harness_ptctl_json(f->h, "show", "06:03.0", "--json", NULL);
        g_assert_true(json_object_get_null_member(json_node_get_object(no_acs), "acs"));
        g_autofree char *port = NULL;
        g_assert_cmpint(harness_ptctl(f->h, &port, NULL, "show", "00:1c.0", NULL), ==, 0);
        g_assert_nonnull(strstr(port, "ACS control:     SV+ TB- RR+ CR+ UF+ EC- DT-  (capable: SV TB RR CR UF)\n"));

        g_autofree char *out = NULL;
        g_assert_cmpint(harness_ptctl(f->h, &out, NULL, "show", "06:03.0", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "0000:00:1e.0 (conventional PCI bridge)"));
        g_assert_nonnull(strstr(out, "9: 0000:00:1e.0 0000:06:00.0 0000:06:00.1 0000:06:00.2 0000:06:03.0"));
        g_assert_nonnull(strstr(out, "none (the kernel cannot reset it)"));
}

static void test_errors(Fixture *f, gconstpointer data) {
        static const struct {
                const char *arg, *message;
        } bad[] = {
                { "06:0g.0", "ptctl: invalid PCI address \"06:0g.0\": slot \"0g\" is not a hexadecimal number\n" },
                { "06:00.8", "ptctl: invalid PCI address \"06:00.8\": function 0x8 is out of range (0-0x7)\n" },
                { "06:00.0,colour=red", "unknown PCI_SPEC_STRING option \"colour\"" },
                { "07:00.0", "ptctl: no PCI device 0000:07:00.0 on this host\n" },
                { "", "the address is empty" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autofree char *out = NULL, *err = NULL;
                g_assert_cmpint(harness_ptctl(f->h, &out, &err, "show", bad[i].arg, NULL), ==, 1);
                g_assert_cmpstr(out, ==, "");
                if (!strstr(err, bad[i].message))
                        g_error("ptctl show '%s' said \"%s\", expected \"%s\"", bad[i].arg, err, bad[i].message);
        }

        g_autofree char *err = NULL;
        g_assert_cmpint(harness_ptctl(f->h, NULL, &err, "show", NULL), ==, 2);
        g_assert_nonnull(strstr(err, "Usage: ptctl show DEVICE"));
        g_assert_cmpint(harness_ptctl(f->h, NULL, NULL, "show", "06:00.0", "06:00.1", NULL), ==, 2);
        g_assert_cmpint(harness_ptctl(f->h, NULL, NULL, "list", "--bogus", NULL), ==, 2);
        g_assert_cmpint(harness_ptctl(f->h, NULL, NULL, "frobnicate", NULL), ==, 2);
}

static void test_daemon_not_running(Fixture *f, gconstpointer data) {
        g_autofree char *err = NULL;
        harness_stop_daemon(f->h);
        g_assert_cmpint(harness_ptctl(f->h, NULL, &err, "list", NULL), ==, 1);
        g_assert_nonnull(strstr(err, "passthrud is not running"));
}

static void test_driver_change(Fixture *f, gconstpointer data) {
        harness_record_signals(f->h);
        g_assert_cmpint(harness_write(f->h, "bus/pci/devices/0000:03:00.0/driver_override", "vfio-pci\n"), ==, 0);
        /* Like the kernel, the fake sends no uevent for driver_override; the bind that follows carries it. */
        g_assert_cmpint(harness_write(f->h, "bus/pci/drivers_probe", "0000:03:00.0"), ==, 0);
        g_assert_true(harness_wait_property(f->h, "0000:03:00.0", "Driver", "vfio-pci"));
        g_assert_true(harness_wait_property(f->h, "0000:03:00.0", "DriverOverride", "vfio-pci"));
        g_assert_true(harness_wait_property(f->h, "0000:03:00.0", "State", "claimed"));
        g_assert_true(harness_wait_signal(f->h, "PropertiesChanged /org/passthru1/device/pci_0000_03_00_0 "
                                                "('org.passthru1.Device', {'Driver': <'vfio-pci'>"));

        g_autoptr(JsonNode) n = harness_ptctl_json(f->h, "show", "03:00.0", "--json", NULL);
        g_assert_cmpstr(json_object_get_string_member(json_node_get_object(n), "driver"), ==, "vfio-pci");
        g_assert_cmpstr(json_object_get_string_member(json_node_get_object(n), "state"), ==, "claimed");

        /* Unbinding by hand shows as unbound. */
        g_assert_cmpint(harness_write(f->h, "bus/pci/drivers/vfio-pci/unbind", "0000:03:00.0"), ==, 0);
        g_assert_true(harness_wait_property(f->h, "0000:03:00.0", "State", "host"));
}

static void test_remove_rescan(Fixture *f, gconstpointer data) {
        harness_record_signals(f->h);
        g_assert_cmpint(harness_write(f->h, "bus/pci/devices/0000:06:03.0/remove", "1"), ==, 0);
        g_assert_true(harness_wait_device_gone(f->h, "0000:06:03.0"));
        g_assert_true(harness_wait_signal(f->h, "DeviceRemoved /org/passthru1 "
                                                "('/org/passthru1/device/pci_0000_06_03_0', '0000:06:03.0')"));
        g_assert_true(harness_wait_signal(f->h, "InterfacesRemoved /org/passthru1"));
        /* Its group peers no longer list it. */
        g_assert_true(harness_wait_property(f->h, "0000:06:00.0", "IommuGroupMembers",
                                            "['0000:00:1e.0', '0000:06:00.0', '0000:06:00.1', '0000:06:00.2']"));
        g_autofree char *err = NULL;
        g_assert_cmpint(harness_ptctl(f->h, NULL, &err, "show", "06:03.0", NULL), ==, 1);
        g_assert_nonnull(strstr(err, "no PCI device 0000:06:03.0"));

        g_assert_cmpint(harness_write(f->h, "bus/pci/rescan", "1"), ==, 0);
        g_assert_true(harness_wait_property(f->h, "0000:06:03.0", "Driver", "e1000"));
        g_assert_true(harness_wait_signal(f->h, "DeviceAdded /org/passthru1 "
                                                "('/org/passthru1/device/pci_0000_06_03_0', '0000:06:03.0')"));
        g_assert_true(harness_wait_property(f->h, "0000:06:00.0", "IommuGroupMembers",
                                            "['0000:00:1e.0', '0000:06:00.0', '0000:06:00.1', '0000:06:00.2', '0000:06:03.0']"));
}

static void test_hotplug(Fixture *f, gconstpointer data) {
        harness_record_signals(f->h);
        harness_ctl(f->h, "add 0000:03:00.1 id=8086:153a class=020000 parent=0000:00:1c.2 pcie=endpoint flr group=30");
        g_assert_true(harness_wait_property(f->h, "0000:03:00.1", "Address", "0000:03:00.1"));
        g_assert_true(harness_wait_signal(f->h, "DeviceAdded /org/passthru1 "
                                                "('/org/passthru1/device/pci_0000_03_00_1', '0000:03:00.1')"));
        g_autoptr(JsonNode) n = harness_ptctl_json(f->h, "show", "03:00.1", "--json", NULL);
        JsonObject *o = json_node_get_object(n);
        g_assert_cmpint(json_object_get_int_member(o, "iommu_group"), ==, 30);
        g_assert_true(json_object_get_boolean_member(o, "flr"));
        g_assert_cmpstr(json_object_get_string_member(o, "driver"), ==, "e1000e"); /* e1000e's table matches */

        harness_ctl(f->h, "unplug 0000:03:00.1");
        g_assert_true(harness_wait_device_gone(f->h, "0000:03:00.1"));
        g_assert_true(harness_wait_signal(f->h, "DeviceRemoved /org/passthru1 "
                                                "('/org/passthru1/device/pci_0000_03_00_1', '0000:03:00.1')"));
}

static void test_sriov(Fixture *f, gconstpointer data) {
        g_assert_cmpint(harness_write(f->h, "bus/pci/devices/0000:01:00.0/sriov_numvfs", "0"), ==, 0);
        g_assert_true(harness_wait_device_gone(f->h, "0000:01:00.2"));
        g_assert_true(harness_wait_property(f->h, "0000:01:00.0", "VirtualFunctions", "[]"));
        g_assert_true(harness_wait_property(f->h, "0000:01:00.0", "SriovNumVfs", "0"));

        g_assert_cmpint(harness_write(f->h, "bus/pci/devices/0000:01:00.0/sriov_numvfs", "3"), ==, 0);
        g_assert_true(harness_wait_property(f->h, "0000:01:00.3", "PhysicalFunction", "0000:01:00.0"));
        g_assert_true(harness_wait_property(f->h, "0000:01:00.0", "VirtualFunctions",
                                            "['0000:01:00.1', '0000:01:00.2', '0000:01:00.3']"));
        g_autoptr(JsonNode) root = harness_ptctl_json(f->h, "list", "--json", NULL);
        g_assert_nonnull(json_array_find_address(json_node_get_array(root), "0000:01:00.3"));
}

static void test_off_bus(Fixture *f, gconstpointer data) {
        harness_ctl(f->h, "offbus 0000:02:00.0");
        /* Config space changes make no uevent; the next event for the device (here: unbind) shows it. */
        g_assert_cmpint(harness_write(f->h, "bus/pci/drivers/nvme/unbind", "0000:02:00.0"), ==, 0);
        g_assert_true(harness_wait_property(f->h, "0000:02:00.0", "State", "failed"));
        g_assert_true(harness_wait_property(f->h, "0000:02:00.0", "OffBus", "true"));
        g_autofree char *out = NULL;
        g_assert_cmpint(harness_ptctl(f->h, &out, NULL, "show", "02:00.0", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "dropped off the bus"));
}

/* Every method, signal and property the daemon exports is declared in dbus/org.passthru1.xml, and vice versa. */
static void compare_interfaces(GDBusInterfaceInfo *want, GDBusInterfaceInfo *got) {
        g_assert_nonnull(got);
        for (guint i = 0; want->methods && want->methods[i]; i++) {
                GDBusMethodInfo *w = want->methods[i], *g = g_dbus_interface_info_lookup_method(got, w->name);
                g_assert_nonnull(g);
                for (guint k = 0; w->in_args && w->in_args[k]; k++) {
                        g_assert_cmpstr(w->in_args[k]->signature, ==, g->in_args[k]->signature);
                        g_assert_cmpstr(w->in_args[k]->name, ==, g->in_args[k]->name);
                }
                for (guint k = 0; w->out_args && w->out_args[k]; k++)
                        g_assert_cmpstr(w->out_args[k]->signature, ==, g->out_args[k]->signature);
        }
        for (guint i = 0; want->signals && want->signals[i]; i++) {
                GDBusSignalInfo *w = want->signals[i], *g = g_dbus_interface_info_lookup_signal(got, w->name);
                g_assert_nonnull(g);
                for (guint k = 0; w->args && w->args[k]; k++)
                        g_assert_cmpstr(w->args[k]->signature, ==, g->args[k]->signature);
        }
        for (guint i = 0; want->properties && want->properties[i]; i++) {
                GDBusPropertyInfo *w = want->properties[i], *g = g_dbus_interface_info_lookup_property(got, w->name);
                if (!g)
                        g_error("property %s.%s is documented but not exported", want->name, w->name);
                g_assert_cmpstr(w->signature, ==, g->signature);
        }
        for (guint i = 0; got->properties && got->properties[i]; i++)
                if (!g_dbus_interface_info_lookup_property(want, got->properties[i]->name))
                        g_error("property %s.%s is exported but not documented", want->name, got->properties[i]->name);
        for (guint i = 0; got->methods && got->methods[i]; i++)
                g_assert_nonnull(g_dbus_interface_info_lookup_method(want, got->methods[i]->name));
        for (guint i = 0; got->signals && got->signals[i]; i++)
                g_assert_nonnull(g_dbus_interface_info_lookup_signal(want, got->signals[i]->name));
}

static GDBusNodeInfo *introspect(Harness *h, const char *path) {
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(h->conn, "org.passthru1", path,
                                                             "org.freedesktop.DBus.Introspectable", "Introspect", NULL,
                                                             G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                                             NULL);
        g_assert_nonnull(r);
        const char *xml;
        g_variant_get(r, "(&s)", &xml);
        g_autoptr(GError) error = NULL;
        GDBusNodeInfo *node = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);
        return node;
}

static void test_introspection(Fixture *f, gconstpointer data) {
        g_autofree char *xml = NULL;
        g_autoptr(GError) error = NULL;
        g_assert_true(g_file_get_contents(g_getenv("PT_DBUS_XML"), &xml, NULL, &error));
        g_autoptr(GDBusNodeInfo) want = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);
        g_autoptr(GDBusNodeInfo) manager = introspect(f->h, "/org/passthru1");
        g_autoptr(GDBusNodeInfo) device = introspect(f->h, "/org/passthru1/device/pci_0000_01_00_0");

        compare_interfaces(g_dbus_node_info_lookup_interface(want, "org.passthru1.Manager"),
                           g_dbus_node_info_lookup_interface(manager, "org.passthru1.Manager"));
        compare_interfaces(g_dbus_node_info_lookup_interface(want, "org.passthru1.Device"),
                           g_dbus_node_info_lookup_interface(device, "org.passthru1.Device"));
        g_assert_nonnull(g_dbus_node_info_lookup_interface(manager, "org.freedesktop.DBus.ObjectManager"));
}

static void test_restart_sees_changes(Fixture *f, gconstpointer data) {
        /* Changes made while the daemon was down are seen at start: the inventory is read, not remembered. */
        harness_stop_daemon(f->h);
        g_assert_cmpint(harness_write(f->h, "bus/pci/drivers/e1000e/unbind", "0000:00:19.0"), ==, 0);
        harness_start_daemon(f->h, NULL);
        g_autoptr(JsonNode) n = harness_ptctl_json(f->h, "show", "00:19.0", "--json", NULL);
        g_assert_true(json_object_get_null_member(json_node_get_object(n), "driver"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, topo, fn) g_test_add(path, Fixture, topo, harness_fixture_setup, fn, harness_fixture_teardown)
        ADD("/integration/list/json", "standard.topo", test_list_json);
        ADD("/integration/list/table", "standard.topo", test_list_table);
        ADD("/integration/list/no-iommu", "no-iommu.topo", test_no_iommu);
        ADD("/integration/show/notations", "standard.topo", test_show_notations);
        ADD("/integration/show/details", "standard.topo", test_show_details);
        ADD("/integration/errors", "standard.topo", test_errors);
        ADD("/integration/errors/daemon-not-running", "standard.topo", test_daemon_not_running);
        ADD("/integration/uevent/driver-change", "standard.topo", test_driver_change);
        ADD("/integration/uevent/remove-rescan", "standard.topo", test_remove_rescan);
        ADD("/integration/uevent/hotplug", "standard.topo", test_hotplug);
        ADD("/integration/uevent/sriov", "standard.topo", test_sriov);
        ADD("/integration/uevent/off-bus", "standard.topo", test_off_bus);
        ADD("/integration/introspection", "standard.topo", test_introspection);
        ADD("/integration/restart", "standard.topo", test_restart_sees_changes);
        return harness_run();
}
