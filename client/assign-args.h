/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

/* The per-device options ptctl assign and ptctl attach share, and the a{sv} they become. */
typedef struct AssignArgs {
        bool unmanaged, permissive, group, force;
        const char *driver, *reset_policy;
        long vslot;             /* -1: not given */
        char **extra;           /* --option KEY=VALUE (xl's keys) */
        const char *vf_of;      /* assign: --vf-of PF[,PF...] picks free VFs instead of naming devices */
        long vf_count;          /* --count K (0: not given) */
        long numa_node;         /* --numa-node N (-1: not given) */
        bool dry_run;           /* --dry-run: Manager.DryRun instead */
} AssignArgs;

extern const struct option assign_args_options[];

void assign_args_init(AssignArgs *a);
void assign_args_done(AssignArgs *a);
/* One getopt result; 0 when it was an assign option, 2 (usage, printed) when its value is bad, -1 when not. */
int assign_args_parse(AssignArgs *a, const char *command, int c, const char *arg);
int assign_args_append(sd_bus_message *m, const AssignArgs *a);
/* The same, in ptctl_dry_run's shape (userdata: the AssignArgs). */
int assign_args_append_dry_run(sd_bus_message *m, const void *userdata);
