/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* /etc/passthru/passthrud.conf: systemd-style INI. Absent file: the defaults. */
#define PT_DEFAULT_CONFIG_FILE "/etc/passthru/passthrud.conf"

typedef struct DaemonConfig {
        unsigned rate_limit_burst;              /* [Hotplug] RateLimitBurst= (512) */
        uint64_t rate_limit_interval_usec;      /* [Hotplug] RateLimitIntervalSec= (60 s) */
        uint64_t write_timeout_usec;            /* [Lifecycle] WriteTimeoutSec= (10 s) */
        bool allow_unsafe_pv;                   /* [Safety] AllowUnsafePVPassthrough= (no) */
        bool names_from_hwdb;                   /* [Inventory] NamesFromHwdb= (no: names from pci.ids only) */
} DaemonConfig;

void daemon_config_defaults(DaemonConfig *c);
/* Reads path over the defaults. A missing file is fine unless required (given with --config); a bad line is an
 * error naming file, line and why (*ret_error, malloc'd). */
int daemon_config_load(DaemonConfig *c, const char *path, bool required, char **ret_error);
/* "60", "60s", "1min", "500ms", "2h": a time span as systemd writes it, in microseconds. */
int parse_timespan(const char *s, uint64_t *ret);
