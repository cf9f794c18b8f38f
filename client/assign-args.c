/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "assign-args.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "ptctl.h"

const struct option assign_args_options[] = {
        { "unmanaged", no_argument, NULL, 'u' },
        { "vslot", required_argument, NULL, 'v' },
        { "permissive", no_argument, NULL, 'p' },
        { "group", no_argument, NULL, 'g' },
        { "option", required_argument, NULL, 'o' },
        { "driver", required_argument, NULL, 'd' },
        { "reset-policy", required_argument, NULL, 'r' },
        { "force", no_argument, NULL, 'f' },
        { "vf-of", required_argument, NULL, 'V' },
        { "count", required_argument, NULL, 'c' },
        { "numa-node", required_argument, NULL, 'n' },
        { "dry-run", no_argument, NULL, 'D' },
        {}
};

void assign_args_init(AssignArgs *a) {
        *a = (AssignArgs) { .vslot = -1, .numa_node = -1 };
}

void assign_args_done(AssignArgs *a) {
        pt_strv_free(a->extra);
        a->extra = NULL;
}

int assign_args_parse(AssignArgs *a, const char *command, int c, const char *arg) {
        char *end;
        switch (c) {
        case 'u': a->unmanaged = true; return 0;
        case 'p': a->permissive = true; return 0;
        case 'g': a->group = true; return 0;
        case 'f': a->force = true; return 0;
        case 'd': a->driver = arg; return 0;
        case 'r': a->reset_policy = arg; return 0;
        case 'o':
                if (!strchr(arg, '='))
                        return ptctl_usage_error(command, "--option takes KEY=VALUE, not '%s'", arg);
                (void) pt_strv_push(&a->extra, strdup(arg));
                return 0;
        case 'V': a->vf_of = arg; return 0;
        case 'D': a->dry_run = true; return 0;
        case 'c':
                a->vf_count = strtol(arg, &end, 10);
                if (*end || end == arg || a->vf_count < 1 || a->vf_count > 256)
                        return ptctl_usage_error(command, "--count takes a number of VFs 1-256, not '%s'", arg);
                return 0;
        case 'n':
                a->numa_node = strtol(arg, &end, 10);
                if (*end || end == arg || a->numa_node < 0 || a->numa_node > 1023)
                        return ptctl_usage_error(command, "--numa-node takes a node number, not '%s'", arg);
                return 0;
        case 'v':
                a->vslot = strtol(arg, &end, 0);
                if (*end || end == arg || a->vslot < 0 || a->vslot > 0x1f)
                        return ptctl_usage_error(command, "--vslot takes a slot number 0-31 (0x1f), not '%s'", arg);
                return 0;
        }
        return -1;
}

int assign_args_append(sd_bus_message *m, const AssignArgs *a) {
        int r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && a->unmanaged)
                r = sd_bus_message_append(m, "{sv}", "managed", "b", 0);
        if (r >= 0 && a->permissive)
                r = sd_bus_message_append(m, "{sv}", "permissive", "b", 1);
        if (r >= 0 && a->group)
                r = sd_bus_message_append(m, "{sv}", "group", "b", 1);
        if (r >= 0 && a->force)
                r = sd_bus_message_append(m, "{sv}", "force", "b", 1);
        if (r >= 0 && a->vslot >= 0)
                r = sd_bus_message_append(m, "{sv}", "vslot", "u", (uint32_t) a->vslot);
        if (r >= 0 && a->driver)
                r = sd_bus_message_append(m, "{sv}", "driver", "s", a->driver);
        if (r >= 0 && a->reset_policy)
                r = sd_bus_message_append(m, "{sv}", "reset_policy", "s", a->reset_policy);
        if (r >= 0 && a->vf_of)
                r = sd_bus_message_append(m, "{sv}", "vf_of", "s", a->vf_of);
        if (r >= 0 && a->vf_count > 0)
                r = sd_bus_message_append(m, "{sv}", "vf_count", "u", (uint32_t) a->vf_count);
        if (r >= 0 && a->numa_node >= 0)
                r = sd_bus_message_append(m, "{sv}", "numa_node", "u", (uint32_t) a->numa_node);
        /* xl's per-device keys: booleans as 0/1, rdm_policy as a word; the daemon validates them. */
        for (char **e = a->extra; r >= 0 && e && *e; e++) {
                char *eq = strchr(*e, '=');
                _cleanup_free_ char *key = strndup(*e, (size_t) (eq - *e));
                if (!key)
                        return -ENOMEM;
                if (streq(eq + 1, "0") || streq(eq + 1, "1"))
                        r = sd_bus_message_append(m, "{sv}", key, "b", eq[1] == '1');
                else
                        r = sd_bus_message_append(m, "{sv}", key, "s", eq + 1);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

int assign_args_append_dry_run(sd_bus_message *m, const void *userdata) {
        return assign_args_append(m, userdata);
}
