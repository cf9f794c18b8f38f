/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "log.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "sysfs.h"

int host_detect(const char *sysfs_root, const char *proc_root, Host *ret) {
        _cleanup_free_ char *type = NULL, *caps = NULL;

        *ret = (Host) { .kind = HOST_BARE };
        if (sysfs_read_string(sysfs_root, "hypervisor/type", &type) < 0 || !streq(type, "xen"))
                return 0;
        /* Both dom0 and domUs see hypervisor/type = xen; only dom0's capabilities say control_d. Without xenfs
         * mounted there is nothing to read, and a domU is the safe guess. */
        if (sysfs_read_string(proc_root, "xen/capabilities", &caps) < 0)
                log_warning("Running on Xen, but %s/xen/capabilities is unreadable (is xenfs mounted?); "
                            "assuming a domU", proc_root);
        ret->kind = caps && strstr(caps, "control_d") ? HOST_XEN_DOM0 : HOST_XEN_DOMU;
        ret->xen_capabilities = TAKE_PTR(caps);
        return 0;
}

void host_done(Host *h) {
        free(h->xen_capabilities);
        *h = (Host) {};
}

const char *host_kind_to_string(HostKind k) {
        switch (k) {
        case HOST_BARE: return "none";
        case HOST_XEN_DOM0: return "xen-dom0";
        case HOST_XEN_DOMU: return "xen-domu";
        }
        return "unknown";
}

const char *host_stub_driver(const Host *h) {
        return h->kind == HOST_XEN_DOM0 ? "pciback" : "vfio-pci";
}
