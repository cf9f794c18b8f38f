/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* The Manager's methods that change something, for the Manager's vtable (userdata: the Bus). */
int bus_method_assign(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_method_unassign(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_method_start_guest(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_method_stop_guest(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_method_reset_device(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_method_hide(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_method_set_virtual_functions(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_method_dry_run(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_method_unhide(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_method_attach_device(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_method_detach_device(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_method_set_owner(sd_bus_message *msg, void *userdata, sd_bus_error *error);
