/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The safety policy: the host's console, the controller of its root file system and the NIC of its default route
 * are refused (assign, hide, attach) unless forced; without an IOMMU, passthrough is refused outright. And
 * ptctl doctor's checks of the same facts. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

static Harness *start_with(const char *topology, const char *const *extra) {
        Harness *h = harness_new(topology);
        /* The host's mounts and routes, as the daemon reads them under --proc-root. */
        g_autofree char *proc = g_build_filename(h->tmpdir, "proc", NULL);
        g_autofree char *self = g_build_filename(proc, "self", NULL), *net = g_build_filename(proc, "net", NULL);
        g_autofree char *mountinfo = g_build_filename(self, "mountinfo", NULL);
        g_autofree char *route = g_build_filename(net, "route", NULL), *route6 = g_build_filename(net, "ipv6_route", NULL);
        g_assert_cmpint(g_mkdir_with_parents(self, 0755), ==, 0);
        g_assert_cmpint(g_mkdir_with_parents(net, 0755), ==, 0);
        g_assert_true(g_file_set_contents(mountinfo,
                                          "21 1 0:21 / /proc rw - proc proc rw\n"
                                          "22 1 8:0 / / rw,relatime - ext4 /dev/sda rw\n", -1, NULL));
        g_assert_true(g_file_set_contents(route,
                                          "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
                                          "eno1\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n", -1, NULL));
        g_assert_true(g_file_set_contents(route6, "", -1, NULL));
        g_autofree char *inet6 = g_build_filename(net, "if_inet6", NULL);
        /* enp1s0 has only its link-local address: not in use for the host. */
        g_assert_true(g_file_set_contents(inet6, "fe80000000000000021b21fffe123456 03 40 20 80   enp1s0\n", -1, NULL));
        g_autofree char *cmdline = g_build_filename(proc, "cmdline", NULL);
        g_assert_true(g_file_set_contents(cmdline, strstr(topology, "no-iommu") ?
                                          "BOOT_IMAGE=/vmlinuz root=/dev/sda pcie_acs_override=downstream,multifunction quiet\n" :
                                          "BOOT_IMAGE=/vmlinuz root=/dev/sda intel_iommu=on quiet\n", -1, NULL));
        g_autofree char *interrupts = g_build_filename(proc, "interrupts", NULL), *xen = g_build_filename(proc, "xen", NULL);
        g_assert_true(g_file_set_contents(interrupts, strstr(topology, "no-iommu") ? " 24: 0 PCI-MSI 327680-edge\n" :
                                          " 24: 0 IR-PCI-MSI 327680-edge ahci\n", -1, NULL));
        if (strstr(topology, "xen")) {
                g_autofree char *caps = g_build_filename(xen, "capabilities", NULL);
                g_assert_cmpint(g_mkdir_with_parents(xen, 0755), ==, 0);
                g_assert_true(g_file_set_contents(caps, "control_d\n", -1, NULL));
        }
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        g_ptr_array_add(args, (char *) "--proc-root");
        g_ptr_array_add(args, proc);
        for (const char *const *e = extra; e && *e; e++)
                g_ptr_array_add(args, (char *) *e);
        g_ptr_array_add(args, NULL);
        harness_start_daemon(h, (const char *const *) args->pdata);
        return h;
}

static Harness *start(const char *topology) {
        return start_with(topology, NULL);
}

