/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "polkit-agent.h"
#include "ptctl.h"

typedef struct Command {
        const char *name;
        int (*run)(PtctlContext *ctx, int argc, char *argv[]);
        const char *usage;
        const char *description;
        bool changes; /* may need polkit's yes: an agent may ask for a password */
} Command;

static const Command commands[] = {
        { "list", ptctl_cmd_list, "list [--all] [--json]", "PCI devices: address, class, names, driver, group, reset, state" },
        { "show", ptctl_cmd_show, "show DEVICE [--json]", "Everything about one device, group members and parent bridge" },
        { "assign", ptctl_cmd_assign, "assign GUEST (DEVICE... | --vf-of PF[,PF...] [--count K] [--numa-node N]) "
          "[--unmanaged] [--vslot N] [--permissive] [--group] "
          "[--driver vfio-pci|pciback|pci-stub] [--reset-policy strict|best-effort|none] [--option KEY=VALUE] [--force] "
          "[--dry-run]",
          "Assign devices to a guest (--group: with every device that must come along; --vf-of: free VFs of a PF)",
          true },
        { "unassign", ptctl_cmd_unassign, "unassign GUEST [DEVICE...]", "Take devices (default: all) from a guest", true },
        { "guests", ptctl_cmd_guests, "guests [--json]", "Guests and their devices" },
        { "guest", ptctl_cmd_guest, "guest GUEST [--json]", "One guest's assignments, with any problem" },
        { "start", ptctl_cmd_start, "start GUEST [--pid PID] [--json] [--dry-run]",
          "Detach the guest's managed devices to their stub, reset all; print them for the toolstack", true },
        { "stop", ptctl_cmd_stop, "stop GUEST", "Reset the guest's devices, return managed ones to their original driver", true },
        { "set-owner", ptctl_cmd_set_owner, "set-owner GUEST --pid PID | --xen-domain NAME",
          "Lease a running guest to its VMM or Xen domain: if it ends without a stop, passthrud stops the guest", true },
        { "attach", ptctl_cmd_attach, "attach GUEST DEVICE [--vslot N] [--unmanaged] [--permissive] [--driver D] "
          "[--reset-policy P] [--option KEY=VALUE] [--force] [--dry-run]", "Hot-attach a device to a running guest (prepared as at its start)", true },
        { "detach", ptctl_cmd_detach, "detach GUEST DEVICE", "Hot-detach a device from a running guest (released as at "
          "its stop)", true },
        { "can-migrate", ptctl_cmd_can_migrate, "can-migrate GUEST [--json]",
          "Whether save, restore or live migration is possible (exit 1 when not), and why" },
        { "reset", ptctl_cmd_reset, "reset DEVICE", "Reset a device on a stub (flr, af_flr, pm, then bus) and check it answers", true },
        { "hide", ptctl_cmd_hide, "hide DEVICE [--driver vfio-pci|pciback|pci-stub] [--force] [--dry-run]",
          "Keep a device (or an address, for when one appears) away from host drivers, across reboots", true },
        { "unhide", ptctl_cmd_unhide, "unhide DEVICE [--no-rebind]", "Give a hidden device back to its host driver", true },
        { "vfs", ptctl_cmd_vfs, "vfs PF [COUNT] [--json] [--dry-run]",
          "A PF's SR-IOV VFs; with COUNT, set how many it has (kept across restarts and reboots)", true },
        { "hidden", ptctl_cmd_hidden, "hidden [--json]", "The hide pool: stub, state, driver, original driver" },
        { "boot-config", ptctl_cmd_boot_config, "boot-config [--format cmdline|modprobe|vfio]",
          "The hide pool as xen-pciback.hide=, a modprobe.d line, or vfio-pci.ids=" },
        { "config", ptctl_cmd_config, "config GUEST --format xl|libvirt|xe [--uuid UUID]",
          "The guest's devices as xl, libvirt or xe configuration" },
        { "status", ptctl_cmd_status, "status [--json]", "The host: hypervisor, stub driver, IOMMU groups" },
        { "doctor", ptctl_cmd_doctor, "doctor [GUEST [--xl-config FILE]] [--json]",
          "Check the host (IOMMU, interrupt remapping, stub driver) and a guest's devices, with a fix for each" },
        { "monitor", ptctl_cmd_monitor, "monitor", "Print devices and guests added, removed and changed (driver, state) as it happens" },
};

