/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PCI core's sysfs semantics, as drivers/pci and drivers/base implement them: driver matching with
 * driver_override and dynamic ids, bind/unbind/drivers_probe, remove/rescan (a rescanned device loses its
 * driver_override), reset and reset_method, sriov_numvfs, and pciback's slot list. Errors are the kernel's. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fk.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"

void fk_log(FkKernel *k, const char *fmt, ...) {
        va_list ap;
        if (!k->log)
                return;
        va_start(ap, fmt);
        vfprintf(k->log, fmt, ap);
        va_end(ap);
        fputc('\n', k->log);
        fflush(k->log);
}

FkDevice *fk_find_device(FkKernel *k, const char *bdf) {
        PtAddress a;
        if (pt_address_parse_bdf(bdf, &a, NULL) < 0)
                return NULL;
        for (FkDevice *d = k->devices; d; d = d->next)
                if (pt_address_equal(&d->addr, &a))
                        return d;
        return NULL;
}

/* What sysfs' bus_find_device_by_name() does: an exact name, a trailing newline ignored. */
static FkDevice *find_present_exact(FkKernel *k, const char *name) {
        for (FkDevice *d = k->devices; d; d = d->next)
                if (d->presence == FK_PRESENT && streq(d->bdf, name))
                        return d;
        return NULL;
}

/* vfio-pci and the VFIO variant drivers (mlx5_vfio_pci, virtio_vfio_pci, ...). */
bool fk_driver_is_vfio(const FkDriver *drv) {
        size_t n = strlen(drv->name);
        return streq(drv->name, "vfio-pci") || (n > 9 && streq(drv->name + n - 9, "_vfio_pci"));
}

FkDriver *fk_find_driver(FkKernel *k, const char *name) {
        for (FkDriver *drv = k->drivers; drv; drv = drv->next)
                if (streq(drv->name, name))
                        return drv;
        return NULL;
}

static bool id_matches(const FkId *id, const FkDevice *d) {
        return (id->vendor == 0xffff || id->vendor == d->vendor) && (id->device == 0xffff || id->device == d->device);
}

/* pci_match_device(): driver_override wins outright; otherwise dynamic ids, the static table, the class. */
static bool driver_matches(const FkDriver *drv, const FkDevice *d) {
        if (d->override)
                return streq(d->override, drv->name);
        if (drv->pciback)
                return pt_strv_contains(drv->slots, d->bdf);
        for (int i = 0; i < drv->n_dyn_ids; i++)
                if (id_matches(&drv->dyn_ids[i], d))
                        return true;
        for (int i = 0; i < drv->n_ids; i++)
                if (id_matches(&drv->ids[i], d))
                        return true;
        return drv->has_class && (d->class_code & drv->class_mask) == (drv->class_code & drv->class_mask);
}

static struct timespec deadline_in(int ms);

/* Time a real device takes, with the kernel's lock released as a sleeping writer releases the CPU: only this
 * writer waits, other writes go on. (k->cond waits on CLOCK_REALTIME, as deadline_in counts.) */
static void take_time(FkKernel *k, unsigned ms) {
        struct timespec end = deadline_in((int) ms), now;
        for (;;) {
                clock_gettime(CLOCK_REALTIME, &now);
                if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
                        return;
                pthread_cond_timedwait(&k->cond, &k->lock, &end);
        }
}

static int bind(FkKernel *k, FkDevice *d, FkDriver *drv) {
        if (k->bind_latency_ms > 0)
                take_time(k, k->bind_latency_ms);
        d->driver = drv;
        d->command = -1; /* what its probe enables */
        /* vfio_pci_core registers a VFIO device: with cdev, its node is vfio-dev/vfioN (N from an IDA). */
        if (k->vfio_cdev && fk_driver_is_vfio(drv))
                d->vfio_dev = k->next_vfio_dev++;
        int r = fk_render_device_attrs(k, d);
        fk_uevent_send(k, d, "bind");
        fk_log(k, "bind %s %s", d->bdf, drv->name);
        return r;
}

