/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passthru/pt-macros.h"
#include "ratelimit.h"

void ratelimit_init(RateLimiter *l, unsigned burst, uint64_t interval_usec) {
        *l = (RateLimiter) { .burst = burst ? burst : 1, .interval_usec = interval_usec };
}

void ratelimit_done(RateLimiter *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->windows[i].stamps);
        free(l->windows);
        l->windows = NULL;
        l->n = 0;
}

RateWindow *ratelimit_find(RateLimiter *l, const char *bdf) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->windows[i].bdf, bdf))
                        return &l->windows[i];
        return NULL;
}

static RateWindow *find_or_add(RateLimiter *l, const char *bdf) {
        RateWindow *w = ratelimit_find(l, bdf);
        if (w)
                return w;
        uint64_t *stamps = calloc(l->burst, sizeof(uint64_t));
        RateWindow *grown = stamps ? realloc(l->windows, (l->n + 1) * sizeof(RateWindow)) : NULL;
        if (!grown) {
                free(stamps);
                return NULL;
        }
        l->windows = grown;
        w = &l->windows[l->n++];
        *w = (RateWindow) { .stamps = stamps };
        snprintf(w->bdf, sizeof(w->bdf), "%s", bdf);
        return w;
}

/* The i-th oldest stamp kept. */
static uint64_t stamp(const RateLimiter *l, const RateWindow *w, size_t i) {
        return w->stamps[(w->head + l->burst - w->count + i) % l->burst];
}

size_t ratelimit_count(RateLimiter *l, const char *bdf, uint64_t now) {
        RateWindow *w = ratelimit_find(l, bdf);
        size_t n = 0;
        for (size_t i = 0; w && i < w->count; i++)
                if (stamp(l, w, i) + l->interval_usec > now)
                        n++;
        return n;
}

bool ratelimit_allowed(RateLimiter *l, const char *bdf, uint64_t now, uint64_t *ret_wait_usec) {
        RateWindow *w = ratelimit_find(l, bdf);
        if (!w || ratelimit_count(l, bdf, now) < l->burst)
                return true;
        /* The window is full: the oldest event in it has to leave first. */
        uint64_t oldest = stamp(l, w, w->count - l->burst);
        if (ret_wait_usec)
                *ret_wait_usec = oldest + l->interval_usec - now;
        return false;
}

int ratelimit_record(RateLimiter *l, const char *bdf, uint64_t at) {
        RateWindow *w = find_or_add(l, bdf);
        if (!w)
                return -ENOMEM;
        w->stamps[w->head] = at;
        w->head = (w->head + 1) % l->burst;
        if (w->count < l->burst)
                w->count++;
        w->dirty = true;
        return 0;
}
