/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Renders the model into the backing directory the way the kernel lays out /sys: the device hierarchy under
 * devices/, bus/pci/{devices,drivers}, kernel/iommu_groups and module/, with relative symlinks between them. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fk.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"

static char *full(FkKernel *k, const char *rel) {
        return pt_path_join(k->backing, rel);
}

static int mkdir_rel(FkKernel *k, const char *rel) {
        _cleanup_free_ char *p = full(k, rel);
        return p ? pt_mkdir_p(p, 0755) : -ENOMEM;
}

static int write_bytes(FkKernel *k, const char *rel, const void *data, size_t len) {
        _cleanup_free_ char *p = full(k, rel), *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (!p || asprintf(&tmp, "%s.fk-tmp", p) < 0)
                return -ENOMEM;
        /* Replace atomically so a concurrent reader never sees a half-written attribute. */
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        if (len > 0 && write(fd, data, len) != (ssize_t) len)
                return -EIO;
        if (rename(tmp, p) < 0)
                return -errno;
        return 0;
}

int fk_write_file(FkKernel *k, const char *rel, const char *content) {
        return write_bytes(k, rel, content, strlen(content));
}

_printf_(3, 4)
static int write_filef(FkKernel *k, const char *rel, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return fk_write_file(k, rel, s);
}

