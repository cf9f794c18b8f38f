/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Writes value to an attribute under root. The write runs on its own thread: a driver's remove() can block
 * unbind indefinitely, and the caller must get control back. After timeout_usec the writer thread is abandoned
 * (it finishes, or not, on its own) and -ETIMEDOUT is returned. Otherwise the write's own result. */
int sysfs_write_timeout(const char *root, const char *relpath, const char *value, uint64_t timeout_usec);

/* Config space answers: the revision and class dword does not read all ones. -ENXIO when the device is off the
 * bus. */
int sysfs_config_answers(const char *root, const char *bdf);

/* Config space through the device's sysfs config file: len bytes at offset (what setpci does). Reading past what
 * the kernel exposes returns fewer bytes; a short read is -EIO. */
int sysfs_config_read(const char *root, const char *bdf, unsigned offset, void *buf, size_t len);
int sysfs_config_write(const char *root, const char *bdf, unsigned offset, const void *buf, size_t len);
