/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "leases.h"
#include "log.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "planning.h"
#include "process.h"
#include "pt-util.h"
#include "xen.h"

typedef struct Watch {
        Leases *owner;
        char *guest;
        pid_t pid;
        uint64_t start_time;    /* for the polling fallback */
        sd_event_source *source;
        struct Watch *next;
} Watch;

struct Leases {
        Ops *ops;
        sd_event *event;
        Watch *watches;
        /* Xen domains: xl list, every few seconds, on a thread of its own (xl may take its time), its answer
         * handed back through a pipe. */
        char *xl;
        sd_event_source *timer, *answer;
        int pipe[2];
        bool asking;
};

typedef struct XlAnswer {
        int r;
        char *out;
        char **assigned;        /* "BDF DOMAIN" for every device xl pci-list shows in a domU */
} XlAnswer;

#define XEN_POLL_USEC (3 * 1000000ULL)

int leases_new(Ops *ops, sd_event *event, Leases **ret) {
        Leases *l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->ops = ops;
        l->event = sd_event_ref(event);
        l->pipe[0] = l->pipe[1] = -EBADF;
        *ret = l;
        return 0;
}

static Watch *watch_free(Watch *w) {
        Watch *next = w->next;
        sd_event_source_disable_unref(w->source); /* closes the pidfd */
        free(w->guest);
        free(w);
        return next;
}

Leases *leases_free(Leases *l) {
        if (!l)
                return NULL;
        for (Watch *w = l->watches; w;)
                w = watch_free(w);
        sd_event_source_disable_unref(l->timer);
        sd_event_source_disable_unref(l->answer);
        if (l->pipe[0] >= 0)
                close(l->pipe[0]);
        /* The write end stays open while a question may still be under way (its thread writes the answer). */
        if (!l->asking && l->pipe[1] >= 0)
                close(l->pipe[1]);
        free(l->xl);
        sd_event_unref(l->event);
        free(l);
        return NULL;
}

static void unwatch(Leases *l, Watch *gone) {
        for (Watch **p = &l->watches; *p; p = &(*p)->next)
                if (*p == gone) {
                        *p = watch_free(gone);
                        return;
                }
}

/* The owner is gone and the guest was not stopped: passthrud stops it, once (a stop already asked for, or under
 * way, is that stop). */
static void owner_gone(Leases *l, const char *guest, pid_t pid, const char *how) {
        const StoredLease *lease = records_find_lease(&l->ops->model->records, guest);
        char who[160];
        if (lease && !isempty(lease->domain))
                snprintf(who, sizeof(who), "Xen domain %s", lease->domain);
        else
                snprintf(who, sizeof(who), "pid %d", (int) pid);
        Model *m = l->ops->model;
        pt_strv_set(&m->records.owners_gone, guest, true);
        const char *state = ops_guest_state(l->ops, guest);
        bool stopping = streq(state, PT_GUEST_STOPPING);
        for (Job *j = l->ops->queue; j && !stopping; j = j->next)
                stopping = j->kind == JOB_STOP_GUEST && j->guest && streq(j->guest, guest);
        if (!records_guest_running(&m->records, guest) || stopping) {
                pt_log_full(LOG_INFO, PT_MESSAGE_OWNER_GONE, NULL, guest, NULL, "Owner of guest %s (%s) %s; the "
                            "guest is %s already", guest, who, how, stopping ? "being stopped" : state);
                return;
        }
        pt_log_full(LOG_WARNING, PT_MESSAGE_OWNER_GONE, NULL, guest, NULL, "Owner of guest %s (%s) %s without "
                    "stopping it; stopping the guest: its devices go back to the host", guest, who, how);
        Job *j = job_new(JOB_STOP_GUEST, guest);
        if (!j) {
                log_error("Out of memory stopping guest %s", guest);
                return;
        }
        ops_submit(l->ops, j);
}

static int on_owner_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Watch *w = userdata;
        Leases *l = w->owner;
        _cleanup_free_ char *guest = strdup(w->guest);
        pid_t pid = w->pid;
        const StoredLease *lease = guest ? records_find_lease(&l->ops->model->records, guest) : NULL;
        unwatch(l, w);
        /* A lease since replaced or ended: not this watch's business any more. */
        if (lease && lease->pid == (uint32_t) pid)
                owner_gone(l, guest, pid, "exited");
        return 0;
}

