/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "safety.h"
#include "sysfs.h"

/* Whether the sysfs object at path (relative to root) sits below the PCI device bdf. */
static bool below_device(const char *root, const char *relpath, const char *bdf) {
        _cleanup_free_ char *path = pt_path_join(root, relpath);
        char real[PATH_MAX], needle[PT_ADDRESS_STRLEN + 2];
        if (!path || !realpath(path, real))
                return false;
        snprintf(needle, sizeof(needle), "/%s/", bdf);
        if (strstr(real, needle))
                return true;
        size_t n = strlen(real), l = strlen(bdf);
        return n > l && real[n - l - 1] == '/' && streq(real + n - l, bdf); /* the device itself */
}

/* A block device, or anything it is stacked on (device-mapper, md), on the controller. */
static bool block_on_device(const char *root, const char *devnum, const char *bdf, int depth) {
        _cleanup_free_ char *rel = NULL, *slaves = NULL;
        _cleanup_strv_free_ char **entries = NULL;
        if (depth > 8 || asprintf(&rel, "dev/block/%s", devnum) < 0)
                return false;
        if (below_device(root, rel, bdf))
                return true;
        if (asprintf(&slaves, "%s/slaves", rel) < 0 || sysfs_list_dir(root, slaves, &entries) < 0)
                return false;
        for (char **e = entries; *e; e++) {
                _cleanup_free_ char *dev = NULL, *devnum2 = NULL;
                if (asprintf(&dev, "%s/%s/dev", slaves, *e) >= 0 && sysfs_read_string(root, dev, &devnum2) >= 0 &&
                    block_on_device(root, devnum2, bdf, depth + 1))
                        return true;
        }
        return false;
}

static char *mounted_on(const char *sysfs_root, const char *proc_root, const Device *d) {
        _cleanup_free_ char *path = pt_path_join(proc_root, "self/mountinfo");
        _cleanup_fclose_ FILE *f = path ? fopen(path, "re") : NULL;
        char line[4096], *found = NULL;
        while (f && !found && fgets(line, sizeof(line), f)) {
                char devnum[32], mountpoint[2048];
                /* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... */
                if (sscanf(line, "%*s %*s %31s %*s %2047s", devnum, mountpoint) != 2 || strncmp(devnum, "0:", 2) == 0)
                        continue;
                if (block_on_device(sysfs_root, devnum, d->bdf, 0) &&
                    asprintf(&found, streq(mountpoint, "/") ? "it is the controller of the root file system" :
                             "it is the controller of the file system mounted on %s", mountpoint) < 0)
                        found = NULL;
        }
        return found;
}

static bool interface_on(const char *sysfs_root, const char *iface, const Device *d) {
        _cleanup_free_ char *rel = NULL;
        return asprintf(&rel, "class/net/%s/device", iface) >= 0 && below_device(sysfs_root, rel, d->bdf);
}

static char *default_route_on(const char *sysfs_root, const char *proc_root, const Device *d) {
        static const char *const tables[] = { "net/route", "net/ipv6_route" };
        char *found = NULL;
        for (size_t t = 0; t < ELEMENTSOF(tables) && !found; t++) {
                _cleanup_free_ char *path = pt_path_join(proc_root, tables[t]);
                _cleanup_fclose_ FILE *f = path ? fopen(path, "re") : NULL;
                char line[512];
                while (f && !found && fgets(line, sizeof(line), f)) {
                        char iface[64] = "", dest[64] = "", prefix[8] = "";
                        bool is_default;
                        if (t == 0) {
                                /* Iface Destination Gateway ... */
                                if (sscanf(line, "%63s %63s", iface, dest) != 2)
                                        continue;
                                is_default = streq(dest, "00000000");
                        } else {
                                /* dest prefixlen src srclen nexthop metric refcnt use flags iface */
                                if (sscanf(line, "%63s %7s %*s %*s %*s %*s %*s %*s %*s %63s", dest, prefix, iface) != 3)
                                        continue;
                                is_default = streq(prefix, "00") && strspn(dest, "0") == strlen(dest) &&
                                             !streq(iface, "lo");
                        }
                        if (is_default && interface_on(sysfs_root, iface, d) &&
                            asprintf(&found, "it is the NIC of the default route (%s)", iface) < 0)
                                found = NULL;
                }
        }
        return found;
}

/* An interface with an address in use: a connected IPv4 route (the kernel adds one per configured subnet), or a
 * global IPv6 address. */
static char *address_on(const char *sysfs_root, const char *proc_root, const Device *d) {
        char *found = NULL;
        _cleanup_free_ char *route = pt_path_join(proc_root, "net/route"), *inet6 = pt_path_join(proc_root, "net/if_inet6");
        _cleanup_fclose_ FILE *f = route ? fopen(route, "re") : NULL;
        char line[512];
        while (f && !found && fgets(line, sizeof(line), f)) {
                char iface[64], dest[64], gateway[64];
                if (sscanf(line, "%63s %63s %63s", iface, dest, gateway) == 3 && streq(gateway, "00000000") &&
                    !streq(iface, "lo") && interface_on(sysfs_root, iface, d) &&
                    asprintf(&found, "it is the NIC of an active IPv4 address (%s)", iface) < 0)
                        found = NULL;
        }
        _cleanup_fclose_ FILE *g = inet6 ? fopen(inet6, "re") : NULL;
        while (g && !found && fgets(line, sizeof(line), g)) {
                /* address index prefixlen scope flags iface; scope 00 is global */
                char addr[64], scope[8], iface[64];
                if (sscanf(line, "%63s %*s %*s %7s %*s %63s", addr, scope, iface) == 3 && streq(scope, "00") &&
                    !streq(iface, "lo") && interface_on(sysfs_root, iface, d) &&
                    asprintf(&found, "it is the NIC of an active IPv6 address (%s)", iface) < 0)
                        found = NULL;
        }
        return found;
}

