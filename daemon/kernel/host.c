/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "log.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "sysfs.h"

extern char **environ;

HostKind host_detect(const char *sysfs_root, const char *proc_root) {
        _cleanup_free_ char *type = NULL, *caps = NULL;

        if (sysfs_read_string(sysfs_root, "hypervisor/type", &type) < 0 || !streq(type, "xen"))
                return HOST_BARE;
        /* Both dom0 and domUs see hypervisor/type = xen; only dom0's capabilities say control_d. Without xenfs
         * mounted there is nothing to read, and a domU is the safe guess. */
        if (sysfs_read_string(proc_root, "xen/capabilities", &caps) < 0)
                log_warning("Running on Xen, but %s/xen/capabilities is unreadable (is xenfs mounted?); "
                            "assuming a domU", proc_root);
        return caps && strstr(caps, "control_d") ? HOST_XEN_DOM0 : HOST_XEN_DOMU;
}

const char *host_kind_to_string(HostKind k) {
        switch (k) {
        case HOST_BARE: return "none";
        case HOST_XEN_DOM0: return "xen-dom0";
        case HOST_XEN_DOMU: return "xen-domu";
        }
        return "unknown";
}

const char *host_stub_driver(HostKind k) {
        return k == HOST_XEN_DOM0 ? "pciback" : "vfio-pci";
}

