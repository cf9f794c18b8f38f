/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "guest-info.h"

/* One finding about an xl domain configuration file against the guest's assignments. */
typedef struct XlFinding {
        const char *status;     /* "ok", "warn", "fail" */
        char *message, *fix;
} XlFinding;

/* Reads FILE's pci = [ ... ] and passthrough = "..." and compares them with the guest: every assigned device
 * listed and nothing else, and passthrough not disabled (enabled when the guest may get hot-plugged devices
 * without a pci= line). *ret: malloc'd findings; -errno when the file cannot be read. */
int xl_config_check(const char *path, const GuestInfo *g, XlFinding **ret, size_t *n);
void xl_findings_free(XlFinding *f, size_t n);
