/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "sysfs-write.h"
#include "sysfs.h"

typedef struct PendingWrite {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        char *path, *value;
        int result;
        bool done;
        int refs; /* the writer thread and the waiter */
} PendingWrite;

/* One long-lived writer thread per calling thread does the writes, so a write costs a hand-over instead of a
 * thread, and threads working on different devices write at the same time. A writer whose write timed out is
 * abandoned to it (it exits when the write returns, if ever) and the caller's next write gets a new one; a
 * caller thread that ends abandons its writer. */
typedef struct Writer {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        PendingWrite *next;
        bool abandoned;
} Writer;

static __thread Writer *writer;
static pthread_key_t writer_key;
static pthread_once_t writer_key_once = PTHREAD_ONCE_INIT;

static void writer_abandon(Writer *wr) {
        pthread_mutex_lock(&wr->lock);
        wr->abandoned = true;
        pthread_cond_signal(&wr->cond);
        pthread_mutex_unlock(&wr->lock);
}

/* The calling thread ends: its idle writer ends too. */
static void writer_key_destroy(void *p) {
        if (p)
                writer_abandon(p);
}

static void writer_key_create(void) {
        (void) pthread_key_create(&writer_key, writer_key_destroy);
}

static void pending_unref(PendingWrite *w) {
        pthread_mutex_lock(&w->lock);
        bool last = --w->refs == 0;
        pthread_mutex_unlock(&w->lock);
        if (!last)
                return;
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w->path);
        free(w->value);
        free(w);
}

static void do_write(PendingWrite *w) {
        int r = 0;
        int fd = open(w->path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                r = -errno;
        else {
                size_t n = strlen(w->value);
                ssize_t k = write(fd, w->value, n);
                if (k < 0)
                        r = -errno;
                else if ((size_t) k != n)
                        r = -EIO;
                if (close(fd) < 0 && r == 0 && errno != EINTR)
                        r = -errno;
        }
        pthread_mutex_lock(&w->lock);
        w->result = r;
        w->done = true;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pending_unref(w);
}

static void *writer_main(void *p) {
        Writer *wr = p;
        for (;;) {
                pthread_mutex_lock(&wr->lock);
                while (!wr->next && !wr->abandoned)
                        pthread_cond_wait(&wr->cond, &wr->lock);
                PendingWrite *w = TAKE_PTR(wr->next);
                pthread_mutex_unlock(&wr->lock);
                if (!w)
                        break; /* abandoned, and its write is done */
                do_write(w);
        }
        pthread_mutex_destroy(&wr->lock);
        pthread_cond_destroy(&wr->cond);
        free(wr);
        return NULL;
}

static Writer *writer_new(void) {
        Writer *wr = calloc(1, sizeof(*wr));
        pthread_attr_t attr;
        pthread_t t;
        if (!wr)
                return NULL;
        pthread_mutex_init(&wr->lock, NULL);
        pthread_cond_init(&wr->cond, NULL);
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        int r = pthread_create(&t, &attr, writer_main, wr);
        pthread_attr_destroy(&attr);
        if (r != 0) {
                pthread_mutex_destroy(&wr->lock);
                pthread_cond_destroy(&wr->cond);
                free(wr);
                return NULL;
        }
        return wr;
}

int sysfs_write_timeout(const char *root, const char *relpath, const char *value, uint64_t timeout_usec) {
        PendingWrite *w = calloc(1, sizeof(*w));
        struct timespec deadline;
        int r;

        if (!w)
                return -ENOMEM;
        pthread_mutex_init(&w->lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&w->cond, &ca);
        pthread_condattr_destroy(&ca);
        w->path = pt_path_join(root, relpath);
        w->value = strdup(value);
        w->refs = 2;
        if (!w->path || !w->value) {
                w->refs = 1;
                pending_unref(w);
                return -ENOMEM;
        }

        /* One write at a time per calling thread: its writer has a single slot. */
        if (!writer) {
                (void) pthread_once(&writer_key_once, writer_key_create);
                writer = writer_new();
                if (writer)
                        (void) pthread_setspecific(writer_key, writer);
        }
        Writer *wr = writer;
        if (!wr) {
                w->refs = 1;
                pending_unref(w);
                return -ENOMEM;
        }
        pthread_mutex_lock(&wr->lock);
        wr->next = w;
        pthread_cond_signal(&wr->cond);
        pthread_mutex_unlock(&wr->lock);

        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += (time_t) (timeout_usec / 1000000);
        deadline.tv_nsec += (long) (timeout_usec % 1000000) * 1000;
        if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&w->lock);
        while (!w->done)
                if (pthread_cond_timedwait(&w->cond, &w->lock, &deadline) == ETIMEDOUT)
                        break;
        r = w->done ? w->result : -ETIMEDOUT;
        pthread_mutex_unlock(&w->lock);
        if (r == -ETIMEDOUT) {
                /* The writer stays in its write; the next one gets a fresh thread. */
                writer_abandon(wr);
                writer = NULL;
                (void) pthread_setspecific(writer_key, NULL);
        }
        pending_unref(w);
        return r;
}

int sysfs_config_answers(const char *root, const char *bdf) {
        _cleanup_free_ char *rel = sysfs_device_attr(bdf, "config");
        _cleanup_free_ char *path = rel ? pt_path_join(root, rel) : NULL;
        unsigned char header[4];
        if (!path)
                return -ENOMEM;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Revision and class code: one config read, and never all ones on a device that answers (a VF's vendor
         * ID reads 0xffff by design, its class does not). */
        ssize_t n = pread(fd, header, sizeof(header), 0x08);
        if (n < 0)
                return -errno;
        if (n == 0)
                return -ENXIO;
        for (ssize_t i = 0; i < n; i++)
                if (header[i] != 0xff)
                        return 0;
        return -ENXIO;
}

static int config_open(const char *root, const char *bdf, int flags) {
        _cleanup_free_ char *rel = sysfs_device_attr(bdf, "config");
        _cleanup_free_ char *path = rel ? pt_path_join(root, rel) : NULL;
        if (!path)
                return -ENOMEM;
        int fd = open(path, flags | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int sysfs_config_read(const char *root, const char *bdf, unsigned offset, void *buf, size_t len) {
        _cleanup_close_ int fd = config_open(root, bdf, O_RDONLY);
        if (fd < 0)
                return fd;
        ssize_t n = pread(fd, buf, len, offset);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}

int sysfs_config_write(const char *root, const char *bdf, unsigned offset, const void *buf, size_t len) {
        _cleanup_close_ int fd = config_open(root, bdf, O_WRONLY);
        if (fd < 0)
                return fd;
        ssize_t n = pwrite(fd, buf, len, offset);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}
