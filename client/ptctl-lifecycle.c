/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ptctl start / stop / reset / hide / unhide / hidden / boot-config. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device-info.h"
#include "passthru/pt-address.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-json.h"
#include "pt-util.h"
#include "ptctl.h"

/* A start waits its turn behind other operations and may reset several devices. */
#define LIFECYCLE_CALL_TIMEOUT_USEC (300ULL * 1000000ULL)

static int call(const char *what, sd_bus_message *m, sd_bus *bus, sd_bus_message **reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call(bus, m, LIFECYCLE_CALL_TIMEOUT_USEC, &error, reply);
        if (r < 0)
                return ptctl_report_error(&error, r, what);
        return PTCTL_EXIT_OK;
}

static int no_options(const char *command, int argc, char *argv[], int want, const char *what) {
        if (argc != want + 1)
                return ptctl_usage_error(command, "%s", what);
        for (int i = 1; i < argc; i++)
                if (argv[i][0] == '-')
                        return ptctl_usage_error(command, "unknown option '%s'", argv[i]);
        return 0;
}

/* Manager.SetOwner: the guest leased to process pid, or to Xen domain 'domain'. */
static int set_owner(sd_bus *bus, const char *guest, uint32_t pid, const char *domain) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "SetOwner");
        if (r >= 0)
                r = domain ? sd_bus_message_append(m, "sa{sv}", guest, 1, "xen_domain", "s", domain) :
                             sd_bus_message_append(m, "sa{sv}", guest, 1, "pid", "u", pid);
        if (r < 0)
                return ptctl_report_error(NULL, r, "building the request failed");
        return call("leasing the guest to its owner failed", m, bus, &reply);
}

static int parse_pid(const char *command, const char *s, uint32_t *ret) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (!*s || *end || v == 0 || v > 0x7fffffff)
                return ptctl_usage_error(command, "--pid takes a process ID, not '%s'", s);
        *ret = (uint32_t) v;
        return 0;
}

int ptctl_cmd_set_owner(PtctlContext *ctx, int argc, char *argv[]) {
        static const struct option options[] = { { "pid", required_argument, NULL, 'p' },
                                                  { "xen-domain", required_argument, NULL, 'x' }, {} };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *domain = NULL;
        uint32_t pid = 0;
        int c, r;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        if ((r = parse_pid("set-owner", optarg, &pid)) != 0)
                                return r;
                        break;
                case 'x': domain = optarg; break;
                default: return ptctl_usage_error("set-owner", "unknown option");
                }
        if (argc - optind != 1 || !pid == !domain)
                return ptctl_usage_error("set-owner", "set-owner GUEST --pid PID | --xen-domain NAME");
        if (!(bus = ptctl_bus()))
                return PTCTL_EXIT_FAILED;
        r = set_owner(bus, argv[optind], pid, domain);
        if (r == PTCTL_EXIT_OK && domain)
                printf("Guest %s is leased to Xen domain %s\n", argv[optind], domain);
        else if (r == PTCTL_EXIT_OK)
                printf("Guest %s is leased to pid %u\n", argv[optind], pid);
        return r;
}

