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

int host_xen_iommu(const char *xl) {
        /* Asked once at start, before the bus: an xl that hangs (no xenstored) must not keep passthrud from
         * coming up, so it gets a few seconds. */
        char *argv[] = { (char *) xl, (char *) "info", NULL };
        int fds[2];
        pid_t pid;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        int r = posix_spawnp(&pid, xl, &actions, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        close(fds[1]);
        if (r != 0) {
                close(fds[0]);
                return -r;
        }
        char buf[16384];
        size_t len = 0;
        struct pollfd p = { .fd = fds[0], .events = POLLIN };
        while (len < sizeof(buf) - 1 && poll(&p, 1, 5000) > 0) {
                ssize_t k = read(fds[0], buf + len, sizeof(buf) - 1 - len);
                if (k <= 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = 0;
        close(fds[0]);
        kill(pid, SIGKILL); /* gone already, unless it hung */
        int status;
        (void) waitpid(pid, &status, 0);
        const char *caps = strstr(buf, "virt_caps");
        if (!caps)
                return -ENODATA;
        size_t eol = strcspn(caps, "\n");
        return memmem(caps, eol, "directio", 8) ? 1 : 0;
}
