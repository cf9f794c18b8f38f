/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "sysfs.h"

char *sysfs_read_driver_override(const char *root, const char *bdf) {
        _cleanup_free_ char *rel = sysfs_device_attr(bdf, "driver_override"), *v = NULL;
        if (!rel || sysfs_read_string(root, rel, &v) < 0 || streq(v, "(null)"))
                return strdup("");
        return TAKE_PTR(v);
}

char *sysfs_device_attr(const char *bdf, const char *attr) {
        char *p = NULL;
        if (asprintf(&p, "bus/pci/devices/%s%s%s", bdf, attr ? "/" : "", strempty(attr)) < 0)
                return NULL;
        return p;
}

int sysfs_read_string(const char *root, const char *relpath, char **ret) {
        _cleanup_free_ char *path = pt_path_join(root, relpath);
        _cleanup_close_ int fd = -EBADF;
        char buf[4096];
        ssize_t n;

        if (!path)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                buf[--n] = 0;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int sysfs_read_u64(const char *root, const char *relpath, uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        char *end;
        int r = sysfs_read_string(root, relpath, &s);
        if (r < 0)
                return r;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 0);
        if (errno || end == s || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int sysfs_read_link_basename(const char *root, const char *relpath, char **ret) {
        _cleanup_free_ char *path = pt_path_join(root, relpath);
        char buf[4096];

        if (!path)
                return -ENOMEM;
        ssize_t n = readlink(path, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        const char *base = strrchr(buf, '/');
        *ret = strdup(base ? base + 1 : buf);
        return *ret ? 0 : -ENOMEM;
}

int sysfs_list_dir(const char *root, const char *relpath, char ***ret) {
        _cleanup_free_ char *path = pt_path_join(root, relpath);
        _cleanup_strv_free_ char **l = NULL;
        struct dirent *de;
        DIR *d;

        if (!path)
                return -ENOMEM;
        d = opendir(path);
        if (!d)
                return -errno;
        l = calloc(1, sizeof(char *));
        if (!l) {
                closedir(d);
                return -ENOMEM;
        }
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") && pt_strv_push(&l, strdup(de->d_name)) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
        closedir(d);
        pt_strv_sort(l);
        *ret = TAKE_PTR(l);
        return 0;
}

bool sysfs_exists(const char *root, const char *relpath) {
        _cleanup_free_ char *path = pt_path_join(root, relpath);
        return path && access(path, F_OK) == 0;
}