int ptctl_cmd_start(PtctlContext *ctx, int argc, char *argv[]) {
        static const struct option options[] = { { "json", no_argument, NULL, 'j' },
                                                  { "pid", required_argument, NULL, 'p' },
                                                  { "dry-run", no_argument, NULL, 'D' }, {} };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        uint32_t pid = 0;
        bool dry = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "j", options, NULL)) >= 0)
                switch (c) {
                case 'j': ctx->json = true; break;
                case 'D': dry = true; break;
                case 'p':
                        if ((r = parse_pid("start", optarg, &pid)) != 0)
                                return r;
                        break;
                default: return ptctl_usage_error("start", "unknown option");
                }
        if (argc - optind != 1)
                return ptctl_usage_error("start", "which guest?");
        const char *guest = argv[optind];
        if (!(bus = ptctl_bus()))
                return PTCTL_EXIT_FAILED;
        if (dry)
                return ptctl_dry_run(ctx, bus, "start", guest, NULL, NULL, NULL);
        r = sd_bus_message_new_method_call(bus, &m, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "StartGuest");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", guest);
        if (r < 0)
                return ptctl_report_error(NULL, r, "building the request failed");
        r = call("starting the guest failed", m, bus, &reply);
        if (r != PTCTL_EXIT_OK)
                return r;
        /* Its owner: once started, the guest is stopped by passthrud should the owner end without a stop. */
        if (pid && (r = set_owner(bus, guest, pid, NULL)) != PTCTL_EXIT_OK)
                return r;

        PtJson j;
        if (ctx->json) {
                pt_json_init(&j, stdout);
                pt_json_begin_array(&j);
        } else
                printf("Guest %s started:\n", guest);
        r = sd_bus_message_enter_container(reply, 'a', "(ssbbis)");
        while (r >= 0) {
                const char *address, *driver, *extra;
                int managed, permissive, vslot;
                r = sd_bus_message_read(reply, "(ssbbis)", &address, &driver, &managed, &permissive, &vslot, &extra);
                if (r <= 0)
                        break;
                /* The nodes a VMM opens for the device, now that it is on its stub. */
                _cleanup_(sd_bus_error_free) sd_bus_error node_error = SD_BUS_ERROR_NULL;
                DeviceInfo info = { .numa_node = -1 };
                (void) device_info_get(bus, address, &info, &node_error);
                if (ctx->json) {
                        pt_json_begin_object(&j);
                        pt_json_key(&j, "address");
                        pt_json_string(&j, address);
                        pt_json_key(&j, "driver");
                        pt_json_string(&j, driver);
                        pt_json_key(&j, "vfio_group_node");
                        pt_json_string(&j, isempty(info.vfio_group_node) ? NULL : info.vfio_group_node);
                        pt_json_key(&j, "vfio_device_node");
                        pt_json_string(&j, isempty(info.vfio_device_node) ? NULL : info.vfio_device_node);
                        pt_json_key(&j, "numa_node");
                        if (info.numa_node >= 0)
                                pt_json_int(&j, info.numa_node);
                        else
                                pt_json_null(&j);
                        pt_json_key(&j, "managed");
                        pt_json_bool(&j, managed);
                        pt_json_key(&j, "permissive");
                        pt_json_bool(&j, permissive);
                        pt_json_key(&j, "vslot");
                        if (vslot >= 0)
                                pt_json_int(&j, vslot);
                        else
                                pt_json_null(&j);
                        pt_json_key(&j, "options");
                        pt_json_string(&j, isempty(extra) ? NULL : extra);
                        pt_json_end_object(&j);
                } else {
                        printf("  %s  on %s, %s%s", address, driver, managed ? "managed" : "unmanaged",
                               permissive ? ", permissive" : "");
                        if (vslot >= 0)
                                printf(", vslot 0x%x", (unsigned) vslot);
                        printf("%s%s", isempty(extra) ? "" : ", ", extra);
                        if (!isempty(info.vfio_group_node))
                                printf(", %s", info.vfio_group_node);
                        if (!isempty(info.vfio_device_node))
                                printf(", %s", info.vfio_device_node);
                        printf("\n");
                }
                device_info_free(&info);
        }
        if (ctx->json) {
                pt_json_end_array(&j);
                pt_json_finish(&j);
        }
        if (r < 0)
                return ptctl_report_error(NULL, r, "reading the reply failed");
        return PTCTL_EXIT_OK;
}

int ptctl_cmd_stop(PtctlContext *ctx, int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r = no_options("stop", argc, argv, 1, "which guest?");
        if (r != 0)
                return r;
        if (!(bus = ptctl_bus()))
                return PTCTL_EXIT_FAILED;
        r = sd_bus_message_new_method_call(bus, &m, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "StopGuest");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", argv[1]);
        if (r < 0)
                return ptctl_report_error(NULL, r, "building the request failed");
        r = call("stopping the guest failed", m, bus, &reply);
        if (r == PTCTL_EXIT_OK)
                printf("Guest %s stopped\n", argv[1]);
        return r;
}

