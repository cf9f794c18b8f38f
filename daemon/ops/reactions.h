/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "ops.h"

/* What the model's device events mean for the use cases: a hidden address's device appearing or taken by a host
 * driver is claimed back; a running guest's device returning is checked and claimed for it again; a running
 * guest's device going missing or taken by a host driver is logged. */
void ops_device_added(Ops *o, Device *d);
void ops_device_removed(Ops *o, const Device *d);
void ops_driver_changed(Ops *o, Device *d);
/* Other properties changed (the D-Bus names): a PF that lost its VFs gets its recorded count back. */
void ops_device_changed(Ops *o, Device *d, const char *const *properties);
