/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "passthru/pt-pci-config.h"
#include "pt-util.h"
#include "sysfs-write.h"
#include "sysfs.h"

static const char *const stub_drivers[] = { "vfio-pci", "pci-stub", "pciback" };

bool device_is_stub_driver(const char *driver) {
        for (size_t i = 0; i < ELEMENTSOF(stub_drivers); i++)
                if (streq_ptr(driver, stub_drivers[i]))
                        return true;
        /* A VFIO variant driver is vfio-pci with the vendor's migration support: a stub as much. */
        return device_is_vfio_driver(driver);
}

bool device_is_vfio_driver(const char *driver) {
        static const char suffix[] = "_vfio_pci";
        size_t n = driver ? strlen(driver) : 0;
        return streq_ptr(driver, "vfio-pci") || (n > strlen(suffix) && streq(driver + n - strlen(suffix), suffix));
}

const char *device_vfio_group_node(const Device *d, char buf[static DEVICE_NODE_MAX]) {
        buf[0] = 0;
        if (device_is_vfio_driver(d->driver) && d->iommu_group >= 0)
                snprintf(buf, DEVICE_NODE_MAX, "/dev/vfio/%d", (int) d->iommu_group);
        return buf;
}

const char *device_vfio_device_node(const Device *d, char buf[static DEVICE_NODE_MAX]) {
        buf[0] = 0;
        if (!isempty(d->vfio_device))
                snprintf(buf, DEVICE_NODE_MAX, "/dev/vfio/devices/%s", d->vfio_device);
        return buf;
}

/* The one entry of vfio-dev/ (vfio_device_add() names it vfioN) that is a character device (its dev attribute:
 * VFIO cdev, 6.6 and later; 6.1 to 6.5 have the entry without a node), or NULL. */
static char *read_vfio_device(int device_fd) {
        _cleanup_close_ int fd = openat(device_fd, "vfio-dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        DIR *dir = fdopendir(fd);
        if (!dir)
                return NULL;
        TAKE_FD(fd);
        char *found = NULL;
        for (struct dirent *de; !found && (de = readdir(dir));) {
                char dev[300];
                snprintf(dev, sizeof(dev), "%s/dev", de->d_name);
                if (strncmp(de->d_name, "vfio", 4) == 0 && de->d_name[4] &&
                    faccessat(dirfd(dir), dev, F_OK, 0) == 0)
                        found = strdup(de->d_name);
        }
        closedir(dir);
        return found;
}

bool device_on_stub(const Device *d) {
        return device_is_stub_driver(d->driver);
}


int device_object_path(const PtAddress *a, char **ret) {
        /* libvirt's nodedev naming, pci_0000_06_00_0, readable and valid as a path element. */
        if (asprintf(ret, PT_DEVICE_PATH_PREFIX "/pci_%04x_%02x_%02x_%x", (unsigned) a->domain, (unsigned) a->bus,
                     (unsigned) a->slot, (unsigned) a->function) < 0)
                return -ENOMEM;
        return 0;
}

int device_address_from_path(const char *path, PtAddress *ret) {
        unsigned dom, bus, slot, fn;
        char tail;
        if (strncmp(path, PT_DEVICE_PATH_PREFIX "/", strlen(PT_DEVICE_PATH_PREFIX) + 1) != 0)
                return -EINVAL;
        path += strlen(PT_DEVICE_PATH_PREFIX) + 1;
        if (sscanf(path, "pci_%8x_%2x_%2x_%1x%c", &dom, &bus, &slot, &fn, &tail) != 4 || slot > 0x1f || fn > 7)
                return -EINVAL;
        *ret = (PtAddress) { .domain = dom, .bus = (uint8_t) bus, .slot = (uint8_t) slot, .function = (uint8_t) fn };
        return 0;
}

Device *device_free(Device *d) {
        if (!d)
                return NULL;
        free(d->object_path);
        free(d->vendor_name);
        free(d->device_name);
        free(d->subsystem_name);
        free(d->class_name);
        free(d->driver);
        free(d->driver_override);
        pt_strv_free(d->iommu_group_members);
        free(d->parent_bridge);
        pt_strv_free(d->reset_methods);
        free(d->physical_function);
        pt_strv_free(d->virtual_functions);
        free(d->serial);
        free(d->modalias);
        free(d->vfio_device);
        free(d);
        return NULL;
}

/* PCI_ID=8086:10D3, PCI_SUBSYS_ID=, PCI_CLASS=20000 (hex), DRIVER=, MODALIAS=: pci_uevent() and dev_uevent()'s
 * lines. The strings point into 'text', which the caller keeps. */
void device_uevent_parse(char *text, DeviceUevent *ret) {
        *ret = (DeviceUevent) { .parsed = true };
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                char *eq = strchr(line, '=');
                if (!eq)
                        continue;
                *eq = 0;
                const char *key = line, *value = eq + 1;
                unsigned a, b;
                char tail;
                if (streq(key, "PCI_ID") && sscanf(value, "%4x:%4x%c", &a, &b, &tail) == 2) {
                        ret->vendor_id = (uint16_t) a;
                        ret->device_id = (uint16_t) b;
                        ret->has_id = true;
                } else if (streq(key, "PCI_SUBSYS_ID") && sscanf(value, "%4x:%4x%c", &a, &b, &tail) == 2) {
                        ret->subsystem_vendor_id = (uint16_t) a;
                        ret->subsystem_id = (uint16_t) b;
                        ret->has_subsys_id = true;
                } else if (streq(key, "PCI_CLASS") && sscanf(value, "%6x%c", &a, &tail) == 1) {
                        ret->class_code = a;
                        ret->has_class = true;
                } else if (streq(key, "DRIVER") && *value)
                        ret->driver = value;
                else if (streq(key, "MODALIAS"))
                        ret->modalias = value;
        }
}

