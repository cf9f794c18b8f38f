/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <syslog.h>

/* Structured logging: to the journal with PASSTHRU_* fields when systemd connected us to it, otherwise to
 * stderr with "<N>" priority prefixes (what systemd and a terminal both understand). */
void log_setup(void);
void log_set_max_level(int level);

void pt_log_full(int priority, const char *message_id, const char *device, const char *guest, const char *driver,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#define log_debug(...)   pt_log_full(LOG_DEBUG, NULL, NULL, NULL, NULL, __VA_ARGS__)
#define log_info(...)    pt_log_full(LOG_INFO, NULL, NULL, NULL, NULL, __VA_ARGS__)
#define log_notice(...)  pt_log_full(LOG_NOTICE, NULL, NULL, NULL, NULL, __VA_ARGS__)
#define log_warning(...) pt_log_full(LOG_WARNING, NULL, NULL, NULL, NULL, __VA_ARGS__)
#define log_error(...)   pt_log_full(LOG_ERR, NULL, NULL, NULL, NULL, __VA_ARGS__)

/* Logs with errno set from r (so %m works) and returns r, for "return log_error_errno(r, ...)". */
#define log_error_errno(r, ...) ({ int _r = (r); errno = -_r; log_error(__VA_ARGS__); _r; })
#define log_warning_errno(r, ...) ({ int _r = (r); errno = -_r; log_warning(__VA_ARGS__); _r; })
