/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "passthru/pt-macros.h"

static bool use_journal;
static int max_level = LOG_INFO;

/* $JOURNAL_STREAM names the stream systemd gave us; if it is our stderr, the journal is listening. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%lu:%lu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == dev && st.st_ino == ino;
}

void log_setup(void) {
        use_journal = stderr_is_journal();
        const char *level = getenv("PASSTHRUD_LOG_LEVEL");
        if (level && streq(level, "debug"))
                max_level = LOG_DEBUG;
}

void log_set_max_level(int level) {
        max_level = level;
}

void pt_log_full(int priority, const char *message_id, const char *device, const char *guest, const char *driver,
                 const char *fmt, ...) {
        int saved_errno = errno;
        _cleanup_free_ char *message = NULL;
        va_list ap;

        if (priority > max_level)
                return;
        va_start(ap, fmt);
        errno = saved_errno;
        if (vasprintf(&message, fmt, ap) < 0)
                message = NULL;
        va_end(ap);
        if (!message)
                return;

        if (use_journal) {
                /* Empty fields are left out by sending a harmless duplicate of PRIORITY instead. */
                char prio[16];
                snprintf(prio, sizeof(prio), "PRIORITY=%d", priority);
                _cleanup_free_ char *mid = NULL, *dev = NULL, *gst = NULL, *drv = NULL;
                if (message_id && asprintf(&mid, "MESSAGE_ID=%s", message_id) < 0)
                        mid = NULL;
                if (device && asprintf(&dev, "PASSTHRU_DEVICE=%s", device) < 0)
                        dev = NULL;
                if (guest && asprintf(&gst, "PASSTHRU_GUEST=%s", guest) < 0)
                        gst = NULL;
                if (driver && asprintf(&drv, "PASSTHRU_DRIVER=%s", driver) < 0)
                        drv = NULL;
                sd_journal_send("MESSAGE=%s", message, prio, mid ? mid : prio, dev ? dev : prio,
                                gst ? gst : prio, drv ? drv : prio, "SYSLOG_IDENTIFIER=passthrud", NULL);
        } else
                fprintf(stderr, "<%d>%s\n", priority, message);
        errno = saved_errno;
}