static int unlink_rel(FkKernel *k, const char *rel) {
        _cleanup_free_ char *p = full(k, rel);
        if (!p)
                return -ENOMEM;
        if (unlink(p) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/* Creates link (relative to the root) pointing at target (relative to the root) with a relative path. */
int fk_symlink(FkKernel *k, const char *target, const char *link) {
        _cleanup_free_ char *p = full(k, link), *rel = NULL;
        size_t depth = 0;

        for (const char *c = link; *c; c++)
                if (*c == '/')
                        depth++;
        rel = malloc(depth * 3 + strlen(target) + 1);
        if (!p || !rel)
                return -ENOMEM;
        rel[0] = 0;
        for (size_t i = 0; i < depth; i++)
                strcat(rel, "../");
        strcat(rel, target);
        (void) unlink(p);
        if (symlink(rel, p) < 0)
                return -errno;
        return 0;
}

char *fk_device_path(FkDevice *d, const char *attr) {
        return attr ? pt_path_join(d->devpath, attr) : strdup(d->devpath);
}

static int dev_write(FkKernel *k, FkDevice *d, const char *attr, const char *fmt, ...) _printf_(4, 5);
static int dev_write(FkKernel *k, FkDevice *d, const char *attr, const char *fmt, ...) {
        _cleanup_free_ char *rel = fk_device_path(d, attr), *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0 || !rel)
                return -ENOMEM;
        return fk_write_file(k, rel, s);
}

static int dev_unlink(FkKernel *k, FkDevice *d, const char *attr) {
        _cleanup_free_ char *rel = fk_device_path(d, attr);
        return rel ? unlink_rel(k, rel) : -ENOMEM;
}

static void put16(uint8_t *c, size_t off, uint16_t v) {
        c[off] = v & 0xff;
        c[off + 1] = v >> 8;
}

static void put32(uint8_t *c, size_t off, uint32_t v) {
        put16(c, off, v & 0xffff);
        put16(c, off + 2, v >> 16);
}

static bool is_bridge(const FkDevice *d) {
        return (d->class_code >> 8) == 0x0604 || (d->class_code >> 8) == 0x0609;
}

/* A config-space image with a real capability chain: PM at 0x40, PCIe at 0x60, AF at 0x90; extended DSN, ACS and
 * SR-IOV from 0x100. */
int fk_render_config(FkKernel *k, FkDevice *d) {
        size_t len = d->pcie_type >= 0 ? 4096 : 256;
        _cleanup_free_ uint8_t *c = calloc(1, len);
        _cleanup_free_ char *rel = fk_device_path(d, "config");
        uint8_t *last_next = NULL;

        if (!c || !rel)
                return -ENOMEM;
        if (d->off_bus) {
                memset(c, 0xff, len);
                return write_bytes(k, rel, c, len);
        }

        /* SR-IOV VFs read 0xffff IDs from config space; sysfs shows the real ones. */
        put16(c, 0x00, d->pf ? 0xffff : d->vendor);
        put16(c, 0x02, d->pf ? 0xffff : d->device);
        put16(c, 0x04, (uint16_t) (d->command >= 0 ? d->command : d->driver ? 0x0406 : 0x0000));
        put32(c, 0x08, (d->class_code << 8) | d->revision);
        c[0x0e] = (uint8_t) ((is_bridge(d) ? 1 : 0) | (d->multifunction ? 0x80 : 0));
        if (is_bridge(d)) {
                c[0x18] = d->addr.bus;
                for (FkDevice *x = k->devices; x; x = x->next)
                        if (x->parent == d) {
                                c[0x19] = x->addr.bus;
                                c[0x1a] = x->addr.bus;
                                break;
                        }
                put16(c, 0x3e, d->bridge_control);
        } else {
                put32(c, 0x10, d->bar0);
                put16(c, 0x2c, d->subvendor);
                put16(c, 0x2e, d->subdevice);
        }

        last_next = &c[0x34];
        if (d->pm) {
                c[0x40] = 0x01;
                put16(c, 0x42, 0x0003);
                put16(c, 0x44, d->pm_no_soft_reset ? 0x0008 : 0x0000);
                *last_next = 0x40;
                last_next = &c[0x41];
        }
        if (d->pcie_type >= 0) {
                c[0x60] = 0x10;
                put16(c, 0x62, (uint16_t) (0x0002 | (d->pcie_type << 4)));
                put32(c, 0x64, 0x00008000 | (d->flr ? (1u << 28) : 0));
                *last_next = 0x60;
                last_next = &c[0x61];
        }
        if (d->af_flr) {
                c[0x90] = 0x13;
                c[0x92] = 0x06;
                c[0x93] = 0x03; /* TP | FLR */
                *last_next = 0x90;
                last_next = &c[0x91];
        }
        if (c[0x34])
                c[0x06] |= 0x10;

        if (d->pcie_type >= 0) {
                size_t pos = 0x100, prev = 0;
                struct { bool on; uint16_t id; size_t size; } ext[] = {
                        { d->has_serial, 0x0003, 0x10 },
                        { d->acs, 0x000d, 0x10 },
                        { d->sriov_total > 0, 0x0010, 0x40 },
                };
                for (size_t i = 0; i < ELEMENTSOF(ext); i++) {
                        if (!ext[i].on)
                                continue;
                        if (prev)
                                put32(c, prev, (uint32_t) (c[prev] | (c[prev + 1] << 8)) | (1u << 16) |
                                                       ((uint32_t) pos << 20));
                        put32(c, pos, ext[i].id | (1u << 16));
                        if (ext[i].id == 0x0003) {
                                put32(c, pos + 4, (uint32_t) d->serial);
                                put32(c, pos + 8, (uint32_t) (d->serial >> 32));
                        } else if (ext[i].id == 0x000d) {
                                /* Capable of SV TB RR CR UF; the kernel enables SV RR CR UF (pci_std_enable_acs). */
                                put16(c, pos + 4, 0x001f);
                                put16(c, pos + 6, 0x001d);
                        } else if (ext[i].id == 0x0010) {
                                put16(c, pos + 0x0c, (uint16_t) d->sriov_total);
                                put16(c, pos + 0x0e, (uint16_t) d->sriov_total);
                                put16(c, pos + 0x10, (uint16_t) d->num_vfs);
                                put16(c, pos + 0x14, 1);
                                put16(c, pos + 0x16, 1);
                                put16(c, pos + 0x1a, d->vf_device);
                        }
                        prev = pos;
                        pos += ext[i].size;
                }
        }
        return write_bytes(k, rel, c, len);
}

static int render_uevent_file(FkKernel *k, FkDevice *d) {
        return dev_write(k, d, "uevent",
                         "%s%s%sPCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s\n"
                         "MODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n",
                         d->driver ? "DRIVER=" : "", d->driver ? d->driver->name : "", d->driver ? "\n" : "",
                         d->class_code, d->vendor, d->device, d->subvendor, d->subdevice, d->bdf, d->vendor,
                         d->device, d->subvendor, d->subdevice, (d->class_code >> 16) & 0xff,
                         (d->class_code >> 8) & 0xff, d->class_code & 0xff);
}

/* The attributes that change with state; rewritten after every operation that touches the device. */
static int rm_rf(const char *path);

int fk_render_device_attrs(FkKernel *k, FkDevice *d) {
        _cleanup_free_ char *link = fk_device_path(d, "driver"), *drvlink = NULL;
        int r;

        if (d->presence != FK_PRESENT)
                return 0;
        r = dev_write(k, d, "driver_override", "%s\n", d->override ? d->override : "(null)");
        if (r < 0)
                return r;
        if (d->driver) {
                _cleanup_free_ char *target = NULL, *back = NULL;
                if (asprintf(&target, "bus/pci/drivers/%s", d->driver->name) < 0 ||
                    asprintf(&back, "bus/pci/drivers/%s/%s", d->driver->name, d->bdf) < 0)
                        return -ENOMEM;
                r = fk_symlink(k, target, link);
                if (r < 0)
                        return r;
                r = fk_symlink(k, d->devpath, back);
        } else
                r = dev_unlink(k, d, "driver");
        if (r < 0)
                return r;

        if (pt_strv_length(d->reset_supported) > 0) {
                _cleanup_free_ char *joined = NULL;
                size_t n = 1;
                for (char **m = d->reset_enabled; m && *m; m++)
                        n += strlen(*m) + 1;
                joined = calloc(1, n + 1);
                if (!joined)
                        return -ENOMEM;
                for (char **m = d->reset_enabled; m && *m; m++) {
                        if (m != d->reset_enabled)
                                strcat(joined, " ");
                        strcat(joined, *m);
                }
                strcat(joined, "\n");
                r = dev_write(k, d, "reset_method", "%s", joined);
                if (r >= 0)
                        r = dev_write(k, d, "reset", "%s", "");
        } else {
                (void) dev_unlink(k, d, "reset_method");
                r = dev_unlink(k, d, "reset");
        }
        if (r < 0)
                return r;

        if (d->sriov_total > 0) {
                r = dev_write(k, d, "sriov_numvfs", "%d\n", d->num_vfs);
                if (r >= 0)
                        r = dev_write(k, d, "sriov_drivers_autoprobe", "%d\n", d->vfs_autoprobe);
                if (r < 0)
                        return r;
        }
        _cleanup_free_ char *vfio_dir = fk_device_path(d, "vfio-dev"), *back_dir = NULL;
        if (!vfio_dir || asprintf(&back_dir, "%s/%s", k->backing, vfio_dir) < 0)
                return -ENOMEM;
        (void) rm_rf(back_dir);
        if (d->vfio_dev >= 0) {
                _cleanup_free_ char *node = NULL, *dev = NULL;
                if (asprintf(&node, "%s/vfio%d", vfio_dir, d->vfio_dev) < 0 || asprintf(&dev, "%s/dev", node) < 0)
                        return -ENOMEM;
                if ((r = mkdir_rel(k, node)) < 0 || (r = write_filef(k, dev, "511:%d\n", d->vfio_dev)) < 0)
                        return r;
        }
        r = render_uevent_file(k, d);
        if (r < 0)
                return r;
        return fk_render_config(k, d);
}

int fk_render_device(FkKernel *k, FkDevice *d) {
        _cleanup_free_ char *buslink = NULL;
        int r;

        free(d->devpath);
        d->devpath = NULL;
        if (d->pf) {
                _cleanup_free_ char *pfdir = strdup(d->pf->devpath);
                if (!pfdir)
                        return -ENOMEM;
                *strrchr(pfdir, '/') = 0;
                d->devpath = pt_path_join(pfdir, d->bdf);
        } else if (d->parent) {
                d->devpath = pt_path_join(d->parent->devpath, d->bdf);
        } else if (asprintf(&d->devpath, "devices/pci%04x:%02x/%s", d->addr.domain, d->addr.bus, d->bdf) < 0)
                d->devpath = NULL;
        if (!d->devpath)
                return -ENOMEM;

        r = mkdir_rel(k, d->devpath);
        if (r < 0)
                return r;
        if ((d->class_code >> 16) == 0x03 && (r = dev_write(k, d, "boot_vga", "%d\n", d->boot_vga)) < 0)
                return r;
        /* What hangs below the device: a disk (reached through /sys/dev/block) or a network interface. */
        if (d->block) {
                _cleanup_free_ char *dir = NULL, *link = NULL, *dev = NULL;
                if (asprintf(&dir, "%s/block/%s", d->devpath, d->block) < 0 ||
                    asprintf(&link, "dev/block/%s", d->block_dev) < 0 || asprintf(&dev, "%s/dev", dir) < 0)
                        return -ENOMEM;
                if ((r = mkdir_rel(k, dir)) < 0 || (r = mkdir_rel(k, "dev/block")) < 0 ||
                    (r = fk_write_file(k, dev, d->block_dev)) < 0 || (r = fk_symlink(k, dir, link)) < 0)
                        return r;
        }
        if (d->net) {
                _cleanup_free_ char *dir = NULL, *link = NULL, *device = NULL;
                if (asprintf(&dir, "%s/net/%s", d->devpath, d->net) < 0 ||
                    asprintf(&link, "class/net/%s", d->net) < 0 || asprintf(&device, "%s/device", dir) < 0)
                        return -ENOMEM;
                if ((r = mkdir_rel(k, dir)) < 0 || (r = mkdir_rel(k, "class/net")) < 0 ||
                    (r = fk_symlink(k, dir, link)) < 0 || (r = fk_symlink(k, d->devpath, device)) < 0)
                        return r;
        }

        /* The first line is BAR 0 where the firmware put it (4 KiB of memory), the rest unused. */
        static const char resource_line[] = "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
        char resource[sizeof(resource_line) * 13];
        snprintf(resource, sizeof(resource), "0x%016llx 0x%016llx 0x0000000000040200\n",
                 (unsigned long long) (d->bar0 & ~0xfffu), (unsigned long long) ((d->bar0 & ~0xfffu) + 0xfff));
        for (int i = 1; i < 13; i++)
                strcat(resource, resource_line);

        if ((r = dev_write(k, d, "vendor", "0x%04x\n", d->vendor)) < 0 ||
            (r = dev_write(k, d, "device", "0x%04x\n", d->device)) < 0 ||
            (r = dev_write(k, d, "subsystem_vendor", "0x%04x\n", d->subvendor)) < 0 ||
            (r = dev_write(k, d, "subsystem_device", "0x%04x\n", d->subdevice)) < 0 ||
            (r = dev_write(k, d, "class", "0x%06x\n", d->class_code)) < 0 ||
            (r = dev_write(k, d, "revision", "0x%02x\n", d->revision)) < 0 ||
            (r = dev_write(k, d, "irq", "0\n")) < 0 ||
            (r = dev_write(k, d, "numa_node", "%d\n", d->numa_node)) < 0 ||
            (r = dev_write(k, d, "resource", "%s", resource)) < 0 ||
            (r = dev_write(k, d, "enable", "%d\n", d->driver ? 1 : 0)) < 0 ||
            (r = dev_write(k, d, "modalias", "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", d->vendor,
                           d->device, d->subvendor, d->subdevice, (d->class_code >> 16) & 0xff,
                           (d->class_code >> 8) & 0xff, d->class_code & 0xff)) < 0 ||
            (r = dev_write(k, d, "remove", "%s", "")) < 0 ||
            (r = dev_write(k, d, "rescan", "%s", "")) < 0)
                return r;
        if (d->sriov_total > 0 && (r = dev_write(k, d, "sriov_totalvfs", "%d\n", d->sriov_total)) < 0)
                return r;

        _cleanup_free_ char *subsys = fk_device_path(d, "subsystem");
        if (!subsys || (r = fk_symlink(k, "bus/pci", subsys)) < 0)
                return r < 0 ? r : -ENOMEM;

        if (asprintf(&buslink, "bus/pci/devices/%s", d->bdf) < 0)
                return -ENOMEM;
        r = fk_symlink(k, d->devpath, buslink);
        if (r < 0)
                return r;

        if (d->group >= 0) {
                _cleanup_free_ char *gdir = NULL, *gdev = NULL, *glink = fk_device_path(d, "iommu_group");
                if (asprintf(&gdir, "kernel/iommu_groups/%d", d->group) < 0 ||
                    asprintf(&gdev, "kernel/iommu_groups/%d/devices/%s", d->group, d->bdf) < 0 || !glink)
                        return -ENOMEM;
                _cleanup_free_ char *gdevdir = pt_path_join(gdir, "devices"), *gtype = pt_path_join(gdir, "type");
                if ((r = mkdir_rel(k, gdevdir)) < 0 || (r = fk_write_file(k, gtype, "DMA\n")) < 0 ||
                    (r = fk_symlink(k, gdir, glink)) < 0 || (r = fk_symlink(k, d->devpath, gdev)) < 0)
                        return r;
        }

        return fk_render_device_attrs(k, d);
}

/* Separate from fk_render_device: pci_iov_add_virtfn() links a VF to its PF only after the VF's add uevent. */
int fk_render_vf_links(FkKernel *k, FkDevice *d) {
        _cleanup_free_ char *physfn = fk_device_path(d, "physfn"), *virtfn = NULL;
        int r;
        if (asprintf(&virtfn, "%s/virtfn%d", d->pf->devpath, d->vf_index) < 0 || !physfn)
                return -ENOMEM;
        if ((r = fk_symlink(k, d->pf->devpath, physfn)) < 0 || (r = fk_symlink(k, d->devpath, virtfn)) < 0)
                return r;
        return 0;
}

static int rm_rf(const char *path) {
        struct stat st;
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (S_ISDIR(st.st_mode)) {
                _cleanup_strv_free_ char **names = NULL;
                DIR *dir = opendir(path);
                struct dirent *de;
                if (!dir)
                        return -errno;
                while ((de = readdir(dir)))
                        if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                                (void) pt_strv_push(&names, strdup(de->d_name));
                closedir(dir);
                for (char **n = names; n && *n; n++) {
                        _cleanup_free_ char *child = pt_path_join(path, *n);
                        if (child)
                                (void) rm_rf(child);
                }
                return rmdir(path) < 0 ? -errno : 0;
        }
        return unlink(path) < 0 ? -errno : 0;
}

int fk_unrender_device(FkKernel *k, FkDevice *d) {
        _cleanup_free_ char *buslink = NULL, *dir = full(k, d->devpath);
        if (asprintf(&buslink, "bus/pci/devices/%s", d->bdf) < 0 || !dir)
                return -ENOMEM;
        (void) unlink_rel(k, buslink);
        if (d->group >= 0) {
                _cleanup_free_ char *gdev = NULL;
                if (asprintf(&gdev, "kernel/iommu_groups/%d/devices/%s", d->group, d->bdf) >= 0)
                        (void) unlink_rel(k, gdev);
        }
        if (d->pf) {
                _cleanup_free_ char *virtfn = NULL;
                if (asprintf(&virtfn, "%s/virtfn%d", d->pf->devpath, d->vf_index) >= 0)
                        (void) unlink_rel(k, virtfn);
        }
        return rm_rf(dir);
}

int fk_render_driver(FkKernel *k, FkDriver *drv) {
        _cleanup_free_ char *dir = NULL, *mod = NULL, *modlink = NULL;
        int r;

        if (asprintf(&dir, "bus/pci/drivers/%s", drv->name) < 0 || asprintf(&mod, "module/%s", drv->module) < 0 ||
            asprintf(&modlink, "bus/pci/drivers/%s/module", drv->name) < 0)
                return -ENOMEM;
        if ((r = mkdir_rel(k, dir)) < 0 || (r = mkdir_rel(k, mod)) < 0 || (r = fk_symlink(k, mod, modlink)) < 0)
                return r;
        static const char *const attrs[] = { "bind", "unbind", "new_id", "remove_id", "uevent" };
        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                _cleanup_free_ char *p = pt_path_join(dir, attrs[i]);
                if (!p || (r = fk_write_file(k, p, "")) < 0)
                        return r < 0 ? r : -ENOMEM;
        }
        if (drv->pciback) {
                static const char *const pb[] = { "new_slot", "remove_slot", "permissive", "quirks" };
                for (size_t i = 0; i < ELEMENTSOF(pb); i++) {
                        _cleanup_free_ char *p = pt_path_join(dir, pb[i]);
                        if (!p || (r = fk_write_file(k, p, "")) < 0)
                                return r < 0 ? r : -ENOMEM;
                }
                _cleanup_free_ char *slots = pt_path_join(dir, "slots");
                size_t n = 1;
                for (char **s = drv->slots; s && *s; s++)
                        n += strlen(*s) + 1;
                _cleanup_free_ char *content = calloc(1, n);
                if (!slots || !content)
                        return -ENOMEM;
                for (char **s = drv->slots; s && *s; s++) {
                        strcat(content, *s);
                        strcat(content, "\n");
                }
                if ((r = fk_write_file(k, slots, content)) < 0)
                        return r;
        }
        return 0;
}

