/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ptctl doctor: whether this host can pass devices through, and what a guest's devices need. */
#include <errno.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coassign.h"
#include "doctor.h"
#include "model.h"
#include "planning.h"
#include "reset-scope.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"
#include "sysfs.h"

void doctor_report_done(DoctorReport *r) {
        for (size_t i = 0; i < r->n; i++) {
                free(r->checks[i].name);
                free(r->checks[i].status);
                free(r->checks[i].message);
                free(r->checks[i].fix);
        }
        free(r->checks);
        *r = (DoctorReport) {};
}

int doctor_add(DoctorReport *r, const char *name, const char *status, const char *fix, const char *fmt, ...) {
        DoctorCheck *grown = realloc(r->checks, (r->n + 1) * sizeof(DoctorCheck));
        if (!grown)
                return -ENOMEM;
        r->checks = grown;
        DoctorCheck *c = &r->checks[r->n];
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&c->message, fmt, ap) < 0)
                c->message = NULL;
        va_end(ap);
        c->name = strdup(name);
        c->status = strdup(status);
        c->fix = strdup(strempty(fix));
        if (!c->message || !c->name || !c->status || !c->fix)
                return -ENOMEM;
        r->n++;
        return 0;
}

static bool proc_contains(const char *proc_root, const char *file, const char *needle) {
        _cleanup_free_ char *path = pt_path_join(proc_root, file);
        _cleanup_fclose_ FILE *f = path ? fopen(path, "re") : NULL;
        char line[4096];
        while (f && fgets(line, sizeof(line), f))
                if (strstr(line, needle))
                        return true;
        return false;
}

static void check_iommu(const Model *m, DoctorReport *r) {
        if (m->host == HOST_XEN_DOM0) {
                char version[32] = "";
                if (m->xen_major)
                        snprintf(version, sizeof(version), " %u.%u", m->xen_major, m->xen_minor);
                if (m->xen_iommu > 0)
                        (void) doctor_add(r, "iommu", "ok", NULL, "Xen reports an IOMMU (I/O virtualisation): Xen%s "
                                          "gives PCI devices to PV and HVM guests, each domain's DMA confined",
                                          version);
                else if (m->xen_iommu == 0)
                        /* Since Xen 4.12 libxl refuses every pci= and pci-attach without an IOMMU ("passthrough
                         * not supported on this platform"), PV included; only patched toolstacks (Qubes) and
                         * older Xen let a PV guest have a device without one. */
                        (void) doctor_add(r, "iommu", m->allow_unsafe_pv ? "warn" : "fail",
                                          "enable VT-d or AMD-Vi and boot Xen with iommu=1",
                                          "Xen reports no IOMMU: Xen%s's xl refuses PCI passthrough to any guest "
                                          "(\"passthrough not supported on this platform\"); only an older Xen or a "
                                          "patched toolstack gives a PV guest a device without one, and that guest "
                                          "can reach dom0's memory%s", version, m->allow_unsafe_pv ?
                                          " (passthrud allows it: AllowUnsafePVPassthrough=yes)" : "");
                else
                        (void) doctor_add(r, "iommu", "warn", "install xl (xen-utils), or run 'xl dmesg | grep -i "
                                          "\"I/O virtualisation\"'", "Xen owns the IOMMU, and xl could not say "
                                          "whether it is enabled");
                return;
        }
        bool dmar = sysfs_exists(m->sysfs_root, "firmware/acpi/tables/DMAR"),
             ivrs = sysfs_exists(m->sysfs_root, "firmware/acpi/tables/IVRS");
        _cleanup_strv_free_ char **units = NULL;
        (void) sysfs_list_dir(m->sysfs_root, "class/iommu", &units);
        if (!dmar && !ivrs)
                (void) doctor_add(r, "iommu", "fail", "enable VT-d (Intel) or AMD-Vi (AMD) in the firmware setup",
                                  "the firmware describes no IOMMU (no ACPI DMAR or IVRS table)");
        else if (pt_strv_length(units) == 0)
                (void) doctor_add(r, "iommu", "fail", dmar ? "boot with intel_iommu=on" : "boot with amd_iommu=on",
                                  "the firmware has an %s table, but the kernel did not enable the IOMMU",
                                  dmar ? "Intel DMAR" : "AMD IVRS");
        else if (!model_has_iommu_groups(m))
                (void) doctor_add(r, "iommu", "fail", "check that iommu=off or *_iommu=off is not on the kernel "
                                  "command line", "the IOMMU (%s) is there but no device has an IOMMU group", units[0]);
        else
                (void) doctor_add(r, "iommu", "ok", NULL, "enabled (%s), devices in IOMMU groups", units[0]);
}