int ptctl_cmd_reset(PtctlContext *ctx, int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *method;
        int r = no_options("reset", argc, argv, 1, "which device?");
        if (r != 0)
                return r;
        if (!(bus = ptctl_bus()))
                return PTCTL_EXIT_FAILED;
        r = sd_bus_message_new_method_call(bus, &m, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "ResetDevice");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", argv[1]);
        if (r < 0)
                return ptctl_report_error(NULL, r, "building the request failed");
        r = call("resetting failed", m, bus, &reply);
        if (r != PTCTL_EXIT_OK)
                return r;
        if (sd_bus_message_read(reply, "s", &method) < 0)
                return ptctl_report_error(NULL, -EBADMSG, "reading the reply failed");
        printf("Reset %s (%s)\n", argv[1], isempty(method) ? "the kernel's choice" : method);
        return PTCTL_EXIT_OK;
}

typedef struct HideArgs {
        const char *driver;
        bool force;
} HideArgs;

static int append_hide_options(sd_bus_message *m, const void *userdata) {
        const HideArgs *h = userdata;
        int r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && h->driver)
                r = sd_bus_message_append(m, "{sv}", "driver", "s", h->driver);
        if (r >= 0 && h->force)
                r = sd_bus_message_append(m, "{sv}", "force", "b", 1);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

int ptctl_cmd_hide(PtctlContext *ctx, int argc, char *argv[]) {
        static const struct option options[] = {
                { "driver", required_argument, NULL, 'd' },
                { "force", no_argument, NULL, 'f' },
                { "dry-run", no_argument, NULL, 'D' },
                { "json", no_argument, NULL, 'j' },
                {}
        };
        bool force = false, dry = false;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *driver = NULL, *address;
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'd': driver = optarg; break;
                case 'f': force = true; break;
                case 'D': dry = true; break;
                case 'j': ctx->json = true; break;
                default: return ptctl_usage_error("hide", "unknown option");
                }
        if (argc - optind != 1)
                return ptctl_usage_error("hide", "which device?");
        if (!(bus = ptctl_bus()))
                return PTCTL_EXIT_FAILED;
        if (dry) {
                HideArgs h = { .driver = driver, .force = force };
                return ptctl_dry_run(ctx, bus, "hide", NULL, (char *[]) { argv[optind], NULL }, append_hide_options,
                                     &h);
        }
        r = sd_bus_message_new_method_call(bus, &m, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "Hide");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", argv[optind]);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && driver)
                r = sd_bus_message_append(m, "{sv}", "driver", "s", driver);
        if (r >= 0 && force)
                r = sd_bus_message_append(m, "{sv}", "force", "b", 1);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return ptctl_report_error(NULL, r, "building the request failed");
        r = call("hiding failed", m, bus, &reply);
        if (r != PTCTL_EXIT_OK)
                return r;
        if (sd_bus_message_read(reply, "s", &address) < 0)
                return ptctl_report_error(NULL, -EBADMSG, "reading the reply failed");
        printf("Hid %s from the host\n", address);
        return PTCTL_EXIT_OK;
}

int ptctl_cmd_unhide(PtctlContext *ctx, int argc, char *argv[]) {
        static const struct option options[] = { { "no-rebind", no_argument, NULL, 'n' }, {} };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        bool rebind = true;
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'n': rebind = false; break;
                default: return ptctl_usage_error("unhide", "unknown option");
                }
        if (argc - optind != 1)
                return ptctl_usage_error("unhide", "which device?");
        if (!(bus = ptctl_bus()))
                return PTCTL_EXIT_FAILED;
        r = sd_bus_message_new_method_call(bus, &m, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "Unhide");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", argv[optind]);
        if (r >= 0)
                r = rebind ? sd_bus_message_append(m, "a{sv}", 0) :
                             sd_bus_message_append(m, "a{sv}", 1, "rebind", "b", 0);
        if (r < 0)
                return ptctl_report_error(NULL, r, "building the request failed");
        r = call("unhiding failed", m, bus, &reply);
        if (r == PTCTL_EXIT_OK)
                printf("Unhid %s%s\n", argv[optind], rebind ? "" : " (left without a driver)");
        return r;
}

typedef struct HiddenEntry {
        char *address, *driver, *state, *current, *original;
} HiddenEntry;

static void hidden_free(HiddenEntry *l, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(l[i].address);
                free(l[i].driver);
                free(l[i].state);
                free(l[i].current);
                free(l[i].original);
        }
        free(l);
}