/* Without pidfds (kernels before 5.3, or valgrind): the process is looked at every second, by start time. */
static bool alive_since(Leases *l, pid_t pid, uint64_t start_time);

static int on_owner_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Watch *w = userdata;
        if (alive_since(w->owner, w->pid, w->start_time)) {
                (void) sd_event_source_set_time(s, usec + 1000000);
                return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        return on_owner_exit(s, -1, 0, w);
}

static int watch(Leases *l, const char *guest, pid_t pid) {
        uint64_t start_time = 0;
        int fd = process_pidfd(pid), r;
        if (fd < 0 && fd != -ENOSYS)
                return fd;
        if (fd < 0 && process_start_time(l->ops->model->proc_root, pid, &start_time) < 0)
                return -ESRCH;
        Watch *w = calloc(1, sizeof(*w));
        if (!w || !(w->guest = strdup(guest))) {
                free(w);
                if (fd >= 0)
                        close(fd);
                return -ENOMEM;
        }
        w->owner = l;
        w->pid = pid;
        w->start_time = start_time;
        if (fd < 0) {
                uint64_t now = 0;
                (void) sd_event_now(l->event, CLOCK_MONOTONIC, &now);
                r = sd_event_add_time(l->event, &w->source, CLOCK_MONOTONIC, now + 1000000, 0, on_owner_poll, w);
                if (r < 0) {
                        free(w->guest);
                        free(w);
                        return r;
                }
                w->next = l->watches;
                l->watches = w;
                return 0;
        }
        r = sd_event_add_io(l->event, &w->source, fd, EPOLLIN, on_owner_exit, w);
        if (r < 0) {
                close(fd);
                free(w->guest);
                free(w);
                return r;
        }
        (void) sd_event_source_set_io_fd_own(w->source, true);
        w->next = l->watches;
        l->watches = w;
        return 0;
}

typedef struct Question {
        char *xl;
        int fd;
} Question;

static void *ask_xl(void *p) {
        Question *q = p;
        XlAnswer *a = calloc(1, sizeof(*a));
        if (a)
                a->r = xen_xl(q->xl, (const char *const[]) { "list", NULL }, 5 * 1000000ULL, &a->out, NULL);
        /* Xen's own view of who has which device: each domU's pci-list. */
        for (char *line = a && a->r == 0 ? a->out : NULL; line && *line; line = strchr(line, '\n') ?
             strchr(line, '\n') + 1 : NULL) {
                char name[128];
                unsigned id;
                if (sscanf(line, "%127s %u", name, &id) != 2 || id == 0)
                        continue;
                _cleanup_free_ char *pcis = NULL;
                if (xen_xl(q->xl, (const char *const[]) { "pci-list", name, NULL }, 5 * 1000000ULL, &pcis, NULL) != 0)
                        continue;
                for (char *pl = pcis; pl && *pl; pl = strchr(pl, '\n') ? strchr(pl, '\n') + 1 : NULL) {
                        char vdev[32], bdf[32];
                        PtAddress addr;
                        char canon[PT_ADDRESS_STRLEN], *entry = NULL;
                        if (sscanf(pl, "%31s %31s", vdev, bdf) == 2 && pt_address_parse(bdf, &addr, NULL) >= 0 &&
                            asprintf(&entry, "%s %s", pt_address_format(&addr, canon), name) >= 0)
                                (void) pt_strv_push(&a->assigned, entry);
                }
        }
        while (write(q->fd, &a, sizeof(a)) < 0 && errno == EINTR)
                ;
        free(q->xl);
        free(q);
        return NULL;
}

static bool domain_listed(const char *list, const char *domain) {
        for (const char *line = list; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                size_t n = strcspn(line, " \t\n");
                if (n == strlen(domain) && strncmp(line, domain, n) == 0)
                        return true;
        }
        return false;
}