static char *or_empty(char *s) {
        return s ? s : strdup("");
}

static uint16_t read_id(int dirfd, const char *attr, uint16_t fallback) {
        uint64_t v;
        return sysfs_read_u64_at(dirfd, attr, &v) >= 0 ? (uint16_t) v : fallback;
}

/* An attribute the kernel may not have: NULL then. */
static int read_optional_string(int dirfd, const char *attr, char **ret) {
        int r = sysfs_read_string_at(dirfd, attr, ret);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                *ret = NULL;
        return 0;
}

static int read_link(int dirfd, const char *attr, char **ret) {
        int r = sysfs_read_link_basename_at(dirfd, attr, ret);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                *ret = NULL;
        return 0;
}

/* The directory above the device's own in the real devices/ hierarchy is its upstream bridge, if a BDF. The
 * bus's link to the device names the whole path (../../../devices/pci0000:00/0000:00:1c.0/0000:01:00.0): one
 * readlink, where resolving it would look at every component. */
static char *read_parent_bridge(const char *root, const char *bdf) {
        _cleanup_free_ char *rel = sysfs_device_attr(bdf, NULL), *path = pt_path_join(root, rel), *real = NULL;
        if (!path)
                return NULL;
        char target[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n > 0 && memchr(target, '/', (size_t) n)) {
                target[n] = 0;
                real = strdup(target);
        } else
                real = realpath(path, NULL);
        if (!real)
                return NULL;
        char *slash = strrchr(real, '/');
        if (!slash)
                return NULL;
        *slash = 0;
        const char *parent = strrchr(real, '/');
        parent = parent ? parent + 1 : real;
        PtAddress a;
        if (pt_address_parse_bdf(parent, &a, NULL) < 0 || strchr(parent, ':') == strrchr(parent, ':'))
                return NULL; /* "pci0000:00" is the root bus, not a bridge */
        return strdup(parent);
}

static int list_group(const char *root, int32_t group, char ***ret) {
        _cleanup_free_ char *dir = NULL;
        if (asprintf(&dir, "kernel/iommu_groups/%d/devices", group) < 0)
                return -ENOMEM;
        return sysfs_list_dir(root, dir, ret);
}

/* Open addressing by group number: 4096 functions in as many groups look each up in constant time. */
static DeviceLoadGroup *cache_slot(DeviceLoadCache *c, int32_t group) {
        size_t mask = c->n_slots - 1;
        for (size_t i = ((size_t) group * 2654435761u) & mask;; i = (i + 1) & mask)
                if (!c->slots[i].members || c->slots[i].group == group)
                        return &c->slots[i];
}

static int cache_grow(DeviceLoadCache *c) {
        size_t want = c->n_slots ? c->n_slots * 2 : 256;
        DeviceLoadGroup *old = c->slots;
        size_t n_old = c->n_slots;
        c->slots = calloc(want, sizeof(*c->slots));
        if (!c->slots) {
                c->slots = old;
                return -ENOMEM;
        }
        c->n_slots = want;
        for (size_t i = 0; i < n_old; i++)
                if (old[i].members)
                        *cache_slot(c, old[i].group) = old[i];
        free(old);
        return 0;
}

