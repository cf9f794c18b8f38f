/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "ops.h"

/* At start, before the bus: finishes or rolls back every operation the journal says was under way, and applies
 * the hide pool again, on the main thread (nothing else is served yet). */
int ops_recover(Ops *o);

/* What recovery does about the journal's unfinished operations (ops) and the hide pool, as a job: each hold whose
 * operation was cut short is released (a start is rolled back, a stop or release completed) or its claim
 * completed, and each hidden device found on another driver is claimed back; why, as the job's notes.
 * *settling: the guests whose start or stop was cut short; *failed: devices that do not answer, to be marked
 * failed and left alone. Changes nothing. */
int plan_recovery(const Model *m, Job *j, const StoredOperation *ops, size_t n_ops, char ***settling,
                  char ***failed);
