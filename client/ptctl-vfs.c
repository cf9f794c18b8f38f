/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ptctl vfs: a PF's SR-IOV VF count (Manager.SetVirtualFunctions), or the PF's VFs as they are. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device-info.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-json.h"
#include "pt-util.h"
#include "ptctl.h"

/* Creating VFs waits for the PF driver, and the call may wait behind other operations. */
#define VFS_CALL_TIMEOUT_USEC (300ULL * 1000000ULL)

static int show_vfs(PtctlContext *ctx, sd_bus *bus, const char *pf) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        DeviceInfo d = { .numa_node = -1 };
        int r = device_info_get(bus, pf, &d, &error);
        if (r < 0) {
                device_info_free(&d);
                return ptctl_report_error(&error, r, "reading the PF failed");
        }
        if (ctx->json) {
                PtJson j;
                pt_json_init(&j, stdout);
                pt_json_begin_object(&j);
                pt_json_key(&j, "pf");
                pt_json_string(&j, d.address);
                pt_json_key(&j, "total_vfs");
                pt_json_int(&j, d.sriov_total_vfs);
                pt_json_key(&j, "num_vfs");
                pt_json_int(&j, d.sriov_num_vfs);
                pt_json_key(&j, "vfs");
                pt_json_begin_array(&j);
                for (char **v = d.virtual_functions; v && *v; v++)
                        pt_json_string(&j, *v);
                pt_json_end_array(&j);
                pt_json_end_object(&j);
                pt_json_finish(&j);
        } else {
                printf("%s: %u of %u VFs\n", d.address, d.sriov_num_vfs, d.sriov_total_vfs);
                for (char **v = d.virtual_functions; v && *v; v++)
                        printf("  %s\n", *v);
        }
        device_info_free(&d);
        return PTCTL_EXIT_OK;
}

static int append_count(sd_bus_message *m, const void *userdata) {
        return sd_bus_message_append(m, "a{sv}", 1, "count", "u", *(const uint32_t *) userdata);
}

int ptctl_cmd_vfs(PtctlContext *ctx, int argc, char *argv[]) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *pf = NULL, *count = NULL;
        bool dry = false;

        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--json"))
                        ctx->json = true;
                else if (streq(argv[i], "--dry-run"))
                        dry = true;
                else if (argv[i][0] == '-')
                        return ptctl_usage_error("vfs", "unknown option '%s'", argv[i]);
                else if (!pf)
                        pf = argv[i];
                else if (!count)
                        count = argv[i];
                else
                        return ptctl_usage_error("vfs", "unexpected argument '%s'", argv[i]);
        }
        if (!pf)
                return ptctl_usage_error("vfs", "which PF?");
        char *end;
        errno = 0;
        unsigned long n = count ? strtoul(count, &end, 10) : 0;
        if (count && (errno || end == count || *end || count[0] == '-' || n > UINT16_MAX))
                return ptctl_usage_error("vfs", "the VF count is a number from 0 to 65535, not '%s'", count);
        if (!(bus = ptctl_bus()))
                return PTCTL_EXIT_FAILED;
        if (!count && dry)
                return ptctl_usage_error("vfs", "--dry-run of what count?");
        if (!count)
                return show_vfs(ctx, bus, pf);
        if (dry) {
                uint32_t n32 = (uint32_t) n;
                return ptctl_dry_run(ctx, bus, "vfs", NULL, (char *[]) { (char *) pf, NULL }, append_count, &n32);
        }
        int r = sd_bus_message_new_method_call(bus, &m, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE,
                                               "SetVirtualFunctions");
        if (r >= 0)
                r = sd_bus_message_append(m, "sua{sv}", pf, (uint32_t) n, 0);
        if (r < 0)
                return ptctl_report_error(NULL, r, "building the request failed");
        r = sd_bus_call(bus, m, VFS_CALL_TIMEOUT_USEC, &error, &reply);
        if (r < 0)
                return ptctl_report_error(&error, r, "setting the VF count failed");
        return show_vfs(ctx, bus, pf);
}