/* Called with the cache's lock held: each group's member list is read once per enumeration. */
static int cached_group_members(const char *root, DeviceLoadCache *c, int32_t group, char ***ret_members) {
        if ((c->n_groups + 1) * 2 > c->n_slots && cache_grow(c) < 0)
                return -ENOMEM;
        DeviceLoadGroup *slot = cache_slot(c, group);
        if (!slot->members) {
                char **members = NULL;
                if (list_group(root, group, &members) < 0)
                        return 0; /* no list to keep: the device alone, as without a cache */
                *slot = (DeviceLoadGroup) { group, members };
                c->n_groups++;
        }
        char **copy = pt_strv_copy(slot->members);
        if (!copy)
                return -ENOMEM;
        pt_strv_free(*ret_members);
        *ret_members = copy;
        return 0;
}

static int read_iommu_group(const char *root, int dirfd, DeviceLoadCache *cache, int32_t *ret_group,
                            char ***ret_members) {
        _cleanup_free_ char *group = NULL;
        char *end;

        *ret_group = -1;
        *ret_members = calloc(1, sizeof(char *));
        if (!*ret_members)
                return -ENOMEM;
        if (read_link(dirfd, "iommu_group", &group) < 0 || !group)
                return 0;
        long g = strtol(group, &end, 10);
        if (*end || g < 0)
                return 0;
        *ret_group = (int32_t) g;
        if (!cache) {
                char **members = NULL;
                if (list_group(root, *ret_group, &members) >= 0) {
                        pt_strv_free(*ret_members);
                        *ret_members = members;
                }
                return 0;
        }
        pthread_mutex_lock(&cache->lock);
        int r = cached_group_members(root, cache, *ret_group, ret_members);
        pthread_mutex_unlock(&cache->lock);
        return r;
}

void device_load_cache_done(DeviceLoadCache *c) {
        for (size_t i = 0; i < c->n_slots; i++)
                pt_strv_free(c->slots[i].members);
        free(c->slots);
        c->slots = NULL;
        c->n_slots = c->n_groups = 0;
}

static int read_virtfns(const char *root, const char *bdf, char ***ret) {
        _cleanup_free_ char *dir = sysfs_device_attr(bdf, NULL);
        _cleanup_strv_free_ char **entries = NULL, **vfs = calloc(1, sizeof(char *));

        if (!dir || !vfs)
                return -ENOMEM;
        if (sysfs_list_dir(root, dir, &entries) >= 0)
                for (char **e = entries; *e; e++) {
                        if (strncmp(*e, "virtfn", 6) != 0)
                                continue;
                        char *vf = NULL;
                        _cleanup_free_ char *rel = pt_path_join(dir, *e);
                        if (rel && sysfs_read_link_basename(root, rel, &vf) >= 0 && pt_strv_push(&vfs, vf) < 0)
                                return -ENOMEM;
                }
        pt_strv_sort(vfs);
        *ret = TAKE_PTR(vfs);
        return 0;
}

/* What only config space says, kept from the last full read: a driver change does not change the hardware, and
 * reading 4 KiB of config space is the slowest part of a re-read (under emulation, by far). */
static bool config_from_previous(const char *root, const Device *previous, PtPciConfig *cfg, Device *d) {
        if (!previous || previous->off_bus || sysfs_config_answers(root, previous->bdf) < 0)
                return false;
        *cfg = (PtPciConfig) { .vendor_id = previous->vendor_id, .device_id = previous->device_id,
                               .class_code = previous->class_code, .revision = previous->revision,
                               .subsystem_vendor_id = previous->subsystem_vendor_id,
                               .subsystem_id = previous->subsystem_id, .header_type = previous->header_type,
                               .has_acs = previous->has_acs, .acs_cap = previous->acs_cap,
                               .acs_ctrl = previous->acs_ctrl, .has_sriov = previous->sriov_total_vfs > 0,
                               .sriov_total_vfs = (uint16_t) previous->sriov_total_vfs,
                               .multifunction = previous->multifunction, .is_pcie = previous->is_pcie,
                               .flr = previous->flr, .af_flr = previous->af_flr, .has_pm = previous->has_pm,
                               .pm_no_soft_reset = previous->pm_no_soft_reset };
        d->pcie_type = previous->pcie_type;
        d->serial = strdup(previous->serial);
        d->parent_conventional = previous->parent_conventional;
        return true;
}