static void help(FILE *f) {
        fprintf(f, "Usage: ptctl [--json] COMMAND [ARGS...]\n\n"
                   "Talks to passthrud (%s) on the system bus.\n\nCommands:\n", PT_BUS_NAME);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-28s %s\n", commands[i].name, commands[i].description);
        fprintf(f, "\nUsage of each:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  ptctl %s\n", commands[i].usage);
        fprintf(f, "\nDEVICE may be written 06:00.0, 0000:06:00.0, 6:0.0, 0/0000:06:00.0, (0000:06:00.0),\n"
                   "06:00.0@4,permissive=1 or <address domain='0x0000' bus='0x06' slot='0x00' function='0x0'/>.\n"
                   "\nOptions:\n  -j --json     Machine-readable output (a stable schema)\n"
                   "  --no-ask-password\n"
                   "                Never ask for a password (by default a changing command typed at a terminal\n"
                   "                by a user polkit wants authenticated asks for one through pkttyagent)\n"
                   "  -h --help     Show this help\n  --version     Show the version\n"
                   "\nExit status: 0 ok, 1 refused or failed, 2 usage error.\n"
                   "Running ptctl without a command lists devices.\n");
}

/* Set by main before the command runs: whether its calls may wait for a password typed at this terminal. */
static bool ask_password;

sd_bus *ptctl_bus(void) {
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "ptctl: cannot connect to the system bus: %s\n", strerror(-r));
                return NULL;
        }
        (void) sd_bus_set_allow_interactive_authorization(bus, ask_password);
        return bus;
}

int ptctl_report_error(const sd_bus_error *error, int r, const char *what) {
        if (error && sd_bus_error_is_set(error)) {
                if (sd_bus_error_has_names(error, "org.freedesktop.DBus.Error.ServiceUnknown",
                                           "org.freedesktop.DBus.Error.NameHasNoOwner"))
                        fprintf(stderr, "ptctl: passthrud is not running (nobody owns %s on the system bus)\n",
                                PT_BUS_NAME);
                else
                        fprintf(stderr, "ptctl: %s\n", error->message ? error->message : error->name);
        } else
                fprintf(stderr, "ptctl: %s: %s\n", what, strerror(-r));
        return PTCTL_EXIT_FAILED;
}

int ptctl_usage_error(const char *command, const char *fmt, ...) {
        va_list ap;
        fprintf(stderr, "ptctl%s%s: ", command ? " " : "", strempty(command));
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (command && streq(commands[i].name, command))
                        fprintf(stderr, "Usage: ptctl %s\n", commands[i].usage);
        if (!command)
                fprintf(stderr, "Try 'ptctl --help'.\n");
        return PTCTL_EXIT_USAGE;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { "no-ask-password", no_argument, NULL, 'P' },
                {}
        };
        PtctlContext ctx = {};
        bool may_ask = true;
        int c;

        /* Listings of thousands of devices are written in large blocks, not 4 KiB ones. */
        static char outbuf[1 << 16];
        setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));

        /* Global options stop at the command; the command parses its own. */
        while ((c = getopt_long(argc, argv, "+jh", options, NULL)) >= 0)
                switch (c) {
                case 'j': ctx.json = true; break;
                case 'h': help(stdout); return PTCTL_EXIT_OK;
                case 'V': puts("ptctl " PACKAGE_VERSION); return PTCTL_EXIT_OK;
                case 'P': may_ask = false; break;
                default: return ptctl_usage_error(NULL, "unknown option");
                }

        const char *name = optind < argc ? argv[optind] : "list";
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(commands[i].name, name)) {
                        int sub_argc = optind < argc ? argc - optind : 1;
                        char *list_argv[] = { (char *) "list", NULL };
                        char **sub_argv = optind < argc ? argv + optind : list_argv;
                        optind = 0; /* reset getopt for the command's own options */
                        ask_password = commands[i].changes && ptctl_polkit_agent_wanted(may_ask);
                        if (ask_password)
                                (void) ptctl_polkit_agent_open();
                        return commands[i].run(&ctx, sub_argc, sub_argv);
                }
        return ptctl_usage_error(NULL, "unknown command '%s'", name);
}
