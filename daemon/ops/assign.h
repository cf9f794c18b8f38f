/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "job.h"
#include "model.h"

/* Assign's and AttachDevice's options. */
typedef struct AssignOptions {
        bool managed, permissive, group, force;
        int32_t vslot;
        char extra[128];        /* toolstack options kept for the guest config, "key=value,..." */
        char driver[32];        /* the stub, "" for the host's default */
        char reset_policy[16];
        char vf_of[256];        /* Assign only: pick free VFs of these PFs ("PF[,PF...]") instead of naming devices */
        uint32_t vf_count;      /* how many (default 1) */
        int32_t numa_node;      /* VFs on this node first; -1: any */
} AssignOptions;

void assign_options_init(AssignOptions *o);
/* Sets one option from its name and value; InvalidOption for an unknown name, a wrong type or a bad value.
 * type is the D-Bus signature of the value ('b', 's', 'u'); exactly one of the value arguments applies. */
int assign_options_set(AssignOptions *o, const char *key, char type, bool b, const char *s, uint32_t u, PtError *e);

/* What an Assign records: planned first (validation, co-assignment, safety; nothing changes), applied after
 * authorization. */
typedef struct AssignPlan {
        char *guest;
        StoredAssignment *records;
        size_t n;
        bool managed, permissive;
        bool insecure;                  /* passthrough without an IOMMU, allowed: each device is logged so */
        char **forced;                  /* what to log for host-critical devices taken with force */
        char reset_policy[16], extra[128], driver[32];  /* what the records point to */
        char (*drivers)[32];            /* each record's stub: the option's, a VFIO variant driver, or "" */
} AssignPlan;

void assign_plan_done(AssignPlan *p);
/* An attach job's record (and force) from the options: j has its guest and its one device. */
int assign_attach_record(Job *j, const AssignOptions *o);
int assign_plan(const Model *m, const char *guest, char *const *addresses, const AssignOptions *o, const char *state,
                AssignPlan *ret, PtError *e);
/* Records it in one transaction, then updates the model, logs and tells. *ret_assigned: the addresses. A
 * negative errno is the store's (the bus says where). */
int assign_apply(Model *m, const AssignPlan *p, char ***ret_assigned);

/* Unassign: addresses empty means all of the guest's. state: the guest's (ops_guest_state). */
int unassign_plan(const Model *m, const char *guest, char *const *addresses, const char *state, char ***ret_removing,
                  PtError *e);
int unassign_apply(Model *m, const char *guest, char *const *removing);

/* The migration guard: whether save, restore and live migration are possible, and why (malloc'd). */
int migrate_verdict(const Model *m, const char *guest, const char *state, bool *ret_can, char **ret_reason,
                    PtError *e);
