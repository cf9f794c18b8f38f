/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "passthru/pt-macros.h"
#include "process.h"
#include "pt-util.h"
#include "sysfs.h"

int process_start_time(const char *proc_root, pid_t pid, uint64_t *ret) {
        char rel[64];
        _cleanup_free_ char *stat = NULL;
        snprintf(rel, sizeof(rel), "%d/stat", (int) pid);
        _cleanup_free_ char *path = pt_path_join(proc_root, rel);
        if (!path)
                return -ENOMEM;
        if (sysfs_read_string("/", path, &stat) < 0)
                return -ESRCH;
        /* The name can hold spaces and parentheses: fields count from the last ')'. */
        const char *p = strrchr(stat, ')');
        if (!p)
                return -EIO;
        p++;
        for (int field = 3; field < 22 && p; field++) {
                p = strchr(p + 1, ' ');
        }
        if (!p)
                return -EIO;
        *ret = strtoull(p + 1, NULL, 10);
        return 0;
}

int process_comm(const char *proc_root, pid_t pid, char **ret) {
        char rel[64];
        snprintf(rel, sizeof(rel), "%d/comm", (int) pid);
        _cleanup_free_ char *path = pt_path_join(proc_root, rel);
        if (!path)
                return -ENOMEM;
        return sysfs_read_string("/", path, ret) < 0 ? -ESRCH : 0;
}

int process_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? -errno : fd;
#else
        return -ENOSYS;
#endif
}
