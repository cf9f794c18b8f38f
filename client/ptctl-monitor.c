/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ptctl monitor: passthrud's signals as they happen, one line each. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "ptctl.h"

static int on_device_signal(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *path, *address;
        if (sd_bus_message_read(m, "os", &path, &address) < 0)
                return 0;
        printf("%s %s\n", sd_bus_message_get_member(m), address);
        fflush(stdout);
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *iface, *path = sd_bus_message_get_path(m);
        unsigned d, b, s, f;

        if (sd_bus_message_read(m, "s", &iface) < 0 || !path)
                return 0;
        if (streq(iface, PT_DEVICE_INTERFACE) &&
            sscanf(path, PT_DEVICE_PATH_PREFIX "/pci_%x_%x_%x_%x", &d, &b, &s, &f) == 4)
                printf("Changed %04x:%02x:%02x.%x", d, b, s, f);
        else if (streq(iface, PT_GUEST_INTERFACE)) {
                _cleanup_free_ char *name = NULL;
                if (sd_bus_path_decode(path, PT_GUEST_PATH_PREFIX, &name) <= 0)
                        return 0;
                printf("Guest %s", name);
        } else
                return 0;
        if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                const char *name, *contents, *str;
                if (sd_bus_message_read(m, "s", &name) < 0 || sd_bus_message_peek_type(m, NULL, &contents) < 0)
                        break;
                printf(" %s=", name);
                if (sd_bus_message_enter_container(m, 'v', contents) <= 0)
                        break;
                if (contents[0] == 'a' && contents[1] == '(') {
                        /* Guest.Assignments: ptctl guest shows them; the line says they changed. */
                        (void) sd_bus_message_skip(m, contents);
                        printf("(changed)");
                } else if (streq(contents, "s") && sd_bus_message_read(m, "s", &str) >= 0)
                        printf("%s", isempty(str) ? "-" : str);
                else if (streq(contents, "i")) {
                        int32_t i = 0;
                        (void) sd_bus_message_read(m, "i", &i);
                        printf("%d", i);
                } else if (streq(contents, "u")) {
                        uint32_t u = 0;
                        (void) sd_bus_message_read(m, "u", &u);
                        printf("%u", u);
                } else if (streq(contents, "b")) {
                        int flag = 0;
                        (void) sd_bus_message_read(m, "b", &flag);
                        printf("%s", flag ? "yes" : "no");
                } else if (streq(contents, "ai")) {
                        const int32_t *v = NULL;
                        size_t size = 0;
                        (void) sd_bus_message_read_array(m, 'i', (const void **) &v, &size);
                        for (size_t k = 0; k < size / sizeof(int32_t); k++)
                                printf("%s%d", k ? "," : "", v[k]);
                        if (size == 0)
                                printf("-");
                } else if (streq(contents, "as")) {
                        char **l = NULL;
                        (void) sd_bus_message_read_strv(m, &l);
                        for (char **i = l; i && *i; i++)
                                printf("%s%s", i == l ? "" : ",", *i);
                        if (!l || !*l)
                                printf("-");
                        for (char **i = l; i && *i; i++)
                                free(*i);
                        free(l);
                } else
                        (void) sd_bus_message_skip(m, contents);
                (void) sd_bus_message_exit_container(m);
                (void) sd_bus_message_exit_container(m);
        }
        printf("\n");
        fflush(stdout);
        return 0;
}

int ptctl_cmd_monitor(PtctlContext *ctx, int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (argc > 1)
                return ptctl_usage_error("monitor", "unexpected argument '%s'", argv[1]);
        bus = ptctl_bus();
        if (!bus)
                return PTCTL_EXIT_FAILED;
        r = sd_bus_match_signal(bus, NULL, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "DeviceAdded",
                                on_device_signal, NULL);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE,
                                        "DeviceRemoved", on_device_signal, NULL);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "GuestAdded",
                                        on_device_signal, NULL);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE,
                                        "GuestRemoved", on_device_signal, NULL);
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',sender='" PT_BUS_NAME "',interface='org.freedesktop.DBus.Properties',"
                                     "member='PropertiesChanged',path_namespace='" PT_DEVICE_PATH_PREFIX "'",
                                     on_properties_changed, NULL);
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',sender='" PT_BUS_NAME "',interface='org.freedesktop.DBus.Properties',"
                                     "member='PropertiesChanged',path_namespace='" PT_GUEST_PATH_PREFIX "'",
                                     on_properties_changed, NULL);
        if (r < 0)
                return ptctl_report_error(NULL, r, "subscribing to passthrud's signals failed");
        fprintf(stderr, "Watching passthrud's events (Ctrl-C stops)...\n");
        for (;;) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return ptctl_report_error(NULL, r, "lost the bus");
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0)
                        return ptctl_report_error(NULL, r, "lost the bus");
        }
}
