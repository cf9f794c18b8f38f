/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ptctl status: what kind of host passthrud sees. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-json.h"
#include "guest-info.h"
#include "ptctl.h"
#include "xl-config.h"

static void emit(PtctlContext *ctx, PtJson *j, const char *name, const char *status, const char *message,
                 const char *fix) {
        if (ctx->json) {
                pt_json_begin_object(j);
                pt_json_key(j, "check");
                pt_json_string(j, name);
                pt_json_key(j, "status");
                pt_json_string(j, status);
                pt_json_key(j, "message");
                pt_json_string(j, message);
                pt_json_key(j, "fix");
                pt_json_string(j, isempty(fix) ? NULL : fix);
                pt_json_end_object(j);
                return;
        }
        printf("%-4s  %-20s %s\n", streq(status, "ok") ? "ok" : streq(status, "warn") ? "WARN" : "FAIL", name, message);
        if (!isempty(fix))
                printf("      %-20s fix: %s\n", "", fix);
}

/* ok / warn / fail per check with its fix; exit 1 when anything fails. */
int ptctl_cmd_doctor(PtctlContext *ctx, int argc, char *argv[]) {
        static const struct option options[] = { { "json", no_argument, NULL, 'j' },
                                                  { "xl-config", required_argument, NULL, 'x' }, {} };
        const char *xl_config = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        bool failed = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "j", options, NULL)) >= 0)
                switch (c) {
                case 'j': ctx->json = true; break;
                case 'x': xl_config = optarg; break;
                default: return ptctl_usage_error("doctor", "unknown option");
                }
        if (argc - optind > 1)
                return ptctl_usage_error("doctor", "unexpected argument '%s'", argv[optind + 1]);
        if (xl_config && optind >= argc)
                return ptctl_usage_error("doctor", "--xl-config checks a guest's configuration: name the guest");
        if (!(bus = ptctl_bus()))
                return PTCTL_EXIT_FAILED;
        r = sd_bus_call_method(bus, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "Doctor", &error, &reply, "s",
                               optind < argc ? argv[optind] : "");
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ssss)");
        if (r < 0)
                return ptctl_report_error(&error, r, "the checks failed");
        PtJson j;
        if (ctx->json) {
                pt_json_init(&j, stdout);
                pt_json_begin_array(&j);
        }
        for (;;) {
                const char *name, *status, *message, *fix;
                r = sd_bus_message_read(reply, "(ssss)", &name, &status, &message, &fix);
                if (r <= 0)
                        break;
                failed = failed || streq(status, "fail");
                emit(ctx, &j, name, status, message, fix);
        }
        if (r < 0)
                return ptctl_report_error(NULL, r, "reading the reply failed");
        /* The guest's xl configuration against what passthrud has for it (read here: the file is the caller's). */
        if (xl_config) {
                GuestInfo g = {};
                XlFinding *found = NULL;
                size_t n = 0;
                r = guest_info_get(bus, argv[optind], &g, &error);
                if (r < 0)
                        return ptctl_report_error(&error, r, "reading the guest failed");
                r = xl_config_check(xl_config, &g, &found, &n);
                guest_info_free(&g);
                if (r < 0)
                        return ptctl_report_error(NULL, r, "reading the xl configuration file failed");
                for (size_t i = 0; i < n; i++) {
                        failed = failed || streq(found[i].status, "fail");
                        emit(ctx, &j, "xl-config", found[i].status, found[i].message, found[i].fix);
                }
                xl_findings_free(found, n);
        }
        if (ctx->json) {
                pt_json_end_array(&j);
                pt_json_finish(&j);
        }
        return failed ? PTCTL_EXIT_FAILED : PTCTL_EXIT_OK;
}

int ptctl_cmd_status(PtctlContext *ctx, int argc, char *argv[]) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                {}
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *version = NULL, *hypervisor = NULL, *stub = NULL;
        int groups = 0, c, r;
        uint32_t count = 0;

        while ((c = getopt_long(argc, argv, "j", options, NULL)) >= 0)
                switch (c) {
                case 'j': ctx->json = true; break;
                default: return ptctl_usage_error("status", "unknown option");
                }
        if (optind < argc)
                return ptctl_usage_error("status", "unexpected argument '%s'", argv[optind]);

        bus = ptctl_bus();
        if (!bus)
                return PTCTL_EXIT_FAILED;
#define GET(name, sig, ptr) \
        sd_bus_get_property_trivial(bus, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, name, &error, sig, ptr)
#define GET_STR(name, ptr) \
        sd_bus_get_property_string(bus, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, name, &error, ptr)
        if ((r = GET_STR("Version", &version)) < 0 || (r = GET_STR("Hypervisor", &hypervisor)) < 0 ||
            (r = GET_STR("StubDriver", &stub)) < 0 || (r = GET("IommuGroups", 'b', &groups)) < 0 ||
            (r = GET("DeviceCount", 'u', &count)) < 0)
                return ptctl_report_error(&error, r, "reading passthrud's status failed");

        if (ctx->json) {
                PtJson j;
                pt_json_init(&j, stdout);
                pt_json_begin_object(&j);
                pt_json_key(&j, "version");
                pt_json_string(&j, version);
                pt_json_key(&j, "hypervisor");
                pt_json_string(&j, hypervisor);
                pt_json_key(&j, "stub_driver");
                pt_json_string(&j, stub);
                pt_json_key(&j, "iommu_groups");
                pt_json_bool(&j, groups);
                pt_json_key(&j, "devices");
                pt_json_int(&j, count);
                pt_json_end_object(&j);
                pt_json_finish(&j);
        } else {
                printf("passthrud:    %s\n", version);
                printf("Hypervisor:   %s\n", streq(hypervisor, "none") ? "none (bare metal or KVM host)" :
                                             streq(hypervisor, "xen-dom0") ? "Xen, this is dom0" :
                                             streq(hypervisor, "xen-domu") ? "Xen, this is a domU" : hypervisor);
                printf("Stub driver:  %s\n", stub);
                printf("IOMMU groups: %s\n", groups ? "yes" : streq(hypervisor, "xen-dom0") ?
                                             "none (Xen owns the IOMMU)" : "none (no IOMMU active)");
                printf("Devices:      %u\n", count);
        }
        return PTCTL_EXIT_OK;
}
