/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-config.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"

void daemon_config_defaults(DaemonConfig *c) {
        *c = (DaemonConfig) { .rate_limit_burst = 512, .rate_limit_interval_usec = 60 * 1000000ULL,
                              .write_timeout_usec = 10 * 1000000ULL };
}

int parse_timespan(const char *s, uint64_t *ret) {
        static const struct { const char *suffix; uint64_t usec; } units[] = {
                { "us", 1 }, { "ms", 1000 }, { "s", 1000000ULL }, { "sec", 1000000ULL }, { "m", 60000000ULL },
                { "min", 60000000ULL }, { "h", 3600000000ULL }, { "", 1000000ULL },
        };
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || v < 0 || *s == '-')
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (streq(end, units[i].suffix)) {
                        double usec = v * (double) units[i].usec;
                        if (usec > 1e15)
                                return -ERANGE;
                        *ret = (uint64_t) usec;
                        return 0;
                }
        return -EINVAL;
}

static char *strip(char *s) {
        while (*s == ' ' || *s == '\t')
                s++;
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
                s[--n] = 0;
        return s;
}

static int bad(char **ret_error, const char *path, unsigned line, const char *fmt, ...) _printf_(4, 5);
static int bad(char **ret_error, const char *path, unsigned line, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (asprintf(ret_error, "%s:%u: %s", path, line, msg ? msg : "invalid") < 0)
                *ret_error = NULL;
        return -EINVAL;
}

static int parse_yes_no(const char *value, bool *ret) {
        if (streq(value, "yes") || streq(value, "true") || streq(value, "1"))
                *ret = true;
        else if (streq(value, "no") || streq(value, "false") || streq(value, "0"))
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

int daemon_config_load(DaemonConfig *c, const char *path, bool required, char **ret_error) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *section = NULL;
        char buf[1024];
        unsigned line = 0;

        if (!f) {
                if (errno == ENOENT && !required)
                        return 0;
                int r = -errno;
                if (asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        while (fgets(buf, sizeof(buf), f)) {
                line++;
                char *l = strip(buf);
                if (!*l || *l == '#' || *l == ';')
                        continue;
                if (*l == '[') {
                        char *close = strchr(l, ']');
                        if (!close || close[1])
                                return bad(ret_error, path, line, "%s: a section header is [Name]", l);
                        free(section);
                        section = strndup(l + 1, (size_t) (close - l - 1));
                        continue;
                }
                char *eq = strchr(l, '=');
                if (!eq)
                        return bad(ret_error, path, line, "'%s' is not KEY=VALUE", l);
                *eq = 0;
                char *key = strip(l), *value = strip(eq + 1);
                uint64_t usec;
                if (section && streq(section, "Hotplug") && streq(key, "RateLimitBurst")) {
                        char *end;
                        unsigned long v = strtoul(value, &end, 10);
                        if (!*value || *end || v == 0 || v > 1000000)
                                return bad(ret_error, path, line, "RateLimitBurst= takes a count 1-1000000, not '%s'",
                                           value);
                        c->rate_limit_burst = (unsigned) v;
                } else if (section && streq(section, "Hotplug") && streq(key, "RateLimitIntervalSec")) {
                        if (parse_timespan(value, &usec) < 0 || usec == 0)
                                return bad(ret_error, path, line, "RateLimitIntervalSec= takes a time span (60, 60s, "
                                           "1min), not '%s'", value);
                        c->rate_limit_interval_usec = usec;
                } else if (section && streq(section, "Safety") && streq(key, "AllowUnsafePVPassthrough")) {
                        if (parse_yes_no(value, &c->allow_unsafe_pv) < 0)
                                return bad(ret_error, path, line, "AllowUnsafePVPassthrough= takes yes or no, not "
                                           "'%s'", value);
                } else if (section && streq(section, "Inventory") && streq(key, "NamesFromHwdb")) {
                        if (parse_yes_no(value, &c->names_from_hwdb) < 0)
                                return bad(ret_error, path, line, "NamesFromHwdb= takes yes or no, not '%s'", value);
                } else if (section && streq(section, "Lifecycle") && streq(key, "WriteTimeoutSec")) {
                        if (parse_timespan(value, &usec) < 0 || usec == 0 || usec > 3600 * 1000000ULL)
                                return bad(ret_error, path, line, "WriteTimeoutSec= takes a time span up to 1h, not "
                                           "'%s'", value);
                        c->write_timeout_usec = usec;
                } else
                        return bad(ret_error, path, line, "unknown setting %s (known: [Hotplug] RateLimitBurst=, "
                                   "RateLimitIntervalSec=; [Lifecycle] WriteTimeoutSec=; [Safety] "
                                   "AllowUnsafePVPassthrough=; [Inventory] NamesFromHwdb=)", key);
        }
        return 0;
}
