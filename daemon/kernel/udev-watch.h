/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-event.h>

/* PCI uevents from libudev's monitor, delivered on the event loop. */
typedef struct UdevWatch UdevWatch;

typedef void (*UdevWatchHandler)(const char *action, const char *bdf, void *userdata);
/* Events were lost (the socket overflowed): the receiver must look at everything again. */
typedef void (*UdevWatchOverflowHandler)(void *userdata);

/* source: "udev" (events after udevd ran its rules; the default) or "kernel" (for hosts without udevd). */
int udev_watch_new(sd_event *event, const char *source, UdevWatchHandler handler,
                   UdevWatchOverflowHandler overflow, void *userdata, UdevWatch **ret);
UdevWatch *udev_watch_free(UdevWatch *w);
static inline void udev_watch_freep(UdevWatch **w) {
        udev_watch_free(*w);
}