static int on_xl_answer(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Leases *l = userdata;
        XlAnswer *a = NULL;
        if (read(fd, &a, sizeof(a)) != (ssize_t) sizeof(a))
                return 0;
        l->asking = false;
        /* Only an answer counts: xl that fails or hangs says nothing about the domains. */
        if (a && a->r == 0 && a->out) {
                Model *m = l->ops->model;
                _cleanup_strv_free_ char **gone = NULL;
                for (size_t i = 0; i < m->records.n_leases; i++) {
                        const StoredLease *lease = &m->records.leases[i];
                        if (!isempty(lease->domain) && !domain_listed(a->out, lease->domain) &&
                            !pt_strv_contains(m->records.owners_gone, lease->guest))
                                (void) pt_strv_push(&gone, strdup(lease->guest));
                }
                for (char **g = gone; g && *g; g++)
                        owner_gone(l, *g, 0, "is gone");
                pt_strv_free(m->xen_assigned);
                m->xen_assigned = TAKE_PTR(a->assigned);
        }
        if (a) {
                free(a->out);
                pt_strv_free(a->assigned);
        }
        free(a);
        return 0;
}

static bool any_domain_lease(const Model *m) {
        for (size_t i = 0; i < m->records.n_leases; i++)
                if (!isempty(m->records.leases[i].domain))
                        return true;
        return false;
}

static int on_xen_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Leases *l = userdata;
        /* With a domain lease, every few seconds; otherwise Xen's view for ptctl show, every minute (xl is not
         * cheap on a busy dom0). */
        (void) sd_event_source_set_time(s, usec + (any_domain_lease(l->ops->model) ? XEN_POLL_USEC :
                                                   20 * XEN_POLL_USEC));
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        if (l->asking)
                return 0;
        Question *q = calloc(1, sizeof(*q));
        pthread_t t;
        pthread_attr_t attr;
        if (!q || !(q->xl = strdup(l->xl))) {
                free(q);
                return 0;
        }
        q->fd = l->pipe[1];
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, ask_xl, q) == 0)
                l->asking = true;
        else {
                free(q->xl);
                free(q);
        }
        pthread_attr_destroy(&attr);
        return 0;
}

static int start_xen_polling(Leases *l, const char *xl) {
        int r;
        if (!l->xl && !(l->xl = strdup(xl)))
                return -ENOMEM;
        if (l->pipe[0] < 0) {
                if (pipe2(l->pipe, O_CLOEXEC) < 0)
                        return -errno;
                if ((r = sd_event_add_io(l->event, &l->answer, l->pipe[0], EPOLLIN, on_xl_answer, l)) < 0)
                        return r;
        }
        uint64_t now;
        if ((r = sd_event_now(l->event, CLOCK_MONOTONIC, &now)) < 0)
                return r;
        if (!l->timer)
                return sd_event_add_time(l->event, &l->timer, CLOCK_MONOTONIC, now + XEN_POLL_USEC, 0, on_xen_poll, l);
        (void) sd_event_source_set_time(l->timer, now + XEN_POLL_USEC);
        return sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT);
}

/* The process with this pid is the one the lease names, still: same start time. */
static bool alive_since(Leases *l, pid_t pid, uint64_t start_time) {
        uint64_t start = 0;
        return process_start_time(l->ops->model->proc_root, pid, &start) >= 0 && start == start_time;
}

static bool alive(Leases *l, const StoredLease *lease) {
        return alive_since(l, (pid_t) lease->pid, lease->start_time);
}

void leases_watch_all(Leases *l) {
        Model *m = l->ops->model;
        /* In a dom0, Xen's view of the devices (and its domains, for their leases) is kept from the start. */
        if (m->host == HOST_XEN_DOM0 && m->xl) {
                int r = start_xen_polling(l, m->xl);
                if (r < 0)
                        log_warning_errno(r, "Cannot ask xl about Xen's domains: %m");
        }
        /* Copied: stopping a guest reloads the records. */
        size_t n = m->records.n_leases;
        _cleanup_strv_free_ char **guests = NULL;
        for (size_t i = 0; i < n; i++)
                (void) pt_strv_push(&guests, strdup(m->records.leases[i].guest));
        for (char **g = guests; g && *g; g++) {
                const StoredLease *lease = records_find_lease(&m->records, *g);
                if (!lease)
                        continue;
                if (!isempty(lease->domain)) {
                        /* Asked at the next poll: a domain that ended meanwhile is not listed. */
                        int r = m->xl ? start_xen_polling(l, m->xl) : -ENOENT;
                        if (r < 0)
                                log_warning_errno(r, "Cannot watch Xen domain %s, the owner of guest %s: %m",
                                                  lease->domain, *g);
                        continue;
                }
                pid_t pid = (pid_t) lease->pid;
                if (!alive(l, lease)) {
                        owner_gone(l, *g, pid, "ended while passthrud was not running (or its PID is another "
                                   "process's now)");
                        continue;
                }
                int r = watch(l, *g, pid);
                if (r < 0)
                        log_warning_errno(r, "Cannot watch the owner of guest %s (pid %d): %m", *g, (int) pid);
                else
                        pt_log_full(LOG_INFO, NULL, NULL, *g, NULL, "Guest %s is leased to pid %d", *g, (int) pid);
        }
}

