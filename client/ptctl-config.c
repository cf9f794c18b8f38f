/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ptctl config GUEST --format xl|libvirt|xe: a guest's devices as the toolstack writes them. passthrud does the
 * detaching, so libvirt gets managed='no'; xl gets PCI_SPEC_STRINGs with the recorded slot and options. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest-info.h"
#include "passthru/pt-address.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "ptctl.h"

static void print_xl(const GuestInfo *g) {
        /* passthrud lets any running guest have devices attached: xl needs this for a domain created without them. */
        printf("passthrough = \"enabled\"\n");
        printf("pci = [ ");
        for (size_t i = 0; i < g->n_items; i++) {
                printf("%s'%s", i ? ", " : "", g->items[i].address);
                if (g->items[i].vslot >= 0)
                        printf("@%x", (unsigned) g->items[i].vslot);
                if (g->items[i].permissive)
                        printf(",permissive=1");
                if (!isempty(g->items[i].options))
                        printf(",%s", g->items[i].options);
                printf("'");
        }
        printf(" ]\n");
}

static void print_libvirt(const GuestInfo *g) {
        for (size_t i = 0; i < g->n_items; i++) {
                PtAddress a;
                if (pt_address_parse_bdf(g->items[i].address, &a, NULL) < 0)
                        continue;
                printf("<hostdev mode='subsystem' type='pci' managed='no'>\n"
                       "  <source>\n"
                       "    <address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n"
                       "  </source>\n", (unsigned) a.domain, a.bus, a.slot, a.function);
                if (g->items[i].vslot >= 0)
                        printf("  <address type='pci' domain='0x0000' bus='0x00' slot='0x%02x' function='0x0'/>\n",
                               (unsigned) g->items[i].vslot);
                printf("</hostdev>\n");
        }
}

static void print_xe(const GuestInfo *g, const char *uuid) {
        /* XenServer's N/BDF: N orders hotplug; the devices keep the order of the guest's list. */
        printf("xe vm-param-set other-config:pci=");
        for (size_t i = 0; i < g->n_items; i++)
                printf("%s0/%s", i ? "," : "", g->items[i].address);
        printf(" uuid=%s\n", uuid ? uuid : "<uuid>");
}

int ptctl_cmd_config(PtctlContext *ctx, int argc, char *argv[]) {
        static const struct option options[] = {
                { "format", required_argument, NULL, 'f' },
                { "uuid", required_argument, NULL, 'u' },
                {}
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *format = NULL, *uuid = NULL;
        GuestInfo g = {};
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        if (!streq(optarg, "xl") && !streq(optarg, "libvirt") && !streq(optarg, "xe"))
                                return ptctl_usage_error("config", "--format is xl, libvirt or xe, not '%s'", optarg);
                        format = optarg;
                        break;
                case 'u': uuid = optarg; break;
                default: return ptctl_usage_error("config", "unknown option");
                }
        if (argc - optind != 1)
                return ptctl_usage_error("config", "which guest?");
        if (!format)
                return ptctl_usage_error("config", "which --format: xl, libvirt or xe?");

        bus = ptctl_bus();
        if (!bus)
                return PTCTL_EXIT_FAILED;
        r = guest_info_get(bus, argv[optind], &g, &error);
        if (r < 0) {
                guest_info_free(&g);
                return ptctl_report_error(&error, r, "reading the guest failed");
        }
        if (streq(format, "xl"))
                print_xl(&g);
        else if (streq(format, "libvirt"))
                print_libvirt(&g);
        else
                print_xe(&g, uuid);
        guest_info_free(&g);
        return PTCTL_EXIT_OK;
}