static int list_hidden(sd_bus *bus, HiddenEntry **ret, size_t *n) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        HiddenEntry *l = NULL;
        size_t count = 0;
        int r = sd_bus_call_method(bus, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "ListHidden", &error,
                                   &reply, "");
        if (r < 0)
                return ptctl_report_error(&error, r, "listing hidden devices failed");
        r = sd_bus_message_enter_container(reply, 'a', "(sssss)");
        while (r >= 0) {
                const char *a, *d, *s, *c, *o;
                r = sd_bus_message_read(reply, "(sssss)", &a, &d, &s, &c, &o);
                if (r <= 0)
                        break;
                HiddenEntry *grown = realloc(l, (count + 1) * sizeof(*l));
                if (!grown) {
                        r = -ENOMEM;
                        break;
                }
                l = grown;
                l[count++] = (HiddenEntry) { strdup(a), strdup(d), strdup(s), strdup(c), strdup(o) };
        }
        if (r < 0) {
                hidden_free(l, count);
                return ptctl_report_error(NULL, r, "reading the reply failed");
        }
        *ret = l;
        *n = count;
        return PTCTL_EXIT_OK;
}

int ptctl_cmd_hidden(PtctlContext *ctx, int argc, char *argv[]) {
        static const struct option options[] = { { "json", no_argument, NULL, 'j' }, {} };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        HiddenEntry *l = NULL;
        size_t n = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, "j", options, NULL)) >= 0)
                switch (c) {
                case 'j': ctx->json = true; break;
                default: return ptctl_usage_error("hidden", "unknown option");
                }
        if (optind < argc)
                return ptctl_usage_error("hidden", "unexpected argument '%s'", argv[optind]);
        if (!(bus = ptctl_bus()))
                return PTCTL_EXIT_FAILED;
        r = list_hidden(bus, &l, &n);
        if (r != PTCTL_EXIT_OK)
                return r;
        if (ctx->json) {
                PtJson j;
                pt_json_init(&j, stdout);
                pt_json_begin_array(&j);
                for (size_t i = 0; i < n; i++) {
                        pt_json_begin_object(&j);
                        pt_json_key(&j, "address");
                        pt_json_string(&j, l[i].address);
                        pt_json_key(&j, "driver");
                        pt_json_string(&j, l[i].driver);
                        pt_json_key(&j, "state");
                        pt_json_string(&j, l[i].state);
                        pt_json_key(&j, "current_driver");
                        pt_json_string(&j, isempty(l[i].current) ? NULL : l[i].current);
                        pt_json_key(&j, "original_driver");
                        pt_json_string(&j, isempty(l[i].original) ? NULL : l[i].original);
                        pt_json_end_object(&j);
                }
                pt_json_end_array(&j);
                pt_json_finish(&j);
        } else {
                printf("%-14s %-10s %-9s %-12s %s\n", "DEVICE", "STUB", "STATE", "DRIVER", "ORIGINAL");
                for (size_t i = 0; i < n; i++)
                        printf("%-14s %-10s %-9s %-12s %s\n", l[i].address, l[i].driver, l[i].state,
                               isempty(l[i].current) ? "-" : l[i].current,
                               isempty(l[i].original) ? "-" : l[i].original);
        }
        hidden_free(l, n);
        return PTCTL_EXIT_OK;
}

/* vfio-pci.ids matches by vendor:device on every device, hidden or not: say which others it would take. */
static int vfio_ids(sd_bus *bus, HiddenEntry *l, size_t n, char ***ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        DeviceInfo *all = NULL;
        size_t n_all = 0;
        int r = device_info_list(bus, &all, &n_all, &error);
        if (r < 0)
                return ptctl_report_error(&error, r, "reading the inventory failed");
        for (size_t i = 0; i < n; i++) {
                const DeviceInfo *d = NULL;
                for (size_t k = 0; k < n_all; k++)
                        if (streq(all[k].address, l[i].address))
                                d = &all[k];
                if (!d) {
                        fprintf(stderr, "ptctl: %s is not present, so its vendor:device ID is unknown; left out\n",
                                l[i].address);
                        continue;
                }
                char id[10];
                snprintf(id, sizeof(id), "%04x:%04x", d->vendor_id, d->device_id);
                if (!pt_strv_contains(*ret, id))
                        (void) pt_strv_push(ret, strdup(id));
                for (size_t k = 0; k < n_all; k++) {
                        bool hidden = false;
                        for (size_t h = 0; h < n; h++)
                                hidden = hidden || streq(l[h].address, all[k].address);
                        if (!hidden && all[k].vendor_id == d->vendor_id && all[k].device_id == d->device_id)
                                fprintf(stderr, "ptctl: warning: vfio-pci.ids=%s also takes %s, which is not hidden\n",
                                        id, all[k].address);
                }
        }
        for (size_t k = 0; k < n_all; k++)
                device_info_free(&all[k]);
        free(all);
        return PTCTL_EXIT_OK;
}