static int load(const char *root, PciAccess *pci, const PtAddress *address, const Device *previous,
                DeviceLoadCache *cache, Device **ret) {
        _cleanup_(device_freep) Device *d = calloc(1, sizeof(*d));
        _cleanup_free_ char *reset = NULL, *override = NULL;
        _cleanup_close_ int dirfd = -EBADF;
        uint8_t config[4096];
        size_t config_len = 0;
        PtPciConfig cfg = {};
        int r;

        if (!d)
                return -ENOMEM;
        d->address = *address;
        pt_address_format(address, d->bdf);
        dirfd = sysfs_device_open(root, d->bdf);
        if (dirfd < 0)
                return dirfd;
        /* The kernel's uevent text names IDs, class and driver in one read where six attributes would take six.
         * Without it (an older snapshot) each comes from its own attribute. */
        DeviceUevent ev = {};
        _cleanup_free_ char *uevent = NULL;
        if (sysfs_read_string_at(dirfd, "uevent", &uevent) >= 0)
                device_uevent_parse(uevent, &ev);
        r = device_object_path(address, &d->object_path);
        if (r < 0)
                return r;

        /* IDs as the kernel reports them (quirks applied); config space for what only it knows. */
        uint64_t v;
        bool kept = config_from_previous(root, previous, &cfg, d);
        if (!kept && sysfs_read_config_at(dirfd, config, sizeof(config), &config_len) >= 0)
                (void) pt_pci_config_parse(config, config_len, &cfg);
        d->off_bus = cfg.off_bus;
        if (kept) {
                /* The same hardware still answering (a remove and an add would have come for new hardware): its
                 * identity and names are as last read; a uevent re-read is for driver, group and reset facts. */
                d->vendor_id = previous->vendor_id;
                d->device_id = previous->device_id;
                d->subsystem_vendor_id = previous->subsystem_vendor_id;
                d->subsystem_id = previous->subsystem_id;
                d->class_code = previous->class_code;
                d->revision = previous->revision;
                d->vendor_name = strdup(previous->vendor_name);
                d->device_name = strdup(previous->device_name);
                d->subsystem_name = strdup(previous->subsystem_name);
                d->class_name = strdup(previous->class_name);
                if (!d->vendor_name || !d->device_name || !d->subsystem_name || !d->class_name)
                        return -ENOMEM;
        } else {
                /* Every attribute an older kernel (or a snapshot) may lack falls back to config space. */
                d->vendor_id = ev.has_id ? ev.vendor_id : read_id(dirfd, "vendor", cfg.vendor_id);
                d->device_id = ev.has_id ? ev.device_id : read_id(dirfd, "device", cfg.device_id);
                d->subsystem_vendor_id = ev.has_subsys_id ? ev.subsystem_vendor_id :
                                         read_id(dirfd, "subsystem_vendor", cfg.subsystem_vendor_id);
                d->subsystem_id = ev.has_subsys_id ? ev.subsystem_id :
                                  read_id(dirfd, "subsystem_device", cfg.subsystem_id);
                if (ev.has_class)
                        d->class_code = ev.class_code;
                else
                        d->class_code = sysfs_read_u64_at(dirfd, "class", &v) >= 0 ? (uint32_t) v : cfg.class_code;
                /* Not in the uevent text; the attribute, as a quirk may have changed it. */
                d->revision = sysfs_read_u64_at(dirfd, "revision", &v) >= 0 ? (uint8_t) v : cfg.revision;

                /* An enumeration's workers leave names to the one thread that may use libpci. */
                if (!cache && (r = device_load_names(d, pci)) < 0)
                        return r;
        }

        d->header_type = cfg.header_type;
        d->multifunction = cfg.multifunction;
        d->is_pcie = cfg.is_pcie;
        if (!kept)
                d->pcie_type = cfg.is_pcie ? pt_pcie_type_to_string(cfg.pcie_type) : "";
        /* PCI-PCI and CardBus bridges by header, host bridges by class; an LPC bridge is an endpoint. */
        d->is_bridge = cfg.header_type == 1 || cfg.header_type == 2 || (d->class_code >> 8) == 0x0600;
        d->flr = cfg.flr;
        d->af_flr = cfg.af_flr;
        d->has_pm = cfg.has_pm;
        d->pm_no_soft_reset = cfg.pm_no_soft_reset;
        d->has_acs = cfg.has_acs;
        d->acs_cap = cfg.acs_cap;
        d->acs_ctrl = cfg.acs_ctrl;
        if (!kept && cfg.has_serial) {
                if (asprintf(&d->serial, "%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x",
                             (unsigned) (cfg.serial >> 56) & 0xff, (unsigned) (cfg.serial >> 48) & 0xff,
                             (unsigned) (cfg.serial >> 40) & 0xff, (unsigned) (cfg.serial >> 32) & 0xff,
                             (unsigned) (cfg.serial >> 24) & 0xff, (unsigned) (cfg.serial >> 16) & 0xff,
                             (unsigned) (cfg.serial >> 8) & 0xff, (unsigned) cfg.serial & 0xff) < 0)
                        d->serial = NULL;
        }
        d->serial = or_empty(d->serial);

        if (ev.parsed)
                d->driver = strdup(strempty(ev.driver));
        else if ((r = read_link(dirfd, "driver", &d->driver)) < 0)
                return r;
        d->driver = or_empty(d->driver);
        if (kept)
                d->modalias = strdup(previous->modalias);
        else
                d->modalias = strdup(ev.modalias ? ev.modalias : "");
        d->vfio_device = device_is_vfio_driver(d->driver) ? read_vfio_device(dirfd) : NULL;
        d->vfio_device = or_empty(d->vfio_device);
        /* Where the device sits in the machine's memory does not change while it is there. */
        if (kept)
                d->numa_node = previous->numa_node;
        else {
                _cleanup_free_ char *numa = NULL;
                char *end;
                long node = sysfs_read_string_at(dirfd, "numa_node", &numa) >= 0 ? strtol(numa, &end, 10) : -1;
                d->numa_node = numa && *numa && !*end && node >= 0 && node < INT32_MAX ? (int32_t) node : -1;
        }
        if ((r = read_optional_string(dirfd, "driver_override", &override)) < 0)
                return r;
        d->driver_override = strdup(override && !streq(override, "(null)") ? override : "");

        if ((r = read_iommu_group(root, dirfd, cache, &d->iommu_group, &d->iommu_group_members)) < 0)
                return r;

        /* Where it sits changes only with a remove and an add. */
        d->parent_bridge = kept ? strdup(previous->parent_bridge) : read_parent_bridge(root, d->bdf);
        /* An enumeration's caller takes the parent's kind from the parent it read (device_take_parent_kind). */
        if (d->parent_bridge && !kept && !cache)
                device_read_parent_kind(root, d);
        d->parent_bridge = or_empty(d->parent_bridge);

        if ((r = read_optional_string(dirfd, "reset_method", &reset)) < 0)
                return r;
        d->reset_method_listed = reset != NULL;
        if ((r = pt_strv_split(strempty(reset), " ", &d->reset_methods)) < 0)
                return r;

        /* What config space shows whole (4 KiB) settles whether there is SR-IOV to ask the kernel about: without
         * the capability the attributes cannot exist and are not looked for. (Whether this is a VF is the physfn
         * link's to say: emulated VFs do not all read vendor 0xffff as the spec has it.) */
        bool whole = config_len >= 4096 && !cfg.off_bus;
        if ((!whole || cfg.has_sriov) && sysfs_read_u64_at(dirfd, "sriov_totalvfs", &v) >= 0)
                d->sriov_total_vfs = (uint32_t) v;
        else if (cfg.has_sriov)
                d->sriov_total_vfs = cfg.sriov_total_vfs;
        if ((!whole || cfg.has_sriov) && sysfs_read_u64_at(dirfd, "sriov_numvfs", &v) >= 0)
                d->sriov_num_vfs = (uint32_t) v;
        if ((r = read_link(dirfd, "physfn", &d->physical_function)) < 0)
                return r;
        d->physical_function = or_empty(d->physical_function);
        /* Only a PF has VFs to list (a listing of the device's directory otherwise). */
        if (d->sriov_total_vfs == 0 && !(d->virtual_functions = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if (d->sriov_total_vfs > 0 && (r = read_virtfns(root, d->bdf, &d->virtual_functions)) < 0)
                return r;

        if ((!cache && (!d->vendor_name || !d->device_name || !d->subsystem_name || !d->class_name)) || !d->driver ||
            !d->driver_override || !d->parent_bridge || !d->physical_function || !d->serial || !d->modalias ||
            !d->vfio_device)
                return -ENOMEM;
        *ret = TAKE_PTR(d);
        return 0;
}

int device_load_names(Device *d, PciAccess *pci) {
        d->vendor_name = or_empty(pci_access_vendor_name(pci, d->vendor_id));
        d->device_name = or_empty(pci_access_device_name(pci, d->vendor_id, d->device_id));
        d->subsystem_name = or_empty(d->subsystem_vendor_id ?
                                     pci_access_subsystem_name(pci, d->vendor_id, d->device_id,
                                                               d->subsystem_vendor_id, d->subsystem_id) : NULL);
        d->class_name = or_empty(pci_access_class_name(pci, d->class_code));
        return d->vendor_name && d->device_name && d->subsystem_name && d->class_name ? 0 : -ENOMEM;
}

void device_read_parent_kind(const char *root, Device *d) {
        uint8_t pconfig[256];
        size_t plen;
        PtPciConfig pcfg;
        if (isempty(d->parent_bridge))
                return;
        _cleanup_close_ int pfd = sysfs_device_open(root, d->parent_bridge);
        if (pfd >= 0 && sysfs_read_config_at(pfd, pconfig, sizeof(pconfig), &plen) >= 0 &&
            pt_pci_config_parse(pconfig, plen, &pcfg) >= 0 && (pcfg.header_type == 1 || pcfg.header_type == 2))
                /* A CardBus bridge is conventional PCI too: the kernel's DMA aliasing treats it so. */
                d->parent_conventional = pcfg.header_type == 2 || !pcfg.is_pcie ||
                                         pcfg.pcie_type == PT_PCIE_PCIE_TO_PCI_BRIDGE;
}

void device_take_parent_kind(Device *d, const Device *parent) {
        /* PCI-to-PCI by header, conventional unless PCIe (or a PCIe-to-PCI bridge); a CardBus bridge is
         * conventional PCI too: the kernel's DMA aliasing treats it so. */
        d->parent_conventional = parent->header_type == 2 ||
                                 (parent->header_type == 1 && (!parent->is_pcie ||
                                                               streq(parent->pcie_type, "pcie-to-pci-bridge")));
}

int device_load(const char *root, PciAccess *pci, const PtAddress *address, const Device *previous, Device **ret) {
        return load(root, pci, address, previous, NULL, ret);
}

int device_load_cached(const char *root, const PtAddress *address, DeviceLoadCache *cache, Device **ret) {
        return load(root, NULL, address, NULL, cache, ret);
}

static bool strv_equal(char **a, char **b) {
        size_t n = pt_strv_length(a);
        if (n != pt_strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

int device_update(Device *d, Device *fresh, const char ***ret_changed) {
        const char **changed = calloc(24, sizeof(char *));
        size_t n = 0;

        if (!changed)
                return -ENOMEM;
#define CHANGED_STR(field, name) if (!streq(d->field, fresh->field)) changed[n++] = name
#define CHANGED_STRV(field, name) if (!strv_equal(d->field, fresh->field)) changed[n++] = name
#define CHANGED_VAL(field, name) if (d->field != fresh->field) changed[n++] = name
        CHANGED_STR(driver, "Driver");
        CHANGED_STR(driver_override, "DriverOverride");
        CHANGED_VAL(iommu_group, "IommuGroup");
        CHANGED_STRV(iommu_group_members, "IommuGroupMembers");
        CHANGED_STRV(reset_methods, "ResetMethods");
        CHANGED_VAL(sriov_num_vfs, "SriovNumVfs");
        CHANGED_STRV(virtual_functions, "VirtualFunctions");
        CHANGED_STR(physical_function, "PhysicalFunction");
        CHANGED_VAL(off_bus, "OffBus");
        CHANGED_STR(vfio_device, "VfioDeviceNode");
        char before[DEVICE_NODE_MAX], after[DEVICE_NODE_MAX];
        if (!streq(device_vfio_group_node(d, before), device_vfio_group_node(fresh, after)))
                changed[n++] = "VfioGroupNode";
#undef CHANGED_STR
#undef CHANGED_STRV
#undef CHANGED_VAL
        changed[n] = NULL;

        /* Take the fresh snapshot whole: the rest is identity, which only a late-created link (a VF's physfn
         * appears after its add uevent) or config space read at a bad moment can have changed. */
        Device old = *d;
        *d = *fresh;
        *fresh = old;
        *ret_changed = changed;
        return (int) n;
}