static void test_host_critical(gconstpointer data) {
        Harness *h = start("safety.topo");
        harness_ptctl_refused(h, "0000:00:17.0 is host-critical: it is the controller of the root file system; the "
                              "host may lose it for good. Pass --force", "assign", "g1", "00:17.0", NULL);
        harness_ptctl_refused(h, "0000:00:02.0 is host-critical: it is the boot VGA device (the console)", "assign",
                              "g1", "00:02.0", NULL);
        harness_ptctl_refused(h, "0000:00:1f.6 is host-critical: it is the NIC of the default route (eno1)", "hide",
                              "00:1f.6", NULL);
        harness_ptctl_refused(h, "0000:00:17.0 is host-critical", "attach", "g2", "00:17.0", NULL);
        g_autofree char *name = harness_manager_call_error(
                h, "Hide", g_variant_new_parsed("('00:1f.6', @a{sv} {})"));
        g_assert_cmpstr(name, ==, "org.passthru1.Error.HostCritical");
        harness_assert_driver(h, "0000:00:1f.6", "e1000e", NULL);
        g_autoptr(JsonNode) guests = harness_ptctl_json(h, "guests", "--json", NULL);
        g_assert_cmpuint(json_array_get_length(json_node_get_array(guests)), ==, 0);

        /* The spare NIC is nobody's business, until it has an address the host uses. */
        harness_ptctl_ok(h, "assign", "g1", "01:00.0", NULL);
        g_autofree char *inet6 = g_build_filename(h->tmpdir, "proc", "net", "if_inet6", NULL);
        g_assert_true(g_file_set_contents(inet6, "20010db8000000000000000000000001 03 40 00 80   enp1s0\n", -1, NULL));
        harness_ptctl_refused(h, "0000:01:00.0 is host-critical: it is the NIC of an active IPv6 address (enp1s0)",
                              "hide", "01:00.0", NULL);
        g_autofree char *route = g_build_filename(h->tmpdir, "proc", "net", "route", NULL);
        g_assert_true(g_file_set_contents(inet6, "", -1, NULL));
        g_assert_true(g_file_set_contents(route,
                                          "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
                                          "eno1\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
                                          "enp1s0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n", -1, NULL));
        harness_ptctl_refused(h, "0000:01:00.0 is host-critical: it is the NIC of an active IPv4 address (enp1s0)",
                              "hide", "01:00.0", NULL);
        g_assert_true(g_file_set_contents(route,
                                          "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
                                          "eno1\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n", -1, NULL));
        /* The firmware's framebuffer in its BAR (a GPU that is not the boot VGA device can hold the console). */
        g_autofree char *iomem = g_build_filename(h->tmpdir, "proc", "iomem", NULL);
        g_assert_true(g_file_set_contents(iomem, "e0000000-efffffff : PCI Bus 0000:00\n"
                                          "  e0100000-e0100fff : 0000:01:00.0\n"
                                          "    e0100000-e01007ff : efifb\n", -1, NULL));
        harness_ptctl_refused(h, "0000:01:00.0 is host-critical: its memory holds the firmware framebuffer (efifb), the "
                              "console", "hide", "01:00.0", NULL);
        g_assert_true(g_file_set_contents(iomem, "e0000000-efffffff : PCI Bus 0000:00\n", -1, NULL));
        harness_ptctl_ok(h, "hide", "01:00.0", NULL);

        /* Forced, it goes, and the log says so. */
        harness_ptctl_ok(h, "hide", "00:1f.6", "--force", NULL);
        harness_assert_driver(h, "0000:00:1f.6", "vfio-pci", "vfio-pci");
        harness_ptctl_ok(h, "assign", "g3", "00:02.0", "--force", NULL);
        g_autofree char *log = NULL;
        g_assert_true(g_file_get_contents(h->daemon_log, &log, NULL, NULL));
        g_assert_nonnull(strstr(log, "Taking host-critical device 0000:00:1f.6 anyway (forced): it is the NIC of the "
                                     "default route (eno1)"));
        harness_ptctl_ok(h, "unhide", "00:1f.6", NULL);
        harness_assert_driver(h, "0000:00:1f.6", "e1000e", NULL);
        harness_stop_daemon(h);
        harness_free(h);
}

static void test_no_iommu(gconstpointer data) {
        Harness *h = start("no-iommu.topo");
        g_autoptr(JsonNode) list = harness_ptctl_json(h, "list", "--json", NULL);
        const char *bdf = json_object_get_string_member(json_array_get_object_element(json_node_get_array(list), 0),
                                                        "address");
        harness_ptctl_refused(h, "this host has no IOMMU groups: a passed-through device could reach all of host "
                              "memory by DMA", "assign", "g1", bdf, NULL);
        harness_ptctl_refused(h, "this host has no IOMMU groups", "assign", "g1", bdf, "--force", NULL);
        harness_ptctl_refused(h, "this host has no IOMMU groups", "attach", "g1", bdf, NULL);
        harness_stop_daemon(h);
        harness_free(h);
}