static int unbind(FkKernel *k, FkDevice *d) {
        _cleanup_free_ char *back = NULL;
        if (!d->driver)
                return 0;
        if (asprintf(&back, "%s/bus/pci/drivers/%s/%s", k->backing, d->driver->name, d->bdf) < 0)
                return -ENOMEM;
        (void) unlink(back);
        fk_log(k, "unbind %s %s", d->bdf, d->driver->name);
        /* A PF driver's remove() disables SR-IOV (pci_disable_sriov): its VFs go with it. */
        if (d->driver->sriov && d->num_vfs > 0) {
                for (FkDevice *x = k->devices; x; x = x->next)
                        if (x->pf == d && x->presence == FK_PRESENT)
                                (void) fk_device_remove(k, x, FK_UNPLUGGED);
                d->num_vfs = 0;
        }
        d->driver = NULL;
        d->vfio_dev = -1;
        int r = fk_render_device_attrs(k, d);
        fk_uevent_send(k, d, "unbind");
        return r;
}

int fk_device_probe(FkKernel *k, FkDevice *d) {
        if (d->presence != FK_PRESENT || d->driver)
                return 0;
        for (FkDriver *drv = k->drivers; drv; drv = drv->next)
                if (!drv->unloaded && driver_matches(drv, d))
                        return bind(k, d, drv);
        return 0;
}

/* modprobe: the driver registers and, like driver_register(), binds every unbound device it matches. */
static int load_driver(FkKernel *k, const char *name) {
        _cleanup_free_ char *module = strdup(name); /* modprobe treats - and _ alike */
        if (!module)
                return -ENOMEM;
        for (char *c = module; *c; c++)
                if (*c == '-')
                        *c = '_';
        for (FkDriver *drv = k->drivers; drv; drv = drv->next) {
                if (!streq(drv->name, name) && !streq(drv->module, module))
                        continue;
                if (!drv->unloaded)
                        return 0;
                drv->unloaded = false;
                fk_log(k, "load %s", drv->name);
                int r = fk_render_driver(k, drv);
                for (FkDevice *d = k->devices; r >= 0 && d; d = d->next)
                        if (d->presence == FK_PRESENT && !d->driver && driver_matches(drv, d))
                                r = bind(k, d, drv);
                return r;
        }
        return -ENOENT;
}

static FkDevice *bus_sibling(FkKernel *k, FkDevice *d) {
        for (FkDevice *x = k->devices; x; x = x->next)
                if (x != d && x->presence == FK_PRESENT && x->addr.domain == d->addr.domain &&
                    x->addr.bus == d->addr.bus)
                        return x;
        return NULL;
}

/* What pci_init_reset_methods() probes; like the kernel, computed once when the device appears. */
void fk_derive_reset_methods(FkKernel *k, FkDevice *d) {
        if (!d->reset_supported) {
                char **l = calloc(1, sizeof(char *));
                if (!l)
                        return;
                if (d->flr)
                        (void) pt_strv_push(&l, strdup("flr"));
                if (d->af_flr)
                        (void) pt_strv_push(&l, strdup("af_flr"));
                if (d->pm && !d->pm_no_soft_reset)
                        (void) pt_strv_push(&l, strdup("pm"));
                /* pci_parent_bus_reset(): only for the sole device on a bus below a bridge. */
                if (d->parent && !d->pf && !bus_sibling(k, d) && (d->class_code >> 8) != 0x0604)
                        (void) pt_strv_push(&l, strdup("bus"));
                d->reset_supported = l;
        }
        pt_strv_free(d->reset_enabled);
        d->reset_enabled = calloc(1, sizeof(char *));
        for (char **m = d->reset_supported; m && *m; m++)
                (void) pt_strv_push(&d->reset_enabled, strdup(*m));
}

static int create_vfs(FkKernel *k, FkDevice *pf, int n);

int fk_device_add(FkKernel *k, FkDevice *d, bool probe) {
        int r;

        d->presence = FK_PRESENT;
        d->driver = NULL;
        fk_derive_reset_methods(k, d);
        r = fk_render_device(k, d);
        if (r < 0)
                return r;
        fk_uevent_send(k, d, "add");
        fk_log(k, "add %s", d->bdf);
        if (d->pf) {
                r = fk_render_vf_links(k, d);
                if (r < 0)
                        return r;
        }
        if (!probe && d->initial_driver)
                r = bind(k, d, d->initial_driver);
        else if (probe)
                r = fk_device_probe(k, d);
        if (r >= 0 && d->num_vfs > 0 && d->sriov_total > 0) {
                int n = d->num_vfs;
                d->num_vfs = 0;
                r = create_vfs(k, d, n);
        }
        return r;
}

