/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon-config.h"
#include "log.h"
#include "manager.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"

static void help(void) {
        printf("Usage: passthrud [OPTIONS]\n\n"
               "The PCI passthrough authority for Xen dom0 and KVM hosts: owns %s on the system bus.\n\n"
               "Options:\n"
               "  --sysfs-root DIR     Where sysfs is (default %s). libpci reads the same tree.\n"
               "  --proc-root DIR      Where procfs is (default /proc), for /proc/xen/capabilities\n"
               "  --state-dir DIR      Persistent state (default $STATE_DIRECTORY or %s)\n"
               "  --runtime-dir DIR    Runtime state (default $RUNTIME_DIRECTORY or %s)\n"
               "  --uevent-source SRC  udev (after udevd's rules, default) or kernel (no udevd)\n"
               "  --pci-ids FILE       PCI ID database for names (default %s)\n"
               "  --modprobe CMD       What loads a missing driver's module (default modprobe)\n"
               "  --write-timeout SEC  How long a sysfs write (unbind) may block before the device is\n"
               "                       marked stuck (default 10, or WriteTimeoutSec= in the config file)\n"
               "  --config FILE        The configuration file (default %s; absent is fine)\n"
               "  --clock-file FILE    For tests: read the wall clock (seconds) from FILE\n"
               "  --modules-alias FILE The kernel's modules.alias, where VFIO variant drivers are found\n"
               "                       (default /lib/modules/$(uname -r)/modules.alias)\n"
               "  --xl CMD             In a Xen dom0, what 'CMD info' asks about Xen's IOMMU (default xl)\n"
               "  -h --help            Show this help\n"
               "  --version            Show the version\n\n"
               "The system bus is found through $DBUS_SYSTEM_BUS_ADDRESS when set.\n"
               "Set PASSTHRUD_LOG_LEVEL=debug for debug messages.\n",
               PT_BUS_NAME, PT_DEFAULT_SYSFS_ROOT, PT_DEFAULT_STATE_DIR, PT_DEFAULT_RUNTIME_DIR, PT_PCI_IDS_PATH,
               PT_DEFAULT_CONFIG_FILE);
}

static int parse_argv(int argc, char *argv[], ManagerConfig *c) {
        enum { ARG_SYSFS_ROOT = 0x100, ARG_PROC_ROOT, ARG_STATE_DIR, ARG_RUNTIME_DIR, ARG_UEVENT_SOURCE, ARG_PCI_IDS, ARG_MODPROBE,
               ARG_WRITE_TIMEOUT, ARG_CONFIG, ARG_CLOCK_FILE, ARG_XL, ARG_MODULES_ALIAS, ARG_VERSION };
        static const struct option options[] = {
                { "sysfs-root", required_argument, NULL, ARG_SYSFS_ROOT },
                { "proc-root", required_argument, NULL, ARG_PROC_ROOT },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                { "uevent-source", required_argument, NULL, ARG_UEVENT_SOURCE },
                { "pci-ids", required_argument, NULL, ARG_PCI_IDS },
                { "modprobe", required_argument, NULL, ARG_MODPROBE },
                { "write-timeout", required_argument, NULL, ARG_WRITE_TIMEOUT },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "clock-file", required_argument, NULL, ARG_CLOCK_FILE },
                { "xl", required_argument, NULL, ARG_XL },
                { "modules-alias", required_argument, NULL, ARG_MODULES_ALIAS },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        int c_;

        while ((c_ = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c_) {
                case ARG_SYSFS_ROOT: c->sysfs_root = optarg; break;
                case ARG_PROC_ROOT: c->proc_root = optarg; break;
                case ARG_STATE_DIR: c->state_dir = optarg; break;
                case ARG_RUNTIME_DIR: c->runtime_dir = optarg; break;
                case ARG_UEVENT_SOURCE:
                        if (!streq(optarg, "udev") && !streq(optarg, "kernel")) {
                                fprintf(stderr, "passthrud: --uevent-source must be udev or kernel, not '%s'\n", optarg);
                                return -2;
                        }
                        c->uevent_source = optarg;
                        break;
                case ARG_PCI_IDS: c->pci_ids = optarg; break;
                case ARG_MODPROBE: c->modprobe = optarg; break;
                case ARG_CONFIG: c->config_file = optarg; break;
                case ARG_CLOCK_FILE: c->clock_file = optarg; break;
                case ARG_XL: c->xl = optarg; break;
                case ARG_MODULES_ALIAS: c->modules_alias = optarg; break;
                case ARG_WRITE_TIMEOUT: {
                        char *end;
                        double sec = strtod(optarg, &end);
                        if (end == optarg || *end || !(sec > 0) || sec > 3600) {
                                fprintf(stderr, "passthrud: --write-timeout takes seconds (0-3600], not '%s'\n", optarg);
                                return -2;
                        }
                        c->write_timeout_usec = (uint64_t) (sec * 1e6);
                        break;
                }
                case 'h': help(); return 0;
                case ARG_VERSION: puts("passthrud " PACKAGE_VERSION); return 0;
                default: return -2;
                }
        if (optind < argc) {
                fprintf(stderr, "passthrud: unexpected argument '%s'\n", argv[optind]);
                return -2;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        ManagerConfig config = {
                .sysfs_root = PT_DEFAULT_SYSFS_ROOT,
                .proc_root = "/proc",
                .state_dir = getenv("STATE_DIRECTORY") ?: PT_DEFAULT_STATE_DIR,
                .runtime_dir = getenv("RUNTIME_DIRECTORY") ?: PT_DEFAULT_RUNTIME_DIR,
                .uevent_source = "udev",
                .pci_ids = PT_PCI_IDS_PATH,
        };
        int r;

        log_setup();
        /* A write to a peer that went away is an error to handle, not a reason to die. */
        signal(SIGPIPE, SIG_IGN);
        r = parse_argv(argc, argv, &config);
        if (r <= 0)
                return r == 0 ? EXIT_SUCCESS : 2;

        /* The file first, then what the command line says over it. */
        _cleanup_free_ char *why = NULL;
        uint64_t cli_timeout = config.write_timeout_usec;
        daemon_config_defaults(&config.settings);
        r = daemon_config_load(&config.settings, config.config_file ?: PT_DEFAULT_CONFIG_FILE, config.config_file,
                               &why);
        if (r < 0) {
                log_error("Bad configuration: %s", why ? why : strerror(-r));
                return EXIT_FAILURE;
        }
        if (cli_timeout)
                config.settings.write_timeout_usec = cli_timeout;

        r = manager_new(&config, &m);
        if (r < 0)
                return EXIT_FAILURE;
        r = manager_start(m);
        if (r < 0)
                return EXIT_FAILURE;
        r = manager_run(m);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
