/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Declarative topology files:
 *
 *   driver NAME [ids=VVVV:DDDD,...] [class=CCCCCC[/MASK]] [module=M] [sriov] [pciback] [unloaded]
 *   device BDF id=VVVV:DDDD class=CCCCCC [subsys=VVVV:DDDD] [rev=RR] [parent=BDF] [mf]
 *          [pcie=endpoint|legacy-endpoint|root-port|upstream-port|downstream-port|pcie-to-pci-bridge|rciep]
 *          [flr] [af-flr] [pm] [pm-nosoftreset] [acs] [serial=HEX] [sriov=TOTAL:VFDID] [vfs=N]
 *          [group=N] [driver=NAME] [reset=m1,m2|none] [boot-vga] [block=NAME:MAJ:MIN] [net=IFACE] [numa=N]
 *   hypervisor xen
 *   vfio-cdev [iommufd]          (VFIO device nodes, 6.6+: vfio-dev/vfioN under a VFIO-bound device; /dev/iommu)
 *   iommu NAME ACPI-TABLE        (an IOMMU unit, e.g. "iommu dmar0 DMAR")
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fk.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"

static int parse_id(const char *v, FkId *ret) {
        unsigned a, b;
        char tail;
        if (sscanf(v, "%4x:%4x%c", &a, &b, &tail) != 2)
                return -EINVAL;
        ret->vendor = (uint16_t) a;
        ret->device = (uint16_t) b;
        return 0;
}

static int parse_pcie_type(const char *v) {
        static const struct { const char *n; int t; } types[] = {
                { "endpoint", 0x0 }, { "legacy-endpoint", 0x1 }, { "root-port", 0x4 }, { "upstream-port", 0x5 },
                { "downstream-port", 0x6 }, { "pcie-to-pci-bridge", 0x7 }, { "rciep", 0x9 },
        };
        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (streq(types[i].n, v))
                        return types[i].t;
        return -EINVAL;
}

_printf_(2, 3)
static int set_error(char **error, const char *fmt, ...) {
        if (error) {
                va_list ap;
                free(*error);
                va_start(ap, fmt);
                if (vasprintf(error, fmt, ap) < 0)
                        *error = NULL;
                va_end(ap);
        }
        return -EINVAL;
}

static int parse_driver_line(FkKernel *k, char **words, char **error) {
        FkDriver *drv = calloc(1, sizeof(*drv));
        if (!drv)
                return -ENOMEM;
        drv->name = strdup(words[1]);
        for (char **w = words + 2; *w; w++) {
                char *eq = strchr(*w, '=');
                const char *v = eq ? eq + 1 : "";
                size_t klen = eq ? (size_t) (eq - *w) : strlen(*w);
                if (klen == 3 && strncmp(*w, "ids", 3) == 0) {
                        _cleanup_strv_free_ char **ids = NULL;
                        if (pt_strv_split(v, ",", &ids) < 0)
                                return -ENOMEM;
                        for (char **i = ids; *i && drv->n_ids < FK_MAX_IDS; i++)
                                if (parse_id(*i, &drv->ids[drv->n_ids++]) < 0)
                                        return set_error(error, "bad driver id '%s'", *i);
                } else if (klen == 5 && strncmp(*w, "class", 5) == 0) {
                        unsigned c, m = 0xffffff;
                        if (sscanf(v, "%6x/%6x", &c, &m) < 1)
                                return set_error(error, "bad driver class '%s'", v);
                        drv->has_class = true;
                        drv->class_code = c;
                        drv->class_mask = m;
                } else if (klen == 6 && strncmp(*w, "module", 6) == 0)
                        drv->module = strdup(v);
                else if (streq(*w, "sriov"))
                        drv->sriov = true;
                else if (streq(*w, "pciback"))
                        drv->pciback = true;
                else if (streq(*w, "unloaded"))
                        drv->unloaded = true;
                else
                        return set_error(error, "unknown driver option '%s'", *w);
        }
        if (!drv->module) {
                drv->module = strdup(drv->pciback ? "xen_pciback" : drv->name);
                for (char *c = drv->module; *c; c++)
                        if (*c == '-')
                                *c = '_';
        }
        FkDriver **tail = &k->drivers;
        while (*tail)
                tail = &(*tail)->next;
        *tail = drv;
        return 0;
}

