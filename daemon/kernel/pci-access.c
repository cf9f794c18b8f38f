/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libpci's error callback must not return (it exits by default). A device vanishing mid-scan is normal for
 * us, so the callback jumps back to the guard around the call instead, and the call fails with -EIO. */
#include <errno.h>
#include <pci/pci.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "passthru/pt-macros.h"
#include "pci-access.h"

struct PciAccess {
        struct pci_access *pacc;
        char *sysfs_path;
        int lookup_flags;
};

static jmp_buf *guard;

_printf_(1, 2) __attribute__((noreturn))
static void on_pci_error(char *msg, ...) {
        char buf[512];
        va_list ap;
        va_start(ap, msg);
        vsnprintf(buf, sizeof(buf), msg, ap);
        va_end(ap);
        log_warning("libpci: %s", buf);
        if (guard)
                longjmp(*guard, 1);
        abort();
}

_printf_(1, 2)
static void on_pci_warning(char *msg, ...) {
        char buf[512];
        va_list ap;
        va_start(ap, msg);
        vsnprintf(buf, sizeof(buf), msg, ap);
        va_end(ap);
        log_debug("libpci: %s", buf);
}

_printf_(1, 2)
static void on_pci_debug(char *msg, ...) {
        (void) msg;
}

/* The one place that catches libpci's fatal errors; fn runs with the guard armed. */
static int guarded(void (*fn)(void *), void *arg) {
        jmp_buf jb;
        jmp_buf *volatile saved = guard;

        if (setjmp(jb) != 0) {
                guard = saved;
                return -EIO;
        }
        guard = &jb;
        fn(arg);
        guard = saved;
        return 0;
}

static void do_init(void *p) {
        pci_init(p);
}

static void do_init_and_scan(void *p) {
        pci_init(p);
        pci_scan_bus(p);
}

struct lookup_args {
        struct pci_access *pacc;
        char *buf;
        int size, flags, a1, a2, a3, a4;
        char *result;
};

static void do_lookup(void *p) {
        struct lookup_args *a = p;
        a->result = pci_lookup_name(a->pacc, a->buf, a->size, a->flags, a->a1, a->a2, a->a3, a->a4);
}

int pci_access_new(const char *sysfs_root, const char *ids_file, bool use_hwdb, PciAccess **ret) {
        _cleanup_(pci_access_freep) PciAccess *a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->sysfs_path = pt_path_join(sysfs_root, "bus/pci");
        if (!a->sysfs_path)
                return -ENOMEM;
        a->pacc = pci_alloc();
        if (!a->pacc)
                return -ENOMEM;
        a->pacc->error = on_pci_error;
        a->pacc->warning = on_pci_warning;
        a->pacc->debug = on_pci_debug;
        a->pacc->method = PCI_ACCESS_SYS_BUS_PCI;
        /* libpci must read the same tree the daemon writes to, never the host's /sys behind our back. */
        pci_set_param(a->pacc, "sysfs.path", a->sysfs_path);
        if (ids_file)
                pci_set_name_list_path(a->pacc, (char *) ids_file, 0);
        /* Names come from pci.ids. libpci 3.9's hwdb lookup of a subsystem matches the device's own entry (its
         * pattern ends in '*'), so an unknown subsystem would get the device's name (fixed in pciutils 3.12). */
        a->lookup_flags = PCI_LOOKUP_NO_NUMBERS | (use_hwdb ? 0 : PCI_LOOKUP_NO_HWDB);
        int r = guarded(do_init, a->pacc);
        if (r < 0) {
                pci_access_free(TAKE_PTR(a)); /* pci_cleanup is safe on a half-initialised access */
                return r;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

PciAccess *pci_access_free(PciAccess *a) {
        if (!a)
                return NULL;
        if (a->pacc)
                pci_cleanup(a->pacc);
        free(a->sysfs_path);
        free(a);
        return NULL;
}

static int cmp_addr(const void *x, const void *y) {
        return pt_address_compare(x, y);
}

int pci_access_scan(PciAccess *a, PtAddress **ret, size_t *n) {
        _cleanup_free_ PtAddress *list = NULL;
        size_t count = 0;
        struct pci_access *scan = pci_alloc();
        int r;

        if (!scan)
                return -ENOMEM;
        /* A fresh access each scan: libpci keeps the device list it found, and the bus changes. */
        scan->error = on_pci_error;
        scan->warning = on_pci_warning;
        scan->debug = on_pci_debug;
        scan->method = PCI_ACCESS_SYS_BUS_PCI;
        pci_set_param(scan, "sysfs.path", a->sysfs_path);
        r = guarded(do_init_and_scan, scan);
        if (r < 0) {
                pci_cleanup(scan);
                return r;
        }
        for (struct pci_dev *d = scan->devices; d; d = d->next)
                count++;
        list = calloc(count ? count : 1, sizeof(PtAddress));
        if (!list) {
                pci_cleanup(scan);
                return -ENOMEM;
        }
        count = 0;
        for (struct pci_dev *d = scan->devices; d; d = d->next)
                list[count++] = (PtAddress) { .domain = (uint32_t) d->domain, .bus = d->bus, .slot = d->dev,
                                              .function = d->func };
        pci_cleanup(scan);
        qsort(list, count, sizeof(PtAddress), cmp_addr);
        *ret = TAKE_PTR(list);
        *n = count;
        return 0;
}

static char *lookup(PciAccess *a, int flags, int a1, int a2, int a3, int a4) {
        char buf[256];
        struct lookup_args l = { .pacc = a->pacc, .buf = buf, .size = sizeof(buf),
                                 .flags = flags | a->lookup_flags, .a1 = a1, .a2 = a2, .a3 = a3, .a4 = a4 };
        if (guarded(do_lookup, &l) < 0 || !l.result)
                return NULL;
        return strdup(l.result);
}

char *pci_access_vendor_name(PciAccess *a, uint16_t vendor) {
        return lookup(a, PCI_LOOKUP_VENDOR, vendor, 0, 0, 0);
}

char *pci_access_device_name(PciAccess *a, uint16_t vendor, uint16_t device) {
        return lookup(a, PCI_LOOKUP_DEVICE, vendor, device, 0, 0);
}

char *pci_access_subsystem_name(PciAccess *a, uint16_t vendor, uint16_t device, uint16_t subvendor,
                                uint16_t subdevice) {
        return lookup(a, PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE, vendor, device, subvendor, subdevice);
}

void pci_access_drop_names(PciAccess *a) {
        pci_free_name_list(a->pacc);
        (void) malloc_trim(0);
}

char *pci_access_class_name(PciAccess *a, uint32_t class_code) {
        /* libpci names the subclass ("Ethernet controller"); when pci.ids knows only the base class it answers
         * "Base name [bbss]", whose code we drop (the class code is a field of its own). A base class pci.ids does
         * not know has no name. */
        char *n = lookup(a, PCI_LOOKUP_CLASS, (int) (class_code >> 8), 0, 0, 0);
        char suffix[16];
        snprintf(suffix, sizeof(suffix), " [%04x]", (unsigned) (class_code >> 8));
        size_t len = n ? strlen(n) : 0, slen = strlen(suffix);
        if (len > slen && streq(n + len - slen, suffix))
                n[len - slen] = 0;
        return n;
}
