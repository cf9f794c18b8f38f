/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "ops.h"

/* At start, before the bus: finishes or rolls back every operation the journal says was under way, and applies
 * the hide pool again, on the main thread (nothing else is served yet). */
int ops_recover(Ops *o);
