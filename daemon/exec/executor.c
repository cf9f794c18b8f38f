/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "executor.h"
#include "log.h"
#include "passthru/pt-macros.h"

struct Executor {
        sd_event_source *source;
        int pipe[2];
        char *sysfs_root, *modprobe, *xl;
        uint64_t write_timeout_usec;
        Store *journal;
        Job *current;
        ExecutorDone done;
        void *userdata;
};

typedef struct WorkerArgs {
        Job *job;
        Binder binder;
        int fd;
} WorkerArgs;

Binder executor_binder(const Executor *x, Store *journal) {
        return (Binder) { .root = x->sysfs_root, .timeout_usec = x->write_timeout_usec, .modprobe = x->modprobe,
                          .journal = journal, .xl = x->xl };
}

static void *worker(void *p) {
        WorkerArgs *a = p;
        job_execute(a->job, &a->binder);
        Job *j = a->job;
        int fd = a->fd;
        free(a);
        /* A pointer is far below PIPE_BUF: the write is atomic. */
        while (write(fd, &j, sizeof(j)) < 0 && errno == EINTR)
                ;
        return NULL;
}

static void hand_back(Executor *x, Job *j) {
        if (j == x->current)
                x->current = NULL;
        x->done(j, x->userdata);
}

static int on_job_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Executor *x = userdata;
        Job *j;
        if (read(fd, &j, sizeof(j)) != (ssize_t) sizeof(j))
                return 0;
        hand_back(x, j);
        return 0;
}

int executor_new(sd_event *event, const ExecutorConfig *c, ExecutorDone done, void *userdata, Executor **ret) {
        Executor *x = calloc(1, sizeof(*x));
        int r;
        if (!x)
                return -ENOMEM;
        x->pipe[0] = x->pipe[1] = -EBADF;
        x->done = done;
        x->userdata = userdata;
        x->write_timeout_usec = c->write_timeout_usec;
        x->journal = c->journal;
        x->sysfs_root = strdup(c->sysfs_root);
        x->modprobe = strdup(c->modprobe ? c->modprobe : "modprobe");
        if (c->xl && !(x->xl = strdup(c->xl))) {
                executor_free(x);
                return -ENOMEM;
        }
        if (!x->sysfs_root || !x->modprobe) {
                executor_free(x);
                return -ENOMEM;
        }
        if (pipe2(x->pipe, O_CLOEXEC) < 0) {
                r = log_error_errno(-errno, "Failed to create the job pipe: %m");
                executor_free(x);
                return r;
        }
        r = sd_event_add_io(event, &x->source, x->pipe[0], EPOLLIN, on_job_done, x);
        if (r < 0) {
                executor_free(x);
                return log_error_errno(r, "Failed to watch the job pipe: %m");
        }
        *ret = x;
        return 0;
}

Executor *executor_free(Executor *x) {
        if (!x)
                return NULL;
        /* An operation under way is let finish: every write has its timeout, so it does, and its journal entry
         * is closed rather than left for the next start to reconcile. */
        if (x->current) {
                log_info("Waiting for the %s operation under way to finish", job_kind_to_string(x->current->kind));
                Job *j = NULL;
                while (read(x->pipe[0], &j, sizeof(j)) < 0 && errno == EINTR)
                        ;
                if (j)
                        hand_back(x, j);
        }
        sd_event_source_disable_unref(x->source);
        if (x->pipe[0] >= 0)
                close(x->pipe[0]);
        /* The write end stays open: a worker still running may hand its job back into it. */
        store_free(x->journal);
        free(x->sysfs_root);
        free(x->modprobe);
        free(x->xl);
        free(x);
        return NULL;
}

Job *executor_current(const Executor *x) {
        return x->current;
}

int executor_run(Executor *x, Job *j) {
        if (x->current)
                return -EBUSY;
        WorkerArgs *a = calloc(1, sizeof(*a));
        pthread_attr_t attr;
        pthread_t t;
        if (!a)
                return -ENOMEM;
        *a = (WorkerArgs) { .job = j, .binder = executor_binder(x, x->journal), .fd = x->pipe[1] };
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int r = -pthread_create(&t, &attr, worker, a);
        pthread_attr_destroy(&attr);
        if (r < 0) {
                free(a);
                return r;
        }
        x->current = j;
        return 0;
}
