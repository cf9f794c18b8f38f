/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/lifecycle, inside the sandbox VM: one device's guest start + stop, timed four ways in interleaved
 * rounds on the same device:
 *   passthrud  Manager.StartGuest + StopGuest over D-Bus, as a toolstack calls them
 *   ptctl      "ptctl start" + "ptctl stop" (two processes, as an admin or a hook script runs them)
 *   raw        the same sysfs writes from a shell script (override, unbind, probe, FLR; FLR, clear, unbind, bind)
 *   driverctl  driverctl --nosave set-override / unset-override (no reset: it does less)
 * usage: bench-lifecycle BDF GUEST ROUNDS RAW-SCRIPT ORIGINAL-DRIVER */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec * 1e3 + (double) t.tv_nsec / 1e6;
}

static int run(char *const argv[]) {
        posix_spawn_file_actions_t quiet;
        pid_t pid;
        int status;
        posix_spawn_file_actions_init(&quiet);
        posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        int r = posix_spawnp(&pid, argv[0], &quiet, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&quiet);
        if (r != 0)
                return -1;
        if (waitpid(pid, &status, 0) < 0)
                return -1;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int call(sd_bus *bus, const char *method, const char *guest) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(bus, "org.passthru1", "/org/passthru1", "org.passthru1.Manager", method, &error,
                                   &reply, "s", guest);
        if (r < 0)
                fprintf(stderr, "%s: %s\n", method, error.message ? error.message : strerror(-r));
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        return r;
}

static void check_driver(const char *bdf, const char *want) {
        char link[256], target[256];
        snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/driver", bdf);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = 0;
        if (strcmp(basename(target), want) != 0) {
                fprintf(stderr, "after a round %s is on '%s', not %s\n", bdf, target, want);
                exit(1);
        }
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
        qsort(v, (size_t) n, sizeof(double), cmp);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char *argv[]) {
        if (argc != 6) {
                fprintf(stderr, "usage: %s BDF GUEST ROUNDS RAW-SCRIPT ORIGINAL-DRIVER\n", argv[0]);
                return 2;
        }
        const char *bdf = argv[1], *guest = argv[2], *script = argv[4], *original = argv[5];
        int rounds = atoi(argv[3]);
        bool driverctl = access("/usr/sbin/driverctl", X_OK) == 0;
        double *pt = calloc((size_t) rounds, sizeof(double)), *cli = calloc((size_t) rounds, sizeof(double)),
               *raw = calloc((size_t) rounds, sizeof(double)), *drv = calloc((size_t) rounds, sizeof(double));
        sd_bus *bus = NULL;
        if (!pt || !cli || !raw || !drv || sd_bus_open_system(&bus) < 0)
                return 1;

        char *raw_argv[] = { "sh", (char *) script, (char *) bdf, (char *) original, NULL };
        char *start_argv[] = { "ptctl", "start", (char *) guest, NULL }, *stop_argv[] = { "ptctl", "stop", (char *) guest, NULL };
        char *set_argv[] = { "/usr/sbin/driverctl", "--nosave", "set-override", (char *) bdf, "vfio-pci", NULL };
        char *unset_argv[] = { "/usr/sbin/driverctl", "--nosave", "unset-override", (char *) bdf, NULL };

        /* Round 0 warms up (module loads, caches) and is not counted. */
        for (int i = -1; i < rounds; i++) {
                double t0 = now_ms();
                if (call(bus, "StartGuest", guest) < 0 || call(bus, "StopGuest", guest) < 0)
                        return 1;
                double t1 = now_ms();
                check_driver(bdf, original);
                if (run(start_argv) < 0 || run(stop_argv) < 0)
                        return 1;
                double t2 = now_ms();
                check_driver(bdf, original);
                if (run(raw_argv) < 0)
                        return 1;
                double t3 = now_ms();
                check_driver(bdf, original);
                double t4 = t3, t5 = t3;
                if (driverctl) {
                        t4 = now_ms();
                        if (run(set_argv) < 0 || run(unset_argv) < 0)
                                return 1;
                        t5 = now_ms();
                        check_driver(bdf, original);
                }
                if (i < 0)
                        continue;
                pt[i] = t1 - t0;
                cli[i] = t2 - t1;
                raw[i] = t3 - t2;
                drv[i] = t5 - t4;
                printf("round %2d: passthrud %.1f ms, ptctl %.1f ms, raw %.1f ms%s", i + 1, pt[i], cli[i], raw[i],
                       driverctl ? "" : "\n");
                if (driverctl)
                        printf(", driverctl %.1f ms\n", drv[i]);
        }
        double m_pt = median(pt, rounds), m_cli = median(cli, rounds), m_raw = median(raw, rounds);
        printf("median of %d rounds, start+stop of %s:\n", rounds, bdf);
        printf("  passthrud (D-Bus)  %7.1f ms  ratio to raw %.3f (overhead %+.1f %%)\n", m_pt, m_pt / m_raw,
               (m_pt / m_raw - 1) * 100);
        printf("  ptctl start/stop   %7.1f ms  ratio to raw %.3f\n", m_cli, m_cli / m_raw);
        printf("  raw sysfs script   %7.1f ms\n", m_raw);
        if (driverctl) {
                double m_drv = median(drv, rounds);
                printf("  driverctl          %7.1f ms  ratio to raw %.3f (no reset)\n", m_drv, m_drv / m_raw);
        } else
                printf("  driverctl          not in the image\n");
        sd_bus_unref(bus);
        return 0;
}
