/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* Writes value to an attribute under root. The write runs on its own thread: a driver's remove() can block
 * unbind indefinitely, and the caller must get control back. After timeout_usec the writer thread is abandoned
 * (it finishes, or not, on its own) and -ETIMEDOUT is returned. Otherwise the write's own result. */
int sysfs_write_timeout(const char *root, const char *relpath, const char *value, uint64_t timeout_usec);

/* Config space answers: the revision and class dword does not read all ones. -ENXIO when the device is off the
 * bus. */
int sysfs_config_answers(const char *root, const char *bdf);