int fk_device_remove(FkKernel *k, FkDevice *d, FkPresence why) {
        if (d->presence != FK_PRESENT)
                return 0;
        /* Children and VFs go first, as pci_stop_and_remove_bus_device() walks the subtree bottom-up. */
        for (FkDevice *x = k->devices; x; x = x->next)
                if (x->parent == d || x->pf == d)
                        (void) fk_device_remove(k, x, x->pf ? FK_UNPLUGGED : why);
        (void) unbind(k, d);
        fk_uevent_send(k, d, "remove");
        fk_log(k, "remove %s", d->bdf);
        (void) fk_unrender_device(k, d);
        d->presence = why;
        free(d->override);
        d->override = NULL; /* a rescan creates a new pci_dev: driver_override is gone */
        d->off_bus = false;
        return 0;
}

int fk_rescan(FkKernel *k) {
        for (FkDevice *d = k->devices; d; d = d->next) {
                if (d->presence != FK_REMOVED || d->pf)
                        continue;
                if (d->parent && d->parent->presence != FK_PRESENT)
                        continue;
                d->num_vfs = 0;
                int r = fk_device_add(k, d, true);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int create_vfs(FkKernel *k, FkDevice *pf, int n) {
        uint32_t pf_rid = ((uint32_t) pf->addr.bus << 8) | ((uint32_t) pf->addr.slot << 3) | pf->addr.function;

        for (int i = 0; i < n; i++) {
                uint32_t rid = pf_rid + 1 + (uint32_t) i;
                PtAddress a = { .domain = pf->addr.domain, .bus = (uint8_t) (rid >> 8), .slot = (rid >> 3) & 0x1f,
                                .function = rid & 7 };
                char bdf[PT_ADDRESS_STRLEN];
                FkDevice *vf = fk_find_device(k, pt_address_format(&a, bdf));

                if (vf && !vf->pf)
                        return -EBUSY; /* the VF's routing ID is taken by a real device */
                if (!vf) {
                        vf = calloc(1, sizeof(*vf));
                        if (!vf)
                                return -ENOMEM;
                        *vf = (FkDevice) { .addr = a, .vendor = pf->vendor, .device = pf->vf_device,
                                           .subvendor = pf->subvendor, .subdevice = pf->subdevice,
                                           .class_code = pf->class_code, .pcie_type = 0, .flr = true, .pf = pf,
                                           .vf_index = i, .group = k->next_group++, .parent = pf->parent,
                                           .numa_node = pf->numa_node, .vfio_dev = -1, .command = -1 };
                        memcpy(vf->bdf, bdf, sizeof(bdf));
                        FkDevice **tail = &k->devices;
                        while (*tail)
                                tail = &(*tail)->next;
                        *tail = vf;
                }
                vf->presence = FK_REMOVED;
                int r = fk_device_add(k, vf, pf->vfs_autoprobe);
                if (r < 0)
                        return r;
                pf->num_vfs = i + 1;
        }
        return fk_render_device_attrs(k, pf);
}

static int write_sriov_numvfs(FkKernel *k, FkDevice *d, const char *v) {
        char *end;
        int r;
        long n = strtol(v, &end, 10);
        if (end == v || n < 0)
                return -EINVAL;
        if (d->sriov_total == 0)
                return -EACCES;
        if (n > d->sriov_total)
                return -ERANGE;
        if (n == d->num_vfs)
                return 0;
        if (!d->driver || !d->driver->sriov)
                return -ENOENT; /* "Driver does not support SRIOV configuration via sysfs" */
        if (n != 0 && d->num_vfs != 0)
                return -EBUSY;
        if (n == 0) {
                for (FkDevice *x = k->devices; x; x = x->next)
                        if (x->pf == d)
                                (void) fk_device_remove(k, x, FK_UNPLUGGED);
                d->num_vfs = 0;
                r = fk_render_device_attrs(k, d);
        } else
                r = create_vfs(k, d, (int) n);
        /* sriov_numvfs_store() tells userspace with a change event on the PF. */
        fk_uevent_send(k, d, "change");
        return r;
}

static bool reset_method_known(const char *m) {
        static const char *const known[] = { "device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus" };
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (streq(known[i], m))
                        return true;
        return false;
}

/* reset_method_store(): "default" restores the probed list, empty disables, otherwise an ordered subset. */
static int write_reset_method(FkKernel *k, FkDevice *d, const char *v) {
        _cleanup_strv_free_ char **want = NULL;

        if (pt_strv_split(v, " \n", &want) < 0)
                return -ENOMEM;
        if (want[0] && streq(want[0], "default") && !want[1]) {
                fk_derive_reset_methods(k, d);
                return fk_render_device_attrs(k, d);
        }
        for (char **m = want; *m; m++)
                if (!reset_method_known(*m) || !pt_strv_contains(d->reset_supported, *m))
                        return -EINVAL;
        pt_strv_free(d->reset_enabled);
        d->reset_enabled = TAKE_PTR(want);
        return fk_render_device_attrs(k, d);
}

static int write_reset(FkKernel *k, FkDevice *d, const char *v) {
        if (!streq(v, "1"))
                return -EINVAL;
        if (pt_strv_length(d->reset_enabled) == 0)
                return -ENOTTY;
        if (d->off_bus)
                return -ENOTTY; /* pci_dev_wait() gives up on a device that never answers */
        d->reset_count++;
        fk_log(k, "reset %s %s", d->bdf, d->reset_enabled[0]);
        if (k->reset_latency_ms > 0) {
                /* Two resets at once within one slot or IOMMU group is what passthrud must never do: logged. */
                for (FkDevice *x = k->devices; x; x = x->next)
                        if (x != d && x->resetting &&
                            ((x->addr.domain == d->addr.domain && x->addr.bus == d->addr.bus &&
                              x->addr.slot == d->addr.slot) || (d->group >= 0 && x->group == d->group)))
                                fk_log(k, "overlap %s %s", d->bdf, x->bdf);
                d->resetting = true;
                k->resets_in_flight++;
                fk_log(k, "reset-begin %s in-flight=%u", d->bdf, k->resets_in_flight);
                take_time(k, k->reset_latency_ms);
                k->resets_in_flight--;
                d->resetting = false;
                fk_log(k, "reset-end %s", d->bdf);
        }
        if (d->off_bus_after_reset) {
                d->off_bus = true;
                d->off_bus_after_reset = false;
                fk_log(k, "offbus %s", d->bdf);
        }
        return fk_render_config(k, d);
}

static int apply_injections(FkKernel *k, const char *path, pid_t writer, bool *crash_after);

static bool below(const FkDevice *x, const FkDevice *bridge) {
        for (const FkDevice *p = x->parent; p; p = p->parent)
                if (p == bridge)
                        return true;
        return false;
}

/* Secondary Bus Reset: every function below the bridge goes back to its power-on config (command 0, BARs
 * unassigned); one set to die on its next reset stops answering. */
static int secondary_bus_reset(FkKernel *k, FkDevice *bridge) {
        for (FkDevice *x = k->devices; x; x = x->next) {
                if (x->presence != FK_PRESENT || !below(x, bridge))
                        continue;
                x->command = 0;
                x->bar0 = 0;
                x->bridge_control = 0;
                x->reset_count++;
                fk_log(k, "sbr %s %s", bridge->bdf, x->bdf);
                if (x->off_bus_after_reset) {
                        x->off_bus = true;
                        x->off_bus_after_reset = false;
                        fk_log(k, "offbus %s", x->bdf);
                }
                int r = fk_render_config(k, x);
                if (r < 0)
                        return r;
        }
        return 0;
}

int fk_config_write(FkKernel *k, const char *path, const uint8_t *data, size_t size, off_t off, pid_t writer) {
        _cleanup_free_ char *dir = strndup(path, strlen(path) - strlen("/config"));
        bool crash_after = false;
        if (!dir)
                return -ENOMEM;
        int r = apply_injections(k, path, writer, &crash_after);
        if (r <= 0)
                return r;
        FkDevice *d = NULL;
        for (FkDevice *x = k->devices; x && !d; x = x->next)
                if (x->presence == FK_PRESENT && x->devpath && streq(x->devpath, dir))
                        d = x;
        if (!d)
                return -ENODEV;
        if (d->off_bus)
                return (int) size; /* a write to a device that does not answer goes nowhere */
        bool bridge = (d->class_code >> 8) == 0x0604 || (d->class_code >> 8) == 0x0607;
        uint16_t old_control = d->bridge_control;
        for (size_t i = 0; i < size; i++) {
                size_t at = (size_t) off + i;
                uint8_t v = data[i];
                if (at == 0x04 || at == 0x05) {
                        uint16_t cmd = (uint16_t) (d->command >= 0 ? d->command : d->driver ? 0x0406 : 0);
                        cmd = at == 0x04 ? (uint16_t) ((cmd & 0xff00) | v) : (uint16_t) ((cmd & 0x00ff) | (v << 8));
                        d->command = cmd;
                } else if (!bridge && at >= 0x10 && at < 0x14) {
                        unsigned shift = (unsigned) (at - 0x10) * 8;
                        d->bar0 = (d->bar0 & ~(0xffu << shift)) | ((uint32_t) v << shift);
                } else if (bridge && (at == 0x3e || at == 0x3f)) {
                        unsigned shift = (unsigned) (at - 0x3e) * 8;
                        d->bridge_control = (uint16_t) ((d->bridge_control & ~(0xffu << shift)) | ((unsigned) v << shift));
                }
        }
        fk_log(k, "config %s @0x%llx %zu bytes pid=%d", d->bdf, (unsigned long long) off, size, (int) writer);
        if (bridge && !(old_control & 0x40) && (d->bridge_control & 0x40) && (r = secondary_bus_reset(k, d)) < 0)
                return r;
        r = fk_render_config(k, d);
        if (crash_after) {
                fk_log(k, "crash %s pid=%d after", path, (int) writer);
                kill(writer, SIGKILL);
        }
        return r < 0 ? r : (int) size;
}

static int write_driver_attr(FkKernel *k, FkDriver *drv, const char *attr, const char *v) {
        if (streq(attr, "bind")) {
                FkDevice *d = find_present_exact(k, v);
                if (!d || !driver_matches(drv, d))
                        return -ENODEV;
                if (d->driver)
                        return -EBUSY;
                return bind(k, d, drv);
        }
        if (streq(attr, "unbind")) {
                FkDevice *d = find_present_exact(k, v);
                if (!d || d->driver != drv)
                        return -ENODEV;
                return unbind(k, d);
        }
        if (streq(attr, "new_id") || streq(attr, "remove_id")) {
                unsigned vendor, device;
                if (sscanf(v, "%x %x", &vendor, &device) != 2)
                        return -EINVAL;
                FkId id = { (uint16_t) vendor, (uint16_t) device };
                int found = -1;
                for (int i = 0; i < drv->n_dyn_ids; i++)
                        if (drv->dyn_ids[i].vendor == id.vendor && drv->dyn_ids[i].device == id.device)
                                found = i;
                if (streq(attr, "remove_id")) {
                        if (found < 0)
                                return -ENODEV;
                        drv->dyn_ids[found] = drv->dyn_ids[--drv->n_dyn_ids];
                        return 0;
                }
                if (found >= 0)
                        return -EEXIST;
                if (drv->n_dyn_ids >= FK_MAX_IDS)
                        return -ENOSPC;
                drv->dyn_ids[drv->n_dyn_ids++] = id;
                /* driver_attach(): every unbound device the new id matches is probed. */
                for (FkDevice *d = k->devices; d; d = d->next)
                        if (d->presence == FK_PRESENT && !d->driver && driver_matches(drv, d))
                                (void) bind(k, d, drv);
                return 0;
        }
        if (drv->pciback && (streq(attr, "new_slot") || streq(attr, "remove_slot"))) {
                PtAddress a;
                char bdf[PT_ADDRESS_STRLEN];
                if (pt_address_parse_bdf(v, &a, NULL) < 0)
                        return -EINVAL;
                pt_address_format(&a, bdf);
                if (streq(attr, "new_slot")) {
                        if (!pt_strv_contains(drv->slots, bdf))
                                (void) pt_strv_push(&drv->slots, strdup(bdf));
                } else {
                        size_t n = pt_strv_length(drv->slots), j = 0;
                        bool found = false;
                        for (size_t i = 0; i < n; i++) {
                                if (streq(drv->slots[i], bdf)) {
                                        free(drv->slots[i]);
                                        found = true;
                                } else
                                        drv->slots[j++] = drv->slots[i];
                        }
                        if (drv->slots)
                                drv->slots[j] = NULL;
                        if (!found)
                                return -ENOENT;
                }
                return fk_render_driver(k, drv);
        }
        if (drv->pciback && streq(attr, "permissive")) {
                FkDevice *d = find_present_exact(k, v);
                return d && d->driver == drv ? 0 : -ENXIO;
        }
        return -EACCES;
}

static FkDevice *device_by_dir(FkKernel *k, const char *dir) {
        for (FkDevice *d = k->devices; d; d = d->next)
                if (d->presence == FK_PRESENT && d->devpath && streq(d->devpath, dir))
                        return d;
        return NULL;
}

/* Component-aligned suffix match, so "0000:06:00.0/reset" names the attribute wherever the device sits. */
static bool path_matches(const char *path, const char *pattern) {
        size_t lp = strlen(path), lq = strlen(pattern);
        if (lq > lp || strcmp(path + lp - lq, pattern) != 0)
                return false;
        return lq == lp || path[lp - lq - 1] == '/';
}

static struct timespec deadline_in(int ms) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_sec += ms / 1000;
        t.tv_nsec += (long) (ms % 1000) * 1000000L;
        if (t.tv_nsec >= 1000000000L) {
                t.tv_sec++;
                t.tv_nsec -= 1000000000L;
        }
        return t;
}

/* Returns 1 to go on with the write, or a negative errno the write returns instead. */
static int apply_injections(FkKernel *k, const char *path, pid_t writer, bool *crash_after) {
        for (FkInjection *in = k->injections; in; in = in->next) {
                if (!path_matches(path, in->path))
                        continue;
                switch (in->kind) {
                case FK_INJECT_ERRNO:
                        if (in->remaining > 0 && --in->remaining == 0)
                                in->path[0] = 0; /* used up: matches nothing from now on */
                        fk_log(k, "inject %s errno=%d", path, in->err);
                        return -in->err;
                case FK_INJECT_BLOCK: {
                        fk_log(k, "block %s", path);
                        /* Like a driver's remove() waiting for its users: only this writer waits. */
                        for (int waited = 0; !in->released && waited < 120000; waited += 50) {
                                struct timespec t = deadline_in(50);
                                pthread_cond_timedwait(&k->cond, &k->lock, &t);
                                if (k->interrupted && k->interrupted()) {
                                        fk_log(k, "interrupted %s", path);
                                        return -EINTR;
                                }
                        }
                        fk_log(k, "unblock %s", path);
                        break;
                }
                case FK_INJECT_CRASH_BEFORE:
                        in->path[0] = 0;
                        fk_log(k, "crash %s pid=%d before", path, (int) writer);
                        kill(writer, SIGKILL);
                        return -EINTR;
                case FK_INJECT_CRASH_AFTER:
                        in->path[0] = 0;
                        *crash_after = true;
                        break;
                }
        }
        return 1;
}

int fk_attr_write(FkKernel *k, const char *path, const char *raw, pid_t writer) {
        _cleanup_free_ char *v = strdup(raw), *dir = NULL;
        bool crash_after = false;
        int r;

        if (!v)
                return -ENOMEM;
        /* sysfs_streq(): one trailing newline does not count. */
        size_t n = strlen(v);
        if (n > 0 && v[n - 1] == '\n')
                v[n - 1] = 0;

        if (streq(path, "fakekernel/ctl"))
                return fk_ctl(k, v);

        r = apply_injections(k, path, writer, &crash_after);
        if (r <= 0) {
                fk_log(k, "write %s \"%s\" pid=%d -> %d", path, v, (int) writer, r);
                return r;
        }

        const char *slash = strrchr(path, '/');
        const char *attr = slash ? slash + 1 : path;
        dir = slash ? strndup(path, (size_t) (slash - path)) : strdup("");
        if (!dir)
                return -ENOMEM;

        if (streq(path, "bus/pci/drivers_probe")) {
                FkDevice *d = find_present_exact(k, v);
                r = d ? fk_device_probe(k, d) : -ENODEV;
        } else if (streq(path, "bus/pci/rescan"))
                r = streq(v, "1") ? fk_rescan(k) : -EINVAL;
        else if (strncmp(path, "bus/pci/drivers/", 16) == 0) {
                _cleanup_free_ char *name = strndup(path + 16, strcspn(path + 16, "/"));
                FkDriver *drv = name ? fk_find_driver(k, name) : NULL;
                r = drv && !drv->unloaded ? write_driver_attr(k, drv, attr, v) : -ENOENT;
        } else {
                FkDevice *d = device_by_dir(k, dir);
                if (!d)
                        r = -EACCES;
                else if (streq(attr, "driver_override")) {
                        free(d->override);
                        d->override = isempty(v) ? NULL : strdup(v);
                        r = fk_render_device_attrs(k, d);
                } else if (streq(attr, "remove"))
                        r = streq(v, "1") ? fk_device_remove(k, d, FK_REMOVED) : -EINVAL;
                else if (streq(attr, "rescan"))
                        r = streq(v, "1") ? fk_rescan(k) : -EINVAL;
                else if (streq(attr, "reset"))
                        r = write_reset(k, d, v);
                else if (streq(attr, "reset_method"))
                        r = write_reset_method(k, d, v);
                else if (streq(attr, "sriov_numvfs"))
                        r = write_sriov_numvfs(k, d, v);
                else if (streq(attr, "sriov_drivers_autoprobe")) {
                        d->vfs_autoprobe = streq(v, "1");
                        r = fk_render_device_attrs(k, d);
                } else
                        r = -EACCES; /* read-only attribute */
        }
        fk_log(k, "write %s \"%s\" pid=%d -> %d", path, v, (int) writer, r);

        if (crash_after) {
                fk_log(k, "crash %s pid=%d after", path, (int) writer);
                kill(writer, SIGKILL);
        }
        return r;
}

static int parse_errno(const char *s) {
        static const struct { const char *n; int e; } names[] = {
                { "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EIO", EIO }, { "ENXIO", ENXIO }, { "EAGAIN", EAGAIN },
                { "ENOMEM", ENOMEM }, { "EACCES", EACCES }, { "EBUSY", EBUSY }, { "EEXIST", EEXIST },
                { "ENODEV", ENODEV }, { "EINVAL", EINVAL }, { "ENOSPC", ENOSPC }, { "ENOTTY", ENOTTY },
                { "ETIMEDOUT", ETIMEDOUT }, { "ERANGE", ERANGE },
        };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(names[i].n, s))
                        return names[i].e;
        int e = atoi(s);
        return e > 0 ? e : -EINVAL;
}

