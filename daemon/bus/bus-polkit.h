/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "bus.h"

/* polkit actions (polkit/org.passthru1.policy). */
#define PT_ACTION_READ   "org.passthru1.read"
#define PT_ACTION_MANAGE "org.passthru1.manage"

int authorizer_new(Authorizer **ret);
Authorizer *authorizer_free(Authorizer *a);

/* The action a Manager method needs, from the one authorization table; NULL for a method not in it (denied). */
const char *bus_method_action(const char *member);

/* Whether the caller of msg may call it. The action comes from the table by the message's member: a method not
 * in it is denied; reading (org.passthru1.read, allowed to anyone by its policy) needs no question; root may do
 * anything; anyone else as polkit decides, asked without blocking. Returns 1 when allowed; 0 when polkit was
 * asked: the handler returns 1 and is called again with the same message once polkit has answered; a negative
 * errno with AccessDenied set when not allowed. */
int bus_authorize(Authorizer *a, sd_bus_message *msg, sd_bus_error *error);
