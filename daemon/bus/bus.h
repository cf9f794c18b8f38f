/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "leases.h"
#include "model.h"
#include "ops.h"

/* The bus edge: the only code that sees sd_bus_message and sd_bus_error. Each handler reads its arguments,
 * validates, authorizes (asynchronously: the call is parked while polkit decides and dispatched again when it has
 * answered), acts through the operations layer, and replies; signals come from the model's and the operations'
 * notifications. */
typedef struct Authorizer Authorizer;

typedef struct Bus {
        sd_bus *bus;
        Model *model;
        Ops *ops;
        Leases *leases;
        Authorizer *auth;
} Bus;

/* Registers every object and takes the name. */
int bus_setup(Bus *b);
void bus_done(Bus *b);