static void check_interrupt_remapping(const Model *m, DoctorReport *r) {
        if (m->host == HOST_XEN_DOM0)
                return; /* Xen's business, as the IOMMU is */
        if (proc_contains(m->proc_root, "interrupts", "IR-"))
                (void) doctor_add(r, "interrupt-remapping", "ok", NULL, "enabled (IR- interrupt domains)");
        else
                (void) doctor_add(r, "interrupt-remapping", "warn", "enable x2APIC and interrupt remapping in the "
                                  "firmware; do not boot with intremap=off",
                                  "off: a guest's device could send interrupts the host did not give it");
}

/* pcie_acs_override= (an out-of-tree patch some distributions carry) makes the kernel act as if ports had ACS
 * they lack: IOMMU groups then split devices that can still reach each other by peer-to-peer DMA. */
static void check_acs_override(const Model *m, DoctorReport *r) {
        _cleanup_free_ char *path = pt_path_join(m->proc_root, "cmdline");
        _cleanup_fclose_ FILE *f = path ? fopen(path, "re") : NULL;
        char line[4096] = "";
        if (!f || !fgets(line, sizeof(line), f))
                return;
        char *arg = strstr(line, "pcie_acs_override=");
        if (!arg) {
                (void) doctor_add(r, "acs-override", "ok", NULL, "no pcie_acs_override= on the kernel command line: "
                                  "IOMMU groups follow the hardware's ACS");
                return;
        }
        arg[strcspn(arg, " \n")] = 0;
        (void) doctor_add(r, "acs-override", "warn", "remove pcie_acs_override= from the kernel command line and "
                          "assign whole IOMMU groups", "isolation is lowered: the kernel runs with %s, so IOMMU "
                          "groups split devices whose ports have no ACS; a guest's device may reach its neighbours "
                          "by peer-to-peer DMA", arg);
}

/* VFIO cdev (6.6+) gives each VFIO-bound device a /dev/vfio/devices/vfioN, which a VMM can only use through
 * iommufd's /dev/iommu: checked once a device has such a node. */
static void check_iommufd(const Model *m, DoctorReport *r) {
        const Device *with_node = NULL;
        for (size_t i = 0; !with_node && i < m->inventory.n; i++)
                if (!isempty(m->inventory.devices[i]->vfio_device))
                        with_node = m->inventory.devices[i];
        if (!with_node)
                return;
        _cleanup_free_ char *misc = pt_path_join(m->sysfs_root, "class/misc/iommu");
        if (misc && access(misc, F_OK) == 0)
                (void) doctor_add(r, "iommufd", "ok", NULL, "/dev/iommu is there: VMMs can use the VFIO device nodes "
                                  "(%s has /dev/vfio/devices/%s)", with_node->bdf, with_node->vfio_device);
        else
                (void) doctor_add(r, "iommufd", "warn", "modprobe iommufd (CONFIG_IOMMUFD), or have the VMM use "
                                  "the group node /dev/vfio/N", "%s has the VFIO device node /dev/vfio/devices/%s, "
                                  "but there is no /dev/iommu: without iommufd a VMM cannot use device nodes",
                                  with_node->bdf, with_node->vfio_device);
}

/* Where VFIO variant drivers are found: a KVM host whose modules.alias cannot be read falls back to vfio-pci for
 * every device, including those a vendor driver would let migrate. */
static void check_modules_alias(const Model *m, DoctorReport *r) {
        if (!streq(host_stub_driver(m->host), "vfio-pci"))
                return;
        if (access(m->modules_alias, R_OK) < 0) {
                int err = errno;
                (void) doctor_add(r, "variant-drivers", "warn", "install the running kernel's modules (or pass "
                                  "--modules-alias)", "cannot read %s: %s; every device gets plain vfio-pci, none its "
                                  "VFIO variant driver", m->modules_alias, strerror(err));
        }
}

