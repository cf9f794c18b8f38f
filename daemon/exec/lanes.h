/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Fork and join for one job's lanes: devices that share nothing (no IOMMU group, no slot, no reset scope) are
 * worked on at the same time, each lane on a thread of its own, so a guest with N devices waits for its slowest
 * lane instead of the sum of them. fn(ctx, lane) runs once for every lane 0..n-1; returns when all are done. With
 * one lane (or no thread to be had) it runs them on the caller's thread, one after the other. */
void lanes_run(unsigned n, void (*fn)(void *ctx, unsigned lane), void *ctx);
