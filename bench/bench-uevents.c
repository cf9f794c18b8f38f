/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/uevents: a storm of N PCI uevents from the fake kernel, received two ways in the same run:
 *   floor      a bare libudev monitor that only counts them (the least any listener can do)
 *   passthrud  the daemon: counted in UeventsProcessed, with its inventory, hotplug counting and policy
 * usage: bench-uevents CTL N floor
 *        bench-uevents CTL N passthrud PID
 * CTL is the fake kernel's ctl file; N events are half "add" and half "change", over three devices. */
#include <errno.h>
#include <libudev.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

static const char *const devices[] = { "0000:00:19.0", "0000:02:00.0", "0000:01:00.0" };

static double now_ms(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec * 1e3 + (double) t.tv_nsec / 1e6;
}

static void storm(const char *ctl, long n) {
        for (long sent = 0, i = 0; sent < n; i++) {
                long batch = n - sent < 1000 ? n - sent : 1000;
                FILE *f = fopen(ctl, "we");
                if (!f || fprintf(f, "uevent %s %s %ld\n", devices[i % 3], i % 2 ? "change" : "add", batch) < 0 ||
                    fclose(f) != 0) {
                        perror("writing the fake kernel's ctl");
                        exit(1);
                }
                sent += batch;
        }
}

static long hwm_kib(long pid, const char *field) {
        char path[64], line[256];
        long v = -1;
        snprintf(path, sizeof(path), "/proc/%ld/status", pid);
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, field, strlen(field)) == 0)
                        v = strtol(line + strlen(field), NULL, 10);
        if (f)
                fclose(f);
        return v;
}

static uint64_t processed(sd_bus *bus) {
        uint64_t v = 0;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        if (sd_bus_get_property_trivial(bus, "org.passthru1", "/org/passthru1", "org.passthru1.Manager",
                                        "UeventsProcessed", &error, 't', &v) < 0) {
                fprintf(stderr, "UeventsProcessed: %s\n", error.message);
                exit(1);
        }
        sd_bus_error_free(&error);
        return v;
}

int main(int argc, char *argv[]) {
        if (argc < 4) {
                fprintf(stderr, "usage: %s CTL N floor | CTL N passthrud PID\n", argv[0]);
                return 2;
        }
        const char *ctl = argv[1];
        long n = atol(argv[2]);
        if (strcmp(argv[3], "floor") == 0) {
                struct udev *u = udev_new();
                struct udev_monitor *mon = udev_monitor_new_from_netlink(u, "udev");
                udev_monitor_filter_add_match_subsystem_devtype(mon, "pci", NULL);
                udev_monitor_set_receive_buffer_size(mon, 128 * 1024 * 1024);
                udev_monitor_enable_receiving(mon);
                double t0 = now_ms();
                storm(ctl, n);
                long got = 0;
                struct pollfd p = { .fd = udev_monitor_get_fd(mon), .events = POLLIN };
                while (got < n && poll(&p, 1, 10000) > 0) {
                        struct udev_device *d = udev_monitor_receive_device(mon);
                        if (d) {
                                got++;
                                udev_device_unref(d);
                        }
                }
                double t1 = now_ms();
                printf("floor: %ld of %ld events in %.1f ms: %.0f events/s\n", got, n, t1 - t0, got / (t1 - t0) * 1e3);
                return got == n ? 0 : 1;
        }
        if (strcmp(argv[3], "passthrud") != 0 || argc != 5)
                return 2;
        long pid = atol(argv[4]);
        sd_bus *bus = NULL;
        if (sd_bus_open_system(&bus) < 0)
                return 1;
        long rss0 = hwm_kib(pid, "VmRSS:");
        uint64_t base = processed(bus);
        double t0 = now_ms();
        storm(ctl, n);
        uint64_t got = base;
        for (int i = 0; i < 60000 && (got = processed(bus)) < base + (uint64_t) n; i++)
                usleep(1000);
        double t1 = now_ms();
        printf("passthrud: %llu of %ld events in %.1f ms: %.0f events/s; VmRSS %ld KiB before, %ld KiB after, peak "
               "(VmHWM) %ld KiB\n", (unsigned long long) (got - base), n, t1 - t0, (got - base) / (t1 - t0) * 1e3,
               rss0, hwm_kib(pid, "VmRSS:"), hwm_kib(pid, "VmHWM:"));
        sd_bus_unref(bus);
        return got - base == (uint64_t) n ? 0 : 1;
}
