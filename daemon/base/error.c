/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "error.h"
#include "passthru/pt-macros.h"

static const struct {
        const char *name;
        int errnum;
} codes[_PT_ERR_MAX] = {
        [PT_ERR_INTERNAL] = { "Internal", EIO },
        [PT_ERR_NOT_FOUND] = { "NotFound", ENODEV },
        [PT_ERR_INVALID_ADDRESS] = { "InvalidAddress", EINVAL },
        [PT_ERR_INVALID_GUEST_NAME] = { "InvalidGuestName", EINVAL },
        [PT_ERR_UNKNOWN_GUEST] = { "UnknownGuest", ENOENT },
        [PT_ERR_INVALID_OPTION] = { "InvalidOption", EINVAL },
        [PT_ERR_NOT_ASSIGNABLE] = { "NotAssignable", EPERM },
        [PT_ERR_ALREADY_ASSIGNED] = { "AlreadyAssigned", EEXIST },
        [PT_ERR_NOT_ASSIGNED] = { "NotAssigned", ENOENT },
        [PT_ERR_COASSIGNMENT_REQUIRED] = { "CoAssignmentRequired", EPERM },
        [PT_ERR_GROUP_CONFLICT] = { "GroupConflict", EPERM },
        [PT_ERR_STORE_CORRUPT] = { "StoreCorrupt", EBADMSG },
        [PT_ERR_GUEST_RUNNING] = { "GuestRunning", EBUSY },
        [PT_ERR_GUEST_NOT_RUNNING] = { "GuestNotRunning", ESRCH },
        [PT_ERR_DEVICE_MISSING] = { "DeviceMissing", ENODEV },
        [PT_ERR_DEVICE_MISMATCHED] = { "DeviceMismatched", ENODEV },
        [PT_ERR_DEVICE_STUCK] = { "DeviceStuck", EBUSY },
        [PT_ERR_DEVICE_FAILED] = { "DeviceFailed", ENXIO },
        [PT_ERR_STILL_ATTACHED] = { "StillAttached", EBUSY },
        [PT_ERR_GROUP_NOT_VIABLE] = { "GroupNotViable", EPERM },
        [PT_ERR_NO_RESET] = { "NoReset", EOPNOTSUPP },
        [PT_ERR_RESET_FAILED] = { "ResetFailed", EIO },
        [PT_ERR_DRIVER_UNAVAILABLE] = { "DriverUnavailable", ENOENT },
        [PT_ERR_BIND_FAILED] = { "BindFailed", EIO },
        [PT_ERR_TIMEOUT] = { "Timeout", ETIMEDOUT },
        [PT_ERR_ALREADY_HIDDEN] = { "AlreadyHidden", EEXIST },
        [PT_ERR_NOT_HIDDEN] = { "NotHidden", ENOENT },
        [PT_ERR_RATE_LIMITED] = { "RateLimited", EAGAIN },
        [PT_ERR_HOST_CRITICAL] = { "HostCritical", EPERM },
        [PT_ERR_NO_IOMMU] = { "NoIommu", EOPNOTSUPP },
        [PT_ERR_NOT_SRIOV] = { "NotSriov", EOPNOTSUPP },
        [PT_ERR_INVALID_VF_COUNT] = { "InvalidVfCount", ERANGE },
        [PT_ERR_VFS_IN_USE] = { "VfsInUse", EBUSY },
        [PT_ERR_NO_FREE_VF] = { "NoFreeVf", ENOSPC },
};

const char *pt_error_code_name(PtErrorCode code) {
        return code > PT_ERR_NONE && code < _PT_ERR_MAX ? codes[code].name : NULL;
}

int pt_error_code_errno(PtErrorCode code) {
        return code > PT_ERR_NONE && code < _PT_ERR_MAX ? codes[code].errnum : EIO;
}

int pt_error_setv(PtError *e, PtErrorCode code, const char *fmt, va_list ap) {
        if (e) {
                e->code = code;
                vsnprintf(e->message, sizeof(e->message), fmt, ap);
        }
        return -pt_error_code_errno(code);
}

int pt_error_set(PtError *e, PtErrorCode code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = pt_error_setv(e, code, fmt, ap);
        va_end(ap);
        return r;
}
