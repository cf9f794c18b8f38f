/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hotplug rate limiter's sliding window, and the configuration file it is set from. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon-config.h"
#include "ratelimit.h"

#define SEC 1000000ULL

static void test_window(void) {
        RateLimiter l;
        uint64_t wait = 0;
        ratelimit_init(&l, 512, 60 * SEC);
        uint64_t t0 = 1700000000 * SEC;
        /* 512 events spread over 51.1 s: every one allowed. */
        for (unsigned i = 0; i < 512; i++) {
                g_assert_true(ratelimit_allowed(&l, "0000:06:00.0", t0 + i * 100000, &wait));
                g_assert_cmpint(ratelimit_record(&l, "0000:06:00.0", t0 + i * 100000), ==, 0);
        }
        uint64_t now = t0 + 512 * 100000;
        g_assert_cmpuint(ratelimit_count(&l, "0000:06:00.0", now), ==, 512);
        /* The 513th is refused until the first has left the window, 60 s after it. */
        g_assert_false(ratelimit_allowed(&l, "0000:06:00.0", now, &wait));
        g_assert_cmpuint(wait, ==, t0 + 60 * SEC - now);
        g_assert_false(ratelimit_allowed(&l, "0000:06:00.0", t0 + 60 * SEC - 1, &wait));
        g_assert_cmpuint(wait, ==, 1);
        g_assert_true(ratelimit_allowed(&l, "0000:06:00.0", t0 + 60 * SEC, &wait));
        /* Other devices have their own window. */
        g_assert_true(ratelimit_allowed(&l, "0000:06:00.1", now, &wait));
        /* A storm keeps only the last 'burst' events: memory stays bounded. */
        for (unsigned i = 0; i < 100000; i++)
                g_assert_cmpint(ratelimit_record(&l, "0000:06:00.0", now + i), ==, 0);
        g_assert_cmpuint(ratelimit_count(&l, "0000:06:00.0", now + 100000), ==, 512);
        g_assert_cmpuint(l.n, ==, 1);
        g_assert_false(ratelimit_allowed(&l, "0000:06:00.0", now + 100000, &wait));
        g_assert_cmpuint(wait, ==, 60 * SEC - 512);
        ratelimit_done(&l);
}

static void test_timespan(void) {
        uint64_t v;
        g_assert_cmpint(parse_timespan("60", &v), ==, 0);
        g_assert_cmpuint(v, ==, 60 * SEC);
        g_assert_cmpint(parse_timespan("1min", &v), ==, 0);
        g_assert_cmpuint(v, ==, 60 * SEC);
        g_assert_cmpint(parse_timespan("500ms", &v), ==, 0);
        g_assert_cmpuint(v, ==, 500000);
        g_assert_cmpint(parse_timespan("2h", &v), ==, 0);
        g_assert_cmpint(parse_timespan("1.5s", &v), ==, 0);
        g_assert_cmpuint(v, ==, 1500000);
        g_assert_cmpint(parse_timespan("-1", &v), ==, -EINVAL);
        g_assert_cmpint(parse_timespan("ten", &v), ==, -EINVAL);
        g_assert_cmpint(parse_timespan("10 parsecs", &v), ==, -EINVAL);
}

static char *write_conf(const char *text) {
        char *path = NULL;
        int fd = g_file_open_tmp("passthrud-XXXXXX.conf", &path, NULL);
        g_assert_cmpint(fd, >=, 0);
        close(fd);
        g_assert_true(g_file_set_contents(path, text, -1, NULL));
        return path;
}

static void test_config(void) {
        DaemonConfig c;
        g_autofree char *error = NULL;
        daemon_config_defaults(&c);
        g_assert_cmpuint(c.rate_limit_burst, ==, 512);
        g_assert_cmpuint(c.rate_limit_interval_usec, ==, 60 * SEC);
        /* Absent and not asked for: the defaults. Asked for (--config): an error. */
        g_assert_cmpint(daemon_config_load(&c, "/nonexistent/passthrud.conf", false, &error), ==, 0);
        g_assert_cmpint(daemon_config_load(&c, "/nonexistent/passthrud.conf", true, &error), ==, -ENOENT);
        g_clear_pointer(&error, g_free);

        g_autofree char *good = write_conf("# comment\n[Hotplug]\nRateLimitBurst = 16\nRateLimitIntervalSec=2min\n"
                                           "\n[Lifecycle]\nWriteTimeoutSec=3s\n[Inventory]\nNamesFromHwdb=yes\n");
        g_assert_false(c.names_from_hwdb);
        g_assert_cmpint(daemon_config_load(&c, good, true, &error), ==, 0);
        g_assert_true(c.names_from_hwdb);
        g_assert_cmpuint(c.rate_limit_burst, ==, 16);
        g_assert_cmpuint(c.rate_limit_interval_usec, ==, 120 * SEC);
        g_assert_cmpuint(c.write_timeout_usec, ==, 3 * SEC);
        g_unlink(good);

        static const char *const bad[][2] = {
                { "[Hotplug]\nRateLimitBurst=lots\n", ":2: RateLimitBurst= takes a count 1-1000000, not 'lots'" },
                { "[Hotplug]\nRateLimitBurst=0\n", ":2: RateLimitBurst=" },
                { "[Hotplug]\nRateLimitIntervalSec=soon\n", ":2: RateLimitIntervalSec= takes a time span" },
                { "[Hotplug]\nBurst=5\n", ":2: unknown setting Burst" },
                { "RateLimitBurst=5\n", ":1: unknown setting RateLimitBurst" },
                { "[Hotplug\n", ":1: [Hotplug: a section header is [Name]" },
                { "[Hotplug]\njunk\n", ":2: 'junk' is not KEY=VALUE" },
                { "[Inventory]\nNamesFromHwdb=maybe\n", ":2: NamesFromHwdb= takes yes or no, not 'maybe'" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autofree char *path = write_conf(bad[i][0]);
                g_autofree char *why = NULL;
                daemon_config_defaults(&c);
                g_assert_cmpint(daemon_config_load(&c, path, true, &why), ==, -EINVAL);
                g_test_message("%s", why);
                g_assert_nonnull(strstr(why, bad[i][1]));
                g_unlink(path);
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/ratelimit/window", test_window);
        g_test_add_func("/ratelimit/timespan", test_timespan);
        g_test_add_func("/ratelimit/config", test_config);
        return g_test_run();
}