static char *doctor(Harness *h, const char *guest, int *status) {
        char *out = NULL;
        *status = harness_ptctl(h, &out, NULL, "doctor", guest, NULL);
        g_test_message("ptctl doctor %s:\n%s", guest ? guest : "", out);
        return out;
}

static void test_doctor(gconstpointer data) {
        Harness *h = start("standard.topo");
        int status;
        g_autofree char *host = doctor(h, NULL, &status);
        g_assert_cmpint(status, ==, 0);
        g_assert_nonnull(strstr(host, "ok    iommu                enabled (dmar0), devices in IOMMU groups\n"));
        g_assert_nonnull(strstr(host, "ok    interrupt-remapping  enabled"));
        g_assert_nonnull(strstr(host, "ok    acs-override         no pcie_acs_override= on the kernel command line"));
        g_assert_nonnull(strstr(host, "ok    stub-driver          vfio-pci is loaded\n"));

        harness_ptctl_ok(h, "assign", "g1", "02:00.0", NULL);
        harness_ptctl_ok(h, "assign", "g1", "00:1b.0", "--reset-policy", "best-effort", NULL);
        g_autofree char *g1 = doctor(h, "g1", &status);
        g_assert_cmpint(status, ==, 0);
        g_assert_nonnull(strstr(g1, "ok    reset 0000:02:00.0   flr (this function only)\n"));
        g_assert_nonnull(strstr(g1, "WARN  reset 0000:00:1b.0   not reset (policy best-effort)\n"));
        g_assert_nonnull(strstr(g1, "ok    group-viability      IOMMU group of 0000:02:00.0 is viable\n"));
        g_assert_nonnull(strstr(g1, "WARN  hotplug-guest        hot attach needs the guest's PCI hotplug driver"));
        g_assert_nonnull(strstr(g1, "fix: in the guest: modprobe acpiphp (or pciehp)\n"));

        harness_ptctl_ok(h, "assign", "g2", "06:00.0", "--group", NULL);
        harness_ptctl_ok(h, "unassign", "g2", "06:03.0", NULL);
        g_autofree char *g2 = doctor(h, "g2", &status);
        g_assert_cmpint(status, ==, 1);
        g_assert_nonnull(strstr(g2, "FAIL  group-viability      IOMMU group 9 of 0000:06:00.0 is not viable: "
                                    "0000:06:03.0 is bound to host driver e1000\n"));
        harness_ptctl_refused(h, "no guest nosuch", "doctor", "nosuch", NULL);
        g_autoptr(JsonNode) json = harness_ptctl_json(h, "doctor", "--json", NULL);
        JsonObject *first = json_array_get_object_element(json_node_get_array(json), 0);
        g_assert_cmpstr(json_object_get_string_member(first, "check"), ==, "iommu");
        g_assert_cmpstr(json_object_get_string_member(first, "status"), ==, "ok");
        harness_stop_daemon(h);
        harness_free(h);

        h = start("no-iommu.topo");
        g_autofree char *bare = doctor(h, NULL, &status);
        g_assert_cmpint(status, ==, 1);
        g_assert_nonnull(strstr(bare, "FAIL  iommu                the firmware describes no IOMMU (no ACPI DMAR or "
                                      "IVRS table)\n"));
        g_assert_nonnull(strstr(bare, "WARN  interrupt-remapping  off"));
        g_assert_nonnull(strstr(bare, "WARN  acs-override         isolation is lowered: the kernel runs with "
                                      "pcie_acs_override=downstream,multifunction, so IOMMU groups split"));
        g_autofree char *log = NULL;
        g_assert_true(g_file_get_contents(h->daemon_log, &log, NULL, NULL));
        g_assert_nonnull(strstr(log, "<4>Host check interrupt-remapping: off: a guest's device could send interrupts"));
        harness_stop_daemon(h);
        harness_free(h);

        h = start("xen.topo");
        g_autofree char *dom0 = doctor(h, NULL, &status);
        g_assert_cmpint(status, ==, 0);
        g_assert_nonnull(strstr(dom0, "WARN  iommu                Xen owns the IOMMU"));
        g_assert_nonnull(strstr(dom0, "ok    stub-driver          pciback is loaded\n"));
        harness_stop_daemon(h);
        harness_free(h);
}

