/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The fake kernel: a PCI core stand-in for tests. A model of devices and drivers is rendered into a backing
 * directory shaped like /sys; a FUSE layer serves it and routes attribute writes back into the model, where they
 * take effect synchronously with the kernel's semantics and errors. */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "passthru/pt-address.h"

#define FK_MAX_IDS 16

typedef struct FkId {
        uint16_t vendor, device; /* 0xffff = any */
} FkId;

typedef struct FkDriver {
        char *name;
        char *module;
        FkId ids[FK_MAX_IDS];
        int n_ids;
        FkId dyn_ids[FK_MAX_IDS]; /* new_id */
        int n_dyn_ids;
        bool has_class;
        uint32_t class_code, class_mask;
        bool sriov;              /* supports sriov_configure */
        bool pciback;            /* xen-pciback: seizes only listed slots or overridden devices */
        bool unloaded;           /* its module is not loaded: no sysfs directory, binds nothing */
        char **slots;            /* pciback slot list */
        struct FkDriver *next;
} FkDriver;

typedef enum FkPresence {
        FK_PRESENT,
        FK_REMOVED,   /* sysfs remove: comes back on rescan */
        FK_UNPLUGGED, /* physically gone */
} FkPresence;

typedef struct FkDevice {
        PtAddress addr;
        char bdf[PT_ADDRESS_STRLEN];
        uint16_t vendor, device, subvendor, subdevice;
        uint32_t class_code;
        uint8_t revision;
        bool multifunction;
        int pcie_type;            /* -1: conventional PCI */
        bool flr, af_flr, pm, pm_no_soft_reset, acs;
        bool boot_vga;            /* the firmware's console: boot_vga reads 1 */
        char *block, *block_dev;  /* a disk on this controller: its name and MAJ:MIN */
        char *net;                /* a network interface on this NIC */
        bool has_serial;
        uint64_t serial;
        int sriov_total;          /* 0: no SR-IOV */
        uint16_t vf_device;
        int num_vfs;
        bool vfs_autoprobe;
        struct FkDevice *pf;
        int vf_index;
        int group;                /* -1: no IOMMU group */
        int numa_node;            /* -1: none (numa_node reads -1) */
        int vfio_dev;             /* its vfio-dev/vfioN while bound to a VFIO driver with cdev; -1: none */
        struct FkDevice *parent;  /* upstream bridge, NULL on a root bus */
        char *override;
        FkDriver *driver;
        FkDriver *initial_driver;
        char **reset_supported;   /* NULL: derive */
        char **reset_enabled;
        FkPresence presence;
        bool off_bus;
        bool off_bus_after_reset;        /* its next reset (a function reset or its bus's) leaves it off the bus */
        int reset_count;
        bool resetting;           /* a reset is under way (with a latency set) */
        /* What config-space writes change and a reset clears: the command register (-1: what binding a driver
         * sets), the first memory BAR of an endpoint, a bridge's Bridge Control register (bit 6 pulses a Secondary
         * Bus Reset of everything below it). */
        int command;
        uint32_t bar0;
        uint16_t bridge_control;
        char *devpath;            /* "devices/pci0000:00/0000:00:1c.0/0000:06:00.0" */
        struct FkDevice *next;
} FkDevice;

typedef struct FkInjection {
        char *path;               /* attribute path relative to the root */
        enum { FK_INJECT_ERRNO, FK_INJECT_BLOCK, FK_INJECT_CRASH_BEFORE, FK_INJECT_CRASH_AFTER } kind;
        int err;
        int remaining;            /* 0: every write */
        bool released;
        struct FkInjection *next;
} FkInjection;

typedef struct FkKernel {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        char *backing;            /* where the tree is rendered */
        FkDriver *drivers;
        FkDevice *devices;
        FkInjection *injections;
        char *hypervisor;         /* "xen" or NULL */
        char *iommu, *iommu_table; /* an IOMMU unit in class/iommu and its ACPI table (DMAR, IVRS), or NULL */
        int uevent_fd;            /* -1: no uevents */
        uint64_t seqnum;
        int next_group;
        bool vfio_cdev;           /* the kernel has VFIO cdev (6.6+): vfio-dev/vfioN under a VFIO-bound device */
        bool iommufd;             /* /dev/iommu is there: class/misc/iommu */
        int next_vfio_dev;
        FILE *log;                /* every write and what came of it */
        bool (*interrupted)(void); /* the writer gave up (signal): a blocked write returns */
        unsigned reset_latency_ms; /* how long a reset takes ("latency reset MS"; FLR is at least 100 ms) */
        unsigned bind_latency_ms;  /* how long a driver's probe takes ("latency bind MS") */
        unsigned resets_in_flight;
} FkKernel;

/* fk-topology.c */
int fk_topology_load(FkKernel *k, const char *path);
bool fk_driver_is_vfio(const FkDriver *drv);
int fk_device_parse_line(FkKernel *k, const char *line, FkDevice **ret, char **error);

/* fk-render.c */
int fk_render_all(FkKernel *k);
int fk_render_device(FkKernel *k, FkDevice *d);
int fk_render_device_attrs(FkKernel *k, FkDevice *d);
int fk_render_vf_links(FkKernel *k, FkDevice *d);
int fk_unrender_device(FkKernel *k, FkDevice *d);
int fk_render_driver(FkKernel *k, FkDriver *drv);
int fk_render_config(FkKernel *k, FkDevice *d);
int fk_write_file(FkKernel *k, const char *path, const char *content);
int fk_symlink(FkKernel *k, const char *target, const char *link);
char *fk_device_path(FkDevice *d, const char *attr);

/* fk-model.c: the kernel semantics. Called with k->lock held. */
FkDevice *fk_find_device(FkKernel *k, const char *bdf);
FkDriver *fk_find_driver(FkKernel *k, const char *name);
int fk_attr_write(FkKernel *k, const char *path, const char *value, pid_t writer);
/* A write to a device's config file at an offset (setpci, or passthrud's secondary bus reset). */
int fk_config_write(FkKernel *k, const char *path, const uint8_t *data, size_t size, off_t off, pid_t writer);
int fk_device_add(FkKernel *k, FkDevice *d, bool probe);
int fk_device_probe(FkKernel *k, FkDevice *d);
int fk_device_remove(FkKernel *k, FkDevice *d, FkPresence why);
int fk_rescan(FkKernel *k);
void fk_derive_reset_methods(FkKernel *k, FkDevice *d);
int fk_ctl(FkKernel *k, const char *command);

/* fk-uevent.c */
int fk_uevent_open(FkKernel *k);
void fk_uevent_send(FkKernel *k, FkDevice *d, const char *action);

void fk_log(FkKernel *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
