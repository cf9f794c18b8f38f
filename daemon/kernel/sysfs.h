/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Reads under the configurable sysfs root (default /sys). Each returns a negative errno on failure. */
int sysfs_read_string(const char *root, const char *relpath, char **ret);  /* trailing newline stripped */
int sysfs_read_u64(const char *root, const char *relpath, uint64_t *ret);   /* decimal or 0x hex */
int sysfs_read_link_basename(const char *root, const char *relpath, char **ret);
int sysfs_list_dir(const char *root, const char *relpath, char ***ret);     /* sorted, without . and .. */
bool sysfs_exists(const char *root, const char *relpath);

/* A device's directory opened once (O_PATH), so that its attributes are read without walking the whole path
 * (root, bus link, every bridge above it) again for each: -ENODEV when there is no such device. */
int sysfs_device_open(const char *root, const char *bdf);
int sysfs_read_string_at(int dirfd, const char *name, char **ret);
int sysfs_read_u64_at(int dirfd, const char *name, uint64_t *ret);
int sysfs_read_link_basename_at(int dirfd, const char *name, char **ret);
/* The config attribute: up to size bytes, *ret_len what the kernel exposes. */
int sysfs_read_config_at(int dirfd, uint8_t *buf, size_t size, size_t *ret_len);

/* driver_override as it is now ("" when unset); nothing tells when someone writes it, so it is read fresh. */
char *sysfs_read_driver_override(const char *root, const char *bdf);

/* The device directory's attribute path: "bus/pci/devices/<bdf>/<attr>"; malloc'd. */
char *sysfs_device_attr(const char *bdf, const char *attr);
