/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/* Exit codes: the contract scripts rely on. */
#define PTCTL_EXIT_OK 0
#define PTCTL_EXIT_FAILED 1
#define PTCTL_EXIT_USAGE 2

typedef struct PtctlContext {
        bool json;
} PtctlContext;

/* Connects to the system bus ($DBUS_SYSTEM_BUS_ADDRESS when set); prints why not and returns NULL. */
sd_bus *ptctl_bus(void);

/* Prints the daemon's message (or strerror of r) and returns PTCTL_EXIT_FAILED. */
int ptctl_report_error(const sd_bus_error *error, int r, const char *what);
int ptctl_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int ptctl_cmd_list(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_show(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_monitor(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_status(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_assign(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_unassign(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_guests(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_guest(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_config(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_set_owner(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_start(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_stop(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_reset(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_hide(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_unhide(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_hidden(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_vfs(PtctlContext *ctx, int argc, char *argv[]);
/* Manager.DryRun of operation, printed (--json: its steps as objects); append_options adds the a{sv} (NULL: none). */
int ptctl_dry_run(PtctlContext *ctx, sd_bus *bus, const char *operation, const char *guest, char *const *devices,
                  int (*append_options)(sd_bus_message *m, const void *userdata), const void *userdata);
int ptctl_cmd_boot_config(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_attach(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_detach(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_can_migrate(PtctlContext *ctx, int argc, char *argv[]);
int ptctl_cmd_doctor(PtctlContext *ctx, int argc, char *argv[]);
