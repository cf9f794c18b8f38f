/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "error.h"

/* One a{sv} reader for every method that takes options: each entry goes to 'set' with its name and its value's
 * type ('b', 's' or 'u'; any other type is passed as its signature's first character with no value, for the
 * setter to refuse). */
typedef int (*BusOptionSetter)(const char *key, char type, bool b, const char *s, uint32_t u, void *userdata,
                               PtError *e);
int bus_read_options(sd_bus_message *msg, BusOptionSetter set, void *userdata, PtError *e);