int fk_render_all(FkKernel *k) {
        int r;

        if ((r = mkdir_rel(k, "bus/pci/devices")) < 0 || (r = mkdir_rel(k, "bus/pci/drivers")) < 0 ||
            (r = mkdir_rel(k, "kernel/iommu_groups")) < 0 || (r = mkdir_rel(k, "module")) < 0 ||
            (r = mkdir_rel(k, "devices")) < 0 || (r = mkdir_rel(k, "fakekernel")) < 0)
                return r;
        if ((r = fk_write_file(k, "bus/pci/rescan", "")) < 0 || (r = fk_write_file(k, "bus/pci/drivers_probe", "")) < 0 ||
            (r = fk_write_file(k, "bus/pci/drivers_autoprobe", "1\n")) < 0 ||
            (r = fk_write_file(k, "fakekernel/ctl", "")) < 0 || (r = fk_write_file(k, "fakekernel/log", "")) < 0)
                return r;
        if (k->iommu) {
                _cleanup_free_ char *unit = NULL, *table = NULL;
                if (asprintf(&unit, "class/iommu/%s", k->iommu) < 0 ||
                    asprintf(&table, "firmware/acpi/tables/%s", k->iommu_table) < 0)
                        return -ENOMEM;
                if ((r = mkdir_rel(k, unit)) < 0 || (r = mkdir_rel(k, "firmware/acpi/tables")) < 0 ||
                    (r = fk_write_file(k, table, "")) < 0)
                        return r;
        }
        if (k->iommufd && (r = mkdir_rel(k, "class/misc/iommu")) < 0)
                return r;
        if (k->hypervisor) {
                if ((r = mkdir_rel(k, "hypervisor")) < 0 || (r = write_filef(k, "hypervisor/type", "%s\n", k->hypervisor)) < 0)
                        return r;
        }
        for (FkDriver *drv = k->drivers; drv; drv = drv->next)
                if (!drv->unloaded && (r = fk_render_driver(k, drv)) < 0)
                        return r;
        return 0;
}
