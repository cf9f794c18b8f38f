/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lanes.h"

/* More lanes than this share threads: each thread takes the next lane not yet taken. */
#define LANES_MAX_THREADS 32

typedef struct Lanes {
        void (*fn)(void *ctx, unsigned lane);
        void *ctx;
        unsigned n;
        atomic_uint next;
} Lanes;

static void *lane_main(void *p) {
        Lanes *l = p;
        for (unsigned lane; (lane = atomic_fetch_add(&l->next, 1)) < l->n;)
                l->fn(l->ctx, lane);
        return NULL;
}

void lanes_run(unsigned n, void (*fn)(void *ctx, unsigned lane), void *ctx) {
        Lanes l = { .fn = fn, .ctx = ctx, .n = n };
        pthread_t threads[LANES_MAX_THREADS];
        unsigned started = 0;
        atomic_init(&l.next, 0);
        if (n > 1) {
                pthread_attr_t attr;
                pthread_attr_init(&attr);
                /* The lanes' work is sysfs writes and journal entries: a small stack is plenty. */
                pthread_attr_setstacksize(&attr, 256 * 1024);
                while (started < n - 1 && started < LANES_MAX_THREADS &&
                       pthread_create(&threads[started], &attr, lane_main, &l) == 0)
                        started++;
                pthread_attr_destroy(&attr);
        }
        /* The caller works too, and takes whatever lanes no thread could be started for. */
        lane_main(&l);
        for (unsigned i = 0; i < started; i++)
                pthread_join(threads[i], NULL);
}
