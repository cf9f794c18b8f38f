/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ptctl assign / unassign / guests / guest. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-json.h"
#include "pt-util.h"
#include "assign-args.h"
#include "guest-info.h"
#include "ptctl.h"

static void print_list(const char *verb, const char *guest, char **l) {
        printf("%s", verb);
        for (char **a = l; a && *a; a++)
                printf("%s%s", a == l ? " " : ", ", *a);
        printf(" %s %s\n", streq(verb, "Assigned") ? "to" : "from", guest);
}

int ptctl_cmd_assign(PtctlContext *ctx, int argc, char *argv[]) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **assigned = NULL;
        _cleanup_(assign_args_done) AssignArgs args;
        int c, r;

        assign_args_init(&args);
        while ((c = getopt_long(argc, argv, "", assign_args_options, NULL)) >= 0) {
                r = assign_args_parse(&args, "assign", c, optarg);
                if (r < 0)
                        return ptctl_usage_error("assign", "unknown option");
                if (r > 0)
                        return r;
        }
        if (argc - optind < 1 || (argc - optind < 2 && !args.vf_of))
                return ptctl_usage_error("assign", "which guest and which devices (or --vf-of PF)?");
        if (args.vf_of && argc - optind > 1)
                return ptctl_usage_error("assign", "--vf-of picks the devices: name none");
        if (!args.vf_of && (args.vf_count > 0 || args.numa_node >= 0))
                return ptctl_usage_error("assign", "--count and --numa-node go with --vf-of");

        bus = ptctl_bus();
        if (!bus)
                return PTCTL_EXIT_FAILED;
        if (args.dry_run)
                return ptctl_dry_run(ctx, bus, "assign", argv[optind], argv + optind + 1, assign_args_append_dry_run,
                                     &args);
        r = sd_bus_message_new_method_call(bus, &m, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "Assign");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", argv[optind]);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, argv + optind + 1);
        if (r >= 0)
                r = assign_args_append(m, &args);
        if (r < 0)
                return ptctl_report_error(NULL, r, "building the request failed");
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return ptctl_report_error(&error, r, "assigning failed");
        r = sd_bus_message_read_strv(reply, &assigned);
        if (r < 0)
                return ptctl_report_error(NULL, r, "reading the reply failed");
        print_list("Assigned", argv[optind], assigned);
        return PTCTL_EXIT_OK;
}

int ptctl_cmd_unassign(PtctlContext *ctx, int argc, char *argv[]) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **removed = NULL;
        int r;

        if (argc < 2)
                return ptctl_usage_error("unassign", "which guest?");
        if (argv[1][0] == '-')
                return ptctl_usage_error("unassign", "unknown option '%s'", argv[1]);
        bus = ptctl_bus();
        if (!bus)
                return PTCTL_EXIT_FAILED;
        r = sd_bus_message_new_method_call(bus, &m, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "Unassign");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", argv[1]);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, argv + 2);
        if (r < 0)
                return ptctl_report_error(NULL, r, "building the request failed");
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return ptctl_report_error(&error, r, "unassigning failed");
        r = sd_bus_message_read_strv(reply, &removed);
        if (r < 0)
                return ptctl_report_error(NULL, r, "reading the reply failed");
        print_list("Unassigned", argv[1], removed);
        return PTCTL_EXIT_OK;
}

static void print_guest_json(PtJson *j, const GuestInfo *g) {
        pt_json_begin_object(j);
        pt_json_key(j, "name");
        pt_json_string(j, g->name);
        pt_json_key(j, "state");
        pt_json_string(j, g->state);
        pt_json_key(j, "owner");
        pt_json_string(j, isempty(g->owner) ? NULL : g->owner);
        pt_json_key(j, "devices");
        pt_json_begin_array(j);
        for (size_t i = 0; i < g->n_items; i++) {
                pt_json_begin_object(j);
                pt_json_key(j, "address");
                pt_json_string(j, g->items[i].address);
                pt_json_key(j, "managed");
                pt_json_bool(j, g->items[i].managed);
                pt_json_key(j, "permissive");
                pt_json_bool(j, g->items[i].permissive);
                pt_json_key(j, "vslot");
                if (g->items[i].vslot >= 0)
                        pt_json_int(j, g->items[i].vslot);
                else
                        pt_json_null(j);
                pt_json_key(j, "options");
                pt_json_string(j, isempty(g->items[i].options) ? NULL : g->items[i].options);
                pt_json_key(j, "problem");
                pt_json_string(j, isempty(g->items[i].problem) ? NULL : g->items[i].problem);
                pt_json_key(j, "driver");
                pt_json_string(j, g->items[i].driver);
                pt_json_key(j, "reset_policy");
                pt_json_string(j, g->items[i].reset_policy);
                pt_json_key(j, "state");
                pt_json_string(j, g->items[i].state);
                pt_json_end_object(j);
        }
        pt_json_end_array(j);
        pt_json_key(j, "numa_nodes");
        pt_json_begin_array(j);
        for (size_t i = 0; i < g->n_numa_nodes; i++)
                pt_json_int(j, g->numa_nodes[i]);
        pt_json_end_array(j);
        pt_json_end_object(j);
}