/* Only a running (or starting) guest has an owner to lose. */
static int check_leasable(Leases *l, const char *guest, PtError *e) {
        int r = plan_check_guest_known(l->ops->model, guest, e);
        if (r < 0)
                return r;
        const char *state = ops_guest_state(l->ops, guest);
        if (!streq(state, PT_GUEST_RUNNING) && !streq(state, PT_GUEST_STARTING))
                return pt_error_set(e, PT_ERR_GUEST_NOT_RUNNING, "guest %s is %s: a lease binds a running guest to "
                                    "its owner", guest, state);
        return plan_check_store(l->ops->model, e);
}

int leases_set_owner(Leases *l, const char *guest, pid_t pid, PtError *e) {
        Model *m = l->ops->model;
        int r = check_leasable(l, guest, e);
        if (r < 0)
                return r;
        StoredLease lease = { .guest = (char *) guest, .pid = (uint32_t) pid, .domain = (char *) "" };
        if (pid <= 0 || process_start_time(m->proc_root, pid, &lease.start_time) < 0)
                return pt_error_set(e, PT_ERR_NOT_FOUND, "no process %d to lease guest %s to", (int) pid, guest);
        r = watch(l, guest, pid);
        if (r < 0)
                return pt_error_set(e, PT_ERR_NOT_FOUND, "cannot watch process %d: %s", (int) pid, strerror(-r));
        if ((r = store_set_lease(m->store, &lease)) < 0)
                return r;
        pt_strv_set(&m->records.owners_gone, guest, false);
        (void) model_reload_records(m);
        _cleanup_free_ char *comm = NULL;
        (void) process_comm(m->proc_root, pid, &comm);
        pt_log_full(LOG_INFO, NULL, NULL, guest, NULL, "Guest %s is leased to pid %d (%s)", guest, (int) pid,
                    strempty(comm));
        return 0;
}

int leases_set_domain_owner(Leases *l, const char *guest, const char *xl, const char *domain, PtError *e) {
        Model *m = l->ops->model;
        int r = check_leasable(l, guest, e);
        if (r < 0)
                return r;
        if (!xl)
                return pt_error_set(e, PT_ERR_INVALID_OPTION, "a Xen domain can own a guest only in a Xen dom0");
        _cleanup_free_ char *list = NULL;
        r = xen_xl(xl, (const char *const[]) { "list", NULL }, 5 * 1000000ULL, &list, NULL);
        /* Only xl's answer refuses; an xl that failed or took too long says nothing (the watch asks again). */
        if (r == 0 && !domain_listed(list, domain))
                return pt_error_set(e, PT_ERR_NOT_FOUND, "xl lists no Xen domain %s to lease guest %s to", domain,
                                    guest);
        if (r != 0)
                log_warning("xl list did not answer (%s); leasing guest %s to Xen domain %s anyway", r < 0 ?
                            strerror(-r) : "it failed", guest, domain);
        StoredLease lease = { .guest = (char *) guest, .domain = (char *) domain };
        if ((r = store_set_lease(m->store, &lease)) < 0)
                return r;
        pt_strv_set(&m->records.owners_gone, guest, false);
        (void) model_reload_records(m);
        if ((r = start_xen_polling(l, xl)) < 0)
                log_warning_errno(r, "Cannot watch Xen domain %s: %m", domain);
        pt_log_full(LOG_INFO, NULL, NULL, guest, NULL, "Guest %s is leased to Xen domain %s", guest, domain);
        return 0;
}