/* In a Xen dom0 the IOMMU is Xen's: xl info says. Without one, PV passthrough only with the explicit unsafe
 * policy, and then logged as insecure every time. */
static void test_xen_without_iommu(gconstpointer data) {
        g_autofree char *dir = g_dir_make_tmp("passthru-xl-XXXXXX", NULL);
        g_autofree char *xl = g_build_filename(dir, "xl", NULL), *conf = g_build_filename(dir, "passthrud.conf", NULL);
        g_assert_true(g_file_set_contents(xl, "#!/bin/sh\necho 'virt_caps              : pv hvm'\n", -1, NULL));
        g_assert_cmpint(chmod(xl, 0755), ==, 0);
        const char *args[] = { "--xl", xl, NULL };
        Harness *h = start_with("xen.topo", args);
        harness_ptctl_refused(h, "Xen reports no IOMMU (xl info: no directio in virt_caps): only PV passthrough is "
                              "possible, and it lets the guest reach dom0's memory by DMA", "assign", "g1", "01:00.0",
                              NULL);
        int status;
        g_autofree char *doc = doctor(h, NULL, &status);
        g_assert_cmpint(status, ==, 1);
        g_assert_nonnull(strstr(doc, "FAIL  iommu                Xen reports no IOMMU"));
        harness_stop_daemon(h);
        harness_free(h);

        g_assert_true(g_file_set_contents(conf, "[Safety]\nAllowUnsafePVPassthrough=yes\n", -1, NULL));
        const char *unsafe[] = { "--xl", xl, "--config", conf, NULL };
        h = start_with("xen.topo", unsafe);
        harness_ptctl_ok(h, "assign", "g1", "01:00.0", NULL);
        harness_ptctl_ok(h, "start", "g1", NULL);
        harness_ptctl_ok(h, "stop", "g1", NULL);
        g_autofree char *log = NULL;
        g_assert_true(g_file_get_contents(h->daemon_log, &log, NULL, NULL));
        const char *insecure = "Insecure: passing 0000:01:00.0 through without an IOMMU (AllowUnsafePVPassthrough=yes)";
        const char *first = strstr(log, insecure);
        g_assert_nonnull(first);
        g_assert_nonnull(strstr(first + 1, insecure)); /* at the assignment, and again at the start */
        harness_stop_daemon(h);
        harness_free(h);

        /* A Xen with an IOMMU is fine. */
        g_assert_true(g_file_set_contents(xl, "#!/bin/sh\necho 'virt_caps              : pv hvm hvm_directio "
                                              "pv_directio'\n", -1, NULL));
        g_assert_cmpint(chmod(xl, 0755), ==, 0);
        h = start_with("xen.topo", args);
        harness_ptctl_ok(h, "assign", "g1", "01:00.0", NULL);
        g_autofree char *ok = doctor(h, NULL, &status);
        g_assert_nonnull(strstr(ok, "ok    iommu                Xen reports an IOMMU"));
        harness_stop_daemon(h);
        harness_free(h);
        g_unlink(xl);
        g_unlink(conf);
        g_rmdir(dir);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_data_func("/safety/host-critical", NULL, test_host_critical);
        g_test_add_data_func("/safety/no-iommu", NULL, test_no_iommu);
        g_test_add_data_func("/safety/doctor", NULL, test_doctor);
        g_test_add_data_func("/safety/xen-without-iommu", NULL, test_xen_without_iommu);
        return harness_run();
}