int ptctl_cmd_boot_config(PtctlContext *ctx, int argc, char *argv[]) {
        static const struct option options[] = { { "format", required_argument, NULL, 'f' }, {} };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **ids = NULL;
        const char *format = NULL;
        HiddenEntry *l = NULL;
        size_t n = 0, used = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'f': format = optarg; break;
                default: return ptctl_usage_error("boot-config", "unknown option");
                }
        if (optind < argc)
                return ptctl_usage_error("boot-config", "unexpected argument '%s'", argv[optind]);
        if (format && !streq(format, "cmdline") && !streq(format, "modprobe") && !streq(format, "vfio"))
                return ptctl_usage_error("boot-config", "--format is cmdline, modprobe or vfio, not '%s'", format);
        if (!(bus = ptctl_bus()))
                return PTCTL_EXIT_FAILED;
        if (!format) {
                _cleanup_free_ char *stub = NULL;
                r = sd_bus_get_property_string(bus, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "StubDriver",
                                               NULL, &stub);
                format = r >= 0 && streq(stub, "pciback") ? "cmdline" : "vfio";
        }
        r = list_hidden(bus, &l, &n);
        if (r != PTCTL_EXIT_OK)
                return r;
        const char *want = streq(format, "vfio") ? "vfio-pci" : "pciback";

        /* One bad entry in xen-pciback.hide= makes pciback ignore the whole list: every address is checked. */
        HiddenEntry *sel = calloc(n + 1, sizeof(*sel));
        for (size_t i = 0; sel && i < n; i++) {
                _cleanup_free_ char *reason = NULL;
                char bdf[PT_ADDRESS_STRLEN];
                PtAddress a;
                if (!streq(l[i].driver, want))
                        continue;
                if (pt_address_parse(l[i].address, &a, &reason) < 0 || !streq(pt_address_format(&a, bdf), l[i].address)) {
                        fprintf(stderr, "ptctl: hidden address '%s' is not a valid PCI address%s%s; refusing to print "
                                "a configuration that would be ignored\n", l[i].address, reason ? ": " : "",
                                strempty(reason));
                        free(sel);
                        hidden_free(l, n);
                        return PTCTL_EXIT_FAILED;
                }
                sel[used++] = l[i];
        }
        if (!sel) {
                hidden_free(l, n);
                return ptctl_report_error(NULL, -ENOMEM, "boot-config");
        }
        if (used == 0) {
                fprintf(stderr, "ptctl: no devices are hidden with %s\n", want);
                free(sel);
                hidden_free(l, n);
                return PTCTL_EXIT_FAILED;
        }
        if (streq(format, "vfio")) {
                r = vfio_ids(bus, sel, used, &ids);
                if (r == PTCTL_EXIT_OK && pt_strv_length(ids) > 0) {
                        printf("vfio-pci.ids=");
                        for (char **i = ids; *i; i++)
                                printf("%s%s", i == ids ? "" : ",", *i);
                        printf("\n");
                } else if (r == PTCTL_EXIT_OK)
                        r = PTCTL_EXIT_FAILED;
        } else {
                printf("%s", streq(format, "cmdline") ? "xen-pciback.hide=" : "options xen-pciback hide=");
                for (size_t i = 0; i < used; i++)
                        printf("(%s)", sel[i].address);
                printf("\n");
        }
        free(sel);
        hidden_free(l, n);
        return r;
}