static void check_stub(const Model *m, DoctorReport *r) {
        const char *stub = host_stub_driver(m->host);
        _cleanup_free_ char *rel = NULL;
        if (asprintf(&rel, "bus/pci/drivers/%s", stub) < 0)
                return;
        if (sysfs_exists(m->sysfs_root, rel))
                (void) doctor_add(r, "stub-driver", "ok", NULL, "%s is loaded", stub);
        else if (m->host == HOST_XEN_DOM0)
                (void) doctor_add(r, "stub-driver", "fail", "modprobe xen-pciback (and add it to /etc/modules)",
                                  "xen-pciback is not loaded: devices cannot be given to guests");
        else
                (void) doctor_add(r, "stub-driver", "warn", "modprobe vfio-pci, or let passthrud load it",
                                  "%s is not loaded yet; passthrud loads it when a guest starts", stub);
}

static void check_guest(const Model *m, DoctorReport *r, const char *guest) {
        _cleanup_strv_free_ char **members = assignments_devices_of(&m->assignments, guest);
        if (pt_strv_length(members) == 0) {
                (void) doctor_add(r, "guest", "warn", "ptctl assign it some devices", "guest %s has no devices",
                                  guest);
                return;
        }
        for (char **b = members; *b; b++) {
                Assignment *a = assignments_find(&m->assignments, *b);
                Device *d = inventory_find_bdf(&m->inventory, *b);
                _cleanup_free_ char *name = NULL, *why = NULL;
                if (asprintf(&name, "reset %s", *b) < 0)
                        return;
                if (!d || a->problem) {
                        (void) doctor_add(r, name, "fail", "put the assigned hardware back, or unassign it",
                                          "%s", a->problem ? a->problem : "missing");
                        continue;
                }
                JobDevice jd = { .rebind = true };
                int k = plan_reset(m, d, members, a->stored.reset_policy, false, &jd, &why);
                free(jd.reset_note);
                if (k == -ENOENT)
                        (void) doctor_add(r, name, "fail", "ptctl assign with --reset-policy best-effort, or "
                                          "co-assign what shares its bus", "%s", why);
                else if (!jd.reset)
                        (void) doctor_add(r, name, "warn", "use a device with FLR for a clean hand-over",
                                          "not reset (policy %s)", a->stored.reset_policy);
                else {
                        _cleanup_free_ Device **scope = NULL;
                        _cleanup_free_ char *text = NULL;
                        size_t n = 0;
                        if (reset_scope(&m->inventory, d, jd.reset_method, &scope, &n) >= 0)
                                text = reset_scope_describe(d, jd.reset_method, scope, n);
                        (void) doctor_add(r, name, "ok", NULL, "%s", text ? text : jd.reset_method);
                }
                free(jd.reset_bridge);
                pt_strv_free(jd.reset_scope);                Device *x = coassign_group_blocker(&m->inventory, d, members);
                if (x)
                        (void) doctor_add(r, "group-viability", "fail", "assign it to the guest too, hide it, or "
                                          "unbind it", "IOMMU group %d of %s is not viable: %s is bound to host "
                                          "driver %s", d->iommu_group, d->bdf, x->bdf, x->driver);
                else
                        (void) doctor_add(r, "group-viability", "ok", NULL, "IOMMU group of %s is viable", d->bdf);
        }
        if (m->host == HOST_XEN_DOM0)
                (void) doctor_add(r, "pv-guest", "warn", "in a PV guest: load xen-pcifront; boot pvops kernels with "
                                  "iommu=soft (old kernels: swiotlb=force)",
                                  "PV guests need the PCI frontend and a software IOMMU; passthrud cannot see inside");
        else
                (void) doctor_add(r, "hotplug-guest", "warn", "in the guest: modprobe acpiphp (or pciehp)",
                                  "hot attach needs the guest's PCI hotplug driver; passthrud cannot see inside");
}

int doctor_run(const Model *m, const char *guest, DoctorReport *r) {
        check_iommu(m, r);
        check_interrupt_remapping(m, r);
        check_acs_override(m, r);
        check_iommufd(m, r);
        check_modules_alias(m, r);
        check_stub(m, r);
        if (guest)
                check_guest(m, r, guest);
        return 0;
}