int ptctl_cmd_guests(PtctlContext *ctx, int argc, char *argv[]) {
        static const struct option options[] = { { "json", no_argument, NULL, 'j' }, {} };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **paths = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, "j", options, NULL)) >= 0)
                switch (c) {
                case 'j': ctx->json = true; break;
                default: return ptctl_usage_error("guests", "unknown option");
                }
        if (optind < argc)
                return ptctl_usage_error("guests", "unexpected argument '%s'", argv[optind]);
        bus = ptctl_bus();
        if (!bus)
                return PTCTL_EXIT_FAILED;
        r = sd_bus_call_method(bus, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "ListGuests", &error, &reply, "");
        if (r >= 0)
                r = sd_bus_message_read_strv(reply, &paths);
        if (r < 0)
                return ptctl_report_error(&error, r, "listing guests failed");
        PtJson j;
        if (ctx->json) {
                pt_json_init(&j, stdout);
                pt_json_begin_array(&j);
        } else
                printf("%-24s %-10s %s\n", "GUEST", "STATE", "DEVICES");
        for (char **p = paths; p && *p; p++) {
                GuestInfo g;
                r = guest_info_read(bus, *p, &g, &error);
                if (r < 0) {
                        guest_info_free(&g);
                        return ptctl_report_error(&error, r, "reading a guest failed");
                }
                if (ctx->json)
                        print_guest_json(&j, &g);
                else {
                        printf("%-24s %-10s", g.name, g.state);
                        for (size_t i = 0; i < g.n_items; i++)
                                printf("%s%s%s", i ? ", " : " ", g.items[i].address,
                                       isempty(g.items[i].problem) ? "" : " (PROBLEM)");
                        printf("\n");
                }
                guest_info_free(&g);
        }
        if (ctx->json) {
                pt_json_end_array(&j);
                pt_json_finish(&j);
        }
        return PTCTL_EXIT_OK;
}

int ptctl_cmd_guest(PtctlContext *ctx, int argc, char *argv[]) {
        static const struct option options[] = { { "json", no_argument, NULL, 'j' }, {} };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        GuestInfo g;
        int c, r;

        while ((c = getopt_long(argc, argv, "j", options, NULL)) >= 0)
                switch (c) {
                case 'j': ctx->json = true; break;
                default: return ptctl_usage_error("guest", "unknown option");
                }
        if (argc - optind != 1)
                return ptctl_usage_error("guest", "which guest?");
        bus = ptctl_bus();
        if (!bus)
                return PTCTL_EXIT_FAILED;
        r = guest_info_get(bus, argv[optind], &g, &error);
        if (r < 0) {
                guest_info_free(&g);
                return ptctl_report_error(&error, r, "reading the guest failed");
        }
        if (ctx->json) {
                PtJson j;
                pt_json_init(&j, stdout);
                print_guest_json(&j, &g);
                pt_json_finish(&j);
        } else {
                printf("Guest %s (%s)%s%s\n", g.name, g.state, isempty(g.owner) ? "" : ", owner ",
                       strempty(g.owner));
                for (size_t i = 0; i < g.n_items; i++) {
                        printf("  %s  %-8s %s on %s%s, reset %s", g.items[i].address, g.items[i].state,
                               g.items[i].managed ? "managed" : "unmanaged", g.items[i].driver,
                               g.items[i].permissive ? ", permissive" : "", g.items[i].reset_policy);
                        if (g.items[i].vslot >= 0)
                                printf(", vslot 0x%x", (unsigned) g.items[i].vslot);
                        if (!isempty(g.items[i].options))
                                printf(", %s", g.items[i].options);
                        printf("\n");
                        if (!isempty(g.items[i].problem))
                                printf("    PROBLEM: %s\n", g.items[i].problem);
                }
                if (g.n_numa_nodes > 1) {
                        printf("  WARNING: the devices are on NUMA nodes");
                        for (size_t i = 0; i < g.n_numa_nodes; i++)
                                printf("%s%d", i ? ", " : " ", g.numa_nodes[i]);
                        printf(": the guest's DMA crosses between nodes, and its vCPUs and memory cannot be near "
                               "all of them\n");
                }
        }
        guest_info_free(&g);
        return PTCTL_EXIT_OK;
}
