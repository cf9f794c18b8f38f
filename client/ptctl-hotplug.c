/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ptctl attach / detach / can-migrate. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-json.h"
#include "pt-util.h"
#include "assign-args.h"
#include "ptctl.h"

/* An attach may wait behind other operations and resets its device. */
#define HOTPLUG_CALL_TIMEOUT_USEC (300ULL * 1000000ULL)

int ptctl_cmd_attach(PtctlContext *ctx, int argc, char *argv[]) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(assign_args_done) AssignArgs args;
        const char *address, *got_driver, *extra;
        int c, r, managed, perm, slot;

        assign_args_init(&args);
        while ((c = getopt_long(argc, argv, "", assign_args_options, NULL)) >= 0) {
                r = assign_args_parse(&args, "attach", c, optarg);
                if (r < 0)
                        return ptctl_usage_error("attach", "unknown option");
                if (r > 0)
                        return r;
        }
        if (argc - optind != 2)
                return ptctl_usage_error("attach", "which guest and which device?");
        if (!(bus = ptctl_bus()))
                return PTCTL_EXIT_FAILED;
        if (args.dry_run)
                return ptctl_dry_run(ctx, bus, "attach", argv[optind], argv + optind + 1, assign_args_append_dry_run,
                                     &args);
        r = sd_bus_message_new_method_call(bus, &m, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "AttachDevice");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", argv[optind], argv[optind + 1]);
        if (r >= 0)
                r = assign_args_append(m, &args);
        if (r < 0)
                return ptctl_report_error(NULL, r, "building the request failed");
        r = sd_bus_call(bus, m, HOTPLUG_CALL_TIMEOUT_USEC, &error, &reply);
        if (r < 0)
                return ptctl_report_error(&error, r, "attaching failed");
        r = sd_bus_message_read(reply, "(ssbbis)", &address, &got_driver, &managed, &perm, &slot, &extra);
        if (r < 0)
                return ptctl_report_error(NULL, r, "reading the reply failed");
        printf("Attached %s to %s on %s%s", address, argv[optind], got_driver, perm ? ", permissive" : "");
        if (slot >= 0)
                printf(", vslot 0x%x", (unsigned) slot);
        printf("\n");
        return PTCTL_EXIT_OK;
}

int ptctl_cmd_detach(PtctlContext *ctx, int argc, char *argv[]) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-')
                return ptctl_usage_error("detach", "which guest and which device?");
        if (!(bus = ptctl_bus()))
                return PTCTL_EXIT_FAILED;
        r = sd_bus_message_new_method_call(bus, &m, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "DetachDevice");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", argv[1], argv[2]);
        if (r < 0)
                return ptctl_report_error(NULL, r, "building the request failed");
        r = sd_bus_call(bus, m, HOTPLUG_CALL_TIMEOUT_USEC, &error, &reply);
        if (r < 0)
                return ptctl_report_error(&error, r, "detaching failed");
        printf("Detached %s from %s\n", argv[2], argv[1]);
        return PTCTL_EXIT_OK;
}

/* Exit 0 when the guest may migrate, 1 when not; the reason either way. */
int ptctl_cmd_can_migrate(PtctlContext *ctx, int argc, char *argv[]) {
        static const struct option options[] = { { "json", no_argument, NULL, 'j' }, {} };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *reason;
        int c, r, can;

        while ((c = getopt_long(argc, argv, "j", options, NULL)) >= 0)
                switch (c) {
                case 'j': ctx->json = true; break;
                default: return ptctl_usage_error("can-migrate", "unknown option");
                }
        if (argc - optind != 1)
                return ptctl_usage_error("can-migrate", "which guest?");
        if (!(bus = ptctl_bus()))
                return PTCTL_EXIT_FAILED;
        r = sd_bus_call_method(bus, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "CanMigrate", &error, &reply,
                               "s", argv[optind]);
        if (r >= 0)
                r = sd_bus_message_read(reply, "bs", &can, &reason);
        if (r < 0)
                return ptctl_report_error(&error, r, "asking failed");
        if (ctx->json) {
                PtJson j;
                pt_json_init(&j, stdout);
                pt_json_begin_object(&j);
                pt_json_key(&j, "can_migrate");
                pt_json_bool(&j, can);
                pt_json_key(&j, "reason");
                pt_json_string(&j, reason);
                pt_json_end_object(&j);
                pt_json_finish(&j);
        } else
                printf("%s: %s\n", can ? "yes" : "no", reason);
        return can ? PTCTL_EXIT_OK : PTCTL_EXIT_FAILED;
}