static int add_injection(FkKernel *k, const char *path, int kind, int err, int count) {
        FkInjection *in = calloc(1, sizeof(*in));
        if (!in)
                return -ENOMEM;
        in->path = strdup(path);
        in->kind = kind;
        in->err = err;
        in->remaining = count;
        in->next = k->injections;
        k->injections = in;
        return 0;
}

/* The test's side door: injections and hardware events that no sysfs write can cause. */
int fk_ctl(FkKernel *k, const char *command) {
        _cleanup_strv_free_ char **w = NULL;
        size_t n;

        if (pt_strv_split(command, " \t\n", &w) < 0)
                return -ENOMEM;
        n = pt_strv_length(w);
        fk_log(k, "ctl %s", command);
        if (n == 0)
                return -EINVAL;

        if (streq(w[0], "fail") && (n == 3 || n == 4)) {
                int e = parse_errno(w[2]);
                if (e < 0)
                        return -EINVAL;
                return add_injection(k, w[1], FK_INJECT_ERRNO, e, n == 4 ? atoi(w[3]) : 1);
        }
        if (streq(w[0], "latency") && n == 3 && (streq(w[1], "reset") || streq(w[1], "bind"))) {
                unsigned ms = (unsigned) strtoul(w[2], NULL, 10);
                *(streq(w[1], "reset") ? &k->reset_latency_ms : &k->bind_latency_ms) = ms;
                return 0;
        }
        if (streq(w[0], "block") && n == 2)
                return add_injection(k, w[1], FK_INJECT_BLOCK, 0, 0);
        if (streq(w[0], "release") && n == 2) {
                for (FkInjection *in = k->injections; in; in = in->next)
                        if (in->kind == FK_INJECT_BLOCK && streq(in->path, w[1])) {
                                in->released = true;
                                in->path[0] = 0;
                        }
                pthread_cond_broadcast(&k->cond);
                return 0;
        }
        if (streq(w[0], "crash") && (n == 2 || n == 3)) {
                bool before = n == 3 && streq(w[2], "before");
                return add_injection(k, w[1], before ? FK_INJECT_CRASH_BEFORE : FK_INJECT_CRASH_AFTER, 0, 1);
        }
        if (streq(w[0], "clear") && n == 1) {
                for (FkInjection *in = k->injections; in; in = in->next) {
                        in->released = true;
                        in->path[0] = 0;
                }
                pthread_cond_broadcast(&k->cond);
                return 0;
        }
        if ((streq(w[0], "offbus") || streq(w[0], "offbus-after-reset") || streq(w[0], "onbus")) && n == 2) {
                FkDevice *d = fk_find_device(k, w[1]);
                if (!d || d->presence != FK_PRESENT)
                        return -ENODEV;
                if (streq(w[0], "offbus-after-reset")) {
                        d->off_bus_after_reset = true;
                        return 0;
                }
                d->off_bus = streq(w[0], "offbus");
                return fk_render_config(k, d);
        }
        if (streq(w[0], "add") && n >= 2) {
                _cleanup_free_ char *error = NULL;
                FkDevice *d = NULL;
                const char *line = strstr(command, "add") + 3;
                FkDevice *existing = fk_find_device(k, w[1]);
                if (existing) {
                        if (existing->presence == FK_PRESENT)
                                return -EEXIST;
                        /* "add BDF": the same card back in its slot. */
                        if (n == 2)
                                return fk_device_add(k, existing, true);
                        /* "add BDF id=...": other hardware in that slot now; the old model leaves the list. */
                        for (FkDevice **p = &k->devices; *p; p = &(*p)->next)
                                if (*p == existing) {
                                        *p = existing->next;
                                        break;
                                }
                }
                int r = fk_device_parse_line(k, line, &d, &error);
                if (r < 0) {
                        fk_log(k, "ctl add: %s", error ? error : "parse error");
                        return r;
                }
                if (d->group < 0 && d->group != -1)
                        d->group = k->next_group++;
                FkDevice **tail = &k->devices;
                while (*tail)
                        tail = &(*tail)->next;
                *tail = d;
                if (d->group >= k->next_group)
                        k->next_group = d->group + 1;
                return fk_device_add(k, d, true);
        }
        if (streq(w[0], "unplug") && n == 2) {
                FkDevice *d = fk_find_device(k, w[1]);
                if (!d || d->presence != FK_PRESENT)
                        return -ENODEV;
                return fk_device_remove(k, d, FK_UNPLUGGED);
        }
        if (streq(w[0], "load") && n == 2)
                return load_driver(k, w[1]);
        if (streq(w[0], "uevent") && (n == 3 || n == 4)) {
                FkDevice *d = fk_find_device(k, w[1]);
                if (!d || d->presence != FK_PRESENT)
                        return -ENODEV;
                long count = n == 4 ? atol(w[3]) : 1;
                for (long i = 0; i < count; i++)
                        fk_uevent_send(k, d, w[2]);
                return 0;
        }
        return -EINVAL;
}
