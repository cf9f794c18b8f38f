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

int sysfs_read_string_at(int dirfd, const char *name, char **ret) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        char buf[4096];
        ssize_t n;

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

int sysfs_read_string(const char *root, const char *relpath, char **ret) {
        _cleanup_free_ char *path = pt_path_join(root, relpath);
        if (!path)
                return -ENOMEM;
        return sysfs_read_string_at(AT_FDCWD, path, ret);
}

static int parse_u64(const char *s, uint64_t *ret) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 0);
        if (errno || end == s || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int sysfs_read_u64_at(int dirfd, const char *name, uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        int r = sysfs_read_string_at(dirfd, name, &s);
        return r < 0 ? r : parse_u64(s, ret);
}

int sysfs_read_u64(const char *root, const char *relpath, uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        int r = sysfs_read_string(root, relpath, &s);
        return r < 0 ? r : parse_u64(s, ret);
}

int sysfs_read_link_basename_at(int dirfd, const char *name, char **ret) {
        char buf[4096];
        ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        const char *base = strrchr(buf, '/');
        *ret = strdup(base ? base + 1 : buf);
        return *ret ? 0 : -ENOMEM;
}

int sysfs_read_link_basename(const char *root, const char *relpath, char **ret) {
        _cleanup_free_ char *path = pt_path_join(root, relpath);
        if (!path)
                return -ENOMEM;
        return sysfs_read_link_basename_at(AT_FDCWD, path, ret);
}

int sysfs_device_open(const char *root, const char *bdf) {
        _cleanup_free_ char *rel = sysfs_device_attr(bdf, NULL), *path = rel ? pt_path_join(root, rel) : NULL;
        if (!path)
                return -ENOMEM;
        int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ENODEV : -errno;
        return fd;
}

int sysfs_read_config_at(int dirfd, uint8_t *buf, size_t size, size_t *ret_len) {
        _cleanup_close_ int fd = openat(dirfd, "config", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* The kernel answers with what the device has (64 bytes for an unprivileged reader, 256 for
         * conventional PCI, 4096 with extended config space); a short read is that size, not an error. */
        size_t len = 0;
        while (len < size) {
                ssize_t n = pread(fd, buf + len, size - len, (off_t) len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len == 0)
                return -EIO;
        *ret_len = len;
        return 0;
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
