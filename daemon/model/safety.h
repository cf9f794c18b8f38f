/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "device.h"

/* Why the host cannot do without d, or NULL (malloc'd): the boot VGA device, a device whose memory holds the
 * firmware framebuffer (efifb, vesafb, simpledrm; from iomem under proc_root), the controller behind a mounted file
 * system (the root file system above all), or a NIC that carries the default route or an address in use. Taking such a device from
 * the host can cost it its console, its disks or its network. Mounts and routes are read under proc_root. */
char *safety_host_critical(const char *sysfs_root, const char *proc_root, const Device *d);

/* Everything on the host that uses d and would lose it if d left its driver, one sentence each (for a dry run):
 * what safety_host_critical says, its network interfaces, DRM devices and framebuffers, the block devices on it
 * (and stacked on those), and swap on them. An empty list when nothing does. */
int safety_host_consumers(const char *sysfs_root, const char *proc_root, const Device *d, char ***ret);
