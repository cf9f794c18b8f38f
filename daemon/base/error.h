/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

/* Why a request was refused, below the bus: a plain code and a message for a person. The bus edge turns the code
 * into its D-Bus error name (org.passthru1.Error.<name>); nothing below it knows D-Bus. Functions that refuse
 * return a negative errno and fill a PtError; a bare negative errno (ENOMEM) has no PtError. */
typedef enum PtErrorCode {
        PT_ERR_NONE = 0,
        PT_ERR_INTERNAL,
        PT_ERR_NOT_FOUND,
        PT_ERR_INVALID_ADDRESS,
        PT_ERR_INVALID_GUEST_NAME,
        PT_ERR_UNKNOWN_GUEST,
        PT_ERR_INVALID_OPTION,
        PT_ERR_NOT_ASSIGNABLE,
        PT_ERR_ALREADY_ASSIGNED,
        PT_ERR_NOT_ASSIGNED,
        PT_ERR_COASSIGNMENT_REQUIRED,
        PT_ERR_GROUP_CONFLICT,
        PT_ERR_STORE_CORRUPT,
        PT_ERR_GUEST_RUNNING,
        PT_ERR_GUEST_NOT_RUNNING,
        PT_ERR_DEVICE_MISSING,
        PT_ERR_DEVICE_MISMATCHED,
        PT_ERR_DEVICE_STUCK,
        PT_ERR_DEVICE_FAILED,
        PT_ERR_STILL_ATTACHED,
        PT_ERR_GROUP_NOT_VIABLE,
        PT_ERR_NO_RESET,
        PT_ERR_RESET_FAILED,
        PT_ERR_DRIVER_UNAVAILABLE,
        PT_ERR_BIND_FAILED,
        PT_ERR_TIMEOUT,
        PT_ERR_ALREADY_HIDDEN,
        PT_ERR_NOT_HIDDEN,
        PT_ERR_RATE_LIMITED,
        PT_ERR_HOST_CRITICAL,
        PT_ERR_NO_IOMMU,
        PT_ERR_NOT_SRIOV,
        PT_ERR_INVALID_VF_COUNT,
        PT_ERR_VFS_IN_USE,
        PT_ERR_NO_FREE_VF,
        _PT_ERR_MAX,
} PtErrorCode;

typedef struct PtError {
        PtErrorCode code;
        char message[4096];
} PtError;

/* Sets code and message; returns the errno that goes with the code (negative), for "return pt_error_set(...)". */
int pt_error_set(PtError *e, PtErrorCode code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int pt_error_setv(PtError *e, PtErrorCode code, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
/* The D-Bus error's last component ("NotFound"); NULL for PT_ERR_NONE. */
const char *pt_error_code_name(PtErrorCode code);
int pt_error_code_errno(PtErrorCode code);
static inline bool pt_error_is_set(const PtError *e) {
        return e && e->code != PT_ERR_NONE;
}
