/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
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
                /* Only the fields that have a value, so a search for PASSTHRU_GUEST= finds what it should. */
                _cleanup_free_ char *msg = NULL, *prio = NULL, *mid = NULL, *dev = NULL, *gst = NULL, *drv = NULL;
                struct iovec iov[7];
                size_t n = 0;
#define FIELD(var, fmt, value)                                                  \
                if ((value) && asprintf(&var, fmt, value) >= 0)                  \
                        iov[n++] = (struct iovec) { var, strlen(var) }
                if (asprintf(&msg, "MESSAGE=%s", message) < 0 || asprintf(&prio, "PRIORITY=%d", priority) < 0)
                        return;
                iov[n++] = (struct iovec) { msg, strlen(msg) };
                iov[n++] = (struct iovec) { prio, strlen(prio) };
                FIELD(mid, "MESSAGE_ID=%s", message_id);
                FIELD(dev, "PASSTHRU_DEVICE=%s", device);
                FIELD(gst, "PASSTHRU_GUEST=%s", guest);
                FIELD(drv, "PASSTHRU_DRIVER=%s", driver);
#undef FIELD
                iov[n++] = (struct iovec) { (char *) "SYSLOG_IDENTIFIER=passthrud", strlen("SYSLOG_IDENTIFIER=passthrud") };
                sd_journal_sendv(iov, (int) n);
        } else
                fprintf(stderr, "<%d>%s\n", priority, message);
        errno = saved_errno;
}
