/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "passthru/pt-macros.h"
#include "udev-watch.h"

struct UdevWatch {
        struct udev *udev;
        struct udev_monitor *monitor;
        sd_event_source *source;
        UdevWatchHandler handler;
        UdevWatchOverflowHandler overflow;
        void *userdata;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref);

static int on_uevent(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        UdevWatch *w = userdata;

        /* Drain what is queued: a storm must not starve the bus, but neither may events pile up in the socket. */
        for (int i = 0; i < 256; i++) {
                errno = 0;
                _cleanup_(udev_device_unrefp) struct udev_device *dev = udev_monitor_receive_device(w->monitor);
                if (!dev) {
                        if (errno == ENOBUFS) {
                                log_warning("uevents were lost: the kernel's queue overflowed; re-reading every device");
                                w->overflow(w->userdata);
                                continue;
                        }
                        break;
                }
                const char *action = udev_device_get_action(dev);
                const char *name = udev_device_get_sysname(dev);
                if (action && name)
                        w->handler(action, name, w->userdata);
        }
        return 0;
}

int udev_watch_new(sd_event *event, const char *source, UdevWatchHandler handler,
                   UdevWatchOverflowHandler overflow, void *userdata, UdevWatch **ret) {
        _cleanup_(udev_watch_freep) UdevWatch *w = calloc(1, sizeof(*w));
        int r;

        if (!w)
                return -ENOMEM;
        w->handler = handler;
        w->overflow = overflow;
        w->userdata = userdata;
        w->udev = udev_new();
        if (!w->udev)
                return -ENOMEM;
        w->monitor = udev_monitor_new_from_netlink(w->udev, source);
        if (!w->monitor)
                return log_error_errno(-EIO, "Failed to open the %s uevent monitor", source);
        r = udev_monitor_filter_add_match_subsystem_devtype(w->monitor, "pci", NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to filter uevents: %m");
        /* A burst of hotplug events must not overflow the socket while the loop is busy (udevd's size; as root,
         * past rmem_max). Should it overflow anyway, the overflow handler re-reads everything. */
        (void) udev_monitor_set_receive_buffer_size(w->monitor, 128 * 1024 * 1024);
        r = udev_monitor_enable_receiving(w->monitor);
        if (r < 0)
                return log_error_errno(r, "Failed to listen for uevents: %m");
        r = sd_event_add_io(event, &w->source, udev_monitor_get_fd(w->monitor), EPOLLIN, on_uevent, w);
        if (r < 0)
                return log_error_errno(r, "Failed to watch uevents: %m");
        *ret = TAKE_PTR(w);
        return 0;
}

UdevWatch *udev_watch_free(UdevWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        if (w->monitor)
                udev_monitor_unref(w->monitor);
        if (w->udev)
                udev_unref(w->udev);
        free(w);
        return NULL;
}
