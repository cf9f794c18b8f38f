/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lifecycle job queue: one job at a time on a worker thread, so the bus stays responsive while a driver
 * takes its time letting go of a device; the finished job comes back to the main loop through a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "manager.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-util.h"

typedef struct WorkerArgs {
        Job *job;
        Binder binder;
        int fd;
} WorkerArgs;

Binder manager_binder(Manager *m, Store *journal) {
        return (Binder) { .root = m->sysfs_root, .timeout_usec = m->write_timeout_usec, .modprobe = m->modprobe,
                          .journal = journal };
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

static void run_next(Manager *m);

static int on_job_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        Job *j;
        ssize_t n = read(fd, &j, sizeof(j));
        if (n != (ssize_t) sizeof(j))
                return 0;
        if (j == m->current)
                m->current = NULL;
        lifecycle_finish(m, j);
        job_free(j);
        run_next(m);
        if (!m->current)
                (void) sd_notifyf(false, "STATUS=Watching %zu PCI devices, %zu guests running", m->inventory.n,
                                  pt_strv_length(m->running_guests));
        return 0;
}

int manager_jobs_setup(Manager *m) {
        int r;
        if (pipe2(m->job_pipe, O_CLOEXEC) < 0)
                return log_error_errno(-errno, "Failed to create the job pipe: %m");
        r = sd_event_add_io(m->event, &m->job_source, m->job_pipe[0], EPOLLIN, on_job_done, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the job pipe: %m");
        if (m->store) {
                r = store_open_again(m->store, &m->worker_store);
                if (r < 0)
                        return log_error_errno(r, "Failed to open the assignment database for the worker: %m");
        }
        return 0;
}

void manager_jobs_done(Manager *m) {
        while (m->queue) {
                Job *j = m->queue;
                m->queue = j->next;
                job_free(j);
        }
        /* An operation under way is let finish: every write has its timeout, so it does, and its journal entry
         * is closed rather than left for the next start to reconcile. */
        if (m->current) {
                log_info("Waiting for the %s operation under way to finish", job_kind_to_string(m->current->kind));
                Job *j = NULL;
                while (read(m->job_pipe[0], &j, sizeof(j)) < 0 && errno == EINTR)
                        ;
                if (j) {
                        m->current = NULL;
                        lifecycle_finish(m, j);
                        job_free(j);
                }
        }
        sd_event_source_disable_unref(m->job_source);
        m->job_source = NULL;
        store_free(m->worker_store);
        m->worker_store = NULL;
}

static void start_job(Manager *m, Job *j) {
        WorkerArgs *a = calloc(1, sizeof(*a));
        pthread_attr_t attr;
        pthread_t t;
        int r = -ENOMEM;

        if (a) {
                *a = (WorkerArgs) { .job = j, .binder = manager_binder(m, m->worker_store), .fd = m->job_pipe[1] };
                pthread_attr_init(&attr);
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                r = -pthread_create(&t, &attr, worker, a);
                pthread_attr_destroy(&attr);
        }
        if (r < 0) {
                free(a);
                j->error = r;
                j->message = strdup("could not start the worker thread");
                lifecycle_finish(m, j);
                job_free(j);
                return;
        }
        m->current = j;
}

static void run_next(Manager *m) {
        while (!m->current && m->queue) {
                Job *j = m->queue;
                m->queue = j->next;
                j->next = NULL;

                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                int r = lifecycle_plan(m, j, &error);
                if (r < 0) {
                        if (j->request)
                                (void) sd_bus_reply_method_errno(j->request, r, &error);
                        job_free(j);
                        continue;
                }
                if (j->noop) {
                        lifecycle_finish(m, j);
                        job_free(j);
                        continue;
                }
                (void) sd_notifyf(false, "STATUS=%s %s", job_kind_to_string(j->kind),
                                  j->guest ? j->guest : j->n_devices > 0 ? j->devices[0].bdf : "");
                start_job(m, j);
                /* The worker is under way; the guest is "starting" (or "stopping") now. */
                if (m->current == j && j->guest)
                        guest_dbus_emit_changed(m, j->guest);
        }
}

void manager_enqueue(Manager *m, Job *j) {
        Job **tail = &m->queue;
        while (*tail)
                tail = &(*tail)->next;
        *tail = j;
        run_next(m);
}

const StoredHold *manager_find_hold(const Manager *m, const char *bdf) {
        for (size_t i = 0; i < m->n_holds; i++)
                if (streq(m->holds[i].address, bdf))
                        return &m->holds[i];
        return NULL;
}

const StoredHidden *manager_find_hidden(const Manager *m, const char *bdf) {
        for (size_t i = 0; i < m->n_hidden; i++)
                if (streq(m->hidden[i].address, bdf))
                        return &m->hidden[i];
        return NULL;
}

const char *manager_guest_state(const Manager *m, const char *guest) {
        if (m->current && m->current->guest && streq(m->current->guest, guest))
                return m->current->kind == JOB_START_GUEST ? PT_GUEST_STARTING : PT_GUEST_STOPPING;
        return pt_strv_contains(m->running_guests, guest) ? PT_GUEST_RUNNING : PT_GUEST_STOPPED;
}

static void holds_free(StoredHold *h, size_t n) {
        for (size_t i = 0; i < n; i++)
                stored_hold_done(&h[i]);
        free(h);
}

static void hidden_free(StoredHidden *h, size_t n) {
        for (size_t i = 0; i < n; i++)
                stored_hidden_done(&h[i]);
        free(h);
}

int manager_reload_lifecycle(Manager *m) {
        StoredHold *holds = NULL;
        StoredHidden *hidden = NULL;
        size_t n_holds = 0, n_hidden = 0;
        _cleanup_strv_free_ char **running = NULL;
        int r;

        if (!m->store)
                return 0;
        if ((r = store_load_holds(m->store, &holds, &n_holds)) < 0)
                return r;
        if ((r = store_load_hidden(m->store, &hidden, &n_hidden)) < 0 ||
            (r = store_load_running(m->store, &running)) < 0) {
                holds_free(holds, n_holds);
                hidden_free(hidden, n_hidden);
                return r;
        }
        holds_free(m->holds, m->n_holds);
        hidden_free(m->hidden, m->n_hidden);
        m->holds = holds;
        m->n_holds = n_holds;
        m->hidden = hidden;
        m->n_hidden = n_hidden;

        /* Guests whose running flag flipped hear of it. */
        _cleanup_strv_free_ char **old = TAKE_PTR(m->running_guests);
        m->running_guests = TAKE_PTR(running);
        for (char **g = old; m->bus && g && *g; g++)
                if (!pt_strv_contains(m->running_guests, *g))
                        guest_dbus_emit_changed(m, *g);
        for (char **g = m->running_guests; m->bus && g && *g; g++)
                if (!pt_strv_contains(old, *g))
                        guest_dbus_emit_changed(m, *g);

        static const char *props[] = { "State", "Guest", "AssignmentProblem", NULL };
        for (size_t i = 0; i < m->inventory.n; i++)
                if (manager_sync_device(m, m->inventory.devices[i]) && m->bus)
                        device_dbus_emit_changed(m, m->inventory.devices[i], props);
        return 0;
}

void lifecycle_state_free(Manager *m) {
        holds_free(m->holds, m->n_holds);
        hidden_free(m->hidden, m->n_hidden);
        m->holds = NULL;
        m->hidden = NULL;
        m->n_holds = m->n_hidden = 0;
        pt_strv_free(m->running_guests);
        pt_strv_free(m->stuck);
        pt_strv_free(m->failed);
        m->running_guests = m->stuck = m->failed = NULL;
}
