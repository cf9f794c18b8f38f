/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fakekernel: serves a fake /sys for passthrud's tests.
 *
 *   fakekernel --topology FILE --backing DIR --mount DIR [--uevents] [--ready-fd N]
 *   fakekernel --topology FILE --backing DIR --render-only
 *
 * The FUSE layer passes reads through to the backing tree and hands every write to the model, which answers like
 * the kernel would. fakekernel/ctl in the tree takes injections (see fk_ctl); fakekernel/log records each write. */
#define FUSE_USE_VERSION 35
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fk.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"

static FkKernel kernel = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .uevent_fd = -1 };
static int ready_fd = -1;

static char *backing_path(const char *path) {
        return pt_path_join(kernel.backing, path);
}

static bool writer_interrupted(void) {
        return fuse_interrupted() != 0;
}

static void *fk_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
        (void) conn;
        /* sysfs changes under the reader's feet: no caching of attributes, names or content. */
        cfg->entry_timeout = 0;
        cfg->attr_timeout = 0;
        cfg->negative_timeout = 0;
        cfg->direct_io = 1;
        cfg->use_ino = 0;
        if (ready_fd >= 0) {
                (void) !write(ready_fd, "READY\n", 6);
                close(ready_fd);
                ready_fd = -1;
        }
        return NULL;
}

static int fk_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
        (void) fi;
        _cleanup_free_ char *p = backing_path(path);
        if (!p)
                return -ENOMEM;
        if (lstat(p, st) < 0)
                return -errno;
        return 0;
}

static int fk_readlink(const char *path, char *buf, size_t size) {
        _cleanup_free_ char *p = backing_path(path);
        if (!p)
                return -ENOMEM;
        ssize_t n = readlink(p, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return 0;
}

static int fk_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off, struct fuse_file_info *fi,
                      enum fuse_readdir_flags flags) {
        (void) off;
        (void) fi;
        (void) flags;
        _cleanup_free_ char *p = backing_path(path);
        DIR *d;
        struct dirent *de;

        if (!p)
                return -ENOMEM;
        d = opendir(p);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (l > 7 && streq(de->d_name + l - 7, ".fk-tmp"))
                        continue;
                if (filler(buf, de->d_name, NULL, 0, 0))
                        break;
        }
        closedir(d);
        return 0;
}

static int fk_open(const char *path, struct fuse_file_info *fi) {
        _cleanup_free_ char *p = backing_path(path);
        if (!p)
                return -ENOMEM;
        if (access(p, F_OK) < 0)
                return -errno;
        fi->direct_io = 1;
        fi->keep_cache = 0;
        return 0;
}

static int fk_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
        (void) fi;
        _cleanup_free_ char *p = backing_path(path);
        _cleanup_close_ int fd = -EBADF;
        if (!p)
                return -ENOMEM;
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = pread(fd, buf, size, off);
        return n < 0 ? -errno : (int) n;
}

static int fk_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
        (void) fi;
        size_t len = strlen(path);
        int r;

        if (len > 7 && streq(path + len - 7, "/config")) {
                pthread_mutex_lock(&kernel.lock);
                r = fk_config_write(&kernel, path + 1, (const uint8_t *) buf, size, off, fuse_get_context()->pid);
                pthread_mutex_unlock(&kernel.lock);
                return r < 0 ? r : (int) size;
        }
        _cleanup_free_ char *value = strndup(buf, size);
        if (!value)
                return -ENOMEM;
        pthread_mutex_lock(&kernel.lock);
        r = fk_attr_write(&kernel, path + 1, value, fuse_get_context()->pid);
        pthread_mutex_unlock(&kernel.lock);
        return r < 0 ? r : (int) size;
}

/* "echo x > attr" truncates first; sysfs ignores that. */
static int fk_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
        (void) path;
        (void) size;
        (void) fi;
        return 0;
}

static int fk_denied(const char *path, mode_t mode, struct fuse_file_info *fi) {
        (void) path;
        (void) mode;
        (void) fi;
        return -EACCES;
}

static const struct fuse_operations ops = {
        .init = fk_init,
        .getattr = fk_getattr,
        .readlink = fk_readlink,
        .readdir = fk_readdir,
        .open = fk_open,
        .read = fk_read,
        .write = fk_write,
        .truncate = fk_truncate,
        .create = fk_denied,
};

static int setup(const char *topology) {
        _cleanup_free_ char *logpath = NULL;
        int r;

        r = fk_topology_load(&kernel, topology);
        if (r < 0)
                return r;
        r = fk_render_all(&kernel);
        if (r < 0)
                return r;
        logpath = pt_path_join(kernel.backing, "fakekernel/log");
        kernel.log = logpath ? fopen(logpath, "ae") : NULL;
        for (FkDevice *d = kernel.devices; d; d = d->next) {
                if (d->pf || d->presence != FK_PRESENT)
                        continue;
                if (d->parent && d->parent->presence != FK_PRESENT)
                        continue;
                d->presence = FK_REMOVED;
                r = fk_device_add(&kernel, d, false);
                if (r < 0) {
                        fprintf(stderr, "fakekernel: rendering %s failed: %s\n", d->bdf, strerror(-r));
                        return r;
                }
        }
        return 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "topology", required_argument, NULL, 't' },
                { "backing", required_argument, NULL, 'b' },
                { "mount", required_argument, NULL, 'm' },
                { "uevents", no_argument, NULL, 'u' },
                { "render-only", no_argument, NULL, 'r' },
                { "ready-fd", required_argument, NULL, 'R' },
                {}
        };
        const char *topology = NULL, *mount = NULL;
        bool uevents = false, render_only = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 't': topology = optarg; break;
                case 'b': kernel.backing = realpath(optarg, NULL); break;
                case 'm': mount = optarg; break;
                case 'u': uevents = true; break;
                case 'r': render_only = true; break;
                case 'R': ready_fd = atoi(optarg); break;
                default: return 2;
                }
        if (!topology || !kernel.backing || (!mount && !render_only)) {
                fprintf(stderr, "usage: fakekernel --topology FILE --backing DIR (--mount DIR [--uevents] | "
                                "--render-only)\n");
                return 2;
        }
        /* Uevents start flowing only once the tree is served, as the kernel sends them after sysfs exists. */
        r = setup(topology);
        if (r < 0)
                return 1;
        if (render_only)
                return 0;
        if (uevents && fk_uevent_open(&kernel) < 0)
                return 1;
        kernel.interrupted = writer_interrupted;

        char *fargv[] = { argv[0], "-f", "-o", "allow_other,max_threads=32,fsname=fakekernel,subtype=fakekernel", (char *) mount,
                          NULL };
        return fuse_main(5, fargv, &ops, NULL);
}
