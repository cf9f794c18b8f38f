/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "job.h"
#include "model.h"

/* The decisions every use case shares, each made in one place. All of them only read the model. */

/* 1-64 of [A-Za-z0-9_.-], not starting with '.' or '-': InvalidGuestName otherwise. */
int plan_check_guest_name(const char *guest, PtError *e);
/* A valid name that has assignments: UnknownGuest otherwise. */
int plan_check_guest_known(const Model *m, const char *guest, PtError *e);
/* Nothing changes while the database cannot be trusted: StoreCorrupt. */
int plan_check_store(const Model *m, PtError *e);
/* Any notation to the canonical address (InvalidAddress), and the device there (NotFound). */
int plan_parse_address(const char *address, PtAddress *ret, PtError *e);
Device *plan_resolve_device(const Model *m, const char *address, PtError *e);

/* What admission let through is logged when the job runs: each forced host-critical device (the lines from
 * admission_check), and with passthrough each device passed through without an IOMMU (admission_insecure). */
int plan_note_admission(const Model *m, Job *j, Device *const *devices, size_t n, char *const *forced,
                        bool passthrough);

/* The stub a device goes to: the one chosen for it, or the host's. */
const char *plan_stub(const Model *m, const char *chosen);
/* The kernel's VFIO variant driver for d on a KVM host (malloc'd), or NULL: vfio-pci (or the host's stub) then. */
char *plan_variant_driver(const Model *m, const Device *d);

/* A claim of d for 'holder' (a guest, or STORE_HOLDER_HIDDEN) onto jd->stub: nothing when it is on that stub
 * already. Where it goes back is its hold's record when it has one (it came back after a removal and belongs
 * where the record says, not to whatever took it on the way in), else where it is now. */
int plan_claim(const Model *m, JobDevice *jd, const Device *d, const char *holder);
/* A release of d to where its hold says it came from, when the hold is 'holder's and d is not hidden (a hidden
 * device stays on its stub; unhiding sends it home). */
int plan_release_held(const Model *m, JobDevice *jd, const Device *d, const char *holder);

/* The reset d gets by the guest's policy; 'members' are the devices a bus reset may hit freely. -ENOENT with *why
 * (malloc'd) when the policy is strict and there is none. explicit: an admin's ResetDevice, always strict. */
int plan_reset(const Model *m, const Device *d, char *const *members, const char *policy, bool explicit,
               JobDevice *jd, char **why);

/* Which of a job's devices may be worked on at the same time: those sharing an IOMMU group, a slot (the functions
 * of one device), a PF and its VFs, or a reset's scope share a lane and keep their order; the rest get lanes of
 * their own. */
int plan_lanes(const Model *m, Job *j);