int fk_device_parse_line(FkKernel *k, const char *line, FkDevice **ret, char **error) {
        _cleanup_strv_free_ char **words = NULL;
        _cleanup_free_ FkDevice *d = NULL;
        _cleanup_free_ char *reason = NULL;
        bool have_id = false, have_class = false;

        if (pt_strv_split(line, " \t\n", &words) < 0)
                return -ENOMEM;
        char **w = words;
        if (*w && streq(*w, "device"))
                w++;
        if (!*w)
                return set_error(error, "device line without address");

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        *d = (FkDevice) { .pcie_type = -1, .group = -1, .numa_node = -1, .vfio_dev = -1, .vfs_autoprobe = true,
                          .command = -1 };
        if (pt_address_parse_bdf(*w, &d->addr, &reason) < 0)
                return set_error(error, "%s", reason);
        pt_address_format(&d->addr, d->bdf);
        /* Where the firmware put its first memory BAR: distinct per function, so a restore can be checked. */
        d->bar0 = 0xe0000000u | ((uint32_t) d->addr.bus << 20) | ((uint32_t) d->addr.slot << 15) |
                  ((uint32_t) d->addr.function << 12);

        for (w++; *w; w++) {
                char *eq = strchr(*w, '=');
                const char *v = eq ? eq + 1 : "";
                _cleanup_free_ char *key = strndup(*w, eq ? (size_t) (eq - *w) : strlen(*w));
                FkId id;

                if (streq(key, "id")) {
                        if (parse_id(v, &id) < 0)
                                return set_error(error, "bad id '%s'", v);
                        d->vendor = id.vendor;
                        d->device = id.device;
                        have_id = true;
                } else if (streq(key, "subsys")) {
                        if (parse_id(v, &id) < 0)
                                return set_error(error, "bad subsys '%s'", v);
                        d->subvendor = id.vendor;
                        d->subdevice = id.device;
                } else if (streq(key, "class")) {
                        unsigned c;
                        if (sscanf(v, "%6x", &c) != 1)
                                return set_error(error, "bad class '%s'", v);
                        d->class_code = c;
                        have_class = true;
                } else if (streq(key, "rev"))
                        d->revision = (uint8_t) strtoul(v, NULL, 16);
                else if (streq(key, "parent")) {
                        FkDevice *p = fk_find_device(k, v);
                        if (!p)
                                return set_error(error, "parent '%s' is not declared before its child", v);
                        d->parent = p;
                } else if (streq(key, "mf"))
                        d->multifunction = true;
                else if (streq(key, "pcie")) {
                        d->pcie_type = parse_pcie_type(v);
                        if (d->pcie_type < 0)
                                return set_error(error, "unknown pcie type '%s'", v);
                } else if (streq(key, "flr"))
                        d->flr = true;
                else if (streq(key, "af-flr"))
                        d->af_flr = true;
                else if (streq(key, "pm"))
                        d->pm = true;
                else if (streq(key, "pm-nosoftreset"))
                        d->pm = d->pm_no_soft_reset = true;
                else if (streq(key, "acs"))
                        d->acs = true;
                else if (streq(key, "boot-vga"))
                        d->boot_vga = true;
                else if (streq(key, "block")) {
                        /* block=sda:8:0 */
                        const char *colon = strchr(v, ':');
                        if (!colon || !strchr(colon + 1, ':'))
                                return set_error(error, "bad block '%s' (NAME:MAJ:MIN)", v);
                        d->block = strndup(v, (size_t) (colon - v));
                        d->block_dev = strdup(colon + 1);
                } else if (streq(key, "net"))
                        d->net = strdup(v);
                else if (streq(key, "serial")) {
                        d->has_serial = true;
                        d->serial = strtoull(v, NULL, 16);
                } else if (streq(key, "sriov")) {
                        unsigned total, did = 0;
                        if (sscanf(v, "%u:%4x", &total, &did) < 1)
                                return set_error(error, "bad sriov '%s' (TOTAL:VFDID)", v);
                        d->sriov_total = (int) total;
                        d->vf_device = (uint16_t) did;
                } else if (streq(key, "vfs"))
                        d->num_vfs = atoi(v);
                else if (streq(key, "group"))
                        d->group = atoi(v);
                else if (streq(key, "numa"))
                        d->numa_node = atoi(v);
                else if (streq(key, "driver")) {
                        d->initial_driver = fk_find_driver(k, v);
                        if (!d->initial_driver)
                                return set_error(error, "driver '%s' is not declared", v);
                } else if (streq(key, "reset")) {
                        pt_strv_free(d->reset_supported);
                        d->reset_supported = NULL;
                        if (pt_strv_split(streq(v, "none") ? "" : v, ",", &d->reset_supported) < 0)
                                return -ENOMEM;
                } else
                        return set_error(error, "unknown device option '%s'", key);
        }
        if (!have_id || !have_class)
                return set_error(error, "device %s needs id= and class=", d->bdf);
        if (!d->subvendor && !d->subdevice) {
                d->subvendor = d->vendor;
                d->subdevice = d->device;
        }
        if (fk_find_device(k, d->bdf))
                return set_error(error, "device %s is declared twice", d->bdf);
        *ret = TAKE_PTR(d);
        return 0;
}

int fk_topology_load(FkKernel *k, const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[1024];
        int lineno = 0;

        if (!f) {
                fprintf(stderr, "fakekernel: cannot open %s: %m\n", path);
                return -errno;
        }
        while (fgets(line, sizeof(line), f)) {
                _cleanup_strv_free_ char **words = NULL;
                _cleanup_free_ char *error = NULL;
                char *hash = strchr(line, '#');
                int r = 0;

                lineno++;
                if (hash)
                        *hash = 0;
                if (pt_strv_split(line, " \t\n", &words) < 0)
                        return -ENOMEM;
                if (!words[0])
                        continue;
                if (streq(words[0], "driver") && words[1])
                        r = parse_driver_line(k, words, &error);
                else if (streq(words[0], "iommu") && words[1] && words[2]) {
                        free(k->iommu);
                        free(k->iommu_table);
                        k->iommu = strdup(words[1]);
                        k->iommu_table = strdup(words[2]);
                } else if (streq(words[0], "vfio-cdev")) {
                        k->vfio_cdev = true;
                        k->iommufd = words[1] && streq(words[1], "iommufd");
                } else if (streq(words[0], "hypervisor") && words[1]) {
                        free(k->hypervisor);
                        k->hypervisor = strdup(words[1]);
                } else if (streq(words[0], "device")) {
                        FkDevice *d;
                        r = fk_device_parse_line(k, line, &d, &error);
                        if (r >= 0) {
                                FkDevice **tail = &k->devices;
                                while (*tail)
                                        tail = &(*tail)->next;
                                *tail = d;
                                if (d->group >= k->next_group)
                                        k->next_group = d->group + 1;
                        }
                } else
                        r = set_error(&error, "unknown directive '%s'", words[0]);
                if (r < 0) {
                        fprintf(stderr, "fakekernel: %s:%d: %s\n", path, lineno, error ? error : strerror(-r));
                        return r;
                }
        }
        return 0;
}
