/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "error.h"

/* A refusal from below as a D-Bus error: org.passthru1.Error.<code's name> with its message. A bare errno without
 * a PtError becomes Internal (logged); out of memory is left to sd-bus. Returns r. */
int bus_error_set(sd_bus_error *error, int r, const PtError *e);
/* The same as a reply to msg (for calls answered later). */
int bus_reply_error(sd_bus_message *msg, int r, const PtError *e);
