/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --dry-run of assign, start, attach, hide and vfs: Manager.DryRun's steps, printed. */
#include <stdio.h>

#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "pt-json.h"
#include "pt-util.h"
#include "ptctl.h"

int ptctl_dry_run(PtctlContext *ctx, sd_bus *bus, const char *operation, const char *guest, char *const *devices,
                  int (*append_options)(sd_bus_message *m, const void *userdata), const void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, PT_BUS_NAME, PT_MANAGER_PATH, PT_MANAGER_INTERFACE, "DryRun");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", operation, strempty(guest));
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) devices);
        if (r >= 0)
                r = append_options ? append_options(m, userdata) : sd_bus_message_append(m, "a{sv}", 0);
        if (r < 0)
                return ptctl_report_error(NULL, r, "building the request failed");
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return ptctl_report_error(&error, r, "the dry run was refused");
        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        PtJson j;
        if (ctx->json) {
                pt_json_init(&j, stdout);
                pt_json_begin_array(&j);
        } else
                printf("Dry run of %s: nothing changes.\n", operation);
        size_t n = 0;
        for (; r >= 0; n++) {
                const char *kind, *device, *detail;
                r = sd_bus_message_read(reply, "(sss)", &kind, &device, &detail);
                if (r <= 0)
                        break;
                if (ctx->json) {
                        pt_json_begin_object(&j);
                        pt_json_key(&j, "kind");
                        pt_json_string(&j, kind);
                        pt_json_key(&j, "device");
                        pt_json_string(&j, isempty(device) ? NULL : device);
                        pt_json_key(&j, "detail");
                        pt_json_string(&j, detail);
                        pt_json_end_object(&j);
                } else
                        printf("  %-10s %-13s %s\n", kind, isempty(device) ? "-" : device, detail);
        }
        if (ctx->json) {
                pt_json_end_array(&j);
                pt_json_finish(&j);
        } else if (n == 0)
                printf("  (nothing to do)\n");
        if (r < 0)
                return ptctl_report_error(NULL, r, "reading the reply failed");
        return PTCTL_EXIT_OK;
}
