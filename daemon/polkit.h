/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* polkit actions (polkit/org.passthru1.policy). */
#define PT_ACTION_READ   "org.passthru1.read"
#define PT_ACTION_MANAGE "org.passthru1.manage"

/* Whether the caller of msg may do 'action': root may, anyone else as polkit decides (asked on the bus the
 * message came on). Returns 1 when allowed; a negative errno when not (AccessDenied set) or on failure. */
int polkit_authorize(sd_bus_message *msg, const char *action, sd_bus_error *error);