/* A firmware framebuffer (efifb, vesafb, simple-framebuffer/simpledrm) in one of the device's memory BARs: the
 * console is drawn there, whatever boot_vga says (a GPU that is not the legacy VGA device can hold it). */
static char *framebuffer_on(const char *sysfs_root, const char *proc_root, const Device *d) {
        static const char *const names[] = { "efifb", "vesafb", "simple-framebuffer", "simpledrm", "BOOTFB" };
        _cleanup_free_ char *rel = sysfs_device_attr(d->bdf, "resource"), *resource = NULL;
        _cleanup_free_ char *iomem = pt_path_join(proc_root, "iomem");
        unsigned long long bars[7][2];
        size_t n = 0;
        if (!rel || !iomem || sysfs_read_string(sysfs_root, rel, &resource) < 0)
                return NULL;
        for (char *line = resource, *next; line && *line && n < ELEMENTSOF(bars); line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                unsigned long long start, end, flags;
                if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) == 3 && end > start && (flags & 0x200))
                        bars[n][0] = start, bars[n][1] = end, n++;
        }
        _cleanup_fclose_ FILE *f = n > 0 ? fopen(iomem, "re") : NULL;
        char line[256];
        while (f && fgets(line, sizeof(line), f)) {
                unsigned long long start, end;
                char name[128];
                if (sscanf(line, " %llx-%llx : %127[^\n]", &start, &end, name) != 3)
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(names); k++) {
                        if (strncmp(name, names[k], strlen(names[k])) != 0)
                                continue;
                        for (size_t b = 0; b < n; b++) {
                                char *why = NULL;
                                if (start >= bars[b][0] && end <= bars[b][1] &&
                                    asprintf(&why, "its memory holds the firmware framebuffer (%s), the console",
                                             name) >= 0)
                                        return why;
                        }
                }
        }
        return NULL;
}

char *safety_host_critical(const char *sysfs_root, const char *proc_root, const Device *d) {
        _cleanup_free_ char *rel = sysfs_device_attr(d->bdf, "boot_vga"), *vga = NULL;
        if (rel && sysfs_read_string(sysfs_root, rel, &vga) >= 0 && streq(vga, "1"))
                return strdup("it is the boot VGA device (the console)");
        char *why = framebuffer_on(sysfs_root, proc_root, d);
        if (!why)
                why = mounted_on(sysfs_root, proc_root, d);
        if (!why)
                why = default_route_on(sysfs_root, proc_root, d);
        if (!why)
                why = address_on(sysfs_root, proc_root, d);
        return why;
}

/* The members of a class (net, drm, graphics) that sit below the device, at any depth (a virtio NIC's interface
 * is under its virtio device): each a consumer. */
static int list_under(const char *sysfs_root, const Device *d, const char *class, const char *what, char ***l) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_strv_free_ char **entries = NULL;
        if (asprintf(&dir, "class/%s", class) < 0)
                return -ENOMEM;
        if (sysfs_list_dir(sysfs_root, dir, &entries) < 0)
                return 0;
        for (char **e = entries; *e; e++) {
                _cleanup_free_ char *rel = pt_path_join(dir, *e);
                char *s = NULL;
                if (!rel)
                        return -ENOMEM;
                if (!below_device(sysfs_root, rel, d->bdf))
                        continue;
                if (asprintf(&s, "%s %s", what, *e) < 0 || pt_strv_push(l, s) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int safety_host_consumers(const char *sysfs_root, const char *proc_root, const Device *d, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *)), **blocks = NULL;
        _cleanup_free_ char *critical = safety_host_critical(sysfs_root, proc_root, d);
        int r;
        if (!l)
                return -ENOMEM;
        if (critical && (r = pt_strv_push(&l, TAKE_PTR(critical))) < 0)
                return r;
        if ((r = list_under(sysfs_root, d, "net", "network interface", &l)) < 0 ||
            (r = list_under(sysfs_root, d, "drm", "DRM device", &l)) < 0 ||
            (r = list_under(sysfs_root, d, "graphics", "framebuffer", &l)) < 0)
                return r;
        /* Block devices on it, stacked ones (md, dm) too, and swap on any of them. */
        if (sysfs_list_dir(sysfs_root, "dev/block", &blocks) >= 0)
                for (char **b = blocks; *b; b++) {
                        if (!block_on_device(sysfs_root, *b, d->bdf, 0))
                                continue;
                        _cleanup_free_ char *rel = NULL, *path = NULL;
                        char real[PATH_MAX];
                        if (asprintf(&rel, "dev/block/%s", *b) < 0 || !(path = pt_path_join(sysfs_root, rel)))
                                return -ENOMEM;
                        const char *name = realpath(path, real) ? strrchr(real, '/') + 1 : *b;
                        char *s = NULL;
                        if (asprintf(&s, "block device %s", name) < 0 || pt_strv_push(&l, s) < 0)
                                return -ENOMEM;
                        _cleanup_free_ char *swaps = pt_path_join(proc_root, "swaps");
                        _cleanup_fclose_ FILE *f = swaps ? fopen(swaps, "re") : NULL;
                        char line[512], file[256];
                        while (f && fgets(line, sizeof(line), f))
                                if (sscanf(line, "%255s", file) == 1 && strncmp(file, "/dev/", 5) == 0 &&
                                    streq(file + 5, name) &&
                                    (asprintf(&s, "swap on /dev/%s", name) < 0 || pt_strv_push(&l, s) < 0))
                                        return -ENOMEM;
                }
        *ret = TAKE_PTR(l);
        return 0;
}
