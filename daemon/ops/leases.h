/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "ops.h"

/* Leases: a running guest bound to its owner, a VMM process (held through a pidfd, and known by its start time
 * so that a reused PID is never taken for it) or a Xen domain (in a dom0). When the owner ends without a stop, passthrud stops the guest
 * itself: reset, devices home or back to the hide pool, a journal entry naming the owner and how it ended. The
 * lease lives in the store, so it survives a restart of passthrud; it ends with the guest's stop. */
typedef struct Leases Leases;

int leases_new(Ops *ops, sd_event *event, Leases **ret);
Leases *leases_free(Leases *l);
/* At start, after recovery: every stored lease watched again, or, when its owner ended meanwhile, its guest
 * stopped. */
void leases_watch_all(Leases *l);
/* Binds a running (or starting) guest to a process: UnknownGuest, GuestNotRunning, NotFound (no such process). */
int leases_set_owner(Leases *l, const char *guest, pid_t pid, PtError *e);
/* Binds it to a Xen domain by name (xl, asked every few seconds off the main loop): NotFound when xl does not list
 * such a domain. */
int leases_set_domain_owner(Leases *l, const char *guest, const char *xl, const char *domain, PtError *e);
