/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "passthru/pt-address.h"

/* The hotplug rate limiter: per device, the times of its last 'burst' hot(un)plug events (attach, detach, and
 * udev add/remove), in a sliding window of 'interval'. RHEL warns that more than 512 hot(un)plugs of an assigned
 * device in a short time can crash the kernel. Memory per device is bounded by the burst. Times are wall-clock
 * microseconds, so a window read back from the database after a restart means the same. */
typedef struct RateWindow {
        char bdf[PT_ADDRESS_STRLEN];
        uint64_t *stamps;       /* ring of 'burst' entries */
        size_t head, count;
        bool dirty;             /* changed since it was last saved */
} RateWindow;

typedef struct RateLimiter {
        unsigned burst;
        uint64_t interval_usec;
        RateWindow *windows;
        size_t n;
} RateLimiter;

void ratelimit_init(RateLimiter *l, unsigned burst, uint64_t interval_usec);
void ratelimit_done(RateLimiter *l);

/* Events of bdf inside the window ending at now. */
size_t ratelimit_count(RateLimiter *l, const char *bdf, uint64_t now);
/* Whether one more event is allowed now; if not, *ret_wait_usec says how long until it is. */
bool ratelimit_allowed(RateLimiter *l, const char *bdf, uint64_t now, uint64_t *ret_wait_usec);
/* Counts an event (an allowed attach or detach, or any udev add/remove: the kernel does not ask). */
int ratelimit_record(RateLimiter *l, const char *bdf, uint64_t at);

RateWindow *ratelimit_find(RateLimiter *l, const char *bdf);
