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
#include <time.h>
#include <unistd.h>

#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "xen.h"

extern char **environ;

static uint64_t now_usec(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (uint64_t) t.tv_sec * 1000000ULL + (uint64_t) t.tv_nsec / 1000;
}

static int append(char **buf, size_t *len, const char *data, size_t n) {
        char *grown = realloc(*buf, *len + n + 1);
        if (!grown)
                return -ENOMEM;
        memcpy(grown + *len, data, n);
        *len += n;
        grown[*len] = 0;
        *buf = grown;
        return 0;
}

int xen_xl(const char *xl, const char *const *args, uint64_t timeout_usec, char **ret_out, char **ret_err) {
        const char *argv[16] = { xl };
        size_t n = 1;
        for (const char *const *a = args; *a && n < ELEMENTSOF(argv) - 1; a++)
                argv[n++] = *a;
        argv[n] = NULL;

        int out[2], err[2];
        if (pipe2(out, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(err, O_CLOEXEC) < 0) {
                close(out[0]);
                close(out[1]);
                return -errno;
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        pid_t pid;
        int r = posix_spawnp(&pid, xl, &actions, NULL, (char *const *) argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        close(out[1]);
        close(err[1]);
        if (r != 0) {
                close(out[0]);
                close(err[0]);
                return -r;
        }

        _cleanup_free_ char *obuf = NULL, *ebuf = NULL;
        size_t olen = 0, elen = 0;
        struct pollfd p[2] = { { .fd = out[0], .events = POLLIN }, { .fd = err[0], .events = POLLIN } };
        uint64_t deadline = now_usec() + timeout_usec;
        bool timed_out = false;
        while (p[0].fd >= 0 || p[1].fd >= 0) {
                uint64_t t = now_usec();
                if (t >= deadline) {
                        timed_out = true;
                        break;
                }
                int k = poll(p, 2, (int) ((deadline - t + 999) / 1000));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        timed_out = k == 0;
                        break;
                }
                for (int i = 0; i < 2; i++) {
                        if (p[i].fd < 0 || !p[i].revents)
                                continue;
                        char chunk[4096];
                        ssize_t got = read(p[i].fd, chunk, sizeof(chunk));
                        if (got <= 0) {
                                p[i].fd = -1;
                                continue;
                        }
                        if (append(i ? &ebuf : &obuf, i ? &elen : &olen, chunk, (size_t) got) < 0)
                                p[i].fd = -1;
                }
        }
        close(out[0]);
        close(err[0]);
        if (timed_out)
                kill(pid, SIGKILL);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (timed_out)
                return -ETIMEDOUT;
        if (ret_out)
                *ret_out = obuf ? TAKE_PTR(obuf) : strdup("");
        if (ret_err)
                *ret_err = ebuf ? TAKE_PTR(ebuf) : strdup("");
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* "key : value" from xl info's output. */
static const char *info_field(const char *text, const char *key, size_t *len) {
        for (const char *line = text; line && *line;) {
                size_t eol = strcspn(line, "\n"), klen = strlen(key);
                if (strncmp(line, key, klen) == 0 && (line[klen] == ' ' || line[klen] == ':')) {
                        const char *colon = memchr(line, ':', eol);
                        if (colon) {
                                const char *v = colon + 1;
                                while (*v == ' ')
                                        v++;
                                *len = (size_t) (line + eol - v);
                                return v;
                        }
                }
                line = line[eol] ? line + eol + 1 : NULL;
        }
        return NULL;
}

int xen_info(const char *xl, uint64_t timeout_usec, XenInfo *ret) {
        _cleanup_free_ char *out = NULL;
        int r = xen_xl(xl, (const char *const[]) { "info", NULL }, timeout_usec, &out, NULL);
        if (r < 0)
                return r;
        size_t len = 0;
        const char *caps = info_field(out, "virt_caps", &len);
        if (!caps)
                return -ENODATA;
        *ret = (XenInfo) { .iommu = memmem(caps, len, "directio", 8) ? 1 : 0 };
        const char *major = info_field(out, "xen_major", &len), *minor = info_field(out, "xen_minor", &len);
        if (major)
                ret->major = (unsigned) strtoul(major, NULL, 10);
        if (minor)
                ret->minor = (unsigned) strtoul(minor, NULL, 10);
        return 0;
}

static int say(char **ret_why, int r, const char *what, const char *bdf, const char *err) {
        if (ret_why) {
                _cleanup_free_ char *text = strdup(strempty(err));
                /* xl's last line is the one that says why. */
                if (text) {
                        char *end = text + strlen(text);
                        while (end > text && (end[-1] == '\n' || end[-1] == ' '))
                                *--end = 0;
                        char *last = strrchr(text, '\n');
                        if (asprintf(ret_why, "xl %s %s %s%s%s", what, bdf,
                                     r == -ETIMEDOUT ? "timed out" : r == -ENOENT ? "could not run (no xl)" :
                                     r < 0 ? "failed" : "failed: ", r > 0 ? (last ? last + 1 : text) : "", "") < 0)
                                *ret_why = NULL;
                }
        }
        return r < 0 ? r : -EIO;
}

int xen_quarantine(const char *xl, const char *bdf, uint64_t timeout_usec, char **ret_why) {
        _cleanup_free_ char *err = NULL;
        int r = xen_xl(xl, (const char *const[]) { "pci-assignable-add", bdf, NULL }, timeout_usec, NULL, &err);
        return r == 0 ? 0 : say(ret_why, r, "pci-assignable-add", bdf, err);
}

int xen_dequarantine(const char *xl, const char *bdf, uint64_t timeout_usec, char **ret_why) {
        _cleanup_free_ char *err = NULL;
        int r = xen_xl(xl, (const char *const[]) { "pci-assignable-remove", bdf, NULL }, timeout_usec, NULL, &err);
        return r == 0 ? 0 : say(ret_why, r, "pci-assignable-remove", bdf, err);
}

int xen_device_domain(const char *xl, const char *bdf, uint64_t timeout_usec, char **ret_domain) {
        _cleanup_free_ char *list = NULL;
        int r = xen_xl(xl, (const char *const[]) { "list", NULL }, timeout_usec, &list, NULL);
        if (r != 0)
                return r < 0 ? r : -EIO;
        /* "Name ID Mem VCPUs State Time(s)": every domain but Domain-0. */
        for (char *line = list; line && *line;) {
                char *eol = strchr(line, '\n');
                if (eol)
                        *eol = 0;
                char name[128];
                unsigned id;
                if (sscanf(line, "%127s %u", name, &id) == 2 && id != 0) {
                        _cleanup_free_ char *pcis = NULL;
                        if (xen_xl(xl, (const char *const[]) { "pci-list", name, NULL }, timeout_usec, &pcis, NULL) == 0 &&
                            (strstr(pcis, bdf) || strstr(pcis, bdf + 5))) {
                                *ret_domain = strdup(name);
                                return *ret_domain ? 1 : -ENOMEM;
                        }
                }
                line = eol ? eol + 1 : NULL;
        }
        return 0;
}
