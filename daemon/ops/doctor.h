/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* One finding of ptctl doctor: what was checked, ok / warn / fail, what was found, and a one-line fix. */
typedef struct DoctorCheck {
        char *name, *status, *message, *fix;
} DoctorCheck;

typedef struct DoctorReport {
        DoctorCheck *checks;
        size_t n;
} DoctorReport;

void doctor_report_done(DoctorReport *r);
int doctor_add(DoctorReport *r, const char *name, const char *status, const char *fix, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

typedef struct Model Model;
/* The host's checks (IOMMU, interrupt remapping, the stub driver), and with a guest, each of its devices' reset
 * and group viability and what the guest side needs. Reads only. */
int doctor_run(const Model *m, const char *guest, DoctorReport *r);
