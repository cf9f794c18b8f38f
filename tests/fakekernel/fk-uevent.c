/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uevents in the wire format udevd uses on the "udev" netlink group, so the daemon receives them through its
 * real libudev monitor. Sent only from a private network namespace: in the host's namespace they would reach
 * the host's own udev listeners. */
#include <endian.h>
#include <stdarg.h>
#include <errno.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fk.h"
#include "passthru/pt-macros.h"

#define UDEV_MONITOR_MAGIC 0xfeedcafe
#define MONITOR_GROUP_UDEV 2

struct monitor_netlink_header {
        char prefix[8];
        unsigned magic;
        unsigned header_size;
        unsigned properties_off;
        unsigned properties_len;
        unsigned filter_subsystem_hash;
        unsigned filter_devtype_hash;
        unsigned filter_tag_bloom_hi;
        unsigned filter_tag_bloom_lo;
};

/* MurmurHash2 with seed 0: what libudev's subsystem filter compares against. */
static uint32_t murmur2(const void *key, size_t len) {
        const uint32_t m = 0x5bd1e995;
        const unsigned char *data = key;
        uint32_t h = (uint32_t) len;

        while (len >= 4) {
                uint32_t k;
                memcpy(&k, data, 4);
                k *= m;
                k ^= k >> 24;
                k *= m;
                h *= m;
                h ^= k;
                data += 4;
                len -= 4;
        }
        switch (len) {
        case 3: h ^= (uint32_t) data[2] << 16; /* fallthrough */
        case 2: h ^= (uint32_t) data[1] << 8; /* fallthrough */
        case 1: h ^= data[0]; h *= m;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return h;
}

/* A namespace made for the test has nothing but loopback; the host's has real interfaces. */
static bool in_private_netns(void) {
        struct if_nameindex *ifs = if_nameindex();
        bool only_lo = true;

        if (!ifs)
                return false;
        for (struct if_nameindex *i = ifs; i->if_index != 0; i++)
                if (!streq(i->if_name, "lo"))
                        only_lo = false;
        if_freenameindex(ifs);
        return only_lo;
}

int fk_uevent_open(FkKernel *k) {
        struct sockaddr_nl addr = { .nl_family = AF_NETLINK };

        if (!in_private_netns()) {
                fprintf(stderr, "fakekernel: refusing to send uevents from the host's network namespace "
                                "(it has interfaces other than lo; run under 'unshare -n')\n");
                return -EPERM;
        }
        k->uevent_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
        if (k->uevent_fd < 0)
                return -errno;
        if (bind(k->uevent_fd, (struct sockaddr *) &addr, sizeof(addr)) < 0)
                return -errno;
        return 0;
}

static size_t add_prop(char *buf, size_t off, size_t size, const char *fmt, ...) _printf_(4, 5);
static size_t add_prop(char *buf, size_t off, size_t size, const char *fmt, ...) {
        va_list ap;
        if (off >= size)
                return off;
        va_start(ap, fmt);
        int n = vsnprintf(buf + off, size - off, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t) n >= size - off)
                return size;
        return off + (size_t) n + 1; /* keep the NUL: properties are a NUL-separated list */
}

void fk_uevent_send(FkKernel *k, FkDevice *d, const char *action) {
        struct monitor_netlink_header h = {};
        struct sockaddr_nl dest = { .nl_family = AF_NETLINK, .nl_groups = MONITOR_GROUP_UDEV };
        char props[2048];
        size_t len = 0;
        struct timespec now;

        if (k->uevent_fd < 0)
                return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        k->seqnum++;
        len = add_prop(props, len, sizeof(props), "ACTION=%s", action);
        len = add_prop(props, len, sizeof(props), "DEVPATH=/%s", d->devpath);
        len = add_prop(props, len, sizeof(props), "SUBSYSTEM=pci");
        len = add_prop(props, len, sizeof(props), "SEQNUM=%llu", (unsigned long long) k->seqnum);
        len = add_prop(props, len, sizeof(props), "USEC_INITIALIZED=%llu",
                       (unsigned long long) now.tv_sec * 1000000ULL + (unsigned long long) now.tv_nsec / 1000);
        if (d->driver && !streq(action, "unbind") && !streq(action, "remove"))
                len = add_prop(props, len, sizeof(props), "DRIVER=%s", d->driver->name);
        len = add_prop(props, len, sizeof(props), "PCI_CLASS=%X", d->class_code);
        len = add_prop(props, len, sizeof(props), "PCI_ID=%04X:%04X", d->vendor, d->device);
        len = add_prop(props, len, sizeof(props), "PCI_SUBSYS_ID=%04X:%04X", d->subvendor, d->subdevice);
        len = add_prop(props, len, sizeof(props), "PCI_SLOT_NAME=%s", d->bdf);
        if (len >= sizeof(props))
                return;

        memcpy(h.prefix, "libudev", 8);
        h.magic = htobe32(UDEV_MONITOR_MAGIC);
        h.header_size = sizeof(h);
        h.properties_off = sizeof(h);
        h.properties_len = (unsigned) len;
        h.filter_subsystem_hash = htobe32(murmur2("pci", 3));

        struct iovec iov[2] = { { &h, sizeof(h) }, { props, len } };
        struct msghdr msg = { .msg_name = &dest, .msg_namelen = sizeof(dest), .msg_iov = iov, .msg_iovlen = 2 };
        if (sendmsg(k->uevent_fd, &msg, 0) < 0 && errno != ECONNREFUSED)
                fk_log(k, "uevent %s %s: send failed: %s", action, d->bdf, strerror(errno));
}
