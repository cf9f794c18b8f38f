/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "bus-options.h"

int bus_read_options(sd_bus_message *msg, BusOptionSetter set, void *userdata, PtError *e) {
        int r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key, *sig, *s = NULL;
                int b = 0;
                uint32_t u = 0;
                if ((r = sd_bus_message_read(msg, "s", &key)) < 0 || (r = sd_bus_message_peek_type(msg, NULL, &sig)) < 0)
                        return r;
                char type = sig && sig[0] && !sig[1] ? sig[0] : '?';
                if (type == 'b')
                        r = sd_bus_message_read(msg, "v", "b", &b);
                else if (type == 's')
                        r = sd_bus_message_read(msg, "v", "s", &s);
                else if (type == 'u')
                        r = sd_bus_message_read(msg, "v", "u", &u);
                else
                        r = sd_bus_message_skip(msg, "v");
                if (r < 0)
                        return r;
                r = set(key, type, b, s, u, userdata, e);
                if (r < 0)
                        return r;
                if ((r = sd_bus_message_exit_container(msg)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}
